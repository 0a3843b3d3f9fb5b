#pragma once
// Unicode text helpers for everything a person typed.
//
// Pure functions without shared state, safe to call from any thread. Backed
// by utf8proc (Debian libutf8proc).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hotline::intake {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing
// above U+10FFFF, no truncated sequence).
bool is_valid_utf8(std::string_view s) noexcept;

// The NFC normal form of `s`; std::nullopt when `s` is not valid UTF-8.
std::optional<std::string> to_nfc(std::string_view s);

// `s` without leading and trailing Unicode white space (including U+00A0,
// U+3000 and the zero-width space U+200B). `s` must be valid UTF-8.
std::string_view trim(std::string_view s) noexcept;

// Number of code points in valid UTF-8 `s`.
std::size_t count_code_points(std::string_view s) noexcept;

// The clean form of one free-text input: trimmed, NFC, control characters
// other than TAB, LF and CR removed, CRLF and CR turned into LF. std::nullopt
// when `s` is not valid UTF-8.
std::optional<std::string> clean_text(std::string_view s);

}  // namespace hotline::intake
