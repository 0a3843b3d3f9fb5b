#include "storage/officers.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/directory.hpp"
#include "storage/escalation.hpp"
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

const time_point t0 = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z, 11:00 in Hanoi

constexpr const char* ward = "05983";
constexpr const char* province = "20";

intake::secret_key link_key() {
    intake::secret_key k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 13 + 1);
    return k;
}

std::vector<staff> people() {
    return {
        {"ls-cp", role::commune_child_protection, ward},
        {"ls-police", role::commune_police, ward},
        {"ls-chair", role::commune_chair, ward},
        {"ls-cp-off", role::commune_child_protection, ward, false},
        {"other-cp", role::commune_child_protection, "05984"},
        {"ls-coord", role::province_coordinator, province},
        {"ls-ppolice", role::province_police, province},
        {"hotline-sup", role::hotline_supervisor, "VN"},
    };
}

const deadline_policy& deadlines() {
    static const deadline_policy p;
    return p;
}

receipt insert(database& db) { return insert_routed(db, intake::urgency::emergency, t0, &deadlines()); }

std::int64_t n(database& db, const std::string& sql) { return read_int(db, sql); }

std::int64_t contact_id(database& db, const std::string& key) {
    return n(db, "SELECT id FROM contacts WHERE key = '" + key + "'");
}

std::int64_t assignment_of(database& db, std::uint64_t report, const std::string& key) {
    return n(db, "SELECT a.id FROM assignments AS a JOIN contacts AS k ON k.id = a.contact_id WHERE a.report_id = " +
                     std::to_string(report) + " AND k.key = '" + key + "' ORDER BY a.id LIMIT 1");
}

template <class T, class F>
result<T> in_write(database& db, F f) {
    return await<T>([&](auto done) { db.write<T>(f, done); });
}

ack_permission permission(database& db, std::int64_t assignment, const std::string& key, time_point at = t0) {
    const std::int64_t who = contact_id(db, key);
    return ok(in_write<ack_permission>(
        db, [=](connection& c) { return may_acknowledge(c, assignment, who, at); }));
}

std::int64_t queue_assignment(database& db, std::uint64_t report, const std::string& queue, const std::string& unit) {
    return ok(in_write<std::int64_t>(db, [=](connection& c) -> result<std::int64_t> {
        auto st = c.prepare(
            "INSERT INTO assignments (report_id, queue, unit_code, reason, created_at) VALUES (?1, ?2, ?3, 'test', ?4)");
        if (!st) return std::move(st).err();
        (void)st->bind(1, static_cast<std::int64_t>(report));
        (void)st->bind(2, queue);
        (void)st->bind(3, unit);
        (void)st->bind(4, to_unix_ms(t0));
        if (auto r = st->run(); !r) return std::move(r).err();
        return c.last_insert_rowid();
    }));
}

std::string link_for(database& db, std::int64_t assignment, std::int64_t contact, time_point expires) {
    return ok(in_write<std::string>(db, [=](connection& c) {
        return create_ack_link(c, assignment, contact, t0, expires, link_key());
    }));
}

std::optional<ack_link> find(database& db, const std::string& token) {
    return ok(await<std::optional<ack_link>>([&](auto done) {
        db.read<std::optional<ack_link>>([token](connection& c) { return find_ack_link(c, token, link_key()); },
                                         done);
    }));
}

result<void> use(database& db, std::int64_t link, time_point at) {
    return in_write<void>(db, [=](connection& c) { return use_ack_link(c, link, at); });
}

}  // namespace

TEST_CASE("officer tokens: stored only as a hash, found by the token, revoked for good") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, people(), t0);

    auto issued = ok(in_write<issued_token>(*db, [](connection& c) {
        return create_officer_token(c, "ls-cp", "phone", t0);
    }));
    CHECK(issued.token.size() == 43);
    CHECK(issued.token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);

    // The token's text is nowhere in the table, nor in the file.
    CHECK(n(*db, "SELECT count(*) FROM officer_tokens") == 1);
    CHECK(n(*db, "SELECT count(*) FROM officer_tokens WHERE instr(CAST(token_hash AS TEXT), '" + issued.token +
                     "') > 0 OR instr(coalesce(label, ''), '" + issued.token + "') > 0") == 0);
    CHECK(n(*db, "SELECT length(token_hash) FROM officer_tokens") == 32);
    CHECK(read_text(*db, "SELECT label FROM officer_tokens") == "phone");

    const auto lookup = [&](const std::string& token) {
        return ok(await<std::optional<std::int64_t>>([&](auto done) {
            db->read<std::optional<std::int64_t>>([token](connection& c) { return contact_for_token(c, token); },
                                                  done);
        }));
    };
    CHECK(lookup(issued.token) == contact_id(*db, "ls-cp"));
    std::string other = issued.token;
    other[5] = other[5] == 'A' ? 'B' : 'A';
    CHECK_FALSE(lookup(other).has_value());
    CHECK_FALSE(lookup("").has_value());
    CHECK_FALSE(lookup(issued.token + "x").has_value());
    CHECK_FALSE(lookup(std::string(43, '!')).has_value());

    // Two tokens for the same contact both work until revoked together.
    auto second = ok(in_write<issued_token>(*db, [](connection& c) { return create_officer_token(c, "ls-cp", "", t0); }));
    CHECK(second.token != issued.token);
    CHECK(lookup(second.token) == contact_id(*db, "ls-cp"));
    CHECK(ok(in_write<std::size_t>(*db, [](connection& c) { return revoke_officer_tokens(c, "ls-cp", t0 + 1h); })) ==
          2);
    CHECK_FALSE(lookup(issued.token).has_value());
    CHECK_FALSE(lookup(second.token).has_value());
    CHECK(ok(in_write<std::size_t>(*db, [](connection& c) { return revoke_officer_tokens(c, "ls-cp", t0 + 2h); })) ==
          0);

    // Unknown contact; a contact made inactive loses its live tokens.
    auto unknown = in_write<issued_token>(*db, [](connection& c) { return create_officer_token(c, "nobody", "", t0); });
    REQUIRE_FALSE(unknown);
    CHECK(unknown.err().code == "not_found");
    auto police = ok(in_write<issued_token>(*db, [](connection& c) {
        return create_officer_token(c, "ls-police", "", t0);
    }));
    CHECK(lookup(police.token) == contact_id(*db, "ls-police"));
    write_text(*db, "UPDATE contacts SET active = 0 WHERE key = 'ls-police' RETURNING key");
    CHECK_FALSE(lookup(police.token).has_value());
    auto inactive = in_write<issued_token>(*db, [](connection& c) { return create_officer_token(c, "ls-police", "", t0); });
    REQUIRE_FALSE(inactive);
    CHECK(inactive.err().code == "inactive_contact");
}

TEST_CASE("may_acknowledge: the assignee, an on-duty colleague of the same unit, nobody else") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, people(), t0);
    const auto r = insert(*db);
    const std::int64_t cp = assignment_of(*db, r.id, "ls-cp");

    CHECK(permission(*db, cp, "ls-cp") == ack_permission::assignee);
    CHECK(permission(*db, cp, "ls-police") == ack_permission::colleague_on_duty);  // assignee elsewhere, same unit
    CHECK(permission(*db, cp, "ls-chair") == ack_permission::colleague_on_duty);
    CHECK(permission(*db, cp, "ls-cp-off") == ack_permission::refused);  // same unit, not on duty
    CHECK(permission(*db, cp, "other-cp") == ack_permission::refused);   // another commune
    CHECK(permission(*db, cp, "ls-coord") == ack_permission::refused);   // the province is not the unit

    // Off duty by an override: refused; the assignee stays allowed whatever its roster.
    write_text(*db,
               "INSERT INTO roster_overrides (contact_id, kind, from_date, to_date, note) SELECT id, 'off', "
               "'2026-07-01', '2026-07-01', '' FROM contacts WHERE key IN ('ls-chair', 'ls-cp') RETURNING 'x'");
    CHECK(permission(*db, cp, "ls-chair") == ack_permission::refused);
    CHECK(permission(*db, cp, "ls-chair", t0 + 24h) == ack_permission::colleague_on_duty);
    CHECK(permission(*db, cp, "ls-cp") == ack_permission::assignee);

    // An inactive colleague is refused.
    write_text(*db, "UPDATE contacts SET active = 0 WHERE key = 'ls-police' RETURNING key");
    CHECK(permission(*db, cp, "ls-police") == ack_permission::refused);

    // Queues: only the queue's role, of that unit, on duty.
    const std::int64_t pq = queue_assignment(*db, r.id, "province", province);
    CHECK(permission(*db, pq, "ls-coord") == ack_permission::colleague_on_duty);
    CHECK(permission(*db, pq, "ls-ppolice") == ack_permission::refused);
    CHECK(permission(*db, pq, "hotline-sup") == ack_permission::refused);
    const std::int64_t hq = queue_assignment(*db, r.id, "hotline", "VN");
    CHECK(permission(*db, hq, "hotline-sup") == ack_permission::colleague_on_duty);
    CHECK(permission(*db, hq, "ls-coord") == ack_permission::refused);

    auto missing = in_write<ack_permission>(*db, [](connection& c) { return may_acknowledge(c, 999999, 1, t0); });
    REQUIRE_FALSE(missing);
    CHECK(missing.err().code == "not_found");
    auto nobody = in_write<ack_permission>(*db, [cp](connection& c) { return may_acknowledge(c, cp, 999999, t0); });
    REQUIRE_FALSE(nobody);
    CHECK(nobody.err().code == "not_found");
}

TEST_CASE("ack links: valid once, until they expire, forged and unknown tokens name nothing") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, people(), t0);
    const auto r = insert(*db);
    const std::int64_t cp = assignment_of(*db, r.id, "ls-cp");
    const std::int64_t who = contact_id(*db, "ls-cp");

    const std::string token = link_for(*db, cp, who, t0 + 24h);
    CHECK(token.size() == 20);
    CHECK(token.find_first_not_of(intake::tracking_alphabet) == std::string::npos);

    auto found = find(*db, token);
    REQUIRE(found.has_value());
    CHECK(found->assignment_id == cp);
    CHECK(found->contact_id == who);
    CHECK(found->expires_at == t0 + 24h);
    CHECK_FALSE(found->used_at.has_value());

    // Lower case is the same link (people retype them).
    std::string lower = token;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    CHECK(find(*db, lower).has_value());

    // Forged: every single-symbol change of the MAC or the id is refused.
    for (std::size_t i = 0; i < token.size(); ++i) {
        std::string forged = token;
        forged[i] = forged[i] == '2' ? '3' : '2';
        CHECK_FALSE(find(*db, forged).has_value());
    }
    CHECK_FALSE(find(*db, "").has_value());
    CHECK_FALSE(find(*db, token.substr(1)).has_value());
    CHECK_FALSE(find(*db, token + "2").has_value());
    CHECK_FALSE(find(*db, std::string(20, '0')).has_value());

    // A token made under another key names nothing.
    intake::secret_key other = link_key();
    other[0] ^= 1;
    const std::string foreign = ok(in_write<std::string>(*db, [=](connection& c) {
        return create_ack_link(c, cp, who, t0, t0 + 24h, other);
    }));
    CHECK_FALSE(find(*db, foreign).has_value());

    // Single use: the first use wins, the second is told it was used.
    ok(use(*db, found->id, t0 + 1min));
    auto again = use(*db, found->id, t0 + 2min);
    REQUIRE_FALSE(again);
    CHECK(again.err().code == "link_used");
    auto used = find(*db, token);
    REQUIRE(used.has_value());
    REQUIRE(used->used_at.has_value());
    CHECK(*used->used_at == t0 + 1min);

    // Expired: refused at and after its expiry, and it stays unused.
    const std::string brief = link_for(*db, cp, who, t0 + 10min);
    auto b = find(*db, brief);
    REQUIRE(b.has_value());
    auto late = use(*db, b->id, t0 + 10min);
    REQUIRE_FALSE(late);
    CHECK(late.err().code == "link_expired");
    CHECK_FALSE(find(*db, brief)->used_at.has_value());

    auto missing = use(*db, 999999, t0);
    REQUIRE_FALSE(missing);
    CHECK(missing.err().code == "not_found");
}

TEST_CASE("ack links: two uses in one batch, only the first succeeds") {
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db, people(), t0);
    const auto r = insert(*db);
    const std::int64_t cp = assignment_of(*db, r.id, "ls-cp");
    const std::string token = link_for(*db, cp, contact_id(*db, "ls-cp"), t0 + 1h);
    const auto link = find(*db, token);
    REQUIRE(link.has_value());

    std::promise<result<void>> p1, p2;
    db->write<void>([id = link->id](connection& c) { return use_ack_link(c, id, t0 + 1min); },
                    [&](result<void> x) { p1.set_value(std::move(x)); });
    db->write<void>([id = link->id](connection& c) { return use_ack_link(c, id, t0 + 1min); },
                    [&](result<void> x) { p2.set_value(std::move(x)); });
    auto a = p1.get_future().get();
    auto b = p2.get_future().get();
    CHECK(a.has_value());
    REQUIRE_FALSE(b.has_value());
    CHECK(b.err().code == "link_used");
}
