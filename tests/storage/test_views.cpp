#include "storage/views.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

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

const time_point t0 = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z

constexpr const char* ward = "05983";
constexpr const char* province = "20";

std::vector<staff> everybody() {
    return {
        {"ls-cp", role::commune_child_protection, ward},
        {"ls-police", role::commune_police, ward},
        {"ls-chair", role::commune_chair, ward},
        {"ls-coord", role::province_coordinator, province},
        {"ls-ppolice", role::province_police, province},
        {"hotline-sup", role::hotline_supervisor, "VN"},
        {"other-chair", role::commune_chair, "05977"},
        {"hn-coord", role::province_coordinator, "01"},
    };
}

const routing::routing_policy& rules() {
    static const routing::routing_policy p = routing::routing_policy::defaults();
    return p;
}

const deadline_policy& policy() {
    static const deadline_policy p;
    return p;
}

struct report_options {
    intake::urgency level = intake::urgency::normal;
    std::vector<std::string> categories;
    time_point at = t0;
    bool located = true;
    const deadline_policy* deadlines = &policy();
};

receipt insert(database& db, const report_options& o, intake::report data = {}) {
    new_report r;
    r.channel = intake::channel::web;
    r.received_at = o.at;
    r.data = std::move(data);
    if (r.data.text.empty()) r.data.text = "Hàng xóm đánh cháu bé";
    classification_event e;
    e.result.level = o.level;
    e.result.categories = o.categories;
    e.result.track = o.level == intake::urgency::emergency ? intake::legal_track::emergency_12h
                                                            : intake::legal_track::standard_5wd;
    e.lexicon = "test";
    r.classification = std::move(e);
    routing::location_result l;
    if (o.located) {
        l.commune_code = ward;
        l.province_code = province;
        l.confidence = 0.9;
    }
    r.routing = routing_request{l, &rules(), o.deadlines};
    return ok(await<receipt>([&](auto done) { db.insert_report(std::move(r), done); }));
}

std::int64_t contact_id(database& db, const std::string& key) {
    return read_int(db, "SELECT id FROM contacts WHERE key = '" + key + "'");
}

std::vector<officer_assignment> list(database& db, const std::string& key, assignment_filter f, time_point now) {
    const auto id = contact_id(db, key);
    return ok(await<std::vector<officer_assignment>>([&](auto done) {
        db.read<std::vector<officer_assignment>>([=](connection& c) { return assignments_of(c, id, f, now); },
                                                 done);
    }));
}

result<report_view> view(database& db, std::uint64_t report, const std::string& key) {
    const auto id = contact_id(db, key);
    return await<report_view>([&](auto done) {
        db.read<report_view>(
            [=](connection& c) { return read_report_view(c, static_cast<std::int64_t>(report), id); }, done);
    });
}

std::string right_of(database& db, std::uint64_t report, const std::string& key) {
    auto v = view(db, report, key);
    if (!v) return v.err().code;
    return std::string(to_string(v->right));
}

metrics_counts metrics(database& db, metrics_tally& tally) {
    return ok(await<metrics_counts>([&](auto done) {
        db.read<metrics_counts>([&](connection& c) { return read_metrics(c, tally); }, done);
    }));
}

metrics_counts metrics(database& db) {
    return ok(await<metrics_counts>([&](auto done) {
        db.read<metrics_counts>([](connection& c) { return read_metrics(c); }, done);
    }));
}

}  // namespace

TEST_CASE("assignments_of: the contact's assignments by deadline, filtered by state") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, everybody(), t0);
    // Made in one order, due in another: normal 4 h, emergency 15 min, high 1 h.
    const auto a = insert(*db, {intake::urgency::normal, {}, t0});
    const auto b = insert(*db, {intake::urgency::emergency, {"physical_violence"}, t0 + 1min});
    const auto c = insert(*db, {intake::urgency::high, {"physical_violence", "neglect"}, t0 + 2min});
    report_options no_deadline;
    no_deadline.at = t0 + 3min;
    no_deadline.deadlines = nullptr;
    const auto d = insert(*db, no_deadline);

    const auto now = t0 + 20min;
    auto open = list(*db, "ls-cp", assignment_filter::open, now);
    REQUIRE(open.size() == 4);
    CHECK(open[0].report_id == static_cast<std::int64_t>(b.id));
    CHECK(open[1].report_id == static_cast<std::int64_t>(c.id));
    CHECK(open[2].report_id == static_cast<std::int64_t>(a.id));
    CHECK(open[3].report_id == static_cast<std::int64_t>(d.id));
    CHECK_FALSE(open[3].ack_due_at.has_value());
    CHECK(open[0].urgency == "emergency");
    CHECK(open[0].categories == std::vector<std::string>{"physical_violence"});
    CHECK(open[1].categories == std::vector<std::string>{"physical_violence", "neglect"});
    CHECK(open[2].categories.empty());
    CHECK(open[0].tracking_code == b.tracking_code);
    CHECK(open[0].commune_code == ward);
    CHECK(open[0].province_code == province);
    CHECK(open[0].role == "commune_child_protection");
    CHECK(open[0].state == "open");
    CHECK(open[0].step == 1);
    CHECK(*open[0].ack_due_at == t0 + 1min + 15min);
    // Due at t0+16min: overdue at t0+20min; the others not yet.
    CHECK(open[0].overdue);
    CHECK_FALSE(open[1].overdue);
    CHECK_FALSE(open[3].overdue);

    // The police only has the emergency.
    auto police = list(*db, "ls-police", assignment_filter::open, now);
    REQUIRE(police.size() == 1);
    CHECK(police[0].report_id == static_cast<std::int64_t>(b.id));
    CHECK(list(*db, "ls-chair", assignment_filter::all, now).empty());

    // Acknowledged: out of "open", into "acknowledged"; "all" keeps the order.
    const auto cp = contact_id(*db, "ls-cp");
    ok(await<acknowledged>([&](auto done) {
        db->write<acknowledged>(
            [&](connection& conn) { return acknowledge(conn, {open[2].id, cp, "api", t0 + 5min}); }, done);
    }));
    open = list(*db, "ls-cp", assignment_filter::open, now);
    REQUIRE(open.size() == 3);
    CHECK(open[2].report_id == static_cast<std::int64_t>(d.id));
    auto acked = list(*db, "ls-cp", assignment_filter::acknowledged, now);
    REQUIRE(acked.size() == 1);
    CHECK(acked[0].report_id == static_cast<std::int64_t>(a.id));
    CHECK(acked[0].state == "acknowledged");
    CHECK_FALSE(acked[0].overdue);
    auto all = list(*db, "ls-cp", assignment_filter::all, now);
    REQUIRE(all.size() == 4);
    CHECK(all[2].report_id == static_cast<std::int64_t>(a.id));

    CHECK(parse_assignment_filter("open") == assignment_filter::open);
    CHECK(parse_assignment_filter("all") == assignment_filter::all);
    CHECK_FALSE(parse_assignment_filter("closed").has_value());
    CHECK_FALSE(parse_assignment_filter("").has_value());
}

TEST_CASE("view_right_of: assignees, the commune chair, the province coordinator, the hotline supervisor") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, everybody(), t0);
    const auto r = insert(*db, {intake::urgency::normal, {}, t0});

    CHECK(right_of(*db, r.id, "ls-cp") == "assignee");
    CHECK(right_of(*db, r.id, "ls-chair") == "commune_chair");
    CHECK(right_of(*db, r.id, "ls-coord") == "province_coordinator");
    // Not assigned and no coordinator of this place.
    CHECK(right_of(*db, r.id, "ls-police") == "forbidden");
    CHECK(right_of(*db, r.id, "ls-ppolice") == "forbidden");
    CHECK(right_of(*db, r.id, "hotline-sup") == "forbidden");
    CHECK(right_of(*db, r.id, "other-chair") == "forbidden");
    CHECK(right_of(*db, r.id, "hn-coord") == "forbidden");
    CHECK(right_of(*db, r.id + 1000, "ls-cp") == "not_found");

    // An assignee stays one after acknowledging, and after another's acknowledgement supersedes it.
    const auto emergency = insert(*db, {intake::urgency::emergency, {}, t0});
    const auto police = contact_id(*db, "ls-police");
    const auto assignment =
        read_int(*db, "SELECT id FROM assignments WHERE report_id = " + std::to_string(emergency.id) +
                          " AND contact_id = " + std::to_string(police));
    ok(await<acknowledged>([&](auto done) {
        db->write<acknowledged>(
            [&](connection& conn) { return acknowledge(conn, {assignment, police, "api", t0 + 1min}); }, done);
    }));
    CHECK(right_of(*db, emergency.id, "ls-police") == "assignee");
    CHECK(read_text(*db, "SELECT state FROM assignments WHERE report_id = " + std::to_string(emergency.id) +
                             " AND contact_id = " + std::to_string(contact_id(*db, "ls-cp"))) == "superseded");
    CHECK(right_of(*db, emergency.id, "ls-cp") == "assignee");

    // A low-urgency report sits in the hotline's queue: the supervisor may read it.
    const auto low = insert(*db, {intake::urgency::low, {}, t0});
    REQUIRE(read_text(*db, "SELECT group_concat(coalesce(queue, '-')) FROM assignments WHERE report_id = " +
                               std::to_string(low.id)) == "hotline");
    CHECK(right_of(*db, low.id, "hotline-sup") == "hotline_supervisor");
    CHECK(right_of(*db, low.id, "ls-cp") == "forbidden");
    CHECK(right_of(*db, low.id, "ls-chair") == "commune_chair");
    // A report placed nowhere goes to the supervisor as an assignee; no
    // commune chair or province coordinator has it.
    report_options nowhere;
    nowhere.located = false;
    const auto lost = insert(*db, nowhere);
    CHECK(right_of(*db, lost.id, "hotline-sup") == "assignee");
    CHECK(right_of(*db, lost.id, "ls-coord") == "forbidden");
    CHECK(right_of(*db, lost.id, "ls-chair") == "forbidden");
    CHECK(right_of(*db, lost.id, "ls-cp") == "forbidden");

    // An inactive contact reads nothing, not even its own assignments.
    ok(await<void>([&](auto done) {
        db->write<void>([](connection& c) { return c.exec("UPDATE contacts SET active = 0 WHERE key = 'ls-cp'"); },
                        done);
    }));
    CHECK(right_of(*db, r.id, "ls-cp") == "forbidden");
}

TEST_CASE("read_report_view: the record, the reporter's identity only when allowed, a timeline without names") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, everybody(), t0);

    intake::report open_data;
    open_data.text = "Cháu bé bị cha đánh";
    open_data.location_text = "Lương Văn Tri";
    open_data.child_name = "Bé Na";
    open_data.child_age = 7;
    open_data.child_age_estimated = true;
    open_data.sex = intake::child_sex::female;
    open_data.child_condition = "bầm tím";
    open_data.perpetrator_relation = "cha";
    open_data.reporter_name = "Trần Văn Báo";
    open_data.reporter_phone = "+84912345678";
    open_data.reporter_address = "Số 1 ngõ 2";
    open_data.contact_ok = true;
    const auto shown = insert(*db, {intake::urgency::emergency, {"physical_violence"}, t0}, open_data);

    auto v = ok(view(*db, shown.id, "ls-cp"));
    CHECK(v.right == view_right::assignee);
    CHECK(v.tracking_code == shown.tracking_code);
    CHECK(v.channel == "web");
    CHECK(v.state == "routed");
    CHECK(v.text == "Cháu bé bị cha đánh");
    CHECK(v.location_text == "Lương Văn Tri");
    CHECK(v.commune_code == ward);
    CHECK(v.province_code == province);
    CHECK(v.child_name == "Bé Na");
    CHECK(v.child_age == 7);
    CHECK(v.child_age_estimated);
    CHECK(v.child_sex == "female");
    CHECK(v.child_condition == "bầm tím");
    CHECK(v.perpetrator_relation == "cha");
    CHECK(v.reporter.shown);
    CHECK(v.reporter.name == "Trần Văn Báo");
    CHECK(v.reporter.phone == "+84912345678");
    CHECK(v.reporter.address == "Số 1 ngõ 2");
    CHECK(v.reporter.withheld_reason.empty());
    REQUIRE(v.classification.has_value());
    CHECK(v.classification->find("\"urgency\":\"emergency\"") != std::string::npos);
    CHECK(v.classification_kind == "classified");
    CHECK(v.action.due == t0 + 12h);
    CHECK_FALSE(v.action.breached.has_value());
    REQUIRE(v.assignments.size() == 2);
    CHECK(v.assignments[0].contact == "ls-cp");
    CHECK(v.assignments[0].role == "commune_child_protection");
    CHECK(v.assignments[0].state == "open");
    CHECK(v.assignments[0].ack_due_at == t0 + 15min);
    CHECK(v.assignments[1].contact == "ls-police");
    REQUIRE(v.events.size() >= 4);
    CHECK(v.events[0].kind == "received");
    CHECK(v.events[1].kind == "classified");
    CHECK(v.events[1].actor == "triage");
    for (const auto& e : v.events) {
        CHECK_FALSE(e.withheld);
        if (e.data) CHECK(e.data->find("Trần") == std::string::npos);
    }

    // Secret identity, and no consent to contact: withheld, with the reason.
    auto secret_data = open_data;
    secret_data.keep_identity_secret = true;
    const auto secret = insert(*db, {intake::urgency::normal, {}, t0}, secret_data);
    auto s = ok(view(*db, secret.id, "ls-chair"));
    CHECK(s.right == view_right::commune_chair);
    CHECK_FALSE(s.reporter.shown);
    CHECK_FALSE(s.reporter.name.has_value());
    CHECK_FALSE(s.reporter.phone.has_value());
    CHECK_FALSE(s.reporter.address.has_value());
    CHECK(s.reporter.keep_identity_secret);
    CHECK(s.reporter.withheld_reason.find("secret") != std::string::npos);
    CHECK(s.reporter.withheld_reason.find("Art. 33") != std::string::npos);
    CHECK(s.child_name == "Bé Na");

    auto quiet_data = open_data;
    quiet_data.contact_ok = false;
    const auto quiet = insert(*db, {intake::urgency::normal, {}, t0}, quiet_data);
    auto q = ok(view(*db, quiet.id, "ls-coord"));
    CHECK(q.right == view_right::province_coordinator);
    CHECK_FALSE(q.reporter.shown);
    CHECK_FALSE(q.reporter.phone.has_value());
    CHECK(q.reporter.withheld_reason.find("did not agree") != std::string::npos);

    // An override: its data is shown without the reason, which may name people.
    classification_override o;
    o.report_id = quiet.id;
    o.level = intake::urgency::high;
    o.categories = {"neglect"};
    o.reason = "Ông Trần Văn Báo gọi lại";
    o.by = "operator-1";
    o.at = t0 + 1min;
    ok(await<std::uint64_t>([&](auto done) { db->override_classification(o, done); }));
    q = ok(view(*db, quiet.id, "ls-coord"));
    CHECK(q.classification_kind == "classification_overridden");
    REQUIRE(q.classification.has_value());
    CHECK(q.classification->find("\"urgency\":\"high\"") != std::string::npos);
    CHECK(q.classification->find("Báo") == std::string::npos);
    CHECK(q.events.back().kind == "classification_overridden");
    CHECK(q.events.back().actor == "operator-1");
    REQUIRE(q.events.back().data.has_value());
    CHECK(q.events.back().data->find("reason") == std::string::npos);

    // Forbidden to others, whatever they ask.
    auto refused = view(*db, quiet.id, "ls-ppolice");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.err().code == "forbidden");
}

TEST_CASE("record_view: every view is a `viewed` event naming the contact and the way") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, everybody(), t0);
    const auto r = insert(*db, {intake::urgency::normal, {}, t0});
    const auto cp = contact_id(*db, "ls-cp");
    const auto before = read_int(*db, "SELECT count(*) FROM events WHERE kind = 'viewed'");
    CHECK(before == 0);
    const auto id = ok(await<std::int64_t>([&](auto done) {
        db->write<std::int64_t>(
            [&](connection& c) {
                return record_view(c, static_cast<std::int64_t>(r.id), cp, view_right::assignee, "api",
                                   t0 + 3min);
            },
            done);
    }));
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'viewed'") == 1);
    const std::string where = " FROM events WHERE id = " + std::to_string(id);
    CHECK(read_int(*db, "SELECT report_id" + where) == static_cast<std::int64_t>(r.id));
    CHECK(read_int(*db, "SELECT at" + where) == to_unix_ms(t0 + 3min));
    CHECK(read_text(*db, "SELECT actor" + where) == "contact:" + std::to_string(cp));
    CHECK(read_text(*db, "SELECT json_extract(data, '$.contact')" + where) == "ls-cp");
    CHECK(read_text(*db, "SELECT json_extract(data, '$.via')" + where) == "api");
    CHECK(read_text(*db, "SELECT json_extract(data, '$.as')" + where) == "assignee");
    // It is part of the timeline the next reader sees, with its data.
    auto v = ok(view(*db, r.id, "ls-chair"));
    CHECK(v.events.back().kind == "viewed");
    REQUIRE(v.events.back().data.has_value());

    auto missing = await<std::int64_t>([&](auto done) {
        db->write<std::int64_t>(
            [&](connection& c) {
                return record_view(c, static_cast<std::int64_t>(r.id) + 99, cp, view_right::assignee, "api", t0);
            },
            done);
    });
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.err().code == "not_found");
}

TEST_CASE("read_metrics: reports by channel and urgency, breaches, the time-to-acknowledge histogram") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, everybody(), t0);
    const auto empty = metrics(*db);
    CHECK(empty.reports.empty());
    CHECK(empty.ack_count == 0);
    CHECK(empty.outbox == std::array<std::int64_t, 4>{});

    metrics_tally kept;  // as the server keeps it between scrapes
    CHECK(metrics(*db, kept).reports.empty());
    insert(*db, {intake::urgency::emergency, {}, t0});
    const auto second = insert(*db, {intake::urgency::normal, {}, t0});
    insert(*db, {intake::urgency::normal, {}, t0});
    {  // one without a classification
        new_report r;
        r.channel = intake::channel::api;
        r.received_at = t0;
        r.data.text = "không rõ";
        ok(await<receipt>([&](auto done) { db->insert_report(std::move(r), done); }));
    }
    auto m = metrics(*db);
    REQUIRE(m.reports.size() == 3);
    CHECK(m.reports[0].channel == "api");
    CHECK(m.reports[0].urgency == "unclassified");
    CHECK(m.reports[0].count == 1);
    CHECK(m.reports[1].channel == "web");
    CHECK(m.reports[1].urgency == "emergency");
    CHECK(m.reports[1].count == 1);
    CHECK(m.reports[2].urgency == "normal");
    CHECK(m.reports[2].count == 2);
    // The kept tally agrees, and follows an override from one urgency to another.
    auto k = metrics(*db, kept);
    REQUIRE(k.reports.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(k.reports[i].count == m.reports[i].count);
    classification_override o;
    o.report_id = second.id;
    o.level = intake::urgency::high;
    o.reason = "gọi lại";
    o.by = "operator-1";
    o.at = t0 + 1min;
    ok(await<std::uint64_t>([&](auto done) { db->override_classification(o, done); }));
    k = metrics(*db, kept);
    REQUIRE(k.reports.size() == 4);
    CHECK(k.reports[1].urgency == "emergency");
    CHECK(k.reports[2].urgency == "high");
    CHECK(k.reports[2].count == 1);
    CHECK(k.reports[3].urgency == "normal");
    CHECK(k.reports[3].count == 1);
    CHECK(metrics(*db).reports.size() == 4);
    // emergency: cp + police; normal: cp each.
    CHECK(m.assignments_open == 4);
    CHECK(m.ack_breaches == 0);

    // Acknowledge two: after 2 minutes and after 50 minutes.
    const auto cp = contact_id(*db, "ls-cp");
    const auto first = read_int(*db, "SELECT min(id) FROM assignments WHERE contact_id = " + std::to_string(cp));
    const auto last = read_int(*db, "SELECT max(id) FROM assignments WHERE contact_id = " + std::to_string(cp));
    for (const auto& [id, at] : {std::pair{first, t0 + 2min}, std::pair{last, t0 + 50min}})
        ok(await<acknowledged>([&, id = id, at = at](auto done) {
            db->write<acknowledged>([&](connection& c) { return acknowledge(c, {id, cp, "api", at}); }, done);
        }));
    // Five hours later the other normal report's deadline (4 h) has passed.
    const auto due = ok(await<due_outcome>([&](auto done) {
        db->write<due_outcome>([](connection& c) { return run_due(c, t0 + 5h, policy()); }, done);
    }));
    CHECK(due.ack_breaches == 1);
    m = metrics(*db);
    CHECK(m.ack_count == 2);
    CHECK(m.ack_seconds_sum == doctest::Approx(120 + 3000));
    CHECK(m.ack_buckets[0] == 0);  // <= 60 s
    CHECK(m.ack_buckets[1] == 1);  // <= 300 s
    CHECK(m.ack_buckets[2] == 1);  // <= 900 s
    CHECK(m.ack_buckets[3] == 1);  // <= 1800 s
    CHECK(m.ack_buckets[4] == 2);  // <= 3600 s
    CHECK(m.ack_buckets[6] == 2);
    CHECK(m.ack_breaches == 1);
    CHECK(m.escalations == due.escalations);
    CHECK(m.escalations == 1);
    CHECK(m.assignments_open == read_int(*db, "SELECT count(*) FROM assignments WHERE state = 'open'"));
}

TEST_CASE("read_metrics over 100,000 reports: exact counts, and the time it takes") {
    temp_dir dir;
    auto db = open_db(dir);
    constexpr int n = 100000;
    // Rows written in bulk as intake and the scheduler write them: a report
    // (with a text of the usual length), its received, classified, located
    // and routed events, one assignment, one outbox row; every 10th
    // acknowledged after i % 7200 seconds, every 20th breached, with their
    // events.
    ok(await<void>([&](auto done) {
        db->write<void>(
            [](connection& c) -> result<void> {
                if (auto r = c.exec(R"sql(
INSERT INTO contacts (id, key, name, role, unit_code, phone, active) VALUES
  (1, 'bench-cp', 'Cán bộ', 'commune_child_protection', '05983', '+84900000001', 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO reports (id, tracking_code, channel, received_at, state, text, secret_salt, secret_hash,
                     commune_code, province_code, action_breached_at, plan_breached_at)
SELECT i, printf('%08d', i), CASE i % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'api' ELSE 'sms' END, 1782878400000 + i,
       'routed', printf('%.300c', 'x'), zeroblob(16), zeroblob(32), '05983', '20',
       CASE WHEN i % 50 = 0 THEN 1 END, CASE WHEN i % 40 = 0 THEN 1 END
FROM n;
INSERT INTO events (report_id, at, kind, actor, data) SELECT id, received_at, 'received', channel, NULL FROM reports;
INSERT INTO events (report_id, at, kind, actor, data)
SELECT id, received_at, 'classified', 'triage',
       json_object('urgency', CASE id % 4 WHEN 0 THEN 'emergency' WHEN 1 THEN 'high' WHEN 2 THEN 'normal' ELSE 'low' END,
                   'categories', json_array('neglect'), 'track', 'standard_5wd', 'evidence', json_array())
FROM reports;
INSERT INTO events (report_id, at, kind, actor, data)
SELECT id, received_at, 'located', 'routing', json_object('commune_code', '05983') FROM reports;
INSERT INTO events (report_id, at, kind, actor, data)
SELECT id, received_at, 'action_breached', 'scheduler', json_object('due_at', 1) FROM reports
WHERE action_breached_at IS NOT NULL;
INSERT INTO events (report_id, at, kind, actor, data)
SELECT id, received_at, 'plan_breached', 'scheduler', json_object('due_at', 1) FROM reports
WHERE plan_breached_at IS NOT NULL;
INSERT INTO events (report_id, at, kind, actor, data)
SELECT id, received_at, 'routed', 'routing', json_object('rules', json_array('standard')) FROM reports;
INSERT INTO assignments (report_id, contact_id, role, unit_code, reason, state, created_at, ack_due_at,
                         acknowledged_at, acknowledged_by, acknowledged_via, breached_at)
SELECT id, 1, 'commune_child_protection', '05983', 'rule standard',
       CASE WHEN id % 10 = 0 THEN 'acknowledged' ELSE 'open' END, received_at, received_at + 3600000,
       CASE WHEN id % 10 = 0 THEN received_at + (id % 7200) * 1000 END, CASE WHEN id % 10 = 0 THEN 1 END,
       CASE WHEN id % 10 = 0 THEN 'api' END, CASE WHEN id % 20 = 5 THEN received_at + 3600000 END
FROM reports;
INSERT INTO events (report_id, at, kind, actor, data)
SELECT report_id, acknowledged_at, 'acknowledged', 'contact:1',
       json_object('assignment', id, 'contact', 'bench-cp', 'channel', 'api', 'in_time', 1)
FROM assignments WHERE acknowledged_at IS NOT NULL;
INSERT INTO events (report_id, at, kind, actor, data)
SELECT report_id, breached_at, 'ack_breached', 'scheduler', json_object('assignment', id, 'step', 1, 'round', 0)
FROM assignments WHERE breached_at IS NOT NULL;
INSERT INTO outbox (channel, destination, body, segments, report_id, state, created_at, next_attempt_at)
SELECT 'android_sms', '+84900000001', 'x', 1, id, CASE WHEN id % 100 = 0 THEN 'failed' ELSE 'sent' END,
       received_at, received_at FROM reports;
)sql");
                    !r)
                    return r;
                return {};
            },
            done);
    }));
    // From scratch (every event read), then with a tally kept between
    // scrapes, as the server keeps it: only new events are read.
    const auto timed = [&](metrics_tally& tally) {
        const auto start = std::chrono::steady_clock::now();
        auto m = ok(await<metrics_counts>([&](auto done) {
            db->read<metrics_counts>([&](connection& c) { return read_metrics(c, tally); }, done);
        }));
        return std::pair{std::move(m), std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)};
    };
    metrics_tally kept;
    const auto [first, cold] = timed(kept);
    double warm = 1e9;
    metrics_counts m;
    for (int run = 0; run < 3; ++run) {
        auto [again, took] = timed(kept);
        CHECK(again.reports.size() == first.reports.size());
        warm = std::min(warm, took.count());
        m = std::move(again);
    }
    MESSAGE("read_metrics over ", n, " reports: first scrape ", cold.count(), " ms, later scrapes ", warm,
            " ms (best of 3)");
    const auto scratch = metrics(*db);
    CHECK(scratch.reports.size() == m.reports.size());
    for (std::size_t i = 0; i < m.reports.size() && i < scratch.reports.size(); ++i)
        CHECK(scratch.reports[i].count == m.reports[i].count);
    std::int64_t total = 0;
    for (const auto& r : m.reports) total += r.count;
    CHECK(total == n);
    CHECK(m.reports.size() == 12);  // 3 channels x 4 urgencies
    CHECK(m.assignments_open == n - n / 10);
    CHECK(m.ack_count == n / 10);
    CHECK(m.ack_buckets.back() == n / 10);
    for (std::size_t i = 1; i < m.ack_buckets.size(); ++i) CHECK(m.ack_buckets[i - 1] <= m.ack_buckets[i]);
    CHECK(m.ack_breaches == n / 20);
    CHECK(m.action_breaches == n / 50);
    CHECK(m.plan_breaches == n / 40);
    CHECK(m.outbox[3] == n / 100);
    CHECK(m.outbox[2] == n - n / 100);
}
