#include "routing/detail/fold.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace hotline::routing::detail;

namespace {

std::vector<std::string> folded(std::string_view text) {
    word_list w;
    split_words(text, w);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < w.size(); ++i) out.emplace_back(w.fold(i));
    return out;
}

std::vector<std::string> accents(std::string_view text) {
    word_list w;
    split_words(text, w);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < w.size(); ++i) out.emplace_back(w.acc(i));
    return out;
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("split_words: ASCII words, any case, at the end of the text or before a separator") {
    CHECK(folded("XA Hai YEN") == strings{"xa", "hai", "yen"});
    CHECK(accents("XA Hai YEN") == strings{"xa", "hai", "yen"});
    CHECK(folded("Quan1,q.3") == strings{"quan", "1", "q", "3"});
    CHECK(folded("H'Leo hleo") == strings{"hleo", "hleo"});  // a joining apostrophe is dropped
    CHECK(folded("'tp' x'") == strings{"tp", "x"});            // a quote is a space
    CHECK(folded("p01 007 0") == strings{"p", "1", "7", "0"});
}

TEST_CASE("split_words: words with diacritics, mixed with ASCII letters, composed or not") {
    CHECK(folded("Nguyễn THỊ Đào") == strings{"nguyen", "thi", "dao"});
    CHECK(accents("Nguyễn THỊ Đào") == strings{"nguyên4", "thi5", "đao1"});
    CHECK(accents("Hoà Hòa") == strings{"hoa1", "hoa1"});
    // "Hòa" with the grave accent as a combining mark (U+0300).
    CHECK(folded("Ho\xcc\x80" "a") == strings{"hoa"});
    CHECK(accents("Ho\xcc\x80" "a") == strings{"hoa1"});
    CHECK(folded("Lăng Lang") == strings{"lang", "lang"});
    CHECK(accents("Lăng Lang") == strings{"lăng", "lang"});
}

TEST_CASE("split_words: what separates the words, and which are marked") {
    word_list w;
    split_words("Bà Rịa - Vũng Tàu, P. Chi Lăng tp.hcm p1", w);
    REQUIRE(w.size() == 11);
    CHECK(w.words[0].before == gap::clause);
    CHECK(w.words[1].before == gap::space);
    CHECK(w.words[2].before == gap::dash);
    CHECK(w.words[4].before == gap::clause);
    CHECK(w.words[5].before == gap::dot);
    CHECK(w.words[8].before == gap::dot);
    CHECK(w.words[10].before == gap::none);
    CHECK(w.words[0].marked);
    CHECK_FALSE(w.words[4].marked);
    CHECK(w.words[10].digits);
    CHECK(w.fold(9) == "p");
}
