#include "routing/notify.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "intake/sms.hpp"
#include "intake/tracking_code.hpp"
#include "routing/time.hpp"

namespace hotline::routing {

namespace {

// Printable ASCII that GSM-7 carries in one septet: everything from space to
// '~' except its extension characters (two septets each) and the backtick
// (not in GSM-7 at all).
bool plain_gsm(char c) noexcept {
    if (c < ' ' || c > '~') return false;
    switch (c) {
    case '^': case '{': case '}': case '\\': case '[': case ']': case '~': case '|': case '`': return false;
    default: return true;
    }
}

// The first letter upper case: type words start the place's name.
std::string capitalised(std::string s) {
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
}

// The code in both forms an officer needs: grouped to read, plain to type.
struct code_forms {
    std::string grouped;
    std::string plain;
};

code_forms forms_of(std::string_view code) {
    code_forms f;
    for (char c : code)
        if (c != '-' && c != ' ') f.plain.push_back(c);
    f.grouped = f.plain.size() == 8 ? intake::tracking_codec::grouped(f.plain) : f.plain;
    return f;
}

// The folded pieces the text is assembled from.
struct pieces {
    std::string_view prefix;   // "NHAC LAI - " or empty
    std::string_view urgency;
    code_forms code;
    std::string place_type;    // folded, capitalised; may be empty
    std::string place_name;    // folded; empty: no place
    std::string province;      // folded; empty: none (or the province is the place)
    std::string deadline;      // "HH:MM DD/MM"; empty: none
    std::string link;
};

std::string assemble(const pieces& p, unsigned dropped) {
    std::string out;
    out.reserve(200);
    out += p.prefix;
    out += p.urgency;
    out += ": Tin bao ";
    out += p.code.grouped;
    if (!p.place_name.empty() && !(dropped & part_place)) {
        out += " tai ";
        if (!p.place_type.empty() && !(dropped & part_commune_type)) {
            out += p.place_type;
            out.push_back(' ');
        }
        out += p.place_name;
        if (!p.province.empty() && !(dropped & part_province)) {
            out += ", ";
            out += p.province;
        }
    }
    out.push_back('.');
    if (!p.deadline.empty() && !(dropped & part_deadline)) {
        out += " Han xac nhan ";
        out += p.deadline;
        out.push_back('.');
    }
    out += " Tra loi OK ";
    out += p.code.plain;
    if (!p.link.empty() && !(dropped & part_link)) {
        out += " hoac mo ";
        out += p.link;
    }
    return out;
}

}  // namespace

std::string_view urgency_word(intake::urgency level) noexcept {
    switch (level) {
    case intake::urgency::emergency: return "KHAN CAP";
    case intake::urgency::high: return "CAO";
    case intake::urgency::normal: return "THUONG";
    case intake::urgency::low: return "THAP";
    }
    return "THUONG";
}

std::string format_notification_deadline(time_point t) {
    using namespace std::chrono;
    const auto local = to_vietnam_time(t).time_since_epoch();
    const auto day = floor<days>(local);
    const year_month_day date{sys_days(day)};
    const hh_mm_ss<milliseconds> time(local - day);
    return fmt::format("{:02}:{:02} {:02}/{:02}", time.hours().count(), time.minutes().count(),
                       static_cast<unsigned>(date.day()), static_cast<unsigned>(date.month()));
}

std::string fold_for_sms(std::string_view text) {
    const std::string plain = intake::strip_diacritics(text);
    std::string out;
    out.reserve(plain.size());
    bool space = false;
    for (std::size_t i = 0; i < plain.size();) {
        const auto b = static_cast<unsigned char>(plain[i]);
        // A multi-byte character left after folding is one unknown
        // character: one space, not one per byte.
        std::size_t len = 1;
        if (b >= 0xF0) len = 4;
        else if (b >= 0xE0) len = 3;
        else if (b >= 0xC0) len = 2;
        const char c = plain[i];
        i += len;
        if (len == 1 && c != ' ' && plain_gsm(c)) {
            if (space && !out.empty()) out.push_back(' ');
            space = false;
            out.push_back(c);
        } else {
            space = true;
        }
    }
    return out;
}

notification notification_text(const notification_facts& f) {
    pieces p;
    p.prefix = f.reminder ? "NHAC LAI - " : "";
    p.urgency = urgency_word(f.level);
    p.code = forms_of(fold_for_sms(f.tracking_code));
    if (!f.commune_name.empty()) {
        p.place_type = capitalised(fold_for_sms(f.commune_type));
        p.place_name = fold_for_sms(f.commune_name);
        p.province = fold_for_sms(f.province_name);
    } else if (!f.province_name.empty()) {
        p.place_type = capitalised(fold_for_sms(f.province_type));
        p.place_name = fold_for_sms(f.province_name);
    }
    if (f.ack_due) p.deadline = format_notification_deadline(*f.ack_due);
    // A URL is not folded: a changed character would break it. One that is
    // not plain ASCII (the configuration's fault) is left out.
    if (std::all_of(f.link.begin(), f.link.end(), [](char c) { return (c != ' ' && plain_gsm(c)) || c == '~'; }))
        p.link = std::string(f.link);

    static constexpr std::array<unsigned, 5> order = {part_province, part_commune_type, part_place, part_link,
                                                      part_deadline};
    notification n;
    n.text = assemble(p, 0);
    auto size = intake::measure_sms(n.text);
    for (std::size_t i = 0; i < order.size() && size.segments > 1; ++i) {
        const std::string shorter = assemble(p, n.dropped | order[i]);
        if (shorter == n.text) continue;  // the part was not there
        n.dropped |= order[i];
        n.text = shorter;
        size = intake::measure_sms(n.text);
    }
    n.segments = size.segments;
    return n;
}

}  // namespace hotline::routing
