#pragma once
// Routing inside the intake write: where a new report happened, who gets it
// (routing::route over the directory in the same transaction), and the
// assignments that say so.
//
// For each routed report, in the write that stores it:
//   - event `located` (actor "routing"), data {"commune_code", "province_code",
//     "confidence", "matched", "candidates": [...]} (codes null when unknown);
//   - one `assignments` row per planned assignment (step 1, state `open`):
//     a contact (contact_id, role, unit_code) or a queue (queue, unit_code:
//     the province code for `province`, "VN" for `hotline`), with the reason;
//   - event `routed` (actor "routing"), data {"rules": [names...],
//     "assignments": [{"id", "contact" (the directory key or null), "role"
//     (or null), "unit_code", "queue" (or null), "reason"}]}. Events hold
//     keys and codes only: no names, no phone numbers;
//   - the report's resolved commune_code / province_code and its state:
//     `routed` when a contact has it, `unrouted` when it only sits in a queue.
// Any error (the directory's included) fails the caller's write, so nothing
// of a report is stored half-routed.
//
// Functions run on the writer's connection inside the write's transaction, with
// cached statements. Thread-safety: that of the connection.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "intake/classify.hpp"
#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "routing/deadlines.hpp"
#include "routing/escalation.hpp"
#include "routing/locate.hpp"
#include "routing/rules.hpp"
#include "storage/directory.hpp"
#include "storage/notify.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

// The deadlines a routed report gets (config [deadlines], [escalation.*]):
// how long an assignee has to acknowledge, by urgency; the ladders walked
// when nobody does (storage/escalation.hpp); the holidays the plan's working
// days skip. Immutable once built; shared by every write.
struct deadline_policy {
    routing::ack_policy ack;
    routing::escalation_policy escalation = routing::escalation_policy::defaults();
    routing::holiday_calendar calendar;
    // Who is told about new assignments and reminders, and how
    // (storage/notify.hpp). Its sms_channel empty and webhooks disabled:
    // nothing is sent.
    notification_policy notifications;
};

// What the server worked out before the write: where the report happened
// (the locator's answer) and the policy to route it by. The policies are
// borrowed: they must outlive the write (the server keeps them for its life).
// With `deadlines` set, every assignment written gets its acknowledgement
// deadline (ack_due_at: created + the wait of its ladder step, by default the
// urgency's ack limit) and its reminder time, and a new report its legal
// clocks (action_due_at on the emergency_12h track, plan_due_at on the
// standard_5wd track, which a report without a classification is on), and
// every assignment to a contact its notifications (storage/notify.hpp, by
// deadlines->notifications); null: no deadlines, no notifications.
struct routing_request {
    routing::location_result location;
    const routing::routing_policy* policy = nullptr;
    const deadline_policy* deadlines = nullptr;
};

namespace detail {

// The plan for a report of urgency `level` and `categories` located as `req`
// says, at `at`, asking the directory over `c` (through `cache` when given;
// see duty_cache for what its owner must do).
result<routing::route_plan> plan_route(connection& c, const routing_request& req, intake::urgency level,
                                       const std::vector<std::string>& categories, time_point at,
                                       duty_cache* cache = nullptr);

// Whether some contact (not only a queue) gets the report.
bool reaches_contact(const routing::route_plan& plan) noexcept;

// Writes, for the report row `report_id` that already exists: the `located`
// event, the assignments of `plan` (step 1 of round 0 of the ladder of
// `level`, with their deadlines when req.deadlines is set) and the `routed`
// event. The report's columns (state, resolved codes, legal clocks) are the
// caller's: a new report is inserted with them. Returns what waits on the
// write: the earliest acknowledgement or reminder deadline it set, and whether
// it put notifications in the outbox.
struct route_written {
    std::optional<time_point> earliest_due;
    bool queued_messages = false;
};

// `earliest` becomes `t` when `t` is set and earlier, or `earliest` unset.
inline void keep_earliest(std::optional<time_point>& earliest, const std::optional<time_point>& t) noexcept {
    if (t && (!earliest || *t < *earliest)) earliest = t;
}
result<route_written> write_route(connection& c, std::int64_t report_id, const routing_request& req,
                                  const routing::route_plan& plan, intake::urgency level, time_point at);

// Where an assignment sits on its ladder and when it is due.
struct assignment_deadline {
    int step = 1;                            // the assignments.step column: ladder step index + 1
    int round = 0;                           // ladder_round
    std::optional<time_point> ack_due;       // none: no deadline
    std::optional<time_point> reminder_due;  // none: no reminder
};

// The deadline of an assignment made at `at` on `position` of the ladder of
// `level`: none at all without a policy.
assignment_deadline deadline_for(const deadline_policy* policy, intake::urgency level,
                                 routing::ladder_position position, time_point at) noexcept;

// Inserts one assignment row of `report_id` made at `at`; returns its id.
result<std::int64_t> insert_assignment(connection& c, std::int64_t report_id, const routing::planned_assignment& a,
                                       const assignment_deadline& d, time_point at);

// The report's current classification: the last `classified` or
// `classification_overridden` event; normal and no categories without one.
struct current_class {
    intake::urgency level = intake::urgency::normal;
    std::vector<std::string> categories;
};
result<current_class> classification_of(connection& c, std::int64_t report_id);

// A place learnt after the report was filed (an SMS answering "which
// commune?"). When the report has no commune yet: event `located`; then,
// when `req` finds a commune (or a province the report did not have), the
// report is routed again by its current classification (the last
// `classified` or `classification_overridden` event): the new assignments
// (none for a contact or queue the report already has), event `routed`, the
// resolved codes, and the state (`routed` / `unrouted`, only from
// `received`, `routed` or `unrouted`). When a contact now has the report,
// its open queue entries that a fallback made (not a rule's hotline_queue)
// become `superseded`. Returns whether it routed again.
result<bool> route_late_location(connection& c, std::int64_t report_id, const routing_request& req, time_point at);

}  // namespace detail

}  // namespace hotline::storage
