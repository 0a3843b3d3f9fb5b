#include "intake/text.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
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

bool is_continuation(unsigned char b) noexcept { return (b & 0xC0) == 0x80; }

// Eight bytes at a time for the ASCII stretches that make up most of what
// people type (all of it when typed without diacritics).
constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t highs = 0x8080808080808080ull;

std::uint64_t load8(const char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
}

// True when every byte of `w` is ASCII.
bool all_ascii(std::uint64_t w) noexcept { return (w & highs) == 0; }

// True when every byte of `w` is printable ASCII (0x20..0x7E). Below 0x20:
// the classic exact "has a byte less than n" test; 0x7F and up: adding one
// sets the high bit of 0x7F, and bytes from 0x80 have it already (a carry out
// of 0xFF only happens in a word that is flagged anyway).
bool all_printable_ascii(std::uint64_t w) noexcept {
    const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
    const std::uint64_t del_or_more = ((w + ones) | w) & highs;
    return (below_space | del_or_more) == 0;
}

// Decodes the code point at the start of the non-empty `s`, or fails.
//
// Strict UTF-8 (RFC 3629): no overlong forms (C0, C1 and short E0/F0
// sequences), no surrogates (ED A0..BF), nothing above U+10FFFF (F4 90.. and
// F5..FF), no truncated sequence. Written out rather than delegated to
// utf8proc_iterate because older utf8proc releases accepted some of these,
// and because this sits on the path of every byte a person sends.
inline std::optional<decoded> decode_first(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    const unsigned char b0 = p[0];
    if (b0 < 0x80)
        return decoded{b0, 1};
    if (b0 < 0xC2)
        return std::nullopt;  // a stray continuation byte, or an overlong 2-byte lead
    if (b0 < 0xE0) {
        if (n < 2 || !is_continuation(p[1]))
            return std::nullopt;
        return decoded{((b0 & 0x1F) << 6) | (p[1] & 0x3F), 2};
    }
    if (b0 < 0xF0) {
        if (n < 3 || !is_continuation(p[1]) || !is_continuation(p[2]))
            return std::nullopt;
        const std::int32_t cp = ((b0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
            return std::nullopt;
        return decoded{cp, 3};
    }
    if (b0 < 0xF5) {
        if (n < 4 || !is_continuation(p[1]) || !is_continuation(p[2]) || !is_continuation(p[3]))
            return std::nullopt;
        const std::int32_t cp =
            ((b0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        if (cp < 0x10000 || cp > 0x10FFFF)
            return std::nullopt;
        return decoded{cp, 4};
    }
    return std::nullopt;
}


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

// Code points that are NFC on their own and never take part in a canonical
// composition or reordering: everything below the combining diacritics block
// (U+0300) and Latin Extended Additional (U+1E00-U+1EFF), which holds the
// precomposed Vietnamese letters (ạ, ế, ữ, ...). A string made only of these
// is already NFC, so the common case of Vietnamese typed on a phone skips
// utf8proc entirely. tests/intake/test_text.cpp checks every pair.
bool is_nfc_stable(std::int32_t cp) noexcept { return cp < 0x300 || (cp >= 0x1E00 && cp <= 0x1EFF); }

// `s` must be valid UTF-8.
bool is_nfc_stable(std::string_view s) noexcept {
    while (!s.empty()) {
        if (s.size() >= 8 && all_ascii(load8(s.data()))) {
            s.remove_prefix(8);
            continue;
        }
        if (static_cast<unsigned char>(s.front()) < 0x80) {
            s.remove_prefix(1);
            continue;
        }
        const auto d = decode_first(s);
        if (!d || !is_nfc_stable(d->cp))
            return false;
        s.remove_prefix(d->len);
    }
    return true;
}

struct free_deleter {
    void operator()(utf8proc_uint8_t* p) const noexcept { std::free(p); }
};

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
    while (!s.empty()) {
        if (s.size() >= 8 && all_ascii(load8(s.data()))) {
            s.remove_prefix(8);
            continue;
        }
        if (static_cast<unsigned char>(s.front()) < 0x80) {  // ASCII needs no decoding
            s.remove_prefix(1);
            continue;
        }
        const auto d = decode_first(s);
        if (!d)
            return false;
        s.remove_prefix(d->len);
    }
    return true;
}

namespace {

// NFC of valid UTF-8 `s` through utf8proc.
std::string nfc_of_valid(std::string_view s) {
    utf8proc_uint8_t* raw = nullptr;
    const utf8proc_ssize_t n = utf8proc_map(
        reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
        static_cast<utf8proc_ssize_t>(s.size()), &raw,
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    const std::unique_ptr<utf8proc_uint8_t, free_deleter> owned(raw);
    // The input is valid and bounded by the callers' limits, so the only
    // failure left is running out of memory.
    if (n < 0)
        throw std::bad_alloc();
    return std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(n));
}

}  // namespace

std::optional<std::string> to_nfc(std::string_view s) {
    if (!is_valid_utf8(s))
        return std::nullopt;
    if (is_nfc_stable(s))
        return std::string(s);
    return nfc_of_valid(s);
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
    // Every byte but the continuation bytes (10xxxxxx) starts a code point.
    std::size_t continuations = 0;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        const std::uint64_t w = load8(s.data() + i);
        // One flag bit per continuation byte, moved to the bottom of its
        // byte; the multiplication sums the eight bytes into the top one.
        const std::uint64_t flags = (w & ~(w << 1) & highs) >> 7;
        continuations += static_cast<std::size_t>((flags * ones) >> 56);
    }
    for (; i < s.size(); ++i)
        if (is_continuation(static_cast<unsigned char>(s[i])))
            ++continuations;
    return s.size() - continuations;
}

std::optional<std::string> clean_text(std::string_view s) {
    // One pass validates, drops control characters and turns CR and CRLF into
    // LF, copying runs of kept bytes at once; it also notes whether anything
    // could change under NFC. Control characters go before NFC so that one
    // sitting between a letter and its combining mark does not block the
    // composition, and before trimming so that trimming sees what remains.
    std::string plain;
    plain.reserve(s.size());
    bool stable = true;
    std::size_t run = 0;  // start of the run of bytes kept as they are
    std::size_t i = 0;
    const auto keep_run_until = [&](std::size_t end) { plain.append(s.data() + run, end - run); };
    std::size_t ascii_seen = 0;  // printable ASCII bytes since the last other byte
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7F) {
            ++i;
            // Text typed without diacritics is long ASCII stretches: skip them
            // a word at a time. Vietnamese with diacritics rarely has eight
            // plain bytes in a row, so it does not pay for the word test.
            if (++ascii_seen >= 8)
                while (i + 8 <= s.size() && all_printable_ascii(load8(s.data() + i)))
                    i += 8;
            continue;
        }
        ascii_seen = 0;
        if (c < 0x80) {
            if (c == '\t' || c == '\n') {
                ++i;
                continue;
            }
            keep_run_until(i);
            if (c == '\r') {
                plain.push_back('\n');
                if (i + 1 < s.size() && s[i + 1] == '\n')
                    ++i;
            }
            run = ++i;
            continue;
        }
        const auto d = decode_first(s.substr(i));
        if (!d)
            return std::nullopt;
        if (is_removed_control(d->cp)) {  // C1 controls
            keep_run_until(i);
            run = i += d->len;
            continue;
        }
        stable = stable && is_nfc_stable(d->cp);
        i += d->len;
    }
    keep_run_until(i);

    std::string nfc = stable ? std::move(plain) : nfc_of_valid(plain);
    const std::string_view trimmed = trim(nfc);
    if (trimmed.size() == nfc.size())
        return nfc;
    return std::string(trimmed);
}

}  // namespace hotline::intake
