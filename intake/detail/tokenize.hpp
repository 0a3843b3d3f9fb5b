#pragma once
// Tokenisation for the classifier: any bytes in, a list of tokens out, each
// with its original byte range, its accented form (NFC, lower case) and its
// folded form (diacritics removed, đ -> d). Internal to intake/.

#include <cstdint>
#include <memory>
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

// Bytes written by the tokenizer. Unlike std::string, appending does not
// check the capacity and rewrite a terminator per byte: a writer reserves
// room first (reserve_more), writes through a pointer and commits the end.
// Once anything was reserved, 8 initialised bytes follow the capacity, so
// an 8-byte load starting anywhere before size() stays inside the
// allocation (the classifier's vocabulary lookup reads tokens that way).
class byte_buffer {
public:
    byte_buffer() = default;
    byte_buffer(byte_buffer&&) noexcept = default;
    byte_buffer& operator=(byte_buffer&&) noexcept = default;

    std::size_t size() const noexcept { return size_; }
    const char* data() const noexcept { return data_.get(); }
    std::string_view view(std::size_t begin, std::size_t end) const noexcept {
        return {data_.get() + begin, end - begin};
    }
    void clear() noexcept { size_ = 0; }
    // Makes room for `n` more bytes; end() stays valid until the next call.
    void reserve_more(std::size_t n) {
        if (cap_ - size_ < n) grow(size_ + n);
    }
    char* end() noexcept { return data_.get() + size_; }
    // `e` is end() plus the number of bytes written since (within the room made).
    void set_end(char* e) noexcept { size_ = static_cast<std::size_t>(e - data_.get()); }
    void truncate(std::size_t n) noexcept { size_ = n; }
    char operator[](std::size_t i) const noexcept { return data_[i]; }

private:
    static constexpr std::size_t pad_bytes = 8;  // after the capacity, see above
    void grow(std::size_t need);
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
};

// Splits `text` (any bytes; invalid UTF-8 is read as separators) into letter
// runs and ASCII digit runs. For each token appends its accented form and its
// folded form to `accented` / `folded`, recording the offsets in `acc_off` /
// `fold_off` (one more entry than tokens: a prefix-offset table).
struct token_buffer {
    std::vector<token> tokens;
    // The whole text was valid UTF-8 (what is_valid_utf8 says): the
    // tokenizer decodes every byte anyway, so it tells for free.
    bool valid_utf8 = true;
    byte_buffer accented;
    byte_buffer folded;
    std::vector<std::uint32_t> acc_off;
    std::vector<std::uint32_t> fold_off;

    std::string_view acc(std::size_t i) const { return accented.view(acc_off[i], acc_off[i + 1]); }
    std::string_view fold(std::size_t i) const { return folded.view(fold_off[i], fold_off[i + 1]); }
    void clear() {
        tokens.clear();
        valid_utf8 = true;
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
