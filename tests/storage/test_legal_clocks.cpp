#include "storage/legal_clocks.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "routing/deadlines.hpp"
#include "storage/database.hpp"
#include "storage/escalation.hpp"
#include "tests/storage/directory_fixture.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace hotline::storage;
using hotline::test::temp_dir;
using namespace hotline::storage::test;
using routing::role;
using namespace std::chrono_literals;

namespace {

const time_point t0 = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z, Wednesday 11:00 in Hanoi

const deadline_policy& policy() {
    static const deadline_policy p;
    return p;
}

// A report classified `level`, routed to ward 05983 (its child-protection officer, and police for
// an emergency).
std::uint64_t report(database& db, intake::urgency level) { return insert_routed(db, level, t0, &policy()).id; }

void staff_ward(database& db) {
    add_staff(db, {{"cp", role::commune_child_protection, "05983"}, {"police", role::commune_police, "05983"}}, t0);
}

result<milestone_recorded> record(database& db, std::uint64_t id, milestone m, time_point at) {
    return await<milestone_recorded>([&](auto done) {
        db.write<milestone_recorded>(
            [id, m, at](connection& c) {
                return record_milestone(c, static_cast<std::int64_t>(id), m, 1, policy(), at);
            },
            done);
    });
}

std::uint64_t override_to(database& db, std::uint64_t id, intake::urgency level, intake::legal_track track,
                          time_point at, const deadline_policy* d = &policy()) {
    classification_override o;
    o.report_id = id;
    o.level = level;
    o.track = track;
    o.reason = "called the reporter back";
    o.by = "operator:test";
    o.at = at;
    o.deadlines = d;
    return ok(await<std::uint64_t>([&](auto done) { db.override_classification(std::move(o), done); }));
}

std::int64_t column(database& db, std::uint64_t id, const std::string& col) {
    return read_int(db, "SELECT coalesce(" + col + ", -1) FROM reports WHERE id = " + std::to_string(id));
}

std::int64_t events(database& db, std::uint64_t id, const std::string& kind) {
    return read_int(db, "SELECT count(*) FROM events WHERE report_id = " + std::to_string(id) + " AND kind = '" +
                            kind + "'");
}

std::string ack_dues(database& db, std::uint64_t id) {
    return read_text(db, "SELECT group_concat(coalesce(ack_due_at, 'none') || '/' || coalesce(reminder_due_at, "
                         "'none'), ' ') FROM (SELECT * FROM assignments WHERE report_id = " +
                             std::to_string(id) + " ORDER BY id)");
}

std::string ms(time_point t) { return std::to_string(to_unix_ms(t)); }

}  // namespace

TEST_CASE("legal clocks: an action in time meets the 12-hour clock and starts the plan's 5 working days") {
    temp_dir dir;
    auto db = open_db(dir);
    staff_ward(*db);
    const auto id = report(*db, intake::urgency::emergency);
    CHECK(column(*db, id, "action_due_at") == to_unix_ms(t0 + 12h));
    CHECK(column(*db, id, "plan_due_at") == -1);

    const auto at = t0 + 3h;
    const auto r = ok(record(*db, id, milestone::action, at));
    CHECK(r.in_time);
    REQUIRE(r.due_at);
    CHECK(*r.due_at == t0 + 12h);
    REQUIRE(r.plan_due_at);
    // Wednesday 14:00 in Hanoi: five working days are Thu, Fri, Mon, Tue, Wed, ending 24:00 local.
    CHECK(*r.plan_due_at == routing::add_working_days(at, 5, policy().calendar));
    CHECK(column(*db, id, "action_met_at") == to_unix_ms(at));
    CHECK(column(*db, id, "plan_due_at") == to_unix_ms(*r.plan_due_at));
    CHECK(read_text(*db, "SELECT state FROM reports WHERE id = " + std::to_string(id)) == "in_progress");
    CHECK(events(*db, id, "action_taken") == 1);
    CHECK(read_text(*db, "SELECT data FROM events WHERE kind = 'action_taken'") ==
          "{\"contact\":1,\"in_time\":true,\"due_at\":" + ms(t0 + 12h) + "}");

    // The met clock no longer falls due: the scheduler finds only the plan and the open assignments.
    const auto handled = ok(await<due_outcome>([&](auto done) {
        db->write<due_outcome>([](connection& c) { return run_due(c, t0 + 13h, policy()); }, done);
    }));
    CHECK(handled.legal_breaches == 0);
    CHECK(column(*db, id, "action_breached_at") == -1);

    // Twice is refused, and changes nothing.
    const auto again = record(*db, id, milestone::action, t0 + 4h);
    REQUIRE_FALSE(again);
    CHECK(again.err().code == "already_recorded");
    CHECK(column(*db, id, "action_met_at") == to_unix_ms(at));
    CHECK(events(*db, id, "action_taken") == 1);

    // Then the plan.
    const auto p = ok(record(*db, id, milestone::plan, at + 24h));
    CHECK(p.in_time);
    CHECK(column(*db, id, "plan_met_at") == to_unix_ms(at + 24h));
    CHECK(events(*db, id, "plan_made") == 1);
}

TEST_CASE("legal clocks: a late action is recorded as met, late, beside its breach") {
    temp_dir dir;
    auto db = open_db(dir);
    staff_ward(*db);
    const auto id = report(*db, intake::urgency::emergency);
    ok(await<due_outcome>([&](auto done) {
        db->write<due_outcome>([](connection& c) { return run_due(c, t0 + 13h, policy()); }, done);
    }));
    CHECK(column(*db, id, "action_breached_at") == to_unix_ms(t0 + 13h));
    const auto r = ok(record(*db, id, milestone::action, t0 + 14h));
    CHECK_FALSE(r.in_time);
    CHECK(column(*db, id, "action_met_at") == to_unix_ms(t0 + 14h));
    CHECK(column(*db, id, "action_breached_at") == to_unix_ms(t0 + 13h));
}

TEST_CASE("legal clocks: the plan on the standard track, errors for unknown and closed reports") {
    temp_dir dir;
    auto db = open_db(dir);
    staff_ward(*db);
    const auto id = report(*db, intake::urgency::normal);
    const auto due = column(*db, id, "plan_due_at");
    CHECK(due == to_unix_ms(routing::add_working_days(t0, 5, policy().calendar)));
    // An action on the standard track has no clock of its own and leaves the plan's as it is.
    const auto a = ok(record(*db, id, milestone::action, t0 + 1h));
    CHECK(a.in_time);
    CHECK_FALSE(a.due_at);
    CHECK_FALSE(a.plan_due_at);
    CHECK(column(*db, id, "plan_due_at") == due);
    const auto p = ok(record(*db, id, milestone::plan, from_unix_ms(due) + 1min));
    CHECK_FALSE(p.in_time);

    const auto missing = record(*db, id + 100, milestone::plan, t0);
    REQUIRE_FALSE(missing);
    CHECK(missing.err().code == "not_found");

    const auto second = report(*db, intake::urgency::normal);
    CHECK(second != id);
    ok(await<void>([&](auto done) {
        db->write<void>(
            [second](connection& c) -> result<void> {
                auto st = c.prepare("UPDATE reports SET state = 'closed' WHERE id = ?1");
                if (!st) return std::move(st).err();
                if (auto b = st->bind(1, static_cast<std::int64_t>(second)); !b) return b;
                if (auto s = st->step(); !s) return std::move(s).err();
                return {};
            },
            done);
    }));
    const auto refused = record(*db, second, milestone::action, t0 + 2h);
    REQUIRE_FALSE(refused);
    CHECK(refused.err().code == "report_closed");
    CHECK(column(*db, second, "action_met_at") == -1);
}

TEST_CASE("reclassification: raising the urgency tightens the waiting deadlines and starts the 12-hour clock") {
    temp_dir dir;
    auto db = open_db(dir);
    staff_ward(*db);
    const auto id = report(*db, intake::urgency::normal);
    // Normal: 4 h, reminded at half time.
    CHECK(ack_dues(*db, id) == ms(t0 + 4h) + "/" + ms(t0 + 2h));  // the child-protection officer alone
    const auto plan = column(*db, id, "plan_due_at");

    override_to(*db, id, intake::urgency::emergency, intake::legal_track::emergency_12h, t0 + 5min);
    CHECK(ack_dues(*db, id) == ms(t0 + 15min) + "/" + ms(t0 + 7min + 30s));
    CHECK(column(*db, id, "action_due_at") == to_unix_ms(t0 + 12h));
    CHECK(column(*db, id, "plan_due_at") == -1);  // the emergency track's plan starts after the action
    CHECK(plan != -1);
    CHECK(events(*db, id, "deadlines_changed") == 1);
    const auto data = read_text(*db, "SELECT data FROM events WHERE kind = 'deadlines_changed'");
    CHECK(data.find("\"urgency\":\"emergency\"") != std::string::npos);
    CHECK(data.find("\"action_due_at\":" + ms(t0 + 12h)) != std::string::npos);

    // The same classification again changes nothing more.
    override_to(*db, id, intake::urgency::emergency, intake::legal_track::emergency_12h, t0 + 6min);
    CHECK(events(*db, id, "deadlines_changed") == 1);

    // At 16 minutes the tightened deadline breaches and the ladder moves.
    const auto out = ok(await<due_outcome>([&](auto done) {
        db->write<due_outcome>([](connection& c) { return run_due(c, t0 + 16min, policy()); }, done);
    }));
    CHECK(out.ack_breaches == 1);
    CHECK(out.escalations == 1);
}

TEST_CASE("reclassification: a deadline already past falls due at once, a reminder sent stays sent") {
    temp_dir dir;
    auto db = open_db(dir);
    staff_ward(*db);
    const auto id = report(*db, intake::urgency::normal);
    // The reminder at 2 h is sent.
    ok(await<due_outcome>([&](auto done) {
        db->write<due_outcome>([](connection& c) { return run_due(c, t0 + 2h, policy()); }, done);
    }));
    override_to(*db, id, intake::urgency::high, intake::legal_track::standard_5wd, t0 + 2h + 1min);
    // High: 1 h from when the assignments were made, already past; the reminder keeps its time.
    CHECK(ack_dues(*db, id) == ms(t0 + 1h) + "/" + ms(t0 + 2h));
    const auto next = ok(await<std::optional<time_point>>([&](auto done) {
        db->read<std::optional<time_point>>([](connection& c) { return next_due(c); }, done);
    }));
    REQUIRE(next);
    CHECK(*next == t0 + 1h);

    // Lowering loosens them again; the plan clock of the standard track is kept.
    const auto plan = column(*db, id, "plan_due_at");
    override_to(*db, id, intake::urgency::low, intake::legal_track::standard_5wd, t0 + 2h + 2min);
    CHECK(ack_dues(*db, id) == ms(t0 + 24h) + "/" + ms(t0 + 2h));
    CHECK(column(*db, id, "plan_due_at") == plan);
}

TEST_CASE("reclassification: without a deadline policy only the event is written") {
    temp_dir dir;
    auto db = open_db(dir);
    staff_ward(*db);
    const auto id = report(*db, intake::urgency::normal);
    const auto before = ack_dues(*db, id);
    override_to(*db, id, intake::urgency::emergency, intake::legal_track::emergency_12h, t0 + 1min, nullptr);
    CHECK(ack_dues(*db, id) == before);
    CHECK(events(*db, id, "deadlines_changed") == 0);
    CHECK(events(*db, id, "classification_overridden") == 1);
}
