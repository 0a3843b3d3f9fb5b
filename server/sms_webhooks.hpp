#pragma once
// The SMS gateways' webhooks: reading their payloads and checking their
// signatures. Pure functions (OpenSSL HMAC, no I/O), thread-safe.
//
// Twilio (POST application/x-www-form-urlencoded, header X-Twilio-Signature):
//   signature = base64(HMAC-SHA1(auth token, URL + concat(name + value for
//   every POST parameter, sorted by name, then by value))), URL being the
//   public URL Twilio called, query string included. Accepted when it
//   matches under any configured token (rotation), for the URL as configured
//   and with its default port (:443 / :80) added or removed, as Twilio's own
//   validator does.
//
// SMS Gateway for Android (POST application/json, headers X-Signature and
// X-Timestamp): signature = lowercase hex HMAC-SHA256(signing key, raw body
// bytes followed by the X-Timestamp value); the timestamp (Unix seconds) must
// be within the tolerance of now.
//
// Delivery reports of messages we sent come on their own route from Twilio
// (POST /webhooks/sms/twilio/status, the StatusCallback of each message,
// signed like the inbound webhook over that URL) and as events
// "sms:delivered" / "sms:failed" on the Android gateway's webhook (signed
// like its inbound events).
//
// Generic gateways (POST application/json, headers X-Hotline-Timestamp and
// X-Hotline-Signature): signature = "sha256=" + lowercase hex
// HMAC-SHA256(shared secret, timestamp + "." + raw body); timestamp in Unix
// seconds within the tolerance. Body: {"id","from","to","text"} (all strings,
// "to" optional), `id` unique per message (retries reuse it).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "intake/clock.hpp"
#include "intake/result.hpp"

namespace hotline::server {

using form_params = std::vector<std::pair<std::string, std::string>>;  // decoded, in arrival order

// ---- signatures ----------------------------------------------------------------

std::string twilio_signature(std::string_view auth_token, std::string_view url, const form_params& params);
bool twilio_signature_valid(const std::vector<std::string>& auth_tokens, std::string_view url,
                            const form_params& params, std::string_view signature_header);

std::string android_signature(std::string_view signing_key, std::string_view body, std::string_view timestamp);
std::string generic_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

enum class signature_check { ok, missing, malformed_timestamp, stale_timestamp, mismatch };
std::string_view to_string(signature_check c) noexcept;

// Constant-time comparison; the timestamp checked against `now` ± tolerance.
signature_check check_android_signature(std::string_view signing_key, std::string_view body,
                                        std::string_view timestamp_header, std::string_view signature_header,
                                        time_point now, std::chrono::seconds tolerance);
signature_check check_generic_signature(std::string_view secret, std::string_view body,
                                        std::string_view timestamp_header, std::string_view signature_header,
                                        time_point now, std::chrono::seconds tolerance);

// ---- payloads ------------------------------------------------------------------

// What every gateway's message comes down to.
struct gateway_message {
    std::string id;      // the provider's id used for deduplication
    std::string from;    // sender as the gateway wrote it
    std::string to;      // may be empty
    std::string text;    // raw, not yet cleaned (may be empty)
};

// Twilio: MessageSid, From, To, Body (other parameters ignored). Errors
// (code `invalid_value`, field = parameter): MessageSid or From missing.
result<gateway_message> twilio_message(const form_params& params);

// Android gateway envelope {"id","webhookId","event","deviceId","payload"}.
// For event "sms:received": payload {"messageId","message","sender" (or the
// older "phoneNumber"),"recipient","simNumber","receivedAt"}; id = envelope id.
// std::nullopt for any other event (acknowledged and ignored). Errors:
// `malformed_json`, `invalid_value` naming the missing field.
result<std::optional<gateway_message>> android_message(std::string_view body);

// Generic: {"id","from","to","text"}. Errors as above.
result<gateway_message> generic_message(std::string_view body);

// What became of a message we sent (storage::record_delivery).
struct delivery_report {
    std::string provider_message_id;  // the gateway's id of the message (send_result::provider_message_id)
    bool delivered = false;           // false: not delivered, for good
    // Why not, for logs and the outbox row: the gateway's error code or
    // reason ("Twilio error 30003"), at most 200 bytes of valid UTF-8;
    // empty when delivered.
    std::string error;
};

// Twilio's status callback: MessageSid, MessageStatus, ErrorCode (other
// parameters ignored). "delivered" -> delivered; "undelivered" and "failed"
// -> not delivered, error "Twilio error <ErrorCode>" (or "Twilio status
// <status>" without a code); any other status (queued, sending, sent, read,
// ...) -> std::nullopt: acknowledged and ignored. Errors (`invalid_value`,
// field = parameter): MessageSid or MessageStatus missing or empty.
result<std::optional<delivery_report>> twilio_delivery(const form_params& params);

// The Android gateway's events "sms:delivered" and "sms:failed": the
// envelope as for android_message, payload {"messageId", "phoneNumber",
// "deliveredAt" | "failedAt", "reason" (sms:failed)}. For sms:failed the
// error is "the gateway reported: <reason>". std::nullopt for any other
// event. Errors: `malformed_json`, `invalid_value` naming the field
// (payload.messageId missing or empty, a member of the wrong type).
result<std::optional<delivery_report>> android_delivery(std::string_view body);

// TwiML answer: <?xml version="1.0" encoding="UTF-8"?><Response><Message>…</Message></Response>
// with the text XML-escaped, or <Response/> when `reply` is empty.
std::string twiml_response(std::string_view reply);

// Android gateway send API body: {"textMessage":{"text":…},"phoneNumbers":[…]}
// plus "id" when given (the gateway drops a second message with the same id).
std::string android_send_body(std::string_view text, std::string_view phone, std::string_view id);

}  // namespace hotline::server
