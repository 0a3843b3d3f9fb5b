#include "server/csrf.hpp"

#include <sodium.h>

#include <charconv>
#include <fmt/format.h>

namespace hotline::server {

csrf_guard::csrf_guard(const intake::secret_key& key, std::chrono::seconds max_age)
    : key_(key), max_age_(max_age) {}

std::string csrf_guard::new_cookie() {
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    char hex[sizeof raw * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return hex;
}

std::string csrf_guard::mac(std::string_view cookie, std::string_view issued) const {
    const std::string input = fmt::format("{}.{}", cookie, issued);
    unsigned char out[16];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                       key_.data(), key_.size());
    char hex[sizeof out * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, out, sizeof out);
    return hex;
}

std::string csrf_guard::token_for(std::string_view cookie, time_point now) const {
    const auto issued = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    return issued + "." + mac(cookie, issued);
}

bool csrf_guard::check(std::string_view cookie, std::string_view token, time_point now) const {
    if (cookie.empty()) return false;
    const auto dot = token.find('.');
    if (dot == std::string_view::npos) return false;
    const std::string_view issued = token.substr(0, dot);
    const std::string_view given = token.substr(dot + 1);
    long long issued_s = 0;
    const auto [p, ec] = std::from_chars(issued.data(), issued.data() + issued.size(), issued_s);
    if (ec != std::errc{} || p != issued.data() + issued.size()) return false;
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    // A token from the future (clock skew) is allowed a minute's slack.
    // Compared without subtracting issued_s: it comes from the client and
    // may be anything a long long holds (now_s - issued_s could overflow).
    if (issued_s > now_s + 60 || issued_s < now_s - max_age_.count()) return false;
    const std::string expected = mac(cookie, issued);
    return given.size() == expected.size() && sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::optional<std::string> csrf_guard::cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const auto semi = header.find(';');
        std::string_view part = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        const auto eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        if (part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    }
    return std::nullopt;
}

}  // namespace hotline::server
