#include "storage/outbox.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <future>
#include <set>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/detail/migrations.hpp"
#include "storage/detail/phone_column.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace hotline::storage;
using hotline::test::temp_dir;
using namespace hotline::storage::test;
using namespace std::chrono_literals;

namespace {

// Runs `job` as a write (inside the writer's batch transaction) and waits.
template <class T, class F>
result<T> in_write(database& db, F job) {
    return await<T>([&](auto done) { db.write<T>(std::function<result<T>(connection&)>(job), done); });
}

template <class F>
result<void> in_write_void(database& db, F job) {
    return await<void>([&](auto done) { db.write<void>(std::function<result<void>(connection&)>(job), done); });
}

template <class T, class F>
result<T> in_read(database& db, F job) {
    return await<T>([&](auto done) { db.read<T>(std::function<result<T>(connection&)>(job), done); });
}

const time_point t0 = from_unix_ms(1751328000000);  // 2025-07-01 00:00:00 UTC

new_outbox_message sms_to(std::string number, std::string body, time_point at,
                          std::optional<std::uint64_t> report = std::nullopt) {
    new_outbox_message m;
    m.channel = "android_sms";
    m.destination = std::move(number);
    m.body = std::move(body);
    m.segments = 1;
    m.report_id = report;
    m.created_at = at;
    return m;
}

std::uint64_t enqueue(database& db, new_outbox_message m) {
    return ok(in_write<std::uint64_t>(db, [m](connection& c) { return enqueue_outbox(c, m); }));
}

std::vector<outbox_message> claim(database& db, time_point now, std::size_t max,
                                  std::chrono::milliseconds lease = 60s) {
    return ok(in_write<std::vector<outbox_message>>(
        db, [=](connection& c) { return claim_due_outbox(c, now, max, lease); }));
}

std::vector<std::uint64_t> ids_of(const std::vector<outbox_message>& v) {
    std::vector<std::uint64_t> out;
    for (const auto& m : v) out.push_back(m.id);
    return out;
}

outbox_status status(database& db, std::uint64_t id) {
    auto s = ok(in_read<std::optional<outbox_status>>(db, [id](connection& c) { return outbox_status_of(c, id); }));
    REQUIRE(s.has_value());
    return *s;
}

std::optional<time_point> next_due(database& db) {
    return ok(in_read<std::optional<time_point>>(db, [](connection& c) { return next_outbox_due(c); }));
}

outbox_counts counts(database& db) {
    return ok(in_read<outbox_counts>(db, [](connection& c) { return count_outbox(c); }));
}

receipt insert_report(database& db, int n) {
    new_report r;
    r.channel = intake::channel::web;
    r.received_at = t0 + std::chrono::milliseconds(n);
    r.data.text = "tre bi danh " + std::to_string(n);
    for (std::size_t i = 0; i < r.secret.salt.size(); ++i) r.secret.salt[i] = static_cast<std::uint8_t>(n + i);
    for (std::size_t i = 0; i < r.secret.hash.size(); ++i) r.secret.hash[i] = static_cast<std::uint8_t>(n * 3 + i);
    return ok(await<receipt>([&](auto done) { db.insert_report(std::move(r), done); }));
}

}  // namespace

TEST_CASE("outbox: enqueue, then claim what is due, oldest due first, at most max") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto late = enqueue(*db, sms_to("+84912000001", "late", t0 + 2s));
    const auto early = enqueue(*db, sms_to("+84912000002", "early", t0 + 1s));
    const auto future = enqueue(*db, sms_to("+84912000003", "future", t0 + 10s));
    CHECK(late != early);
    CHECK(status(*db, late).state == outbox_state::pending);
    CHECK(status(*db, late).attempts == 0);

    CHECK(claim(*db, t0, 10).empty());  // nothing due yet

    auto got = claim(*db, t0 + 5s, 10);
    REQUIRE(got.size() == 2);
    CHECK(ids_of(got) == std::vector<std::uint64_t>{early, late});
    CHECK(got[0].channel == "android_sms");
    CHECK(got[0].destination == "+84912000002");
    CHECK(got[0].body == "early");
    CHECK(got[0].segments == 1);
    CHECK(got[0].attempts == 0);  // tried before this one
    CHECK_FALSE(got[0].report_id.has_value());
    CHECK(got[0].created_at == t0 + 1s);
    CHECK(got[0].next_attempt_at == t0 + 1s);
    CHECK(status(*db, early).state == outbox_state::sending);
    CHECK(status(*db, early).attempts == 1);  // the claim counts the attempt
    CHECK(status(*db, future).state == outbox_state::pending);

    // Claimed messages are not handed out twice while their lease runs.
    CHECK(claim(*db, t0 + 5s, 10).empty());
    CHECK(ids_of(claim(*db, t0 + 10s, 10)) == std::vector<std::uint64_t>{future});

    // `max` bounds a claim; the rest waits for the next one.
    std::vector<std::uint64_t> many;
    for (int i = 0; i < 5; ++i)
        many.push_back(enqueue(*db, sms_to("+8491200001" + std::to_string(i), "m", t0 + 20s + std::chrono::seconds(i))));
    CHECK(claim(*db, t0 + 30s, 0).empty());
    CHECK(ids_of(claim(*db, t0 + 30s, 2)) == std::vector<std::uint64_t>{many[0], many[1]});
    CHECK(ids_of(claim(*db, t0 + 30s, 2)) == std::vector<std::uint64_t>{many[2], many[3]});
    CHECK(ids_of(claim(*db, t0 + 30s, 2)) == std::vector<std::uint64_t>{many[4]});
}

TEST_CASE("outbox: messages due at the same time go in id order") {
    temp_dir dir;
    auto db = open_db(dir);
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(enqueue(*db, sms_to("+84912000001", "x", t0)));
    CHECK(ids_of(claim(*db, t0, 10)) == ids);
}

TEST_CASE("outbox: an expired lease makes the message claimable again") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto id = enqueue(*db, sms_to("+84912000001", "hello", t0));
    REQUIRE(claim(*db, t0, 1, 60s).size() == 1);
    CHECK(claim(*db, t0 + 59s, 1).empty());
    CHECK(next_due(*db) == t0 + 60s);  // the lease's end

    auto again = claim(*db, t0 + 60s, 1, 30s);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == id);
    CHECK(again[0].attempts == 1);
    CHECK(status(*db, id).attempts == 2);
    CHECK(status(*db, id).state == outbox_state::sending);
    CHECK(claim(*db, t0 + 89s, 1).empty());
    CHECK(claim(*db, t0 + 90s, 1).size() == 1);
}

TEST_CASE("outbox: retry makes it pending again at the given time and keeps the attempt count") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto id = enqueue(*db, sms_to("+84912000001", "hello", t0));
    REQUIRE(claim(*db, t0, 1).size() == 1);
    ok(in_write_void(*db, [id](connection& c) { return retry_outbox(c, id, t0 + 10s, "HTTP 500 from gateway"); }));

    auto s = status(*db, id);
    CHECK(s.state == outbox_state::pending);
    CHECK(s.attempts == 1);
    CHECK(s.last_error == "HTTP 500 from gateway");
    CHECK(next_due(*db) == t0 + 10s);
    CHECK(claim(*db, t0 + 9s, 1).empty());

    auto got = claim(*db, t0 + 10s, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].attempts == 1);
    CHECK(got[0].next_attempt_at == t0 + 10s);
    CHECK(status(*db, id).attempts == 2);
}

TEST_CASE("outbox: sent and failed are final") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto a = enqueue(*db, sms_to("+84912000001", "a", t0));
    const auto b = enqueue(*db, sms_to("+84912000002", "b", t0));
    REQUIRE(claim(*db, t0, 10).size() == 2);
    ok(in_write_void(*db, [a](connection& c) { return mark_outbox_sent(c, a, t0 + 1s); }));
    ok(in_write<bool>(*db, [b](connection& c) { return fail_outbox(c, b, t0 + 1s, "HTTP 400: bad number"); }));

    CHECK(status(*db, a).state == outbox_state::sent);
    CHECK(status(*db, b).state == outbox_state::failed);
    CHECK(status(*db, b).last_error == "HTTP 400: bad number");
    CHECK(read_int(*db, "SELECT sent_at FROM outbox WHERE id = " + std::to_string(a)) == to_unix_ms(t0 + 1s));
    CHECK(read_int(*db, "SELECT failed_at FROM outbox WHERE id = " + std::to_string(b)) == to_unix_ms(t0 + 1s));

    // Never claimed again, however late it gets; nothing is due.
    CHECK(claim(*db, t0 + std::chrono::hours(24 * 365), 10).empty());
    CHECK_FALSE(next_due(*db).has_value());

    // A late verdict from a second sender (after a lease ran out) changes nothing.
    ok(in_write_void(*db, [a](connection& c) { return retry_outbox(c, a, t0 + 5s, "timeout"); }));
    ok(in_write<bool>(*db, [a](connection& c) { return fail_outbox(c, a, t0 + 5s, "timeout"); }));
    ok(in_write_void(*db, [b](connection& c) { return mark_outbox_sent(c, b, t0 + 5s); }));
    CHECK(status(*db, a).state == outbox_state::sent);
    CHECK(status(*db, a).last_error.empty());
    CHECK(status(*db, b).state == outbox_state::failed);

    // Unknown ids are refused.
    auto r = in_write_void(*db, [](connection& c) { return mark_outbox_sent(c, 4242, t0); });
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "not_found");
    CHECK(in_write_void(*db, [](connection& c) { return retry_outbox(c, 4242, t0, "x"); }).err().code == "not_found");
    CHECK(in_write<bool>(*db, [](connection& c) { return fail_outbox(c, 4242, t0, "x"); }).err().code == "not_found");
    CHECK_FALSE(ok(in_read<std::optional<outbox_status>>(*db, [](connection& c) { return outbox_status_of(c, 4242); }))
                    .has_value());
}

TEST_CASE("outbox: next due and counts") {
    temp_dir dir;
    auto db = open_db(dir);
    CHECK_FALSE(next_due(*db).has_value());
    auto n0 = counts(*db);
    CHECK(n0.pending + n0.sending + n0.sent + n0.failed == 0);

    const auto a = enqueue(*db, sms_to("+84912000001", "a", t0 + 30s));
    const auto b = enqueue(*db, sms_to("+84912000002", "b", t0 + 20s));
    const auto c3 = enqueue(*db, sms_to("+84912000003", "c", t0 + 40s));
    const auto d = enqueue(*db, sms_to("+84912000004", "d", t0 + 50s));
    CHECK(next_due(*db) == t0 + 20s);

    REQUIRE(ids_of(claim(*db, t0 + 20s, 1, 100s)) == std::vector<std::uint64_t>{b});  // leased until t0+120s
    CHECK(next_due(*db) == t0 + 30s);
    REQUIRE(ids_of(claim(*db, t0 + 30s, 1)) == std::vector<std::uint64_t>{a});
    ok(in_write_void(*db, [a](connection& c) { return mark_outbox_sent(c, a, t0 + 31s); }));
    REQUIRE(ids_of(claim(*db, t0 + 50s, 2)) == std::vector<std::uint64_t>{c3, d});
    ok(in_write<bool>(*db, [d](connection& c) { return fail_outbox(c, d, t0 + 51s, "refused"); }));
    ok(in_write_void(*db, [c3](connection& c) { return retry_outbox(c, c3, t0 + 500s, "busy"); }));
    CHECK(next_due(*db) == t0 + 120s);  // b's lease ends before c is due again

    auto n = counts(*db);
    CHECK(n.pending == 1);
    CHECK(n.sending == 1);
    CHECK(n.sent == 1);
    CHECK(n.failed == 1);
}

TEST_CASE("outbox: sending a message about a report records a notified event") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto rep = insert_report(*db, 1);
    const auto with = enqueue(*db, sms_to("+84912000001", "about the report", t0 + 1s, rep.id));
    const auto without = enqueue(*db, sms_to("+84912000002", "about nothing", t0 + 1s));
    auto got = claim(*db, t0 + 1s, 10);
    REQUIRE(got.size() == 2);
    CHECK(got[0].report_id == rep.id);
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, with, t0 + 2s); }));
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, without, t0 + 2s); }));
    // Marking twice records nothing more.
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, with, t0 + 3s); }));

    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'notified'") == 1);
    const std::string where = " FROM events WHERE kind = 'notified' AND report_id = " + std::to_string(rep.id);
    CHECK(read_int(*db, "SELECT json_extract(data, '$.outbox_id')" + where) == static_cast<std::int64_t>(with));
    CHECK(read_text(*db, "SELECT json_extract(data, '$.channel')" + where) == "android_sms");
    CHECK(read_int(*db, "SELECT at" + where) == to_unix_ms(t0 + 2s));
    CHECK(read_text(*db, "SELECT actor" + where) == "outbox");
}

TEST_CASE("outbox: the gateway's id is stored when the message is sent, once per channel") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto a = enqueue(*db, sms_to("+84912000001", "a", t0));
    const auto b = enqueue(*db, sms_to("+84912000002", "b", t0));
    const auto c3 = enqueue(*db, sms_to("+84912000003", "c", t0));
    REQUIRE(claim(*db, t0, 10).size() == 3);
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, a, t0 + 1s, "SM-A"); }));
    // A gateway handing out the same id twice: the second message is still
    // sent (not left claimed to be sent again), without the id.
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, b, t0 + 1s, "SM-A"); }));
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, c3, t0 + 1s); }));
    const auto provider = [&](std::uint64_t id) {
        return read_text(*db, "SELECT coalesce(provider_message_id, '-') FROM outbox WHERE id = " + std::to_string(id));
    };
    CHECK(provider(a) == "SM-A");
    CHECK(provider(b) == "-");
    CHECK(status(*db, b).state == outbox_state::sent);
    CHECK(provider(c3) == "-");
    // The same id on another channel is another message.
    auto other = sms_to("+84912000004", "d", t0);
    other.channel = "twilio_sms";
    const auto d = enqueue(*db, other);
    REQUIRE(claim(*db, t0, 10).size() == 1);
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, d, t0 + 1s, "SM-A"); }));
    CHECK(provider(d) == "SM-A");
}

TEST_CASE("outbox: a delivery report is recorded once, the first one final") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto rep = insert_report(*db, 1);
    const auto a = enqueue(*db, sms_to("+84912000001", "a", t0, rep.id));
    const auto b = enqueue(*db, sms_to("+84912000002", "b", t0, rep.id));
    REQUIRE(claim(*db, t0, 10).size() == 2);
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, a, t0 + 1s, "MSG-A"); }));
    ok(in_write_void(*db, [=](connection& c) { return mark_outbox_sent(c, b, t0 + 1s, "MSG-B"); }));
    const auto deliver = [&](std::string channel, std::string id, delivery_status s, time_point at,
                             std::string error = {}) {
        return ok(in_write<std::optional<delivery_record>>(*db, [=](connection& c) {
            return record_delivery(c, channel, id, s, at, error);
        }));
    };
    const auto delivery = [&](std::uint64_t id) {
        return read_text(*db, "SELECT coalesce(delivery, '-') || ' ' || coalesce(delivery_at, '-') FROM outbox "
                              "WHERE id = " + std::to_string(id));
    };
    const auto events = [&](const char* kind) {
        return read_int(*db, std::string("SELECT count(*) FROM events WHERE kind = '") + kind + "'");
    };

    // Unknown ids, or the right id on another channel: nothing found.
    CHECK_FALSE(deliver("android_sms", "MSG-Z", delivery_status::delivered, t0 + 2s).has_value());
    CHECK_FALSE(deliver("twilio_sms", "MSG-A", delivery_status::delivered, t0 + 2s).has_value());
    CHECK_FALSE(deliver("android_sms", "", delivery_status::delivered, t0 + 2s).has_value());

    // Delivered, then said again, then contradicted: only the first counts.
    auto r = deliver("android_sms", "MSG-A", delivery_status::delivered, t0 + 5s);
    REQUIRE(r.has_value());
    CHECK(r->outbox_id == a);
    CHECK(r->report_id == rep.id);
    CHECK_FALSE(r->assignment_id.has_value());
    CHECK(r->recorded);
    CHECK_FALSE(r->deadline_moved);
    CHECK(delivery(a) == "delivered " + std::to_string(to_unix_ms(t0 + 5s)));
    r = deliver("android_sms", "MSG-A", delivery_status::delivered, t0 + 6s);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->recorded);
    r = deliver("android_sms", "MSG-A", delivery_status::undelivered, t0 + 7s, "failed later");
    REQUIRE(r.has_value());
    CHECK_FALSE(r->recorded);
    CHECK(delivery(a) == "delivered " + std::to_string(to_unix_ms(t0 + 5s)));
    CHECK(status(*db, a).last_error.empty());
    CHECK(events("delivered") == 1);
    CHECK(events("undelivered") == 0);
    const std::string where = " FROM events WHERE kind = 'delivered'";
    CHECK(read_int(*db, "SELECT report_id" + where) == static_cast<std::int64_t>(rep.id));
    CHECK(read_int(*db, "SELECT json_extract(data, '$.outbox_id')" + where) == static_cast<std::int64_t>(a));
    CHECK(read_text(*db, "SELECT json_extract(data, '$.channel')" + where) == "android_sms");
    CHECK(read_int(*db, "SELECT at" + where) == to_unix_ms(t0 + 5s));

    // Undelivered first, with the gateway's error (redacted), then delivered: stays undelivered.
    r = deliver("android_sms", "MSG-B", delivery_status::undelivered, t0 + 8s,
                "RESULT_ERROR_GENERIC_FAILURE for +84912000002");
    REQUIRE(r.has_value());
    CHECK(r->recorded);
    CHECK_FALSE(r->deadline_moved);  // it notified no assignment
    CHECK(delivery(b) == "undelivered " + std::to_string(to_unix_ms(t0 + 8s)));
    CHECK(status(*db, b).last_error == "RESULT_ERROR_GENERIC_FAILURE for [destination]");
    CHECK(status(*db, b).state == outbox_state::sent);  // it was sent; the delivery is beside it
    r = deliver("android_sms", "MSG-B", delivery_status::delivered, t0 + 9s);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->recorded);
    CHECK(delivery(b) == "undelivered " + std::to_string(to_unix_ms(t0 + 8s)));
    CHECK(events("undelivered") == 1);
    CHECK(events("delivered") == 1);
    CHECK(to_string(delivery_status::delivered) == "delivered");
    CHECK(to_string(delivery_status::undelivered) == "undelivered");
}

TEST_CASE("outbox: a failure returns whether it moved a deadline, never for a message about no assignment") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto rep = insert_report(*db, 1);
    const auto a = enqueue(*db, sms_to("+84912000001", "a", t0, rep.id));
    REQUIRE(claim(*db, t0, 10).size() == 1);
    CHECK_FALSE(ok(in_write<bool>(*db, [=](connection& c) { return fail_outbox(c, a, t0 + 1s, "refused"); })));
    CHECK(status(*db, a).state == outbox_state::failed);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'notification_failed'") == 0);
}

TEST_CASE("outbox: a message keeps the assignment it notifies") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto rep = insert_report(*db, 1);
    const auto assignment = ok(in_write<std::int64_t>(*db, [&](connection& c) -> result<std::int64_t> {
        if (auto r = c.exec("INSERT INTO assignments (report_id, queue, unit_code, reason, created_at) VALUES (" +
                            std::to_string(rep.id) + ", 'hotline', 'VN', 'test', 0)");
            !r)
            return std::move(r).err();
        return c.last_insert_rowid();
    }));
    auto m = sms_to("+84912000001", "a", t0, rep.id);
    m.assignment_id = assignment;
    const auto id = enqueue(*db, m);
    auto got = claim(*db, t0, 10);
    REQUIRE(got.size() == 1);
    CHECK(got[0].id == id);
    CHECK(got[0].assignment_id == assignment);
    // One naming no assignment is refused.
    m.assignment_id = 4242;
    CHECK_FALSE(in_write<std::uint64_t>(*db, [&](connection& c) { return enqueue_outbox(c, m); }).has_value());
}

TEST_CASE("outbox: stored errors never carry the message text or the number") {
    temp_dir dir;
    auto db = open_db(dir);
    const std::string body = "Da nhan tin bao cua ban. Ma so: 7KQ2-M9XD. \"Cam on\"";
    const std::string number = "+84912345678";
    const auto id = enqueue(*db, sms_to(number, body, t0));
    REQUIRE(claim(*db, t0, 1).size() == 1);
    const std::string echoed = "HTTP 400 {\"error\":\"cannot send\",\"text\":\"Da nhan tin bao cua ban. Ma so: 7KQ2-M9XD. "
                               "\\\"Cam on\\\"\",\"to\":\"" + number + "\",\"raw\":\"" + body + "\"}";
    ok(in_write_void(*db, [&](connection& c) { return retry_outbox(c, id, t0 + 1s, echoed); }));
    auto e = status(*db, id).last_error;
    CHECK(e.find(body) == std::string::npos);
    CHECK(e.find("7KQ2-M9XD") == std::string::npos);
    CHECK(e.find(number) == std::string::npos);
    CHECK(e.find("HTTP 400") != std::string::npos);
    CHECK(e.find("[message text]") != std::string::npos);

    // Bounded.
    REQUIRE(claim(*db, t0 + 1s, 1).size() == 1);
    ok(in_write<bool>(*db, [&](connection& c) { return fail_outbox(c, id, t0 + 2s, std::string(5000, 'x')); }));
    CHECK(status(*db, id).last_error.size() < 600);
}

TEST_CASE("outbox: SMS destinations go through the phone column, webhook URLs do not") {
    temp_dir dir;
    auto db = open_db(dir);
    const auto sms = enqueue(*db, sms_to("+84912345678", "x", t0));
    new_outbox_message hook;
    hook.channel = "webhook";
    hook.destination = "https://example.org/hook";
    hook.body = "{}";
    hook.created_at = t0;
    const auto web = enqueue(*db, hook);
    CHECK(read_text(*db, "SELECT destination FROM outbox WHERE id = " + std::to_string(sms)) ==
          detail::encode_phone("+84912345678"));
    CHECK(read_text(*db, "SELECT destination FROM outbox WHERE id = " + std::to_string(web)) ==
          "https://example.org/hook");
    auto got = claim(*db, t0, 10);
    REQUIRE(got.size() == 2);
    CHECK(got[0].destination == "+84912345678");
    CHECK(got[1].destination == "https://example.org/hook");
    CHECK(got[1].segments == 0);

    CHECK(detail::is_sms_channel("android_sms"));
    CHECK(detail::is_sms_channel("twilio_sms"));
    CHECK(detail::is_sms_channel("sms"));
    CHECK_FALSE(detail::is_sms_channel("webhook"));
    CHECK_FALSE(detail::is_sms_channel("_sms"));
}

TEST_CASE("outbox: enqueue refuses incomplete messages") {
    temp_dir dir;
    auto db = open_db(dir);
    auto no_channel = sms_to("+84912000001", "x", t0);
    no_channel.channel.clear();
    auto r = in_write<std::uint64_t>(*db, [&](connection& c) { return enqueue_outbox(c, no_channel); });
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "invalid_value");
    auto no_dest = sms_to("", "x", t0);
    CHECK_FALSE(in_write<std::uint64_t>(*db, [&](connection& c) { return enqueue_outbox(c, no_dest); }).has_value());
    auto orphan = sms_to("+84912000001", "x", t0, 4242);  // no such report
    auto o = in_write<std::uint64_t>(*db, [&](connection& c) { return enqueue_outbox(c, orphan); });
    REQUIRE_FALSE(o.has_value());
    CHECK(o.err().message.find("FOREIGN KEY") != std::string::npos);
    CHECK(read_int(*db, "SELECT count(*) FROM outbox") == 0);
}

TEST_CASE("outbox: claims in one batch never hand out the same message twice") {
    temp_dir dir;
    auto db = open_db(dir);
    for (int i = 0; i < 7; ++i) enqueue(*db, sms_to("+84912000001", "x", t0));
    std::vector<std::future<result<std::vector<outbox_message>>>> claims;
    std::vector<std::shared_ptr<std::promise<result<std::vector<outbox_message>>>>> promises;
    for (int i = 0; i < 4; ++i) {
        auto p = std::make_shared<std::promise<result<std::vector<outbox_message>>>>();
        claims.push_back(p->get_future());
        db->write<std::vector<outbox_message>>([](connection& c) { return claim_due_outbox(c, t0, 2, 60s); },
                                               [p](result<std::vector<outbox_message>> r) { p->set_value(std::move(r)); });
    }
    std::multiset<std::uint64_t> seen;
    for (auto& f : claims)
        for (const auto& m : ok(f.get())) seen.insert(m.id);
    CHECK(seen.size() == 7);
    CHECK(std::set<std::uint64_t>(seen.begin(), seen.end()).size() == 7);
}

TEST_CASE("outbox: due look-ups use the partial index") {
    temp_dir dir;
    auto db = open_db(dir);
    // The queries of outbox.cpp, as written there.
    const auto claim_plan = query_plan(
        *db,
        "SELECT id FROM outbox WHERE (state = 'pending' OR state = 'sending') AND "
        "(CASE state WHEN 'sending' THEN lease_until ELSE next_attempt_at END) <= ?1 ORDER BY "
        "(CASE state WHEN 'sending' THEN lease_until ELSE next_attempt_at END), id LIMIT ?2");
    CHECK(claim_plan.find("USING INDEX outbox_due") != std::string::npos);
    CHECK(claim_plan.find("TEMP B-TREE") == std::string::npos);
}

TEST_CASE("migration 2 on a database of version 1 keeps its data") {
    temp_dir dir;
    const auto path = dir.file("hotline.db");
    {
        auto c = at_version(path, 1);
        ok(c.exec("BEGIN"));
        ok(c.exec(
            "INSERT INTO reports (id, tracking_code, channel, received_at, text, reporter_phone, secret_salt, "
            "secret_hash) VALUES (7, 'ABCDEFGH', 'web', 1751328000000, 'bao cu', '+84912345678', "
            "zeroblob(16), zeroblob(32))"));
        ok(c.exec("INSERT INTO events (report_id, at, kind, actor) VALUES (7, 1751328000000, 'received', 'web')"));
        ok(c.exec("COMMIT"));
    }
    {
        auto c = ok(connection::open(path, open_mode::read_only));
        CHECK(ok(detail::schema_version(c)) == 1);
    }
    auto db = open_db(dir);
    CHECK(read_int(*db, "PRAGMA user_version") == latest_schema_version());
    auto rec = ok(await<std::optional<report_record>>([&](auto done) { db->find_report(7, done); }));
    REQUIRE(rec.has_value());
    CHECK(rec->data.text == "bao cu");
    CHECK(rec->data.reporter_phone == "+84912345678");
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE report_id = 7") == 1);
    CHECK(read_int(*db,
                   "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                   "('contacts', 'sms_messages', 'sms_senders', 'outbox')") == 4);
    // sms_messages_by_sender came with migration 2 and went with migration 11.
    CHECK(read_int(*db,
                   "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                   "('outbox_due', 'sms_messages_by_sender')") == 1);
    CHECK(read_text(*db, "PRAGMA integrity_check") == "ok");

    // The new tables work with the old rows, and ids go on after them.
    const auto id = enqueue(*db, sms_to("+84912345678", "x", t0, 7));
    CHECK(id == 1);
    CHECK(insert_report(*db, 1).id == 8);
}
