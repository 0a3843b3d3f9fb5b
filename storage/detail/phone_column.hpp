#pragma once
// The one place where a phone number of a citizen or of an SMS destination is
// turned into what the database stores, and back. Every read and write of
// such a number goes through these functions:
//   - reports.reporter_phone,
//   - sms_messages.sender,
//   - sms_senders.phone,
//   - outbox.destination when the channel is an SMS channel (is_sms_channel).
// Today the stored form is the number itself. A later issue encrypts numbers
// at rest here; lookups by number (sms_senders, the rate count over
// sms_messages.sender) compare stored forms for equality, so that encoding
// must stay deterministic (or a separate keyed hash column must be added for
// the lookups). Contacts' (officers') numbers in `contacts.phone` are not
// reporter data and stay plain.

#include <string>
#include <string_view>

namespace hotline::storage::detail {

// The stored form of a phone number.
inline std::string encode_phone(std::string_view phone) { return std::string(phone); }

// The number behind a stored form.
inline std::string decode_phone(std::string_view stored) { return std::string(stored); }

// Whether an outbox channel carries SMS (its destination is a phone number):
// "sms" and every "<gateway>_sms" ("android_sms", "twilio_sms").
inline bool is_sms_channel(std::string_view channel) noexcept {
    return channel == "sms" || (channel.size() > 4 && channel.substr(channel.size() - 4) == "_sms");
}

}  // namespace hotline::storage::detail
