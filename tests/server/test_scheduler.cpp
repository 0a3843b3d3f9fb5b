#include "server/scheduler.hpp"

#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "storage/directory.hpp"
#include "tests/storage/directory_fixture.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace std::chrono_literals;
using hotline::storage::test::await;
using hotline::storage::test::ok;
using hotline::test::temp_dir;
using routing::role;
namespace asio = boost::asio;

namespace {

const time_point t0 = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z, a Wednesday

const routing::routing_policy& rules() {
    static const routing::routing_policy p = routing::routing_policy::defaults();
    return p;
}

// A database with a ward's child-protection officer, police, chair and the
// province coordinator on duty all week, an io_context run by the test, a
// manual clock.
struct world {
    temp_dir dir;
    manual_clock clk{t0};
    std::ostringstream logs;
    server::logger log{server::log_level::debug, clk, logs};
    storage::deadline_policy policy;
    // Before the database: the database, destroyed first, finishes its work
    // and posts the completions to a live io_context.
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    std::unique_ptr<storage::database> db;

    world() {
        db = storage::test::open_db(dir);
        storage::test::add_staff(*db,
                                 {{"cp", role::commune_child_protection, "05983"},
                                  {"police", role::commune_police, "05983"},
                                  {"chair", role::commune_chair, "05983"},
                                  {"coord", role::province_coordinator, "20"}},
                                 t0);
    }

    std::uint64_t report(intake::urgency level, time_point at) {
        storage::new_report r;
        r.channel = intake::channel::web;
        r.received_at = at;
        r.data.text = "Hàng xóm đánh cháu bé";
        storage::classification_event e;
        e.result.level = level;
        e.result.track = intake::legal_track::standard_5wd;
        e.lexicon = "test";
        r.classification = std::move(e);
        routing::location_result l;
        l.commune_code = "05983";
        l.province_code = "20";
        r.routing = storage::routing_request{l, &rules(), &policy};
        return ok(await<storage::receipt>([&](auto done) { db->insert_report(std::move(r), done); })).id;
    }

    // Runs the io_context in small slices until `done` holds (at most 10 s).
    template <class Pred>
    bool run_until(Pred done) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!done()) {
            if (std::chrono::steady_clock::now() > until) return false;
            ioc.run_for(2ms);
        }
        return true;
    }

    std::string text(const std::string& sql) { return storage::test::read_text(*db, sql); }
    std::int64_t number(const std::string& sql) { return storage::test::read_int(*db, sql); }
};

}  // namespace

TEST_CASE("scheduler: arms for the earliest due deadline and fires when the clock reaches it") {
    world w;
    const auto id = w.report(intake::urgency::emergency, t0);
    server::scheduler s(w.ioc, *w.db, w.clk, w.log, w.policy);
    s.start();
    REQUIRE(w.run_until([&] { return s.armed_for() == t0 + 7min + 30s; }));
    CHECK(s.runs() == 0);

    // Nothing fires before the clock says so.
    w.clk.set(t0 + 7min);
    s.notify();
    w.ioc.run_for(20ms);
    CHECK(s.runs() == 0);

    w.clk.set(t0 + 15min);
    s.notify();
    REQUIRE(w.run_until([&] { return s.runs() == 1 && s.armed_for() == t0 + 22min + 30s; }));
    CHECK(s.handled() == 4);  // two reminders (fallen due past the deadline: skipped), two breaches
    CHECK(w.number("SELECT count(*) FROM events WHERE kind = 'reminder_due'") == 0);
    CHECK(w.number("SELECT count(*) FROM events WHERE kind = 'escalated' AND report_id = " + std::to_string(id)) == 1);
    CHECK(w.text("SELECT group_concat(role, ',') FROM (SELECT role FROM assignments WHERE step = 2 ORDER BY id)") ==
          "commune_chair,province_coordinator");
    CHECK(w.logs.str().find("\"deadlines_handled\"") != std::string::npos);
    CHECK(w.logs.str().find("+8490") == std::string::npos);
}

TEST_CASE("scheduler: the timer fires on its own, measured with the clock") {
    world w;
    w.report(intake::urgency::emergency, t0);
    server::scheduler_options o;
    o.max_sleep = 1ms;  // asks again every millisecond: the manual clock moves without a notify()
    server::scheduler s(w.ioc, *w.db, w.clk, w.log, w.policy, o);
    s.start();
    REQUIRE(w.run_until([&] { return s.armed_for().has_value(); }));
    w.ioc.run_for(10ms);
    CHECK(s.runs() == 0);
    w.clk.set(t0 + 15min);
    REQUIRE(w.run_until([&] { return s.runs() >= 1 && s.armed_for() == t0 + 22min + 30s; }));
    CHECK(w.number("SELECT count(*) FROM events WHERE kind = 'escalated'") == 1);
}

TEST_CASE("scheduler: notify after a new report arms for its earlier deadline") {
    world w;
    w.report(intake::urgency::normal, t0);
    server::scheduler s(w.ioc, *w.db, w.clk, w.log, w.policy);
    s.start();
    REQUIRE(w.run_until([&] { return s.armed_for() == t0 + 2h; }));  // the normal report's reminder
    w.report(intake::urgency::emergency, t0 + 1min);
    s.notify();
    REQUIRE(w.run_until([&] { return s.armed_for() == t0 + 8min + 30s; }));
}

TEST_CASE("scheduler: notify_due reads again only for a deadline before the timer") {
    world w;
    w.report(intake::urgency::normal, t0);
    server::scheduler s(w.ioc, *w.db, w.clk, w.log, w.policy);
    s.start();
    REQUIRE(w.run_until([&] { return s.armed_for() == t0 + 2h; }));
    const auto reads = s.reads();

    // A later deadline: the timer wakes first anyway, no read.
    w.report(intake::urgency::normal, t0 + 1min);
    s.notify_due(t0 + 1min + 2h);
    w.ioc.poll();  // runs what notify_due posted (the scheduler's timer keeps the context busy)
    CHECK(s.reads() == reads);
    CHECK(s.armed_for() == t0 + 2h);

    // An earlier one: read again, and armed for it.
    w.report(intake::urgency::emergency, t0 + 2min);
    s.notify_due(t0 + 9min + 30s);
    REQUIRE(w.run_until([&] { return s.armed_for() == t0 + 9min + 30s; }));
    CHECK(s.reads() == reads + 1);
}

TEST_CASE("scheduler: notify_due while nothing is armed reads again") {
    world w;
    server::scheduler s(w.ioc, *w.db, w.clk, w.log, w.policy);
    s.start();
    REQUIRE(w.run_until([&] { return s.reads() == 1; }));
    w.ioc.run_for(20ms);
    CHECK_FALSE(s.armed_for().has_value());
    w.report(intake::urgency::normal, t0);
    s.notify_due(t0 + 2h);
    REQUIRE(w.run_until([&] { return s.armed_for() == t0 + 2h; }));
    CHECK(s.reads() == 2);
}

TEST_CASE("scheduler: at start, what fell due while the server was down fires at once, oldest first") {
    world w;
    const auto first = w.report(intake::urgency::emergency, t0);
    const auto second = w.report(intake::urgency::emergency, t0 + 1min);
    w.clk.set(t0 + 1h);  // the server was down for an hour
    std::vector<storage::due_outcome> seen;
    server::scheduler_options o;
    o.on_run = [&](const storage::due_outcome& r) { seen.push_back(r); };
    server::scheduler s(w.ioc, *w.db, w.clk, w.log, w.policy, o);
    s.start();
    REQUIRE(w.run_until([&] { return s.runs() >= 1 && s.armed_for() == t0 + 1h + 7min + 30s; }));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].escalations == 2);
    // The reminders fell due with their deadlines past: no reminder beside the breach.
    CHECK(seen[0].reminders == 0);
    CHECK(seen[0].reminders_skipped == 4);
    const std::string a = std::to_string(first), b = std::to_string(second);
    CHECK(w.text("SELECT group_concat(e, ',') FROM (SELECT kind || ':' || report_id AS e FROM events "
                 "WHERE actor = 'scheduler' ORDER BY id)") ==
          "ack_breached:" + a + ",escalated:" + a + ",ack_breached:" + a + ",ack_breached:" + b +
              ",escalated:" + b + ",ack_breached:" + b);
    // The new step's deadline runs from when it was assigned.
    CHECK(w.number("SELECT min(ack_due_at) FROM assignments WHERE step = 2") == to_unix_ms(t0 + 1h + 15min));
}

TEST_CASE("scheduler: a full batch is followed at once by the next") {
    world w;
    for (int i = 0; i < 3; ++i) w.report(intake::urgency::emergency, t0 + std::chrono::minutes(i));
    w.clk.set(t0 + 10min);
    server::scheduler_options o;
    o.batch = 2;
    server::scheduler s(w.ioc, *w.db, w.clk, w.log, w.policy, o);
    s.start();
    REQUIRE(w.run_until([&] { return s.handled() == 6 && s.armed_for() == t0 + 15min; }));
    CHECK(s.runs() == 4);  // three full batches, then one that finds nothing more
}

TEST_CASE("scheduler: stop cancels the timer and calls back once idle") {
    world w;
    w.report(intake::urgency::emergency, t0);
    server::scheduler s(w.ioc, *w.db, w.clk, w.log, w.policy);
    s.start();
    REQUIRE(w.run_until([&] { return s.armed_for().has_value(); }));
    int stopped = 0;
    s.stop([&] { ++stopped; });
    REQUIRE(w.run_until([&] { return stopped == 1; }));
    CHECK_FALSE(s.armed_for().has_value());
    w.clk.set(t0 + 1h);
    s.notify();
    w.ioc.run_for(20ms);
    CHECK(s.runs() == 0);
    CHECK(stopped == 1);
}

TEST_CASE("scheduler: the deadline policy comes from the configuration, holidays built in or from a file") {
    server::config cfg;
    cfg.ack.high = std::chrono::minutes(30);
    const auto builtin = server::load_deadline_policy(cfg);
    REQUIRE_MESSAGE(builtin.has_value(), (builtin ? "" : builtin.err().message));
    CHECK(builtin->ack.high == std::chrono::minutes(30));
    CHECK(builtin->escalation == routing::escalation_policy::defaults());
    CHECK(builtin->calendar.covers(std::chrono::year(2026)));
    CHECK(builtin->calendar.covers(std::chrono::year(2027)));
    // 2 September 2026, National Day.
    CHECK_FALSE(builtin->calendar.is_working_day(std::chrono::local_days(std::chrono::year(2026) / 9 / 2)));

    temp_dir dir;
    const std::string file = dir.file("holidays.csv");
    {
        std::ofstream out(file);
        out << "date,kind,name\n2026-07-02,holiday,Test day\n2026-07-03,weekday,Bad kind\n";
    }
    cfg.holidays_file = file;
    const auto bad = server::load_deadline_policy(cfg);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.err().code == "config_error");
    CHECK(bad.err().field == "deadlines.holidays_file");
    CHECK(bad.err().message.find("line 3") != std::string::npos);

    cfg.holidays_file = dir.file("missing.csv");
    const auto missing = server::load_deadline_policy(cfg);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.err().field == "deadlines.holidays_file");
}
