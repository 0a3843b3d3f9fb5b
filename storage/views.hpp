#pragma once
// What officers read, and the aggregates /metrics exposes.
//
// Officer reads (GET /api/v1/assignments, GET /api/v1/reports/{id}): the
// caller has already turned the bearer token into a contact id
// (storage/officers.hpp contact_for_token).
//
// Who may read a report (view_right_of), for an active contact only:
//   - `assignee`: the contact holds (or held) any assignment of the report,
//     in any state (open, acknowledged, superseded, cancelled);
//   - `commune_chair`: the contact's role is commune_chair and its unit_code
//     is the report's resolved commune_code;
//   - `province_coordinator`: the role is province_coordinator and its
//     unit_code is the report's resolved province_code, or the unit of a
//     province queue assignment of the report (a report the locator placed
//     in no province but a rule queued there);
//   - `hotline_supervisor`: the role is hotline_supervisor and the report
//     sits, or sat, in the national hotline queue (an assignment with queue
//     "hotline").
// Anyone else: refused (`forbidden`). Other commune roles (child protection,
// police) and province police see only what is assigned to them. The first
// matching right in this order is the one reported.
//
// Reporter identity (Decree 56/2017/NĐ-CP Art. 33; DESIGN.md rule 5): name,
// phone and address are given only when the reporter allowed contact
// (contact_ok) and did not ask to keep their identity secret; otherwise none
// of them is given and `withheld_reason` says why (identity_secret first).
//
// Every successful view is recorded with record_view: event `viewed` (actor
// "contact:<id>") {"contact": key, "via", "as": right}. The caller writes it
// in a database::write after the read and answers only once it committed.
//
// Metrics (read_metrics): counts only, never a name, number or text.
// Everything that only ever grows comes from the events (`received`,
// `classified`, `classification_overridden`, `acknowledged`, `ack_breached`,
// `escalated`, `action_breached`, `plan_breached`), kept by a metrics_tally
// that reads only the events appended since its last update: events are
// append-only and their ids only grow, so a tally that has seen every event
// up to id N is exact after reading those above N. What changes state is
// counted each time: open assignments through the covering partial indexes,
// live outbox messages through outbox_due, settled ones in one pass over the
// outbox. See tests/storage/test_views.cpp, "read_metrics over 100,000
// reports", for the cost.
//
// Functions run on the caller's connection (reads on a reader, record_view
// inside a write). Thread-safety: that of the connection.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

// ---- the officer's list ---------------------------------------------------------

// GET /api/v1/assignments?state=: open (default), acknowledged, all.
enum class assignment_filter { open, acknowledged, all };
std::optional<assignment_filter> parse_assignment_filter(std::string_view s) noexcept;

struct officer_assignment {
    std::int64_t id = 0;
    std::int64_t report_id = 0;
    std::string tracking_code;               // ungrouped, as stored
    std::optional<std::string> urgency;      // the current classification's; none: unclassified
    std::vector<std::string> categories;
    std::optional<std::string> commune_code; // the report's resolved place
    std::optional<std::string> province_code;
    std::optional<std::string> role;         // the role the assignment was made for
    std::optional<std::string> unit_code;
    int step = 1;
    int round = 0;
    std::string state;                       // open | acknowledged | superseded | cancelled
    time_point created_at;
    std::optional<time_point> ack_due_at;
    // Open and its deadline is at or before `now`.
    bool overdue = false;
};

// The assignments of `contact_id` that `filter` selects, by ack_due_at
// (those without a deadline last), then id. No report text, no names.
result<std::vector<officer_assignment>> assignments_of(connection& c, std::int64_t contact_id,
                                                       assignment_filter filter, time_point now);

// ---- one report -------------------------------------------------------------------

enum class view_right { assignee, commune_chair, province_coordinator, hotline_supervisor };
std::string_view to_string(view_right r) noexcept;

// The right `contact_id` has to read report `report_id` (rules above), or
// none. Errors: `not_found` (no such report).
result<std::optional<view_right>> view_right_of(connection& c, std::int64_t report_id, std::int64_t contact_id);

struct reporter_identity {
    bool shown = false;
    std::optional<std::string> name;     // only when shown
    std::optional<std::string> phone;
    std::optional<std::string> address;
    bool contact_ok = false;
    bool keep_identity_secret = false;
    std::string withheld_reason;         // empty when shown
};

struct view_assignment {
    std::int64_t id = 0;
    std::optional<std::string> contact;  // the directory key; none for a queue
    std::optional<std::string> queue;    // "province" | "hotline"
    std::optional<std::string> role;
    std::optional<std::string> unit_code;
    int step = 1;
    int round = 0;
    std::string state;
    std::string reason;
    time_point created_at;
    std::optional<time_point> ack_due_at;
    std::optional<time_point> acknowledged_at;
    std::optional<std::string> acknowledged_by;  // the directory key
    std::optional<std::string> acknowledged_via;
    std::optional<time_point> breached_at;
    std::optional<time_point> escalated_at;
};

struct view_event {
    std::int64_t id = 0;
    std::string kind;
    std::string actor;
    time_point at;
    // The event's JSON data when its kind names no person (ids, keys, codes,
    // times, the classifier's verdict; an override without its reason);
    // none when absent or withheld (`withheld` then says so).
    std::optional<std::string> data;
    bool withheld = false;
};

// Text the reporter added later by SMS (`location_added`, `detail_added`):
// part of the report, shown with it rather than in the timeline.
struct view_addition {
    std::string kind;
    time_point at;
    std::string text;
};

struct clock_state {
    std::optional<time_point> due, met, breached;
};

struct report_view {
    view_right right = view_right::assignee;
    std::int64_t id = 0;
    std::string tracking_code;  // ungrouped
    std::string channel;
    time_point received_at;
    std::string state;
    std::string text;
    std::vector<view_addition> additions;
    std::optional<std::string> location_text;  // as typed
    std::optional<std::string> location_code;  // as picked
    std::optional<std::string> commune_code;   // as resolved
    std::optional<std::string> province_code;
    std::optional<std::string> child_name;
    std::optional<int> child_age;
    bool child_age_estimated = false;
    std::string child_sex;
    std::optional<std::string> child_condition;
    std::optional<std::string> perpetrator_relation;
    reporter_identity reporter;
    // The current classification: the data of the last `classified` or
    // `classification_overridden` event (reason removed), its kind and time.
    std::optional<std::string> classification;
    std::optional<std::string> classification_kind;
    std::optional<time_point> classified_at;
    clock_state action;  // 12 hours on the emergency track
    clock_state plan;    // 5 working days on the standard track
    int ladder_step = 0;
    int ladder_round = 0;
    std::vector<view_assignment> assignments;  // by id
    std::vector<view_event> events;            // by id
};

// The report as `contact_id` may see it. Errors: `not_found` (no such
// report), `forbidden` (no right to it).
result<report_view> read_report_view(connection& c, std::int64_t report_id, std::int64_t contact_id);

// Records that `contact_id` viewed the report with `right` through `via`
// ("api"), at `now`: event `viewed`. Returns the event id. Errors:
// `not_found` (no such report or contact).
result<std::int64_t> record_view(connection& c, std::int64_t report_id, std::int64_t contact_id,
                                 view_right right, std::string_view via, time_point now);

// ---- metrics ------------------------------------------------------------------------

// Upper bounds of the time-to-acknowledge histogram, in seconds (+Inf follows).
inline constexpr std::array<std::int64_t, 7> time_to_ack_bounds = {60, 300, 900, 1800, 3600, 14400, 86400};

struct metrics_counts {
    struct reports_by {
        std::string channel;
        std::string urgency;  // of the current classification, or "unclassified"
        std::int64_t count = 0;
    };
    std::vector<reports_by> reports;  // by channel, then urgency
    std::int64_t assignments_open = 0;
    std::int64_t ack_breaches = 0;    // assignments whose deadline passed unacknowledged
    std::int64_t escalations = 0;     // ladder steps taken
    std::int64_t action_breaches = 0; // legal clocks breached
    std::int64_t plan_breaches = 0;
    // Acknowledged assignments: how many took at most each bound (cumulative),
    // their number and the sum of their times to acknowledge.
    std::array<std::int64_t, time_to_ack_bounds.size()> ack_buckets{};
    std::int64_t ack_count = 0;
    double ack_seconds_sum = 0;
    // Outbox rows by state (pending, sending, sent, failed; all four, zero
    // when none) and messages reported undelivered after sending.
    std::array<std::int64_t, 4> outbox{};
    std::int64_t outbox_undelivered = 0;
};
inline constexpr std::array<std::string_view, 4> outbox_states = {"pending", "sending", "sent", "failed"};

// The figures of metrics_counts that come from events (see above), from
// the events read so far. Memory: two bytes per report id. Not thread-safe: one
// update at a time (the caller serialises scrapes).
class metrics_tally {
public:
    // Reads the events appended since the last update (every event the
    // first time).
    result<void> update(connection& c);
    // Fills m.reports (by channel, then urgency), the breaches, the
    // escalations and the time-to-acknowledge histogram.
    void fill(metrics_counts& m) const;

private:
    static constexpr std::size_t channels = 4;   // web, api, sms, operator
    static constexpr std::size_t urgencies = 5;  // unclassified, emergency, high, normal, low
    std::int64_t last_event_ = 0;
    std::vector<std::uint8_t> channel_;  // by report id: 1 + channel index; 0 unknown
    std::vector<std::uint8_t> urgency_;  // by report id: urgency index
    std::array<std::array<std::int64_t, urgencies>, channels> counts_{};
    std::int64_t action_breaches_ = 0;
    std::int64_t plan_breaches_ = 0;
    std::int64_t ack_breaches_ = 0;
    std::int64_t escalations_ = 0;
    std::array<std::int64_t, time_to_ack_bounds.size()> ack_buckets_{};
    std::int64_t ack_count_ = 0;
    std::int64_t ack_ms_sum_ = 0;
};

// Every figure of metrics_counts; `tally` brought up to date first.
result<metrics_counts> read_metrics(connection& c, metrics_tally& tally);
// The same from scratch (a fresh tally: every event is read).
result<metrics_counts> read_metrics(connection& c);

}  // namespace hotline::storage
