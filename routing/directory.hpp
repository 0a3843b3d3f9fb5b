#pragma once
// The contact directory and on-duty rosters.
//
// A contact is a person or desk with one role in one unit: a commune role in
// a current commune (code of communes.csv), a province role in a current
// province, or `hotline_supervisor` at the national level (unit "VN"). Each
// contact has a stable key (the `id` column of the CSV files) chosen by the
// people who keep the directory.
//
// Rosters are kept in Asia/Ho_Chi_Minh local time (UTC+7 all year): a weekly
// pattern of shifts, which may cross midnight, plus dated overrides (`off`
// for leave and swaps, `on` for extra duty). A contact is on duty at time T
// when an `on` override covers T, or a weekly shift covers T and no `off`
// override does. A contact with no shifts and no overrides at all is never on
// duty through the roster.
//
// CSV formats (routing/csv.hpp; header row required, its names matched
// without case, columns in any order; rows with nothing in them skipped;
// cells trimmed of spaces; a row with more cells than the header is bad):
//   contacts: id,name,role,unit_code,phone,channels,webhook_url,active
//     channels: "sms", "webhook" or "sms;webhook" (default sms);
//     webhook_url: https URL, required with the webhook channel;
//     active: 1/0, yes/no, true/false (default 1); phone: any Vietnamese
//     form (intake/phone.hpp) or E.164.
//   rosters:  contact,kind,days,from,to,start,end,note
//     kind weekly: days = "mon-fri", "sat,sun", "daily", "weekdays",
//     "weekends", "fri-mon", ...; start,end HH:MM (end "24:00" = midnight);
//     from, to and note empty;
//     kind on|off: from (and to, default from) as YYYY-MM-DD; start,end
//     optional (both or neither; none = whole days); days empty; note one
//     line of text.
//
// Pure: no I/O, no clock. Thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "routing/units.hpp"

namespace hotline::routing {

enum class role {
    commune_child_protection,
    commune_police,
    commune_chair,
    province_coordinator,
    province_police,
    hotline_supervisor,
};
std::string_view to_string(role r) noexcept;
std::optional<role> parse_role(std::string_view s) noexcept;

enum class role_level { commune, province, national };
role_level level_of(role r) noexcept;

inline constexpr std::string_view national_unit = "VN";

struct contact {
    std::string key;                   // stable id from the directory files
    std::string name;
    routing::role role = role::commune_child_protection;
    std::string unit_code;             // commune code, province code or "VN" (by the role's level)
    std::string phone;                 // E.164
    bool sms = true;                   // notified by SMS
    bool webhook = false;              // notified by signed webhook at webhook_url
    std::string webhook_url;
    bool active = true;

    friend bool operator==(const contact&, const contact&) = default;
};

struct weekly_shift {
    std::string contact_key;
    std::uint8_t days = 0;   // bit 0 = Monday ... bit 6 = Sunday: the days the shift starts on
    int start_minute = 0;    // since local midnight, 0..1439
    int end_minute = 0;      // not after start: ends on the next day; equal: 24 hours

    friend bool operator==(const weekly_shift&, const weekly_shift&) = default;
};

struct roster_override {
    std::string contact_key;
    bool on_duty = false;                      // `on` or `off`
    std::chrono::local_days from, to;          // inclusive
    std::optional<int> start_minute, end_minute;  // both or neither; none = whole days
    std::string note;

    friend bool operator==(const roster_override&, const roster_override&) = default;
};

struct roster {
    std::vector<weekly_shift> shifts;
    std::vector<roster_override> overrides;

    friend bool operator==(const roster&, const roster&) = default;
};

// Whether the contact whose shifts and overrides these are is on duty at `t`.
// Only the entries given are looked at (the caller passes one contact's).
bool on_duty(std::span<const weekly_shift> shifts, std::span<const roster_override> overrides,
             time_point t) noexcept;

// Parsing of the import files. All bad rows are reported, not only the first:
// code `invalid_csv`, message one line per problem "line N: <column>: <what>"
// (at most 50 lines, then "... and K more"). Contacts are checked against the
// catalog (the unit must exist at the role's level) and for duplicate keys;
// roster rows name contacts by key (the caller checks that they exist).
result<std::vector<contact>> parse_contacts_csv(std::string_view text, const unit_catalog& units);
result<roster> parse_rosters_csv(std::string_view text);
// The same, and a row whose contact is not `known` is a bad row too
// ("line N: contact: no contact \"x\" in the directory").
result<roster> parse_rosters_csv(std::string_view text, const std::function<bool(std::string_view)>& known);

// The export files, in the formats above; parse(format(x)) == x.
std::string format_contacts_csv(std::span<const contact> contacts);
std::string format_rosters_csv(const roster& r);

// The checks of a contacts row, for contacts that come from elsewhere (the
// admin API): trims the name (NFC, one line, at most 200 characters),
// normalises the phone to E.164 and checks the key (1 to 64 of A-Z a-z 0-9
// . _ -), the unit at the role's level, that there is a channel, and the
// webhook URL (https, required with the webhook channel). Returns every
// problem, the error's field naming the CSV column ("id", "name",
// "unit_code", "phone", "channels", "webhook_url"); empty when `c` is fine.
std::vector<error> check_contact(contact& c, const unit_catalog& units);

// One rosters row as the texts of its columns (empty: absent). Adds the
// row's shift or override to `out`, or returns its problems (field = the
// column) and adds nothing. The key is checked for its form, not for being
// in the directory.
struct roster_row {
    std::string_view contact, kind, days, from, to, start, end, note;
};
std::vector<error> add_roster_row(const roster_row& row, roster& out);

// The column forms: days "mon-fri", "sat,sun", "daily", "mon,wed-fri";
// times "HH:MM"; dates "YYYY-MM-DD".
std::string format_days(std::uint8_t days);
std::string format_clock(int minute);
std::string format_date(std::chrono::local_days d);
std::optional<std::chrono::local_days> parse_date(std::string_view s) noexcept;

}  // namespace hotline::routing
