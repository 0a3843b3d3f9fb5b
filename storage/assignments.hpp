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
// Functions run on the writer's connection inside the write's savepoint, with
// cached statements. Thread-safety: that of the connection.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "intake/classify.hpp"
#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "routing/locate.hpp"
#include "routing/rules.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

// What the server worked out before the write: where the report happened
// (the locator's answer) and the policy to route it by. The policy is
// borrowed: it must outlive the write (the server keeps one for its life).
struct routing_request {
    routing::location_result location;
    const routing::routing_policy* policy = nullptr;
};

namespace detail {

// The plan for a report of urgency `level` and `categories` located as `req`
// says, at `at`, asking the directory over `c`.
result<routing::route_plan> plan_route(connection& c, const routing_request& req, intake::urgency level,
                                       const std::vector<std::string>& categories, time_point at);

// Whether some contact (not only a queue) gets the report.
bool reaches_contact(const routing::route_plan& plan) noexcept;

// Writes, for the report row `report_id` that already exists: the `located`
// event, the assignments of `plan` and the `routed` event. The report's
// columns (state, resolved codes) are the caller's: a new report is inserted
// with them.
result<void> write_route(connection& c, std::int64_t report_id, const routing_request& req,
                         const routing::route_plan& plan, time_point at);

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
