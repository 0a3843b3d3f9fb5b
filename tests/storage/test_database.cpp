#include "storage/database.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <latch>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/detail/due_sql.hpp"
#include "storage/detail/migrations.hpp"
#include "storage/detail/sql.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace hotline::storage;
using hotline::test::temp_dir;
using namespace hotline::storage::test;

namespace {

options opts_for(const temp_dir& dir) {
    options o;
    o.path = dir.file("hotline.db");
    return o;
}

time_point at_ms(std::int64_t ms) { return from_unix_ms(ms); }

intake::secret_hash secret_for(int n) {
    intake::secret_hash s{};
    for (std::size_t i = 0; i < s.salt.size(); ++i) s.salt[i] = static_cast<std::uint8_t>(n + i);
    for (std::size_t i = 0; i < s.hash.size(); ++i) s.hash[i] = static_cast<std::uint8_t>(255 - n - i);
    return s;
}

new_report full_report(int n = 1) {
    new_report r;
    r.channel = intake::channel::web;
    r.received_at = at_ms(1751328000123 + n);  // 2025-07-01, with milliseconds
    auto& d = r.data;
    d.text = "Cháu bé khoảng 8 tuổi thường xuyên bị bố đánh, tối qua hàng xóm nghe tiếng khóc rất lâu. #" +
             std::to_string(n);
    d.location_text = "thôn 3, xã Tân Phú (huyện Đồng Phú cũ), Đồng Nai";
    d.location_code = "25462";
    d.child_name = "Bé Nguyễn Văn A";
    d.child_age = 8;
    d.child_age_estimated = true;
    d.sex = intake::child_sex::male;
    d.child_condition = "bầm tím ở tay, sợ hãi";
    d.perpetrator_relation = "bố đẻ";
    d.reporter_name = "Trần Thị B";
    d.reporter_phone = "+84912345678";
    d.reporter_address = "số 5, thôn 3";
    d.contact_ok = true;
    d.keep_identity_secret = true;
    r.secret = secret_for(n);
    return r;
}

new_report bare_report(int n = 1) {
    new_report r;
    r.channel = intake::channel::sms;
    r.received_at = at_ms(1751328000000 + n);
    r.data.text = "tre bi danh o xa An Binh " + std::to_string(n);
    r.secret = secret_for(n);
    return r;
}

bool same_secret(const intake::secret_hash& a, const intake::secret_hash& b) {
    return a.salt == b.salt && a.hash == b.hash;
}

receipt insert_ok(database& db, new_report r) {
    return ok(await<receipt>([&](auto done) { db.insert_report(std::move(r), done); }));
}

std::optional<report_record> find_ok(database& db, std::uint64_t id) {
    return ok(await<std::optional<report_record>>([&](auto done) { db.find_report(id, done); }));
}


// A read-only connection of our own, apart from the database's readers: what
// it sees is what is committed.
bool committed_elsewhere(const std::string& path, std::uint64_t id) {
    auto c = connection::open(path, open_mode::read_only);
    if (!c) return false;
    auto st = c->prepare("SELECT count(*) FROM reports WHERE id = ?1");
    if (!st || !st->bind(1, static_cast<std::int64_t>(id))) return false;
    auto r = st->step();
    return r && *r == step_result::row && st->column_int64(0) == 1;
}

}  // namespace

// ---- schema ------------------------------------------------------------------

TEST_CASE("migrate: creates the schema from an empty file and is idempotent") {
    temp_dir dir;
    auto path = dir.file("hotline.db");
    auto v = migrate(path);
    REQUIRE(v.has_value());
    CHECK(*v == latest_schema_version());
    CHECK(latest_schema_version() == static_cast<int>(detail::migrations().size()));
    CHECK(latest_schema_version() >= 1);

    auto again = migrate(path);
    REQUIRE(again.has_value());
    CHECK(*again == latest_schema_version());

    auto c = ok(connection::open(path, open_mode::read_only));
    CHECK(ok(detail::schema_version(c)) == latest_schema_version());
    auto st = ok(c.prepare(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
        "('reports', 'events', 'idempotency_keys', 'write_probe')"));
    REQUIRE(*st.step() == step_result::row);
    CHECK(st.column_int64(0) == 4);
    auto trg = ok(c.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"));
    REQUIRE(*trg.step() == step_result::row);
    CHECK(trg.column_int64(0) == 2);
    auto idx = ok(c.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_by_report'"));
    REQUIRE(*idx.step() == step_result::row);
    CHECK(idx.column_int64(0) == 1);
    auto integ = ok(c.prepare("PRAGMA integrity_check"));
    REQUIRE(*integ.step() == step_result::row);
    CHECK(integ.column_text(0) == "ok");
}

TEST_CASE("database: re-opening keeps the version and the data, and ids go on") {
    temp_dir dir;
    auto o = opts_for(dir);
    receipt first;
    {
        auto db = open_db(o);
        first = insert_ok(*db, full_report(1));
        insert_ok(*db, bare_report(2));
    }
    CHECK(ok(migrate(o.path)) == latest_schema_version());
    auto db = open_db(o);
    auto rec = find_ok(*db, first.id);
    REQUIRE(rec.has_value());
    CHECK(rec->data == full_report(1).data);
    CHECK(read_int(*db, "PRAGMA user_version") == latest_schema_version());
    auto third = insert_ok(*db, bare_report(3));
    CHECK(third.id == first.id + 2);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 3);
}

TEST_CASE("database: refuses a database from a newer schema") {
    temp_dir dir;
    auto o = opts_for(dir);
    REQUIRE(migrate(o.path).has_value());
    {
        auto c = ok(connection::open(o.path, open_mode::read_write));
        ok(c.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1)));
    }
    auto v = migrate(o.path);
    REQUIRE_FALSE(v.has_value());
    CHECK(v.err().code == "schema_too_new");
    CHECK(v.err().message.find("newer") != std::string::npos);
    CHECK(v.err().message.find(std::to_string(latest_schema_version() + 1)) != std::string::npos);

    auto db = database::open(o, codec());
    REQUIRE_FALSE(db.has_value());
    CHECK(db.err().code == "schema_too_new");

    // Nothing was touched.
    auto c = ok(connection::open(o.path, open_mode::read_only));
    CHECK(ok(detail::schema_version(c)) == latest_schema_version() + 1);
}

TEST_CASE("database: connection settings") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    CHECK(write_text(*db, "PRAGMA journal_mode") == "wal");
    CHECK(write_text(*db, "PRAGMA synchronous") == "2");  // FULL
    CHECK(write_text(*db, "PRAGMA foreign_keys") == "1");
    // Savepoint journals stay in memory: never a temporary file per write.
    CHECK(write_text(*db, "PRAGMA temp_store") == "2");  // MEMORY
    // The writer leaves checkpoints to the checkpoint thread.
    CHECK(write_text(*db, "PRAGMA wal_autocheckpoint") == "0");
    CHECK(read_int(*db, "PRAGMA foreign_keys") == 1);
    CHECK(read_int(*db, "PRAGMA query_only") == 1);
    CHECK(ok(await<std::string>([&](auto done) {
              db->read<std::string>(
                  [](connection& c) -> result<std::string> {
                      auto st = c.prepare("PRAGMA integrity_check");
                      if (!st) return std::move(st).err();
                      if (auto r = st->step(); !r) return std::move(r).err();
                      return st->column_text(0);
                  },
                  done);
          })) == "ok");

    // Readers cannot write, whatever a job tries.
    auto w = await<int>([&](auto done) {
        db->read<int>(
            [](connection& c) -> result<int> {
                if (auto r = c.exec("INSERT INTO write_probe (id, writes) VALUES (1, 1)"); !r) return std::move(r).err();
                return 0;
            },
            done);
    });
    REQUIRE_FALSE(w.has_value());
    CHECK(w.err().code == "storage_failure");
}

// ---- reports -------------------------------------------------------------------

TEST_CASE("database: insert and find keep every field") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));

    auto full = full_report(1);
    auto a = insert_ok(*db, full);
    CHECK(a.id == 1);
    CHECK(a.tracking_code == codec().encode(a.id));
    CHECK(a.tracking_code.size() == 8);
    CHECK(a.received_at == full.received_at);
    CHECK_FALSE(a.replayed);

    auto bare = bare_report(2);
    auto b = insert_ok(*db, bare);
    CHECK(b.id == 2);
    CHECK(b.tracking_code != a.tracking_code);

    auto ra = find_ok(*db, a.id);
    REQUIRE(ra.has_value());
    CHECK(ra->id == a.id);
    CHECK(ra->tracking_code == a.tracking_code);
    CHECK(ra->channel == intake::channel::web);
    CHECK(ra->received_at == full.received_at);
    CHECK(ra->state == report_state::received);
    CHECK(ra->data == full.data);
    CHECK(ra->data.child_age == 8);
    CHECK(ra->data.reporter_phone == "+84912345678");
    CHECK(same_secret(ra->secret, full.secret));

    auto rb = find_ok(*db, b.id);
    REQUIRE(rb.has_value());
    CHECK(rb->channel == intake::channel::sms);
    CHECK(rb->data == bare.data);
    CHECK_FALSE(rb->data.location_text.has_value());
    CHECK_FALSE(rb->data.child_age.has_value());
    CHECK_FALSE(rb->data.child_age_estimated);
    CHECK(rb->data.sex == intake::child_sex::unknown);
    CHECK_FALSE(rb->data.contact_ok);
    CHECK(same_secret(rb->secret, bare.secret));

    CHECK_FALSE(find_ok(*db, 999).has_value());
    CHECK_FALSE(find_ok(*db, 0).has_value());
    CHECK_FALSE(find_ok(*db, ~std::uint64_t{0}).has_value());
}

TEST_CASE("database: every channel round-trips") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    for (auto ch : {intake::channel::web, intake::channel::api, intake::channel::sms, intake::channel::operator_desk}) {
        auto r = bare_report(1);
        r.channel = ch;
        auto got = find_ok(*db, insert_ok(*db, r).id);
        REQUIRE(got.has_value());
        CHECK(got->channel == ch);
    }
}

TEST_CASE("database: an insert writes the received event") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto r = bare_report(5);
    auto rc = insert_ok(*db, r);

    struct event_row {
        std::string kind, actor;
        std::int64_t at = 0;
        bool data_null = false;
    };
    auto events = ok(await<std::vector<event_row>>([&](auto done) {
        db->read<std::vector<event_row>>(
            [id = rc.id](connection& c) -> result<std::vector<event_row>> {
                auto st = c.prepare("SELECT kind, actor, at, data FROM events WHERE report_id = ?1 ORDER BY id");
                if (!st) return std::move(st).err();
                if (auto b = st->bind(1, static_cast<std::int64_t>(id)); !b) return std::move(b).err();
                std::vector<event_row> out;
                for (;;) {
                    auto s = st->step();
                    if (!s) return std::move(s).err();
                    if (*s == step_result::done) break;
                    out.push_back({st->column_text(0), st->column_text(1), st->column_int64(2), st->column_is_null(3)});
                }
                return out;
            },
            done);
    }));
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == "received");
    CHECK(events[0].actor == "sms");
    CHECK(events[0].at == to_unix_ms(r.received_at));
    CHECK(events[0].data_null);
}

TEST_CASE("database: events are append-only and reference a report") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto rc = insert_ok(*db, bare_report(1));

    auto try_write = [&](std::string sql) {
        return await<int>([&](auto done) {
            db->write<int>(
                [sql](connection& c) -> result<int> {
                    if (auto r = c.exec(sql); !r) return std::move(r).err();
                    return 0;
                },
                done);
        });
    };

    auto up = try_write("UPDATE events SET kind = 'forged'");
    REQUIRE_FALSE(up.has_value());
    CHECK(up.err().code == "storage_failure");
    CHECK(up.err().message.find("append-only") != std::string::npos);

    auto del = try_write("DELETE FROM events");
    REQUIRE_FALSE(del.has_value());
    CHECK(del.err().message.find("append-only") != std::string::npos);

    auto orphan = try_write("INSERT INTO events (report_id, at, kind, actor) VALUES (4242, 0, 'received', 'web')");
    REQUIRE_FALSE(orphan.has_value());
    CHECK(orphan.err().message.find("FOREIGN KEY") != std::string::npos);

    auto bad_json = try_write(
        "INSERT INTO events (report_id, at, kind, actor, data) VALUES (" + std::to_string(rc.id) +
        ", 0, 'viewed', 'officer:1', '{not json')");
    REQUIRE_FALSE(bad_json.has_value());

    CHECK(ok(try_write("INSERT INTO events (report_id, at, kind, actor, data) VALUES (" + std::to_string(rc.id) +
                       ", 1, 'viewed', 'officer:1', '{\"reason\":\"triage\"}')")) == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'received'") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == 2);
}

TEST_CASE("database: schema checks refuse impossible values") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto r = bare_report(1);
    r.data.child_age = 18;
    auto res = await<receipt>([&](auto done) { db->insert_report(r, done); });
    REQUIRE_FALSE(res.has_value());
    CHECK(res.err().code == "storage_failure");
    CHECK(res.err().message.find("CHECK constraint failed") != std::string::npos);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == 0);
}

TEST_CASE("database: report status") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto rc = insert_ok(*db, full_report(1));
    auto status = [&] {
        return ok(await<std::optional<report_status>>([&](auto done) { db->report_status_of(rc.id, done); }));
    };
    auto add_event = [&](std::string kind) {
        ok(await<int>([&](auto done) {
            db->write<int>(
                [&, kind](connection& c) -> result<int> {
                    auto st = c.prepare("INSERT INTO events (report_id, at, kind, actor) VALUES (?1, ?2, ?3, 'test')");
                    if (!st) return std::move(st).err();
                    (void)st->bind(1, static_cast<std::int64_t>(rc.id));
                    (void)st->bind(2, to_unix_ms(rc.received_at) + 1000);
                    (void)st->bind(3, kind);
                    if (auto r = st->run(); !r) return std::move(r).err();
                    return 0;
                },
                done);
        }));
    };

    auto s = status();
    REQUIRE(s.has_value());
    CHECK(s->state == report_state::received);
    CHECK(s->received_at == rc.received_at);
    CHECK_FALSE(s->forwarded);
    CHECK_FALSE(s->acknowledged);

    // Forwarded means given to somebody in the commune: not a queue, not the province.
    auto assign = [&](std::string sql) {
        ok(await<int>([&](auto done) {
            db->write<int>(
                [&, sql](connection& c) -> result<int> {
                    if (auto r = c.exec(sql); !r) return std::move(r).err();
                    return 0;
                },
                done);
        }));
    };
    add_event("viewed");
    add_event("routed");
    const std::string id = std::to_string(rc.id);
    assign("INSERT INTO assignments (report_id, queue, unit_code, reason, created_at) VALUES (" + id +
           ", 'province', '20', 'test', 0)");
    assign("INSERT INTO contacts (id, key, name, role, unit_code, phone, active) VALUES "
           "(1, 'coord', 'C', 'province_coordinator', '20', '+84900000001', 1), "
           "(2, 'cp', 'P', 'commune_child_protection', '05983', '+84900000002', 1)");
    assign("INSERT INTO assignments (report_id, contact_id, role, unit_code, reason, created_at) VALUES (" + id +
           ", 1, 'province_coordinator', '20', 'test', 0)");
    s = status();
    CHECK_FALSE(s->forwarded);
    assign("INSERT INTO assignments (report_id, contact_id, role, unit_code, reason, created_at) VALUES (" + id +
           ", 2, 'commune_child_protection', '05983', 'test', 0)");
    s = status();
    CHECK(s->forwarded);
    CHECK_FALSE(s->acknowledged);

    add_event("acknowledged");
    ok(await<int>([&](auto done) {
        db->write<int>(
            [&](connection& c) -> result<int> {
                auto st = c.prepare("UPDATE reports SET state = 'acknowledged' WHERE id = ?1");
                if (!st) return std::move(st).err();
                (void)st->bind(1, static_cast<std::int64_t>(rc.id));
                if (auto r = st->run(); !r) return std::move(r).err();
                return static_cast<int>(c.changes());
            },
            done);
    }));
    s = status();
    CHECK(s->state == report_state::acknowledged);
    CHECK(s->forwarded);
    CHECK(s->acknowledged);

    CHECK_FALSE(ok(await<std::optional<report_status>>([&](auto done) { db->report_status_of(77, done); })).has_value());
}

TEST_CASE("report_state names") {
    CHECK(to_string(report_state::received) == "received");
    CHECK(to_string(report_state::routed) == "routed");
    CHECK(to_string(report_state::acknowledged) == "acknowledged");
    CHECK(to_string(report_state::in_progress) == "in_progress");
    CHECK(to_string(report_state::closed) == "closed");
    CHECK(to_string(report_state::unrouted) == "unrouted");
}

// ---- idempotency -------------------------------------------------------------------

TEST_CASE("database: an idempotent replay returns the first report and stores nothing") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto r = full_report(1);
    r.idempotency_key = "api:4b1c-retry";
    r.request_hash = "9f86d081884c7d659a2feaa0c55ad015";
    auto first = insert_ok(*db, r);
    CHECK_FALSE(first.replayed);

    auto retry = r;
    retry.received_at = r.received_at + std::chrono::seconds(30);  // the retry arrives later
    auto second = insert_ok(*db, retry);
    CHECK(second.replayed);
    CHECK(second.id == first.id);
    CHECK(second.tracking_code == first.tracking_code);
    CHECK(second.received_at == first.received_at);

    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM idempotency_keys") == 1);

    auto other = r;
    other.request_hash = "different";
    auto conflict = await<receipt>([&](auto done) { db->insert_report(other, done); });
    REQUIRE_FALSE(conflict.has_value());
    CHECK(conflict.err().code == "idempotency_conflict");
    CHECK_FALSE(conflict.err().message.empty());
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);

    // Another key is another report.
    auto fresh = r;
    fresh.idempotency_key = "api:other";
    CHECK(insert_ok(*db, fresh).id != first.id);
    // And without a key, every insert is new.
    CHECK(insert_ok(*db, bare_report(3)).id != insert_ok(*db, bare_report(3)).id);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 4);
}

TEST_CASE("database: a replay within the same batch still creates one report") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto r = bare_report(1);
    r.idempotency_key = "sms:gw1:msg-77";
    r.request_hash = "h";

    std::vector<std::optional<result<receipt>>> got(3);
    std::latch done_all(3);
    writer_plug plug(*db);
    for (std::size_t i = 0; i < got.size(); ++i)
        db->insert_report(r, [&, i](result<receipt> x) {
            got[i].emplace(std::move(x));
            done_all.count_down();
        });
    plug.release();
    done_all.wait();

    for (auto& g : got) REQUIRE(g->has_value());
    CHECK_FALSE((*got[0])->replayed);
    CHECK((*got[1])->replayed);
    CHECK((*got[2])->replayed);
    CHECK((*got[1])->id == (*got[0])->id);
    CHECK(db->commits() == 2);  // the plug, then all three together
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
}

// ---- group commit ----------------------------------------------------------------

TEST_CASE("database: concurrent inserts are all committed, batched, and durable before completion") {
    temp_dir dir;
    auto o = opts_for(dir);
    auto db = open_db(o);
    constexpr int threads = 64;
    constexpr int per_thread = 2;
    constexpr int total = threads * per_thread;

    std::mutex mu;
    std::vector<receipt> receipts;
    std::vector<std::string> failures;
    std::atomic<int> invisible{0};
    std::latch done_all(total);

    writer_plug plug(*db);
    REQUIRE(db->commits() == 0);  // the plug's batch is still open
    std::vector<std::thread> pool;
    std::latch start(1);
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            start.wait();
            for (int k = 0; k < per_thread; ++k)
                db->insert_report(full_report(t * per_thread + k), [&](result<receipt> r) {
                    // Rule 1: by the time a completion runs, the row is
                    // committed: another connection already sees it.
                    if (r && !committed_elsewhere(o.path, r->id)) invisible.fetch_add(1);
                    {
                        std::lock_guard lock(mu);
                        if (r)
                            receipts.push_back(*r);
                        else
                            failures.push_back(r.err().message);
                    }
                    done_all.count_down();
                });
        });
    start.count_down();
    for (auto& th : pool) th.join();
    // Every insert is queued behind the plug; let the writer go.
    plug.release();
    done_all.wait();

    CHECK(failures.empty());
    CHECK(invisible.load() == 0);
    REQUIRE(receipts.size() == static_cast<std::size_t>(total));
    std::set<std::uint64_t> ids;
    std::set<std::string> codes;
    for (auto& r : receipts) {
        ids.insert(r.id);
        codes.insert(r.tracking_code);
        CHECK(r.tracking_code == codec().encode(r.id));
    }
    CHECK(ids.size() == static_cast<std::size_t>(total));
    CHECK(codes.size() == static_cast<std::size_t>(total));
    CHECK(*ids.begin() == 1);
    CHECK(*ids.rbegin() == static_cast<std::uint64_t>(total));
    CHECK(plug.plug_ok());
    // One commit for the plug's batch, one for everything queued behind it.
    CHECK(db->commits() == 2);
    CHECK(db->writes_committed() == static_cast<std::uint64_t>(total) + 1);
    CHECK(db->commits() < db->writes_committed());
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == total);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == total);
}

TEST_CASE("database: free-running concurrent writers and readers") {
    temp_dir dir;
    auto o = opts_for(dir);
    o.read_connections = 3;
    auto db = open_db(o);
    constexpr int threads = 64;
    constexpr int per_thread = 4;

    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    std::mutex mu;
    std::set<std::uint64_t> ids;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int k = 0; k < per_thread; ++k) {
                auto r = await<receipt>([&](auto done) { db->insert_report(bare_report(t * 100 + k), done); });
                if (!r) {
                    failures.fetch_add(1);
                    continue;
                }
                // What was acknowledged is readable at once.
                auto f = await<std::optional<report_record>>([&](auto done) { db->find_report(r->id, done); });
                if (!f || !f->has_value() || (*f)->tracking_code != r->tracking_code) failures.fetch_add(1);
                std::lock_guard lock(mu);
                ids.insert(r->id);
            }
        });
    for (auto& th : pool) th.join();
    CHECK(failures.load() == 0);
    CHECK(ids.size() == static_cast<std::size_t>(threads * per_thread));
    CHECK(db->writes_committed() == static_cast<std::uint64_t>(threads * per_thread));
    CHECK(db->commits() <= db->writes_committed());
}

TEST_CASE("database: checkpoints keep the WAL bounded under a steady stream of commits") {
    temp_dir dir;
    auto o = opts_for(dir);
    o.checkpoint_frames = 40;
    const std::string wal = o.path + "-wal";
    std::uintmax_t largest = 0;
    {
        auto db = open_db(o);
        // Writers that never pause: a new batch is always waiting when one
        // commits, so the WAL is only reset if the checkpoints make it so.
        constexpr int threads = 8;
        constexpr int per_thread = 150;
        std::atomic<int> failed{0};
        std::atomic<bool> writing{true};
        std::thread watcher([&] {
            while (writing.load()) {
                std::error_code ec;
                const auto size = std::filesystem::file_size(wal, ec);
                if (!ec) largest = std::max(largest, size);
                std::this_thread::yield();
            }
        });
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                for (int k = 0; k < per_thread; ++k) {
                    auto r = await<receipt>([&](auto done) { db->insert_report(full_report(t * per_thread + k), done); });
                    if (!r) failed.fetch_add(1);
                }
            });
        for (auto& th : pool) th.join();
        writing = false;
        watcher.join();
        CHECK(failed.load() == 0);
        CHECK(db->checkpoints() > 0);
        CHECK(db->checkpoint_failures() == 0);
        CHECK(read_int(*db, "SELECT count(*) FROM reports") == threads * per_thread);
        std::error_code ec;
        largest = std::max(largest, std::filesystem::file_size(wal, ec));
        // 1,200 reports write thousands of frames; a WAL that was never reset
        // would hold them all. Reset, it holds about threshold * 1.5 frames
        // plus one batch (each frame is a 4 KiB page and a 24-byte header).
        const std::uintmax_t frame = 4096 + 24;
        CHECK(largest < 6 * 40 * frame);
    }
    // Closed cleanly: the last connection copied the rest and removed the WAL.
    CHECK_FALSE(std::filesystem::exists(wal));
    auto db = open_db(o);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1200);
    CHECK(read_text(*db, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("database: a failing write is rolled back alone, the rest of its batch commits") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));

    std::optional<result<receipt>> a, b, bad_insert;
    std::optional<result<int>> failing, throwing;
    std::latch done_all(5);

    writer_plug plug(*db);
    db->insert_report(full_report(1), [&](result<receipt> r) {
        a.emplace(std::move(r));
        done_all.count_down();
    });
    db->write<int>(
        [](connection& c) -> result<int> {
            // Writes something, then fails: the savepoint must undo it.
            if (auto r = c.exec("INSERT INTO write_probe (id, writes) VALUES (1, 1000)"); !r) return std::move(r).err();
            return make_error("test_failure", "this write gives up");
        },
        [&](result<int> r) {
            failing.emplace(std::move(r));
            done_all.count_down();
        });
    auto impossible = bare_report(2);
    impossible.data.child_age = 30;
    db->insert_report(impossible, [&](result<receipt> r) {
        bad_insert.emplace(std::move(r));
        done_all.count_down();
    });
    db->write<int>(
        [](connection& c) -> result<int> {
            (void)c.exec("INSERT INTO write_probe (id, writes) VALUES (1, 2000)");
            throw std::runtime_error("boom");
        },
        [&](result<int> r) {
            throwing.emplace(std::move(r));
            done_all.count_down();
        });
    db->insert_report(full_report(3), [&](result<receipt> r) {
        b.emplace(std::move(r));
        done_all.count_down();
    });
    plug.release();
    done_all.wait();

    REQUIRE(a->has_value());
    REQUIRE(b->has_value());
    REQUIRE_FALSE(failing->has_value());
    CHECK(failing->err().code == "test_failure");
    REQUIRE_FALSE(bad_insert->has_value());
    CHECK(bad_insert->err().code == "storage_failure");
    REQUIRE_FALSE(throwing->has_value());
    CHECK(throwing->err().code == "storage_failure");

    CHECK(db->commits() == 2);  // the plug, then the five together
    CHECK(db->writes_committed() == 3);
    CHECK(find_ok(*db, (*a)->id).has_value());
    CHECK(find_ok(*db, (*b)->id).has_value());
    CHECK(read_int(*db, "SELECT count(*) FROM write_probe") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 2);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == 2);
}

TEST_CASE("database: a batch runs each write once, and runs it again only after another write failed") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    REQUIRE(wait_for<void>([&](auto done) {
        db->write<void>([](connection& c) { return c.exec("CREATE TABLE runs_probe (id INTEGER PRIMARY KEY)"); },
                        std::move(done));
    }));
    const auto commits0 = db->commits();
    const auto kept0 = db->writes_committed();

    // Counts the runs of a write that adds one row to write_probe: only the
    // last run may be kept, whatever the count.
    struct counted {
        std::atomic<int> runs{0};
        std::optional<result<int>> out;
    };
    auto add_probe = [&](counted& k, int row, std::latch& done) {
        db->write<int>(
            [&k, row](connection& c) -> result<int> {
                ++k.runs;
                if (auto r = detail::run_bound(c, "INSERT INTO runs_probe (id) VALUES (?1)",
                                               static_cast<std::int64_t>(row));
                    !r)
                    return std::move(r).err();
                return row;
            },
            [&k, &done](result<int> r) {
                k.out.emplace(std::move(r));
                done.count_down();
            });
    };
    auto probe_rows = [&] { return read_int(*db, "SELECT count(*) FROM runs_probe WHERE id < 20"); };

    SUBCASE("nothing fails: one run each, one commit") {
        counted a, b, c;
        std::latch done(3);
        writer_plug plug(*db);
        add_probe(a, 10, done);
        add_probe(b, 11, done);
        add_probe(c, 12, done);
        plug.release();
        done.wait();
        CHECK(a.runs == 1);
        CHECK(b.runs == 1);
        CHECK(c.runs == 1);
        CHECK(db->commits() - commits0 == 2);
        CHECK(probe_rows() == 3);
    }
    SUBCASE("a write fails: the batch runs again, the others once more, each kept once") {
        counted a, c;
        std::atomic<int> failing_runs{0};
        std::optional<result<int>> failing;
        std::latch done(3);
        writer_plug plug(*db);
        add_probe(a, 10, done);
        db->write<int>(
            [&failing_runs](connection& x) -> result<int> {
                ++failing_runs;
                if (auto r = x.exec("INSERT INTO runs_probe (id) VALUES (20)"); !r) return std::move(r).err();
                return make_error("test_failure", "this write gives up");
            },
            [&](result<int> r) {
                failing.emplace(std::move(r));
                done.count_down();
            });
        add_probe(c, 12, done);
        plug.release();
        done.wait();
        // a ran, then the failing write; the batch ran again with savepoints.
        CHECK(a.runs == 2);
        CHECK(failing_runs == 2);
        CHECK(c.runs == 1);
        REQUIRE(a.out->has_value());
        REQUIRE(c.out->has_value());
        CHECK(failing->err().code == "test_failure");
        CHECK(db->commits() - commits0 == 2);
        CHECK(db->writes_committed() - kept0 == 3);  // the plug, a, c
        CHECK(probe_rows() == 2);
        CHECK(read_int(*db, "SELECT count(*) FROM runs_probe WHERE id = 20") == 0);
    }
    SUBCASE("a write alone that fails runs once and commits nothing") {
        std::atomic<int> runs{0};
        auto r = wait_for<int>([&](auto done) {
            db->write<int>(
                [&runs](connection& x) -> result<int> {
                    ++runs;
                    if (auto e = x.exec("INSERT INTO runs_probe (id) VALUES (20)"); !e)
                        return std::move(e).err();
                    return make_error("test_failure", "this write gives up");
                },
                std::move(done));
        });
        REQUIRE_FALSE(r.has_value());
        CHECK(r.err().code == "test_failure");
        CHECK(runs == 1);
        CHECK(db->commits() - commits0 == 0);
        CHECK(read_int(*db, "SELECT count(*) FROM runs_probe WHERE id = 20") == 0);
        // The writer goes on: the next write commits.
        counted a;
        std::latch done(1);
        add_probe(a, 10, done);
        done.wait();
        CHECK(a.out->has_value());
        CHECK(probe_rows() == 1);
    }
}

TEST_CASE("database: when COMMIT fails every write of the batch fails and nothing is kept") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    std::optional<result<receipt>> a, b;
    std::optional<result<int>> saboteur;
    std::latch done_all(3);

    writer_plug plug(*db);
    db->insert_report(full_report(1), [&](result<receipt> r) {
        a.emplace(std::move(r));
        done_all.count_down();
    });
    db->write<int>(
        [](connection& c) -> result<int> {
            // A deferred foreign-key violation passes its statement and makes
            // the COMMIT itself fail.
            if (auto r = c.exec("PRAGMA defer_foreign_keys = ON"); !r) return std::move(r).err();
            if (auto r = c.exec("INSERT INTO events (report_id, at, kind, actor) VALUES (999999, 0, 'x', 'y')"); !r)
                return std::move(r).err();
            return 1;
        },
        [&](result<int> r) {
            saboteur.emplace(std::move(r));
            done_all.count_down();
        });
    db->insert_report(full_report(2), [&](result<receipt> r) {
        b.emplace(std::move(r));
        done_all.count_down();
    });
    plug.release();
    done_all.wait();

    for (auto* r : {&*a, &*b}) {
        REQUIRE_FALSE(r->has_value());
        CHECK(r->err().code == "storage_failure");
        CHECK(r->err().message.find("FOREIGN KEY") != std::string::npos);
    }
    REQUIRE_FALSE(saboteur->has_value());
    CHECK(saboteur->err().code == "storage_failure");
    CHECK(db->commits() == 1);
    CHECK(db->writes_committed() == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == 0);

    // The writer recovers, and ids follow what is really in the file.
    auto c = insert_ok(*db, full_report(3));
    CHECK(c.id == 1);
    CHECK(c.tracking_code == codec().encode(1));
    CHECK(find_ok(*db, c.id).has_value());
    CHECK(db->commits() == 2);
}

// ---- shutdown ---------------------------------------------------------------------

TEST_CASE("database: destruction commits every queued write") {
    temp_dir dir;
    auto o = opts_for(dir);
    constexpr int n = 300;
    std::atomic<int> succeeded{0}, completed{0};
    {
        auto db = open_db(o);
        for (int i = 0; i < n; ++i)
            db->insert_report(bare_report(i), [&](result<receipt> r) {
                if (r) succeeded.fetch_add(1);
                completed.fetch_add(1);
            });
    }
    CHECK(completed.load() == n);
    CHECK(succeeded.load() == n);
    auto db = open_db(o);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == n);
}

TEST_CASE("database: work handed over during destruction is refused with shutting_down") {
    temp_dir dir;
    auto o = opts_for(dir);
    auto db = open_db(o);
    database* raw = db.get();

    std::optional<result<receipt>> drained, late_write;
    std::optional<result<std::optional<report_record>>> late_read;
    std::optional<result<void>> late_check;
    std::atomic<bool> saw_refusal{false};
    std::promise<void> entered;

    // Holds the writer until destruction has begun, which it learns the only
    // way a client can: a read is refused at once.
    db->write<int>(
        [&](connection&) -> result<int> {
            entered.set_value();
            for (;;) {
                auto r = await<int>([&](auto done) {
                    raw->read<int>([](connection&) -> result<int> { return 0; }, done);
                });
                if (!r) {
                    saw_refusal = r.err().code == "shutting_down";
                    return 1;
                }
            }
        },
        [](result<int>) {});
    entered.get_future().wait();

    // Queued behind the plug: the destructor must still commit it. Its
    // completion runs during destruction; anything it asks for is refused.
    db->insert_report(full_report(1), [&](result<receipt> r) {
        drained.emplace(std::move(r));
        raw->insert_report(full_report(2), [&](result<receipt> x) { late_write.emplace(std::move(x)); });
        raw->find_report(1, [&](result<std::optional<report_record>> x) { late_read.emplace(std::move(x)); });
        raw->check_writable([&](result<void> x) { late_check.emplace(std::move(x)); });
    });
    db.reset();

    CHECK(saw_refusal.load());
    REQUIRE(drained.has_value());
    REQUIRE(drained->has_value());
    REQUIRE(late_write.has_value());
    REQUIRE_FALSE(late_write->has_value());
    CHECK(late_write->err().code == "shutting_down");
    REQUIRE(late_read.has_value());
    REQUIRE_FALSE(late_read->has_value());
    CHECK(late_read->err().code == "shutting_down");
    REQUIRE(late_check.has_value());
    REQUIRE_FALSE(late_check->has_value());
    CHECK(late_check->err().code == "shutting_down");

    auto again = open_db(o);
    CHECK(read_int(*again, "SELECT count(*) FROM reports") == 1);
    CHECK(find_ok(*again, (*drained)->id).has_value());
}

// ---- readiness ----------------------------------------------------------------------

TEST_CASE("database: check_writable fails while the file cannot be written, and recovers") {
    temp_dir dir;
    auto o = opts_for(dir);
    o.busy_timeout = std::chrono::milliseconds(20);
    auto db = open_db(o);
    auto check = [&] { return await<void>([&](auto done) { db->check_writable(done); }); };

    ok(check());
    CHECK(read_int(*db, "SELECT writes FROM write_probe WHERE id = 1") == 1);

    // Another process holds the write lock: nothing can be committed now.
    auto other = ok(connection::open(o.path, open_mode::read_write));
    ok(other.exec("BEGIN IMMEDIATE"));
    auto blocked = check();
    REQUIRE_FALSE(blocked.has_value());
    CHECK(blocked.err().code == "storage_failure");
    CHECK(blocked.err().message.find("locked") != std::string::npos);

    // Reports are refused likewise rather than acknowledged.
    auto refused = await<receipt>([&](auto done) { db->insert_report(bare_report(1), done); });
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.err().code == "storage_failure");

    ok(other.exec("COMMIT"));
    ok(check());
    CHECK(read_int(*db, "SELECT writes FROM write_probe WHERE id = 1") == 2);
    CHECK(insert_ok(*db, bare_report(2)).id == 1);
}

TEST_CASE("database: open fails clearly on a path that cannot hold a database") {
    temp_dir dir;
    options o;
    o.path = (dir.path() / "missing-dir" / "hotline.db").string();
    auto db = database::open(o, codec());
    REQUIRE_FALSE(db.has_value());
    CHECK(db.err().code == "storage_failure");
    auto m = migrate(o.path);
    REQUIRE_FALSE(m.has_value());
    CHECK(m.err().code == "storage_failure");
}

// ---- classification (issue 4) -----------------------------------------------------

namespace {

classification_event sample_classification() {
    classification_event e;
    e.result.level = intake::urgency::emergency;
    e.result.categories = {"physical_violence", "neglect"};
    e.result.track = intake::legal_track::emergency_12h;
    e.result.evidence = {{"severity.bleeding", "chảy máu"}, {"immediacy.now", "đang \"đánh\"\n"}};
    e.result.score = 4.25;
    e.lexicon = "0123456789abcdef";
    return e;
}

struct event_row {
    std::string kind, actor, data;
    std::int64_t at = 0;
};

std::vector<event_row> events_of(database& db, std::uint64_t report_id) {
    return ok(await<std::vector<event_row>>([&](auto done) {
        db.read<std::vector<event_row>>(
            [report_id](connection& c) -> result<std::vector<event_row>> {
                auto st = c.prepare("SELECT kind, actor, COALESCE(data, ''), at FROM events WHERE report_id = ?1 "
                                    "ORDER BY id");
                if (!st) return std::move(st).err();
                if (auto b = st->bind(1, static_cast<std::int64_t>(report_id)); !b) return std::move(b).err();
                std::vector<event_row> out;
                for (;;) {
                    auto s = st->step();
                    if (!s) return std::move(s).err();
                    if (*s == step_result::done) break;
                    out.push_back({st->column_text(0), st->column_text(1), st->column_text(2), st->column_int64(3)});
                }
                return out;
            },
            done);
    }));
}

}  // namespace

TEST_CASE("database: a classified report gets its classified event in the same write") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto r = full_report(11);
    r.classification = sample_classification();
    const auto commits_before = db->commits();
    auto rc = insert_ok(*db, r);
    CHECK(db->commits() == commits_before + 1);

    const auto events = events_of(*db, rc.id);
    REQUIRE(events.size() == 2);
    CHECK(events[0].kind == "received");
    CHECK(events[1].kind == "classified");
    CHECK(events[1].actor == "triage");
    CHECK(events[1].at == to_unix_ms(r.received_at));
    // The data is JSON SQLite can read, every field in place.
    const std::string id = std::to_string(rc.id);
    const std::string ev = "(SELECT data FROM events WHERE kind = 'classified' AND report_id = " + id + ")";
    CHECK(read_text(*db, "SELECT json_extract(" + ev + ", '$.urgency')") == "emergency");
    CHECK(read_text(*db, "SELECT json_extract(" + ev + ", '$.track')") == "emergency_12h");
    CHECK(read_text(*db, "SELECT json_extract(" + ev + ", '$.categories')") == R"(["physical_violence","neglect"])");
    CHECK(read_text(*db, "SELECT json_extract(" + ev + ", '$.evidence[0].rule')") == "severity.bleeding");
    CHECK(read_text(*db, "SELECT json_extract(" + ev + ", '$.evidence[0].match')") == "chảy máu");
    CHECK(read_text(*db, "SELECT json_extract(" + ev + ", '$.evidence[1].match')") == "đang \"đánh\"\n");
    CHECK(read_text(*db, "SELECT json_extract(" + ev + ", '$.score')") == "4.25");
    CHECK(read_text(*db, "SELECT json_extract(" + ev + ", '$.lexicon')") == "0123456789abcdef");

    // Without a classification only the received event is written.
    auto plain = insert_ok(*db, bare_report(12));
    CHECK(events_of(*db, plain.id).size() == 1);
}

TEST_CASE("database: an idempotent replay writes no second classified event") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto r = full_report(13);
    r.classification = sample_classification();
    r.idempotency_key = "api:k-13";
    r.request_hash = "h";
    auto first = insert_ok(*db, r);
    auto again = insert_ok(*db, r);
    CHECK(again.replayed);
    CHECK(again.id == first.id);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'classified'") == 1);
}

TEST_CASE("database: when the classified event cannot be written, neither is the report") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    // A trigger on the writer's connection only (TEMP) refuses classified events.
    ok(await<void>([&](auto done) {
        db->write<void>(
            [](connection& c) -> result<void> {
                return c.exec("CREATE TEMP TRIGGER refuse_classified BEFORE INSERT ON main.events "
                              "WHEN NEW.kind = 'classified' BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
            },
            done);
    }));
    auto r = full_report(14);
    r.classification = sample_classification();
    auto failed = await<receipt>([&](auto done) { db->insert_report(r, done); });
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.err().code == "storage_failure");
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM events") == 0);

    // The same report without a classification goes through.
    auto plain = full_report(15);
    auto rc = insert_ok(*db, plain);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
    CHECK(events_of(*db, rc.id).size() == 1);
}

TEST_CASE("database: an SMS that files a report stores its classification, a follow-up does not") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    inbound_sms m;
    m.provider = "generic";
    m.provider_message_id = "m-1";
    m.from = "+84912345678";
    m.body = "co nguoi dang danh chau be, chay mau";
    m.received_at = at_ms(1751328000000);
    m.secret = secret_for(3);
    auto first = ok(await<sms_outcome>([&](auto done) {
        db->receive_sms(m, sms_options{}, sample_classification(), done);
    }));
    REQUIRE(first.report_id.has_value());
    auto events = events_of(*db, *first.report_id);
    REQUIRE(events.size() == 2);
    CHECK(events[0].kind == "received");
    CHECK(events[1].kind == "classified");
    CHECK(events[1].actor == "triage");

    // The same message again (a gateway retry): nothing new.
    auto replay = ok(await<sms_outcome>([&](auto done) {
        db->receive_sms(m, sms_options{}, sample_classification(), done);
    }));
    CHECK(replay.replayed);
    // A follow-up within the window adds to the report: not reclassified.
    inbound_sms follow = m;
    follow.provider_message_id = "m-2";
    follow.body = "o thon 3 xa Tan Phu";
    follow.received_at = at_ms(1751328060000);
    auto second = ok(await<sms_outcome>([&](auto done) {
        db->receive_sms(follow, sms_options{}, sample_classification(), done);
    }));
    CHECK(second.decision.action != intake::sms_action::new_report);
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE kind = 'classified'") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM reports") == 1);
}

TEST_CASE("database: an override is a new event, the classified one stays, history lists both") {
    temp_dir dir;
    auto db = open_db(opts_for(dir));
    auto r = full_report(16);
    r.classification = sample_classification();
    auto rc = insert_ok(*db, r);

    classification_override o;
    o.report_id = rc.id;
    o.level = intake::urgency::high;
    o.categories = {"emotional_violence"};
    o.track = intake::legal_track::standard_5wd;
    o.reason = "Đã gọi lại: \"không\" có thương tích";
    o.by = "Nguyễn Thị C";
    o.at = at_ms(1751328100000);
    const auto event_id = ok(await<std::uint64_t>([&](auto done) { db->override_classification(o, done); }));
    CHECK(event_id > 0);

    const auto before = events_of(*db, rc.id);
    REQUIRE(before.size() == 3);
    CHECK(before[1].kind == "classified");
    CHECK(before[1].data.find("\"urgency\":\"emergency\"") != std::string::npos);
    CHECK(before[2].kind == "classification_overridden");
    CHECK(before[2].actor == "Nguyễn Thị C");
    CHECK(before[2].at == 1751328100000);

    auto history = ok(await<std::optional<std::vector<classification_entry>>>(
        [&](auto done) { db->classification_history(rc.id, done); }));
    REQUIRE(history.has_value());
    REQUIRE(history->size() == 2);
    CHECK((*history)[0].kind == "classified");
    CHECK((*history)[0].actor == "triage");
    CHECK((*history)[1].kind == "classification_overridden");
    CHECK((*history)[1].event_id == event_id);
    CHECK((*history)[1].data ==
          R"({"urgency":"high","categories":["emotional_violence"],"track":"standard_5wd",)"
          R"("reason":"Đã gọi lại: \"không\" có thương tích"})");

    // Unknown reports.
    o.report_id = rc.id + 1000;
    auto missing = await<std::uint64_t>([&](auto done) { db->override_classification(o, done); });
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.err().code == "not_found");
    auto none = ok(await<std::optional<std::vector<classification_entry>>>(
        [&](auto done) { db->classification_history(rc.id + 1000, done); }));
    CHECK_FALSE(none.has_value());
    // A report without classification has an empty history.
    auto plain = insert_ok(*db, bare_report(17));
    auto empty = ok(await<std::optional<std::vector<classification_entry>>>(
        [&](auto done) { db->classification_history(plain.id, done); }));
    REQUIRE(empty.has_value());
    CHECK(empty->empty());
}

TEST_CASE("migration 6 rebuilds reports on a database of version 5: rows, references and checks kept") {
    temp_dir dir;
    const auto path = dir.file("hotline.db");
    {
        auto c = at_version(path, 5);
        ok(c.exec(
            "INSERT INTO reports (id, tracking_code, channel, received_at, state, text, child_sex, contact_ok, "
            "secret_salt, secret_hash, commune_code, province_code, action_due_at, ladder_step) "
            "VALUES (9, 'ABCDEFGH', 'sms', 1751328000000, 'unrouted', 'bao cu', 'female', 1, zeroblob(16), "
            "zeroblob(32), '05983', '20', 1751371200000, 2)"));
        ok(c.exec("INSERT INTO events (report_id, at, kind, actor) VALUES (9, 1751328000000, 'received', 'sms')"));
        ok(c.exec("INSERT INTO assignments (report_id, queue, unit_code, reason, created_at) "
                  "VALUES (9, 'hotline', 'VN', 'no commune; nobody on duty', 1751328000000)"));
    }
    auto db = open_db(dir);
    CHECK(read_int(*db, "PRAGMA user_version") == latest_schema_version());
    CHECK(read_text(*db, "SELECT text || '|' || state || '|' || child_sex || '|' || commune_code || '|' || "
                         "action_due_at || '|' || ladder_step FROM reports WHERE id = 9") ==
          "bao cu|unrouted|female|05983|1751371200000|2");
    CHECK(read_int(*db, "SELECT count(*) FROM events WHERE report_id = 9") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM assignments WHERE report_id = 9") == 1);
    CHECK(read_int(*db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                        "('reports_action_due', 'reports_plan_due')") == 2);
    CHECK(read_int(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'reports_by_commune'") == 0);
    CHECK(read_text(*db, "PRAGMA integrity_check") == "ok");
    // Migration 9: the directory's version, and its nine triggers.
    CHECK(read_int(*db, "SELECT version FROM directory_version WHERE id = 1") == 0);
    CHECK(read_int(*db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                        "'%_moves_version'") == 9);
    // Migration 10: open queue entries are counted from assignments_queued,
    // now keyed by state first.
    CHECK(read_text(*db, "SELECT sql FROM sqlite_master WHERE name = 'assignments_queued'") ==
          "CREATE INDEX assignments_queued ON assignments (state, queue) WHERE queue IS NOT NULL");
    const auto plan =
        query_plan(*db, "SELECT count(*) FROM assignments WHERE queue IS NOT NULL AND state = 'open'");
    CHECK(plan.find("COVERING INDEX assignments_queued") != std::string::npos);
    CHECK(read_int(*db, "SELECT count(*) FROM assignments WHERE queue IS NOT NULL AND state = 'open'") == 1);

    // The checks still refuse what they refused, written without IN lists.
    const std::string table_sql = read_text(*db, "SELECT sql FROM sqlite_master WHERE name = 'reports'");
    CHECK(table_sql.find(" IN (") == std::string::npos);
    const char* refused[] = {"channel = 'fax'", "state = 'lost'", "child_sex = 'x'", "contact_ok = 2",
                             "keep_identity_secret = -1", "child_age_estimated = 3"};
    for (const char* set : refused) {
        CAPTURE(set);
        auto r = await<std::int64_t>([&](auto done) {
            db->write<std::int64_t>(
                [set](connection& c) -> result<std::int64_t> {
                    if (auto x = c.exec(std::string("UPDATE reports SET ") + set + " WHERE id = 9"); !x)
                        return std::move(x).err();
                    return c.changes();
                },
                done);
        });
        CHECK_FALSE(r.has_value());
    }
    // And a new report goes in after the old one.
    CHECK(insert_ok(*db, bare_report(1)).id == 10);
}

namespace {

// The rows of `sql` with ?1 = `now` and ?2 = 100, as "k:id@due" joined by
// spaces, read on a reader thread.
std::string due_rows(database& db, std::string_view sql, std::int64_t now) {
    auto rows = await<std::string>([&](auto done) {
        db.read<std::string>(
            [sql, now](connection& c) -> result<std::string> {
                auto st = detail::prepare_bound(c, sql, now, std::int64_t{100});
                if (!st) return std::move(st).err();
                std::string all;
                auto each = detail::for_each_row(**st, [&](const statement& s) -> result<void> {
                    if (!all.empty()) all += ' ';
                    all += std::to_string(s.column_int64(0)) + ":" + std::to_string(s.column_int64(1)) + "@" +
                           std::to_string(s.column_int64(2));
                    return {};
                });
                if (!each) return std::move(each).err();
                return all;
            },
            done);
    });
    return ok(std::move(rows));
}

// What is due, by the definition of migration 5 (one condition per kind,
// read without any index), for comparison with detail::due_items_sql.
constexpr std::string_view due_by_definition =
    "SELECT k, id, due FROM ("
    "SELECT 1 AS k, id, ack_due_at AS due FROM assignments NOT INDEXED "
    "WHERE state = 'open' AND breached_at IS NULL AND ack_due_at IS NOT NULL AND ack_due_at <= ?1 "
    "UNION ALL SELECT 0, id, reminder_due_at FROM assignments NOT INDEXED "
    "WHERE state = 'open' AND reminded_at IS NULL AND reminder_due_at IS NOT NULL AND reminder_due_at <= ?1) "
    "ORDER BY due, k, id LIMIT ?2";

}  // namespace

TEST_CASE("migration 12: an open assignment waits in one index, under the earlier of its reminder and deadline") {
    temp_dir dir;
    const auto path = dir.file("hotline.db");
    {
        auto c = at_version(path, 11);
        ok(c.exec(
            "INSERT INTO reports (id, tracking_code, channel, received_at, state, text, child_sex, contact_ok, "
            "secret_salt, secret_hash) VALUES (1, 'ABCDEFGH', 'web', 0, 'routed', 'bao cu', 'unknown', 0, "
            "zeroblob(16), zeroblob(32))"));
        // id, state, reminder due, reminded, deadline, breached.
        ok(c.exec("INSERT INTO assignments (id, report_id, queue, unit_code, reason, created_at, state, "
                  "reminder_due_at, reminded_at, ack_due_at, breached_at) VALUES "
                  "(1, 1, 'province', '20', 'r', 0, 'open', 100, NULL, 200, NULL), "
                  "(2, 1, 'province', '20', 'r', 0, 'open', 100, 150, 200, NULL), "
                  "(3, 1, 'province', '20', 'r', 0, 'open', 100, NULL, 200, 250), "
                  "(4, 1, 'province', '20', 'r', 0, 'open', 100, 150, 200, 250), "
                  "(5, 1, 'province', '20', 'r', 0, 'open', NULL, NULL, 200, NULL), "
                  "(6, 1, 'province', '20', 'r', 0, 'open', 300, NULL, 200, NULL), "
                  "(7, 1, 'province', '20', 'r', 0, 'acknowledged', 100, NULL, 200, NULL), "
                  "(8, 1, 'province', '20', 'r', 0, 'open', NULL, NULL, NULL, NULL), "
                  "(9, 1, 'province', '20', 'r', 0, 'open', 200, NULL, 200, NULL), "
                  "(10, 1, 'province', '20', 'r', 0, 'open', 300, NULL, 200, 250)"));
    }
    auto db = open_db(dir);
    CHECK(read_int(*db, "PRAGMA user_version") == latest_schema_version());
    CHECK(read_text(*db, "SELECT group_concat(id || '=' || coalesce(next_due_at, '-'), ' ') FROM "
                         "(SELECT id, next_due_at FROM assignments ORDER BY id)") ==
          "1=100 2=200 3=100 4=- 5=200 6=200 7=100 8=- 9=200 10=300");
    CHECK(read_int(*db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                        "('assignments_ack_due', 'assignments_reminder_due')") == 0);
    CHECK(read_text(*db, "SELECT sql FROM sqlite_master WHERE name = 'assignments_due'") ==
          "CREATE INDEX assignments_due ON assignments (next_due_at) WHERE state = 'open' AND next_due_at IS NOT "
          "NULL");
    CHECK(read_text(*db, "PRAGMA integrity_check") == "ok");

    // Both scheduler queries read the partial indexes, and never scan a table.
    for (const std::string_view sql : {detail::next_due_sql, detail::due_items_sql}) {
        const auto plan = query_plan(*db, std::string(sql));
        CAPTURE(plan);
        CHECK(plan.find("USING INDEX assignments_due") != std::string::npos);
        CHECK(plan.find("USING INDEX reports_action_due") != std::string::npos);
        CHECK(plan.find("USING INDEX reports_plan_due") != std::string::npos);
        CHECK(plan.find("SCAN") == std::string::npos);
    }
    CHECK(read_int(*db, std::string(detail::next_due_sql)) == 100);
    // What falls due is what migration 5's definition says, at every instant
    // where something changes.
    for (const std::int64_t now : {99, 100, 149, 150, 199, 200, 249, 250, 299, 300, 1000}) {
        CAPTURE(now);
        CHECK(due_rows(*db, detail::due_items_sql, now) == due_rows(*db, due_by_definition, now));
    }
    CHECK(due_rows(*db, detail::due_items_sql, 250) == 
          "0:1@100 0:3@100 0:9@200 1:1@200 1:2@200 1:5@200 1:6@200 1:9@200");
}
