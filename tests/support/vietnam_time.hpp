#pragma once
// Instants and days written the way the tests think of them: a civil date
// and time in Vietnam (Asia/Ho_Chi_Minh, UTC+7 all year).

#include <chrono>

#include "intake/clock.hpp"
#include "routing/time.hpp"

namespace hotline::test {

// The instant of a local date and time.
inline hotline::time_point vn(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
    using namespace std::chrono;
    const local_days midnight{year(y) / month(m) / day(d)};
    const auto local = midnight.time_since_epoch() + hours(hh) + minutes(mm) + seconds(ss) + milliseconds(ms);
    return hotline::time_point(duration_cast<milliseconds>(local - routing::vietnam_offset));
}

// A local calendar day.
inline std::chrono::local_days date(int y, unsigned m, unsigned d) {
    using namespace std::chrono;
    return local_days{year(y) / month(m) / day(d)};
}

}  // namespace hotline::test
