#include "intake/clock.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace std::chrono;
using hotline::from_unix_ms;

TEST_CASE("started_clock starts at the given instant and runs at real speed") {
    const auto start = from_unix_ms(946684800000);  // 2000-01-01T00:00:00Z
    const auto before = steady_clock::now();
    const hotline::started_clock clock(start);
    const auto first = clock.now();
    const auto second = clock.now();
    const auto elapsed = duration_cast<milliseconds>(steady_clock::now() - before);
    CHECK(first >= start);
    CHECK(second >= first);
    // No further from the start than the real time that has passed.
    CHECK(second - start <= elapsed);
    // Not the wall clock.
    CHECK(duration_cast<hours>(abs(time_point_cast<milliseconds>(system_clock::now()) - first)) > hours(1));
}
