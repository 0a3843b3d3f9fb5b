#include "storage/assignments.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <latch>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/directory.hpp"
#include "tests/storage/directory_fixture.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace hotline::storage;
using hotline::test::temp_dir;
using namespace hotline::storage::test;
using routing::role;

namespace {

const time_point t0 = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z, a Wednesday, 11:00 in Hanoi

// Lương Văn Tri (05983) in Lạng Sơn (20), the neighbouring ward 05977.
constexpr const char* ward = "05983";
constexpr const char* province = "20";

using person = staff;

// The directory: the people given, with their rosters.
void directory(database& db, std::vector<person> people) { add_staff(db, std::move(people), t0); }

routing::location_result located(std::optional<std::string> commune, std::optional<std::string> prov,
                                 double confidence = 0.9) {
    routing::location_result l;
    l.commune_code = std::move(commune);
    l.province_code = std::move(prov);
    l.confidence = confidence;
    if (l.commune_code) l.matched = "old phường Chi Lăng (TP Lạng Sơn) -> " + *l.commune_code;
    if (!l.commune_code && l.province_code) l.candidates = {"05983", "05977"};
    return l;
}

const routing::routing_policy& policy() {
    static const routing::routing_policy p = routing::routing_policy::defaults();
    return p;
}

classification_event classified(intake::urgency level, std::vector<std::string> categories = {}) {
    classification_event e;
    e.result.level = level;
    e.result.categories = std::move(categories);
    e.lexicon = "test";
    return e;
}

new_report report(routing::location_result where, std::optional<classification_event> cls,
                  const routing::routing_policy* p = &policy()) {
    new_report r;
    r.channel = intake::channel::web;
    r.received_at = t0;
    r.data.text = "Hàng xóm đánh cháu bé";
    r.data.location_text = "phường Chi Lăng, TP Lạng Sơn";
    r.classification = std::move(cls);
    r.routing = routing_request{std::move(where), p};
    return r;
}

receipt insert(database& db, new_report r) {
    return ok(await<receipt>([&](auto done) { db.insert_report(std::move(r), done); }));
}

report_status status(database& db, std::uint64_t id) {
    auto s = ok(await<std::optional<report_status>>([&](auto done) { db.report_status_of(id, done); }));
    REQUIRE(s.has_value());
    return *s;
}

std::string q(database& db, const std::string& sql) { return read_text(db, sql); }
std::int64_t n(database& db, const std::string& sql) { return read_int(db, sql); }

// "key/role/unit/reason" or "queue:Q/unit/reason" for each assignment of report `id`.
std::vector<std::string> assignments(database& db, std::uint64_t id) {
    return ok(await<std::vector<std::string>>([&](auto done) {
        db.read<std::vector<std::string>>(
            [id](connection& c) -> result<std::vector<std::string>> {
                auto st = c.prepare(
                    "SELECT CASE WHEN a.contact_id IS NOT NULL "
                    "THEN k.key || '/' || a.role || '/' || a.unit_code || '/' || a.reason "
                    "ELSE 'queue:' || a.queue || '/' || a.unit_code || '/' || a.reason END || "
                    "CASE WHEN a.state = 'open' THEN '' ELSE ' (' || a.state || ')' END "
                    "FROM assignments AS a LEFT JOIN contacts AS k ON k.id = a.contact_id "
                    "WHERE a.report_id = ?1 ORDER BY a.id");
                if (!st) return std::move(st).err();
                if (auto r = st->bind(1, static_cast<std::int64_t>(id)); !r) return std::move(r).err();
                std::vector<std::string> out;
                for (;;) {
                    auto row = st->step();
                    if (!row) return std::move(row).err();
                    if (*row != step_result::row) break;
                    out.push_back(st->column_text(0));
                }
                return out;
            },
            done);
    }));
}

std::string state_of(database& db, std::uint64_t id) {
    return q(db, "SELECT state FROM reports WHERE id = " + std::to_string(id));
}

std::string event_kinds(database& db, std::uint64_t id) {
    return q(db, "SELECT group_concat(kind, ',') FROM (SELECT kind FROM events WHERE report_id = " +
                     std::to_string(id) + " ORDER BY id)");
}

using strings = std::vector<std::string>;

std::vector<person> everybody() {
    return {
        {"ls-cp", role::commune_child_protection, ward},
        {"ls-police", role::commune_police, ward},
        {"ls-chair", role::commune_chair, ward},
        {"ls-coord", role::province_coordinator, province},
        {"hotline-sup", role::hotline_supervisor, "VN"},
    };
}

}  // namespace

TEST_CASE("routing in the intake write: a report with a commune goes to the officer on duty there") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, {{"other-cp", role::commune_child_protection, "05977"},
                    {"off-cp", role::commune_child_protection, ward, false},
                    {"ls-cp", role::commune_child_protection, ward},
                    {"ls-police", role::commune_police, ward}});
    const auto rec = insert(*db, report(located(ward, province), classified(intake::urgency::high)));
    const std::string id = std::to_string(rec.id);

    CHECK(assignments(*db, rec.id) == strings{"ls-cp/commune_child_protection/05983/rule:standard"});
    CHECK(state_of(*db, rec.id) == "routed");
    CHECK(event_kinds(*db, rec.id) == "received,classified,located,routed");
    CHECK(q(*db, "SELECT commune_code || '/' || province_code FROM reports WHERE id = " + id) == "05983/20");
    CHECK(n(*db, "SELECT created_at FROM assignments WHERE report_id = " + id) == to_unix_ms(t0));
    CHECK(n(*db, "SELECT step FROM assignments WHERE report_id = " + id) == 1);

    const auto s = status(*db, rec.id);
    CHECK(s.state == report_state::routed);
    CHECK(s.forwarded);
    CHECK_FALSE(s.acknowledged);

    const auto found = ok(await<std::optional<report_record>>([&](auto done) { db->find_report(rec.id, done); }));
    REQUIRE(found.has_value());
    CHECK(found->commune_code == std::optional<std::string>("05983"));
    CHECK(found->province_code == std::optional<std::string>("20"));
    CHECK(found->state == report_state::routed);
}

TEST_CASE("routing in the intake write: the events say where, which rule and who, without names or numbers") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto rec =
        insert(*db, report(located(ward, province, 0.8), classified(intake::urgency::emergency, {"sexual_abuse"})));
    const std::string ev = " FROM events WHERE report_id = " + std::to_string(rec.id);

    CHECK(q(*db, "SELECT actor" + ev + " AND kind = 'located'") == "routing");
    CHECK(q(*db, "SELECT json_extract(data, '$.commune_code') || '|' || json_extract(data, '$.province_code') || '|' "
                 "|| json_extract(data, '$.confidence') || '|' || json_extract(data, '$.matched') || '|' || "
                 "json_array_length(data, '$.candidates')" +
                     ev + " AND kind = 'located'") == "05983|20|0.8|old phường Chi Lăng (TP Lạng Sơn) -> 05983|0");

    CHECK(q(*db, "SELECT actor" + ev + " AND kind = 'routed'") == "routing");
    CHECK(q(*db, "SELECT json_extract(data, '$.rules')" + ev + " AND kind = 'routed'") ==
          R"(["emergency","police-always"])");
    CHECK(n(*db, "SELECT json_array_length(data, '$.assignments')" + ev + " AND kind = 'routed'") == 2);
    CHECK(q(*db, "SELECT json_extract(data, '$.assignments[1]')" + ev + " AND kind = 'routed'") ==
          R"({"id":)" + std::to_string(n(*db, "SELECT max(id) FROM assignments")) +
              R"(,"contact":"ls-police","role":"commune_police","unit_code":"05983","queue":null,)"
              R"("reason":"rule:emergency"})");
    const std::string all = q(*db, "SELECT group_concat(data, ' ')" + ev);
    CHECK(all.find("Cán bộ") == std::string::npos);
    CHECK(all.find("+8490000") == std::string::npos);
    CHECK(all.find("Hàng xóm") == std::string::npos);
}

TEST_CASE("routing in the intake write: every fallback") {
    struct {
        const char* name;
        std::vector<person> people;
        routing::location_result where;
        intake::urgency level;
        strings expected;
        const char* state;
        bool forwarded;
    } const cases[] = {
        {"child protection officer off duty: the commune chair",
         {{"ls-cp", role::commune_child_protection, ward, false}, {"ls-chair", role::commune_chair, ward},
          {"ls-coord", role::province_coordinator, province}},
         located(ward, province), intake::urgency::normal,
         {"ls-chair/commune_chair/05983/fallback:commune_chair for commune_child_protection"}, "routed", true},
        {"nobody in the commune: the province coordinator",
         {{"ls-coord", role::province_coordinator, province}, {"hotline-sup", role::hotline_supervisor, "VN"}},
         located(ward, province), intake::urgency::normal,
         {"ls-coord/province_coordinator/20/fallback:province_coordinator for commune_child_protection"}, "routed",
         false},
        {"nobody in the province: the hotline supervisor", {{"hotline-sup", role::hotline_supervisor, "VN"}},
         located(ward, province), intake::urgency::normal,
         {"hotline-sup/hotline_supervisor/VN/fallback:hotline_supervisor for commune_child_protection"}, "routed",
         false},
        {"nobody at all: the province queue", {}, located(ward, province), intake::urgency::emergency,
         {"queue:province/20/nobody on duty for commune_child_protection"}, "unrouted", false},
        {"no commune, province known: its coordinator", everybody(), located(std::nullopt, province, 0.4),
         intake::urgency::emergency, {"ls-coord/province_coordinator/20/no commune"}, "routed", false},
        {"no commune, no coordinator on duty: the hotline supervisor",
         {{"ls-coord", role::province_coordinator, province, false}, {"hotline-sup", role::hotline_supervisor, "VN"}},
         located(std::nullopt, province, 0.4), intake::urgency::high, {"hotline-sup/hotline_supervisor/VN/no commune"},
         "routed", false},
        {"no place at all: the hotline supervisor", everybody(), located(std::nullopt, std::nullopt, 0),
         intake::urgency::high, {"hotline-sup/hotline_supervisor/VN/no commune"}, "routed", false},
        {"no place, nobody: the hotline queue", {}, located(std::nullopt, std::nullopt, 0), intake::urgency::high,
         {"queue:hotline/VN/no commune; nobody on duty"}, "unrouted", false},
        {"low urgency: the hotline queue only", everybody(), located(ward, province), intake::urgency::low,
         {"queue:hotline/VN/rule:low"}, "unrouted", false},
    };
    for (const auto& t : cases) {
        CAPTURE(t.name);
        temp_dir dir;
        auto db = open_db(dir);
        directory(*db, t.people);
        const auto rec = insert(*db, report(t.where, classified(t.level)));
        CHECK(assignments(*db, rec.id) == t.expected);
        CHECK(state_of(*db, rec.id) == t.state);
        const auto s = status(*db, rec.id);
        CHECK(to_string(s.state) == t.state);
        CHECK(s.forwarded == t.forwarded);
        CHECK(event_kinds(*db, rec.id) == "received,classified,located,routed");
    }
}

TEST_CASE("routing in the intake write: a long plan keeps its order and the event names each row") {
    temp_dir dir;
    auto db = open_db(dir);
    auto people = everybody();
    people.push_back({"ls-ppolice", role::province_police, province});
    directory(*db, people);
    routing::routing_policy wide;
    wide.rules = {{"everyone",
                   {},
                   {},
                   {role::commune_child_protection, role::commune_police, role::commune_chair,
                    role::province_coordinator, role::province_police, role::hotline_supervisor},
                   true}};
    const auto rec = insert(*db, report(located(ward, province), classified(intake::urgency::high), &wide));
    CHECK(assignments(*db, rec.id) == strings{"ls-cp/commune_child_protection/05983/rule:everyone",
                                              "ls-police/commune_police/05983/rule:everyone",
                                              "ls-chair/commune_chair/05983/rule:everyone",
                                              "ls-coord/province_coordinator/20/rule:everyone",
                                              "ls-ppolice/province_police/20/rule:everyone",
                                              "hotline-sup/hotline_supervisor/VN/rule:everyone",
                                              "queue:hotline/VN/rule:everyone"});
    // Each entry of the event is the row with its id.
    CHECK(n(*db, "SELECT count(*) FROM events AS e, json_each(e.data, '$.assignments') AS j "
                 "JOIN assignments AS a ON a.id = json_extract(j.value, '$.id') "
                 "LEFT JOIN contacts AS k ON k.id = a.contact_id "
                 "WHERE e.kind = 'routed' AND a.reason = json_extract(j.value, '$.reason') "
                 "AND a.unit_code = json_extract(j.value, '$.unit_code') "
                 "AND k.key IS json_extract(j.value, '$.contact') AND a.queue IS json_extract(j.value, '$.queue') "
                 "AND a.role IS json_extract(j.value, '$.role')") == 7);
    CHECK(q(*db, "SELECT group_concat(json_extract(j.value, '$.id') - (SELECT min(id) FROM assignments), ',') "
                 "FROM events AS e, json_each(e.data, '$.assignments') AS j WHERE e.kind = 'routed'") ==
          "0,1,2,3,4,5,6");
}

TEST_CASE("routing in the intake write: no classification routes as normal") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto rec = insert(*db, report(located(ward, province), std::nullopt));
    CHECK(assignments(*db, rec.id) == strings{"ls-cp/commune_child_protection/05983/rule:standard"});
    CHECK(event_kinds(*db, rec.id) == "received,located,routed");
    CHECK(q(*db, "SELECT json_extract(data, '$.rules') FROM events WHERE kind = 'routed'") == R"(["standard"])");
}

TEST_CASE("routing in the intake write: without a routing request nothing is routed") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    auto r = report(located(ward, province), classified(intake::urgency::high));
    r.routing.reset();
    const auto rec = insert(*db, std::move(r));
    CHECK(state_of(*db, rec.id) == "received");
    CHECK(assignments(*db, rec.id).empty());
    CHECK(event_kinds(*db, rec.id) == "received,classified");
    CHECK_FALSE(status(*db, rec.id).forwarded);
}

TEST_CASE("routing in the intake write: a routing error fails the whole write") {
    struct {
        const char* name;
        const char* sabotage;  // run before the second report; empty: none
        bool policy;
    } const cases[] = {
        {"the assignments cannot be written",
         "CREATE TRIGGER no_assignments BEFORE INSERT ON assignments "
         "BEGIN SELECT RAISE(ABORT, 'assignments refused'); END",
         true},
        {"the routed event cannot be written",
         "CREATE TRIGGER no_routed BEFORE INSERT ON events WHEN new.kind = 'routed' "
         "BEGIN SELECT RAISE(ABORT, 'events refused'); END",
         true},
        {"the directory cannot be read", "DROP TABLE roster_overrides", true},
        {"no policy", "", false},
    };
    for (const auto& t : cases) {
        CAPTURE(t.name);
        temp_dir dir;
        auto db = open_db(dir);
        directory(*db, everybody());
        const auto kept = insert(*db, report(located(ward, province), classified(intake::urgency::high)));
        if (*t.sabotage) {
            const std::string sql = t.sabotage;
            ok(await<void>([&](auto done) { db->write<void>([sql](connection& c) { return c.exec(sql); }, done); }));
        }
        const routing::routing_policy* p = t.policy ? &policy() : nullptr;
        auto r = report(located(ward, province), classified(intake::urgency::emergency), p);
        r.idempotency_key = "api:k";
        r.request_hash = "h";
        const auto failed = await<receipt>([&](auto done) { db->insert_report(std::move(r), done); });
        REQUIRE_FALSE(failed.has_value());
        CHECK(failed.err().code == "storage_failure");

        // Only the first report and its rows are there.
        const std::string other = " WHERE report_id <> " + std::to_string(kept.id);
        CHECK(n(*db, "SELECT count(*) FROM reports") == 1);
        CHECK(n(*db, "SELECT count(*) FROM events" + other) == 0);
        CHECK(n(*db, "SELECT count(*) FROM assignments" + other) == 0);
        CHECK(n(*db, "SELECT count(*) FROM assignments") == 1);
        CHECK(n(*db, "SELECT count(*) FROM idempotency_keys") == 0);
    }
}

TEST_CASE("routing in the intake write: an idempotent replay routes nothing again") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    auto r = report(located(ward, province), classified(intake::urgency::high));
    r.idempotency_key = "api:same";
    r.request_hash = "h";
    const auto first = insert(*db, r);
    const auto again = insert(*db, r);
    CHECK(again.replayed);
    CHECK(again.id == first.id);
    CHECK(n(*db, "SELECT count(*) FROM assignments") == 1);
    CHECK(n(*db, "SELECT count(*) FROM events WHERE kind = 'routed'") == 1);
}

TEST_CASE("routing in the intake write: a deactivated contact is not chosen") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    ok(await<void>([&](auto done) {
        db->write<void>([](connection& c) { return c.exec("UPDATE contacts SET active = 0 WHERE key = 'ls-cp'"); },
                        done);
    }));
    const auto rec = insert(*db, report(located(ward, province), classified(intake::urgency::normal)));
    CHECK(assignments(*db, rec.id) ==
          strings{"ls-chair/commune_chair/05983/fallback:commune_chair for commune_child_protection"});
}

TEST_CASE("routing in the intake write: every change to the directory reaches the next report") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    auto next = [&] { return insert(*db, report(located(ward, province), classified(intake::urgency::normal))); };
    auto change = [&](std::string sql) {
        ok(await<void>([&](auto done) {
            db->write<void>([sql](connection& c) { return c.exec(sql); }, done);
        }));
    };
    const strings to_cp{"ls-cp/commune_child_protection/05983/rule:standard"};
    const strings to_chair{"ls-chair/commune_chair/05983/fallback:commune_chair for commune_child_protection"};

    // The writer keeps what it read of the directory between reports.
    CHECK(assignments(*db, next().id) == to_cp);
    CHECK(assignments(*db, next().id) == to_cp);

    SUBCASE("a contact deactivated, then active again") {
        change("UPDATE contacts SET active = 0 WHERE key = 'ls-cp'");
        CHECK(assignments(*db, next().id) == to_chair);
        change("UPDATE contacts SET active = 1 WHERE key = 'ls-cp'");
        CHECK(assignments(*db, next().id) == to_cp);
    }
    SUBCASE("a shift removed, then a day off added") {
        change("DELETE FROM roster_shifts WHERE contact_id = (SELECT id FROM contacts WHERE key = 'ls-cp')");
        CHECK(assignments(*db, next().id) == to_chair);
        change("INSERT INTO roster_shifts (contact_id, days, start_minute, end_minute) "
               "SELECT id, 127, 0, 0 FROM contacts WHERE key = 'ls-cp'");
        CHECK(assignments(*db, next().id) == to_cp);
        change("INSERT INTO roster_overrides (contact_id, kind, from_date, to_date) "
               "SELECT id, 'off', '2026-07-01', '2026-07-01' FROM contacts WHERE key = 'ls-cp'");
        CHECK(assignments(*db, next().id) == to_chair);
    }
    SUBCASE("a change by another connection, as `hotline directory` from another process makes") {
        auto other = ok(connection::open(dir.file("hotline.db"), open_mode::read_write));
        ok(other.busy_timeout(std::chrono::milliseconds(5000)));
        ok(other.exec("UPDATE contacts SET active = 0 WHERE key = 'ls-cp'"));
        CHECK(assignments(*db, next().id) == to_chair);
    }
    SUBCASE("a change and a report in the same batch") {
        std::latch both(2);
        std::optional<result<receipt>> rec;
        {
            writer_plug plug(*db);
            db->write<void>([](connection& c) { return c.exec("UPDATE contacts SET active = 0 WHERE key = 'ls-cp'"); },
                            [&](result<void> r) {
                                CHECK(r.has_value());
                                both.count_down();
                            });
            db->insert_report(report(located(ward, province), classified(intake::urgency::normal)),
                              [&](result<receipt> r) {
                                  rec.emplace(std::move(r));
                                  both.count_down();
                              });
            plug.release();
            both.wait();
        }
        REQUIRE((*rec).has_value());
        CHECK(assignments(*db, (*rec)->id) == to_chair);
    }
}

// ---- SMS ------------------------------------------------------------------------

namespace {

inbound_sms sms(std::string body, int n, time_point at) {
    inbound_sms m;
    m.provider = "android";
    m.provider_message_id = "m" + std::to_string(n);
    m.from = "+84911222333";
    m.body = std::move(body);
    m.received_at = at;
    for (std::size_t i = 0; i < m.secret.salt.size(); ++i) m.secret.salt[i] = static_cast<std::uint8_t>(n + i);
    return m;
}

sms_outcome receive(database& db, inbound_sms m, routing::location_result where,
                    std::optional<classification_event> cls = classified(intake::urgency::high)) {
    return ok(await<sms_outcome>([&](auto done) {
        db.receive_sms(std::move(m), sms_options{}, std::move(cls), routing_request{std::move(where), &policy()},
                       done);
    }));
}

}  // namespace

TEST_CASE("routing SMS: a new report naming its commune is routed and not asked for the place") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto out = receive(*db, sms("con bi danh o phuong chi lang tp lang son", 1, t0), located(ward, province));
    REQUIRE(out.report_id.has_value());
    CHECK(out.decision.reply == intake::sms_reply::received);
    CHECK(assignments(*db, *out.report_id) == strings{"ls-cp/commune_child_protection/05983/rule:standard"});
    CHECK(state_of(*db, *out.report_id) == "routed");
    CHECK(event_kinds(*db, *out.report_id) == "received,classified,located,routed");
    CHECK(n(*db, "SELECT needs_location FROM sms_senders") == 0);
}

TEST_CASE("routing SMS: a place sent later routes the report to the commune") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, {{"ls-cp", role::commune_child_protection, ward}, {"ls-police", role::commune_police, ward}});
    // Nobody for a report without a place: it waits in the hotline queue.
    const auto first = receive(*db, sms("co dua tre bi danh", 1, t0), located(std::nullopt, std::nullopt, 0),
                               classified(intake::urgency::emergency));
    REQUIRE(first.report_id.has_value());
    const auto id = *first.report_id;
    CHECK(first.decision.reply == intake::sms_reply::received_ask_location);
    CHECK(assignments(*db, id) == strings{"queue:hotline/VN/no commune; nobody on duty"});
    CHECK(state_of(*db, id) == "unrouted");
    CHECK_FALSE(status(*db, id).forwarded);

    // The answer to "which commune?".
    const auto place =
        receive(*db, sms("phuong chi lang", 2, t0 + std::chrono::minutes(2)), located(ward, province), std::nullopt);
    CHECK(place.decision.action == intake::sms_action::add_location);
    CHECK(place.report_id == first.report_id);
    CHECK(assignments(*db, id) == strings{"queue:hotline/VN/no commune; nobody on duty (superseded)",
                                          "ls-cp/commune_child_protection/05983/rule:emergency",
                                          "ls-police/commune_police/05983/rule:emergency"});
    CHECK(state_of(*db, id) == "routed");
    CHECK(status(*db, id).forwarded);
    CHECK(event_kinds(*db, id) == "received,classified,located,routed,location_added,located,routed");
    CHECK(q(*db, "SELECT commune_code FROM reports WHERE id = " + std::to_string(id)) == "05983");
    CHECK(n(*db, "SELECT json_array_length(data, '$.assignments') FROM events WHERE kind = 'routed' ORDER BY id "
                 "DESC LIMIT 1") == 2);

    // A report that has its commune is not routed again by more place text.
    const auto more = receive(*db, sms("gan cho", 3, t0 + std::chrono::minutes(3)), located(ward, province),
                              std::nullopt);
    CHECK(more.decision.action == intake::sms_action::add_detail);
    CHECK(n(*db, "SELECT count(*) FROM assignments") == 3);
}

TEST_CASE("routing SMS: a place that finds no commune is recorded and routes nothing") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto first = receive(*db, sms("co dua tre bi danh", 1, t0), located(std::nullopt, std::nullopt, 0));
    const auto id = *first.report_id;
    CHECK(assignments(*db, id) == strings{"hotline-sup/hotline_supervisor/VN/no commune"});
    (void)receive(*db, sms("gan cho", 2, t0 + std::chrono::minutes(1)), located(std::nullopt, std::nullopt, 0),
                  std::nullopt);
    CHECK(event_kinds(*db, id) == "received,classified,located,routed,location_added,located");
    CHECK(n(*db, "SELECT count(*) FROM assignments") == 1);

    // A province alone is news: its coordinator is told.
    temp_dir dir2;
    auto db2 = open_db(dir2);
    directory(*db2, everybody());
    const auto r2 = receive(*db2, sms("co dua tre bi danh", 1, t0), located(std::nullopt, std::nullopt, 0));
    (void)receive(*db2, sms("lang son", 2, t0 + std::chrono::minutes(1)), located(std::nullopt, province, 0.5),
                  std::nullopt);
    CHECK(assignments(*db2, *r2.report_id) ==
          strings{"hotline-sup/hotline_supervisor/VN/no commune", "ls-coord/province_coordinator/20/no commune"});
    CHECK(q(*db2, "SELECT province_code FROM reports") == "20");
}

TEST_CASE("routing SMS: the classification overridden since decides the late routing") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, everybody());
    const auto first = receive(*db, sms("co dua tre", 1, t0), located(std::nullopt, std::nullopt, 0),
                               classified(intake::urgency::low));
    const auto id = *first.report_id;
    CHECK(assignments(*db, id) == strings{"queue:hotline/VN/rule:low"});
    classification_override o;
    o.report_id = id;
    o.level = intake::urgency::emergency;
    o.track = intake::legal_track::emergency_12h;
    o.reason = "called back";
    o.by = "operator:1";
    o.at = t0 + std::chrono::minutes(1);
    (void)ok(await<std::uint64_t>([&](auto done) { db->override_classification(o, done); }));
    (void)receive(*db, sms("phuong chi lang", 2, t0 + std::chrono::minutes(2)), located(ward, province),
                  std::nullopt);
    // The rule's queue stays; the emergency roles are added.
    CHECK(assignments(*db, id) == strings{"queue:hotline/VN/rule:low",
                                          "ls-cp/commune_child_protection/05983/rule:emergency",
                                          "ls-police/commune_police/05983/rule:emergency"});
}
