#include "routing/time.hpp"

#include <doctest/doctest.h>

using namespace std::chrono;
using hotline::from_unix_ms;

TEST_CASE("Vietnam time is UTC+7 all year") {
    // 2026-11-29T02:05:00.123Z
    const auto t = from_unix_ms(1795917900123);
    CHECK(hotline::routing::format_rfc3339_utc(t) == "2026-11-29T02:05:00.123Z");
    CHECK(hotline::routing::format_vietnam_datetime(t) == "29/11/2026 09:05");
}

TEST_CASE("local date rolls over at 17:00 UTC") {
    // 2026-12-31T17:30:00Z is already 1 January 2027 in Hanoi.
    const auto t = from_unix_ms(1798738200000);
    CHECK(hotline::routing::format_rfc3339_utc(t) == "2026-12-31T17:30:00.000Z");
    CHECK(hotline::routing::format_vietnam_datetime(t) == "01/01/2027 00:30");
}

TEST_CASE("mid-year has the same offset (no daylight saving)") {
    const auto t = from_unix_ms(1782864000000);  // 2026-07-01T00:00:00Z
    CHECK(hotline::routing::format_vietnam_datetime(t) == "01/07/2026 07:00");
}

TEST_CASE("epoch") {
    CHECK(hotline::routing::format_rfc3339_utc(from_unix_ms(0)) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("parse_rfc3339 reads UTC and offsets to the millisecond") {
    using hotline::routing::parse_rfc3339;
    CHECK(parse_rfc3339("2026-11-29T02:05:00.123Z") == from_unix_ms(1795917900123));
    CHECK(parse_rfc3339("2026-11-29T09:05:00.123+07:00") == from_unix_ms(1795917900123));
    CHECK(parse_rfc3339("2026-11-29t02:05:00z") == from_unix_ms(1795917900000));
    CHECK(parse_rfc3339("2026-11-29 02:05:00.1234567Z") == from_unix_ms(1795917900123));
    CHECK(parse_rfc3339("2026-11-28T21:05:00-05:00") == from_unix_ms(1795917900000));
    // A round trip through the formatter.
    CHECK(parse_rfc3339(hotline::routing::format_rfc3339_utc(from_unix_ms(1798738200000))) ==
          from_unix_ms(1798738200000));
}

TEST_CASE("parse_rfc3339 refuses what is not a full RFC 3339 instant") {
    using hotline::routing::parse_rfc3339;
    for (const char* bad : {"", "2026-11-29", "2026-11-29T02:05:00", "2026-11-29T02:05Z", "2026-02-30T00:00:00Z",
                            "2026-11-29T24:00:00Z", "2026-11-29T02:05:00.Z", "2026-11-29T02:05:00+0700",
                            "2026-11-29T02:05:00+24:00", "2026-11-29T02:05:00Z ", "tomorrow at nine"})
        CHECK_MESSAGE(!parse_rfc3339(bad), bad);
}
