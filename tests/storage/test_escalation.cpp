#include "storage/escalation.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/directory.hpp"
#include "tests/storage/directory_fixture.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/read_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace hotline::storage;
using hotline::test::temp_dir;
using namespace hotline::storage::test;
using routing::role;
using namespace std::chrono_literals;

namespace {

const time_point t0 = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z, a Wednesday, 11:00 in Hanoi

constexpr const char* ward = "05983";
constexpr const char* province = "20";

// The directory: the people given, each on duty all week.
void directory(database& db, std::vector<staff> people) { add_staff(db, std::move(people), t0); }

std::vector<staff> everybody() {
    return {
        {"ls-cp", role::commune_child_protection, ward},  {"ls-police", role::commune_police, ward},
        {"ls-chair", role::commune_chair, ward},          {"ls-coord", role::province_coordinator, province},
        {"ls-ppolice", role::province_police, province},  {"hotline-sup", role::hotline_supervisor, "VN"},
    };
}

const deadline_policy& deadlines() {
    static const deadline_policy p;
    return p;
}

receipt insert(database& db, intake::urgency level, time_point at = t0, const deadline_policy* d = &deadlines()) {
    return insert_routed(db, level, at, d);
}

due_outcome run(database& db, time_point now, const deadline_policy& p = deadlines()) {
    return ok(await<due_outcome>([&](auto done) {
        db.write<due_outcome>([now, &p](connection& c) { return run_due(c, now, p); }, done);
    }));
}

std::optional<time_point> due(database& db) {
    return ok(await<std::optional<time_point>>([&](auto done) {
        db.read<std::optional<time_point>>([](connection& c) { return next_due(c); }, done);
    }));
}

result<acknowledged> ack(database& db, std::int64_t assignment, time_point at) {
    return await<acknowledged>([&](auto done) {
        db.write<acknowledged>(
            [assignment, at](connection& c) -> result<acknowledged> {
                auto st = c.prepare("SELECT coalesce(contact_id, 0) FROM assignments WHERE id = ?1");
                if (!st) return std::move(st).err();
                if (auto r = st->bind(1, assignment); !r) return std::move(r).err();
                auto row = st->step();
                if (!row) return std::move(row).err();
                const std::int64_t contact = *row == step_result::row ? st->column_int64(0) : 1;
                return acknowledge(c, acknowledgement{assignment, contact, "api", at});
            },
            done);
    });
}

std::string q(database& db, const std::string& sql) { return read_text(db, sql); }
std::int64_t n(database& db, const std::string& sql) { return read_int(db, sql); }

// "key@step.round" (or "queue:Q/unit@step.round") for each assignment, " (state)" unless open.
std::string who(database& db, std::uint64_t id) {
    return q(db,
             "SELECT coalesce(group_concat(w, ' '), '') FROM (SELECT CASE WHEN a.contact_id IS NOT NULL THEN k.key "
             "ELSE 'queue:' || a.queue || '/' || a.unit_code END || '@' || a.step || '.' || a.ladder_round || "
             "CASE WHEN a.state = 'open' THEN '' ELSE ' (' || a.state || ')' END AS w "
             "FROM assignments AS a LEFT JOIN contacts AS k ON k.id = a.contact_id WHERE a.report_id = " +
                 std::to_string(id) + " ORDER BY a.id)");
}

std::string kinds(database& db, std::uint64_t id) {
    return q(db, "SELECT group_concat(kind, ',') FROM (SELECT kind FROM events WHERE report_id = " +
                     std::to_string(id) + " ORDER BY id)");
}

std::int64_t count_kind(database& db, std::uint64_t id, const std::string& kind) {
    return n(db, "SELECT count(*) FROM events WHERE report_id = " + std::to_string(id) + " AND kind = '" + kind + "'");
}

std::int64_t assignment_of(database& db, std::uint64_t report, const std::string& key) {
    return n(db, "SELECT a.id FROM assignments AS a JOIN contacts AS k ON k.id = a.contact_id WHERE a.report_id = " +
                     std::to_string(report) + " AND k.key = '" + key + "' ORDER BY a.id LIMIT 1");
}

std::string state_of(database& db, std::uint64_t id) {
    return q(db, "SELECT state FROM reports WHERE id = " + std::to_string(id));
}

}  // namespace

TEST_CASE("deadlines: each assignment is due by the report's urgency, reminded at half of it") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const struct {
        intake::urgency level;
        std::chrono::milliseconds ack;
    } cases[] = {{intake::urgency::emergency, 15min},
                 {intake::urgency::high, 1h},
                 {intake::urgency::normal, 4h},
                 {intake::urgency::low, 24h}};
    for (const auto& k : cases) {
        const std::string level(intake::to_string(k.level));
        CAPTURE(level);
        const auto rec = insert(*db, k.level);
        const std::string where = " FROM assignments WHERE report_id = " + std::to_string(rec.id);
        CHECK(n(*db, "SELECT count(*)" + where) >= 1);
        CHECK(n(*db, "SELECT count(*)" + where + " AND ack_due_at = " + std::to_string(to_unix_ms(t0 + k.ack))) ==
              n(*db, "SELECT count(*)" + where));
        CHECK(n(*db, "SELECT min(reminder_due_at)" + where) == to_unix_ms(t0 + k.ack / 2));
        CHECK(n(*db, "SELECT max(step) = 1 AND max(ladder_round) = 0" + where) == 1);
    }
    // The earliest of everything: the emergency's reminder.
    CHECK(due(*db) == t0 + 7min + 30s);
}

TEST_CASE("deadlines: no deadline policy, no deadlines") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto rec = insert(*db, intake::urgency::emergency, t0, nullptr);
    CHECK(n(*db, "SELECT count(*) FROM assignments WHERE ack_due_at IS NOT NULL") == 0);
    CHECK(n(*db, "SELECT count(*) FROM reports WHERE action_due_at IS NOT NULL OR plan_due_at IS NOT NULL") == 0);
    CHECK(due(*db) == std::nullopt);
    CHECK(run(*db, t0 + 24h).handled() == 0);
    CHECK(state_of(*db, rec.id) == "routed");
}

TEST_CASE("deadlines: the legal clocks, 12 hours on the emergency track, 5 working days across a weekend") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto em = insert(*db, intake::urgency::emergency);
    const auto st = insert(*db, intake::urgency::normal);
    const std::string e = " FROM reports WHERE id = " + std::to_string(em.id);
    const std::string s = " FROM reports WHERE id = " + std::to_string(st.id);
    CHECK(n(*db, "SELECT action_due_at" + e) == to_unix_ms(t0 + 12h));
    CHECK(n(*db, "SELECT plan_due_at IS NULL" + e) == 1);
    // Received Wednesday 1 July: Thu, Fri, (weekend), Mon, Tue, Wed 8 July,
    // ending at 24:00 in Hanoi = 17:00 UTC.
    CHECK(n(*db, "SELECT plan_due_at" + s) == 1783530000000);  // 2026-07-08T17:00:00Z
    CHECK(n(*db, "SELECT action_due_at IS NULL" + s) == 1);

    // The action clock breaks once, with an event that names no one.
    const auto first = run(*db, t0 + 12h);
    CHECK(first.legal_breaches == 1);
    CHECK(n(*db, "SELECT action_breached_at" + e) == to_unix_ms(t0 + 12h));
    CHECK(count_kind(*db, em.id, "action_breached") == 1);
    CHECK(q(*db, "SELECT data FROM events WHERE kind = 'action_breached'") ==
          "{\"due_at\":" + std::to_string(to_unix_ms(t0 + 12h)) + "}");
    CHECK(run(*db, t0 + 13h).legal_breaches == 0);
    CHECK(count_kind(*db, em.id, "action_breached") == 1);

    CHECK(run(*db, from_unix_ms(1783530000000) - 1ms).legal_breaches == 0);
    CHECK(run(*db, from_unix_ms(1783530000000)).legal_breaches == 1);
    CHECK(count_kind(*db, st.id, "plan_breached") == 1);
}

TEST_CASE("deadlines: the holidays file moves the plan past Reunification and Labour Day") {
    auto cal = routing::holiday_calendar::parse_csv(
        hotline::test::read_file(std::string(HOTLINE_SOURCE_DIR) + "/deploy/holidays/vn-2026-2027.csv"));
    REQUIRE(cal.has_value());
    deadline_policy p;
    p.calendar = std::move(*cal);
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    // Tuesday 28 April 2026, 10:00 UTC. Without holidays: Wed, Thu, Fri, Mon, Tue 5 May.
    const time_point at = from_unix_ms(1777370400000);
    const auto rec = insert(*db, intake::urgency::normal, at, &p);
    const auto plan_due = n(*db, "SELECT plan_due_at FROM reports WHERE id = " + std::to_string(rec.id));
    CHECK(plan_due == to_unix_ms(routing::add_working_days(at, 5, p.calendar)));
    CHECK(plan_due > to_unix_ms(routing::add_working_days(at, 5, routing::holiday_calendar())));
}

TEST_CASE("escalation: each step of the emergency ladder in order, twice round, then no more") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto rec = insert(*db, intake::urgency::emergency);
    CHECK(who(*db, rec.id) == "ls-cp@1.0 ls-police@1.0");

    // The reminders at half time come first and assign nobody.
    auto r = run(*db, t0 + 7min + 30s);
    CHECK(r.reminders == 2);
    CHECK(r.escalations == 0);
    CHECK(due(*db) == t0 + 15min);

    r = run(*db, t0 + 15min);
    CHECK(r.ack_breaches == 2);
    CHECK(r.escalations == 1);  // one step, however many of its assignments breached
    CHECK(who(*db, rec.id) == "ls-cp@1.0 ls-police@1.0 ls-chair@2.0 ls-coord@2.0");
    CHECK(n(*db, "SELECT ack_due_at FROM assignments WHERE step = 2 LIMIT 1") == to_unix_ms(t0 + 30min));

    CHECK(run(*db, t0 + 30min).escalations == 1);
    CHECK(who(*db, rec.id) == "ls-cp@1.0 ls-police@1.0 ls-chair@2.0 ls-coord@2.0 ls-ppolice@3.0 hotline-sup@3.0");
    CHECK(run(*db, t0 + 45min).escalations == 1);
    CHECK(run(*db, t0 + 60min).escalations == 1);
    CHECK(run(*db, t0 + 75min).escalations == 1);
    CHECK(who(*db, rec.id) ==
          "ls-cp@1.0 ls-police@1.0 ls-chair@2.0 ls-coord@2.0 ls-ppolice@3.0 hotline-sup@3.0 "
          "ls-cp@1.1 ls-police@1.1 ls-chair@2.1 ls-coord@2.1 ls-ppolice@3.1 hotline-sup@3.1");
    // The end of the ladder: the breach is recorded, nobody new is called,
    // and everybody can still acknowledge.
    r = run(*db, t0 + 90min);
    CHECK(r.ack_breaches == 2);
    CHECK(r.escalations == 0);
    CHECK(count_kind(*db, rec.id, "escalated") == 5);
    CHECK(count_kind(*db, rec.id, "ack_breached") == 12);
    CHECK(n(*db, "SELECT count(*) FROM assignments WHERE state = 'open'") == 12);
    CHECK(due(*db) == t0 + 12h);  // only the action clock is left
    CHECK(state_of(*db, rec.id) == "routed");

    // Events hold ids, keys and codes: no names, no phone numbers.
    const auto data = q(*db, "SELECT group_concat(data, ' ') FROM events WHERE kind IN ('escalated', "
                             "'ack_breached', 'reminder_due')");
    CHECK(data.find("Cán bộ") == std::string::npos);
    CHECK(data.find("+8490") == std::string::npos);
    CHECK(q(*db, "SELECT json_extract(data, '$.from.step') || '>' || json_extract(data, '$.to.step') || ' ' || "
                 "json_extract(data, '$.assignments[0].contact') || ' ' || actor FROM events WHERE kind = "
                 "'escalated' ORDER BY id LIMIT 1") == "1>2 ls-chair scheduler");
}

TEST_CASE("escalation: nobody on duty for a step puts the report in the province queue") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, {{"ls-cp", role::commune_child_protection, ward}, {"ls-police", role::commune_police, ward}});
    const auto rec = insert(*db, intake::urgency::emergency);
    CHECK(run(*db, t0 + 15min).escalations == 1);
    CHECK(who(*db, rec.id) == "ls-cp@1.0 ls-police@1.0 queue:province/20@2.0");
    CHECK(q(*db, "SELECT reason FROM assignments WHERE queue IS NOT NULL") == "nobody on duty for commune_chair");
    // A queue entry has a deadline too: the ladder goes on.
    CHECK(n(*db, "SELECT ack_due_at FROM assignments WHERE queue IS NOT NULL") == to_unix_ms(t0 + 30min));
    CHECK(run(*db, t0 + 30min).escalations == 1);
    CHECK(who(*db, rec.id) == "ls-cp@1.0 ls-police@1.0 queue:province/20@2.0 queue:province/20@3.0");
}

TEST_CASE("escalation: exactly once when run twice and after a restart") {
    temp_dir dir;
    options o;
    o.path = dir.file("hotline.db");
    std::uint64_t id = 0;
    {
        auto db = open_db(o);
        directory(*db, everybody());
        id = insert(*db, intake::urgency::high).id;
        CHECK(run(*db, t0 + 1h).escalations == 1);
        const auto again = run(*db, t0 + 1h);
        CHECK(again.handled() == 0);
        CHECK(again.escalations == 0);
        CHECK(who(*db, id) == "ls-cp@1.0 ls-chair@2.0 ls-police@2.0");
    }
    {
        // The process stopped; time went on by less than the next step's wait.
        auto db = open_db(o);
        const auto after = run(*db, t0 + 1h + 30min);
        CHECK(after.escalations == 0);
        CHECK(after.ack_breaches == 0);
        CHECK(who(*db, id) == "ls-cp@1.0 ls-chair@2.0 ls-police@2.0");
        CHECK(count_kind(*db, id, "escalated") == 1);
        CHECK(count_kind(*db, id, "ack_breached") == 1);
        CHECK(due(*db) == t0 + 2h);
    }
    {
        // Down for a day: everything due fires at once, oldest first, each once.
        auto db = open_db(o);
        const auto late = run(*db, t0 + 26h);
        CHECK(late.escalations == 1);  // step 3 of round 0; its own deadline is a fresh hour from now
        CHECK(who(*db, id) == "ls-cp@1.0 ls-chair@2.0 ls-police@2.0 ls-coord@3.0 hotline-sup@3.0");
        CHECK(due(*db) == t0 + 26h + 30min);  // the reminder of step 3
        CHECK(run(*db, t0 + 26h).handled() == 0);
    }
}

TEST_CASE("escalation: an acknowledgement committed first leaves nothing to escalate") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto rec = insert(*db, intake::urgency::emergency);
    const auto cp = assignment_of(*db, rec.id, "ls-cp");
    const auto a = ack(*db, cp, t0 + 14min);
    REQUIRE(a.has_value());
    CHECK(a->in_time);
    CHECK(a->report_id == static_cast<std::int64_t>(rec.id));
    CHECK(state_of(*db, rec.id) == "acknowledged");
    CHECK(who(*db, rec.id) == "ls-cp@1.0 (acknowledged) ls-police@1.0 (superseded)");

    const auto r = run(*db, t0 + 15min);
    CHECK(r.ack_breaches == 0);
    CHECK(r.escalations == 0);
    CHECK(count_kind(*db, rec.id, "escalated") == 0);
    CHECK(due(*db) == t0 + 12h);
    CHECK(q(*db, "SELECT actor || ' ' || json_extract(data, '$.channel') || ' ' || json_extract(data, '$.in_time') "
                 "FROM events WHERE kind = 'acknowledged'") == "contact:" + std::to_string(n(*db, "SELECT contact_id FROM assignments WHERE id = " + std::to_string(cp))) + " api 1");
}

TEST_CASE("escalation: an acknowledgement after the escalation still counts on the earlier assignment") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto rec = insert(*db, intake::urgency::emergency);
    CHECK(run(*db, t0 + 15min).escalations == 1);
    const auto police = assignment_of(*db, rec.id, "ls-police");
    const auto a = ack(*db, police, t0 + 16min);
    REQUIRE(a.has_value());
    CHECK_FALSE(a->in_time);
    CHECK(state_of(*db, rec.id) == "acknowledged");
    CHECK(who(*db, rec.id) ==
          "ls-cp@1.0 (superseded) ls-police@1.0 (acknowledged) ls-chair@2.0 (superseded) ls-coord@2.0 (superseded)");
    // Nothing more escalates, and the report's position stays at step 2.
    CHECK(run(*db, t0 + 45min).handled() == 0);
    CHECK(n(*db, "SELECT ladder_step FROM reports WHERE id = " + std::to_string(rec.id)) == 1);
    // The reminders fell due with the deadline already past: the escalation spoke for them.
    CHECK(kinds(*db, rec.id) == "received,classified,located,routed,ack_breached,escalated,ack_breached,acknowledged");
    CHECK(n(*db, "SELECT count(*) FROM assignments WHERE step = 1 AND reminded_at IS NOT NULL") == 2);
}

TEST_CASE("acknowledgement: twice, superseded and unknown get clear errors") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto rec = insert(*db, intake::urgency::emergency);
    const auto cp = assignment_of(*db, rec.id, "ls-cp");
    const auto police = assignment_of(*db, rec.id, "ls-police");
    REQUIRE(ack(*db, cp, t0 + 1min).has_value());
    const auto twice = ack(*db, cp, t0 + 2min);
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.err().code == "already_acknowledged");
    const auto other = ack(*db, police, t0 + 2min);
    REQUIRE_FALSE(other.has_value());
    CHECK(other.err().code == "superseded");
    const auto none = ack(*db, 999999, t0 + 2min);
    REQUIRE_FALSE(none.has_value());
    CHECK(none.err().code == "not_found");
    CHECK(count_kind(*db, rec.id, "acknowledged") == 1);
    CHECK(n(*db, "SELECT acknowledged_at FROM assignments WHERE id = " + std::to_string(cp)) ==
          to_unix_ms(t0 + 1min));
}

TEST_CASE("escalation: run_due handles at most `limit` items, oldest first, the rest next time") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto late = insert(*db, intake::urgency::emergency, t0 + 1min);
    const auto early = insert(*db, intake::urgency::emergency, t0);
    due_outcome r = ok(await<due_outcome>([&](auto done) {
        db->write<due_outcome>([](connection& c) { return run_due(c, t0 + 10min, deadlines(), 2); }, done);
    }));
    CHECK(r.handled() == 2);
    CHECK(r.reminders == 2);  // the two reminders of the earlier report, due at 7.5 min
    CHECK(count_kind(*db, early.id, "reminder_due") == 2);
    CHECK(count_kind(*db, late.id, "reminder_due") == 0);

    // An hour later, with a limit of 2 again: the later report's reminders fell due past its
    // deadline (skipped, but they count against the limit), then the breaches, oldest first.
    r = ok(await<due_outcome>([&](auto done) {
        db->write<due_outcome>([](connection& c) { return run_due(c, t0 + 1h, deadlines(), 2); }, done);
    }));
    CHECK(r.handled() == 2);
    CHECK(r.reminders_skipped == 2);
    CHECK(count_kind(*db, late.id, "reminder_due") == 0);
    CHECK(count_kind(*db, early.id, "ack_breached") == 0);
}

TEST_CASE("deadlines: assignments made when a place arrives later get theirs from that moment") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    new_report r;
    r.channel = intake::channel::sms;
    r.received_at = t0;
    r.data.text = "Cháu bé bị đánh";
    classification_event e;
    e.result.level = intake::urgency::high;
    e.lexicon = "test";
    r.classification = std::move(e);
    routing::location_result nowhere;
    r.routing = routing_request{nowhere, &default_rules(), &deadlines()};
    const auto rec = ok(await<receipt>([&](auto done) { db->insert_report(std::move(r), done); }));
    CHECK(who(*db, rec.id) == "hotline-sup@1.0");

    routing::location_result here;
    here.commune_code = ward;
    here.province_code = province;
    const auto id = static_cast<std::int64_t>(rec.id);
    CHECK(ok(await<bool>([&](auto done) {
        db->write<bool>(
            [&](connection& c) {
                return detail::route_late_location(c, id, routing_request{here, &default_rules(), &deadlines()}, t0 + 5min);
            },
            done);
    })));
    CHECK(who(*db, rec.id) == "hotline-sup@1.0 ls-cp@1.0");
    CHECK(n(*db, "SELECT ack_due_at FROM assignments WHERE id = " + std::to_string(assignment_of(*db, rec.id, "ls-cp"))) ==
          to_unix_ms(t0 + 5min + 1h));
}
