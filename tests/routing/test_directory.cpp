#include "routing/directory.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "routing/csv.hpp"
#include "tests/routing/units_fixture.hpp"
#include "tests/support/vietnam_time.hpp"

using namespace hotline;
using namespace hotline::routing;
using namespace std::chrono;
using hotline::routing::test::catalog;
using hotline::test::date;
using hotline::test::vn;

namespace {

// 2025-07-07 is a Monday.
constexpr std::uint8_t mon = 1, tue = 2, wed = 4, sat = 32, sun = 64;

weekly_shift shift(std::uint8_t days, int start_h, int start_m, int end_h, int end_m) {
    return weekly_shift{"a", days, start_h * 60 + start_m, end_h * 60 + end_m};
}

roster_override whole_days(bool on, local_days from, local_days to) {
    roster_override o;
    o.contact_key = "a";
    o.on_duty = on;
    o.from = from;
    o.to = to;
    return o;
}

roster_override window(bool on, local_days from, local_days to, int start, int end) {
    auto o = whole_days(on, from, to);
    o.start_minute = start;
    o.end_minute = end;
    return o;
}

bool duty(const std::vector<weekly_shift>& s, const std::vector<roster_override>& o, hotline::time_point t) {
    return on_duty(s, o, t);
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

bool has_line_starting(const std::string& message, const std::string& prefix) {
    for (const auto& l : lines_of(message))
        if (l.starts_with(prefix)) return true;
    return false;
}

}  // namespace

// ---- roles -------------------------------------------------------------------

TEST_CASE("directory: roles have names and levels") {
    for (auto r : {role::commune_child_protection, role::commune_police, role::commune_chair,
                   role::province_coordinator, role::province_police, role::hotline_supervisor})
        CHECK(parse_role(to_string(r)) == r);
    CHECK_FALSE(parse_role("hotline").has_value());
    CHECK_FALSE(parse_role("").has_value());
    CHECK(level_of(role::commune_chair) == role_level::commune);
    CHECK(level_of(role::province_police) == role_level::province);
    CHECK(level_of(role::hotline_supervisor) == role_level::national);
}

// ---- on duty -----------------------------------------------------------------

TEST_CASE("on duty: an overnight shift belongs to the day it starts") {
    const std::vector<weekly_shift> s{shift(mon, 22, 0, 6, 0)};  // Monday 22:00 - Tuesday 06:00
    CHECK(duty(s, {}, vn(2025, 7, 8, 3)));        // Tuesday 03:00: the Monday night shift
    CHECK_FALSE(duty(s, {}, vn(2025, 7, 7, 3)));  // Monday 03:00: Sunday night has no shift
    CHECK(duty(s, {}, vn(2025, 7, 7, 22)));
    CHECK(duty(s, {}, vn(2025, 7, 7, 23, 59)));
    CHECK(duty(s, {}, vn(2025, 7, 8, 5, 59)));
    CHECK_FALSE(duty(s, {}, vn(2025, 7, 8, 6)));  // the end is exclusive
    CHECK_FALSE(duty(s, {}, vn(2025, 7, 7, 21, 59)));
    CHECK_FALSE(duty(s, {}, vn(2025, 7, 8, 22)));  // Tuesday night: no shift
}

TEST_CASE("on duty: the day is Vietnam's, not UTC's") {
    // 2025-07-07T18:30Z is Monday in UTC but Tuesday 01:30 in Vietnam.
    const hotline::time_point t = sys_days{2025y / July / 7} + hours(18) + minutes(30);
    CHECK(vn(2025, 7, 8, 1, 30) == t);
    CHECK(duty({shift(tue, 0, 0, 12, 0)}, {}, t));         // a Tuesday morning shift covers it
    CHECK_FALSE(duty({shift(mon, 12, 0, 23, 59)}, {}, t));  // a Monday afternoon shift (UTC's reading) does not
    // The same on Sunday night -> Monday: the week wraps.
    const hotline::time_point sunday_utc = sys_days{2025y / July / 6} + hours(20);  // Monday 03:00 local
    CHECK(duty({shift(mon, 0, 0, 8, 0)}, {}, sunday_utc));
    CHECK(duty({shift(sun, 20, 0, 8, 0)}, {}, sunday_utc));
    CHECK_FALSE(duty({shift(sun, 8, 0, 20, 0)}, {}, sunday_utc));
}

TEST_CASE("on duty: a 24-hour shift and round-the-clock duty") {
    const std::vector<weekly_shift> day_long{shift(mon, 8, 0, 8, 0)};  // Monday 08:00 - Tuesday 08:00
    CHECK(duty(day_long, {}, vn(2025, 7, 7, 8)));
    CHECK(duty(day_long, {}, vn(2025, 7, 8, 7, 59)));
    CHECK_FALSE(duty(day_long, {}, vn(2025, 7, 8, 8)));
    CHECK_FALSE(duty(day_long, {}, vn(2025, 7, 7, 7, 59)));

    const std::vector<weekly_shift> always{shift(0x7f, 0, 0, 0, 0)};
    for (int h = 0; h < 24 * 8; h += 5) CHECK(duty(always, {}, vn(2025, 7, 7, 0) + hours(h)));
}

TEST_CASE("on duty: nobody without a roster or outside every shift") {
    CHECK_FALSE(duty({}, {}, vn(2025, 7, 7, 10)));
    const std::vector<weekly_shift> office{shift(0x1f, 7, 30, 17, 0)};  // mon-fri
    CHECK(duty(office, {}, vn(2025, 7, 11, 16, 59)));  // Friday
    CHECK_FALSE(duty(office, {}, vn(2025, 7, 12, 10)));  // Saturday
    CHECK_FALSE(duty(office, {}, vn(2025, 7, 7, 7, 29)));
}

TEST_CASE("on duty: overrides") {
    const std::vector<weekly_shift> office{shift(0x1f, 8, 0, 17, 0)};
    SUBCASE("leave (off, whole days) beats the weekly pattern") {
        const std::vector<roster_override> leave{whole_days(false, date(2025, 7, 8), date(2025, 7, 10))};
        CHECK(duty(office, leave, vn(2025, 7, 7, 10)));
        CHECK_FALSE(duty(office, leave, vn(2025, 7, 8, 10)));
        CHECK_FALSE(duty(office, leave, vn(2025, 7, 10, 16)));
        CHECK(duty(office, leave, vn(2025, 7, 11, 10)));
    }
    SUBCASE("off for a window of one day") {
        const std::vector<roster_override> lunch{window(false, date(2025, 7, 9), date(2025, 7, 9), 12 * 60, 13 * 60)};
        CHECK(duty(office, lunch, vn(2025, 7, 9, 11, 59)));
        CHECK_FALSE(duty(office, lunch, vn(2025, 7, 9, 12, 30)));
        CHECK(duty(office, lunch, vn(2025, 7, 9, 13)));
        CHECK(duty(office, lunch, vn(2025, 7, 10, 12, 30)));
    }
    SUBCASE("on adds a shift, also across midnight") {
        const std::vector<roster_override> extra{window(true, date(2025, 7, 12), date(2025, 7, 12), 22 * 60, 6 * 60)};
        CHECK_FALSE(duty(office, extra, vn(2025, 7, 12, 21)));
        CHECK(duty(office, extra, vn(2025, 7, 12, 23)));
        CHECK(duty(office, extra, vn(2025, 7, 13, 5)));  // Sunday morning, from Saturday's window
        CHECK_FALSE(duty(office, extra, vn(2025, 7, 13, 23)));
        // Whole days on, without any weekly shift.
        const std::vector<roster_override> standby{whole_days(true, date(2025, 7, 12), date(2025, 7, 13))};
        CHECK(duty({}, standby, vn(2025, 7, 12, 0)));
        CHECK(duty({}, standby, vn(2025, 7, 13, 23, 59)));
        CHECK_FALSE(duty({}, standby, vn(2025, 7, 14, 0)));
    }
    SUBCASE("a swap: one is off, the other on, for the same shift") {
        const std::vector<weekly_shift> a_nights{shift(wed, 20, 0, 8, 0)};
        const std::vector<roster_override> a_swap{whole_days(false, date(2025, 7, 9), date(2025, 7, 10))};
        const std::vector<roster_override> b_swap{window(true, date(2025, 7, 9), date(2025, 7, 9), 20 * 60, 8 * 60)};
        const auto t = vn(2025, 7, 10, 2);  // Thursday 02:00, Wednesday's night shift
        CHECK(duty(a_nights, {}, t));
        CHECK_FALSE(duty(a_nights, a_swap, t));
        CHECK(duty({}, b_swap, t));
        // The week after, A is back.
        CHECK(duty(a_nights, a_swap, t + days(7)));
        CHECK_FALSE(duty({}, b_swap, t + days(7)));
    }
    SUBCASE("an on and an off covering the same time: on holds") {
        const std::vector<roster_override> both{whole_days(false, date(2025, 7, 7), date(2025, 7, 13)),
                                                whole_days(true, date(2025, 7, 9), date(2025, 7, 9))};
        CHECK_FALSE(duty(office, both, vn(2025, 7, 8, 10)));
        CHECK(duty(office, both, vn(2025, 7, 9, 20)));
    }
}

// ---- column forms ------------------------------------------------------------

TEST_CASE("directory: days, times and dates as text") {
    CHECK(format_days(0x7f) == "daily");
    CHECK(format_days(0x1f) == "mon-fri");
    CHECK(format_days(sat | sun) == "sat,sun");
    CHECK(format_days(mon | 0x1c) == "mon,wed-fri");
    CHECK(format_days(mon | sun) == "mon,sun");
    CHECK(format_clock(0) == "00:00");
    CHECK(format_clock(22 * 60 + 5) == "22:05");
    CHECK(format_date(date(2025, 7, 1)) == "2025-07-01");
    CHECK(parse_date("2025-07-01") == date(2025, 7, 1));
    CHECK_FALSE(parse_date("2025-02-30").has_value());
    CHECK_FALSE(parse_date("2025-7-1").has_value());
    CHECK_FALSE(parse_date("01/07/2025").has_value());

    // Every set of days survives the round trip through the rosters file.
    for (unsigned d = 1; d < 128; ++d) {
        roster r;
        r.shifts.push_back(weekly_shift{"k", static_cast<std::uint8_t>(d), 60, 120});
        auto back = parse_rosters_csv(format_rosters_csv(r));
        REQUIRE(back.has_value());
        CHECK(*back == r);
    }
}

// ---- contacts CSV ------------------------------------------------------------

TEST_CASE("contacts CSV: a valid file, columns in any order, defaults filled in") {
    const std::string csv =
        "\xEF\xBB\xBFname,id,role,unit_code,phone\r\n"
        "Nguyễn Văn Thử,lvt-cp-1,commune_child_protection,05983,0300 100 001\r\n"
        "\r\n"
        " Trần Thị Mẫu ,lvt-police,commune_police,05983,+84 30 0100 002\r\n"
        "Phòng Điều phối,ls-coord,province_coordinator,20,(+84) 300100003\r\n"
        "Tổng đài 111,vn-111,hotline_supervisor,VN,84300100004\r\n";
    auto parsed = parse_contacts_csv(csv, catalog());
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? std::string() : parsed.err().message));
    REQUIRE(parsed->size() == 4);
    const auto& a = (*parsed)[0];
    CHECK(a.key == "lvt-cp-1");
    CHECK(a.name == "Nguyễn Văn Thử");
    CHECK(a.role == role::commune_child_protection);
    CHECK(a.unit_code == "05983");
    CHECK(a.phone == "+84300100001");
    CHECK(a.sms);
    CHECK_FALSE(a.webhook);
    CHECK(a.active);
    CHECK((*parsed)[1].name == "Trần Thị Mẫu");
    CHECK((*parsed)[1].phone == "+84300100002");
    CHECK((*parsed)[2].phone == "+84300100003");
    CHECK((*parsed)[3].phone == "+84300100004");
    CHECK((*parsed)[3].unit_code == "VN");
}

TEST_CASE("contacts CSV: channels, webhook URL and active") {
    const std::string head = "id,name,role,unit_code,phone,channels,webhook_url,active\n";
    auto ok = parse_contacts_csv(head +
                                     "a,A,commune_police,05983,0912345678,sms;webhook,https://example.org/hook,no\n"
                                     "b,B,commune_police,05983,0912345678,webhook,https://example.org/b,TRUE\n",
                                 catalog());
    REQUIRE_MESSAGE(ok.has_value(), (ok ? std::string() : ok.err().message));
    CHECK((*ok)[0].sms);
    CHECK((*ok)[0].webhook);
    CHECK((*ok)[0].webhook_url == "https://example.org/hook");
    CHECK_FALSE((*ok)[0].active);
    CHECK_FALSE((*ok)[1].sms);
    CHECK((*ok)[1].active);
    CHECK((*ok)[0].phone == (*ok)[1].phone);  // one number may serve two contacts

    auto bad = parse_contacts_csv(head +
                                      "c,C,commune_police,05983,0912345678,webhook,,1\n"
                                      "d,D,commune_police,05983,0912345678,pigeon,,1\n"
                                      "e,E,commune_police,05983,0912345678,sms,http://example.org,1\n"
                                      "f,F,commune_police,05983,0912345678,sms,,maybe\n",
                                  catalog());
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.err().code == "invalid_csv");
    const auto& m = bad.err().message;
    CHECK(has_line_starting(m, "line 2: webhook_url:"));
    CHECK(has_line_starting(m, "line 3: channels:"));
    CHECK(has_line_starting(m, "line 4: webhook_url:"));
    CHECK(has_line_starting(m, "line 5: active:"));
}

TEST_CASE("contacts CSV: every bad row is reported with its line number") {
    const std::string csv =
        "id,name,role,unit_code,phone\n"
        "ok-1,Nguyễn Văn A,commune_police,05983,0300100001\n"          // 2: fine
        "bad-role,Nguyễn Văn B,police,05983,0300100002\n"               // 3: unknown role
        "bad-unit,Nguyễn Văn C,commune_chair,99999,0300100003\n"        // 4: no such commune
        "old-unit,Nguyễn Văn D,commune_chair,06034,0300100004\n"        // 5: a pre-2025 commune
        "prov-commune,Nguyễn Văn E,province_police,05983,0300100005\n"  // 6: province role, commune code
        "bad-phone,Nguyễn Văn F,commune_police,05983,12345\n"           // 7: not a phone
        "ok-1,Nguyễn Văn G,commune_police,05983,0300100007\n"           // 8: duplicate id
        "nat,Nguyễn Văn H,hotline_supervisor,20,0300100008\n"           // 9: national role, province code
        "bad key!,,commune_police,05983,\n"                             // 10: id, name and phone
        "ok-2,Nguyễn Văn I,commune_police,05983,0300100010,extra\n";    // 11: one field too many
    auto r = parse_contacts_csv(csv, catalog());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "invalid_csv");
    const auto& m = r.err().message;
    INFO(m);
    CHECK_FALSE(has_line_starting(m, "line 2:"));
    CHECK(has_line_starting(m, "line 3: role:"));
    CHECK(has_line_starting(m, "line 4: unit_code:"));
    CHECK(has_line_starting(m, "line 5: unit_code:"));
    CHECK(has_line_starting(m, "line 6: unit_code:"));
    CHECK(has_line_starting(m, "line 7: phone:"));
    CHECK(has_line_starting(m, "line 8: id:"));
    CHECK(m.find("line 2") != std::string::npos);  // the duplicate names the first line
    CHECK(has_line_starting(m, "line 9: unit_code:"));
    CHECK(has_line_starting(m, "line 10: id:"));
    CHECK(has_line_starting(m, "line 10: name:"));
    CHECK(has_line_starting(m, "line 10: phone:"));
    CHECK(has_line_starting(m, "line 11: 6 fields"));
    // In line order.
    const auto ls = lines_of(m);
    CHECK(ls.front().starts_with("line 3:"));
    CHECK(ls.back().starts_with("line 11:"));
}

TEST_CASE("contacts CSV: the header, an empty file and very many errors") {
    auto missing = parse_contacts_csv("id,name,role,unit_code\na,A,commune_police,05983\n", catalog());
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.err().code == "invalid_csv");
    CHECK(missing.err().message.starts_with("line 1:"));
    CHECK(missing.err().message.find("phone") != std::string::npos);

    auto unknown = parse_contacts_csv("id,name,role,unit_code,phone,email\n", catalog());
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.err().message.starts_with("line 1:"));

    auto empty = parse_contacts_csv("", catalog());
    REQUIRE_FALSE(empty.has_value());
    CHECK(empty.err().message.starts_with("line 1:"));

    auto header_only = parse_contacts_csv("id,name,role,unit_code,phone\n", catalog());
    REQUIRE(header_only.has_value());
    CHECK(header_only->empty());

    std::string many = "id,name,role,unit_code,phone\n";
    for (int i = 0; i < 70; ++i) many += "k" + std::to_string(i) + ",N,commune_police,00000,0300100001\n";
    auto r = parse_contacts_csv(many, catalog());
    REQUIRE_FALSE(r.has_value());
    const auto ls = lines_of(r.err().message);
    CHECK(ls.size() == 51);
    CHECK(ls.back() == "... and 20 more");
}

TEST_CASE("contacts CSV: round trip") {
    std::vector<contact> cs(3);
    cs[0] = contact{"a.1", "Lê Thị \"Thu\", cán bộ", role::commune_child_protection, "05983", "+84300100001",
                    true, false, "", true};
    cs[1] = contact{"b_2", "Hoàng Văn Nam", role::province_police, "20", "+842053812345", true, true,
                    "https://hooks.example.org/a?b=c,d", false};
    cs[2] = contact{"c-3", "Tổng đài", role::hotline_supervisor, "VN", "+14155550100", false, true,
                    "https://hooks.example.org/x", true};
    const std::string text = format_contacts_csv(cs);
    CHECK(text.starts_with("id,name,role,unit_code,phone,channels,webhook_url,active\r\n"));
    auto back = parse_contacts_csv(text, catalog());
    REQUIRE_MESSAGE(back.has_value(), (back ? std::string() : back.err().message));
    CHECK(*back == cs);
    CHECK(format_contacts_csv(*back) == text);
}

TEST_CASE("check_contact names the field at fault and normalises") {
    contact c{"k", "  Vũ Thị Hạnh ", role::commune_police, "05983", "0300 100 009", true, false, "", true};
    CHECK(check_contact(c, catalog()).empty());
    CHECK(c.name == "Vũ Thị Hạnh");
    CHECK(c.phone == "+84300100009");

    contact bad{"", "Vũ\nThị", role::province_coordinator, "05983", "0400 000 000", false, false, "", true};
    const auto errors = check_contact(bad, catalog());
    std::vector<std::string> fields;
    for (const auto& e : errors) fields.push_back(e.field);
    CHECK(fields == std::vector<std::string>{"id", "name", "unit_code", "phone", "channels"});
}

// ---- rosters CSV -------------------------------------------------------------

TEST_CASE("rosters CSV: weekly shifts and overrides") {
    const std::string csv =
        "contact,kind,days,from,to,start,end,note\n"
        "lvt-cp-1,weekly,mon-fri,,,07:30,17:00,\n"
        "lvt-cp-1,weekly,\"sat,sun\",,,0:00,0:00,\n"
        "lvt-cp-2,weekly,daily,,,17:00,07:30,\n"
        "lvt-cp-2,WEEKLY,fri-mon,,,18:00,24:00,\n"
        "lvt-cp-1,off,,2025-07-14,2025-07-18,,,nghỉ phép\n"
        "lvt-cp-2,on,,2025-07-15,,07:30,17:00,\"đổi ca, thay chị Thu\"\n";
    auto r = parse_rosters_csv(csv);
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().message));
    REQUIRE(r->shifts.size() == 4);
    CHECK(r->shifts[0] == weekly_shift{"lvt-cp-1", 0x1f, 450, 1020});
    CHECK(r->shifts[1] == weekly_shift{"lvt-cp-1", sat | sun, 0, 0});
    CHECK(r->shifts[2] == weekly_shift{"lvt-cp-2", 0x7f, 1020, 450});
    CHECK(r->shifts[3] == weekly_shift{"lvt-cp-2", 0x10 | sat | sun | mon, 1080, 0});
    REQUIRE(r->overrides.size() == 2);
    CHECK_FALSE(r->overrides[0].on_duty);
    CHECK(r->overrides[0].from == date(2025, 7, 14));
    CHECK(r->overrides[0].to == date(2025, 7, 18));
    CHECK_FALSE(r->overrides[0].start_minute.has_value());
    CHECK(r->overrides[0].note == "nghỉ phép");
    CHECK(r->overrides[1].on_duty);
    CHECK(r->overrides[1].to == date(2025, 7, 15));  // to defaults to from
    CHECK(r->overrides[1].start_minute == 450);
    CHECK(r->overrides[1].end_minute == 1020);
    CHECK(r->overrides[1].note == "đổi ca, thay chị Thu");

    // 18:00-24:00 ends at midnight.
    CHECK(on_duty(std::span(r->shifts).subspan(3, 1), {}, vn(2025, 7, 11, 23, 59)));
    CHECK_FALSE(on_duty(std::span(r->shifts).subspan(3, 1), {}, vn(2025, 7, 12, 0)));
}

TEST_CASE("rosters CSV: every bad row is reported with its line number") {
    const std::string csv =
        "contact,kind,days,from,to,start,end,note\n"
        "a,weekly,mon-fri,,,08:00,17:00,\n"         // 2: fine
        "a,weekly,mon-fry,,,08:00,17:00,\n"         // 3: days
        "a,weekly,daily,,,25:00,17:00,\n"           // 4: start
        "a,weekly,daily,,,08:00,,\n"                // 5: end missing
        "a,off,,2025-07-10,2025-07-01,,,\n"         // 6: to before from
        "a,on,,,,,,\n"                              // 7: from missing
        "a,on,,2025-07-01,,08:00,,\n"               // 8: start without end
        "a,holiday,,2025-07-01,,,,\n"               // 9: kind
        ",weekly,daily,,,08:00,09:00,\n"            // 10: contact missing
        "a,weekly,daily,2025-07-01,,08:00,09:00,\n" // 11: a date on a weekly row
        "a,off,mon,2025-07-01,,,,\n"                // 12: days on an off row
        "a,on,,2025-13-01,,,,\n";                   // 13: not a date
    auto r = parse_rosters_csv(csv);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "invalid_csv");
    const auto& m = r.err().message;
    INFO(m);
    CHECK_FALSE(has_line_starting(m, "line 2:"));
    CHECK(has_line_starting(m, "line 3: days:"));
    CHECK(has_line_starting(m, "line 4: start:"));
    CHECK(has_line_starting(m, "line 5: end:"));
    CHECK(has_line_starting(m, "line 6: to:"));
    CHECK(has_line_starting(m, "line 7: from:"));
    CHECK(has_line_starting(m, "line 8: end:"));
    CHECK(has_line_starting(m, "line 9: kind:"));
    CHECK(has_line_starting(m, "line 10: contact:"));
    CHECK(has_line_starting(m, "line 11: from:"));
    CHECK(has_line_starting(m, "line 12: days:"));
    CHECK(has_line_starting(m, "line 13: from:"));
}

TEST_CASE("rosters CSV: contacts not in the directory are bad rows when the caller says who is known") {
    const std::string csv =
        "contact,kind,days,start,end\n"
        "known,weekly,daily,08:00,09:00\n"
        "stranger,weekly,daily,08:00,09:00\n"
        "known,weekly,daily,10:00,11:00\n"
        "other,weekly,daily,10:00,11:00\n";
    CHECK(parse_rosters_csv(csv).has_value());
    auto r = parse_rosters_csv(csv, [](std::string_view k) { return k == "known"; });
    REQUIRE_FALSE(r.has_value());
    const auto& m = r.err().message;
    CHECK(has_line_starting(m, "line 3: contact: no contact \"stranger\""));
    CHECK(has_line_starting(m, "line 5: contact: no contact \"other\""));
    CHECK(lines_of(m).size() == 2);
}

TEST_CASE("rosters CSV: round trip") {
    roster r;
    r.shifts = {weekly_shift{"a", 0x1f, 450, 1020}, weekly_shift{"a", sat | sun, 0, 0},
                weekly_shift{"b", 0x7f, 1320, 360}, weekly_shift{"c", mon | 0x1c, 1080, 0}};
    r.overrides = {whole_days(false, date(2025, 7, 14), date(2025, 7, 18)),
                   window(true, date(2025, 12, 31), date(2026, 1, 1), 1320, 360)};
    r.overrides[0].note = "nghỉ phép \"năm\", đã duyệt";
    r.overrides[1].contact_key = "b";
    const std::string text = format_rosters_csv(r);
    CHECK(text.starts_with("contact,kind,days,from,to,start,end,note\r\n"));
    auto back = parse_rosters_csv(text);
    REQUIRE_MESSAGE(back.has_value(), (back ? std::string() : back.err().message));
    CHECK(*back == r);
    CHECK(format_rosters_csv(*back) == text);
}

TEST_CASE("add_roster_row names the column at fault and adds nothing") {
    roster r;
    auto errors = add_roster_row(roster_row{"a", "weekly", "", "", "", "8h", "", ""}, r);
    std::vector<std::string> fields;
    for (const auto& e : errors) fields.push_back(e.field);
    CHECK(fields == std::vector<std::string>{"days", "end", "start"});
    CHECK(r.shifts.empty());
    CHECK(add_roster_row(roster_row{"a", "off", "", "2025-07-01", "", "", "", ""}, r).empty());
    CHECK(r.overrides.size() == 1);
}
