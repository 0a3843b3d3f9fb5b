#pragma once
// CSRF protection for the citizen forms (double-submit, signed).
//
// The browser holds a random session cookie (`hl_csrf`, HttpOnly,
// SameSite=Strict, no expiry: it goes when the browser closes). Each form
// carries a token = issue time + keyed BLAKE2b MAC of (cookie, issue time).
// A post is accepted only with the cookie and a token made for that cookie,
// younger than `max_age`. A forged cross-site post has neither.
//
// Thread-safe: const members only.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "intake/clock.hpp"
#include "intake/tracking_code.hpp"

namespace hotline::server {

inline constexpr std::string_view csrf_cookie_name = "hl_csrf";

class csrf_guard {
public:
    csrf_guard(const intake::secret_key& key, std::chrono::seconds max_age);

    // A fresh random cookie value (32 hex characters).
    static std::string new_cookie();
    // The form token for `cookie` issued at `now`.
    std::string token_for(std::string_view cookie, time_point now) const;
    // True when `token` was made for `cookie` and is not older than max_age.
    bool check(std::string_view cookie, std::string_view token, time_point now) const;

    // The value of cookie `name` in a Cookie header, if present.
    static std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

private:
    std::string mac(std::string_view cookie, std::string_view issued) const;
    intake::secret_key key_;
    std::chrono::seconds max_age_;
};

}  // namespace hotline::server
