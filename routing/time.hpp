#pragma once
// Civil time in Vietnam. Times are stored in UTC and shown in
// Asia/Ho_Chi_Minh, which is UTC+7 all year (no daylight saving since 1975),
// so conversion is a fixed offset; no time-zone database is needed.
// Pure functions, thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "intake/clock.hpp"

namespace hotline::routing {

inline constexpr std::chrono::hours vietnam_offset{7};

// The local civil time of `t` in Asia/Ho_Chi_Minh.
std::chrono::local_time<std::chrono::milliseconds> to_vietnam_time(time_point t) noexcept;

// "29/11/2026 09:05" (day first, 24-hour clock, Vietnamese convention), local time.
std::string format_vietnam_datetime(time_point t);

// "2026-11-29T02:05:00.123Z": RFC 3339 in UTC with milliseconds, for APIs.
std::string format_rfc3339_utc(time_point t);

// RFC 3339 with a zone: "2026-01-05T03:00:00Z", "2026-01-05T10:00:00+07:00",
// optional fractions of a second (kept to the millisecond; 'T', 't' or a
// space between date and time). None for anything else, including an
// impossible date or time.
std::optional<time_point> parse_rfc3339(std::string_view text) noexcept;

}  // namespace hotline::routing
