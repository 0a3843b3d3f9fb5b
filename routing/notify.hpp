#pragma once
// The text of an officer's notification SMS: a new assignment, or the
// reminder of one. Pure: no I/O, no clock (the deadline comes in as a
// value), thread-safe.
//
// The text is Vietnamese without diacritics, in plain ASCII (a subset of the
// GSM-7 default alphabet, no extension characters), so that one segment
// holds 160 characters; one Vietnamese letter with its marks would turn the
// whole text into UCS-2 with 70. Names are folded ("Phường Lương Văn Tri" ->
// "Phuong Luong Van Tri"); anything else outside that set becomes a space.
//
// It says, in this order:
//   [NHAC LAI - ]<URGENCY>: Tin bao <CODE-GRP> tai <Commune type+name>, <Province>.
//   Han xac nhan <HH:MM DD/MM>. Tra loi OK <CODE> hoac mo <link>
// e.g. "KHAN CAP: Tin bao 7KQ2-M9XD tai Phuong Luong Van Tri, Lang Son. Han
// xac nhan 11:15 01/07. Tra loi OK 7KQ2M9XD hoac mo https://x.vn/a/TOKEN"
// (one line). The urgency words are KHAN CAP, CAO, THUONG, THAP; the
// deadline is in Vietnam time (UTC+7). Without a commune the province is the
// place ("tai Tinh Lang Son"); without either, no place is named.
//
// When the whole text needs more than one segment, parts are left out in
// this fixed order, one at a time, until it fits:
//   1. the province (the officer knows their province);
//   2. the commune's type word ("Phuong ", "Xa ", "Dac khu ");
//   3. the place itself;
//   4. the link (replying "OK <code>" does the same);
//   5. the deadline.
// The urgency, the tracking code and "Tra loi OK <code>" are never left out;
// if the text still does not fit (absurdly long input), it goes as it is, in
// several segments.
//
// It never carries the reporter, the child or the report's text: the facts
// below are all it can say.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "intake/classify.hpp"
#include "intake/clock.hpp"

namespace hotline::routing {

struct notification_facts {
    intake::urgency level = intake::urgency::normal;
    std::string_view tracking_code;  // the 8 symbols, with or without the dash
    std::string_view commune_type;   // "phường", "xã", "đặc khu"; empty when unknown (UTF-8, folded here)
    std::string_view commune_name;   // "Lương Văn Tri", or a code; empty: no commune
    std::string_view province_name;  // "Lạng Sơn"; empty: none
    std::string_view province_type;  // "tỉnh", "thành phố": used only when the province is the place
    std::optional<time_point> ack_due;
    std::string_view link;           // the acknowledgement link, printable ASCII (otherwise left out); empty: none
    bool reminder = false;           // "NHAC LAI - " first (a reminder carries no new link)
};

// The parts of a text that can be left out, as bits of notification::dropped.
enum notification_part : unsigned {
    part_province = 1u << 0,
    part_commune_type = 1u << 1,
    part_place = 1u << 2,
    part_link = 1u << 3,
    part_deadline = 1u << 4,
};

struct notification {
    std::string text;
    int segments = 0;      // GSM-7 segments (intake::measure_sms)
    unsigned dropped = 0;  // notification_part bits left out to fit one segment
};

// The most GSM-7 characters one segment carries.
inline constexpr std::size_t single_segment_chars = 160;

notification notification_text(const notification_facts& facts);

// The urgency as the texts say it: "KHAN CAP", "CAO", "THUONG", "THAP".
std::string_view urgency_word(intake::urgency level) noexcept;

// "HH:MM DD/MM" of `t` in Vietnam time.
std::string format_notification_deadline(time_point t);

// `text` folded to the alphabet the texts use: diacritics removed (đ -> d),
// characters outside printable ASCII or among GSM-7's extension characters
// (^ { } \ [ ] ~ | and `) made spaces, runs of spaces made one, trimmed.
std::string fold_for_sms(std::string_view text);

}  // namespace hotline::routing
