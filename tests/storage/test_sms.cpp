#include "storage/sms.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "intake/sms.hpp"
#include "storage/database.hpp"
#include "storage/detail/phone_column.hpp"
#include "storage/directory.hpp"
#include "storage/outbox.hpp"
#include "tests/storage/directory_fixture.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace hotline::storage;
using hotline::test::temp_dir;
using namespace hotline::storage::test;
using intake::sms_action;
using intake::sms_reply;
using namespace std::chrono_literals;

namespace {

std::optional<std::string> read_optional_text(database& db, std::string sql) {
    return ok(await<std::optional<std::string>>([&](auto done) {
        db.read<std::optional<std::string>>(
            [sql](connection& c) -> result<std::optional<std::string>> {
                auto st = c.prepare(sql);
                if (!st) return std::move(st).err();
                auto r = st->step();
                if (!r) return std::move(r).err();
                if (*r != step_result::row) return make_error("test", "no row");
                return st->column_optional_text(0);
            },
            done);
    }));
}

std::string id_str(std::uint64_t id) { return std::to_string(id); }

// A conversation partner: its messages get increasing provider ids and the
// time of the shared manual clock.
struct phone {
    std::string number;
    std::string provider = "android";
    int next = 0;
};

const time_point t0 = from_unix_ms(1751328000000);  // 2025-07-01 00:00:00 UTC

inbound_sms message(phone& p, std::string body, const manual_clock& clock) {
    inbound_sms m;
    m.provider = p.provider;
    m.provider_message_id = p.number + "#" + std::to_string(p.next++);
    m.from = p.number;
    m.to = "+84900000111";
    m.body = std::move(body);
    m.received_at = clock.now();
    for (std::size_t i = 0; i < m.secret.salt.size(); ++i) m.secret.salt[i] = static_cast<std::uint8_t>(p.next + i);
    for (std::size_t i = 0; i < m.secret.hash.size(); ++i) m.secret.hash[i] = static_cast<std::uint8_t>(7 * i);
    return m;
}

sms_outcome receive(database& db, inbound_sms m, sms_options o = {}) {
    return ok(await<sms_outcome>([&](auto done) { db.receive_sms(std::move(m), std::move(o), done); }));
}

std::optional<report_record> find(database& db, std::uint64_t id) {
    return ok(await<std::optional<report_record>>([&](auto done) { db.find_report(id, done); }));
}

// Adds (or updates) the directory contact `key` and returns its row id.
std::uint64_t add_contact(database& db, std::string key, std::string name, std::string number, bool active = true,
                          routing::role role = routing::role::commune_child_protection) {
    routing::contact k;
    k.key = std::move(key);
    k.name = std::move(name);
    k.role = role;
    k.unit_code = "25462";
    k.phone = std::move(number);
    k.active = active;
    return ok(await<std::uint64_t>([&](auto done) {
        db.write<std::uint64_t>(
            [k](connection& c) -> result<std::uint64_t> {
                const routing::contact one[] = {k};
                if (auto r = import_contacts(c, one, t0); !r) return std::move(r).err();
                auto found = find_contact(c, k.key);
                if (!found) return std::move(found).err();
                if (!*found) return make_error("test", "the contact was not stored");
                return static_cast<std::uint64_t>((*found)->id);
            },
            done);
    }));
}

sms_options via_outbox() {
    sms_options o;
    o.outbox_channel = "android_sms";
    return o;
}

}  // namespace

TEST_CASE("sms: a first message files a report from the sms channel and asks for the place") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};

    const std::string body = "Hang xom danh con rat nhieu, chau khoc ca dem";
    auto out = receive(*db, message(citizen, body, clock));
    CHECK_FALSE(out.replayed);
    CHECK(out.decision.action == sms_action::new_report);
    CHECK(out.decision.reply == sms_reply::received_ask_location);
    CHECK_FALSE(out.decision.flagged);
    REQUIRE(out.report_id.has_value());
    CHECK(out.tracking_code == intake::tracking_codec::grouped(codec().encode(*out.report_id)));
    CHECK(out.reply_text == intake::sms_reply_text(sms_reply::received_ask_location, out.tracking_code));
    CHECK(out.reply_text.find(out.tracking_code) != std::string::npos);
    CHECK(out.reply_segments == intake::measure_sms(out.reply_text).segments);
    CHECK(out.reply_segments >= 1);
    CHECK_FALSE(out.outbox_id.has_value());  // no outbox channel: the caller answers inline
    CHECK_FALSE(out.contact_id.has_value());
    CHECK(out.message_id >= 1);

    auto rec = find(*db, *out.report_id);
    REQUIRE(rec.has_value());
    CHECK(rec->channel == intake::channel::sms);
    CHECK(rec->data.text == body);
    CHECK(rec->data.reporter_phone == citizen.number);
    CHECK_FALSE(rec->data.location_text.has_value());
    CHECK(rec->received_at == t0);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'received' AND actor = 'sms' AND report_id = " +
                            id_str(*out.report_id)) == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'linked'") == 0);

    // Numbers are stored through the phone column.
    CHECK(read_optional_text(*db, "SELECT reporter_phone FROM reports WHERE id = " + id_str(*out.report_id)) ==
          detail::encode_phone(citizen.number));
    const std::string row = " FROM sms_messages WHERE id = " + id_str(out.message_id);
    CHECK(read_optional_text(*db, "SELECT sender" + row) == detail::encode_phone(citizen.number));
    CHECK(read_optional_text(*db, "SELECT recipient" + row) == "+84900000111");
    CHECK(read_optional_text(*db, "SELECT body" + row) == body);
    CHECK(read_optional_text(*db, "SELECT action" + row) == "new_report");
    CHECK(read_optional_text(*db, "SELECT reply_kind" + row) == "received_ask_location");
    CHECK(read_optional_text(*db, "SELECT reply" + row) == out.reply_text);
    CHECK(read_int(*db, "SELECT reply_segments" + row) == out.reply_segments);
    CHECK(read_int(*db, "SELECT report_id" + row) == static_cast<std::int64_t>(*out.report_id));
    CHECK(read_int(*db, "SELECT received_at" + row) == to_unix_ms(t0));
    CHECK(read_int(*db, "SELECT flagged" + row) == 0);
    CHECK_FALSE(read_optional_text(*db, "SELECT outbox_id" + row).has_value());
    CHECK(read_int(*db, "SELECT needs_location FROM sms_senders WHERE phone = '" +
                            detail::encode_phone(citizen.number) + "'") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM outbox") == 0);
}

TEST_CASE("sms: a gateway retry is answered from the first outcome and stores nothing") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    auto m = message(citizen, "co be bi bo danh", clock);
    auto first = receive(*db, m, via_outbox());

    clock.advance(5s);
    auto again = m;
    again.received_at = clock.now();
    sms_options silent = via_outbox();
    silent.policy.silent = true;  // even a changed policy does not change the answer
    auto replay = receive(*db, again, silent);
    CHECK(replay.replayed);
    CHECK(replay.message_id == first.message_id);
    CHECK(replay.report_id == first.report_id);
    CHECK(replay.tracking_code == first.tracking_code);
    CHECK(replay.reply_text == first.reply_text);
    CHECK(replay.reply_segments == first.reply_segments);
    CHECK(replay.outbox_id == first.outbox_id);
    CHECK(replay.decision.action == first.decision.action);
    CHECK(replay.decision.reply == first.decision.reply);
    CHECK(replay.decision.flagged == first.decision.flagged);

    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM outbox") == 1);

    // The id is unique per provider, not across providers.
    auto other = m;
    other.provider = "twilio";
    clock.advance(std::chrono::hours(1));
    other.received_at = clock.now();
    auto fresh = receive(*db, other);
    CHECK_FALSE(fresh.replayed);
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages") == 2);
}

TEST_CASE("sms: retries queued in the same batch still make one report") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    auto m = message(citizen, "tre bi bo roi", clock);
    std::vector<std::future<result<sms_outcome>>> outs;
    for (int i = 0; i < 3; ++i) {
        auto p = std::make_shared<std::promise<result<sms_outcome>>>();
        outs.push_back(p->get_future());
        db->receive_sms(m, {}, [p](result<sms_outcome> r) { p->set_value(std::move(r)); });
    }
    int replayed = 0;
    std::optional<std::uint64_t> report;
    for (auto& f : outs) {
        auto o = ok(f.get());
        replayed += o.replayed ? 1 : 0;
        if (report) CHECK(o.report_id == report);
        report = o.report_id;
    }
    CHECK(replayed == 2);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
}

TEST_CASE("sms: the answer to the question for the place becomes the report's location, then detail") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};

    auto first = receive(*db, message(citizen, "chau be bi danh, mat bam tim", clock), via_outbox());
    REQUIRE(first.report_id.has_value());
    REQUIRE(first.decision.reply == sms_reply::received_ask_location);

    clock.advance(10min);
    auto second = receive(*db, message(citizen, "xa Tan Phu, Dong Nai", clock), via_outbox());
    CHECK(second.decision.action == sms_action::add_location);
    CHECK(second.decision.reply == sms_reply::location_added);
    CHECK(second.report_id == first.report_id);
    CHECK(second.tracking_code == first.tracking_code);
    CHECK(second.reply_text == intake::sms_reply_text(sms_reply::location_added, first.tracking_code));
    REQUIRE(second.outbox_id.has_value());

    auto rec = find(*db, *first.report_id);
    REQUIRE(rec.has_value());
    CHECK(rec->data.location_text == "xa Tan Phu, Dong Nai");
    CHECK(rec->data.text == "chau be bi danh, mat bam tim");
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
    const std::string loc = " FROM events WHERE kind = 'location_added' AND report_id = " + id_str(*first.report_id);
    CHECK(read_int(*db, "SELECT count(*)" + loc) == 1);
    CHECK(read_optional_text(*db, "SELECT json_extract(data, '$.text')" + loc) == "xa Tan Phu, Dong Nai");
    CHECK(read_int(*db, "SELECT json_extract(data, '$.sms_message_id')" + loc) ==
          static_cast<std::int64_t>(second.message_id));
    CHECK(read_int(*db, "SELECT at" + loc) == to_unix_ms(t0 + 10min));

    // The place is known now: the next message within the window is detail.
    clock.advance(15min);
    auto third = receive(*db, message(citizen, "bo chau hay say ruou", clock), via_outbox());
    CHECK(third.decision.action == sms_action::add_detail);
    CHECK(third.decision.reply == sms_reply::detail_added);
    CHECK(third.report_id == first.report_id);
    rec = find(*db, *first.report_id);
    CHECK(rec->data.text == "chau be bi danh, mat bam tim");  // the account stays as received
    CHECK(rec->data.location_text == "xa Tan Phu, Dong Nai");
    const std::string det = " FROM events WHERE kind = 'detail_added' AND report_id = " + id_str(*first.report_id);
    CHECK(read_optional_text(*db, "SELECT json_extract(data, '$.text')" + det) == "bo chau hay say ruou");
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages WHERE report_id = " + id_str(*first.report_id)) == 3);
    CHECK(read_int(*db, "SELECT count(*) FROM outbox WHERE report_id = " + id_str(*first.report_id)) == 3);
}

TEST_CASE("sms: after the window a new message is a new report linked to the earlier one") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    auto first = receive(*db, message(citizen, "tre bi danh o xom 3", clock));
    clock.advance(31min);
    auto second = receive(*db, message(citizen, "lai nghe tieng khoc o nha ben canh", clock));
    CHECK(second.decision.action == sms_action::new_report);
    REQUIRE(second.report_id.has_value());
    CHECK(second.report_id != first.report_id);
    CHECK(second.tracking_code != first.tracking_code);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 2);
    const std::string linked = " FROM events WHERE kind = 'linked' AND report_id = " + id_str(*second.report_id);
    CHECK(read_int(*db, "SELECT count(*)" + linked) == 1);
    CHECK(read_int(*db, "SELECT json_extract(data, '$.previous_report_id')" + linked) ==
          static_cast<std::int64_t>(*first.report_id));
    // The first report did not get the location.
    CHECK_FALSE(find(*db, *first.report_id)->data.location_text.has_value());

    // A configurable window: with 60 minutes the third message is a follow-up.
    sms_options longer;
    longer.policy.follow_up_window = 60min;
    clock.advance(45min);
    auto third = receive(*db, message(citizen, "thon Binh An", clock), longer);
    CHECK(third.decision.action == sms_action::add_location);
    CHECK(third.report_id == second.report_id);
}

TEST_CASE("sms: an opt-out stops replies, later messages are still reports") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    auto stop = receive(*db, message(citizen, "STOP", clock), via_outbox());
    CHECK(stop.decision.action == sms_action::opt_out);
    CHECK(stop.decision.reply == sms_reply::opted_out);
    CHECK_FALSE(stop.report_id.has_value());
    CHECK(stop.tracking_code.empty());
    CHECK(stop.reply_text == intake::sms_reply_text(sms_reply::opted_out, ""));
    REQUIRE(stop.outbox_id.has_value());  // the one confirmation
    CHECK(read_int(*db, "SELECT opted_out FROM sms_senders WHERE phone = '" + detail::encode_phone(citizen.number) +
                            "'") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 0);

    clock.advance(1h);
    auto later = receive(*db, message(citizen, "chau bi nhot trong nha", clock), via_outbox());
    CHECK(later.decision.action == sms_action::new_report);
    CHECK(later.decision.reply == sms_reply::none);
    CHECK(later.reply_text.empty());
    CHECK(later.reply_segments == 0);
    CHECK_FALSE(later.outbox_id.has_value());
    REQUIRE(later.report_id.has_value());
    CHECK(find(*db, *later.report_id)->data.text == "chau bi nhot trong nha");

    clock.advance(5min);
    auto more = receive(*db, message(citizen, "o xa An Binh", clock), via_outbox());
    CHECK(more.report_id == later.report_id);
    CHECK(more.reply_text.empty());
    CHECK_FALSE(more.outbox_id.has_value());

    CHECK(read_int(*db, "SELECT count(*) FROM outbox") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages") == 3);
    CHECK_FALSE(read_optional_text(*db, "SELECT reply FROM sms_messages WHERE id = " + id_str(later.message_id)).has_value());
    CHECK(read_optional_text(*db, "SELECT reply_kind FROM sms_messages WHERE id = " + id_str(later.message_id)) == "none");
    // Still opted out after the new report.
    CHECK(read_int(*db, "SELECT opted_out FROM sms_senders WHERE phone = '" + detail::encode_phone(citizen.number) +
                            "'") == 1);
}

TEST_CASE("sms: silent mode answers nothing and writes nothing to the outbox") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    sms_options o = via_outbox();
    o.policy.silent = true;
    auto out = receive(*db, message(citizen, "be gai bi xam hai", clock), o);
    CHECK(out.decision.action == sms_action::new_report);
    CHECK(out.decision.reply == sms_reply::none);
    CHECK(out.reply_text.empty());
    CHECK_FALSE(out.outbox_id.has_value());
    REQUIRE(out.report_id.has_value());
    CHECK_FALSE(out.tracking_code.empty());  // for the operators, never sent
    // Nobody was asked for the place: the next message is detail.
    clock.advance(1min);
    auto next = receive(*db, message(citizen, "o thon 5", clock), o);
    CHECK(next.decision.action == sms_action::add_detail);
    CHECK(next.reply_text.empty());
    CHECK(read_int(*db, "SELECT count(*) FROM outbox") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages WHERE reply IS NOT NULL") == 0);
}

TEST_CASE("sms: the 21st message within an hour is stored, flagged and not answered") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone busy{"+84912345678"};
    phone other{"+84987654321"};
    std::vector<sms_outcome> outs;
    for (int i = 0; i < 21; ++i) {
        outs.push_back(receive(*db, message(busy, "tin " + std::to_string(i), clock), via_outbox()));
        clock.advance(2min);
    }
    for (int i = 0; i < 20; ++i) {
        CHECK_FALSE(outs[static_cast<std::size_t>(i)].decision.flagged);
        CHECK_FALSE(outs[static_cast<std::size_t>(i)].reply_text.empty());
    }
    CHECK(outs[20].decision.flagged);
    CHECK(outs[20].reply_text.empty());
    CHECK_FALSE(outs[20].outbox_id.has_value());
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages") == 21);
    CHECK(read_int(*db, "SELECT flagged FROM sms_messages WHERE id = " + id_str(outs[20].message_id)) == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages WHERE flagged = 1") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM outbox") == 20);

    // Another number is not affected.
    auto fine = receive(*db, message(other, "tre bi danh", clock), via_outbox());
    CHECK_FALSE(fine.decision.flagged);
    CHECK_FALSE(fine.reply_text.empty());

    // Messages older than an hour no longer count: at t0+62min only those of
    // t0+4min .. t0+40min (19) do.
    clock.set(t0 + 62min + 1ms);
    auto calm = receive(*db, message(busy, "tin sau", clock), via_outbox());
    CHECK_FALSE(calm.decision.flagged);
}

TEST_CASE("sms: a number keeps the times of its latest messages, no more than the limit needs") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone busy{"+84912345678"};
    sms_options o = via_outbox();
    o.policy.replies_per_hour = 5;
    auto recent = [&] {
        return read_text(*db, "SELECT recent_at FROM sms_senders WHERE phone = '" + detail::encode_phone(busy.number) +
                                  "'");
    };
    auto ms = [](time_point t) { return std::to_string(to_unix_ms(t)); };

    std::vector<sms_outcome> outs;
    for (int i = 0; i < 7; ++i) {
        outs.push_back(receive(*db, message(busy, "tin " + std::to_string(i), clock), o));
        clock.advance(1min);
    }
    // Five earlier messages within the hour: the sixth and seventh are flagged.
    for (int i = 0; i < 5; ++i) CHECK_FALSE(outs[static_cast<std::size_t>(i)].decision.flagged);
    CHECK(outs[5].decision.flagged);
    CHECK(outs[6].decision.flagged);
    // The newest five, oldest first.
    CHECK(recent() == ms(t0 + 2min) + "," + ms(t0 + 3min) + "," + ms(t0 + 4min) + "," + ms(t0 + 5min) + "," +
                          ms(t0 + 6min));

    // An hour after the newest, none of them counts, and none is kept.
    clock.set(t0 + 6min + 1h);
    auto later = receive(*db, message(busy, "tin sau", clock), o);
    CHECK_FALSE(later.decision.flagged);
    CHECK(recent() == ms(t0 + 66min));

    // A gateway's retry of a message is not a new message.
    auto m = message(busy, "lap lai", clock);
    receive(*db, m, o);
    receive(*db, m, o);
    CHECK(recent() == ms(t0 + 66min) + "," + ms(t0 + 66min));

    // Whatever a message does, it is counted: an opt-out, an officer's OK.
    auto recent_of = [&](const std::string& number) {
        return read_text(*db, "SELECT recent_at FROM sms_senders WHERE phone = '" + detail::encode_phone(number) +
                                  "'");
    };
    phone quiet{"+84987654321"};
    CHECK(receive(*db, message(quiet, "STOP", clock), o).decision.action == sms_action::opt_out);
    CHECK(recent_of(quiet.number) == ms(t0 + 66min));
    add_contact(*db, "cb-1", "Cán bộ Một", "+84300100001");
    phone officer{"+84300100001"};
    CHECK(receive(*db, message(officer, "OK " + later.tracking_code, clock), o).decision.action ==
          sms_action::officer_acknowledge);
    CHECK(recent_of(officer.number) == ms(t0 + 66min));
}

TEST_CASE("migration 11 keeps each number's recent messages, and the limit goes on from them") {
    temp_dir dir;
    const auto path = dir.file("hotline.db");
    const std::string citizen = detail::encode_phone("+84912345678");
    const std::string officer = detail::encode_phone("+84300100001");
    {
        auto c = at_version(path, 10);
        // The citizen: one message two hours before the newest, three within
        // its hour (out of order); a sms_senders row. The officer: two
        // messages, no sms_senders row.
        const std::int64_t base = to_unix_ms(t0);
        const std::pair<std::string, std::int64_t> rows[] = {
            {citizen, base - 7'200'000}, {citizen, base - 600'000}, {citizen, base},
            {citizen, base - 1'200'000}, {officer, base - 60'000},  {officer, base}};
        int n = 0;
        for (const auto& [who, at] : rows) {
            ok(c.exec("INSERT INTO sms_messages (provider, provider_message_id, sender, body, received_at, action, "
                      "reply_kind) VALUES ('android', 'm" + std::to_string(n++) + "', '" + who + "', 'x', " +
                      std::to_string(at) + ", 'add_detail', 'none')"));
        }
        ok(c.exec("INSERT INTO sms_senders (phone, opted_out) VALUES ('" + citizen + "', 1)"));
    }
    auto db = open_db(dir);
    CHECK(read_int(*db, "PRAGMA user_version") == latest_schema_version());
    const std::int64_t base = to_unix_ms(t0);
    CHECK(read_text(*db, "SELECT recent_at FROM sms_senders WHERE phone = '" + citizen + "'") ==
          std::to_string(base - 1'200'000) + "," + std::to_string(base - 600'000) + "," + std::to_string(base));
    CHECK(read_int(*db, "SELECT opted_out FROM sms_senders WHERE phone = '" + citizen + "'") == 1);
    CHECK(read_text(*db, "SELECT recent_at FROM sms_senders WHERE phone = '" + officer + "'") ==
          std::to_string(base - 60'000) + "," + std::to_string(base));
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages") == 6);
    CHECK(read_int(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'sms_messages_by_sender'") == 0);
    CHECK(read_text(*db, "SELECT sql FROM sqlite_master WHERE name = 'sms_messages'").find(" IN ('") ==
          std::string::npos);
    CHECK(read_text(*db, "PRAGMA integrity_check") == "ok");
    CHECK(read_int(*db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);

    // With a limit of three, the citizen's next message within the hour is flagged.
    manual_clock clock(t0 + 1min);
    phone p{"+84912345678"};
    sms_options o = via_outbox();
    o.policy.replies_per_hour = 3;
    CHECK(receive(*db, message(p, "lai nua", clock), o).decision.flagged);
    // The rule refuses an action it does not know, as before.
    auto bad = await<std::int64_t>([&](auto done) {
        db->write<std::int64_t>(
            [](connection& c) -> result<std::int64_t> {
                if (auto x = c.exec("UPDATE sms_messages SET action = 'fax'"); !x) return std::move(x).err();
                return c.changes();
            },
            done);
    });
    CHECK_FALSE(bad.has_value());
}

TEST_CASE("sms: an officer's OK <code> is an acknowledgement, not a report") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    phone officer{"+84981111222"};
    const auto contact = add_contact(*db, "lan", "Nguyen Thi Lan", officer.number);

    auto report = receive(*db, message(citizen, "chau bi danh", clock));
    REQUIRE(report.report_id.has_value());
    clock.advance(3min);
    auto ack = receive(*db, message(officer, "OK " + report.tracking_code, clock), via_outbox());
    CHECK(ack.decision.action == sms_action::officer_acknowledge);
    // The report has no assignment this contact may acknowledge: told so.
    CHECK(ack.decision.reply == sms_reply::ack_not_allowed);
    CHECK(ack.contact_id == contact);
    CHECK(ack.report_id == report.report_id);
    CHECK(ack.tracking_code == report.tracking_code);
    CHECK(ack.reply_text == intake::sms_reply_text(sms_reply::ack_not_allowed, report.tracking_code));
    CHECK(ack.outbox_id.has_value());
    CHECK_FALSE(ack.acknowledged_assignment.has_value());
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'acknowledged'") == 0);
    const std::string ev =
        " FROM events WHERE kind = 'acknowledgement_received' AND report_id = " + id_str(*report.report_id);
    CHECK(read_int(*db, "SELECT count(*)" + ev) == 1);
    CHECK(read_int(*db, "SELECT json_extract(data, '$.contact_id')" + ev) == static_cast<std::int64_t>(contact));
    CHECK(read_int(*db, "SELECT json_extract(data, '$.sms_message_id')" + ev) ==
          static_cast<std::int64_t>(ack.message_id));
    CHECK(read_int(*db, "SELECT contact_id FROM sms_messages WHERE id = " + id_str(ack.message_id)) ==
          static_cast<std::int64_t>(contact));

    // Lower case, without the dash, with XN: the same.
    clock.advance(1min);
    std::string typed = report.tracking_code;
    typed.erase(4, 1);
    for (auto& ch : typed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto xn = receive(*db, message(officer, "xn " + typed, clock));
    CHECK(xn.decision.action == sms_action::officer_acknowledge);
    CHECK(xn.report_id == report.report_id);

    // A code that names no report: stored, no event, no report.
    clock.advance(1min);
    auto unknown = receive(*db, message(officer, "OK " + intake::tracking_codec::grouped(codec().encode(999)), clock));
    CHECK(unknown.decision.action == sms_action::officer_acknowledge);
    CHECK_FALSE(unknown.report_id.has_value());
    CHECK(unknown.contact_id == contact);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'acknowledgement_received'") == 2);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
}

TEST_CASE("sms: OK <code> from a number that is no active contact is stored and ignored") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    phone stranger{"+84933333444"};
    phone retired{"+84944444555"};
    add_contact(*db, "minh", "Tran Van Minh", retired.number, false);

    auto report = receive(*db, message(citizen, "chau bi danh", clock));
    auto fake = receive(*db, message(stranger, "OK " + report.tracking_code, clock), via_outbox());
    CHECK(fake.decision.action == sms_action::officer_acknowledge);
    CHECK(fake.decision.reply == sms_reply::none);
    CHECK_FALSE(fake.contact_id.has_value());
    CHECK_FALSE(fake.report_id.has_value());
    CHECK(fake.reply_text.empty());
    CHECK_FALSE(fake.outbox_id.has_value());
    auto old = receive(*db, message(retired, "xn " + report.tracking_code, clock), via_outbox());
    CHECK(old.decision.action == sms_action::officer_acknowledge);
    CHECK_FALSE(old.report_id.has_value());
    // Within the follow-up window of the citizen's own report: still not detail.
    clock.advance(1min);
    auto quoted = receive(*db, message(citizen, "OK " + report.tracking_code, clock), via_outbox());
    CHECK(quoted.decision.action == sms_action::officer_acknowledge);
    CHECK(quoted.reply_text.empty());
    // Stored, and nothing else.
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages") == 4);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind IN ('acknowledgement_received', 'acknowledged', "
                        "'detail_added')") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM outbox") == 0);
}

TEST_CASE("sms: with an outbox channel the reply is queued in the same write") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    const auto writes_before = db->writes_committed();
    auto out = receive(*db, message(citizen, "co be bi bo me bo doi", clock), via_outbox());
    CHECK(db->writes_committed() == writes_before + 1);  // report, message and reply: one write
    REQUIRE(out.outbox_id.has_value());
    REQUIRE(out.report_id.has_value());
    CHECK(read_int(*db, "SELECT outbox_id FROM sms_messages WHERE id = " + id_str(out.message_id)) ==
          static_cast<std::int64_t>(*out.outbox_id));

    auto due = ok(await<std::vector<outbox_message>>([&](auto done) {
        db->write<std::vector<outbox_message>>(
            [&](connection& c) { return claim_due_outbox(c, clock.now(), 10, 60s); }, done);
    }));
    REQUIRE(due.size() == 1);
    CHECK(due[0].id == *out.outbox_id);
    CHECK(due[0].channel == "android_sms");
    CHECK(due[0].destination == citizen.number);
    CHECK(due[0].body == out.reply_text);
    CHECK(due[0].segments == out.reply_segments);
    CHECK(due[0].report_id == out.report_id);
    CHECK(read_optional_text(*db, "SELECT destination FROM outbox WHERE id = " + id_str(*out.outbox_id)) ==
          detail::encode_phone(citizen.number));

    // Without an outbox channel the reply is only returned.
    clock.advance(2h);
    auto inline_reply = receive(*db, message(citizen, "lai bi danh", clock));
    CHECK_FALSE(inline_reply.reply_text.empty());
    CHECK_FALSE(inline_reply.outbox_id.has_value());
    CHECK(read_int(*db, "SELECT count(*) FROM outbox") == 1);
}

TEST_CASE("sms: a failing message write leaves nothing behind") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    // Make the outbox refuse every row: the report and message of the same
    // write must go with it.
    ok(await<int>([&](auto done) {
        db->write<int>(
            [](connection& c) -> result<int> {
                if (auto r = c.exec("CREATE TEMP TRIGGER no_outbox BEFORE INSERT ON main.outbox "
                                    "BEGIN SELECT RAISE(ABORT, 'outbox closed'); END");
                    !r)
                    return std::move(r).err();
                return 0;
            },
            done);
    }));
    auto r = await<sms_outcome>(
        [&](auto done) { db->receive_sms(message(citizen, "tre bi danh", clock), via_outbox(), done); });
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "storage_failure");
    CHECK(r.err().message.find("outbox closed") != std::string::npos);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM sms_messages") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM sms_senders") == 0);
}

TEST_CASE("sms: a number shared by two active contacts acknowledges as the first of them") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    phone citizen{"+84912345678"};
    phone officer{"+84981111222"};
    // One person holding two roles; the earlier contact row answers.
    const auto police = add_contact(*db, "hung-police", "Le Van Hung", officer.number, true, routing::role::commune_police);
    const auto chair = add_contact(*db, "hung-chair", "Le Van Hung", officer.number, true, routing::role::commune_chair);
    CHECK(police < chair);
    auto report = receive(*db, message(citizen, "chau bi danh", clock));
    clock.advance(1min);
    auto ack = receive(*db, message(officer, "OK " + report.tracking_code, clock));
    CHECK(ack.decision.action == sms_action::officer_acknowledge);
    CHECK(ack.contact_id == police);
    // With the first deactivated, the second answers.
    CHECK(add_contact(*db, "hung-police", "Le Van Hung", officer.number, false, routing::role::commune_police) == police);
    clock.advance(1min);
    auto again = receive(*db, message(officer, "OK " + report.tracking_code, clock));
    CHECK(again.contact_id == chair);
    CHECK(read_int(*db, "SELECT count(*) FROM contacts") == 2);
}

namespace {

constexpr const char* ack_ward = "05983";
constexpr const char* ack_province = "20";

// The directory of the acknowledgement tests (phones +84900001000, ... in
// this order): two assignees of an emergency in the ward, an on-duty
// colleague, one off duty, one of another commune.
std::vector<staff> ward_staff() {
    return {
        {"ls-cp", routing::role::commune_child_protection, ack_ward},
        {"ls-police", routing::role::commune_police, ack_ward},
        {"ls-chair", routing::role::commune_chair, ack_ward},
        {"ls-cp-off", routing::role::commune_child_protection, ack_ward, false},
        {"other-cp", routing::role::commune_child_protection, "05984"},
    };
}

phone staff_phone(int index) { return phone{"+8490000" + std::to_string(1000 + index)}; }

// An emergency in the ward, routed to its child-protection officer and police.
receipt routed_report(database& db, time_point at) {
    static const deadline_policy deadlines;
    return ok(await<receipt>([&](auto done) {
        db.insert_report(routed_report_data(intake::urgency::emergency, at, &deadlines, ack_ward, ack_province), done);
    }));
}

std::int64_t assignment_of(database& db, std::uint64_t report, const std::string& key) {
    return read_int(db, "SELECT a.id FROM assignments AS a JOIN contacts AS k ON k.id = a.contact_id "
                        "WHERE a.report_id = " + id_str(report) + " AND k.key = '" + key + "' ORDER BY a.id LIMIT 1");
}

std::string assignment_text(database& db, std::int64_t id, const std::string& column) {
    return read_text(db, "SELECT coalesce(CAST(" + column + " AS TEXT), '-') FROM assignments WHERE id = " +
                             std::to_string(id));
}

std::string key_of(database& db, const std::string& contact_id) {
    return read_text(db, "SELECT coalesce((SELECT key FROM contacts WHERE id = '" + contact_id + "'), '-')");
}

}  // namespace

TEST_CASE("sms: OK <code> from the assignee acknowledges, and answers every later attempt clearly") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    add_staff(*db, ward_staff(), t0);
    const auto report = routed_report(*db, t0);
    const std::string code = intake::tracking_codec::grouped(report.tracking_code);
    const std::int64_t cp = assignment_of(*db, report.id, "ls-cp");
    const std::int64_t police = assignment_of(*db, report.id, "ls-police");
    REQUIRE(cp != police);
    phone lan = staff_phone(0), hung = staff_phone(1), other = staff_phone(4);

    clock.advance(5min);
    const auto writes_before = db->writes_committed();
    auto ack = receive(*db, message(lan, "OK " + code, clock), via_outbox());
    CHECK(db->writes_committed() == writes_before + 1);  // message, acknowledgement and reply: one write
    CHECK(ack.decision.action == sms_action::officer_acknowledge);
    CHECK(ack.decision.reply == sms_reply::ack_done);
    CHECK(ack.reply_text == intake::sms_reply_text(sms_reply::ack_done, code));
    CHECK(intake::measure_sms(ack.reply_text).segments == 1);
    REQUIRE(ack.outbox_id.has_value());
    CHECK(ack.acknowledged_assignment == static_cast<std::uint64_t>(cp));
    CHECK(ack.in_time);
    CHECK(assignment_text(*db, cp, "state") == "acknowledged");
    CHECK(assignment_text(*db, cp, "acknowledged_via") == "sms");
    CHECK(key_of(*db, assignment_text(*db, cp, "acknowledged_by")) == "ls-cp");
    CHECK(assignment_text(*db, cp, "acknowledged_at") == std::to_string(to_unix_ms(t0 + 5min)));
    CHECK(assignment_text(*db, police, "state") == "superseded");
    CHECK(read_text(*db, "SELECT state FROM reports WHERE id = " + id_str(report.id)) == "acknowledged");
    CHECK(read_text(*db, "SELECT json_extract(data, '$.channel') FROM events WHERE kind = 'acknowledged'") == "sms");
    CHECK(read_text(*db, "SELECT json_extract(data, '$.outcome') FROM events WHERE kind = "
                         "'acknowledgement_received'") == "ack_done");
    CHECK(read_text(*db, "SELECT destination FROM outbox WHERE id = " + id_str(*ack.outbox_id)) ==
          detail::encode_phone(lan.number));

    // Again, lower case, no dash, XN: already acknowledged, nothing changes.
    clock.advance(1min);
    std::string typed = report.tracking_code;
    for (auto& ch : typed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto again = receive(*db, message(lan, "xn " + typed, clock));
    CHECK(again.decision.reply == sms_reply::ack_already);
    CHECK(again.reply_text == intake::sms_reply_text(sms_reply::ack_already, code));
    CHECK_FALSE(again.acknowledged_assignment.has_value());
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'acknowledged'") == 1);

    // The other assignee: somebody else has it.
    auto late = receive(*db, message(hung, "OK " + code, clock));
    CHECK(late.decision.reply == sms_reply::ack_superseded);
    CHECK(assignment_text(*db, police, "state") == "superseded");

    // Another commune's officer: not allowed.
    auto stranger = receive(*db, message(other, "OK " + code, clock));
    CHECK(stranger.decision.reply == sms_reply::ack_not_allowed);
    CHECK(stranger.contact_id.has_value());

    // A code that names no report.
    auto unknown = receive(*db, message(lan, "OK 2345-6789", clock));
    CHECK(unknown.decision.reply == sms_reply::ack_unknown_code);
    CHECK(unknown.reply_text == intake::sms_reply_text(sms_reply::ack_unknown_code, "2345-6789"));
    CHECK_FALSE(unknown.report_id.has_value());

    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'acknowledged'") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);

    // A gateway retry of the acknowledgement: the first answer, nothing new.
    lan.next = 0;
    auto retry = receive(*db, message(lan, "OK " + code, clock), via_outbox());
    CHECK(retry.replayed);
    CHECK(retry.decision.reply == sms_reply::ack_done);
    CHECK(retry.reply_text == ack.reply_text);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'acknowledged'") == 1);
}

TEST_CASE("sms: an on-duty colleague of the unit acknowledges, others are refused, strangers ignored") {
    temp_dir dir;
    auto db = open_db(dir);
    manual_clock clock(t0);
    add_staff(*db, ward_staff(), t0);
    const auto report = routed_report(*db, t0);
    const std::string code = intake::tracking_codec::grouped(report.tracking_code);
    const std::int64_t cp = assignment_of(*db, report.id, "ls-cp");
    phone chair = staff_phone(2), off = staff_phone(3), other = staff_phone(4);
    phone citizen{"+84912345678"};

    clock.advance(2min);
    // A number that is no contact: stored, ignored, no report, no answer.
    auto ignored = receive(*db, message(citizen, "OK " + code, clock), via_outbox());
    CHECK(ignored.decision.action == sms_action::officer_acknowledge);
    CHECK(ignored.reply_text.empty());
    CHECK_FALSE(ignored.report_id.has_value());
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);

    // Same unit but off duty; another commune: refused, nothing acknowledged.
    auto refused = receive(*db, message(off, "OK " + code, clock), via_outbox());
    CHECK(refused.decision.reply == sms_reply::ack_not_allowed);
    auto elsewhere = receive(*db, message(other, "OK " + code, clock), via_outbox());
    CHECK(elsewhere.decision.reply == sms_reply::ack_not_allowed);
    CHECK(read_int(*db, "SELECT count(*) FROM assignments WHERE state <> 'open'") == 0);
    CHECK(read_text(*db, "SELECT state FROM reports WHERE id = " + id_str(report.id)) == "routed");

    // The on-duty chair of the same ward: the earliest assignment, in its name.
    auto ack = receive(*db, message(chair, "XN " + code, clock), via_outbox());
    CHECK(ack.decision.reply == sms_reply::ack_done);
    CHECK(ack.acknowledged_assignment == static_cast<std::uint64_t>(cp));
    CHECK(assignment_text(*db, cp, "state") == "acknowledged");
    CHECK(key_of(*db, assignment_text(*db, cp, "acknowledged_by")) == "ls-chair");
    CHECK(read_int(*db, "SELECT count(*) FROM assignments WHERE state = 'open'") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
}
