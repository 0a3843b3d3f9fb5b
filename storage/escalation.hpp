#pragma once
// Deadlines falling due, escalation and acknowledgement, in the database.
//
// What can fall due (storage/detail/migrations.cpp, migrations 5 and 12):
//   - the acknowledgement deadline (ack_due_at) of an open assignment whose
//     breach is not recorded yet;
//   - its reminder (reminder_due_at), not yet recorded;
//   - a report's legal clocks (action_due_at, plan_due_at) neither met nor
//     breached.
//
// run_due handles every item due at `now`, oldest first (by due time, then
// kind, then row id), inside the caller's write:
//   - an acknowledgement deadline: the assignment's breached_at, event
//     `ack_breached` {"assignment", "step", "round", "due_at"}; then, when
//     nobody has acknowledged the report (state received, routed or unrouted)
//     and the report still stands on the assignment's step of the ladder
//     (reports.ladder_step/ladder_round), the next step of the ladder of the
//     report's current urgency (routing/escalation.hpp next_step) is
//     assigned: its roles on duty at `now` in the report's commune, province
//     or nationally (the directory over the same transaction), a queue when
//     nobody is (the province's, else the hotline's), each new assignment
//     with its own deadline from `now` and its notifications
//     (storage/notify.hpp, by policy.notifications); the report's position moves to that
//     step (an UPDATE guarded by the old position: a step escalates once,
//     however many of its assignments breach), escalated_at on the breached
//     assignment, event `escalated` {"from": {"step", "round"}, "to": {"step",
//     "round"}, "assignments": [{"id", "contact" (key or null), "role",
//     "unit_code", "queue", "reason"}]}, and an `unrouted` report that now
//     reaches a contact becomes `routed`. Past the last step of the last
//     round nothing is assigned: the breach alone is recorded, and the
//     assignments stay open (anyone assigned may still acknowledge).
//     Earlier assignments are never closed by escalation.
//   - a reminder: reminded_at, and event `reminder_due` {"assignment",
//     "step", "round"} and the reminder's notifications (notify_assignment,
//     kind reminder) when the report is not acknowledged yet and the
//     assignment's deadline has not passed (a reminder handled after its
//     deadline, as after a restart, is only marked: the breach speaks).
//   - a legal clock: action_breached_at / plan_breached_at, event
//     `action_breached` / `plan_breached` {"due_at"}.
// Events carry ids, keys, codes and times only: no names, no phone numbers.
// Actor "scheduler". Every transition is an UPDATE guarded by the state it
// leaves (`... AND breached_at IS NULL`), so running it again, concurrently
// committed work aside, or after a restart changes nothing more.
//
// Functions run on a connection the caller owns: run_due and acknowledge
// inside a write (database::write), next_due on any connection. They are
// not thread-safe beyond the connection's own rules.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "storage/assignments.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

// The earliest instant anything above is due, or none.
result<std::optional<time_point>> next_due(connection& c);

struct due_outcome {
    std::size_t ack_breaches = 0;     // assignments whose deadline passed
    std::size_t escalations = 0;      // ladder steps assigned
    std::size_t assignments = 0;      // assignments made by those steps
    std::size_t reminders = 0;        // reminders fallen due
    std::size_t reminders_skipped = 0;  // fallen due past their deadline: marked, not sent
    std::size_t legal_breaches = 0;   // action / plan clocks breached
    std::size_t handled() const noexcept { return ack_breaches + reminders + reminders_skipped + legal_breaches; }
};

// Handles what is due at `now` (at most `limit` items, oldest first; the
// rest stays due for the next call: run it again while it handles
// `limit`) by `policy`. Errors fail the caller's write as a whole.
result<due_outcome> run_due(connection& c, time_point now, const deadline_policy& policy,
                            std::size_t limit = 1000);

// How a contact acknowledged: "api", "sms", "link", "console".
struct acknowledgement {
    std::int64_t assignment_id = 0;
    std::int64_t contact_id = 0;  // who acknowledged (the assignee or a colleague the caller allowed)
    std::string channel;
    time_point at;
};

struct acknowledged {
    std::int64_t report_id = 0;
    bool in_time = false;  // before the assignment's ack_due_at (or it had none)
};

// Records an acknowledgement, inside the caller's write: the assignment
// becomes `acknowledged` (acknowledged_at, _by, _via), the report
// `acknowledged` (from received, routed or unrouted; a later state stays),
// the report's other open assignments `superseded` (the report is in
// somebody's hands; their deadlines stop), event `acknowledged` (actor
// "contact:<id>") {"assignment", "contact", "channel", "in_time"}.
// Errors: `not_found` (no such assignment), `already_acknowledged` (this
// assignment was acknowledged), `superseded` (somebody else acknowledged the
// report first, or the assignment was withdrawn), `storage_failure`.
result<acknowledged> acknowledge(connection& c, const acknowledgement& a);

}  // namespace hotline::storage
