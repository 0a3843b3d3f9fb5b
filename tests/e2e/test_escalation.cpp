// Escalation end to end, across restarts: the real server is started with
// `--clock-start` at chosen instants (no waiting for a deadline), stopped
// with SIGTERM between them, and the database file is read after each stop.
// An emergency report's first step breaches its 15-minute deadline while the
// server is down; the next start assigns step 2 exactly once, and later
// starts add nothing.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace hotline::e2e;
namespace json = boost::json;

namespace {

// Wednesday 2 December 2026, 09:00 in Hanoi (02:00 UTC), a working day.
constexpr const char* t0 = "2026-12-02T09:00:00+07:00";
constexpr const char* t0_utc_prefix = "2026-12-02T02:00:";
constexpr const char* t0_plus_16 = "2026-12-02T09:16:00+07:00";
constexpr const char* t0_plus_17 = "2026-12-02T09:17:00+07:00";
// Step 2's reminders (half of its 15 minutes from T0+16) are due by then.
constexpr const char* t0_plus_24 = "2026-12-02T09:24:00+07:00";
constexpr long long t0_ms = 1796176800000;  // 2026-12-02T02:00:00Z
constexpr long long minute_ms = 60'000;

// Lương Văn Tri (05983, Lạng Sơn). The child-protection officer works office
// hours only, so routing at T0 depends on the server's clock, not on when the
// test runs; everybody else needed by steps 1 and 2 is on duty then.
constexpr const char* contacts_csv =
    "id,name,role,unit_code,phone,channels,webhook_url,active\n"
    "esc-05983-cp,Lò Thị Trực,commune_child_protection,05983,0302990201,sms,,1\n"
    "esc-05983-police,Công an phường Lương Văn Tri,commune_police,05983,0302990202,sms,,1\n"
    "esc-05983-chair,Chủ tịch UBND phường,commune_chair,05983,0302990203,sms,,1\n"
    "esc-20-coord,Điều phối tỉnh Lạng Sơn,province_coordinator,20,0302990204,sms,,1\n"
    "esc-20-police,Công an tỉnh Lạng Sơn,province_police,20,0302990205,sms,,1\n"
    "esc-vn-sup,Giám sát Tổng đài,hotline_supervisor,VN,0302990206,sms,,1\n";

constexpr const char* rosters_csv =
    "contact,kind,days,from,to,start,end,note\n"
    "esc-05983-cp,weekly,mon-fri,,,08:00,12:00,\n"
    "esc-05983-police,weekly,daily,,,06:00,18:00,\n"
    "esc-05983-chair,weekly,mon-fri,,,07:30,17:00,\n"
    "esc-20-coord,weekly,daily,,,00:00,00:00,\n"
    "esc-20-police,weekly,daily,,,00:00,00:00,\n"
    "esc-vn-sup,weekly,daily,,,00:00,00:00,\n";

const std::vector<std::string> contact_phones = {"+84302990201", "+84302990202", "+84302990203",
                                                 "+84302990204", "+84302990205", "+84302990206"};

void import_directory(const temp_dir& dir, const fs::path& db) {
    { std::ofstream(dir.path() / "contacts.csv") << contacts_csv; }
    { std::ofstream(dir.path() / "rosters.csv") << rosters_csv; }
    const auto contacts = run_cli(dir, "import contacts '" + (dir.path() / "contacts.csv").string() + "' --db '" +
                                           db.string() + "'");
    REQUIRE_MESSAGE(contacts.exit_code == 0, contacts.err);
    const auto rosters = run_cli(dir, "import rosters '" + (dir.path() / "rosters.csv").string() + "' --db '" +
                                          db.string() + "'");
    REQUIRE_MESSAGE(rosters.exit_code == 0, rosters.err);
}

// "step|contact key|role|state|breached" per assignment of the report, in order.
std::vector<std::string> assignments_of(const fs::path& db, const std::string& code) {
    return db_rows(db,
                   "SELECT a.step || '|' || coalesce(k.key, 'queue:' || a.queue) || '|' || coalesce(a.role, '-') "
                   "|| '|' || a.state || '|' || CASE WHEN a.breached_at IS NULL THEN 'due' ELSE 'breached' END "
                   "FROM assignments AS a JOIN reports AS r ON r.id = a.report_id "
                   "LEFT JOIN contacts AS k ON k.id = a.contact_id WHERE r.tracking_code = ?1 ORDER BY a.id",
                   {code});
}

std::size_t events_of(const fs::path& db, const std::string& code, const std::string& kind) {
    return db_rows(db,
                   "SELECT e.id FROM events AS e JOIN reports AS r ON r.id = e.report_id "
                   "WHERE r.tracking_code = ?1 AND e.kind = ?2",
                   {code, kind})
        .size();
}

std::size_t step_assignments(const fs::path& db, const std::string& code, int step) {
    return db_rows(db,
                   "SELECT a.id FROM assignments AS a JOIN reports AS r ON r.id = a.report_id "
                   "WHERE r.tracking_code = ?1 AND a.step = ?2",
                   {code, std::to_string(step)})
        .size();
}

// Polls the database (read-only, beside the running server) until `done`
// holds; bounded so that a missing outcome fails instead of hanging.
template <class Pred>
bool wait_until(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

}  // namespace

TEST_CASE("escalation: an emergency's step 2 is assigned once across restarts, by the server's clock") {
    temp_dir dir;
    const fs::path db = dir.path() / "hotline.db";
    import_directory(dir, db);

    std::string code;  // as stored (ungrouped)
    {
        server_process server(dir.path(), "", {"--clock-start", t0});
        http_client c(server.port());
        const auto r = c.post_json("/api/v1/reports",
                                   json::serialize(json::object{{"text", "Bố đang đánh bé, bé chảy máu nhiều"},
                                                                {"location_code", "05983"}}));
        REQUIRE_MESSAGE(r.status == 201, r.body);
        const auto b = body_of(r);
        // The server's clock started at T0, whatever the time is.
        CHECK(std::string(b.at("received_at").as_string()).starts_with(t0_utc_prefix));
        for (const char ch : b.at("tracking_code").as_string())
            if (ch != '-') code.push_back(ch);
        CHECK(server.stop(SIGTERM) == 0);
    }
    REQUIRE(db_rows(db,
                    "SELECT json_extract(e.data, '$.urgency') FROM events AS e JOIN reports AS r "
                    "ON r.id = e.report_id WHERE r.tracking_code = ?1 AND e.kind = 'classified'",
                    {code}) == std::vector<std::string>{"emergency"});
    // Step 1 by the routing rules, both on duty at T0 (the office-hours
    // officer would be off at most real hours), due 15 minutes after receipt.
    CHECK(assignments_of(db, code) ==
          std::vector<std::string>{"1|esc-05983-cp|commune_child_protection|open|due",
                                   "1|esc-05983-police|commune_police|open|due"});
    const auto deadlines = db_rows(db,
                                   "SELECT a.ack_due_at - r.received_at, r.received_at - ?2 FROM assignments AS a "
                                   "JOIN reports AS r ON r.id = a.report_id WHERE r.tracking_code = ?1",
                                   {code, std::to_string(t0_ms)});
    REQUIRE(deadlines.size() == 2);
    for (const auto& d : deadlines) {
        CHECK(d.substr(0, d.find('|')) == std::to_string(15 * minute_ms));
        // Received within the first seconds of the server's T0.
        CHECK(std::stoll(d.substr(d.find('|') + 1)) < 10'000);
    }

    // The deadline passes while the server is down; it starts again at T0+16.
    {
        server_process server(dir.path(), "", {"--clock-start", t0_plus_16});
        CHECK(wait_until([&] { return step_assignments(db, code, 2) >= 2; }));
        CHECK(server.stop(SIGTERM) == 0);
    }
    CHECK(assignments_of(db, code) ==
          std::vector<std::string>{"1|esc-05983-cp|commune_child_protection|open|breached",
                                   "1|esc-05983-police|commune_police|open|breached",
                                   "2|esc-05983-chair|commune_chair|open|due",
                                   "2|esc-20-coord|province_coordinator|open|due"});
    CHECK(events_of(db, code, "ack_breached") == 2);
    CHECK(events_of(db, code, "escalated") == 1);
    // Step 2 was made at the server's T0+16 and has its own 15 minutes.
    const auto step2 = db_rows(db,
                               "SELECT a.created_at - ?2, a.ack_due_at - a.created_at FROM assignments AS a "
                               "JOIN reports AS r ON r.id = a.report_id WHERE r.tracking_code = ?1 AND a.step = 2",
                               {code, std::to_string(t0_ms)});
    REQUIRE(step2.size() == 2);
    for (const auto& s : step2) {
        const long long made = std::stoll(s.substr(0, s.find('|')));
        CHECK(made >= 16 * minute_ms);
        CHECK(made < 16 * minute_ms + 10'000);
        CHECK(s.substr(s.find('|') + 1) == std::to_string(15 * minute_ms));
    }
    CHECK(db_rows(db, "SELECT ladder_step FROM reports WHERE tracking_code = ?1", {code}) ==
          std::vector<std::string>{"1"});

    // A third start, still before step 2's deadline: nothing new. What is
    // due is handled at start, at once, so a second is ample to see a second
    // escalation or a new breach if there were one.
    {
        server_process server(dir.path(), "", {"--clock-start", t0_plus_17});
        CHECK_FALSE(wait_until(
            [&] { return events_of(db, code, "escalated") > 1 || events_of(db, code, "ack_breached") > 2; },
            std::chrono::seconds(1)));
        CHECK(server.stop(SIGTERM) == 0);
    }
    CHECK(step_assignments(db, code, 2) == 2);
    CHECK(step_assignments(db, code, 3) == 0);
    CHECK(events_of(db, code, "ack_breached") == 2);
    CHECK(events_of(db, code, "escalated") == 1);

    // A fourth start when step 2's reminders are due: the scheduler has
    // certainly run (it records them), and still escalates nothing again.
    std::string log;
    {
        const std::size_t reminders_before = events_of(db, code, "reminder_due");
        server_process server(dir.path(), "", {"--clock-start", t0_plus_24});
        CHECK(wait_until([&] { return events_of(db, code, "reminder_due") >= reminders_before + 2; }));
        CHECK(server.stop(SIGTERM) == 0);
        CHECK(events_of(db, code, "reminder_due") == reminders_before + 2);
        log = server.log();
    }
    CHECK(step_assignments(db, code, 2) == 2);
    CHECK(step_assignments(db, code, 3) == 0);
    CHECK(events_of(db, code, "ack_breached") == 2);
    CHECK(events_of(db, code, "escalated") == 1);

    // Privacy: no contact's number in the server's log, over all four runs.
    for (const auto& phone : contact_phones) CHECK_MESSAGE(log.find(phone) == std::string::npos, phone);
}

TEST_CASE("--clock-start that is not an RFC 3339 instant stops the server at start") {
    temp_dir dir;
    for (const char* bad : {"2026-12-02", "2026-12-02T09:00:00", "yesterday", ""}) {
        try {
            server_process server(dir.path(), "", {"--clock-start", bad});
            FAIL_CHECK("the server started with --clock-start " << bad);
        } catch (const std::runtime_error& e) {
            CHECK_MESSAGE(std::string(e.what()).find("--clock-start") != std::string::npos, e.what());
        }
    }
}
