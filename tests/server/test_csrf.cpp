#include "server/csrf.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include <sodium.h>

using namespace hotline;
using namespace hotline::server;
using namespace std::chrono_literals;

namespace {

intake::secret_key key_of(std::uint8_t fill) {
    intake::secret_key k;
    k.fill(fill);
    return k;
}

// 2025-07-01T00:00:00Z plus a few milliseconds so that sub-second truncation is exercised.
const time_point start = from_unix_ms(1'751'328'000'123);

constexpr std::string_view cookie = "0123456789abcdef0123456789abcdef";
constexpr std::string_view other_cookie = "fedcba9876543210fedcba9876543210";

}  // namespace

TEST_CASE("csrf: a token made for a cookie verifies with that cookie") {
    const csrf_guard guard(key_of(7), 24h);
    manual_clock clock(start);
    const std::string token = guard.token_for(cookie, clock.now());
    CHECK(guard.check(cookie, token, clock.now()));
    clock.advance(1h);
    CHECK(guard.check(cookie, token, clock.now()));
}

TEST_CASE("csrf: a token does not verify with another cookie") {
    const csrf_guard guard(key_of(7), 24h);
    const std::string token = guard.token_for(cookie, start);
    CHECK_FALSE(guard.check(other_cookie, token, start));
    CHECK_FALSE(guard.check(cookie.substr(1), token, start));
    CHECK_FALSE(guard.check(std::string(cookie) + "0", token, start));
    CHECK_FALSE(guard.check("", token, start));
    // A token made for an empty cookie is no use either.
    CHECK_FALSE(guard.check("", guard.token_for("", start), start));
}

TEST_CASE("csrf: a token made with another key does not verify") {
    const csrf_guard guard(key_of(7), 24h);
    const csrf_guard other(key_of(8), 24h);
    CHECK_FALSE(guard.check(cookie, other.token_for(cookie, start), start));
    CHECK(other.check(cookie, other.token_for(cookie, start), start));
}

TEST_CASE("csrf: a tampered token does not verify") {
    const csrf_guard guard(key_of(7), 24h);
    const std::string token = guard.token_for(cookie, start);
    const auto dot = token.find('.');
    REQUIRE(dot != std::string::npos);
    const std::string issued = token.substr(0, dot);
    const std::string mac = token.substr(dot + 1);
    REQUIRE_FALSE(mac.empty());

    SUBCASE("each character of the MAC changed") {
        for (std::size_t i = 0; i < mac.size(); ++i) {
            CAPTURE(i);
            std::string t = token;
            char& c = t[dot + 1 + i];
            c = c == 'a' ? 'b' : 'a';
            CHECK_FALSE(guard.check(cookie, t, start));
        }
    }
    SUBCASE("the issue time changed, made older or newer") {
        const long long s = std::stoll(issued);
        for (long long delta : {-1LL, 1LL, -3600LL}) {
            CAPTURE(delta);
            CHECK_FALSE(guard.check(cookie, std::to_string(s + delta) + "." + mac, start));
        }
        CHECK_FALSE(guard.check(cookie, "0" + issued + "." + mac, start));
    }
    SUBCASE("malformed tokens") {
        const std::string cases[] = {
            "",
            ".",
            issued,
            issued + ".",
            "." + mac,
            mac,
            issued + "." + mac.substr(1),
            issued + "." + mac + "0",
            issued + "." + mac + ".",
            "x" + issued + "." + mac,
            issued + "x." + mac,
            "+" + issued + "." + mac,
            " " + token,
            token + " ",
        };
        for (const auto& t : cases) {
            CAPTURE(t);
            CHECK_FALSE(guard.check(cookie, t, start));
        }
    }
    SUBCASE("absurd issue times are refused without overflow") {
        for (const std::string issued_s : {"-9223372036854775808", "9223372036854775807", "-1", "0",
                                     "99999999999999999999999"}) {
            CAPTURE(issued_s);
            CHECK_FALSE(guard.check(cookie, std::string(issued_s) + "." + mac, start));
        }
    }
}

TEST_CASE("csrf: a token expires after max_age") {
    const csrf_guard guard(key_of(7), 2h);
    manual_clock clock(from_unix_ms(1'751'328'000'000));  // on a whole second
    const std::string token = guard.token_for(cookie, clock.now());
    clock.advance(2h);
    CHECK(guard.check(cookie, token, clock.now()));
    clock.advance(999ms);
    CHECK(guard.check(cookie, token, clock.now()));
    clock.advance(1ms);
    CHECK_FALSE(guard.check(cookie, token, clock.now()));
    clock.advance(24h);
    CHECK_FALSE(guard.check(cookie, token, clock.now()));
}

TEST_CASE("csrf: a token from the future is allowed a minute of clock skew, no more") {
    const csrf_guard guard(key_of(7), 24h);
    manual_clock clock(from_unix_ms(1'751'328'000'000));
    const auto now = clock.now();
    CHECK(guard.check(cookie, guard.token_for(cookie, now + 1s), now));
    CHECK(guard.check(cookie, guard.token_for(cookie, now + 60s), now));
    CHECK_FALSE(guard.check(cookie, guard.token_for(cookie, now + 61s), now));
    CHECK_FALSE(guard.check(cookie, guard.token_for(cookie, now + 1h), now));
    // The same future token becomes good once the clock catches up.
    const std::string later = guard.token_for(cookie, now + 1h);
    clock.advance(1h);
    CHECK(guard.check(cookie, later, clock.now()));
}

TEST_CASE("csrf: tokens differ per cookie and per issue time") {
    const csrf_guard guard(key_of(7), 24h);
    const std::string a = guard.token_for(cookie, start);
    CHECK(a == guard.token_for(cookie, start));
    CHECK(a != guard.token_for(other_cookie, start));
    CHECK(a != guard.token_for(cookie, start + 1s));
}

TEST_CASE("csrf: new_cookie is 32 random hex characters") {
    REQUIRE(sodium_init() >= 0);
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        const std::string c = csrf_guard::new_cookie();
        CHECK(c.size() == 32);
        CHECK(c.find_first_not_of("0123456789abcdef") == std::string::npos);
        seen.insert(c);
    }
    CHECK(seen.size() == 50);
}

TEST_CASE("csrf: cookie_value finds a cookie in a Cookie header") {
    struct {
        std::string header;
        std::string name;
        std::optional<std::string> value;
    } const cases[] = {
        {"hl_csrf=abc", "hl_csrf", "abc"},
        {"hl_csrf=abc; lang=vi", "hl_csrf", "abc"},
        {"lang=vi; hl_csrf=abc", "hl_csrf", "abc"},
        {"lang=vi;hl_csrf=abc", "hl_csrf", "abc"},
        {"a=1;  hl_csrf=abc; b=2", "hl_csrf", "abc"},
        {"lang=vi; hl_csrf=abc", "lang", "vi"},
        {"hl_csrf=", "hl_csrf", ""},
        {"hl_csrf=a=b", "hl_csrf", "a=b"},
        {"hl_csrf=first; hl_csrf=second", "hl_csrf", "first"},
        {"", "hl_csrf", std::nullopt},
        {"lang=vi", "hl_csrf", std::nullopt},
        {"xhl_csrf=abc", "hl_csrf", std::nullopt},
        {"hl_csrfx=abc", "hl_csrf", std::nullopt},
        {"HL_CSRF=abc", "hl_csrf", std::nullopt},
        {"hl_csrf", "hl_csrf", std::nullopt},
        {"lang=hl_csrf=abc", "hl_csrf", std::nullopt},
        {";;; ", "hl_csrf", std::nullopt},
    };
    for (const auto& t : cases) {
        CAPTURE(t.header);
        CAPTURE(t.name);
        CHECK(csrf_guard::cookie_value(t.header, t.name) == t.value);
    }
    CHECK(csrf_cookie_name == "hl_csrf");
}
