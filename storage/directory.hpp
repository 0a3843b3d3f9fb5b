#pragma once
// The contact directory and rosters in the database (tables `contacts`,
// `roster_shifts`, `roster_overrides` of migration 3).
//
// Every function here runs on a connection the caller got from
// database::write (writes) or database::read (reads), so a write is part
// of a group commit: when it fails, nothing of it is kept.
// Thread-safety: that of the connection (one thread at a time).
//
// Stored forms: contacts.channels is "sms", "webhook" or "sms;webhook";
// override dates are local "YYYY-MM-DD"; minutes since local midnight.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "routing/directory.hpp"
#include "routing/rules.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

struct stored_contact {
    std::int64_t id = 0;
    routing::contact contact;
    time_point updated_at;
};

struct import_summary {
    std::size_t added = 0;
    std::size_t updated = 0;
    std::size_t unchanged = 0;
};

// Adds or updates contacts by key (contacts not in the list are left as they
// are; deactivate with active = 0). `at` is recorded as updated_at of rows
// added or changed. The contacts are taken as given: check them first
// (routing::parse_contacts_csv, routing::check_contact); the table's CHECKs
// refuse only the grossest mistakes, and then the write fails whole.
result<import_summary> import_contacts(connection& c, std::span<const routing::contact> contacts, time_point at);

// Replaces the shifts and overrides of every contact the roster names by the
// ones given; other contacts' rosters stay. Fails with `unknown_contact`
// (field = the key, message naming it) when a key is not in the directory.
// Per contact named: added when it had no roster, updated when it had a
// different one, unchanged when it had the same (then nothing is written).
result<import_summary> import_roster(connection& c, const routing::roster& r);

// Replaces the whole roster of the contact `key` (every entry of `r` must
// name it, else `invalid_value`); an empty roster clears it. Returns whether
// anything changed. Fails with `not_found` when there is no such contact.
result<bool> replace_roster(connection& c, std::string_view key, const routing::roster& r);

// Every contact, active or not, by id (the order they were added in).
result<std::vector<stored_contact>> list_contacts(connection& c);
result<std::optional<stored_contact>> find_contact(connection& c, std::string_view key);
// The roster of one contact (by key), or of everybody when `key` is empty:
// shifts, then overrides, each by contact id and then as they were stored.
result<routing::roster> load_roster(connection& c, std::string_view key = {});

// What sql_directory read for on_duty, kept between calls so that routing
// does not query the directory again for a unit it has already seen: per
// role, unit and day, the active contacts with their shifts and the
// overrides near that day (whether they are on duty is still decided at each
// call's time). It is valid for one version of the directory: migration 9's
// `directory_version` row, which triggers move on every change to
// `contacts`, `roster_shifts` and `roster_overrides`, by any connection or
// process. A sql_directory reads that version once, at its first on_duty
// call, and empties the cache when it moved.
//
// The owner must call clear() whenever it rolls back a transaction (or a
// savepoint) in which the cache was used: what it read there never existed,
// and the version may come back to the same number with other contents.
// Holds at most a few thousand entries; past that it starts over. Not
// thread-safe: it belongs to one connection, on that connection's thread.
class duty_cache {
public:
    duty_cache();
    ~duty_cache();
    duty_cache(const duty_cache&) = delete;
    duty_cache& operator=(const duty_cache&) = delete;

    void clear() noexcept;
    std::size_t size() const noexcept;  // entries (role, unit, day) held

private:
    friend class sql_directory;
    struct impl;
    std::unique_ptr<impl> impl_;
};

// The directory as the router sees it, over an open connection (inside the
// intake transaction). Looks up active contacts of a role in a unit and
// evaluates their rosters with routing::on_duty, ordered by id (one cached
// statement per call; with a cache, one per role, unit and day while the
// directory does not change, plus one version read per instance). Holds
// references to the connection and the cache; use it only while that
// connection is in use by this thread, within one transaction.
class sql_directory final : public routing::directory_view {
public:
    explicit sql_directory(connection& c, duty_cache* cache = nullptr) noexcept : c_(c), cache_(cache) {}
    result<std::vector<routing::duty_contact>> on_duty(routing::role r, std::string_view unit_code,
                                                       time_point t) override;

private:
    connection& c_;
    duty_cache* cache_;
    bool version_checked_ = false;
    std::optional<std::chrono::local_days> day_;  // the day first_ and last_ are for
    std::string first_, last_;                    // the day before day_ and day_, as stored
};

}  // namespace hotline::storage
