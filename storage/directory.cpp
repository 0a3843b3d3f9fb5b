#include "storage/directory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "routing/time.hpp"
#include "storage/detail/sql.hpp"

namespace hotline::storage {

namespace {

using detail::failure;
using detail::for_each_row;
using detail::next_row;
using detail::prepare_bound;
using detail::run_bound;

#define HOTLINE_CONTACT_COLUMNS "id, key, name, role, unit_code, phone, channels, webhook_url, active, updated_at"

std::string_view channels_column(const routing::contact& c) noexcept {
    if (c.sms && c.webhook) return "sms;webhook";
    if (c.webhook) return "webhook";
    return "sms";
}

// A row of HOTLINE_CONTACT_COLUMNS.
result<stored_contact> read_contact(const statement& st) {
    stored_contact out;
    out.id = st.column_int64(0);
    auto& c = out.contact;
    c.key = st.column_text(1);
    c.name = st.column_text(2);
    const auto role = routing::parse_role(st.column_text_view(3));
    if (!role) return failure(fmt::format("contact {} has an unknown role", out.id));
    c.role = *role;
    c.unit_code = st.column_text(4);
    c.phone = st.column_text(5);
    const auto channels = st.column_text_view(6);
    c.sms = channels.find("sms") != std::string_view::npos;
    c.webhook = channels.find("webhook") != std::string_view::npos;
    c.webhook_url = st.column_optional_text(7).value_or("");
    c.active = st.column_int64(8) != 0;
    out.updated_at = from_unix_ms(st.column_int64(9));
    return out;
}

result<std::optional<stored_contact>> contact_by_key(connection& c, std::string_view key) {
    using out = std::optional<stored_contact>;
    auto st = prepare_bound(c, "SELECT " HOTLINE_CONTACT_COLUMNS " FROM contacts WHERE key = ?1", key);
    if (!st) return std::move(st).err();
    auto row = next_row(**st);
    if (!row) return std::move(row).err();
    if (!*row) return out{};
    auto found = read_contact(**st);
    if (!found) return std::move(found).err();
    return out{std::move(*found)};
}

result<std::optional<std::int64_t>> contact_id(connection& c, std::string_view key) {
    using out = std::optional<std::int64_t>;
    auto st = prepare_bound(c, "SELECT id FROM contacts WHERE key = ?1", key);
    if (!st) return std::move(st).err();
    auto row = next_row(**st);
    if (!row) return std::move(row).err();
    if (!*row) return out{};
    return out{(*st)->column_int64(0)};
}

std::optional<int> optional_minute(const statement& st, int col) {
    if (st.column_is_null(col)) return std::nullopt;
    return static_cast<int>(st.column_int64(col));
}

// The period of an override: its dates (YYYY-MM-DD) in columns `dates` and
// `dates` + 1, its optional window's minutes in `minutes` and `minutes` + 1.
result<void> read_override_period(const statement& st, int dates, int minutes, routing::roster_override& o) {
    const auto from = routing::parse_date(st.column_text_view(dates));
    const auto to = routing::parse_date(st.column_text_view(dates + 1));
    if (!from || !to) return failure("a roster override has a malformed date");
    o.from = *from;
    o.to = *to;
    o.start_minute = optional_minute(st, minutes);
    o.end_minute = optional_minute(st, minutes + 1);
    return {};
}

// Shifts and overrides of the contacts `where` selects ("" for all), the
// key bound as ?1 when given.
result<routing::roster> read_roster(connection& c, std::string_view key) {
    routing::roster out;
    const bool one = !key.empty();
    {
        auto st = one ? prepare_bound(c,
                                      "SELECT c.key, s.days, s.start_minute, s.end_minute FROM roster_shifts AS s "
                                      "JOIN contacts AS c ON c.id = s.contact_id WHERE c.key = ?1 "
                                      "ORDER BY s.contact_id, s.id",
                                      key)
                      : prepare_bound(c,
                                      "SELECT c.key, s.days, s.start_minute, s.end_minute FROM roster_shifts AS s "
                                      "JOIN contacts AS c ON c.id = s.contact_id ORDER BY s.contact_id, s.id");
        if (!st) return std::move(st).err();
        auto read = for_each_row(**st, [&](const statement& r) -> result<void> {
            out.shifts.push_back(routing::weekly_shift{r.column_text(0), static_cast<std::uint8_t>(r.column_int64(1)),
                                                       static_cast<int>(r.column_int64(2)),
                                                       static_cast<int>(r.column_int64(3))});
            return {};
        });
        if (!read) return std::move(read).err();
    }
    auto st = one ? prepare_bound(c,
                                  "SELECT c.key, o.kind, o.from_date, o.to_date, o.start_minute, o.end_minute, o.note "
                                  "FROM roster_overrides AS o JOIN contacts AS c ON c.id = o.contact_id "
                                  "WHERE c.key = ?1 ORDER BY o.contact_id, o.id",
                                  key)
                  : prepare_bound(c,
                                  "SELECT c.key, o.kind, o.from_date, o.to_date, o.start_minute, o.end_minute, o.note "
                                  "FROM roster_overrides AS o JOIN contacts AS c ON c.id = o.contact_id "
                                  "ORDER BY o.contact_id, o.id");
    if (!st) return std::move(st).err();
    auto read = for_each_row(**st, [&](const statement& r) -> result<void> {
        routing::roster_override o;
        o.contact_key = r.column_text(0);
        o.on_duty = r.column_text_view(1) == "on";
        if (auto period = read_override_period(r, 2, 4, o); !period) return period;
        o.note = r.column_optional_text(6).value_or("");
        out.overrides.push_back(std::move(o));
        return {};
    });
    if (!read) return std::move(read).err();
    return out;
}

// Writes the entries of `r` for the contact `id` after removing its old ones.
result<void> write_roster(connection& c, std::int64_t id, const std::vector<const routing::weekly_shift*>& shifts,
                          const std::vector<const routing::roster_override*>& overrides) {
    if (auto r = run_bound(c, "DELETE FROM roster_shifts WHERE contact_id = ?1", id); !r) return r;
    if (auto r = run_bound(c, "DELETE FROM roster_overrides WHERE contact_id = ?1", id); !r) return r;
    for (const auto* s : shifts)
        if (auto r = run_bound(c,
                               "INSERT INTO roster_shifts (contact_id, days, start_minute, end_minute) "
                               "VALUES (?1, ?2, ?3, ?4)",
                               id, static_cast<std::int64_t>(s->days), s->start_minute, s->end_minute);
            !r)
            return r;
    for (const auto* o : overrides) {
        const std::string from = routing::format_date(o->from);
        const std::string to = routing::format_date(o->to);
        std::optional<std::string_view> note;
        if (!o->note.empty()) note = o->note;
        if (auto r = run_bound(c,
                               "INSERT INTO roster_overrides (contact_id, kind, from_date, to_date, start_minute, "
                               "end_minute, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                               id, std::string_view(o->on_duty ? "on" : "off"), from, to, o->start_minute,
                               o->end_minute, note);
            !r)
            return r;
    }
    return {};
}

// One contact's part of a roster, by pointer (the roster outlives it).
struct roster_part {
    std::int64_t id = 0;
    std::string key;
    std::vector<const routing::weekly_shift*> shifts;
    std::vector<const routing::roster_override*> overrides;
};

bool same_entries(const routing::roster& stored, const roster_part& p) {
    if (stored.shifts.size() != p.shifts.size() || stored.overrides.size() != p.overrides.size()) return false;
    for (std::size_t i = 0; i < p.shifts.size(); ++i)
        if (!(stored.shifts[i] == *p.shifts[i])) return false;
    for (std::size_t i = 0; i < p.overrides.size(); ++i)
        if (!(stored.overrides[i] == *p.overrides[i])) return false;
    return true;
}

// Replaces one contact's roster unless it is the same; what happened.
enum class change { added, updated, unchanged };

result<change> apply_part(connection& c, const roster_part& p) {
    auto stored = read_roster(c, p.key);
    if (!stored) return std::move(stored).err();
    if (same_entries(*stored, p)) return change::unchanged;
    const bool had = !stored->shifts.empty() || !stored->overrides.empty();
    if (auto r = write_roster(c, p.id, p.shifts, p.overrides); !r) return std::move(r).err();
    return had ? change::updated : change::added;
}

}  // namespace

result<import_summary> import_contacts(connection& c, std::span<const routing::contact> contacts, time_point at) {
    import_summary out;
    const std::int64_t at_ms = to_unix_ms(at);
    for (const auto& k : contacts) {
        auto found = contact_by_key(c, k.key);
        if (!found) return std::move(found).err();
        std::optional<std::string_view> url;
        if (!k.webhook_url.empty()) url = k.webhook_url;
        const std::string_view role = routing::to_string(k.role);
        const std::string_view channels = channels_column(k);
        if (!*found) {
            if (auto r = run_bound(c,
                                   "INSERT INTO contacts (key, name, role, unit_code, phone, channels, webhook_url, "
                                   "active, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                   k.key, k.name, role, k.unit_code, k.phone, channels, url, k.active, at_ms);
                !r)
                return std::move(r).err();
            ++out.added;
            continue;
        }
        if ((*found)->contact == k) {
            ++out.unchanged;
            continue;
        }
        if (auto r = run_bound(c,
                               "UPDATE contacts SET name = ?2, role = ?3, unit_code = ?4, phone = ?5, channels = ?6, "
                               "webhook_url = ?7, active = ?8, updated_at = ?9 WHERE id = ?1",
                               (*found)->id, k.name, role, k.unit_code, k.phone, channels, url, k.active, at_ms);
            !r)
            return std::move(r).err();
        ++out.updated;
    }
    return out;
}

result<import_summary> import_roster(connection& c, const routing::roster& r) {
    // Entries grouped by contact, in the order the contacts first appear.
    std::vector<roster_part> parts;
    std::unordered_map<std::string_view, std::size_t> index;
    const auto part_of = [&](const std::string& key) -> roster_part& {
        const auto [it, inserted] = index.emplace(key, parts.size());
        if (inserted) parts.push_back(roster_part{0, key, {}, {}});
        return parts[it->second];
    };
    for (const auto& s : r.shifts) part_of(s.contact_key).shifts.push_back(&s);
    for (const auto& o : r.overrides) part_of(o.contact_key).overrides.push_back(&o);
    for (auto& p : parts) {
        auto id = contact_id(c, p.key);
        if (!id) return std::move(id).err();
        if (!*id)
            return make_error("unknown_contact", fmt::format("the roster names \"{}\", who is not in the directory", p.key),
                              p.key);
        p.id = **id;
    }
    import_summary out;
    for (const auto& p : parts) {
        auto changed = apply_part(c, p);
        if (!changed) return std::move(changed).err();
        switch (*changed) {
        case change::added: ++out.added; break;
        case change::updated: ++out.updated; break;
        case change::unchanged: ++out.unchanged; break;
        }
    }
    return out;
}

result<bool> replace_roster(connection& c, std::string_view key, const routing::roster& r) {
    roster_part p;
    p.key = std::string(key);
    for (const auto& s : r.shifts) {
        if (s.contact_key != key) return make_error("invalid_value", "a shift names another contact", "contact");
        p.shifts.push_back(&s);
    }
    for (const auto& o : r.overrides) {
        if (o.contact_key != key) return make_error("invalid_value", "an override names another contact", "contact");
        p.overrides.push_back(&o);
    }
    auto id = contact_id(c, key);
    if (!id) return std::move(id).err();
    if (!*id) return make_error("not_found", fmt::format("no contact \"{}\"", key));
    p.id = **id;
    auto changed = apply_part(c, p);
    if (!changed) return std::move(changed).err();
    return *changed != change::unchanged;
}

result<std::vector<stored_contact>> list_contacts(connection& c) {
    auto st = c.prepare("SELECT " HOTLINE_CONTACT_COLUMNS " FROM contacts ORDER BY id");
    if (!st) return std::move(st).err();
    std::vector<stored_contact> out;
    auto read = for_each_row(*st, [&](const statement& r) -> result<void> {
        auto one = read_contact(r);
        if (!one) return std::move(one).err();
        out.push_back(std::move(*one));
        return {};
    });
    if (!read) return std::move(read).err();
    return out;
}

result<std::optional<stored_contact>> find_contact(connection& c, std::string_view key) {
    return contact_by_key(c, key);
}

result<routing::roster> load_roster(connection& c, std::string_view key) { return read_roster(c, key); }

// ---- on_duty and its cache ----------------------------------------------------

namespace {

// An active contact of the role and unit asked for, with its roster near the day.
struct duty_candidate {
    std::int64_t id = 0;
    std::string key;
    std::vector<routing::weekly_shift> shifts;
    std::vector<routing::roster_override> overrides;
};

// Past this many entries the cache starts over: a day's worth of routing
// touches far fewer (units with reports times roles asked), and yesterday's
// entries are never asked for again.
constexpr std::size_t duty_cache_limit = 4096;

// The contacts of `role` in `unit_code` with their shifts and the overrides
// from `first` to `last` (dates), by id: one pass of one cached statement
// over the (unit_code, role) index. A contact without either is never on
// duty, so it need not be read at all.
result<std::vector<duty_candidate>> read_candidates(connection& c, std::string_view role, std::string_view unit_code,
                                                    std::string_view first, std::string_view last) {
    std::vector<duty_candidate> found;
    auto st = prepare_bound(c,
                            "SELECT c.id, c.key, 0, s.days, s.start_minute, s.end_minute, NULL, NULL "
                            "FROM contacts AS c JOIN roster_shifts AS s ON s.contact_id = c.id "
                            "WHERE c.unit_code = ?1 AND c.role = ?2 AND c.active = 1 "
                            "UNION ALL "
                            "SELECT c.id, c.key, CASE o.kind WHEN 'on' THEN 1 ELSE 2 END, 0, o.start_minute, "
                            "o.end_minute, o.from_date, o.to_date "
                            "FROM contacts AS c JOIN roster_overrides AS o ON o.contact_id = c.id "
                            "WHERE c.unit_code = ?1 AND c.role = ?2 AND c.active = 1 "
                            "AND o.to_date >= ?3 AND o.from_date <= ?4",
                            unit_code, role, first, last);
    if (!st) return std::move(st).err();
    auto read = for_each_row(**st, [&](const statement& s) -> result<void> {
        const std::int64_t id = s.column_int64(0);
        duty_candidate* k = nullptr;
        for (auto& f : found)
            if (f.id == id) k = &f;
        if (!k) k = &found.emplace_back(duty_candidate{id, s.column_text(1), {}, {}});
        const auto kind = s.column_int64(2);
        if (kind == 0) {
            k->shifts.push_back(routing::weekly_shift{{}, static_cast<std::uint8_t>(s.column_int64(3)),
                                                      static_cast<int>(s.column_int64(4)),
                                                      static_cast<int>(s.column_int64(5))});
            return {};
        }
        routing::roster_override o;
        o.on_duty = kind == 1;
        if (auto period = read_override_period(s, 6, 4, o); !period) return period;
        k->overrides.push_back(std::move(o));
        return {};
    });
    if (!read) return std::move(read).err();
    // A stable order: by id, the order contacts were added in.
    std::sort(found.begin(), found.end(),
              [](const duty_candidate& a, const duty_candidate& b) { return a.id < b.id; });
    return found;
}

}  // namespace

struct duty_cache::impl {
    std::optional<std::int64_t> version;  // of the directory the entries were read from
    // "role|unit|first date" -> the candidates read for them.
    std::unordered_map<std::string, std::vector<duty_candidate>> entries;
};

duty_cache::duty_cache() : impl_(std::make_unique<impl>()) {}
duty_cache::~duty_cache() = default;

void duty_cache::clear() noexcept {
    impl_->version.reset();
    impl_->entries.clear();
}

std::size_t duty_cache::size() const noexcept { return impl_->entries.size(); }

result<std::vector<routing::duty_contact>> sql_directory::on_duty(routing::role r, std::string_view unit_code,
                                                                  time_point t) {
    // Runs for every report inside the intake transaction.
    const std::string_view role = routing::to_string(r);
    // A window of yesterday's override may run past midnight into today.
    // Routing one report asks about one day, for several roles and units.
    const auto today = std::chrono::floor<std::chrono::days>(routing::to_vietnam_time(t));
    if (day_ != today) {
        day_ = today;
        first_ = routing::format_date(today - std::chrono::days{1});
        last_ = routing::format_date(today);
    }
    const std::string& first = first_;
    const std::string& last = last_;

    std::vector<duty_candidate> read;
    const std::vector<duty_candidate>* candidates = &read;
    if (cache_) {
        auto& cache = *cache_->impl_;
        if (!version_checked_) {
            auto st = prepare_bound(c_, "SELECT version FROM directory_version WHERE id = 1");
            if (!st) return std::move(st).err();
            auto row = next_row(**st);
            if (!row) return std::move(row).err();
            if (!*row) return failure("the directory_version row is missing");
            const std::int64_t now = (*st)->column_int64(0);
            if (cache.version != now) {
                cache.entries.clear();
                cache.version = now;
            }
            version_checked_ = true;
        }
        std::string key;
        key.reserve(role.size() + unit_code.size() + first.size() + 2);
        key.append(role).append(1, '|').append(unit_code).append(1, '|').append(first);
        auto it = cache.entries.find(key);
        if (it == cache.entries.end()) {
            auto found = read_candidates(c_, role, unit_code, first, last);
            if (!found) return std::move(found).err();
            if (cache.entries.size() >= duty_cache_limit) cache.entries.clear();
            it = cache.entries.emplace(std::move(key), std::move(*found)).first;
        }
        candidates = &it->second;
    } else {
        auto found = read_candidates(c_, role, unit_code, first, last);
        if (!found) return std::move(found).err();
        read = std::move(*found);
    }

    std::vector<routing::duty_contact> out;
    for (const auto& k : *candidates)
        if (routing::on_duty(k.shifts, k.overrides, t))
            out.push_back(routing::duty_contact{k.id, k.key, r, std::string(unit_code)});
    return out;
}

}  // namespace hotline::storage
