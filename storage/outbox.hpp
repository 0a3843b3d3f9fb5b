#pragma once
// The outbox: every notification the system sends (SMS replies now, officer
// notifications later) is a row written in the same transaction as the change
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
    time_point created_at;
    time_point next_attempt_at;
};

enum class outbox_state { pending, sending, sent, failed };

// Adds a message, due at once (next_attempt_at = created_at). Returns its id.
// Refuses an empty channel or destination and negative segments with
// `invalid_value`; a report_id naming no report fails (foreign key).
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

// The claimed message was delivered. Records sent_at and, when it concerns a
// report (any channel), an event `notified` on that report with data
// {"outbox_id": id, "channel": channel}, actor "outbox".
result<void> mark_outbox_sent(connection& c, std::uint64_t id, time_point now);

// The send failed but may work later: pending again, due at `next`; the
// attempt count is kept.
result<void> retry_outbox(connection& c, std::uint64_t id, time_point next, const std::string& error);

// The send failed for good (refused by the gateway, or out of attempts).
// Records failed_at = now.
result<void> fail_outbox(connection& c, std::uint64_t id, time_point now, const std::string& error);

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
