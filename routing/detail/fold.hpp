#pragma once
// Word splitting and folding for place names, shared by the unit catalog
// (its name index and type-ahead) and the locator. Internal to routing/.
//
// Each word of a text gets two forms:
// - folded: lower case ASCII, diacritics removed, đ -> d, leading zeros of a
//   number dropped ("Hoà" and "Hòa" -> "hoa", "01" -> "1");
// - accent key: lower case with the vowel marks kept (â ă ê ô ơ ư đ) and the
//   tone moved to the end as a digit, so that both tone placements give the
//   same key ("hoà", "hòa" -> "hoa1") while Lăng and Lang stay apart.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hotline::routing::detail {

// What separates a word from the one before it.
enum class gap : std::uint8_t {
    none,    // nothing: "p1" is "p" then "1"
    space,   // white space, an apostrophe or a quote
    dash,    // a hyphen or dash: inside some names ("Bà Rịa - Vũng Tàu"), between parts of others
    dot,     // a full stop, possibly with spaces ("P. Chi Lăng", "tp.hcm")
    clause,  // , ; : ! ? ( ) / or a line end: a new part of the text
};

struct word {
    std::uint32_t begin = 0;  // byte range in the text
    std::uint32_t end = 0;
    gap before = gap::clause;  // the first word starts a clause
    bool digits = false;       // an ASCII digit run
    bool marked = false;       // written with at least one diacritic (or đ)
};

struct word_list {
    std::vector<word> words;
    std::string folded;
    std::string accent;
    std::vector<std::uint32_t> fold_off{0};
    std::vector<std::uint32_t> acc_off{0};

    std::size_t size() const noexcept { return words.size(); }
    std::string_view fold(std::size_t i) const noexcept {
        return std::string_view(folded).substr(fold_off[i], fold_off[i + 1] - fold_off[i]);
    }
    std::string_view acc(std::size_t i) const noexcept {
        return std::string_view(accent).substr(acc_off[i], acc_off[i + 1] - acc_off[i]);
    }
    void clear() noexcept {
        words.clear();
        folded.clear();
        accent.clear();
        fold_off.assign(1, 0);
        acc_off.assign(1, 0);
    }
};

// Splits `text` (any bytes; invalid UTF-8 counts as a separator) into words:
// runs of letters (an apostrophe between two letters joins them: "H'Leo" is
// one word) and runs of ASCII digits. Appends to `out` after clearing it.
void split_words(std::string_view text, word_list& out);

// The folded words of `text` joined by single spaces: "Phường  Hoà-Bình" ->
// "phuong hoa binh".
std::string fold_text(std::string_view text);

}  // namespace hotline::routing::detail
