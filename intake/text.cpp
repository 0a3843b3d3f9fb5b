#include "intake/text.hpp"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>

#include <utf8proc.h>

namespace hotline::intake {

namespace {

// One decoded code point and the number of bytes it took.
struct decoded {
    std::int32_t cp;
    std::size_t len;
};

// The number of bytes in the shortest encoding of `cp`.
constexpr std::size_t encoded_length(std::int32_t cp) noexcept {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

// Decodes the code point at the start of the non-empty `s`, or fails.
//
// utf8proc_iterate is strict in current releases, but older ones accepted
// overlong forms and surrogates. Rather than depend on the installed version,
// the result is checked again: the value must be a Unicode scalar value
// (utf8proc_codepoint_valid rejects surrogates and anything above U+10FFFF)
// and the byte count must be the shortest encoding (rejects overlongs).
std::optional<decoded> decode_first(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    if (static_cast<unsigned char>(s.front()) < 0x80)
        return decoded{static_cast<unsigned char>(s.front()), 1};
    utf8proc_int32_t cp = -1;
    const utf8proc_ssize_t n =
        utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(s.size() < 4 ? s.size() : 4), &cp);
    if (n <= 0 || cp < 0 || !utf8proc_codepoint_valid(cp))
        return std::nullopt;
    if (static_cast<std::size_t>(n) != encoded_length(cp))
        return std::nullopt;
    return decoded{cp, static_cast<std::size_t>(n)};
}

bool is_continuation(unsigned char b) noexcept { return (b & 0xC0) == 0x80; }

// White space for trimming: the Unicode White_Space property (Zs, Zl, Zp,
// TAB, LF, VT, FF, CR, NEL) plus the invisible characters that paste along
// with copied text and that a person cannot see at the ends of a field: the
// zero-width space, the word joiner and the byte-order mark.
bool is_trim_space(std::int32_t cp) noexcept {
    switch (cp) {
    case '\t': case '\n': case '\v': case '\f': case '\r':
    case 0x85: case 0x200B: case 0x2060: case 0xFEFF:
        return true;
    default:
        break;
    }
    if (cp < 0x80)
        return cp == ' ';
    const utf8proc_category_t cat = utf8proc_category(cp);
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
           cat == UTF8PROC_CATEGORY_ZP;
}

bool is_removed_control(std::int32_t cp) noexcept {
    if (cp == '\t' || cp == '\n')
        return false;
    // Cc is exactly C0, DEL and C1; checking the ranges avoids a table lookup.
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

bool is_ascii(std::string_view s) noexcept {
    for (const char c : s)
        if (static_cast<unsigned char>(c) >= 0x80)
            return false;
    return true;
}

struct free_deleter {
    void operator()(utf8proc_uint8_t* p) const noexcept { std::free(p); }
};

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
    while (!s.empty()) {
        const auto d = decode_first(s);
        if (!d)
            return false;
        s.remove_prefix(d->len);
    }
    return true;
}

std::optional<std::string> to_nfc(std::string_view s) {
    if (!is_valid_utf8(s))
        return std::nullopt;
    // ASCII is its own NFC: no ASCII character decomposes or composes.
    if (is_ascii(s))
        return std::string(s);

    utf8proc_uint8_t* raw = nullptr;
    const utf8proc_ssize_t n = utf8proc_map(
        reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
        static_cast<utf8proc_ssize_t>(s.size()), &raw,
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    const std::unique_ptr<utf8proc_uint8_t, free_deleter> owned(raw);
    if (n == UTF8PROC_ERROR_NOMEM)
        throw std::bad_alloc();
    if (n == UTF8PROC_ERROR_OVERFLOW)
        throw std::length_error("hotline::intake::to_nfc: input too long");
    if (n < 0)
        return std::nullopt;
    return std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(n));
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty()) {
        const auto d = decode_first(s);
        if (!d || !is_trim_space(d->cp))
            break;
        s.remove_prefix(d->len);
    }
    while (!s.empty()) {
        // Step back to the lead byte of the last code point. For invalid
        // input (a precondition violation) stop instead of reading outside.
        std::size_t start = s.size() - 1;
        while (start > 0 && s.size() - start < 4 &&
               is_continuation(static_cast<unsigned char>(s[start])))
            --start;
        const auto d = decode_first(s.substr(start));
        if (!d || start + d->len != s.size() || !is_trim_space(d->cp))
            break;
        s.remove_suffix(d->len);
    }
    return s;
}

std::size_t count_code_points(std::string_view s) noexcept {
    std::size_t n = 0;
    for (const char c : s)
        if (!is_continuation(static_cast<unsigned char>(c)))
            ++n;
    return n;
}

std::optional<std::string> clean_text(std::string_view s) {
    if (!is_valid_utf8(s))
        return std::nullopt;

    // Line ends and control characters first, so that NFC sees the final
    // sequence (a control character between a letter and its combining mark
    // would otherwise prevent composition) and trimming sees what remains.
    std::string plain;
    plain.reserve(s.size());
    while (!s.empty()) {
        const decoded d = *decode_first(s);
        if (d.cp == '\r') {
            plain.push_back('\n');
            if (s.size() > 1 && s[1] == '\n')
                s.remove_prefix(1);
        } else if (!is_removed_control(d.cp)) {
            plain.append(s.substr(0, d.len));
        }
        s.remove_prefix(d.len);
    }

    auto nfc = to_nfc(plain);
    if (!nfc)
        return std::nullopt;
    const std::string_view trimmed = trim(*nfc);
    if (trimmed.size() == nfc->size())
        return nfc;
    return std::string(trimmed);
}

}  // namespace hotline::intake
