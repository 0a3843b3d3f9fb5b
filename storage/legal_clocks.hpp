#pragma once
// The legal clocks of a report once it is in somebody's hands: recording
// that they were met, and making every deadline follow a human's
// reclassification.
//
// Milestones (Decree 56/2017 Art. 28(1), routing/deadlines.hpp):
//   - `action`: the emergency measures were taken. Sets action_met_at once;
//     on the emergency_12h track the plan's 5 working days run from here, so
//     plan_due_at becomes add_working_days(at, 5) when the report has no plan
//     clock yet.
//   - `plan`: the support plan was made. Sets plan_met_at once.
// Either moves the report to `in_progress` (from received, routed, unrouted
// or acknowledged; a closed report refuses with `report_closed`) and adds an
// event `action_taken` / `plan_made` (actor "contact:<id>") {"contact",
// "in_time" (met before its due time, true when it had none), "due_at" (or
// null)}. A clock already breached is still recorded as met, late. Recording
// a milestone twice fails with `already_recorded`.
//
// Reclassification: after a `classification_overridden` event, the open
// assignments still waiting (not breached) get the deadline of the new
// urgency for their place on its ladder, counted from when they were made
// (routing::effective_wait of the step, else the urgency's ack limit), with
// their reminder; a deadline that is already past falls due at once (the
// scheduler breaches and escalates). The legal clocks follow the new track:
// a clock of the new track that the report lacks is set from received_at; a
// clock of the old track that is neither met nor breached and that the new
// track does not have is cleared. Event `deadlines_changed` (actor
// "scheduler") {"urgency", "track", "assignments": [{"id", "ack_due_at"}],
// "action_due_at", "plan_due_at"} when anything changed.
//
// Functions run inside the caller's write (database::write); thread-safety
// is the connection's.

#include <cstdint>

#include "intake/classify.hpp"
#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "storage/assignments.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

enum class milestone { action, plan };

struct milestone_recorded {
    bool in_time = true;
    std::optional<time_point> due_at;           // the clock's due time, if it had one
    std::optional<time_point> plan_due_at;      // the plan clock started by an action, if any
};

// Errors: `not_found` (no such report), `already_recorded`, `report_closed`.
result<milestone_recorded> record_milestone(connection& c, std::int64_t report_id, milestone m,
                                            std::int64_t contact_id, const deadline_policy& policy, time_point at);

// Returns whether anything changed. Errors: `not_found`.
result<bool> reapply_deadlines(connection& c, std::int64_t report_id, intake::urgency level,
                               intake::legal_track track, const deadline_policy& policy, time_point now);

}  // namespace hotline::storage
