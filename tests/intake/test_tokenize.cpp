#include "intake/detail/tokenize.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "intake/text.hpp"

using namespace hotline::intake;
using hotline::intake::detail::token_buffer;
using hotline::intake::detail::tokenize;

namespace {

struct form {
    std::string acc, fold;
    bool boundary, digits, ascii;
    bool operator==(const form&) const = default;
};

std::vector<form> forms(const token_buffer& tb) {
    std::vector<form> out;
    for (std::size_t i = 0; i < tb.tokens.size(); ++i) {
        const auto& t = tb.tokens[i];
        out.push_back(form{std::string(tb.acc(i)), std::string(tb.fold(i)), t.boundary_before, t.digits, t.ascii});
    }
    return out;
}

}  // namespace

TEST_CASE("tokenize: letter and digit runs with their accented and folded forms") {
    token_buffer tb;
    tokenize("Bé 5TUỔI bị ĐÁNH, chảy máu!\nNgười12", tb);
    const std::vector<form> want = {
        {"bé", "be", false, false, false},     {"5", "5", false, true, true},
        {"tuổi", "tuoi", false, false, false}, {"bị", "bi", false, false, false},
        {"đánh", "danh", false, false, false}, {"chảy", "chay", true, false, false},
        {"máu", "mau", false, false, false},   {"người", "nguoi", true, false, false},
        {"12", "12", false, true, true},
    };
    CHECK(forms(tb) == want);
    REQUIRE(tb.tokens.size() == want.size());
    CHECK(tb.tokens[0].begin == 0);
    CHECK(tb.tokens[0].end == 3);  // "Bé": B + 2-byte é
}

TEST_CASE("tokenize: combining marks and old tone placement give the composed new-style form") {
    token_buffer tb;
    tokenize("be\xcc\x81 hoa\xcc\x80 khoẻ THUỶ", tb);  // bé (e + U+0301), hoà (a + U+0300)
    REQUIRE(tb.tokens.size() == 4);
    CHECK(tb.acc(0) == "bé");
    CHECK(tb.fold(0) == "be");
    CHECK(tb.acc(1) == "hòa");
    CHECK(tb.fold(1) == "hoa");
    CHECK(tb.acc(2) == "khỏe");
    CHECK(tb.acc(3) == "thủy");
    CHECK(tb.fold(3) == "thuy");
}

TEST_CASE("tokenize: a reused buffer gives the same tokens as a fresh one") {
    token_buffer reused;
    const std::string texts[] = {
        std::string(3000, 'a') + " bé bị đánh",
        "x",
        "",
        "Ông ấy đánh đập cháu 7 tuổi mỗi ngày, cháu sợ lắm",
        std::string("a\xcc\x81\xcc\x81\xcc\x81 ") + std::string(500, 'Z'),
    };
    for (const auto& t : texts) {
        INFO(t.substr(0, 40));
        token_buffer fresh;
        tokenize(t, fresh);
        tokenize(t, reused);
        CHECK(forms(reused) == forms(fresh));
        CHECK(reused.valid_utf8 == fresh.valid_utf8);
    }
}

TEST_CASE("tokenize: valid_utf8 says what is_valid_utf8 says of the whole text") {
    std::vector<std::string> inputs = {
        "",
        "bé bị đánh",
        std::string("b\xc3\xa9\x00 ok", 6),                     // NUL is valid
        "\xff",
        "bé bị đánh \xe1\xba",                                   // truncated at the end
        "\xe1\xba bé",                                           // truncated at the start
        "bé\xcc",                                                // truncated inside a token
        "12\xc3\xa9",                                            // after a digit run
        "\xf4\x90\x80\x80 \xed\xa0\x80 \xc0\xaf \xe0\x80\x80",   // out of range, surrogate, overlongs
        "\xf0\x9f\x98\xa2 ok \xe2\x82\xac",                      // 4- and 3-byte sequences
        "a\x80",                                                 // stray continuation byte
    };
    std::mt19937 rng(7);
    const std::string pieces[] = {"a", "Z", "5", " ", ",", "é", "đ", "\xcc\x81", "\xe1\xba\xa1", "\xf0\x9f\x98\xa2",
                                  "\x80", "\xc3", "\xe1\xba", "\xff", "\xed\xa0\x80", "\xc0\xaf"};
    for (int i = 0; i < 2000; ++i) {
        std::string s;
        const auto n = rng() % 40;
        for (unsigned k = 0; k < n; ++k) s += pieces[rng() % std::size(pieces)];
        inputs.push_back(s);
    }
    token_buffer tb;
    for (const auto& in : inputs) {
        tokenize(in, tb);
        CHECK_MESSAGE(tb.valid_utf8 == is_valid_utf8(in), in);
    }
}
