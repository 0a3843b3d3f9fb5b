#include "routing/directory.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <unordered_map>

#include "intake/phone.hpp"
#include "intake/text.hpp"
#include "routing/csv.hpp"
#include "routing/detail/csv_table.hpp"
#include "routing/time.hpp"

namespace hotline::routing {

namespace {

using detail::check_width;
using detail::csv_problems;
using detail::lower_ascii;
using detail::trim_ascii;

constexpr std::array<std::string_view, 6> role_names = {
    "commune_child_protection", "commune_police", "commune_chair",
    "province_coordinator",     "province_police", "hotline_supervisor",
};

constexpr std::array<std::string_view, 7> day_names = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<std::string_view, 7> long_day_names = {"monday", "tuesday",  "wednesday", "thursday",
                                                            "friday", "saturday", "sunday"};
constexpr std::uint8_t all_days = 0x7f;

constexpr std::size_t name_limit = 200;         // code points
constexpr std::size_t key_limit = 64;           // bytes (ASCII only)
constexpr std::size_t note_limit = 500;         // code points
constexpr std::size_t webhook_url_limit = 2000; // bytes

constexpr int minutes_per_day = 24 * 60;

// ---- time of day and dates ---------------------------------------------------

// Local day, minute of that day and weekday (0 = Monday) of `t` in Vietnam.
struct local_moment {
    std::chrono::local_days day;
    int minute = 0;
    unsigned weekday = 0;
};

local_moment split_local(time_point t) noexcept {
    using namespace std::chrono;
    const auto lt = to_vietnam_time(t);
    const auto day = floor<days>(lt);
    local_moment m;
    m.day = day;
    m.minute = static_cast<int>(floor<minutes>(lt - day).count());
    m.weekday = weekday(day).iso_encoding() - 1;
    return m;
}

// Whether a window [start, end) that starts on a day covers minute `m` of
// today, given whether it started today and whether it started yesterday.
// An end not after the start runs into the next day (equal: 24 hours).
bool window_covers(int start, int end, bool started_today, bool started_yesterday, int m) noexcept {
    if (end > start) return started_today && m >= start && m < end;
    return (started_today && m >= start) || (started_yesterday && m < end);
}

bool within(std::chrono::local_days d, std::chrono::local_days from, std::chrono::local_days to) noexcept {
    return from <= d && d <= to;
}

bool override_covers(const roster_override& o, const local_moment& m) noexcept {
    if (!o.start_minute || !o.end_minute) return within(m.day, o.from, o.to);
    const auto yesterday = m.day - std::chrono::days{1};
    return window_covers(*o.start_minute, *o.end_minute, within(m.day, o.from, o.to),
                         within(yesterday, o.from, o.to), m.minute);
}

bool shift_covers(const weekly_shift& s, const local_moment& m) noexcept {
    const unsigned yesterday = (m.weekday + 6) % 7;
    return window_covers(s.start_minute, s.end_minute, (s.days >> m.weekday) & 1u, (s.days >> yesterday) & 1u,
                         m.minute);
}

std::optional<int> parse_number(std::string_view s) noexcept {
    if (s.empty() || s.size() > 4) return std::nullopt;
    int v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

// "HH:MM" (or "H:MM") to minutes since midnight; "24:00" only as an end,
// meaning the following midnight (stored as 00:00, which an end not after
// its start already means).
std::optional<int> parse_clock(std::string_view s, bool is_end) noexcept {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() - colon - 1 != 2) return std::nullopt;
    const auto h = parse_number(s.substr(0, colon));
    const auto mm = parse_number(s.substr(colon + 1));
    if (!h || !mm) return std::nullopt;
    if (is_end && *h == 24 && *mm == 0) return 0;
    if (*h > 23 || *mm > 59) return std::nullopt;
    return *h * 60 + *mm;
}

}  // namespace

std::optional<std::chrono::local_days> parse_date(std::string_view s) noexcept {
    using namespace std::chrono;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    const auto y = parse_number(s.substr(0, 4));
    const auto m = parse_number(s.substr(5, 2));
    const auto d = parse_number(s.substr(8, 2));
    if (!y || !m || !d) return std::nullopt;
    const year_month_day ymd{year(*y), month(static_cast<unsigned>(*m)), day(static_cast<unsigned>(*d))};
    if (!ymd.ok() || *y < 1970) return std::nullopt;
    return local_days(ymd);
}

namespace {

std::optional<unsigned> parse_day_name(std::string_view s) noexcept {
    for (unsigned i = 0; i < 7; ++i)
        if (s == day_names[i] || s == long_day_names[i]) return i;
    return std::nullopt;
}

// "mon-fri", "sat,sun", "daily", "weekdays", "weekends", "fri-mon" (a range
// may wrap round the week); items separated by commas, semicolons or spaces.
std::optional<std::uint8_t> parse_days(std::string_view text) {
    const std::string s = lower_ascii(text);
    std::uint8_t out = 0;
    std::size_t i = 0;
    bool any = false;
    while (i < s.size()) {
        const std::size_t j = s.find_first_of(",; ", i);
        const std::string_view item = std::string_view(s).substr(i, j == std::string::npos ? s.size() - i : j - i);
        i = j == std::string::npos ? s.size() : j + 1;
        if (item.empty()) continue;
        any = true;
        if (item == "daily" || item == "all" || item == "every") {
            out |= all_days;
        } else if (item == "weekdays") {
            out |= 0x1f;
        } else if (item == "weekend" || item == "weekends") {
            out |= 0x60;
        } else if (const auto dash = item.find('-'); dash != std::string_view::npos) {
            const auto a = parse_day_name(item.substr(0, dash));
            const auto b = parse_day_name(item.substr(dash + 1));
            if (!a || !b) return std::nullopt;
            for (unsigned d = *a;; d = (d + 1) % 7) {
                out |= static_cast<std::uint8_t>(1u << d);
                if (d == *b) break;
            }
        } else if (const auto d = parse_day_name(item)) {
            out |= static_cast<std::uint8_t>(1u << *d);
        } else {
            return std::nullopt;
        }
    }
    if (!any || out == 0) return std::nullopt;
    return out;
}

std::optional<bool> parse_flag(std::string_view s) {
    const std::string v = lower_ascii(s);
    if (v == "1" || v == "yes" || v == "true" || v == "y") return true;
    if (v == "0" || v == "no" || v == "false" || v == "n") return false;
    return std::nullopt;
}

// ---- contacts ----------------------------------------------------------------

bool valid_key(std::string_view k) noexcept {
    if (k.empty() || k.size() > key_limit) return false;
    return std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
}

// E.164 outside Vietnam: "+" and 8 to 15 digits, separators allowed as in
// Vietnamese numbers. A number under +84 must be a valid Vietnamese one.
result<std::string> normalize_phone(std::string_view in) {
    in = trim_ascii(in);
    if (in.empty()) return make_error("required", "a phone number is required");
    std::string digits;
    bool plus = false;
    for (const char c : in) {
        if (c >= '0' && c <= '9') digits.push_back(c);
        else if (c == '+' && digits.empty() && !plus) plus = true;
        else if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')') digits = "x";
    }
    if (plus && !digits.starts_with("84") && digits.find('x') == std::string::npos) {
        if (digits.size() < 8 || digits.size() > 15 || digits.front() == '0')
            return make_error("invalid_phone", "not an E.164 phone number (+ and 8 to 15 digits)");
        return "+" + digits;
    }
    auto vn = intake::normalize_vn_phone(in);
    if (!vn)
        return make_error("invalid_phone", "not a Vietnamese phone number (0912 345 678, +84 912 345 678) or E.164");
    return std::move(*vn);
}

bool valid_webhook_url(std::string_view u) noexcept {
    constexpr std::string_view scheme = "https://";
    if (u.size() > webhook_url_limit || u.size() <= scheme.size()) return false;
    if (lower_ascii(u.substr(0, scheme.size())) != scheme) return false;
    for (const char c : u)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
    const auto rest = u.substr(scheme.size());
    const auto host_end = rest.find_first_of("/?#");
    const auto host = rest.substr(0, host_end);
    return !host.empty() && host.front() != ':' && host.find('@') == std::string_view::npos;
}

std::string_view channels_text(const contact& c) noexcept {
    if (c.sms && c.webhook) return "sms;webhook";
    if (c.webhook) return "webhook";
    if (c.sms) return "sms";
    return "";
}

// "sms", "webhook", "sms;webhook" (also with commas or spaces); empty: sms.
bool parse_channels(std::string_view text, contact& c) {
    const std::string s = lower_ascii(trim_ascii(text));
    if (s.empty()) {
        c.sms = true;
        c.webhook = false;
        return true;
    }
    c.sms = c.webhook = false;
    std::size_t i = 0;
    while (i < s.size()) {
        const std::size_t j = s.find_first_of(",; ", i);
        const std::string_view item = std::string_view(s).substr(i, j == std::string::npos ? s.size() - i : j - i);
        i = j == std::string::npos ? s.size() : j + 1;
        if (item.empty()) continue;
        if (item == "sms") c.sms = true;
        else if (item == "webhook") c.webhook = true;
        else return false;
    }
    return c.sms || c.webhook;
}

constexpr std::array<std::string_view, 5> contact_required = {"id", "name", "role", "unit_code", "phone"};
constexpr std::array<std::string_view, 3> contact_optional = {"channels", "webhook_url", "active"};
constexpr std::array<std::string_view, 2> roster_required = {"contact", "kind"};
constexpr std::array<std::string_view, 6> roster_optional = {"days", "from", "to", "start", "end", "note"};

result<roster> parse_rosters(std::string_view text, const std::function<bool(std::string_view)>* known) {
    auto table = detail::read_csv_table(text, roster_required, roster_optional, "invalid_csv");
    if (!table) return std::move(table).err();
    const auto& h = table->header;
    csv_problems p("invalid_csv");
    roster out;
    for (const auto& r : table->rows) {
        check_width(*table, r, p);
        roster_row row;
        row.contact = trim_ascii(h.get(r, "contact"));
        row.kind = trim_ascii(h.get(r, "kind"));
        row.days = trim_ascii(h.get(r, "days"));
        row.from = trim_ascii(h.get(r, "from"));
        row.to = trim_ascii(h.get(r, "to"));
        row.start = trim_ascii(h.get(r, "start"));
        row.end = trim_ascii(h.get(r, "end"));
        row.note = h.get(r, "note");
        auto errors = add_roster_row(row, out);
        if (known && !row.contact.empty() && valid_key(row.contact) && !(*known)(row.contact))
            errors.push_back(make_error("unknown_contact",
                                        fmt::format("no contact \"{}\" in the directory", row.contact), "contact"));
        p.add(r.line, errors);
    }
    if (!p.empty()) return p.to_error();
    return out;
}

}  // namespace

// ---- public ------------------------------------------------------------------

std::string_view to_string(role r) noexcept { return role_names[static_cast<std::size_t>(r)]; }

std::optional<role> parse_role(std::string_view s) noexcept {
    for (std::size_t i = 0; i < role_names.size(); ++i)
        if (role_names[i] == s) return static_cast<role>(i);
    return std::nullopt;
}

role_level level_of(role r) noexcept {
    switch (r) {
    case role::commune_child_protection:
    case role::commune_police:
    case role::commune_chair: return role_level::commune;
    case role::province_coordinator:
    case role::province_police: return role_level::province;
    case role::hotline_supervisor: break;
    }
    return role_level::national;
}

bool on_duty(std::span<const weekly_shift> shifts, std::span<const roster_override> overrides,
             time_point t) noexcept {
    const auto m = split_local(t);
    bool off = false;
    for (const auto& o : overrides) {
        if (!override_covers(o, m)) continue;
        if (o.on_duty) return true;  // an extra duty holds whatever else says
        off = true;
    }
    if (off) return false;
    return std::any_of(shifts.begin(), shifts.end(), [&](const weekly_shift& s) { return shift_covers(s, m); });
}

std::vector<error> check_contact(contact& c, const unit_catalog& units) {
    std::vector<error> out;
    if (c.key.empty())
        out.push_back(make_error("required", "an id is required", "id"));
    else if (!valid_key(c.key))
        out.push_back(make_error("invalid_value",
                                 fmt::format("an id is 1 to {} letters, digits, '.', '_' or '-'", key_limit), "id"));

    if (auto name = intake::clean_text(c.name); !name) {
        out.push_back(make_error("invalid_utf8", "the name is not valid UTF-8", "name"));
    } else if (name->empty()) {
        out.push_back(make_error("required", "a name is required", "name"));
    } else if (name->find_first_of("\n\t") != std::string::npos) {
        out.push_back(make_error("invalid_value", "the name must be one line", "name"));
    } else if (intake::count_code_points(*name) > name_limit) {
        out.push_back(make_error("too_long", fmt::format("the name is longer than {} characters", name_limit), "name"));
    } else {
        c.name = std::move(*name);
    }

    switch (level_of(c.role)) {
    case role_level::commune:
        if (!units.find_commune(c.unit_code))
            out.push_back(make_error("invalid_value",
                                     fmt::format("\"{}\" is not a current commune code (role {} is a commune role)",
                                                 c.unit_code, to_string(c.role)),
                                     "unit_code"));
        break;
    case role_level::province:
        if (!units.find_province(c.unit_code))
            out.push_back(make_error("invalid_value",
                                     fmt::format("\"{}\" is not a current province code (role {} is a province role)",
                                                 c.unit_code, to_string(c.role)),
                                     "unit_code"));
        break;
    case role_level::national:
        if (c.unit_code != national_unit)
            out.push_back(make_error("invalid_value",
                                     fmt::format("role {} is national: its unit is \"{}\"", to_string(c.role),
                                                 national_unit),
                                     "unit_code"));
        break;
    }

    if (auto phone = normalize_phone(c.phone); !phone) {
        auto e = std::move(phone).err();
        e.field = "phone";
        out.push_back(std::move(e));
    } else {
        c.phone = std::move(*phone);
    }

    if (!c.sms && !c.webhook)
        out.push_back(make_error("required", "at least one channel (sms, webhook) is required", "channels"));
    if (!c.webhook_url.empty() && !valid_webhook_url(c.webhook_url))
        out.push_back(make_error("invalid_value", "the webhook URL must be an https:// URL", "webhook_url"));
    else if (c.webhook && c.webhook_url.empty())
        out.push_back(make_error("required", "the webhook channel needs a webhook_url", "webhook_url"));
    return out;
}

std::vector<error> add_roster_row(const roster_row& row, roster& out) {
    std::vector<error> errors;
    const auto bad = [&](std::string code, std::string message, std::string field) {
        errors.push_back(make_error(std::move(code), std::move(message), std::move(field)));
    };
    if (row.contact.empty())
        bad("required", "the contact's id is required", "contact");
    else if (!valid_key(row.contact))
        bad("invalid_value", "not a contact id (letters, digits, '.', '_', '-')", "contact");

    const std::string kind = lower_ascii(row.kind);
    const auto clock_of = [&](std::string_view text, std::string_view column, bool is_end) -> std::optional<int> {
        if (text.empty()) return std::nullopt;
        auto v = parse_clock(text, is_end);
        if (!v)
            bad("invalid_value", fmt::format("\"{}\" is not a time HH:MM{}", text, is_end ? " (00:00 to 24:00)" : ""),
                std::string(column));
        return v;
    };

    if (kind == "weekly") {
        std::optional<std::uint8_t> days;
        if (row.days.empty())
            bad("required", "a weekly shift needs its days (mon-fri, sat,sun, daily, ...)", "days");
        else if (!(days = parse_days(row.days)))
            bad("invalid_value", fmt::format("\"{}\" is not a list of days (mon-fri, sat,sun, daily, ...)", row.days),
                "days");
        if (row.start.empty()) bad("required", "a weekly shift needs a start time HH:MM", "start");
        if (row.end.empty()) bad("required", "a weekly shift needs an end time HH:MM", "end");
        const auto start = clock_of(row.start, "start", false);
        const auto end = clock_of(row.end, "end", true);
        if (!row.from.empty()) bad("invalid_value", "a weekly shift has no dates (from is for on/off rows)", "from");
        if (!row.to.empty()) bad("invalid_value", "a weekly shift has no dates (to is for on/off rows)", "to");
        if (!trim_ascii(row.note).empty()) bad("invalid_value", "only on/off rows keep a note", "note");
        if (!errors.empty()) return errors;
        out.shifts.push_back(weekly_shift{std::string(row.contact), *days, *start, *end});
        return errors;
    }
    if (kind == "on" || kind == "off") {
        std::optional<std::chrono::local_days> from, to;
        if (row.from.empty())
            bad("required", "an on/off row needs a from date YYYY-MM-DD", "from");
        else if (!(from = parse_date(row.from)))
            bad("invalid_value", fmt::format("\"{}\" is not a date YYYY-MM-DD", row.from), "from");
        if (!row.to.empty() && !(to = parse_date(row.to)))
            bad("invalid_value", fmt::format("\"{}\" is not a date YYYY-MM-DD", row.to), "to");
        if (from && to && *to < *from) bad("invalid_value", "to is before from", "to");
        if (!row.days.empty()) bad("invalid_value", "days are for weekly rows; an on/off row has dates", "days");
        const auto start = clock_of(row.start, "start", false);
        const auto end = clock_of(row.end, "end", true);
        if (row.start.empty() != row.end.empty())
            bad("required", "give both start and end, or neither for whole days",
                row.start.empty() ? "start" : "end");
        std::optional<std::string> note = intake::clean_text(row.note);
        if (!note)
            bad("invalid_utf8", "the note is not valid UTF-8", "note");
        else if (note->find_first_of("\n\t") != std::string::npos)
            bad("invalid_value", "the note must be one line", "note");
        else if (intake::count_code_points(*note) > note_limit)
            bad("too_long", fmt::format("the note is longer than {} characters", note_limit), "note");
        if (!errors.empty()) return errors;
        roster_override o;
        o.contact_key = std::string(row.contact);
        o.on_duty = kind == "on";
        o.from = *from;
        o.to = to ? *to : *from;
        o.start_minute = start;
        o.end_minute = end;
        o.note = std::move(*note);
        out.overrides.push_back(std::move(o));
        return errors;
    }
    if (kind.empty())
        bad("required", "the kind is required: weekly, on or off", "kind");
    else
        bad("invalid_value", fmt::format("\"{}\" is not a kind: weekly, on or off", row.kind), "kind");
    return errors;
}

result<std::vector<contact>> parse_contacts_csv(std::string_view text, const unit_catalog& units) {
    auto table = detail::read_csv_table(text, contact_required, contact_optional, "invalid_csv");
    if (!table) return std::move(table).err();
    const auto& h = table->header;
    csv_problems p("invalid_csv");
    std::vector<contact> out;
    out.reserve(table->rows.size());
    std::unordered_map<std::string, std::size_t> first_line;  // key -> line
    for (const auto& r : table->rows) {
        check_width(*table, r, p);
        std::vector<error> errors;
        contact c;
        c.key = std::string(trim_ascii(h.get(r, "id")));
        c.name = std::string(h.get(r, "name"));
        const auto role_text = trim_ascii(h.get(r, "role"));
        if (const auto role = parse_role(lower_ascii(role_text))) {
            c.role = *role;
        } else {
            errors.push_back(role_text.empty()
                                 ? make_error("required", "a role is required", "role")
                                 : make_error("invalid_value",
                                              fmt::format("\"{}\" is not a role (commune_child_protection, "
                                                          "commune_police, commune_chair, province_coordinator, "
                                                          "province_police, hotline_supervisor)",
                                                          role_text),
                                              "role"));
        }
        c.unit_code = std::string(trim_ascii(h.get(r, "unit_code")));
        c.phone = std::string(h.get(r, "phone"));
        const auto channels = h.get(r, "channels");
        if (!parse_channels(channels, c))
            errors.push_back(make_error("invalid_value",
                                        fmt::format("\"{}\" is not sms, webhook or sms;webhook", channels),
                                        "channels"));
        c.webhook_url = std::string(trim_ascii(h.get(r, "webhook_url")));
        const auto active = trim_ascii(h.get(r, "active"));
        if (active.empty()) {
            c.active = true;
        } else if (const auto v = parse_flag(active)) {
            c.active = *v;
        } else {
            errors.push_back(make_error("invalid_value", fmt::format("\"{}\" is not 1/0, yes/no or true/false", active),
                                        "active"));
        }
        // A role error makes the unit check meaningless; the others still run.
        const bool role_ok = std::none_of(errors.begin(), errors.end(), [](const error& e) { return e.field == "role"; });
        const bool channels_ok =
            std::none_of(errors.begin(), errors.end(), [](const error& e) { return e.field == "channels"; });
        for (auto& e : check_contact(c, units)) {
            if (e.field == "unit_code" && !role_ok) continue;
            if (e.field == "channels" && !channels_ok) continue;
            errors.push_back(std::move(e));
        }
        if (!c.key.empty()) {
            const auto [it, inserted] = first_line.emplace(c.key, r.line);
            if (!inserted)
                errors.push_back(make_error("duplicate", fmt::format("\"{}\" is already the id of line {}", c.key,
                                                                     it->second),
                                            "id"));
        }
        if (errors.empty())
            out.push_back(std::move(c));
        else
            p.add(r.line, errors);
    }
    if (!p.empty()) return p.to_error();
    return out;
}

result<roster> parse_rosters_csv(std::string_view text) { return parse_rosters(text, nullptr); }

result<roster> parse_rosters_csv(std::string_view text, const std::function<bool(std::string_view)>& known) {
    return parse_rosters(text, &known);
}

std::string format_contacts_csv(std::span<const contact> contacts) {
    std::string out;
    out.reserve(64 + contacts.size() * 96);
    append_csv_row(out, {"id", "name", "role", "unit_code", "phone", "channels", "webhook_url", "active"});
    for (const auto& c : contacts)
        append_csv_row(out, {c.key, c.name, to_string(c.role), c.unit_code, c.phone, channels_text(c), c.webhook_url,
                             c.active ? "1" : "0"});
    return out;
}

std::string format_rosters_csv(const roster& r) {
    std::string out;
    out.reserve(64 + (r.shifts.size() + r.overrides.size()) * 48);
    append_csv_row(out, {"contact", "kind", "days", "from", "to", "start", "end", "note"});
    for (const auto& s : r.shifts) {
        const std::string days = format_days(s.days);
        const std::string start = format_clock(s.start_minute);
        const std::string end = format_clock(s.end_minute);
        append_csv_row(out, {s.contact_key, "weekly", days, "", "", start, end, ""});
    }
    for (const auto& o : r.overrides) {
        const std::string from = format_date(o.from);
        const std::string to = format_date(o.to);
        const std::string start = o.start_minute ? format_clock(*o.start_minute) : std::string();
        const std::string end = o.end_minute ? format_clock(*o.end_minute) : std::string();
        append_csv_row(out, {o.contact_key, o.on_duty ? "on" : "off", "", from, to, start, end, o.note});
    }
    return out;
}

std::string format_days(std::uint8_t days) {
    days &= all_days;
    if (days == all_days) return "daily";
    std::string out;
    unsigned d = 0;
    while (d < 7) {
        if (!((days >> d) & 1u)) {
            ++d;
            continue;
        }
        unsigned e = d;
        while (e + 1 < 7 && ((days >> (e + 1)) & 1u)) ++e;
        if (!out.empty()) out += ',';
        out += day_names[d];
        if (e == d + 1) {
            out += ',';
            out += day_names[e];
        } else if (e > d + 1) {
            out += '-';
            out += day_names[e];
        }
        d = e + 1;
    }
    return out;
}

std::string format_clock(int minute) {
    minute = ((minute % minutes_per_day) + minutes_per_day) % minutes_per_day;
    return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

std::string format_date(std::chrono::local_days d) {
    const std::chrono::year_month_day ymd{d};
    // Compiled format: this runs for every report (the roster lookups).
    return fmt::format(FMT_COMPILE("{:04}-{:02}-{:02}"), static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

}  // namespace hotline::routing
