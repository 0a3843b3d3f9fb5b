#include "routing/deadlines.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

#include "routing/directory.hpp"
#include "routing/time.hpp"
#include "tests/support/read_file.hpp"
#include "tests/support/vietnam_time.hpp"

using namespace hotline;
using namespace hotline::routing;
using namespace std::chrono;
using hotline::test::date;
using hotline::test::read_file;
using hotline::test::vn;

namespace {

// 24:00 local of that day.
hotline::time_point end_of(int y, unsigned m, unsigned d) { return vn(y, m, d) + days(1); }

const holiday_calendar& shipped() {
    static const holiday_calendar c = [] {
        auto parsed = holiday_calendar::parse_csv(
            read_file(std::string(HOTLINE_SOURCE_DIR) + "/deploy/holidays/vn-2026-2027.csv"));
        REQUIRE_MESSAGE(parsed.has_value(), (parsed ? std::string() : parsed.err().message));
        return std::move(*parsed);
    }();
    return c;
}

holiday_calendar parse_ok(std::string_view text) {
    auto parsed = holiday_calendar::parse_csv(text);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? std::string() : parsed.err().message));
    return std::move(*parsed);
}

error parse_err(std::string_view text) {
    auto parsed = holiday_calendar::parse_csv(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.err().code == "invalid_holidays");
    return parsed.err();
}

const holiday_calendar no_holidays;

}  // namespace

// ---- local days ----------------------------------------------------------------

TEST_CASE("the local day changes at 17:00 UTC") {
    CHECK(vietnam_day(from_unix_ms(1772470799999)) == date(2026, 3, 2));  // 2026-03-02T16:59:59.999Z
    CHECK(vietnam_day(from_unix_ms(1772470800000)) == date(2026, 3, 3));  // 2026-03-02T17:00:00Z
    CHECK(format_rfc3339_utc(end_of_vietnam_day(date(2026, 3, 2))) == "2026-03-02T17:00:00.000Z");
    CHECK(vn(2026, 3, 3, 0, 30) == from_unix_ms(1772472600000));  // the test helper itself
}

// ---- working days -----------------------------------------------------------------

TEST_CASE("five working days skip the weekend and not the day of receipt") {
    // Monday 2 March 2026 (no holiday in March): Tue..Fri, Mon.
    CHECK(add_working_days(vn(2026, 3, 2, 10, 0), 5, no_holidays) == end_of(2026, 3, 9));
    // Friday: Mon..Fri of the next week.
    CHECK(add_working_days(vn(2026, 3, 6, 9, 0), 5, no_holidays) == end_of(2026, 3, 13));
    // One working day from Friday is Monday, not Saturday.
    CHECK(add_working_days(vn(2026, 3, 6, 9, 0), 1, no_holidays) == end_of(2026, 3, 9));
    // The result is 24:00 local, 17:00 UTC.
    CHECK(format_rfc3339_utc(add_working_days(vn(2026, 3, 2, 10, 0), 5, no_holidays)) ==
          "2026-03-09T17:00:00.000Z");
}

TEST_CASE("the hour of receipt does not matter within a local day") {
    const auto early = add_working_days(vn(2026, 3, 2, 0, 0), 5, no_holidays);
    const auto late = add_working_days(vn(2026, 3, 2, 23, 59, 59, 999), 5, no_holidays);
    CHECK(early == late);
    CHECK(early == end_of(2026, 3, 9));
}

TEST_CASE("a report received on a weekend counts from the next working day") {
    // Saturday and Sunday give the same deadline as late on the Friday before.
    const auto friday = add_working_days(vn(2026, 3, 6, 23, 0), 5, no_holidays);
    CHECK(add_working_days(vn(2026, 3, 7, 9, 0), 5, no_holidays) == friday);
    CHECK(add_working_days(vn(2026, 3, 8, 22, 0), 5, no_holidays) == friday);
    CHECK(friday == end_of(2026, 3, 13));
}

TEST_CASE("local day boundary: 23:30 and 00:30 local are different days") {
    // Monday 23:30 local = 16:30 UTC Monday; Tuesday 00:30 local = 17:30 UTC,
    // still Monday in UTC, but Tuesday in Hanoi: one working day later.
    const auto monday_late = vn(2026, 3, 2, 23, 30);
    const auto tuesday_early = vn(2026, 3, 3, 0, 30);
    CHECK(format_rfc3339_utc(monday_late) == "2026-03-02T16:30:00.000Z");
    CHECK(format_rfc3339_utc(tuesday_early) == "2026-03-02T17:30:00.000Z");
    CHECK(add_working_days(monday_late, 5, no_holidays) == end_of(2026, 3, 9));
    CHECK(add_working_days(tuesday_early, 5, no_holidays) == end_of(2026, 3, 10));

    // The exact instant: 16:59:59.999 UTC is still Monday locally, 17:00 is Tuesday.
    CHECK(add_working_days(from_unix_ms(1772470799999), 5, no_holidays) == end_of(2026, 3, 9));
    CHECK(add_working_days(from_unix_ms(1772470800000), 5, no_holidays) == end_of(2026, 3, 10));

    // Sunday 23:30 local counts from Monday; Monday 00:30 local (Sunday 17:30
    // UTC) is a working day of receipt and counts from Tuesday.
    CHECK(add_working_days(vn(2026, 3, 8, 23, 30), 5, no_holidays) == end_of(2026, 3, 13));
    CHECK(format_rfc3339_utc(vn(2026, 3, 9, 0, 30)) == "2026-03-08T17:30:00.000Z");
    CHECK(add_working_days(vn(2026, 3, 9, 0, 30), 5, no_holidays) == end_of(2026, 3, 16));
}

TEST_CASE("n of zero or less gives the end of the day of receipt") {
    CHECK(add_working_days(vn(2026, 3, 2, 10, 0), 0, no_holidays) == end_of(2026, 3, 2));
    CHECK(add_working_days(vn(2026, 3, 7, 10, 0), -3, no_holidays) == end_of(2026, 3, 7));
}

TEST_CASE("five working days across Tết 2026") {
    const auto& cal = shipped();
    // Thursday 12 Feb: Fri 13 (1); 14-22 Feb is weekend + Tết; Mon 23 (2) .. Thu 26 (5).
    CHECK(add_working_days(vn(2026, 2, 12, 10, 0), 5, cal) == end_of(2026, 2, 26));
    // Without the calendar it would have been Thursday 19 Feb, in the middle of Tết.
    CHECK(add_working_days(vn(2026, 2, 12, 10, 0), 5, no_holidays) == end_of(2026, 2, 19));
    // Received on mùng 2 (Wed 18 Feb, a holiday): counting starts Mon 23.
    CHECK(add_working_days(vn(2026, 2, 18, 3, 0), 5, cal) == end_of(2026, 2, 27));
    // Received on the eve of Tết, late Friday 13 Feb.
    CHECK(add_working_days(vn(2026, 2, 13, 23, 30), 1, cal) == end_of(2026, 2, 23));
    // Received 00:30 local on Saturday 14 Feb, which is Friday 17:30 UTC.
    CHECK(add_working_days(vn(2026, 2, 14, 0, 30), 1, cal) == end_of(2026, 2, 23));
}

TEST_CASE("five working days around 2 September 2026") {
    const auto& cal = shipped();
    // Saturday 22 Aug is a working day (moved from Monday 31 Aug).
    CHECK(cal.is_working_day(date(2026, 8, 22)));
    CHECK_FALSE(cal.is_working_day(date(2026, 8, 31)));
    // Thursday 20 Aug: Fri 21 (1), Sat 22 (2), Mon 24 (3), Tue 25 (4), Wed 26 (5).
    CHECK(add_working_days(vn(2026, 8, 20, 15, 0), 5, cal) == end_of(2026, 8, 26));
    // Thursday 27 Aug: Fri 28 (1); 29 Aug - 2 Sep off; Thu 3 (2), Fri 4 (3), Mon 7 (4), Tue 8 (5).
    CHECK(add_working_days(vn(2026, 8, 27, 15, 0), 5, cal) == end_of(2026, 9, 8));
    // Received on National Day itself.
    CHECK(add_working_days(vn(2026, 9, 2, 8, 0), 1, cal) == end_of(2026, 9, 3));
}

TEST_CASE("New Year 2026: the moved day off and the worked Saturday") {
    const auto& cal = shipped();
    // Wednesday 31 Dec 2025: 1-4 Jan off; Mon 5 (1) .. Fri 9 (5).
    CHECK(add_working_days(vn(2025, 12, 31, 10, 0), 5, cal) == end_of(2026, 1, 9));
    // Wednesday 7 Jan: Thu 8 (1), Fri 9 (2), Sat 10 (3, worked), Mon 12 (4), Tue 13 (5).
    CHECK(add_working_days(vn(2026, 1, 7, 10, 0), 5, cal) == end_of(2026, 1, 13));
}

TEST_CASE("Hùng Kings' day 2026 falls on a Sunday and is compensated on Monday") {
    const auto& cal = shipped();
    // Friday 24 Apr: Tue 28 (1), Wed 29 (2), Thu 30 Apr and Fri 1 May off, Mon 4 (3), Tue 5 (4), Wed 6 (5).
    CHECK(add_working_days(vn(2026, 4, 24, 10, 0), 5, cal) == end_of(2026, 5, 6));
}

// ---- the legal clocks -----------------------------------------------------------------

TEST_CASE("legal clocks by track") {
    const auto received = vn(2026, 2, 12, 21, 15);
    const auto e = legal_deadlines_for(intake::legal_track::emergency_12h, received, shipped());
    REQUIRE(e.action_by);
    CHECK(*e.action_by == vn(2026, 2, 13, 9, 15));  // 12 hours, holidays or not
    CHECK_FALSE(e.plan_by);

    const auto s = legal_deadlines_for(intake::legal_track::standard_5wd, received, shipped());
    CHECK_FALSE(s.action_by);
    REQUIRE(s.plan_by);
    CHECK(*s.plan_by == end_of(2026, 2, 26));

    const auto n = legal_deadlines_for(intake::legal_track::none, received, shipped());
    CHECK(n == legal_deadlines{});

    // The 12 hours run over a holiday and across the local day.
    const auto eve = legal_deadlines_for(intake::legal_track::emergency_12h, vn(2026, 2, 16, 20, 0), shipped());
    CHECK(*eve.action_by == vn(2026, 2, 17, 8, 0));
}

// ---- acknowledgement deadlines -------------------------------------------------------

TEST_CASE("acknowledgement deadlines by urgency, defaults") {
    const ack_policy p;
    CHECK(p.for_urgency(intake::urgency::emergency) == minutes(15));
    CHECK(p.for_urgency(intake::urgency::high) == hours(1));
    CHECK(p.for_urgency(intake::urgency::normal) == hours(4));
    CHECK(p.for_urgency(intake::urgency::low) == hours(24));
    CHECK(p.validate().has_value());
    const auto t = vn(2026, 3, 2, 23, 50);
    CHECK(ack_due(p, intake::urgency::emergency, t) == vn(2026, 3, 3, 0, 5));
    CHECK(ack_due(p, intake::urgency::low, t) == vn(2026, 3, 3, 23, 50));  // clock time, weekends included
}

TEST_CASE("acknowledgement policy validation names the key") {
    ack_policy p;
    p.high = milliseconds(0);
    auto r = p.validate();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "invalid_deadlines");
    CHECK(r.err().field == "deadlines.ack_high_min");

    p = ack_policy{};
    p.low = hours(24 * 7) + milliseconds(1);
    r = p.validate();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().field == "deadlines.ack_low_min");

    p = ack_policy{};
    p.emergency = hours(13);
    r = p.validate();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().field == "deadlines.ack_emergency_min");
    CHECK(r.err().message.find("12 hours") != std::string::npos);

    p = ack_policy{};
    p.emergency = hours(12);
    CHECK(p.validate().has_value());
}

// ---- met or breached ---------------------------------------------------------------------

TEST_CASE("met, breached, pending") {
    const auto due = vn(2026, 3, 2, 10, 15);
    const auto ms = milliseconds(1);
    CHECK(deadline_state_at(due, std::nullopt, due - ms) == deadline_state::pending);
    CHECK(deadline_state_at(due, std::nullopt, due) == deadline_state::breached);  // a timer at `due` escalates
    CHECK(deadline_state_at(due, std::nullopt, due + hours(1)) == deadline_state::breached);
    CHECK(deadline_state_at(due, due - ms, due + hours(1)) == deadline_state::met);
    CHECK(deadline_state_at(due, due, due) == deadline_state::breached);
    CHECK(deadline_state_at(due, due + minutes(3), due + hours(1)) == deadline_state::breached);
    // Done early: met, whatever `now` is.
    CHECK(deadline_state_at(due, due - minutes(10), due - minutes(5)) == deadline_state::met);
    CHECK(to_string(deadline_state::breached) == "breached");

    // A plan due at the end of a day: 23:59:59.999 local is in time.
    const auto plan_by = end_of(2026, 3, 9);
    CHECK(deadline_state_at(plan_by, vn(2026, 3, 9, 23, 59, 59, 999), plan_by) == deadline_state::met);
    CHECK(deadline_state_at(plan_by, vn(2026, 3, 10, 0, 0), plan_by) == deadline_state::breached);
}

// ---- the holidays file --------------------------------------------------------------------

TEST_CASE("holidays file: rows, comments, any column order, defaults") {
    const auto cal = parse_ok(
        "\xEF\xBB\xBF# a comment on the first line\r\n"
        "name,date,kind,source\r\n"
        "Tết Dương lịch,2026-01-01,holiday,\"BLLĐ 2019, Điều 112\"\r\n"
        "\r\n"
        "# another comment, with, commas\r\n"
        "Làm bù,2026-01-10,WORKING_DAY,\r\n"
        "Nghỉ bù, 2026-01-02 ,day_off,\r\n");
    REQUIRE(cal.days().size() == 3);
    // Sorted by date.
    CHECK(cal.days()[0].date == date(2026, 1, 1));
    CHECK(cal.days()[1].date == date(2026, 1, 2));
    CHECK(cal.days()[2].date == date(2026, 1, 10));
    CHECK(cal.days()[0].name == "Tết Dương lịch");
    CHECK(cal.days()[0].source == "BLLĐ 2019, Điều 112");
    CHECK(cal.days()[0].status == calendar_day_status::decided);  // the default
    CHECK(cal.days()[2].kind == calendar_day_kind::working_day);

    CHECK_FALSE(cal.is_working_day(date(2026, 1, 1)));   // holiday, Thursday
    CHECK_FALSE(cal.is_working_day(date(2026, 1, 2)));   // day off, Friday
    CHECK_FALSE(cal.is_working_day(date(2026, 1, 3)));   // Saturday
    CHECK(cal.is_working_day(date(2026, 1, 5)));         // Monday
    CHECK(cal.is_working_day(date(2026, 1, 10)));        // worked Saturday
    CHECK_FALSE(cal.is_working_day(date(2026, 1, 11)));  // Sunday
    REQUIRE(cal.find(date(2026, 1, 2)) != nullptr);
    CHECK(cal.find(date(2026, 1, 2))->kind == calendar_day_kind::day_off);
    CHECK(cal.find(date(2026, 1, 3)) == nullptr);
    CHECK(cal.covers(year(2026)));
    CHECK_FALSE(cal.covers(year(2027)));
    CHECK_FALSE(cal.covers(year(2025)));
}

TEST_CASE("holidays file: the empty calendar and a header-only file") {
    CHECK(no_holidays.days().empty());
    CHECK(no_holidays.is_working_day(date(2026, 1, 1)));  // a Thursday: no holidays known
    CHECK_FALSE(no_holidays.covers(year(2026)));
    CHECK(parse_ok("date,kind,name\n").days().empty());
}

TEST_CASE("holidays file: every bad row is reported with its line") {
    const auto e = parse_err(
        "date,kind,name,status\n"          // 1
        "2026-01-01,holiday,New Year,\n"   // 2 fine
        "2026-02-30,holiday,Bad date,\n"   // 3
        "2026-02-16,feast,Tết,\n"          // 4
        "2026-01-05,working_day,Monday,\n" // 5: a Monday
        "# a comment\n"                    // 6
        "2026-04-30,holiday,,\n"           // 7: no name
        "2026-05-01,holiday,Labour Day,maybe\n"  // 8
        "2026-01-01,day_off,Again,\n"      // 9: duplicate of line 2
        "2026-09-02,holiday,National Day,decided,extra\n");  // 10: too many fields
    CHECK(e.message ==
          "line 3: date: \"2026-02-30\" is not a date YYYY-MM-DD\n"
          "line 4: kind: \"feast\" is not holiday, day_off or working_day\n"
          "line 5: kind: 2026-01-05 is not a Saturday or Sunday, so it is a working day already\n"
          "line 7: name: required\n"
          "line 8: status: \"maybe\" is not decided, statutory or estimate\n"
          "line 9: date: 2026-01-01 is already listed on line 2\n"
          "line 10: 5 fields, but the header has 4");
}

TEST_CASE("holidays file: structural errors") {
    CHECK(parse_err("").message == "line 1: the file is empty; a header row is required");
    CHECK(parse_err("# only a comment\n").message == "line 1: the file is empty; a header row is required");
    // A required column missing from the header.
    const auto no_kind = parse_err("date,name\n2026-01-01,New Year\n");
    CHECK(no_kind.message.starts_with("line 1:"));
    CHECK(no_kind.message.find("kind") != std::string::npos);
    // An unknown column.
    CHECK(parse_err("date,kind,name,colour\n").message.find("colour") != std::string::npos);
    // CSV syntax: a quote never closed, on line 3.
    const auto quote = parse_err("date,kind,name\n2026-01-01,holiday,ok\n2026-04-30,holiday,\"Reunification\n");
    CHECK(quote.message.starts_with("line 3:"));
    // A required cell left empty, and a name on two lines.
    CHECK(parse_err("date,kind,name\n,holiday,x\n").message == "line 2: date: required");
    CHECK(parse_err("date,kind,name\n2026-01-01,,x\n").message ==
          "line 2: kind: required (holiday, day_off or working_day)");
    CHECK(parse_err("date,kind,name\n2026-01-01,holiday,\"a\nb\"\n").message == "line 2: name: must be one line");
}

TEST_CASE("holidays file: at most 50 problems are listed") {
    std::string text = "date,kind,name\n";
    for (int i = 0; i < 60; ++i) text += "not-a-date,holiday,x\n";
    const auto e = parse_err(text);
    CHECK(e.message.ends_with("\n... and 10 more"));
    CHECK(e.message.starts_with("line 2: date:"));
}

// ---- the shipped file (deploy/holidays/vn-2026-2027.csv) -------------------------------

TEST_CASE("shipped holidays: the days of 2026 and 2027") {
    const auto& cal = shipped();
    CHECK(cal.covers(year(2026)));
    CHECK(cal.covers(year(2027)));

    const std::map<local_days, calendar_day_kind> expected = {
        {date(2026, 1, 1), calendar_day_kind::holiday},      {date(2026, 1, 2), calendar_day_kind::day_off},
        {date(2026, 1, 10), calendar_day_kind::working_day}, {date(2026, 2, 16), calendar_day_kind::holiday},
        {date(2026, 2, 17), calendar_day_kind::holiday},     {date(2026, 2, 18), calendar_day_kind::holiday},
        {date(2026, 2, 19), calendar_day_kind::holiday},     {date(2026, 2, 20), calendar_day_kind::holiday},
        {date(2026, 4, 26), calendar_day_kind::holiday},     {date(2026, 4, 27), calendar_day_kind::day_off},
        {date(2026, 4, 30), calendar_day_kind::holiday},     {date(2026, 5, 1), calendar_day_kind::holiday},
        {date(2026, 8, 22), calendar_day_kind::working_day}, {date(2026, 8, 31), calendar_day_kind::day_off},
        {date(2026, 9, 1), calendar_day_kind::holiday},      {date(2026, 9, 2), calendar_day_kind::holiday},
        {date(2027, 1, 1), calendar_day_kind::holiday},      {date(2027, 2, 5), calendar_day_kind::holiday},
        {date(2027, 2, 6), calendar_day_kind::holiday},      {date(2027, 2, 7), calendar_day_kind::holiday},
        {date(2027, 2, 8), calendar_day_kind::holiday},      {date(2027, 2, 9), calendar_day_kind::holiday},
        {date(2027, 2, 10), calendar_day_kind::day_off},     {date(2027, 2, 11), calendar_day_kind::day_off},
        {date(2027, 4, 16), calendar_day_kind::holiday},     {date(2027, 4, 30), calendar_day_kind::holiday},
        {date(2027, 5, 1), calendar_day_kind::holiday},      {date(2027, 5, 3), calendar_day_kind::day_off},
        {date(2027, 9, 2), calendar_day_kind::holiday},      {date(2027, 9, 3), calendar_day_kind::holiday},
    };
    std::map<local_days, calendar_day_kind> actual;
    for (const auto& d : cal.days()) actual[d.date] = d.kind;
    CHECK(actual == expected);

    // Tết Nguyên Đán: mùng 1 is 17 Feb 2026 and 6 Feb 2027; Hùng Kings' day
    // (10th of the 3rd lunar month) 26 Apr 2026 and 16 Apr 2027.
    CHECK(cal.find(date(2026, 2, 17))->name.find("mùng 1") != std::string::npos);
    CHECK(cal.find(date(2027, 2, 6))->name.find("mùng 1") != std::string::npos);
    CHECK(cal.find(date(2026, 4, 26))->name.find("Hùng Vương") != std::string::npos);
    CHECK(cal.find(date(2027, 4, 16))->name.find("Hùng Vương") != std::string::npos);

    // What the government has not decided yet is marked so.
    CHECK(cal.find(date(2026, 9, 1))->status == calendar_day_status::decided);
    CHECK(cal.find(date(2027, 9, 3))->status == calendar_day_status::estimate);
    CHECK(cal.find(date(2027, 2, 10))->status == calendar_day_status::estimate);
    for (const auto& d : cal.days()) CHECK_MESSAGE(!d.source.empty(), format_date(d.date));
}

TEST_CASE("shipped holidays: each year loses exactly the Labour Code's 11 working days") {
    // Art. 112(1) gives 11 days off a year. Holidays on weekdays plus days off
    // (compensatory or moved) minus Saturdays worked must come to 11: a moved
    // day without its worked Saturday, or a weekend holiday without its
    // compensation, would show here.
    for (const int y : {2026, 2027}) {
        int holidays = 0, lost = 0;
        for (const auto& d : shipped().days()) {
            if (year_month_day(d.date).year() != year(y)) continue;
            const weekday w{d.date};
            const bool weekend = w == Saturday || w == Sunday;
            switch (d.kind) {
            case calendar_day_kind::holiday:
                ++holidays;
                if (!weekend) ++lost;
                break;
            case calendar_day_kind::day_off: CHECK(!weekend); ++lost; break;
            case calendar_day_kind::working_day: --lost; break;
            }
        }
        CAPTURE(y);
        CHECK(holidays == 11);
        CHECK(lost == 11);
    }
}
