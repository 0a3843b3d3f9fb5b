// The Lạng Sơn demo directory (deploy/demo/): it loads, covers every commune
// as its README says, and keeps ward 05983 staffed at all times.
#include "routing/directory.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/routing/units_fixture.hpp"
#include "tests/support/read_file.hpp"
#include "tests/support/vietnam_time.hpp"

using namespace hotline;
using namespace hotline::routing;
using namespace std::chrono;
using hotline::routing::test::catalog;
using hotline::test::read_file;
using hotline::test::vn;

namespace {

struct demo {
    std::vector<contact> contacts;
    roster rosters;
    std::map<std::string, roster> by_contact;
};

const demo& load_demo() {
    static const demo d = [] {
        demo out;
        const std::string dir = std::string(HOTLINE_SOURCE_DIR) + "/deploy/demo/";
        auto cs = parse_contacts_csv(read_file(dir + "contacts.csv"), catalog());
        REQUIRE_MESSAGE(cs.has_value(), (cs ? std::string() : cs.err().message));
        out.contacts = std::move(*cs);
        std::set<std::string> keys;
        for (const auto& c : out.contacts) keys.insert(c.key);
        auto r = parse_rosters_csv(read_file(dir + "rosters.csv"),
                                   [&keys](std::string_view k) { return keys.contains(std::string(k)); });
        REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().message));
        out.rosters = std::move(*r);
        for (const auto& s : out.rosters.shifts) out.by_contact[s.contact_key].shifts.push_back(s);
        for (const auto& o : out.rosters.overrides) out.by_contact[o.contact_key].overrides.push_back(o);
        return out;
    }();
    return d;
}

// Whether anyone with role `r` in `unit` is on duty at `t`.
bool staffed(const demo& d, role r, std::string_view unit, hotline::time_point t) {
    for (const auto& c : d.contacts) {
        if (c.role != r || c.unit_code != unit || !c.active) continue;
        const auto it = d.by_contact.find(c.key);
        if (it != d.by_contact.end() && on_duty(it->second.shifts, it->second.overrides, t)) return true;
    }
    return false;
}

// Every 10 minutes of an ordinary week, and of the weeks with overrides
// (January 2026 swap, Tết 2026).
std::vector<hotline::time_point> sample_times() {
    std::vector<hotline::time_point> out;
    for (const auto start : {vn(2025, 7, 7), vn(2026, 1, 4), vn(2026, 2, 12)})
        for (int m = 0; m < 8 * 24 * 60; m += 10) out.push_back(start + minutes(m));
    return out;
}

const std::set<std::string> gap_communes = {"06541", "06625"};

}  // namespace

TEST_CASE("demo directory: every Lạng Sơn commune has a child-protection officer and commune police") {
    const auto& d = load_demo();
    std::map<std::string, std::set<role>> roles;
    for (const auto& c : d.contacts) {
        roles[c.unit_code].insert(c.role);
        // Numbers from the unallocated 030 block only (deploy/demo/README.md).
        CHECK(c.phone.starts_with("+84302"));
        CHECK(c.phone.size() == 12);
    }
    std::size_t communes = 0;
    for (const auto& c : catalog().communes()) {
        if (c.province_code != "20") continue;
        ++communes;
        INFO(c.code);
        CHECK(roles[c.code].contains(role::commune_child_protection));
        CHECK(roles[c.code].contains(role::commune_police));
    }
    CHECK(communes == 65);
    CHECK(roles["20"].contains(role::province_coordinator));
    CHECK(roles["20"].contains(role::province_police));
    CHECK(roles["VN"].contains(role::hotline_supervisor));
    std::size_t chairs = 0;
    for (const auto& c : d.contacts) chairs += c.role == role::commune_chair ? 1 : 0;
    CHECK(chairs >= 10);
    // Every contact has a roster except the one left without on purpose.
    for (const auto& c : d.contacts)
        if (c.key != "ls-06625-cp") CHECK_MESSAGE(d.by_contact.contains(c.key), c.key);
}

TEST_CASE("demo directory: round-the-clock commune coverage, except the communes with gaps on purpose") {
    const auto& d = load_demo();
    const auto times = sample_times();
    std::set<std::string> with_gaps;
    for (const auto& c : catalog().communes()) {
        if (c.province_code != "20") continue;
        for (const auto t : times)
            if (!staffed(d, role::commune_child_protection, c.code, t) && !staffed(d, role::commune_police, c.code, t)) {
                with_gaps.insert(c.code);
                break;
            }
    }
    CHECK(with_gaps == gap_communes);
    // The gaps are where the README says.
    CHECK_FALSE(staffed(d, role::commune_police, "06541", vn(2025, 7, 7, 23)));      // Monday night
    CHECK_FALSE(staffed(d, role::commune_police, "06625", vn(2025, 7, 12, 10)));     // Saturday morning
    CHECK_FALSE(staffed(d, role::commune_child_protection, "06625", vn(2025, 7, 8, 10)));
    CHECK(staffed(d, role::commune_chair, "06541", vn(2025, 7, 8, 10)));
}

TEST_CASE("demo directory: ward 05983 always has a child-protection officer on duty") {
    const auto& d = load_demo();
    for (const auto t : sample_times()) {
        INFO(t.time_since_epoch().count());
        REQUIRE(staffed(d, role::commune_child_protection, "05983", t));
    }
}

TEST_CASE("demo directory: the province and the national hotline are always staffed") {
    const auto& d = load_demo();
    for (const auto t : sample_times()) {
        INFO(t.time_since_epoch().count());
        REQUIRE(staffed(d, role::province_coordinator, "20", t));
        REQUIRE(staffed(d, role::province_police, "20", t));
        REQUIRE(staffed(d, role::hotline_supervisor, "VN", t));
    }
}

TEST_CASE("demo directory: the overrides do what their notes say") {
    const auto& d = load_demo();
    // Đông Kinh's officer is away over Tết; the day police officer does extra nights.
    CHECK_FALSE(staffed(d, role::commune_child_protection, "05977", vn(2026, 2, 17, 10)));
    CHECK(staffed(d, role::commune_child_protection, "05977", vn(2026, 2, 23, 10)));
    // Tam Thanh's police swap on Monday 5 January 2026: the weekend officer works the day.
    const auto monday = vn(2026, 1, 5, 10);
    const auto& day = d.by_contact.at("ls-05986-police-day");
    const auto& weekend = d.by_contact.at("ls-05986-police-weekend");
    CHECK_FALSE(on_duty(day.shifts, day.overrides, monday));
    CHECK(on_duty(weekend.shifts, weekend.overrides, monday));
    CHECK(on_duty(day.shifts, day.overrides, monday + days(1)));
}
