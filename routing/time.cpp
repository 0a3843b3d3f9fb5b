#include "routing/time.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace hotline::routing {

std::chrono::local_time<std::chrono::milliseconds> to_vietnam_time(time_point t) noexcept {
    return std::chrono::local_time<std::chrono::milliseconds>(t.time_since_epoch() + vietnam_offset);
}

namespace {

struct civil {
    std::chrono::year_month_day date;
    std::chrono::hh_mm_ss<std::chrono::milliseconds> time;
};

civil split(std::chrono::milliseconds since_epoch) {
    using namespace std::chrono;
    const auto day = floor<days>(since_epoch);
    return {year_month_day(sys_days(day)), hh_mm_ss<milliseconds>(since_epoch - day)};
}

}  // namespace

std::string format_vietnam_datetime(time_point t) {
    const auto c = split(to_vietnam_time(t).time_since_epoch());
    return fmt::format("{:02}/{:02}/{:04} {:02}:{:02}", static_cast<unsigned>(c.date.day()),
                       static_cast<unsigned>(c.date.month()), static_cast<int>(c.date.year()),
                       c.time.hours().count(), c.time.minutes().count());
}

std::string format_rfc3339_utc(time_point t) {
    const auto c = split(t.time_since_epoch());
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(c.date.year()),
                       static_cast<unsigned>(c.date.month()), static_cast<unsigned>(c.date.day()),
                       c.time.hours().count(), c.time.minutes().count(), c.time.seconds().count(),
                       c.time.subseconds().count());
}

}  // namespace hotline::routing
