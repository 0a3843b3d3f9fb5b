#pragma once
// The outbox senders (server/dispatcher.hpp): one per way a message leaves.
//
// Every sender makes one HTTP request per send (server/http_client.hpp,
// http:// or https:// verified against `tls`), maps the answer to a verdict
// and never puts the message text, the destination or a credential in
// send_result::error (it is logged and stored). A send may be repeated after
// a lease ran out: each sender passes the outbox id so the receiver can drop
// the duplicate where it supports that.
//
// Thread-safety: a sender is used by one dispatcher, on its strand. The TLS
// context, the clock and the logger must outlive the sender.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "intake/clock.hpp"
#include "server/dispatcher.hpp"
#include "server/log.hpp"

namespace hotline::server {

// ---- SMS Gateway for Android -------------------------------------------------------

// POST `url` (…/messages on the device, …/3rdparty/v1/messages on the cloud
// server) with android_send_body (server/sms_webhooks.hpp) and its "id"
// "hotline-<outbox id>", Basic auth. The gateway keeps that id for the
// message (or answers with its own "id", which then wins): it is the
// provider_message_id its sms:delivered / sms:failed events name.
// 2xx: sent; 408, 429, 5xx, network errors: retry; other 4xx: permanent.
std::unique_ptr<outbox_sender> make_android_sender(std::string url, std::string username, std::string password,
                                                   boost::asio::ssl::context& tls);

// ---- Twilio Programmable Messaging -------------------------------------------------

struct twilio_sender_options {
    std::string api_base_url = "https://api.twilio.com";  // no trailing slash
    std::string account_sid;                               // AC…
    std::string auth_token;                                // Basic auth password
    // An E.164 number sent as From, or a Messaging Service SID ("MG…") sent
    // as MessagingServiceSid.
    std::string from;
    // Sent as StatusCallback ({public_base_url}/webhooks/sms/twilio/status);
    // empty: none.
    std::string status_callback_url;
};

// POST {api_base_url}/2010-04-01/Accounts/{account_sid}/Messages.json,
// application/x-www-form-urlencoded To, From (or MessagingServiceSid), Body
// and StatusCallback, Basic auth account_sid:auth_token.
//   2xx (Twilio answers 201): sent, provider_message_id = the answer's
//   "sid" (SM…; a warning is logged when there is none);
//   408, 429, 5xx, network errors: retry;
//   400 with a Twilio error code about the destination (invalid or
//   unreachable number, unsubscribed, landline, not SMS-capable, region not
//   enabled; the list is in senders.cpp): permanent, the officer cannot
//   be reached this way, so the ladder moves on at once;
//   401, 403, 404, and 400 with a code about our own account or sender
//   (From, Messaging Service, inactive account): retry, and an error is
//   logged ("twilio_configuration_refused") — wrong credentials are an
//   operator's problem, not the officer's: failing for good would escalate
//   every assignment through the whole ladder in seconds with the same
//   broken credentials. The deadlines run as usual meanwhile, and after
//   max_attempts the message fails;
//   any other 4xx: permanent (resending the same request cannot succeed).
// send_result::error names the HTTP status and the Twilio code, never the
// message Twilio wrote (it may quote the number). The Messages API takes no
// idempotency key: a send repeated after a lease ran out (the process died
// mid-send) can reach the phone twice.
std::unique_ptr<outbox_sender> make_twilio_sender(twilio_sender_options options, boost::asio::ssl::context& tls,
                                                  logger& log);

// ---- signed JSON webhooks ----------------------------------------------------------

// POST the message body (a JSON document) to its destination URL with
//   Content-Type: application/json
//   Idempotency-Key: <outbox id>
//   X-Hotline-Timestamp: <Unix seconds, from `clock`>
//   X-Hotline-Signature: sha256=<lowercase hex HMAC-SHA256(secret, timestamp + "." + body)>
// the scheme of our own generic inbound webhook (generic_signature in
// server/sms_webhooks.hpp), so a receiver checks it the same way.
// 2xx: sent (provider_message_id empty: webhooks have no delivery reports);
// 408, 429, 5xx, network errors: retry; other 4xx: permanent.
std::unique_ptr<outbox_sender> make_webhook_sender(std::string secret, const hotline::clock& clock,
                                                   boost::asio::ssl::context& tls);

}  // namespace hotline::server
