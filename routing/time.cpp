#include "routing/time.hpp"

#include <fmt/chrono.h>
#include <fmt/compile.h>
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
    // Compiled format: every answer to a new report carries one.
    return fmt::format(FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z"), static_cast<int>(c.date.year()),
                       static_cast<unsigned>(c.date.month()), static_cast<unsigned>(c.date.day()),
                       c.time.hours().count(), c.time.minutes().count(), c.time.seconds().count(),
                       c.time.subseconds().count());
}

namespace {

// `n` decimal digits of `s` from `at`; clears `ok` when they are not all there.
int digits(std::string_view s, std::size_t at, std::size_t n, bool& ok) noexcept {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (i >= s.size() || s[i] < '0' || s[i] > '9') {
            ok = false;
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

std::optional<time_point> parse_rfc3339(std::string_view s) noexcept {
    using namespace std::chrono;
    bool ok = s.size() >= 20;
    const int y = digits(s, 0, 4, ok), mo = digits(s, 5, 2, ok), d = digits(s, 8, 2, ok);
    const int h = digits(s, 11, 2, ok), mi = digits(s, 14, 2, ok), se = digits(s, 17, 2, ok);
    if (!ok || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return std::nullopt;
    std::size_t i = 19;
    int ms = 0;
    if (i < s.size() && s[i] == '.') {
        std::size_t n = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++n)
            if (n < 3) ms = ms * 10 + (s[i] - '0');
        if (n == 0) return std::nullopt;
        for (; n < 3; ++n) ms *= 10;
    }
    int offset = 0;  // minutes east of UTC
    const auto zone = s.substr(std::min(i, s.size()));
    if (zone == "Z" || zone == "z") {
        offset = 0;
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        bool zok = true;
        const int zh = digits(zone, 1, 2, zok), zm = digits(zone, 4, 2, zok);
        if (!zok || zh > 23 || zm > 59) return std::nullopt;
        offset = (zone[0] == '-' ? -1 : 1) * (zh * 60 + zm);
    } else {
        return std::nullopt;
    }
    const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
    return time_point_cast<milliseconds>(sys_days(ymd) + hours(h) + minutes(mi) + seconds(se) + milliseconds(ms) -
                                         minutes(offset));
}

}  // namespace hotline::routing
