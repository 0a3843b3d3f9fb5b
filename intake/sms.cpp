#include "intake/sms.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

#include <utf8proc.h>

#include "intake/text.hpp"

namespace hotline::intake {

namespace {

// ---- code points --------------------------------------------------------------

inline constexpr std::int32_t replacement_character = 0xFFFD;

struct code_point {
    std::int32_t cp;
    std::size_t len;
};

// The code point at the start of the non-empty `s`. The callers' inputs are
// valid UTF-8 by contract; should one not be, each bad byte reads as U+FFFD
// so that nothing loops or reads past the end.
code_point first_code_point(std::string_view s) noexcept {
    const auto b0 = static_cast<unsigned char>(s.front());
    if (b0 < 0x80)
        return {b0, 1};
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                                static_cast<utf8proc_ssize_t>(s.size()), &cp);
    if (n <= 0)
        return {replacement_character, 1};
    return {cp, static_cast<std::size_t>(n)};
}

void append_utf8(std::string& out, std::int32_t cp) {
    std::array<utf8proc_uint8_t, 4> buf{};
    const utf8proc_ssize_t n = utf8proc_encode_char(cp, buf.data());
    out.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
}

// White space between words: the Unicode space separators and the ASCII
// controls that separate words (what `trim` removes at the ends, minus the
// invisible zero-width characters, which do not separate words).
bool is_word_space(std::int32_t cp) noexcept {
    if (cp < 0x80)
        return cp == ' ' || (cp >= '\t' && cp <= '\r');
    if (cp == 0x85)
        return true;
    const utf8proc_category_t cat = utf8proc_category(cp);
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}

bool is_ascii_letter(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool is_ascii_alnum(char c) noexcept { return (c >= '0' && c <= '9') || is_ascii_letter(c); }

char ascii_upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// ---- GSM 03.38 ------------------------------------------------------------------

// Septets `cp` takes in the GSM 7-bit default alphabet: 1 for the basic
// table, 2 for the extension table (escape + character), 0 when it has no
// GSM-7 form at all.
int gsm_septets(std::int32_t cp) noexcept {
    if (cp < 0x80) {
        switch (cp) {
        case '\n': case '\r':
            return 1;
        case '\f':  // form feed (page break), extension table
        case '^': case '{': case '}': case '\\': case '[': case '~': case ']': case '|':
            return 2;
        case '`':  // the only printable ASCII character GSM-7 lacks
            return 0;
        default:
            return cp >= 0x20 && cp < 0x7F ? 1 : 0;
        }
    }
    switch (cp) {
    // Latin-1 letters and signs of the basic table.
    case 0x00A1:  // ¡
    case 0x00A3:  // £
    case 0x00A4:  // ¤
    case 0x00A5:  // ¥
    case 0x00A7:  // §
    case 0x00BF:  // ¿
    case 0x00C4:  // Ä
    case 0x00C5:  // Å
    case 0x00C6:  // Æ
    case 0x00C7:  // Ç
    case 0x00C9:  // É
    case 0x00D1:  // Ñ
    case 0x00D6:  // Ö
    case 0x00D8:  // Ø
    case 0x00DC:  // Ü
    case 0x00DF:  // ß
    case 0x00E0:  // à
    case 0x00E4:  // ä
    case 0x00E5:  // å
    case 0x00E6:  // æ
    case 0x00E8:  // è
    case 0x00E9:  // é
    case 0x00EC:  // ì
    case 0x00F1:  // ñ
    case 0x00F2:  // ò
    case 0x00F6:  // ö
    case 0x00F8:  // ø
    case 0x00F9:  // ù
    case 0x00FC:  // ü
    // Greek capitals of the basic table.
    case 0x0393:  // Γ
    case 0x0394:  // Δ
    case 0x0398:  // Θ
    case 0x039B:  // Λ
    case 0x039E:  // Ξ
    case 0x03A0:  // Π
    case 0x03A3:  // Σ
    case 0x03A6:  // Φ
    case 0x03A8:  // Ψ
    case 0x03A9:  // Ω
        return 1;
    case 0x20AC:  // €, extension table
        return 2;
    default:
        return 0;
    }
}

int segments_for(std::size_t units, std::size_t single, std::size_t per_part) noexcept {
    if (units == 0)
        return 0;
    if (units <= single)
        return 1;
    return static_cast<int>((units + per_part - 1) / per_part);
}

// ---- diacritics -------------------------------------------------------------------

// Precomposed Latin letters that may carry a diacritic: Latin-1 Supplement,
// Latin Extended-A and -B, and Latin Extended Additional (where most of the
// Vietnamese letters with two marks live, such as ẫ and ự).
bool is_latin_block(std::int32_t cp) noexcept {
    return (cp >= 0x00C0 && cp <= 0x024F) || (cp >= 0x1E00 && cp <= 0x1EFF);
}

bool is_letter(std::int32_t cp) noexcept {
    const utf8proc_category_t cat = utf8proc_category(cp);
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT ||
           cat == UTF8PROC_CATEGORY_LM || cat == UTF8PROC_CATEGORY_LO;
}

bool is_nonspacing_mark(std::int32_t cp) noexcept {
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_MN;
}

// The base letter of a precomposed Latin letter (ẫ -> a, ơ -> o, ç -> c), or
// the letter itself when it has no canonical decomposition (ø, æ).
std::int32_t latin_base(std::int32_t cp) noexcept {
    std::array<utf8proc_int32_t, 8> buf{};
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    const utf8proc_ssize_t n =
        utf8proc_decompose_char(cp, buf.data(), static_cast<utf8proc_ssize_t>(buf.size()),
                                UTF8PROC_DECOMPOSE, &boundclass);
    // A canonical decomposition is a starter followed by combining marks:
    // keep the starter.
    if (n >= 1 && n <= static_cast<utf8proc_ssize_t>(buf.size()))
        return buf[0];
    return cp;
}

// ---- commands ------------------------------------------------------------------------

// `s` without surrounding white space and final ". ! ?" (any number of them,
// with white space in between: "STOP !", "Huỷ..").
std::string_view strip_ends(std::string_view s) noexcept {
    s = trim(s);
    while (!s.empty() && (s.back() == '.' || s.back() == '!' || s.back() == '?'))
        s = trim(s.substr(0, s.size() - 1));
    return s;
}

// Upper-case ASCII without diacritics, runs of white space as one space.
std::string fold_for_keywords(std::string_view s) {
    const std::string plain = strip_diacritics(s);
    std::string out;
    out.reserve(plain.size());
    bool pending_space = false;
    std::string_view rest = plain;
    while (!rest.empty()) {
        const code_point c = first_code_point(rest);
        if (is_word_space(c.cp)) {
            pending_space = !out.empty();
        } else {
            if (pending_space)
                out.push_back(' ');
            pending_space = false;
            if (c.len == 1)
                out.push_back(ascii_upper(rest.front()));
            else
                out.append(rest.substr(0, c.len));
        }
        rest.remove_prefix(c.len);
    }
    return out;
}

bool is_opt_out_word(std::string_view folded) noexcept {
    return folded == "STOP" || folded == "HUY" || folded == "TU CHOI" || folded == "TUCHOI";
}

// Eight letters or digits, optionally split after the fourth by one dash or
// one space: the shape of a tracking code as an officer types it. Whether
// the characters are from the tracking alphabet is for the codec to say.
bool looks_like_code(std::string_view s) noexcept {
    if (s.size() == 9) {
        if (s[4] != '-' && s[4] != ' ')
            return false;
    } else if (s.size() != 8) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s.size() == 9 && i == 4)
            continue;
        if (!is_ascii_alnum(s[i]))
            return false;
    }
    return true;
}

}  // namespace

std::string_view to_string(sms_encoding e) noexcept {
    switch (e) {
    case sms_encoding::gsm7:
        return "gsm7";
    case sms_encoding::ucs2:
        return "ucs2";
    }
    return "gsm7";
}

sms_size measure_sms(std::string_view text) {
    std::size_t septets = 0;
    std::size_t utf16 = 0;
    bool gsm = true;
    while (!text.empty()) {
        const code_point c = first_code_point(text);
        utf16 += c.cp > 0xFFFF ? 2 : 1;
        if (gsm) {
            const int n = gsm_septets(c.cp);
            if (n == 0)
                gsm = false;
            septets += static_cast<std::size_t>(n);
        }
        text.remove_prefix(c.len);
    }
    if (gsm)
        return {sms_encoding::gsm7, septets, segments_for(septets, 160, 153)};
    return {sms_encoding::ucs2, utf16, segments_for(utf16, 70, 67)};
}

std::string strip_diacritics(std::string_view text) {
    // NFC first, so that letters typed as base + combining marks (as some
    // phones send them) are handled like precomposed ones.
    const std::optional<std::string> nfc = to_nfc(text);
    if (!nfc)
        return std::string(text);  // not UTF-8: a precondition violation, left alone

    // utf8proc's STRIPMARK would do the Latin part in one call, but it strips
    // every nonspacing mark of every script (й -> и, が -> か, Thai and Hindi
    // vowel signs vanish). Only Latin letters are reduced here; marks are
    // dropped only where they follow a Latin letter.
    std::string out;
    out.reserve(nfc->size());
    bool after_latin = false;  // the last character written is a Latin letter
    std::string_view rest = *nfc;
    while (!rest.empty()) {
        const code_point c = first_code_point(rest);
        const std::string_view bytes = rest.substr(0, c.len);
        rest.remove_prefix(c.len);

        if (c.cp < 0x80) {
            out.push_back(bytes.front());
            after_latin = is_ascii_letter(bytes.front());
            continue;
        }
        if (c.cp == 0x0110 || c.cp == 0x0111) {  // Đ, đ: a stroke, not a mark; no decomposition
            out.push_back(c.cp == 0x0110 ? 'D' : 'd');
            after_latin = true;
            continue;
        }
        if (is_latin_block(c.cp) && is_letter(c.cp)) {
            append_utf8(out, latin_base(c.cp));
            after_latin = true;
            continue;
        }
        if (after_latin && is_nonspacing_mark(c.cp))
            continue;  // a mark with no precomposed form (x̃), or one NFC left apart
        out.append(bytes);
        after_latin = false;
    }
    return out;
}

sms_command parse_sms_command(std::string_view body) {
    if (!is_valid_utf8(body))
        return {};
    const std::string_view s = strip_ends(body);
    if (s.empty())
        return {};

    // "OK <code>" / "XN <code>" (XN: xác nhận, "confirm").
    std::size_t word_end = 0;
    while (word_end < s.size() && is_ascii_alnum(s[word_end]))
        ++word_end;
    if (word_end == 2 && word_end < s.size()) {
        const std::string keyword{ascii_upper(s[0]), ascii_upper(s[1])};
        const code_point next = first_code_point(s.substr(word_end));
        if ((keyword == "OK" || keyword == "XN") && is_word_space(next.cp)) {
            const std::string_view code = trim(s.substr(word_end));
            if (looks_like_code(code))
                return {sms_command_kind::acknowledge, std::string(code)};
            return {};  // "ok cảm ơn": ordinary text
        }
    }

    if (is_opt_out_word(fold_for_keywords(s)))
        return {sms_command_kind::opt_out, {}};
    return {};
}

sms_decision decide_sms(const sms_sender_state& sender, const sms_command& command, bool has_location,
                        const sms_policy& policy, time_point now) {
    sms_decision d;
    d.flagged = sender.messages_last_hour >= policy.replies_per_hour;
    const bool may_reply = !policy.silent && !sender.opted_out && !d.flagged;

    if (command.kind == sms_command_kind::acknowledge) {
        // From a stranger it is neither a report nor an acknowledgement; no
        // answer either, so the number learns nothing about the code.
        d.action = sms_action::officer_acknowledge;
        d.reply = sender.known_contact && may_reply ? sms_reply::ack_done : sms_reply::none;
        return d;
    }

    if (command.kind == sms_command_kind::opt_out) {
        d.action = sms_action::opt_out;
        d.reply = may_reply ? sms_reply::opted_out : sms_reply::none;
        return d;
    }

    // A message that arrives "before" the last one (clocks of two gateways a
    // little apart) belongs to the same conversation too.
    const bool follow_up = sender.open_report.has_value() && sender.open_report_at.has_value() &&
                           now - *sender.open_report_at <= policy.follow_up_window;
    if (follow_up) {
        if (sender.open_report_needs_location) {
            d.action = sms_action::add_location;
            d.reply = may_reply ? sms_reply::location_added : sms_reply::none;
        } else {
            d.action = sms_action::add_detail;
            d.reply = may_reply ? sms_reply::detail_added : sms_reply::none;
        }
        return d;
    }

    d.action = sms_action::new_report;
    if (may_reply)
        d.reply = has_location ? sms_reply::received : sms_reply::received_ask_location;
    return d;
}

std::string sms_reply_text(sms_reply reply, std::string_view tracking_code) {
    const std::string code(tracking_code);
    switch (reply) {
    case sms_reply::none:
        return {};
    case sms_reply::received_ask_location:
        return "Da nhan tin bao cua ban. Ma so: " + code +
               ". Viec xay ra o xa/phuong nao, tinh nao? Xin nhan tin tra loi. "
               "Neu tre dang gap nguy hiem, goi ngay 113.";
    case sms_reply::received:
        return "Da nhan tin bao cua ban. Ma so: " + code +
               ". Can bo bao ve tre em se xu ly. Neu tre dang gap nguy hiem, goi ngay 113 hoac 111.";
    case sms_reply::location_added:
        return "Da bo sung dia diem cho tin bao " + code + ". Cam on ban.";
    case sms_reply::detail_added:
        return "Da bo sung thong tin cho tin bao " + code + ". Cam on ban.";
    case sms_reply::opted_out:
        return "Ban se khong nhan them tin nhan tu tong dai. Khi can ho tro, goi 111.";
    case sms_reply::ack_done:
        return "Da xac nhan tiep nhan tin bao " + code + ". Cam on anh/chi.";
    case sms_reply::ack_already:
        return "Tin bao " + code + " da duoc xac nhan truoc do.";
    case sms_reply::ack_superseded:
        return "Tin bao " + code + " da co can bo khac xac nhan tiep nhan.";
    case sms_reply::ack_not_allowed:
        return "Anh/chi khong duoc phan cong tin bao " + code + " hoac khong trong ca truc.";
    case sms_reply::ack_unknown_code:
        return "Khong tim thay tin bao co ma " + code + ". Xin kiem tra lai ma so.";
    }
    return {};
}

}  // namespace hotline::intake
