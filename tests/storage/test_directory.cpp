#include "storage/directory.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "storage/database.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/vietnam_time.hpp"

using namespace hotline;
using namespace hotline::storage;
using namespace hotline::storage::test;
using hotline::test::date;
using hotline::test::temp_dir;
using hotline::test::vn;
using namespace std::chrono;
using routing::role;

namespace {

const hotline::time_point t0 = from_unix_ms(1751328000000);  // 2025-07-01 00:00:00 UTC

routing::contact person(std::string key, role r = role::commune_child_protection, std::string unit = "05983",
                        std::string phone = "+84300100001") {
    routing::contact c;
    c.key = std::move(key);
    c.name = "Người Thử " + c.key;
    c.role = r;
    c.unit_code = std::move(unit);
    c.phone = std::move(phone);
    return c;
}

routing::weekly_shift weekly(std::string key, std::uint8_t days, int start, int end) {
    return routing::weekly_shift{std::move(key), days, start, end};
}

routing::roster_override leave(std::string key, local_days from, local_days to, bool on = false) {
    routing::roster_override o;
    o.contact_key = std::move(key);
    o.on_duty = on;
    o.from = from;
    o.to = to;
    return o;
}

template <class T>
result<T> write(database& db, std::function<result<T>(connection&)> job) {
    return await<T>([&](auto done) { db.write<T>(std::move(job), done); });
}

template <class T>
result<T> read(database& db, std::function<result<T>(connection&)> job) {
    return await<T>([&](auto done) { db.read<T>(std::move(job), done); });
}

import_summary add_contacts(database& db, std::vector<routing::contact> cs, hotline::time_point at = t0) {
    return ok(write<import_summary>(db, [cs, at](connection& c) { return import_contacts(c, cs, at); }));
}

result<import_summary> add_roster(database& db, routing::roster r) {
    return write<import_summary>(db, [r](connection& c) { return import_roster(c, r); });
}

routing::roster roster_of(database& db, std::string key = {}) {
    return ok(read<routing::roster>(db, [key](connection& c) { return load_roster(c, key); }));
}

std::vector<std::string> on_duty_keys(database& db, role r, std::string unit, hotline::time_point t) {
    auto found = ok(read<std::vector<routing::duty_contact>>(db, [=](connection& c) {
        sql_directory d(c);
        return d.on_duty(r, unit, t);
    }));
    std::vector<std::string> keys;
    for (const auto& k : found) {
        CHECK(k.role == r);
        CHECK(k.unit_code == unit);
        CHECK(k.id > 0);
        keys.push_back(k.key);
    }
    return keys;
}

using keys = std::vector<std::string>;

bool same(const import_summary& s, std::size_t added, std::size_t updated, std::size_t unchanged) {
    return s.added == added && s.updated == updated && s.unchanged == unchanged;
}

}  // namespace

TEST_CASE("directory storage: contacts are added, updated and left unchanged by key") {
    temp_dir dir;
    auto db = open_db(dir);
    auto a = person("a");
    auto b = person("b", role::province_coordinator, "20", "+84300100002");
    b.webhook = true;
    b.webhook_url = "https://hooks.example.org/b";
    CHECK(same(add_contacts(*db, {a, b}), 2, 0, 0));
    CHECK(same(add_contacts(*db, {a, b}, t0 + hours(1)), 0, 0, 2));

    auto a2 = a;
    a2.name = "Người Thử đổi tên";
    a2.active = false;
    auto c = person("c", role::hotline_supervisor, "VN", "+84300100003");
    CHECK(same(add_contacts(*db, {a2, c}, t0 + hours(2)), 1, 1, 0));

    auto all = ok(read<std::vector<stored_contact>>(*db, [](connection& k) { return list_contacts(k); }));
    REQUIRE(all.size() == 3);
    CHECK(all[0].contact == a2);
    CHECK(all[0].updated_at == t0 + hours(2));
    CHECK(all[1].contact == b);  // not in the second import: left as it was
    CHECK(all[1].updated_at == t0);
    CHECK(all[2].contact == c);
    CHECK(all[0].id < all[1].id);
    CHECK(all[1].id < all[2].id);
    CHECK(read_text(*db, "SELECT channels FROM contacts WHERE key = 'b'") == "sms;webhook");

    auto found = ok(read<std::optional<stored_contact>>(*db, [](connection& k) { return find_contact(k, "b"); }));
    REQUIRE(found.has_value());
    CHECK(found->id == all[1].id);
    auto none = ok(read<std::optional<stored_contact>>(*db, [](connection& k) { return find_contact(k, "zz"); }));
    CHECK_FALSE(none.has_value());
}

TEST_CASE("directory storage: an import that fails keeps nothing") {
    temp_dir dir;
    auto db = open_db(dir);
    auto good = person("good");
    auto bad = person("bad");
    bad.phone = "0912345678";  // not E.164: refused by the table's CHECK
    auto r = write<import_summary>(*db, [&](connection& c) {
        const std::vector<routing::contact> cs{good, bad};
        return import_contacts(c, cs, t0);
    });
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "storage_failure");
    CHECK(read_int(*db, "SELECT count(*) FROM contacts") == 0);
    // The database goes on working.
    CHECK(same(add_contacts(*db, {good}), 1, 0, 0));
}

TEST_CASE("directory storage: rosters replace each named contact's entries, others stay") {
    temp_dir dir;
    auto db = open_db(dir);
    add_contacts(*db, {person("a"), person("b"), person("c")});

    routing::roster first;
    first.shifts = {weekly("a", 0x1f, 450, 1020), weekly("b", 0x7f, 1020, 450), weekly("a", 0x60, 0, 0)};
    first.overrides = {leave("a", date(2025, 7, 14), date(2025, 7, 18))};
    first.overrides[0].note = "nghỉ phép";
    CHECK(same(ok(add_roster(*db, first)), 2, 0, 0));
    CHECK(same(ok(add_roster(*db, first)), 0, 0, 2));  // the same again writes nothing

    // Shifts by contact, then as stored.
    auto all = roster_of(*db);
    REQUIRE(all.shifts.size() == 3);
    CHECK(all.shifts[0] == first.shifts[0]);
    CHECK(all.shifts[1] == first.shifts[2]);
    CHECK(all.shifts[2] == first.shifts[1]);
    CHECK(all.overrides == first.overrides);

    routing::roster second;
    second.shifts = {weekly("b", 0x7f, 0, 0)};
    second.overrides = {leave("c", date(2025, 8, 1), date(2025, 8, 1), true)};
    CHECK(same(ok(add_roster(*db, second)), 1, 1, 0));
    auto a = roster_of(*db, "a");
    CHECK(a.shifts.size() == 2);  // not named: kept
    CHECK(a.overrides.size() == 1);
    auto b = roster_of(*db, "b");
    CHECK(b.shifts == second.shifts);
    CHECK(b.overrides.empty());
    CHECK(roster_of(*db, "c").overrides == second.overrides);
    CHECK(roster_of(*db, "nobody").shifts.empty());
}

TEST_CASE("directory storage: a roster naming an unknown contact changes nothing") {
    temp_dir dir;
    auto db = open_db(dir);
    add_contacts(*db, {person("a")});
    routing::roster r;
    r.shifts = {weekly("a", 0x7f, 0, 0), weekly("ghost", 0x7f, 0, 0)};
    auto out = add_roster(*db, r);
    REQUIRE_FALSE(out.has_value());
    CHECK(out.err().code == "unknown_contact");
    CHECK(out.err().field == "ghost");
    CHECK(out.err().message.find("\"ghost\"") != std::string::npos);
    CHECK(read_int(*db, "SELECT count(*) FROM roster_shifts") == 0);
}

TEST_CASE("directory storage: replace_roster sets or clears one contact's roster") {
    temp_dir dir;
    auto db = open_db(dir);
    add_contacts(*db, {person("a"), person("b")});
    routing::roster r;
    r.shifts = {weekly("a", 0x1f, 480, 1020)};
    const auto replace = [&](std::string key, routing::roster x) {
        return write<bool>(*db, [key, x](connection& c) { return replace_roster(c, key, x); });
    };
    CHECK(ok(replace("a", r)) == true);
    CHECK(ok(replace("a", r)) == false);
    CHECK(roster_of(*db, "a") == r);
    auto wrong = replace("b", r);  // entries naming another contact
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.err().code == "invalid_value");
    auto missing = replace("zz", {});
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.err().code == "not_found");
    CHECK(ok(replace("a", {})) == true);
    CHECK(roster_of(*db, "a").shifts.empty());
}

TEST_CASE("directory storage: who is on duty for a role in a unit") {
    temp_dir dir;
    auto db = open_db(dir);
    // Ward 05983: a day officer, a night officer, one on leave, one inactive;
    // the police and another ward are not asked for.
    auto inactive = person("retired");
    inactive.active = false;
    add_contacts(*db, {person("day"), person("night"), person("leave"), inactive, person("police", role::commune_police),
                 person("elsewhere", role::commune_child_protection, "05977"), person("nobody")});
    routing::roster r;
    r.shifts = {weekly("day", 0x7f, 7 * 60, 19 * 60),   weekly("night", 0x7f, 19 * 60, 7 * 60),
                weekly("leave", 0x7f, 0, 0),            weekly("retired", 0x7f, 0, 0),
                weekly("police", 0x7f, 0, 0),           weekly("elsewhere", 0x7f, 0, 0)};
    r.overrides = {leave("leave", date(2025, 7, 8), date(2025, 7, 9)),
                   leave("leave", date(2024, 1, 1), date(2024, 12, 31), true)};  // long past
    // An extra duty for the day officer on the night of 10 July, into the 11th.
    auto extra = leave("day", date(2025, 7, 10), date(2025, 7, 10), true);
    extra.start_minute = 22 * 60;
    extra.end_minute = 2 * 60;
    r.overrides.push_back(extra);
    ok(add_roster(*db, r));

    const auto cp = role::commune_child_protection;
    CHECK(on_duty_keys(*db, cp, "05983", vn(2025, 7, 7, 10)) == keys{"day", "leave"});
    CHECK(on_duty_keys(*db, cp, "05983", vn(2025, 7, 8, 10)) == keys{"day"});
    CHECK(on_duty_keys(*db, cp, "05983", vn(2025, 7, 8, 23)) == keys{"night"});
    CHECK(on_duty_keys(*db, cp, "05983", vn(2025, 7, 10, 3)) == keys{"night", "leave"});
    CHECK(on_duty_keys(*db, cp, "05983", vn(2025, 7, 11, 1)) == keys{"day", "night", "leave"});
    CHECK(on_duty_keys(*db, cp, "05983", vn(2025, 7, 11, 2)) == keys{"night", "leave"});
    CHECK(on_duty_keys(*db, role::commune_police, "05983", vn(2025, 7, 8, 10)) == keys{"police"});
    CHECK(on_duty_keys(*db, role::commune_chair, "05983", vn(2025, 7, 8, 10)).empty());
    CHECK(on_duty_keys(*db, cp, "06463", vn(2025, 7, 8, 10)).empty());

    // The same inside a write (the intake transaction), the cached statements reused.
    auto in_write = ok(write<std::size_t>(*db, [](connection& c) -> result<std::size_t> {
        sql_directory d(c);
        std::size_t n = 0;
        for (int h = 0; h < 48; ++h) {
            auto found = d.on_duty(role::commune_child_protection, "05983", vn(2025, 7, 8, 0) + hours(h));
            if (!found) return std::move(found).err();
            n += found->size();
        }
        return n;
    }));
    // 8-9 July: "leave" is off; exactly one of day/night covers every hour.
    CHECK(in_write == 48);

    // Through a cache: the same answers at every hour of five days, one entry
    // per role, unit and day asked for.
    duty_cache cache;
    auto differences = ok(write<std::size_t>(*db, [&cache](connection& c) -> result<std::size_t> {
        std::size_t n = 0;
        for (int h = 0; h < 5 * 24; ++h) {
            const auto t = vn(2025, 7, 7, 0) + hours(h);
            for (auto r : {role::commune_child_protection, role::commune_police, role::commune_chair}) {
                sql_directory plain(c);
                sql_directory cached(c, &cache);
                auto want = plain.on_duty(r, "05983", t);
                auto got = cached.on_duty(r, "05983", t);
                if (!want) return std::move(want).err();
                if (!got) return std::move(got).err();
                std::vector<std::string> a, b;
                for (const auto& k : *want) a.push_back(k.key + "/" + std::to_string(k.id));
                for (const auto& k : *got) b.push_back(k.key + "/" + std::to_string(k.id));
                if (a != b) ++n;
            }
        }
        return n;
    }));
    CHECK(differences == 0);
    CHECK(cache.size() == 3 * 5);
}

TEST_CASE("directory storage: every change to contacts and rosters moves the directory version") {
    temp_dir dir;
    auto db = open_db(dir);
    auto version = [&] { return read_int(*db, "SELECT version FROM directory_version"); };
    auto run = [&](std::string sql) {
        ok(write<bool>(*db, [sql](connection& c) -> result<bool> {
            if (auto r = c.exec(sql); !r) return std::move(r).err();
            return true;
        }));
    };
    CHECK(version() == 0);
    std::int64_t last = 0;
    auto moved = [&] {
        const auto v = version();
        const bool m = v > last;
        last = v;
        return m;
    };
    add_contacts(*db, {person("a")});
    CHECK(moved());
    run("UPDATE contacts SET name = 'Người Khác' WHERE key = 'a'");
    CHECK(moved());
    run("INSERT INTO roster_shifts (contact_id, days, start_minute, end_minute) SELECT id, 1, 0, 60 FROM contacts");
    CHECK(moved());
    run("UPDATE roster_shifts SET end_minute = 120");
    CHECK(moved());
    run("DELETE FROM roster_shifts");
    CHECK(moved());
    run("INSERT INTO roster_overrides (contact_id, kind, from_date, to_date) "
        "SELECT id, 'off', '2025-07-01', '2025-07-02' FROM contacts");
    CHECK(moved());
    run("UPDATE roster_overrides SET to_date = '2025-07-03'");
    CHECK(moved());
    run("DELETE FROM roster_overrides");
    CHECK(moved());
    run("DELETE FROM contacts");
    CHECK(moved());
    // Other tables leave it.
    run("UPDATE write_probe SET writes = writes + 1");
    CHECK_FALSE(moved());
}

TEST_CASE("directory storage: a cache emptied after a rollback never answers from what was rolled back") {
    temp_dir dir;
    auto db = open_db(dir);
    add_contacts(*db, {person("a"), person("b")});
    routing::roster r;
    r.shifts = {weekly("a", 0x7f, 0, 0)};
    ok(add_roster(*db, r));
    const auto t = vn(2025, 7, 7, 10);

    auto conn = ok(connection::open(dir.file("hotline.db"), open_mode::read_write));
    ok(conn.busy_timeout(std::chrono::milliseconds(5000)));
    auto keys_with = [&](duty_cache& cache) {
        sql_directory d(conn, &cache);
        std::vector<std::string> out;
        for (const auto& k : ok(d.on_duty(role::commune_child_protection, "05983", t))) out.push_back(k.key);
        return out;
    };
    // In a transaction that is rolled back, "a" goes off duty and "b" on: the
    // version moves by two, and the cache reads that state.
    auto in_rolled_back = [&](duty_cache& cache) {
        ok(conn.exec("BEGIN"));
        ok(conn.exec("DELETE FROM roster_shifts"));
        ok(conn.exec("INSERT INTO roster_shifts (contact_id, days, start_minute, end_minute) "
                     "SELECT id, 127, 0, 0 FROM contacts WHERE key = 'b'"));
        CHECK(keys_with(cache) == keys{"b"});
        ok(conn.exec("ROLLBACK"));
    };
    // Then someone else makes two other changes: the version is the same
    // number again, the directory is not.
    auto two_other_changes = [&] {
        ok(write<bool>(*db, [](connection& c) -> result<bool> {
            if (auto x = c.exec("UPDATE contacts SET name = 'Một' WHERE key = 'a'"); !x) return std::move(x).err();
            if (auto x = c.exec("UPDATE contacts SET name = 'Hai' WHERE key = 'a'"); !x) return std::move(x).err();
            return true;
        }));
    };

    duty_cache cache;
    CHECK(keys_with(cache) == keys{"a"});
    in_rolled_back(cache);
    cache.clear();  // what the owner must do
    two_other_changes();
    CHECK(keys_with(cache) == keys{"a"});

    // Without clear() the cache would answer from the rolled-back state: the
    // reason the contract asks for it.
    duty_cache careless;
    CHECK(keys_with(careless) == keys{"a"});
    in_rolled_back(careless);
    two_other_changes();
    CHECK(keys_with(careless) == keys{"b"});
}
