#pragma once
// Server configuration: a plain struct with documented defaults, built once in
// main and passed by reference. The defaults serve with no file at all
// (embedded SQLite under ./var/). The file is TOML; deploy/hotline.example.toml
// documents every key. An unknown key, a wrong type or an out-of-range value
// is an error that names the key.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "intake/result.hpp"
#include "routing/deadlines.hpp"
#include "routing/escalation.hpp"
#include "routing/rules.hpp"

namespace hotline::server {

enum class log_level { debug, info, warn, error };

struct config {
    // [server]
    std::string listen_address = "127.0.0.1";
    std::uint16_t listen_port = 8080;            // 0: any free port (tests)
    int threads = 2;                             // I/O threads
    std::string public_base_url = "http://127.0.0.1:8080";  // links in pages and replies
    bool trust_forwarded_for = false;            // client address from X-Forwarded-For (behind a proxy)

    // [limits]
    std::size_t header_limit = 8 * 1024;         // bytes of request line + headers
    std::size_t body_limit = 64 * 1024;          // bytes of request body
    std::size_t pipeline_limit = 8;              // requests read ahead on one connection
    std::size_t max_connections = 4096;          // further connections are closed at accept
    std::chrono::seconds read_timeout{15};       // to receive a whole request once it started
    std::chrono::seconds idle_timeout{60};       // keep-alive connection with no request
    std::chrono::seconds write_timeout{15};      // to send a response
    std::chrono::seconds shutdown_timeout{10};   // graceful stop, then forced
    int reports_per_minute = 30;                 // per client address, 0 = unlimited
    int status_failures_per_hour = 20;           // failed status look-ups per address, 0 = unlimited

    // [storage]
    std::string db_path = "var/hotline.db";
    int read_connections = 2;
    std::size_t max_batch = 256;                 // writes per group commit
    int checkpoint_frames = 1000;                // WAL pages that start a background checkpoint
    std::string key_file = "var/server.key";     // 32 random bytes, created on first start

    // [sms]
    bool sms_silent = false;                        // never reply to SMS (the reporter's phone may be watched)
    std::chrono::minutes sms_follow_up_window{30};  // a message within this after a reply joins that report
    int sms_replies_per_hour = 20;                  // more from one number: stored, flagged, not answered (1..1000)
    // [sms.twilio]: the webhook answers 404 until a token is set
    std::vector<std::string> twilio_auth_tokens;    // several during rotation
    // Sending through Twilio's Messages REST API (officer notifications, SMS
    // replies): POST {twilio_api_base_url}/2010-04-01/Accounts/{sid}/Messages.json
    // with Basic auth sid:first auth token. Empty sid: nothing is sent by Twilio.
    std::string twilio_account_sid;
    std::string twilio_from;                        // E.164 sender number, or a Messaging Service SID (MG...)
    std::string twilio_api_base_url = "https://api.twilio.com";  // tests point it at a local fake
    // [sms.android]: the webhook answers 404 until a key is set
    std::string android_signing_key;
    std::chrono::seconds android_timestamp_tolerance{300};
    std::string android_send_url;                   // the gateway's …/messages endpoint; empty: no replies
    std::string android_username;
    std::string android_password;
    // [sms.generic]: the webhook answers 404 until a secret is set
    std::string generic_secret;
    std::chrono::seconds generic_timestamp_tolerance{300};

    // [outbox]
    std::chrono::milliseconds outbox_backoff_base{2000};
    std::chrono::seconds outbox_backoff_max{600};
    int outbox_max_attempts = 10;

    // [notifications]
    // The outbox channel of SMS to contacts: "twilio_sms" or "android_sms";
    // empty: Twilio when twilio_account_sid is set, else the Android gateway
    // when android_send_url is set, else none (a contact reachable only by
    // SMS is then not notified; the assignment's deadline runs as usual).
    std::string notify_sms_channel;
    // How long the acknowledgement link in a notification works.
    std::chrono::minutes ack_link_lifetime{std::chrono::hours(24)};
    // Signs the JSON webhook notifications (HMAC-SHA256, X-Hotline-Signature);
    // empty: contacts on the webhook channel are not sent to.
    std::string webhook_signing_secret;
    // [triage]
    std::string triage_lexicon;                     // lexicon file; empty: the copy built into the binary

    // [routing]
    // The deployment's province (a current province code such as "20"), preferred
    // when a report names no province; empty: none. Checked against the unit
    // catalog when the server starts, not here.
    std::string home_province;
    // Who gets a new report first ([[routing.rules]] and routing.fallback).
    // A file that lists rules replaces the default rules as a whole.
    routing::routing_policy routing = routing::routing_policy::defaults();

    // [deadlines]
    // How long an assignee has to acknowledge, by urgency (ack_<urgency>_min).
    routing::ack_policy ack;
    // The public holidays the plan's working days skip (deploy/holidays/*.csv);
    // empty: the copy of deploy/holidays/vn-2026-2027.csv built into the binary.
    std::string holidays_file;

    // [escalation.<urgency>]
    // Who is called next when nobody acknowledges (routing/escalation.hpp).
    routing::escalation_policy escalation = routing::escalation_policy::defaults();

    // [api]
    // Bearer tokens of operators (POST/GET /api/v1/reports/{code}/classification);
    // none: those endpoints answer 401 to everybody.
    std::vector<std::string> operator_tokens;

    // [log]
    log_level level = log_level::info;

    friend bool operator==(const config&, const config&) = default;
};

// Loads `path` over the defaults. Errors: code `config_error`, field = the
// dotted key ("limits.body_bytes"), message says what is wrong (or the file
// and line of a TOML syntax error).
result<config> load_config(const std::string& path);

// Parses "ADDR:PORT" ("127.0.0.1:8080", "[::1]:0") into the config.
result<void> apply_listen(config& c, std::string_view addr_port);

std::string_view to_string(log_level l) noexcept;

}  // namespace hotline::server
