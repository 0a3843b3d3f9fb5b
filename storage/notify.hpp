#pragma once
// Telling people about their assignments: every assignment made to a contact
// (at intake, when a late location routes a report, when escalation reaches a
// step) puts its notifications in the outbox in the same write, so a commit
// without its notifications cannot happen (DESIGN.md: outbox).
//
// For an assignment to a contact, one outbox row per channel the contact has:
//   - "sms" -> channel policy.sms_channel (skipped when empty), destination the
//     contact's phone, body routing::notification_text (one GSM-7 segment
//     where possible: the report's grouped tracking code, urgency, the commune
//     (or province) name without diacritics, the deadline in Vietnam time,
//     "OK <code>" to acknowledge and, when policy.public_base_url is set, the
//     acknowledgement link {base}/a/{token} (storage/officers.hpp
//     create_ack_link, valid policy.link_lifetime));
//   - "webhook" -> channel "webhook" (skipped when policy.webhook_enabled is
//     false or the contact has no webhook_url), destination the URL, body a
//     JSON document {"type": "assignment", "assignment_id", "report_id",
//     "tracking_code", "urgency", "categories", "commune_code",
//     "province_code", "role", "step", "ack_due_at" (RFC 3339 UTC),
//     "ack_url" (or null)}; a reminder's has "type": "reminder" and
//     "ack_url" null.
// One link serves both rows of an assignment (it works once, whichever way
// it travelled). Each row carries report_id and assignment_id. Queue assignments (no
// contact) are not notified: queues are read by coordinators. Nothing here
// names the reporter, the child or the report's text.
//
// A notification that fails for good (the gateway refused it, or it was
// reported undelivered) makes its assignment due at once when no other
// notification of it is still pending, sending, or sent and not reported
// undelivered: the escalation then calls the next step (storage/escalation.hpp)
// instead of waiting out the deadline. See on_notification_failed.
//
// Functions run inside the caller's write (database::write) on its
// connection; thread-safety is the connection's.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "intake/tracking_code.hpp"
#include "routing/units.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

struct notification_policy {
    std::string sms_channel;                         // "twilio_sms", "android_sms"; empty: SMS not sent
    bool webhook_enabled = false;                    // a signing secret is configured
    std::string public_base_url;                     // links; empty: no link in texts
    std::chrono::minutes link_lifetime{std::chrono::hours(24)};
    intake::secret_key link_key{};                   // signs acknowledgement links
    const routing::unit_catalog* units = nullptr;    // names communes in texts; null: codes only
    const intake::tracking_codec* codec = nullptr;   // unused: texts take the code stored with the report
};

enum class notification_kind {
    assignment,  // a new assignment: the text above
    reminder,    // its reminder fell due: the same facts, marked as a reminder, no new link
};

// Writes the notifications of assignment `assignment_id` (made at `now`).
// Returns the ids of the outbox rows written (none for a queue, a contact
// with no usable channel, or an inactive contact). Errors fail the write.
result<std::vector<std::uint64_t>> notify_assignment(connection& c, std::int64_t assignment_id,
                                                     const notification_policy& policy, time_point now,
                                                     notification_kind kind = notification_kind::assignment);

// The outbox row `outbox_id` failed for good (fail_outbox, or a delivery
// report of `undelivered`), at `now`. When it notified an assignment that is
// still open and has no other live notification (pending, sending, or sent
// and not undelivered), the assignment's ack_due_at becomes `now` (when
// later), with event `notification_failed` {"assignment", "outbox_id",
// "channel"} on the report; its reminder, when still to come, is dropped
// (the deadline is now). Returns whether a deadline moved (the caller then
// wakes the scheduler). Nothing happens for other rows, for an assignment
// without a deadline, or one already due or breached.
result<bool> on_notification_failed(connection& c, std::uint64_t outbox_id, time_point now);

}  // namespace hotline::storage
