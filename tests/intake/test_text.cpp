#include "intake/text.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>
#include <cstdlib>

#include <utf8proc.h>

using namespace hotline::intake;
using namespace std::string_literals;

namespace {

struct utf8_case {
    const char* name;
    std::string bytes;
    bool valid;
};

}  // namespace

TEST_CASE("is_valid_utf8 accepts well-formed and refuses ill-formed sequences") {
    const utf8_case cases[] = {
        {"empty", "", true},
        {"ascii", "hello", true},
        {"nul byte", "a\0b"s, true},
        {"vietnamese", "Trẻ em bị bạo lực", true},
        {"two-byte boundary low", "\xC2\x80", true},
        {"two-byte boundary high", "\xDF\xBF", true},
        {"three-byte low", "\xE0\xA0\x80", true},
        {"last before surrogates", "\xED\x9F\xBF", true},
        {"first after surrogates", "\xEE\x80\x80", true},
        {"U+FFFF", "\xEF\xBF\xBF", true},
        {"U+10000", "\xF0\x90\x80\x80", true},
        {"U+10FFFF", "\xF4\x8F\xBF\xBF", true},
        {"emoji", "\xF0\x9F\x98\x80", true},
        {"overlong slash C0 AF", "\xC0\xAF", false},
        {"overlong C1 BF", "\xC1\xBF", false},
        {"overlong three-byte E0 80 AF", "\xE0\x80\xAF", false},
        {"overlong three-byte E0 9F BF", "\xE0\x9F\xBF", false},
        {"overlong four-byte F0 80 80 AF", "\xF0\x80\x80\xAF", false},
        {"overlong four-byte F0 8F BF BF", "\xF0\x8F\xBF\xBF", false},
        {"surrogate ED A0 80", "\xED\xA0\x80", false},
        {"surrogate ED BF BF", "\xED\xBF\xBF", false},
        {"surrogate pair as CESU-8", "\xED\xA0\xBD\xED\xB8\x80", false},
        {"above U+10FFFF F4 90", "\xF4\x90\x80\x80", false},
        {"F5 lead", "\xF5\x80\x80\x80", false},
        {"F8 lead", "\xF8\x88\x80\x80\x80", false},
        {"FF byte", "\xFF", false},
        {"FE byte", "\xFE", false},
        {"lone continuation", "\x80", false},
        {"continuation after ascii", "a\xBF", false},
        {"truncated two-byte", "\xC3", false},
        {"truncated three-byte", "\xE1\xBA", false},
        {"truncated four-byte", "\xF0\x9F\x98", false},
        {"truncated in the middle", "Tr\xE1\xBA" "x em", false},
        {"truncated at end of text", "Trẻ em\xE1", false},
        {"bad continuation", "\xC3\x28", false},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        CHECK(is_valid_utf8(c.bytes) == c.valid);
    }
}

TEST_CASE("to_nfc composes and refuses invalid UTF-8") {
    // "Hòa" written with a combining grave accent.
    CHECK(to_nfc("Ho\xCC\x80" "a") == std::optional<std::string>("H\xC3\xB2" "a"));
    CHECK(to_nfc("Ho\xCC\x80" "a") == std::optional<std::string>("Hòa"));
    // "Thủy": u + combining hook above (U+0309) -> U+1EE7.
    CHECK(to_nfc("Thu\xCC\x89y") == std::optional<std::string>("Th\xE1\xBB\xA7y"));
    // "ệ" as e + dot below + circumflex, and as ê + dot below: both to U+1EC7.
    CHECK(to_nfc("e\xCC\xA3\xCC\x82") == std::optional<std::string>("\xE1\xBB\x87"));
    CHECK(to_nfc("\xC3\xAA\xCC\xA3") == std::optional<std::string>("\xE1\xBB\x87"));
    // Already composed text and ASCII are unchanged.
    CHECK(to_nfc("Nguyễn Thị Thủy") == std::optional<std::string>("Nguyễn Thị Thủy"));
    CHECK(to_nfc("plain ascii") == std::optional<std::string>("plain ascii"));
    CHECK(to_nfc("") == std::optional<std::string>(""));
    CHECK(to_nfc("a\0b"s) == std::optional<std::string>("a\0b"s));
    CHECK(to_nfc("Ho\xCC\x80\0a"s) == std::optional<std::string>("H\xC3\xB2\0a"s));
    CHECK_FALSE(to_nfc("\xC0\xAF").has_value());
    CHECK_FALSE(to_nfc("Ho\xCC").has_value());
    CHECK_FALSE(to_nfc("\xED\xA0\x80").has_value());
}

TEST_CASE("trim removes Unicode white space at both ends only") {
    struct {
        const char* name;
        std::string in;
        std::string_view out;
    } const cases[] = {
        {"nothing to trim", "Hà Nội", "Hà Nội"},
        {"ascii spaces", "  Hà Nội  ", "Hà Nội"},
        {"tabs and newlines", "\t\r\n Hà Nội \n\t", "Hà Nội"},
        {"vertical tab and form feed", "\v\fx\f\v", "x"},
        {"no-break space U+00A0", "\xC2\xA0Hà Nội\xC2\xA0", "Hà Nội"},
        {"ideographic space U+3000", "\xE3\x80\x80Hà Nội\xE3\x80\x80", "Hà Nội"},
        {"zero-width space U+200B", "\xE2\x80\x8BHà Nội\xE2\x80\x8B", "Hà Nội"},
        {"byte-order mark U+FEFF", "\xEF\xBB\xBFHà Nội\xEF\xBB\xBF", "Hà Nội"},
        {"em space U+2003", "\xE2\x80\x83x\xE2\x80\x83", "x"},
        {"line separator U+2028", "\xE2\x80\xA8x\xE2\x80\xA9", "x"},
        {"mixed", " \xC2\xA0\xE2\x80\x8B\t x y \xE3\x80\x80\xEF\xBB\xBF", "x y"},
        {"inner white space kept", "a \xC2\xA0 b", "a \xC2\xA0 b"},
        {"only white space", " \xC2\xA0\xE3\x80\x80\xE2\x80\x8B ", ""},
        {"empty", "", ""},
        {"trailing multibyte letter", "  Thủy", "Thủy"},
        {"combining mark at the end kept", "o\xCC\x80 ", "o\xCC\x80"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        CHECK(trim(c.in) == c.out);
    }
}

TEST_CASE("trim does not read outside invalid input") {
    // A precondition violation, but it must stay memory-safe.
    CHECK(trim("\x80\x80\x80\x80") == "\x80\x80\x80\x80");
    CHECK(trim(" a\xE1\xBA") == "a\xE1\xBA");
}

TEST_CASE("count_code_points counts code points, not bytes") {
    CHECK(count_code_points("") == 0);
    CHECK(count_code_points("abc") == 3);
    CHECK(count_code_points("Trẻ em") == 6);
    CHECK(std::string_view("Trẻ em").size() == 8);
    CHECK(count_code_points("Nguyễn") == 6);
    CHECK(count_code_points("\xF0\x9F\x98\x80") == 1);
    CHECK(count_code_points("Ho\xCC\x80" "a") == 4);  // decomposed: the mark counts
}

TEST_CASE("clean_text trims, normalises and strips control characters") {
    struct {
        const char* name;
        std::string in;
        std::string out;
    } const cases[] = {
        {"already clean", "Em bé bị đánh", "Em bé bị đánh"},
        {"trimmed", " \xC2\xA0" "Em bé\xE3\x80\x80\n", "Em bé"},
        {"NFC", "Ho\xCC\x80" "a Thu\xCC\x89y", "Hòa Thủy"},
        {"CRLF to LF", "dòng 1\r\ndòng 2\r\ndòng 3", "dòng 1\ndòng 2\ndòng 3"},
        {"lone CR to LF", "a\rb\r\rc", "a\nb\n\nc"},
        {"CR CR LF", "a\r\r\nb", "a\n\nb"},
        {"tab and LF kept", "a\tb\nc", "a\tb\nc"},
        {"C0 controls removed", "a\x01" "b\x07" "c\x1B" "d", "abcd"},
        {"NUL removed", "a\0b"s, "ab"},
        {"DEL removed", "a\x7F" "b", "ab"},
        {"C1 control removed", "a\xC2\x85" "b\xC2\x9F" "c", "abc"},
        {"VT and FF removed inside", "a\vb\fc", "abc"},
        {"control between letter and mark", "o\x01\xCC\x80", "\xC3\xB2"},
        {"leading control then space", "\x01 x", "x"},
        {"only white space and controls", " \x01\r\n\t\xE2\x80\x8B ", ""},
        {"zero-width joiner inside kept", "a\xE2\x80\x8D" "b", "a\xE2\x80\x8D" "b"},
        {"empty", "", ""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        const auto got = clean_text(c.in);
        REQUIRE(got.has_value());
        CHECK(*got == c.out);
    }
}

TEST_CASE("clean_text refuses invalid UTF-8") {
    for (const std::string& bad : {"\xC0\xAF"s, "\xED\xA0\x80"s, "\xF5\x80\x80\x80"s,
                                  "ok \xE1\xBA"s, "\xFF"s, "  \x80  "s}) {
        CAPTURE(bad);
        CHECK_FALSE(clean_text(bad).has_value());
    }
}

// to_nfc skips utf8proc for text made only of code points below U+0300 and
// in U+1E00-U+1EFF. That shortcut is right only if every such code point is
// NFC alone and no pair of them composes or reorders; check all of them
// against utf8proc itself.
TEST_CASE("the NFC shortcut's code points are stable alone and in every pair") {
    std::vector<std::string> stable;
    const auto add = [&](std::int32_t lo, std::int32_t hi) {
        for (std::int32_t cp = lo; cp <= hi; ++cp) {
            utf8proc_uint8_t buf[4];
            const auto n = utf8proc_encode_char(cp, buf);
            stable.emplace_back(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
        }
    };
    add(0x20, 0x2FF);
    add(0x1E00, 0x1EFF);
    const auto nfc = [](const std::string& s) {
        utf8proc_uint8_t* out = nullptr;
        const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                    static_cast<utf8proc_ssize_t>(s.size()), &out,
                                    static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
        std::string r = n >= 0 ? std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n)) : "";
        std::free(out);
        return r;
    };
    std::size_t unstable = 0;
    for (const auto& a : stable) {
        if (nfc(a) != a) ++unstable;
        for (const auto& b : stable)
            if (nfc(a + b) != a + b) ++unstable;
    }
    CHECK(unstable == 0);
    // And the shortcut is taken for such text and gives the same answer.
    const std::string vietnamese = "Cháu bé bị bố dượng đánh, hiện đang ở nhà bà ngoại ở Hữu Lũng";
    CHECK(hotline::intake::to_nfc(vietnamese) == nfc(vietnamese));
}
