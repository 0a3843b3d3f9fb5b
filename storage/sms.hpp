#pragma once
// Incoming SMS: every message is stored, once, with what was decided about
// it, in one transaction with whatever it caused (a new report and its
// `received` event, a location or detail added to an earlier report, an
// opt-out, an officer's acknowledgement event, and the reply when it leaves
// through the outbox).
//
// Deduplication: (provider, provider_message_id) is unique. A gateway retry
// of a stored message changes nothing and returns the first outcome,
// `replayed` set, so the retry gets the same answer.
//
// Phone numbers: every read and write of a sender's number goes through
// detail/phone_column.hpp (one place to add encryption at rest).
//
// Entry point: database::receive_sms(inbound_sms, sms_options, completion)
// (declared in database.hpp), a write in the writer's group commit like
// every other, because new reports take their ids from the writer.

#include <cstdint>
#include <optional>
#include <string>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "intake/sms.hpp"
#include "intake/tracking_code.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

struct inbound_sms {
    std::string provider;               // "twilio", "android", "generic"
    std::string provider_message_id;    // MessageSid, envelope id, or the generic gateway's id
    std::string from;                   // the sender: E.164 when it normalises, else as received
    std::string to;                     // the number it was sent to, as received (may be empty)
    std::string body;                   // clean UTF-8 (NFC), may be empty
    time_point received_at;
    intake::secret_hash secret;         // for a report this message creates (never shown by SMS)
};

struct sms_options {
    intake::sms_policy policy;
    // When set, a reply is written to the outbox on this channel ("android_sms")
    // addressed to the sender; when empty the caller answers inline (TwiML)
    // and nothing goes to the outbox.
    std::string outbox_channel;
};

struct sms_outcome {
    std::uint64_t message_id = 0;                // row id of the stored message
    intake::sms_decision decision;
    std::optional<std::uint64_t> report_id;      // the report created or extended
    std::string tracking_code;                   // its code, grouped, when there is a report
    std::string reply_text;                      // empty when nothing is answered
    int reply_segments = 0;
    std::optional<std::uint64_t> outbox_id;      // the reply's outbox row, when it went there
    std::optional<std::uint64_t> contact_id;     // officer_acknowledge: the contact who wrote
    // officer_acknowledge: the assignment this message acknowledged (not
    // kept for a replay, which acknowledges nothing), and whether in time.
    std::optional<std::uint64_t> acknowledged_assignment;
    bool in_time = false;
    bool replayed = false;
    // new_report (not on a replay): what waits on the write, as in receipt.
    std::optional<time_point> earliest_due;
    bool queued_messages = false;
};

// What database::receive_sms does with a message `m`: stores it and applies
// intake::decide_sms to it (see sms.hpp in intake). The sender's state comes
// from earlier messages of the same number: its opt-out, whether it belongs to
// an active contact, its messages in the last hour (received_at within the
// hour before m.received_at), and its latest report. A message names a place
// (has_location) when it comes with a routing request whose location has a
// commune. Then, by action:
//   - new_report: a report with channel `sms`, the message body as text, the
//     sender as reporter_phone, m.secret, and its `received` event; when the
//     number wrote an earlier report, an event `linked` with data
//     {"previous_report_id": id}. The number's open report becomes this one,
//     needing a location when the reply asked for it.
//   - add_location: the body becomes the open report's location_text (or is
//     appended after "; " when it has one); event `location_added` with data
//     {"text": body, "sms_message_id": id}.
//   - add_detail: the report's text stays as received; event `detail_added`
//     with data {"text": body, "sms_message_id": id}.
//   - opt_out: the number is opted out (for good; nothing re-enables it yet).
//   - officer_acknowledge: never a report. From a number that is no active
//     contact: stored and ignored (no event, no reply, contact_id null).
//     From a contact, when the code decodes to an existing report: an event
//     `acknowledgement_received` on it, actor "contact:<id>", data
//     {"contact_id": id, "sms_message_id": id, "outcome": reply kind}, and
//     the acknowledgement itself through storage::acknowledge (channel
//     "sms", at m.received_at) in the same write. The assignment
//     acknowledged is, among the report's open assignments the contact may
//     acknowledge (storage/officers.hpp may_acknowledge), the earliest
//     created it is the assignee of, else the earliest of a colleague's.
//     The reply (when decide_sms allows one) says what came of it:
//     ack_done; when none is open, by the contact's own assignment (else one
//     it could have acknowledged as a colleague): ack_already when that was
//     acknowledged, ack_superseded when somebody else had the report first;
//     ack_not_allowed when the contact may acknowledge none of the report's
//     assignments; ack_unknown_code when the code names no report (the code
//     as typed, upper case, in the text).
// The reply is intake::sms_reply_text(decision.reply, grouped code) with its
// segment count; it goes to the outbox (destination m.from, report_id set)
// when sms_options::outbox_channel is set. Events are dated m.received_at;
// the outbox row is created (and due) at m.received_at. Contacts are looked
// up by m.from as stored in contacts.phone (officers' numbers are not
// passed through the phone column); when several active contacts share the
// number (one person in two roles), the one with the lowest id. Contacts
// are kept by storage/directory.hpp.

}  // namespace hotline::storage
