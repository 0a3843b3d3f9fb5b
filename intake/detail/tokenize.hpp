#pragma once
// Tokenisation for the classifier: any bytes in, a list of tokens out, each
// with its original byte range, its accented form (NFC, lower case) and its
// folded form (diacritics removed, đ -> d). Internal to intake/.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hotline::intake::detail {

struct token {
    std::uint32_t begin = 0;   // byte range in the original text
    std::uint32_t end = 0;
    bool boundary_before = false;  // clause punctuation (, . ; : ! ? newline) between this and the previous token
    bool digits = false;           // an ASCII digit run
    bool ascii = true;             // the original was plain ASCII (no diacritics)
};

// Splits `text` (any bytes; invalid UTF-8 is read as separators) into letter
// runs and ASCII digit runs. For each token appends its accented form and its
// folded form to `accented` / `folded`, recording the offsets in `acc_off` /
// `fold_off` (one more entry than tokens: a prefix-offset table).
struct token_buffer {
    std::vector<token> tokens;
    std::string accented;
    std::string folded;
    std::vector<std::uint32_t> acc_off;
    std::vector<std::uint32_t> fold_off;

    std::string_view acc(std::size_t i) const {
        return std::string_view(accented).substr(acc_off[i], acc_off[i + 1] - acc_off[i]);
    }
    std::string_view fold(std::size_t i) const {
        return std::string_view(folded).substr(fold_off[i], fold_off[i + 1] - fold_off[i]);
    }
    void clear() {
        tokens.clear();
        accented.clear();
        folded.clear();
        acc_off.clear();
        fold_off.clear();
    }
};

void tokenize(std::string_view text, token_buffer& out);

// `s` with invalid UTF-8 sequences replaced by U+FFFD (for evidence strings).
std::string sanitize_utf8(std::string_view s);

}  // namespace hotline::intake::detail
