#pragma once
// Deadlines: the acknowledgement deadline of an assignment, the legal clocks
// of a report (action within 12 hours, plan within 5 working days) and the
// working-day arithmetic behind them, in Asia/Ho_Chi_Minh.
//
// Working days. A working day is a local calendar day (UTC+7, routing/time.hpp)
// that is Monday to Friday and not a holiday or a day off in the holiday
// calendar, or a Saturday or Sunday that the calendar marks as a working day
// (the government moves working days to Saturdays to join holidays to
// weekends: 10 January and 22 August 2026 are such days for state agencies).
//
// How a time limit in working days is counted. Decree 56/2017/NĐ-CP Art.
// 28(1) gives the commune "trong thời hạn 05 ngày làm việc" (within 5 working
// days) from receiving the report to make the support plan. It does not say
// how to count, so the Civil Code 2015 applies (Art. 145(1)): a limit in days
// does not count the day of the event (Art. 147(2), (3)) and ends at 24:00 of
// its last day (Art. 148(1), (6)); when that day is a weekend or holiday it
// ends with the next working day (Art. 148(5)), which counting working days
// already guarantees. Hence:
//   add_working_days(received, n) = 24:00 local (= 17:00 UTC) of the n-th
//   working day after the local day on which the report was received.
// Consequences, all deliberate:
//   - the hour of receipt does not matter: 08:00 and 23:59 on a Monday both
//     give 24:00 of the following Monday (5 days, no holiday), because the
//     day of receipt itself is never counted;
//   - the day is the local day: 16:59 UTC and 17:00 UTC on the same UTC date
//     are different local days (23:59 and 00:00 in Hanoi) and their deadlines
//     differ by one working day;
//   - a report received on a Saturday, Sunday, holiday or day off loses no
//     time either: the count starts with the next working day, exactly as for
//     a report received late on the Friday before.
// The clock is the commune's, whose officials are civil servants: the
// calendar is the one the government sets for state agencies (its Tết and
// National Day decisions, compensatory days off, moved working days).
//
// Pure: no I/O (the caller reads the holidays file), no clock (times come in
// as parameters). A holiday_calendar is immutable once parsed and safe to
// share between threads; every function here is thread-safe.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "intake/classify.hpp"
#include "intake/clock.hpp"
#include "intake/result.hpp"

namespace hotline::routing {

// ---- the holiday calendar ----------------------------------------------------

enum class calendar_day_kind {
    holiday,      // a public holiday of the Labour Code (Art. 112): not a working day
    day_off,      // a compensatory day off or a working day moved away: not a working day
    working_day,  // a Saturday or Sunday worked instead of a moved day: a working day
};
std::string_view to_string(calendar_day_kind k) noexcept;  // "holiday", "day_off", "working_day"
std::optional<calendar_day_kind> parse_calendar_day_kind(std::string_view s) noexcept;

// How sure a row is (the `status` column):
//   decided   - fixed by a published government decision or notice;
//   statutory - follows from the Labour Code alone (fixed-date holidays, lunar
//               dates converted, Art. 111(3) compensation) and only a change
//               of law would move it;
//   estimate  - the law requires a day off but the government has not yet
//               said which day; the row is this file's best guess.
enum class calendar_day_status { decided, statutory, estimate };
std::string_view to_string(calendar_day_status s) noexcept;  // "decided", "statutory", "estimate"
std::optional<calendar_day_status> parse_calendar_day_status(std::string_view s) noexcept;

struct calendar_day {
    std::chrono::local_days date;
    calendar_day_kind kind = calendar_day_kind::holiday;
    std::string name;    // "Tết Nguyên Đán (mùng 1)", ...
    calendar_day_status status = calendar_day_status::decided;
    std::string source;  // the document, free text

    friend bool operator==(const calendar_day&, const calendar_day&) = default;
};

class holiday_calendar {
public:
    // No holidays: only Saturday and Sunday are not working days.
    holiday_calendar() = default;

    // The holidays file (deploy/holidays/*.csv). CSV (routing/csv.hpp) with a
    // header row, columns in any order:
    //   date,kind,name,status,source
    //   date: YYYY-MM-DD (a local date); kind: holiday | day_off | working_day;
    //   name: one line, 1 to 200 characters; status: decided | statutory |
    //   estimate (default decided); source: free text, optional.
    // Lines whose first character is '#' are comments; blank lines are
    // skipped. Each date at most once. A working_day must be a Saturday or
    // Sunday (a weekday already is one). Every bad row is reported, not only
    // the first: code `invalid_holidays`, message one line per problem,
    // "line N: <column>: <what>" (CSV syntax errors "line N: <what>"), at
    // most 50 lines and then "... and K more".
    static result<holiday_calendar> parse_csv(std::string_view text);

    // Whether local day `d` is a working day (see the top of this file).
    bool is_working_day(std::chrono::local_days d) const noexcept;

    // The calendar's entry for `d`, or nullptr.
    const calendar_day* find(std::chrono::local_days d) const noexcept;

    // Every entry, by date.
    std::span<const calendar_day> days() const noexcept { return days_; }

    // Whether the file has at least one entry in year `y`: deadlines that
    // reach into a year not covered skip weekends only, and the server should
    // say so when it starts.
    bool covers(std::chrono::year y) const noexcept;

private:
    std::vector<calendar_day> days_;  // sorted by date, dates unique
};

// ---- local days and working days ----------------------------------------------

// The local calendar day (Asia/Ho_Chi_Minh) of instant `t`.
std::chrono::local_days vietnam_day(time_point t) noexcept;

// 24:00 local of day `d`, that is 00:00 local of the next day, as an instant
// (17:00 UTC on `d`).
time_point end_of_vietnam_day(std::chrono::local_days d) noexcept;

// The end (24:00 local) of the n-th working day after the local day of
// `received`, the day of receipt not counted whatever it is (see the top of
// this file). n <= 0 gives the end of the day of receipt. Takes time linear
// in the number of calendar days spanned.
time_point add_working_days(time_point received, int n, const holiday_calendar& calendar);

// ---- the legal clocks -----------------------------------------------------------

// Decree 56/2017 Art. 26(3), 31(1): protection starts within 12 hours of the
// report on the emergency track. A limit in hours runs from the instant of
// receipt (Civil Code Art. 147(1)).
inline constexpr std::chrono::hours emergency_action_within{12};
// Decree 56/2017 Art. 28(1): the support plan within 5 working days.
inline constexpr int plan_working_days = 5;

struct legal_deadlines {
    std::optional<time_point> action_by;  // emergency_12h: received + 12 h
    std::optional<time_point> plan_by;    // standard_5wd: add_working_days(received, 5)

    friend bool operator==(const legal_deadlines&, const legal_deadlines&) = default;
};

// The legal clocks of a report on `track` received at `received`:
// emergency_12h -> action_by only (on that track the plan's 5 working days
// run from the end of the emergency measures, Art. 28(1), which nobody knows
// at intake); standard_5wd -> plan_by only; none -> neither.
legal_deadlines legal_deadlines_for(intake::legal_track track, time_point received,
                                    const holiday_calendar& calendar);

// ---- acknowledgement deadlines --------------------------------------------------

// How long an assignee has to acknowledge, by the report's urgency. The
// configuration fills it ([deadlines] ack_emergency_min, ack_high_min,
// ack_normal_min, ack_low_min); these are the defaults.
struct ack_policy {
    std::chrono::milliseconds emergency = std::chrono::minutes(15);
    std::chrono::milliseconds high = std::chrono::hours(1);
    std::chrono::milliseconds normal = std::chrono::hours(4);
    std::chrono::milliseconds low = std::chrono::hours(24);

    std::chrono::milliseconds for_urgency(intake::urgency u) const noexcept;

    // Errors (code `invalid_deadlines`, field "deadlines.ack_<urgency>_min"):
    // a limit not above zero or above 7 days, and an emergency limit above
    // the 12 hours of the emergency legal clock.
    result<void> validate() const;

    friend bool operator==(const ack_policy&, const ack_policy&) = default;
};

// The acknowledgement deadline of an assignment made at `assigned_at`.
time_point ack_due(const ack_policy& policy, intake::urgency u, time_point assigned_at) noexcept;

// ---- met or breached --------------------------------------------------------------

// A deadline is the first instant that is too late: work done before `due`
// met it, work done at or after `due` breached it, and with nothing done it
// is breached from `due` on (so a timer set for `due` finds it breached).
// The end of a day is therefore 00:00 of the next day: done at 23:59:59.999
// local is in time.
enum class deadline_state { pending, met, breached };
std::string_view to_string(deadline_state s) noexcept;  // "pending", "met", "breached"

// The state at `now` of a deadline `due` for work done at `done_at` (none:
// not done yet). A `done_at` after `now` is taken as it is.
deadline_state deadline_state_at(time_point due, std::optional<time_point> done_at, time_point now) noexcept;

}  // namespace hotline::routing
