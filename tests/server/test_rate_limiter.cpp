#include "server/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace hotline;
using namespace hotline::server;
using namespace std::chrono_literals;

namespace {

const time_point start = from_unix_ms(1'751'328'000'000);

// How many try_take calls succeed in a row right now.
int drain(rate_limiter& rl, const std::string& key, int at_most = 10'000) {
    int n = 0;
    while (n < at_most && rl.try_take(key)) ++n;
    return n;
}

}  // namespace

TEST_CASE("rate_limiter: a burst up to the limit, then refused") {
    manual_clock clock(start);
    rate_limiter rl(5, 60s, clock);
    for (int i = 0; i < 5; ++i) {
        CAPTURE(i);
        CHECK(rl.allowed("10.0.0.1"));
        CHECK(rl.try_take("10.0.0.1"));
    }
    CHECK_FALSE(rl.allowed("10.0.0.1"));
    CHECK_FALSE(rl.try_take("10.0.0.1"));
    CHECK_FALSE(rl.try_take("10.0.0.1"));
}

TEST_CASE("rate_limiter: tokens come back continuously over the window") {
    manual_clock clock(start);
    rate_limiter rl(6, 60s, clock);  // one token per 10 s
    CHECK(drain(rl, "a") == 6);

    clock.advance(9s);
    CHECK_FALSE(rl.try_take("a"));
    clock.advance(1s + 1ms);  // 10 s since the drain (the refused try took nothing)
    CHECK(rl.try_take("a"));
    CHECK_FALSE(rl.try_take("a"));

    clock.advance(25s);  // two and a half tokens
    CHECK(drain(rl, "a") == 2);

    clock.advance(1h);  // never more than the limit
    CHECK(drain(rl, "a") == 6);
}

TEST_CASE("rate_limiter: a refused attempt takes nothing") {
    manual_clock clock(start);
    rate_limiter rl(2, 20s, clock);  // one token per 10 s
    CHECK(drain(rl, "a") == 2);
    for (int i = 0; i < 100; ++i) {
        clock.advance(50ms);
        CHECK_FALSE(rl.try_take("a"));
    }
    clock.advance(5s + 1ms);  // 10 s since the drain
    CHECK(rl.try_take("a"));
}

TEST_CASE("rate_limiter: keys are independent") {
    manual_clock clock(start);
    rate_limiter rl(3, 60s, clock);
    CHECK(drain(rl, "192.0.2.1") == 3);
    CHECK_FALSE(rl.allowed("192.0.2.1"));
    CHECK(rl.allowed("192.0.2.2"));
    CHECK(drain(rl, "192.0.2.2") == 3);
    CHECK(drain(rl, "2001:db8::1") == 3);
    CHECK(rl.retry_after_seconds("192.0.2.3") == 0);
    CHECK(drain(rl, "192.0.2.3") == 3);
}

TEST_CASE("rate_limiter: a limit of 0 (or below) is unlimited") {
    manual_clock clock(start);
    for (int limit : {0, -1}) {
        CAPTURE(limit);
        rate_limiter rl(limit, 60s, clock);
        for (int i = 0; i < 1000; ++i) REQUIRE(rl.try_take("a"));
        CHECK(rl.allowed("a"));
        CHECK(rl.retry_after_seconds("a") == 0);
    }
}

TEST_CASE("rate_limiter: allowed() does not take a token") {
    manual_clock clock(start);
    rate_limiter rl(2, 60s, clock);
    for (int i = 0; i < 100; ++i) REQUIRE(rl.allowed("a"));
    CHECK(rl.try_take("a"));
    for (int i = 0; i < 100; ++i) REQUIRE(rl.allowed("a"));
    CHECK(rl.try_take("a"));
    CHECK_FALSE(rl.allowed("a"));
    CHECK(rl.retry_after_seconds("a") > 0);
    CHECK_FALSE(rl.allowed("a"));
}

TEST_CASE("rate_limiter: retry_after_seconds says when a token is back") {
    manual_clock clock(start);
    rate_limiter rl(3, 60s, clock);  // one token per 20 s
    CHECK(rl.retry_after_seconds("a") == 0);
    CHECK(drain(rl, "a") == 3);
    CHECK(rl.retry_after_seconds("a") == 20);
    clock.advance(10s);
    CHECK(rl.retry_after_seconds("a") == 10);
    clock.advance(9s + 500ms);
    CHECK(rl.retry_after_seconds("a") == 1);  // rounded up
    CHECK_FALSE(rl.allowed("a"));
    clock.advance(500ms);
    CHECK(rl.retry_after_seconds("a") == 0);
    CHECK(rl.try_take("a"));
    // retry_after_seconds itself takes nothing.
    CHECK(rl.retry_after_seconds("a") == 20);
    CHECK(rl.retry_after_seconds("a") == 20);
}

TEST_CASE("rate_limiter: waiting exactly retry_after_seconds is always enough") {
    // A client that honours Retry-After must not be refused again.
    struct {
        int limit;
        std::chrono::milliseconds window;
    } const cases[] = {
        {1, 60s}, {3, 60s}, {7, 60s}, {30, 60s}, {20, 1h}, {13, 1h}, {1000, 60s}, {3, 10s}, {11, 7s},
    };
    for (const auto& t : cases) {
        CAPTURE(t.limit);
        CAPTURE(t.window.count());
        manual_clock clock(start);
        rate_limiter rl(t.limit, t.window, clock);
        for (int round = 0; round < 20; ++round) {
            CAPTURE(round);
            drain(rl, "k");
            const int wait = rl.retry_after_seconds("k");
            REQUIRE(wait > 0);
            clock.advance(std::chrono::seconds(wait));
            CHECK(rl.allowed("k"));
            CHECK(rl.try_take("k"));
            // Odd offsets so that rounds do not all start on whole seconds.
            clock.advance(std::chrono::milliseconds(137 * round));
        }
    }
}

TEST_CASE("rate_limiter: a key that was idle for a long time starts with a full bucket") {
    manual_clock clock(start);
    rate_limiter rl(4, 60s, clock);
    CHECK(drain(rl, "old") == 4);
    // Many other keys come and go; the idle one is pruned or refilled, either way full.
    for (int i = 0; i < 100; ++i) {
        clock.advance(2s);
        REQUIRE(rl.try_take("other-" + std::to_string(i)));
    }
    CHECK(drain(rl, "old") == 4);
}
