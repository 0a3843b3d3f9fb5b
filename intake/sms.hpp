#pragma once
// SMS as a report channel: what a message means, what to answer, and what the
// answer costs. Pure: no I/O, no clock (times come in as parameters),
// thread-safe.
//
// Replies are Vietnamese written without diacritics so that they stay in the
// GSM-7 alphabet: one segment holds 160 characters (153 per part when the
// text needs several), whereas any character outside GSM-7 turns the whole
// text into UCS-2 with 70 (67 per part).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "intake/clock.hpp"

namespace hotline::intake {

// ---- segments ---------------------------------------------------------------

enum class sms_encoding { gsm7, ucs2 };
std::string_view to_string(sms_encoding e) noexcept;  // "gsm7", "ucs2"

struct sms_size {
    sms_encoding encoding = sms_encoding::gsm7;
    std::size_t units = 0;   // septets for GSM-7 (extension characters count 2), UTF-16 units for UCS-2
    int segments = 0;        // 0 for the empty text
};

// How `text` (valid UTF-8) would be sent: GSM 03.38 default alphabet plus its
// extension table (^ { } \ [ ~ ] | €, two septets each); otherwise UCS-2.
sms_size measure_sms(std::string_view text);

// `text` with Vietnamese diacritics removed (đ -> d, Đ -> D, ẫ -> a, ...),
// for names inserted into GSM-7 replies. Other characters are kept.
std::string strip_diacritics(std::string_view text);

// ---- what a message is -------------------------------------------------------

enum class sms_command_kind {
    none,         // ordinary text: a report or part of one
    opt_out,      // STOP, HUY, HỦY, TU CHOI, TỪ CHỐI (the whole message, any case, diacritics optional)
    acknowledge,  // "OK <code>" or "XN <code>": an officer acknowledging a report
};

struct sms_command {
    sms_command_kind kind = sms_command_kind::none;
    std::string code;  // acknowledge: the tracking code as typed after the keyword (trimmed)
};

// Reads a command out of a message body (valid UTF-8). Surrounding white
// space and final punctuation (". ! ?") are ignored.
sms_command parse_sms_command(std::string_view body);

// ---- the conversation --------------------------------------------------------

struct sms_policy {
    std::chrono::minutes follow_up_window{30};  // a message within this after a reply joins that report
    int replies_per_hour = 20;                  // more messages than this in an hour: flagged, no replies
    bool silent = false;                        // deployment-wide: never reply
};

// What the store knows about the sending number when a message arrives.
struct sms_sender_state {
    bool opted_out = false;
    bool known_contact = false;                   // the number belongs to an active contact
    int messages_last_hour = 0;                   // from this number, not counting this one
    std::optional<std::uint64_t> open_report;     // the report this number last wrote to, if any
    std::optional<time_point> open_report_at;     // when this number last wrote to it
    bool open_report_needs_location = false;      // that report has no location yet and we asked for one
};

enum class sms_action {
    new_report,          // file a new report (linked to open_report when there is one)
    add_location,        // the text is the location of open_report
    add_detail,          // the text is more detail for open_report
    opt_out,             // record the opt-out; nothing else
    officer_acknowledge, // "OK <code>" / "XN <code>": never a report; acknowledged when
                         // the sender is a contact allowed to, otherwise stored and ignored
};

enum class sms_reply {
    none,
    received_ask_location,  // "received, code X; which commune?"
    received,               // "received, code X"
    location_added,         // "thank you, place added to X"
    detail_added,           // "thank you, added to X"
    opted_out,              // "you will receive no more messages"
    // Answers to an officer's "OK <code>". decide_sms gives `ack_done` to
    // say "answer with the outcome"; the store replaces it by what the
    // acknowledgement came to.
    ack_done,               // "report X acknowledged, thank you"
    ack_already,            // "report X was already acknowledged"
    ack_superseded,         // "report X is already in another officer's hands"
    ack_not_allowed,        // "you are not assigned to report X"
    ack_unknown_code,       // "no report with code X"
};

struct sms_decision {
    sms_action action = sms_action::new_report;
    sms_reply reply = sms_reply::none;
    bool flagged = false;   // over replies_per_hour: stored and flagged, not answered
};

// Decides what an incoming message is, given the sender's state at `now`.
// Rules, in order:
//   - an acknowledge command -> officer_acknowledge: from a known contact
//     with reply `ack_done` (the store answers with the outcome); from
//     anybody else with no reply (stored and ignored: a code quoted back is
//     never a report, and a stranger learns nothing about it);
//   - an opt-out command -> opt_out, reply `opted_out` once (unless silent);
//   - a message within follow_up_window of open_report_at goes to that report:
//     as its location when it still needs one, otherwise as detail;
//   - anything else is a new report; the reply asks for the commune when
//     `has_location` is false.
//   - no reply at all when silent, when the number opted out, or when
//     messages_last_hour >= replies_per_hour (then `flagged` is set too).
// `has_location` says whether the message text itself names a place (the
// caller decides; until location resolution exists it is false).
sms_decision decide_sms(const sms_sender_state& sender, const sms_command& command, bool has_location,
                        const sms_policy& policy, time_point now);

// The text of a reply, GSM-7 Vietnamese without diacritics, at most one
// segment where possible. `tracking_code` is grouped ("7KQ2-M9XD"); for
// `ack_unknown_code` it is the code as typed.
std::string sms_reply_text(sms_reply reply, std::string_view tracking_code);

}  // namespace hotline::intake
