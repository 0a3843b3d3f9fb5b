#pragma once
// The outbox: every notification the system sends (SMS replies, officer
// notifications: storage/notify.hpp) is a row written in the same transaction as the change
// that caused it, and sent after commit by a dispatcher (server/dispatcher).
// A crash between commit and send loses nothing: the row is still pending.
//
// A message moves pending -> sending (claimed, with a lease) -> sent, or back
// to pending with a later next_attempt_at (retry), or to failed (permanent).
// A claim whose lease ran out (the sender crashed mid-send) is pending again:
// delivery is at least once; the `id` goes with every send as its
// idempotency key so a receiver can drop duplicates.
//
// Free functions here run inside a write or read job (storage::database::write
// / read), on the job's connection; they never start or end transactions.
// Those that change rows (enqueue, claim, mark, retry, fail) belong in a
// write job: a claim is then atomic, no two claims can hand out one message.
//
// SMS destinations are stored through detail/phone_column.hpp (channels
// "sms" and "*_sms"); callers see the number itself.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

struct new_outbox_message {
    std::string channel;       // how it leaves: "android_sms", "twilio_sms", "webhook"
    std::string destination;   // E.164 number for SMS, URL for webhooks
    std::string body;          // SMS text, or the JSON document for webhooks
    int segments = 0;          // SMS segments (0 for webhooks)
    std::optional<std::uint64_t> report_id;
    std::optional<std::int64_t> assignment_id;  // the assignment it notifies (storage/notify.hpp)
    time_point created_at;
};

struct outbox_message {
    std::uint64_t id = 0;
    std::string channel;
    std::string destination;
    std::string body;
    int segments = 0;
    int attempts = 0;          // sends tried before this one
    std::optional<std::uint64_t> report_id;
    std::optional<std::int64_t> assignment_id;
    time_point created_at;
    time_point next_attempt_at;
};

enum class outbox_state { pending, sending, sent, failed };

// Adds a message, due at once (next_attempt_at = created_at). Returns its id.
// Refuses an empty channel or destination and negative segments with
// `invalid_value`; a report_id or assignment_id naming no row fails (foreign
// key).
result<std::uint64_t> enqueue_outbox(connection& c, const new_outbox_message& m);

// Claims up to `max` messages due at `now` (pending with next_attempt_at <=
// now, or sending with lease_until <= now), oldest due first (ties by id);
// marks them sending until now + lease and counts the attempt (the returned
// `attempts` is the count before this claim).
result<std::vector<outbox_message>> claim_due_outbox(connection& c, time_point now, std::size_t max,
                                                     std::chrono::milliseconds lease);

// The verdicts below fail with `not_found` for an unknown id. Sent and failed
// are final: a verdict on a message already sent or failed (a late answer of a
// send whose lease ran out and was claimed again) succeeds and changes
// nothing. `error` is stored as last_error with the message body and the
// destination replaced by placeholders (texts of 8 bytes or more; also in
// their JSON-escaped form) and cut to about 500 bytes.

// The claimed message was handed to the gateway. Records sent_at, the
// gateway's id for it when given (`provider_message_id`, e.g. Twilio's
// MessageSid: delivery reports name the message by it, see record_delivery;
// an id already held by another message of the same channel is not stored
// twice, the message is still marked sent) and, when it concerns a report
// (any channel), an event `notified` on that report with data
// {"outbox_id": id, "channel": channel}, actor "outbox".
result<void> mark_outbox_sent(connection& c, std::uint64_t id, time_point now,
                              std::string_view provider_message_id = {});

// The send failed but may work later: pending again, due at `next`; the
// attempt count is kept.
result<void> retry_outbox(connection& c, std::uint64_t id, time_point next, const std::string& error);

// The send failed for good (refused by the gateway, or out of attempts).
// Records failed_at = now and, when the message notified an assignment,
// calls on_notification_failed (storage/notify.hpp). Returns whether that
// moved an assignment's deadline to `now`: the caller (the dispatcher) must
// then wake the deadline scheduler after commit, so the next ladder step is
// called at once. False for a message already sent or failed.
result<bool> fail_outbox(connection& c, std::uint64_t id, time_point now, const std::string& error);

// ---- delivery reports ---------------------------------------------------------
//
// A gateway says later whether a sent message reached the phone (Twilio's
// StatusCallback, the Android gateway's sms:delivered / sms:failed). The
// report names the message by the gateway's id, stored by mark_outbox_sent.
//
// The first report for a message is final: it sets delivery and delivery_at
// once; a repeated report, or a later one that contradicts it (undelivered
// after delivered, or delivered after undelivered), changes nothing and
// writes no event. The first report is the one the system acted on (a
// deadline moved, an escalation may already have run), so the record keeps
// saying what was acted on; gateways report one final status per message,
// so a contradiction is the gateway's anomaly, visible in its own logs.

enum class delivery_status { delivered, undelivered };
std::string_view to_string(delivery_status s) noexcept;  // "delivered", "undelivered"

struct delivery_record {
    std::uint64_t outbox_id = 0;
    std::optional<std::uint64_t> report_id;
    std::optional<std::int64_t> assignment_id;
    bool recorded = false;        // this report was the first: delivery set, event written
    bool deadline_moved = false;  // on_notification_failed moved a deadline: wake the scheduler
};

// Records the delivery report for the message of `channel` whose gateway id
// is `provider_message_id`, at `now`: delivery, delivery_at, an event
// `delivered` or `undelivered` {"outbox_id", "channel"} (actor "outbox") on
// its report, `error` (redacted like the verdicts above) as last_error for
// an undelivered one, and for an undelivered one on_notification_failed
// (storage/notify.hpp). Returns none when no message has that id (a report
// for a message sent by something else, or arriving before its
// mark_outbox_sent committed: the caller answers the gateway as usual).
result<std::optional<delivery_record>> record_delivery(connection& c, std::string_view channel,
                                                       std::string_view provider_message_id,
                                                       delivery_status status, time_point now,
                                                       const std::string& error = {});

// When the earliest pending or leased message is due (a leased one when its
// lease runs out), if any.
result<std::optional<time_point>> next_outbox_due(connection& c);

struct outbox_counts {
    std::int64_t pending = 0;
    std::int64_t sending = 0;
    std::int64_t sent = 0;
    std::int64_t failed = 0;
};
result<outbox_counts> count_outbox(connection& c);

// The state, attempts and last error of one message (tests, operators).
struct outbox_status {
    outbox_state state = outbox_state::pending;
    int attempts = 0;
    std::string last_error;
};
result<std::optional<outbox_status>> outbox_status_of(connection& c, std::uint64_t id);

}  // namespace hotline::storage
