#include "routing/detail/string_ids.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using hotline::routing::detail::string_ids;

TEST_CASE("string_ids: ids in the order first inserted, found again by their bytes") {
    string_ids ids;
    CHECK(ids.find("an") == string_ids::absent);  // an empty table
    CHECK(ids.insert("an") == 0);
    CHECK(ids.insert("a") == 1);
    CHECK(ids.insert("ann") == 2);
    CHECK(ids.insert("") == 3);
    CHECK(ids.insert("an") == 0);  // already there: no new id
    CHECK(ids.size() == 4);
    CHECK(ids.find("a") == 1);
    CHECK(ids.find("ann") == 2);
    CHECK(ids.find("") == 3);
    CHECK(ids.find("an") == 0);
    CHECK(ids.find("na") == string_ids::absent);  // same bytes, another order
    CHECK(ids.find("anna") == string_ids::absent);
    CHECK(ids.find(std::string_view("an\0", 3)) == string_ids::absent);
}

TEST_CASE("string_ids: a view into a longer text finds its word") {
    string_ids ids;
    CHECK(ids.insert("cao") == 0);
    CHECK(ids.insert("loc") == 1);
    const std::string text = "cao loc lang son";
    CHECK(ids.find(std::string_view(text).substr(0, 3)) == 0);
    CHECK(ids.find(std::string_view(text).substr(4, 3)) == 1);
    CHECK(ids.find(std::string_view(text).substr(8, 4)) == string_ids::absent);
    CHECK(ids.insert(std::string_view(text).substr(4, 3)) == 1);
    CHECK(ids.size() == 2);
}

TEST_CASE("string_ids: every word still found after the table has grown many times") {
    string_ids ids;
    std::vector<std::string> words;
    for (int i = 0; i < 20000; ++i) words.push_back("w" + std::to_string(i * 7919 % 100003));
    for (std::size_t i = 0; i < words.size(); ++i) REQUIRE(ids.insert(words[i]) == i);
    CHECK(ids.size() == words.size());
    for (std::size_t i = 0; i < words.size(); ++i) CHECK(ids.find(words[i]) == i);
    CHECK(ids.find("w") == string_ids::absent);
    CHECK(ids.find("w100003") == string_ids::absent);
}
