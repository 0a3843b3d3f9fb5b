#include "storage/notify.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "routing/notify.hpp"
#include "storage/database.hpp"
#include "storage/directory.hpp"
#include "storage/escalation.hpp"
#include "storage/officers.hpp"
#include "storage/outbox.hpp"
#include "tests/routing/units_fixture.hpp"
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

const time_point t0 = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z, a Wednesday, 11:00 in Hanoi

constexpr const char* ward = "05983";  // Phường Lương Văn Tri
constexpr const char* province = "20";  // Lạng Sơn
constexpr const char* hook = staff_webhook_url;
constexpr const char* base_url = "https://baocao111.gov.vn";

// The people given, each on duty all week (directory_fixture.hpp).
void directory(database& db, std::vector<staff> people) { add_staff(db, std::move(people), t0); }

std::vector<staff> ward_staff() {
    return {
        {"ls-cp", role::commune_child_protection, ward, true, "sms"},
        {"ls-police", role::commune_police, ward, true, "sms;webhook"},
        {"ls-chair", role::commune_chair, ward, true, "sms"},
        {"ls-coord", role::province_coordinator, province, true, "webhook"},
        {"ls-ppolice", role::province_police, province, true, "sms"},
        {"hotline-sup", role::hotline_supervisor, "VN", true, "sms"},
    };
}

intake::secret_key link_key() {
    intake::secret_key k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(200 - i);
    return k;
}

// Everything on: Twilio SMS, webhooks, links, names from the catalog.
deadline_policy all_channels() {
    deadline_policy p;
    p.notifications.sms_channel = "twilio_sms";
    p.notifications.webhook_enabled = true;
    p.notifications.public_base_url = std::string(base_url) + "/";
    p.notifications.link_lifetime = std::chrono::hours(12);
    p.notifications.link_key = link_key();
    p.notifications.units = &routing::test::catalog();
    p.notifications.codec = &codec();
    return p;
}

const deadline_policy& everything() {
    static const deadline_policy p = all_channels();
    return p;
}

new_report report(intake::urgency level, std::optional<std::string> commune = ward,
                  std::optional<std::string> prov = province, const deadline_policy* policy = &everything()) {
    new_report r = routed_report_data(level, t0, policy, std::move(commune), std::move(prov));
    // Who reported and who the child is: none of it may reach a notification.
    r.data.text = "Hàng xóm đánh cháu bé Nguyễn Văn An";
    r.data.child_name = "Nguyễn Văn An";
    r.data.reporter_name = "Trần Thị Bình";
    r.data.reporter_phone = "+84912345678";
    r.classification->result.categories = {"violence"};
    return r;
}

receipt insert(database& db, new_report r) {
    return ok(await<receipt>([&](auto done) { db.insert_report(std::move(r), done); }));
}

std::string q(database& db, const std::string& sql) { return read_text(db, sql); }
std::int64_t n(database& db, const std::string& sql) { return read_int(db, sql); }

std::int64_t assignment_of(database& db, std::uint64_t report, const std::string& key, int step = 1) {
    return n(db, "SELECT a.id FROM assignments AS a JOIN contacts AS k ON k.id = a.contact_id WHERE a.report_id = " +
                     std::to_string(report) + " AND k.key = '" + key + "' AND a.step = " + std::to_string(step) +
                     " ORDER BY a.id LIMIT 1");
}

// "channel>destination#assignment" of each outbox row, in id order.
std::string rows(database& db, const std::string& where = "1") {
    return q(db, "SELECT coalesce(group_concat(w, ' '), '') FROM (SELECT o.channel || '>' || "
                 "coalesce(k.key, o.destination) || '@' || a.step AS w FROM outbox AS o "
                 "LEFT JOIN assignments AS a ON a.id = o.assignment_id "
                 "LEFT JOIN contacts AS k ON k.id = a.contact_id AND (k.phone = o.destination OR "
                 "k.webhook_url = o.destination) WHERE " +
                     where + " ORDER BY o.id)");
}

due_outcome run(database& db, time_point now, const deadline_policy& p = everything()) {
    return ok(await<due_outcome>([&](auto done) {
        db.write<due_outcome>([now, &p](connection& c) { return run_due(c, now, p); }, done);
    }));
}

template <class T, class F>
result<T> in_write(database& db, F job) {
    return await<T>([&](auto done) { db.write<T>(std::function<result<T>(connection&)>(job), done); });
}

std::string grouped(const std::string& code) { return intake::tracking_codec::grouped(code); }

std::vector<outbox_message> claim(database& db, time_point now) {
    return ok(in_write<std::vector<outbox_message>>(
        db, [now](connection& c) { return claim_due_outbox(c, now, 100, 60s); }));
}

std::int64_t id_of(database& db, const std::string& where) {
    return n(db, "SELECT id FROM outbox WHERE " + where + " ORDER BY id LIMIT 1");
}

bool fail(database& db, std::int64_t outbox_id, time_point at) {
    return ok(in_write<bool>(db, [=](connection& c) {
        return fail_outbox(c, static_cast<std::uint64_t>(outbox_id), at, "HTTP 400: not a mobile number");
    }));
}

std::int64_t due_of(database& db, std::int64_t assignment) {
    return n(db, "SELECT ack_due_at FROM assignments WHERE id = " + std::to_string(assignment));
}

}  // namespace

TEST_CASE("notify: a routed report tells each assignee on their channels, in the intake write") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    const auto rec = insert(*db, report(intake::urgency::emergency));
    const auto cp = assignment_of(*db, rec.id, "ls-cp");
    const auto police = assignment_of(*db, rec.id, "ls-police");

    // The child-protection officer by SMS; the police by SMS and webhook.
    CHECK(rows(*db) == "twilio_sms>ls-cp@1 twilio_sms>ls-police@1 webhook>ls-police@1");
    CHECK(n(*db, "SELECT count(*) FROM outbox WHERE report_id = " + std::to_string(rec.id)) == 3);
    // The receipt says what waits on the write: the dispatcher, and the
    // scheduler for the earliest deadline, the one next_due now reads (the
    // reminder, before the acknowledgement and the legal clocks).
    CHECK(rec.queued_messages);
    const auto next = ok(await<std::optional<time_point>>(
        [&](auto done) { db->read<std::optional<time_point>>([](connection& c) { return next_due(c); }, done); }));
    REQUIRE(next.has_value());
    CHECK(rec.earliest_due == next);
    CHECK(*next < t0 + 15min);
    CHECK(n(*db, "SELECT count(*) FROM outbox WHERE state = 'pending' AND created_at = " +
                     std::to_string(to_unix_ms(t0)) + " AND next_attempt_at = " + std::to_string(to_unix_ms(t0))) == 3);

    // The SMS: one segment, the facts, a link that works for its assignee.
    const std::string sms_where = "channel = 'twilio_sms' AND assignment_id = " + std::to_string(cp);
    const std::string body = q(*db, "SELECT body FROM outbox WHERE " + sms_where);
    const std::string code = rec.tracking_code;
    const std::string prefix = "KHAN CAP: Tin bao " + grouped(code) +
                               " tai Phuong Luong Van Tri. Han xac nhan 11:15 01/07. Tra loi OK " + code +
                               " hoac mo " + base_url + "/a/";
    CHECK(body.substr(0, prefix.size()) == prefix);
    const std::string token = body.substr(prefix.size());
    CHECK(token.size() == 20);
    CHECK(n(*db, "SELECT segments FROM outbox WHERE " + sms_where) == 1);
    CHECK(q(*db, "SELECT destination FROM outbox WHERE " + sms_where) == "+84900001000");
    for (const char* secret : {"Nguyen", "Binh", "+84912345678", "danh"}) {
        CAPTURE(secret);
        CHECK(body.find(secret) == std::string::npos);
    }
    const auto link = ok(await<std::optional<ack_link>>([&](auto done) {
        db->read<std::optional<ack_link>>([&](connection& c) { return find_ack_link(c, token, link_key()); }, done);
    }));
    REQUIRE(link.has_value());
    CHECK(link->assignment_id == cp);
    CHECK(link->contact_id == n(*db, "SELECT id FROM contacts WHERE key = 'ls-cp'"));
    CHECK(link->expires_at == t0 + 12h);
    CHECK_FALSE(link->used_at.has_value());

    // The webhook: codes, not names; the same link as the police SMS.
    const std::string hw = " FROM outbox WHERE channel = 'webhook'";
    CHECK(q(*db, "SELECT destination" + hw) == hook);
    CHECK(n(*db, "SELECT segments" + hw) == 0);
    CHECK(n(*db, "SELECT assignment_id" + hw) == police);
    CHECK(n(*db, "SELECT report_id" + hw) == static_cast<std::int64_t>(rec.id));
    const auto field = [&](const char* path) {
        return q(*db, std::string("SELECT coalesce(json_extract(body, '") + path + "'), 'null')" + hw);
    };
    CHECK(field("$.type") == "assignment");
    CHECK(field("$.assignment_id") == std::to_string(police));
    CHECK(field("$.report_id") == std::to_string(rec.id));
    CHECK(field("$.tracking_code") == grouped(code));
    CHECK(field("$.urgency") == "emergency");
    CHECK(field("$.categories") == "[\"violence\"]");
    CHECK(field("$.commune_code") == ward);
    CHECK(field("$.province_code") == province);
    CHECK(field("$.role") == "commune_police");
    CHECK(field("$.step") == "1");
    CHECK(field("$.ack_due_at") == "2026-07-01T04:15:00.000Z");
    const std::string police_sms = q(*db, "SELECT body FROM outbox WHERE channel = 'twilio_sms' AND assignment_id = " +
                                              std::to_string(police));
    CHECK(police_sms.size() > 20);
    CHECK(field("$.ack_url") == std::string(base_url) + "/a/" + police_sms.substr(police_sms.size() - 20));
    const std::string webhook_body = q(*db, "SELECT body" + hw);
    CHECK(webhook_body.find("Nguy") == std::string::npos);
    CHECK(webhook_body.find("+8491") == std::string::npos);
    CHECK(n(*db, "SELECT count(*) FROM ack_links") == 2);  // one per assignment, shared by its rows
}

TEST_CASE("notify: only the channels both the contact and the deployment have") {
    struct setup {
        const char* name;
        const char* sms_channel;
        bool webhooks;
        const char* expected;
    } cases[] = {
        {"sms and webhooks", "android_sms", true, "android_sms>ls-cp@1 android_sms>ls-police@1 webhook>ls-police@1"},
        {"sms only", "android_sms", false, "android_sms>ls-cp@1 android_sms>ls-police@1"},
        {"webhooks only", "", true, "webhook>ls-police@1"},
        {"neither", "", false, ""},
    };
    for (const auto& k : cases) {
        CAPTURE(k.name);
        temp_dir dir;
        auto db = open_db(dir);
        directory(*db, ward_staff());
        deadline_policy p = all_channels();
        p.notifications.sms_channel = k.sms_channel;
        p.notifications.webhook_enabled = k.webhooks;
        p.notifications.public_base_url.clear();
        auto r = report(intake::urgency::emergency);
        r.routing->deadlines = &p;
        const auto rec = insert(*db, std::move(r));
        CHECK(rows(*db) == k.expected);
        CHECK(rec.queued_messages == (std::string_view(k.expected) != ""));
        CHECK(n(*db, "SELECT count(*) FROM ack_links") == 0);  // no base URL, no links
        CHECK(n(*db, "SELECT count(*) FROM outbox WHERE body LIKE '%hoac mo%' OR body LIKE '%/a/%'") == 0);
        CHECK(n(*db, "SELECT count(*) FROM outbox WHERE CASE WHEN channel = 'webhook' THEN "
                     "json_extract(body, '$.ack_url') IS NOT NULL ELSE 0 END") == 0);
        CHECK(n(*db, "SELECT count(*) FROM assignments WHERE report_id = " + std::to_string(rec.id)) == 2);
    }
}

TEST_CASE("notify: an idempotent replay queues nothing and sets no deadline") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    auto keyed = [] {
        auto r = report(intake::urgency::emergency);
        r.idempotency_key = "api:same";
        r.request_hash = "same-body";
        return r;
    };
    const auto first = insert(*db, keyed());
    CHECK(first.queued_messages);
    CHECK(first.earliest_due.has_value());
    const auto again = insert(*db, keyed());
    CHECK(again.replayed);
    CHECK(again.id == first.id);
    CHECK_FALSE(again.queued_messages);
    CHECK_FALSE(again.earliest_due.has_value());
    CHECK(n(*db, "SELECT count(*) FROM outbox") == 3);
}

TEST_CASE("notify: an SMS that files a report says what waits on its write, a follow-up does not") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    auto r = report(intake::urgency::emergency);
    inbound_sms m;
    m.provider = "android";
    m.provider_message_id = "sms-1";
    m.from = "+84911222333";
    m.body = r.data.text;
    m.received_at = t0;
    auto receive = [&](inbound_sms one) {
        return ok(await<sms_outcome>([&](auto done) {
            db->receive_sms(std::move(one), sms_options{}, r.classification, r.routing, done);
        }));
    };
    const auto first = receive(m);
    CHECK(first.decision.action == intake::sms_action::new_report);
    CHECK(first.queued_messages);
    const auto next = ok(await<std::optional<time_point>>(
        [&](auto done) { db->read<std::optional<time_point>>([](connection& c) { return next_due(c); }, done); }));
    REQUIRE(next.has_value());
    CHECK(first.earliest_due == next);

    m.provider_message_id = "sms-2";
    m.body = "them: chau hay khoc";
    m.received_at = t0 + 1min;
    const auto more = receive(m);
    CHECK(more.decision.action != intake::sms_action::new_report);
    CHECK(more.report_id == first.report_id);
    CHECK_FALSE(more.queued_messages);
    CHECK_FALSE(more.earliest_due.has_value());
}

TEST_CASE("notify: without a deadline policy nothing is sent") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    auto r = report(intake::urgency::emergency);
    r.routing->deadlines = nullptr;
    const auto rec = insert(*db, std::move(r));
    CHECK(n(*db, "SELECT count(*) FROM assignments") == 2);
    CHECK(rows(*db).empty());
    CHECK_FALSE(rec.queued_messages);
    CHECK_FALSE(rec.earliest_due.has_value());  // no deadline either
}

TEST_CASE("notify: queues, inactive contacts and closed assignments are not told") {
    temp_dir dir;
    auto db = open_db(dir);
    // Nobody in the commune: the report sits in the province's queue.
    directory(*db, {{"ls-ppolice", role::province_police, province, true, "sms"}});
    const auto queued = insert(*db, report(intake::urgency::normal));
    CHECK(q(*db, "SELECT queue FROM assignments WHERE report_id = " + std::to_string(queued.id)) == "province");
    CHECK(rows(*db).empty());
    const auto queue_row = n(*db, "SELECT id FROM assignments WHERE report_id = " + std::to_string(queued.id));
    const auto notify = [&](std::int64_t assignment, notification_kind kind = notification_kind::assignment) {
        return ok(in_write<std::vector<std::uint64_t>>(*db, [=](connection& c) {
            return notify_assignment(c, assignment, everything().notifications, t0 + 1min, kind);
        }));
    };
    CHECK(notify(queue_row).empty());

    // A contact deactivated after the assignment was made.
    directory(*db, {{"ls-cp", role::commune_child_protection, ward, true, "sms;webhook"}});
    const auto rec = insert(*db, report(intake::urgency::normal));
    const auto cp = assignment_of(*db, rec.id, "ls-cp");
    CHECK(notify(cp).size() == 2);
    directory(*db, {{"ls-cp", role::commune_child_protection, ward, true, "sms;webhook", false}});
    CHECK(notify(cp).empty());

    // An assignment acknowledged is not reminded.
    directory(*db, {{"ls-cp", role::commune_child_protection, ward, true, "sms"}});
    const auto who = n(*db, "SELECT id FROM contacts WHERE key = 'ls-cp'");
    ok(in_write<acknowledged>(*db, [=](connection& c) {
        return acknowledge(c, acknowledgement{cp, who, "api", t0 + 2min});
    }));
    CHECK(notify(cp, notification_kind::reminder).empty());

    // An unknown assignment is an error.
    auto missing = in_write<std::vector<std::uint64_t>>(*db, [](connection& c) {
        return notify_assignment(c, 4242, everything().notifications, t0);
    });
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.err().code == "not_found");
}

TEST_CASE("notify: a failed notification fails the report's write as a whole") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    // The webhook row cannot be written: the whole intake write fails.
    ok(await<void>([&](auto done) {
        db->write<void>(
            [](connection& c) {
                return c.exec("CREATE TRIGGER refuse_webhooks BEFORE INSERT ON outbox WHEN NEW.channel = 'webhook' "
                              "BEGIN SELECT RAISE(ABORT, 'webhooks refused'); END");
            },
            done);
    }));
    auto r = await<receipt>([&](auto done) { db->insert_report(report(intake::urgency::emergency), done); });
    REQUIRE_FALSE(r.has_value());
    CHECK(n(*db, "SELECT count(*) FROM reports") == 0);
    CHECK(n(*db, "SELECT count(*) FROM assignments") == 0);
    CHECK(n(*db, "SELECT count(*) FROM outbox") == 0);
    CHECK(n(*db, "SELECT count(*) FROM ack_links") == 0);
    CHECK(n(*db, "SELECT count(*) FROM events") == 0);
}

TEST_CASE("notify: escalation tells the next step once, however often run_due runs") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    deadline_policy p = all_channels();
    p.escalation.emergency.reminder_fraction = 0;  // only the escalations here
    const auto rec = insert(*db, report(intake::urgency::emergency, ward, province, &p));
    CHECK(rows(*db) == "twilio_sms>ls-cp@1 twilio_sms>ls-police@1 webhook>ls-police@1");

    // Nothing acknowledged by 11:15: step 2 (chair, province coordinator).
    auto out = run(*db, t0 + 15min, p);
    CHECK(out.escalations == 1);
    const std::string step2 = "twilio_sms>ls-chair@2 webhook>ls-coord@2";
    CHECK(rows(*db, "a.step = 2") == step2);
    const auto chair = assignment_of(*db, rec.id, "ls-chair", 2);
    const std::string body =
        q(*db, "SELECT body FROM outbox WHERE channel = 'twilio_sms' AND assignment_id = " + std::to_string(chair));
    CHECK(body.find("KHAN CAP: Tin bao " + grouped(rec.tracking_code) + " tai Phuong Luong Van Tri") == 0);
    CHECK(body.find("Han xac nhan 11:30 01/07.") != std::string::npos);
    CHECK(q(*db, "SELECT json_extract(body, '$.step') FROM outbox WHERE channel = 'webhook' AND assignment_id = " +
                     std::to_string(assignment_of(*db, rec.id, "ls-coord", 2))) == "2");
    CHECK(n(*db, "SELECT created_at FROM outbox WHERE assignment_id = " + std::to_string(chair)) ==
          to_unix_ms(t0 + 15min));

    // Again, and later (the other step-1 assignment breaching too): no second step 2.
    run(*db, t0 + 15min, p);
    run(*db, t0 + 16min, p);
    CHECK(rows(*db, "a.step = 2") == step2);
    CHECK(n(*db, "SELECT count(*) FROM outbox") == 5);

    // Step 3 at 11:30, told once too.
    run(*db, t0 + 30min, p);
    run(*db, t0 + 31min, p);
    CHECK(rows(*db, "a.step = 3") == "twilio_sms>ls-ppolice@3 twilio_sms>hotline-sup@3");
    CHECK(n(*db, "SELECT count(*) FROM outbox") == 7);
}

TEST_CASE("notify: a reminder falling due tells the assignee again, once, without a new link") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    const auto rec = insert(*db, report(intake::urgency::normal));  // 4 hours, reminded after 2
    const auto cp = assignment_of(*db, rec.id, "ls-cp");
    CHECK(rows(*db) == "twilio_sms>ls-cp@1");
    CHECK(run(*db, t0 + 2h).reminders == 1);
    CHECK(rows(*db) == "twilio_sms>ls-cp@1 twilio_sms>ls-cp@1");
    const auto reminder = id_of(*db, "assignment_id = " + std::to_string(cp) + " AND body LIKE 'NHAC LAI%'");
    CHECK(q(*db, "SELECT body FROM outbox WHERE id = " + std::to_string(reminder)) ==
          "NHAC LAI - THUONG: Tin bao " + grouped(rec.tracking_code) +
              " tai Phuong Luong Van Tri, Lang Son. Han xac nhan 15:00 01/07. Tra loi OK " + rec.tracking_code);
    CHECK(n(*db, "SELECT count(*) FROM ack_links") == 1);
    run(*db, t0 + 2h);
    run(*db, t0 + 3h);
    CHECK(n(*db, "SELECT count(*) FROM outbox") == 2);

    // Acknowledged before its reminder: no reminder.
    const auto other = insert(*db, report(intake::urgency::normal));
    const auto other_cp = assignment_of(*db, other.id, "ls-cp");
    ok(in_write<acknowledged>(*db, [=](connection& c) {
        return acknowledge(c, acknowledgement{other_cp, 1, "api", t0 + 1h});
    }));
    run(*db, t0 + 2h + 1min);
    CHECK(n(*db, "SELECT count(*) FROM outbox WHERE assignment_id = " + std::to_string(other_cp)) == 1);

    // The webhook reminder says so.
    const auto hooked = insert(*db, report(intake::urgency::high));  // 1 hour, reminded after 30 minutes
    (void)hooked;
    directory(*db, {{"ls-cp", role::commune_child_protection, ward, true, "webhook"}});
    run(*db, t0 + 31min);
    CHECK(q(*db, "SELECT json_extract(body, '$.type') || ' ' || coalesce(json_extract(body, '$.ack_url'), 'null') "
                 "FROM outbox WHERE channel = 'webhook'") == "reminder null");
}

TEST_CASE("notify: a late location tells the contacts it reaches") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    const auto rec = insert(*db, report(intake::urgency::high, std::nullopt, std::nullopt));
    CHECK(rows(*db) == "twilio_sms>hotline-sup@1");
    const auto first = q(*db, "SELECT body FROM outbox");
    CHECK(first.find("CAO: Tin bao " + grouped(rec.tracking_code) + ". Han xac nhan 12:00 01/07.") == 0);

    routing::location_result here;
    here.commune_code = ward;
    here.province_code = province;
    const auto id = static_cast<std::int64_t>(rec.id);
    CHECK(ok(in_write<bool>(*db, [&](connection& c) {
        return detail::route_late_location(c, id, routing_request{here, &default_rules(), &everything()}, t0 + 5min);
    })));
    CHECK(rows(*db) == "twilio_sms>hotline-sup@1 twilio_sms>ls-cp@1");
    const auto late = q(*db, "SELECT body FROM outbox ORDER BY id DESC LIMIT 1");
    CAPTURE(late);
    CHECK(late.find("CAO: Tin bao " + grouped(rec.tracking_code) + " tai Phuong Luong Van Tri") == 0);
    CHECK(late.find("Han xac nhan 12:05 01/07. Tra loi OK " + rec.tracking_code + " hoac mo ") != std::string::npos);
}

TEST_CASE("notify: without a catalog the text names the commune by its code") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    deadline_policy p = all_channels();
    p.notifications.units = nullptr;
    p.notifications.public_base_url.clear();
    const auto rec = insert(*db, report(intake::urgency::high, ward, province, &p));
    CHECK(q(*db, "SELECT body FROM outbox") == "CAO: Tin bao " + grouped(rec.tracking_code) +
                                                   " tai 05983. Han xac nhan 12:00 01/07. Tra loi OK " +
                                                   rec.tracking_code);
}

TEST_CASE("notify: a failed notification makes its assignment due at once, unless another is alive") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    const auto rec = insert(*db, report(intake::urgency::emergency));
    const auto cp = assignment_of(*db, rec.id, "ls-cp");
    const auto police = assignment_of(*db, rec.id, "ls-police");
    REQUIRE(claim(*db, t0).size() == 3);
    const auto cp_sms = id_of(*db, "assignment_id = " + std::to_string(cp));
    const auto police_sms = id_of(*db, "channel = 'twilio_sms' AND assignment_id = " + std::to_string(police));
    const auto police_hook = id_of(*db, "channel = 'webhook'");

    // The child-protection officer's only SMS is refused: due now.
    CHECK(fail(*db, cp_sms, t0 + 1min));
    CHECK(due_of(*db, cp) == to_unix_ms(t0 + 1min));
    CHECK(n(*db, "SELECT reminder_due_at IS NULL FROM assignments WHERE id = " + std::to_string(cp)) == 1);
    const std::string ev = " FROM events WHERE kind = 'notification_failed'";
    CHECK(n(*db, "SELECT count(*)" + ev) == 1);
    CHECK(n(*db, "SELECT report_id" + ev) == static_cast<std::int64_t>(rec.id));
    CHECK(q(*db, "SELECT actor" + ev) == "outbox");
    CHECK(q(*db, "SELECT json_extract(data, '$.assignment') || ' ' || json_extract(data, '$.outbox_id') || ' ' || "
                 "json_extract(data, '$.channel')" + ev) ==
          std::to_string(cp) + " " + std::to_string(cp_sms) + " twilio_sms");
    // Failing it again changes nothing.
    CHECK_FALSE(fail(*db, cp_sms, t0 + 2min));
    CHECK(n(*db, "SELECT count(*)" + ev) == 1);

    // The police SMS fails, but the webhook is still being sent: no change.
    CHECK_FALSE(fail(*db, police_sms, t0 + 1min));
    CHECK(due_of(*db, police) == to_unix_ms(t0 + 15min));
    // The webhook is sent: the police have been told; still no change.
    ok(await<void>([&](auto done) {
        db->write<void>([=](connection& c) { return mark_outbox_sent(c, police_hook, t0 + 2min); }, done);
    }));
    CHECK(due_of(*db, police) == to_unix_ms(t0 + 15min));

    // The scheduler then escalates at once: the breach is at 11:01.
    const auto out = run(*db, t0 + 1min);
    CHECK(out.ack_breaches == 1);
    CHECK(out.escalations == 1);
    CHECK(rows(*db, "a.step = 2") == "twilio_sms>ls-chair@2 webhook>ls-coord@2");

    // A deadline already past, or breached, does not move.
    const auto chair = assignment_of(*db, rec.id, "ls-chair", 2);
    REQUIRE(claim(*db, t0 + 20min).size() == 2);
    const auto chair_sms = id_of(*db, "assignment_id = " + std::to_string(chair));
    CHECK_FALSE(fail(*db, chair_sms, t0 + 20min));  // due 11:16, already past at 11:20
    CHECK(due_of(*db, chair) == to_unix_ms(t0 + 16min));
}

TEST_CASE("notify: a delivery report of non-delivery moves the deadline like a refusal") {
    temp_dir dir;
    auto db = open_db(dir);
    directory(*db, ward_staff());
    const auto rec = insert(*db, report(intake::urgency::normal));
    const auto cp = assignment_of(*db, rec.id, "ls-cp");
    REQUIRE(claim(*db, t0).size() == 1);
    const auto sms = static_cast<std::uint64_t>(id_of(*db, "assignment_id = " + std::to_string(cp)));
    ok(await<void>([&](auto done) {
        db->write<void>([=](connection& c) { return mark_outbox_sent(c, sms, t0 + 1s, "SM0001"); }, done);
    }));
    // The reminder goes out and reaches the phone ...
    run(*db, t0 + 2h);
    REQUIRE(claim(*db, t0 + 2h).size() == 1);
    const auto reminder = static_cast<std::uint64_t>(id_of(*db, "body LIKE 'NHAC LAI%'"));
    ok(await<void>([&](auto done) {
        db->write<void>([=](connection& c) { return mark_outbox_sent(c, reminder, t0 + 2h, "SM0002"); }, done);
    }));
    const auto report_of = [&](const char* sid, delivery_status s, time_point at) {
        return ok(in_write<std::optional<delivery_record>>(*db, [=](connection& c) {
            return record_delivery(c, "twilio_sms", sid, s, at, "30003: Unreachable destination handset");
        }));
    };
    auto d = report_of("SM0002", delivery_status::delivered, t0 + 2h + 1min);
    REQUIRE(d.has_value());
    CHECK(d->recorded);
    CHECK_FALSE(d->deadline_moved);
    // ... so the first one's non-delivery moves nothing: the officer has been told.
    d = report_of("SM0001", delivery_status::undelivered, t0 + 2h + 2min);
    REQUIRE(d.has_value());
    CHECK(d->outbox_id == sms);
    CHECK(d->assignment_id == cp);
    CHECK(d->report_id == rec.id);
    CHECK(d->recorded);
    CHECK_FALSE(d->deadline_moved);
    CHECK(due_of(*db, cp) == to_unix_ms(t0 + 4h));

    // Another report, whose only SMS is undelivered: due at once.
    const auto other = insert(*db, report(intake::urgency::normal));
    const auto other_cp = assignment_of(*db, other.id, "ls-cp");
    REQUIRE(claim(*db, t0 + 2h).size() == 1);
    const auto other_sms = static_cast<std::uint64_t>(id_of(*db, "assignment_id = " + std::to_string(other_cp)));
    ok(await<void>([&](auto done) {
        db->write<void>([=](connection& c) { return mark_outbox_sent(c, other_sms, t0 + 2h, "SM0003"); }, done);
    }));
    d = report_of("SM0003", delivery_status::undelivered, t0 + 2h + 5min);
    REQUIRE(d.has_value());
    CHECK(d->deadline_moved);
    CHECK(due_of(*db, other_cp) == to_unix_ms(t0 + 2h + 5min));
    CHECK(n(*db, "SELECT count(*) FROM events WHERE kind = 'notification_failed' AND report_id = " +
                     std::to_string(other.id)) == 1);
    // Said again: recorded once, moved once.
    d = report_of("SM0003", delivery_status::undelivered, t0 + 2h + 6min);
    REQUIRE(d.has_value());
    CHECK_FALSE(d->recorded);
    CHECK_FALSE(d->deadline_moved);
    CHECK(n(*db, "SELECT count(*) FROM events WHERE kind = 'notification_failed'") == 1);
}
