#include "intake/sms.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "intake/text.hpp"

using namespace hotline::intake;
using namespace std::string_literals;
using namespace std::chrono_literals;
using hotline::from_unix_ms;
using hotline::time_point;

namespace {

std::string repeat(std::string_view piece, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out.append(piece);
    return out;
}

bool is_ascii(std::string_view s) {
    for (const char c : s)
        if (static_cast<unsigned char>(c) >= 0x80)
            return false;
    return true;
}

struct size_case {
    const char* name;
    std::string text;
    sms_encoding encoding;
    std::size_t units;
    int segments;
};

}  // namespace

// ---- measure_sms ----------------------------------------------------------------

TEST_CASE("measure_sms: GSM-7 and UCS-2 sizes and segment boundaries") {
    const std::string a = "a";
    const std::string viet = "ạ";         // U+1EA1: not in GSM-7
    const std::string emoji = "\U0001F600";  // one code point, two UTF-16 units
    const size_case cases[] = {
        {"empty", "", sms_encoding::gsm7, 0, 0},
        {"one character", "a", sms_encoding::gsm7, 1, 1},
        {"160 GSM characters: one segment", repeat(a, 160), sms_encoding::gsm7, 160, 1},
        {"161 GSM characters: two parts", repeat(a, 161), sms_encoding::gsm7, 161, 2},
        {"306 GSM characters: two parts of 153", repeat(a, 306), sms_encoding::gsm7, 306, 2},
        {"307 GSM characters: three parts", repeat(a, 307), sms_encoding::gsm7, 307, 3},
        {"459 GSM characters: three parts", repeat(a, 459), sms_encoding::gsm7, 459, 3},
        {"460 GSM characters: four parts", repeat(a, 460), sms_encoding::gsm7, 460, 4},
        {"extension character counts two", "{", sms_encoding::gsm7, 2, 1},
        {"euro counts two", "€", sms_encoding::gsm7, 2, 1},
        {"form feed counts two", "\f", sms_encoding::gsm7, 2, 1},
        {"80 extension characters fill one segment", repeat("[", 80), sms_encoding::gsm7, 160, 1},
        {"80 extension characters and one more septet", repeat("]", 80) + "a", sms_encoding::gsm7, 161, 2},
        {"79 euros and two letters", repeat("€", 79) + "ab", sms_encoding::gsm7, 160, 1},
        {"79 euros and three letters", repeat("€", 79) + "abc", sms_encoding::gsm7, 161, 2},
        {"GSM accented letters stay GSM-7", "à è é ì ò ù Ç Ø å Ä ñ ü ß", sms_encoding::gsm7, 25, 1},
        {"Greek capitals stay GSM-7", "ΔΦΓΛΩΠΨΣΘΞ", sms_encoding::gsm7, 10, 1},
        {"CR and LF are GSM-7", "a\r\nb", sms_encoding::gsm7, 4, 1},
        {"backtick is not GSM-7", "`", sms_encoding::ucs2, 1, 1},
        {"a with acute is not GSM-7", "á", sms_encoding::ucs2, 1, 1},
        {"c with cedilla (small) is not GSM-7", "ç", sms_encoding::ucs2, 1, 1},
        {"Greek small letter is not GSM-7", "α", sms_encoding::ucs2, 1, 1},
        {"tab is not GSM-7", "\t", sms_encoding::ucs2, 1, 1},
        {"d with stroke is not GSM-7", "đ", sms_encoding::ucs2, 1, 1},
        {"one diacritic, 70 units: one segment", repeat(a, 69) + viet, sms_encoding::ucs2, 70, 1},
        {"one diacritic, 71 units: two parts", repeat(a, 70) + viet, sms_encoding::ucs2, 71, 2},
        {"134 UCS-2 units: two parts of 67", viet + repeat(a, 133), sms_encoding::ucs2, 134, 2},
        {"135 UCS-2 units: three parts", viet + repeat(a, 134), sms_encoding::ucs2, 135, 3},
        {"extension characters count one in UCS-2", viet + repeat("{", 69), sms_encoding::ucs2, 70, 1},
        {"emoji is two UTF-16 units", emoji, sms_encoding::ucs2, 2, 1},
        {"68 letters and an emoji: 70 units", repeat(a, 68) + emoji, sms_encoding::ucs2, 70, 1},
        {"69 letters and an emoji: 71 units", repeat(a, 69) + emoji, sms_encoding::ucs2, 71, 2},
        {"CJK is one unit each", "日本語", sms_encoding::ucs2, 3, 1},
        {"Vietnamese sentence", "Trẻ em bị bạo lực", sms_encoding::ucs2, 17, 1},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const sms_size got = measure_sms(c.text);
        CHECK(to_string(got.encoding) == to_string(c.encoding));
        CHECK(got.units == c.units);
        CHECK(got.segments == c.segments);
    }
}

TEST_CASE("measure_sms: every character of the GSM 03.38 tables") {
    // The basic table without the escape code (0x1B): 127 characters.
    const std::string basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    CHECK(count_code_points(basic) == 127);
    std::string_view rest = basic;
    while (!rest.empty()) {
        std::size_t len = 1;
        while (len < rest.size() && (static_cast<unsigned char>(rest[len]) & 0xC0) == 0x80)
            ++len;
        const std::string one(rest.substr(0, len));
        INFO("basic character: ", one);
        const sms_size got = measure_sms(one);
        CHECK(got.encoding == sms_encoding::gsm7);
        CHECK(got.units == 1);
        rest.remove_prefix(len);
    }
    CHECK(measure_sms(basic).units == 127);

    for (const std::string ext : {"^", "{", "}", "\\", "[", "~", "]", "|", "€", "\f"}) {
        INFO("extension character: ", ext);
        const sms_size got = measure_sms(ext);
        CHECK(got.encoding == sms_encoding::gsm7);
        CHECK(got.units == 2);
    }

    // Every printable ASCII character is GSM-7 except the backtick.
    for (char c = 0x20; c < 0x7F; ++c) {
        INFO("ASCII ", static_cast<int>(c));
        CHECK((measure_sms(std::string(1, c)).encoding == sms_encoding::gsm7) == (c != '`'));
    }
}

TEST_CASE("to_string(sms_encoding)") {
    CHECK(to_string(sms_encoding::gsm7) == "gsm7");
    CHECK(to_string(sms_encoding::ucs2) == "ucs2");
}

// ---- strip_diacritics ---------------------------------------------------------------

TEST_CASE("strip_diacritics: the Vietnamese alphabet, both cases") {
    struct row {
        const char* letters;
        const char* plain;
    };
    const row rows[] = {
        {"aàáảãạ", "aaaaaa"}, {"ăằắẳẵặ", "aaaaaa"}, {"âầấẩẫậ", "aaaaaa"}, {"eèéẻẽẹ", "eeeeee"},
        {"êềếểễệ", "eeeeee"}, {"iìíỉĩị", "iiiiii"}, {"oòóỏõọ", "oooooo"}, {"ôồốổỗộ", "oooooo"},
        {"ơờớởỡợ", "oooooo"}, {"uùúủũụ", "uuuuuu"}, {"ưừứửữự", "uuuuuu"}, {"yỳýỷỹỵ", "yyyyyy"},
        {"AÀÁẢÃẠ", "AAAAAA"}, {"ĂẰẮẲẴẶ", "AAAAAA"}, {"ÂẦẤẨẪẬ", "AAAAAA"}, {"EÈÉẺẼẸ", "EEEEEE"},
        {"ÊỀẾỂỄỆ", "EEEEEE"}, {"IÌÍỈĨỊ", "IIIIII"}, {"OÒÓỎÕỌ", "OOOOOO"}, {"ÔỒỐỔỖỘ", "OOOOOO"},
        {"ƠỜỚỞỠỢ", "OOOOOO"}, {"UÙÚỦŨỤ", "UUUUUU"}, {"ƯỪỨỬỮỰ", "UUUUUU"}, {"YỲÝỶỸỴ", "YYYYYY"},
        {"đĐ", "dD"},
    };
    for (const auto& r : rows) {
        INFO(r.letters);
        CHECK(strip_diacritics(r.letters) == r.plain);
    }
}

TEST_CASE("strip_diacritics: every vowel with every tone, built from its parts") {
    // Built from base letters and combining marks so that a mistyped literal
    // above cannot hide a letter: each composes (NFC) to one precomposed
    // Vietnamese letter, which must fold to its ASCII base.
    struct vowel {
        char base;
        std::string quality;  // combining breve, circumflex or horn, or nothing
    };
    const vowel vowels[] = {
        {'a', ""}, {'a', "\u0306"}, {'a', "\u0302"}, {'e', ""}, {'e', "\u0302"}, {'i', ""},
        {'o', ""}, {'o', "\u0302"}, {'o', "\u031B"}, {'u', ""}, {'u', "\u031B"}, {'y', ""},
    };
    const std::string tones[] = {"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"};
    int checked = 0;
    for (const auto& v : vowels) {
        for (const char base : {v.base, static_cast<char>(v.base - 'a' + 'A')}) {
            for (const auto& tone : tones) {
                const std::string decomposed = std::string(1, base) + v.quality + tone;
                const auto composed = to_nfc(decomposed);
                REQUIRE(composed.has_value());
                INFO("letter: ", *composed);
                CHECK(count_code_points(*composed) == 1);
                CHECK(strip_diacritics(*composed) == std::string(1, base));
                // Decomposed input (as some phones send it) folds the same way.
                CHECK(strip_diacritics(decomposed) == std::string(1, base));
                ++checked;
            }
        }
    }
    CHECK(checked == 144);
}

TEST_CASE("strip_diacritics: mixed text and other characters") {
    struct row {
        const char* name;
        std::string in;
        std::string out;
    };
    const row rows[] = {
        {"empty", "", ""},
        {"ascii unchanged", "Hello, 113! [x] {y} ~", "Hello, 113! [x] {y} ~"},
        {"sentence", "Trẻ em bị bạo lực ở Đà Nẵng!", "Tre em bi bao luc o Da Nang!"},
        {"name", "Nguyễn Thị Ánh Tuyết", "Nguyen Thi Anh Tuyet"},
        {"place", "Phường Hoàn Kiếm, TP. Hà Nội", "Phuong Hoan Kiem, TP. Ha Noi"},
        {"upper case", "ĐỨA TRẺ BỊ ĐÁNH", "DUA TRE BI DANH"},
        {"y with hook in both spellings", "Huỷ hủy", "Huy huy"},
        {"digits, punctuation and new lines kept", "0912 345 678\n(số 12/3)", "0912 345 678\n(so 12/3)"},
        {"Cyrillic kept, breve included", "Москва й Ё", "Москва й Ё"},
        {"kana with voicing mark kept", "日本語 が パ", "日本語 が パ"},
        {"Thai vowel signs kept", "เด็ก", "เด็ก"},
        {"Devanagari kept", "बच्चा", "बच्चा"},
        {"emoji and symbols kept", "€ 😀 ©", "€ 😀 ©"},
        {"letters without decomposition kept", "Øre æ ø ß", "Øre æ ø ß"},
        {"other Latin letters lose their marks too", "Müller Ça", "Muller Ca"},
        {"a mark with no precomposed letter is dropped", "x\u0303y", "xy"},
        {"a lone mark after a digit is kept", "1\u0301", "1\u0301"},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        CHECK(strip_diacritics(r.in) == r.out);
    }
}

// ---- parse_sms_command ---------------------------------------------------------------------

TEST_CASE("parse_sms_command") {
    struct row {
        const char* name;
        std::string body;
        sms_command_kind kind;
        std::string code;
    };
    using k = sms_command_kind;
    const row rows[] = {
        {"STOP", "STOP", k::opt_out, ""},
        {"stop with a full stop", "stop.", k::opt_out, ""},
        {"surrounding white space", "  \tStop \n", k::opt_out, ""},
        {"several marks, spaced", "STOP !!", k::opt_out, ""},
        {"question mark", "stop?", k::opt_out, ""},
        {"HUY!", "HUY!", k::opt_out, ""},
        {"Huỷ (old-style tone placement)", "Huỷ", k::opt_out, ""},
        {"hủy", "hủy", k::opt_out, ""},
        {"HỦY", "HỦY", k::opt_out, ""},
        {"hủy decomposed", "hu\u0309y", k::opt_out, ""},
        {"TU CHOI", "TU CHOI", k::opt_out, ""},
        {"tu  choi (run of spaces)", "tu  choi", k::opt_out, ""},
        {"tu, no-break space, choi", "tu\u00A0choi", k::opt_out, ""},
        {"Từ chối", "Từ chối", k::opt_out, ""},
        {"TỪ CHỐI.", "TỪ CHỐI.", k::opt_out, ""},
        {"TUCHOI", "TUCHOI", k::opt_out, ""},
        {"tuchoi", "tuchoi", k::opt_out, ""},
        {"TU CHOI THANKS", "TU CHOI THANKS", k::none, ""},
        {"stop in a sentence", "please stop him", k::none, ""},
        {"stop followed by more", "STOP NOW", k::none, ""},
        {"Hủy bỏ", "Hủy bỏ", k::none, ""},
        {"STOPP", "STOPP", k::none, ""},
        {"punctuation alone", "?!.", k::none, ""},
        {"empty", "", k::none, ""},
        {"white space only", " \n ", k::none, ""},
        {"not UTF-8", "STOP\xFF", k::none, ""},

        {"OK with a grouped code", "OK 7KQ2-M9XD", k::acknowledge, "7KQ2-M9XD"},
        {"xn, lower case, no dash", "xn 7kq2m9xd", k::acknowledge, "7kq2m9xd"},
        {"ok, code split by a space", "ok 7KQ2 M9XD", k::acknowledge, "7KQ2 M9XD"},
        {"Ok, several spaces, final full stop", "  Ok   7KQ2-M9XD. ", k::acknowledge, "7KQ2-M9XD"},
        {"XN, tab", "XN\t7KQ2M9XD", k::acknowledge, "7KQ2M9XD"},
        {"OK alone", "OK", k::none, ""},
        {"OK with a full stop", "ok.", k::none, ""},
        {"ok cảm ơn", "ok cảm ơn", k::none, ""},
        {"ok cam on ban (8 letters across words)", "ok cam onban", k::none, ""},
        {"code followed by text", "OK 7KQ2-M9XD da nhan", k::none, ""},
        {"seven characters", "OK 7KQ2M9X", k::none, ""},
        {"nine characters", "OK 7KQ2M9XDA", k::none, ""},
        {"two dashes", "OK 7KQ2--M9XD", k::none, ""},
        {"dash in the wrong place", "OK 7KQ-2M9XD", k::none, ""},
        {"two spaces inside the code", "OK 7KQ2  M9XD", k::none, ""},
        {"no space after the keyword", "OK7KQ2M9XD", k::none, ""},
        {"colon after the keyword", "OK: 7KQ2M9XD", k::none, ""},
        {"other keyword", "OKE 7KQ2M9XD", k::none, ""},
        {"spelled out", "XÁC NHẬN 7KQ2M9XD", k::none, ""},
        {"non-ASCII in the code", "OK 7KQ2-M9XĐ", k::none, ""},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        const sms_command got = parse_sms_command(r.body);
        CHECK(static_cast<int>(got.kind) == static_cast<int>(r.kind));
        CHECK(got.code == r.code);
    }
}

// ---- decide_sms ----------------------------------------------------------------------------

namespace {

const time_point t0 = from_unix_ms(1'750'000'000'000);

sms_sender_state with_open_report(std::chrono::milliseconds ago, bool needs_location) {
    sms_sender_state s;
    s.open_report = 42;
    s.open_report_at = t0 - ago;
    s.open_report_needs_location = needs_location;
    return s;
}

sms_sender_state opted_out(sms_sender_state s) {
    s.opted_out = true;
    return s;
}

sms_sender_state contact(sms_sender_state s) {
    s.known_contact = true;
    return s;
}

sms_sender_state busy(sms_sender_state s, int messages_last_hour) {
    s.messages_last_hour = messages_last_hour;
    return s;
}

sms_policy silent_policy() {
    sms_policy p;
    p.silent = true;
    return p;
}

sms_policy policy_with(std::chrono::minutes window, int per_hour) {
    sms_policy p;
    p.follow_up_window = window;
    p.replies_per_hour = per_hour;
    return p;
}

const char* name_of(sms_action a) {
    switch (a) {
    case sms_action::new_report: return "new_report";
    case sms_action::add_location: return "add_location";
    case sms_action::add_detail: return "add_detail";
    case sms_action::opt_out: return "opt_out";
    case sms_action::officer_acknowledge: return "officer_acknowledge";
    }
    return "?";
}

const char* name_of(sms_reply r) {
    switch (r) {
    case sms_reply::none: return "none";
    case sms_reply::received_ask_location: return "received_ask_location";
    case sms_reply::received: return "received";
    case sms_reply::location_added: return "location_added";
    case sms_reply::detail_added: return "detail_added";
    case sms_reply::opted_out: return "opted_out";
    case sms_reply::ack_done: return "ack_done";
    case sms_reply::ack_already: return "ack_already";
    case sms_reply::ack_superseded: return "ack_superseded";
    case sms_reply::ack_not_allowed: return "ack_not_allowed";
    case sms_reply::ack_unknown_code: return "ack_unknown_code";
    }
    return "?";
}

}  // namespace

TEST_CASE("decide_sms: the rules and their order") {
    using a = sms_action;
    using r = sms_reply;
    const sms_command text{};
    const sms_command stop{sms_command_kind::opt_out, ""};
    const sms_command ack{sms_command_kind::acknowledge, "7KQ2-M9XD"};
    const sms_sender_state fresh{};
    const sms_policy normal{};
    const auto window = 30min;
    const auto just_in = std::chrono::milliseconds(window);
    const auto just_out = std::chrono::milliseconds(window) + 1ms;

    struct row {
        const char* name;
        sms_sender_state sender;
        sms_command command;
        bool has_location;
        sms_policy policy;
        sms_action action;
        sms_reply reply;
        bool flagged;
    };
    const row rows[] = {
        // New reports.
        {"first message, no place: ask for the commune", fresh, text, false, normal, a::new_report, r::received_ask_location, false},
        {"first message naming a place", fresh, text, true, normal, a::new_report, r::received, false},

        // Follow-up window, inclusive at exactly 30 minutes.
        {"reply to the question: location", with_open_report(5min, true), text, false, normal, a::add_location, r::location_added, false},
        {"location even when the text names a place", with_open_report(5min, true), text, true, normal, a::add_location, r::location_added, false},
        {"more detail to a report with a place", with_open_report(5min, false), text, false, normal, a::add_detail, r::detail_added, false},
        {"right after the reply", with_open_report(0ms, true), text, false, normal, a::add_location, r::location_added, false},
        {"exactly at the end of the window", with_open_report(just_in, true), text, false, normal, a::add_location, r::location_added, false},
        {"exactly at the end of the window, detail", with_open_report(just_in, false), text, false, normal, a::add_detail, r::detail_added, false},
        {"1 ms after the window: new report", with_open_report(just_out, true), text, false, normal, a::new_report, r::received_ask_location, false},
        {"1 ms after the window, with a place", with_open_report(just_out, false), text, true, normal, a::new_report, r::received, false},
        {"open report without a time", [] { sms_sender_state s; s.open_report = 42; return s; }(), text, false, normal, a::new_report, r::received_ask_location, false},
        {"time without an open report", [] { sms_sender_state s; s.open_report_at = t0; return s; }(), text, false, normal, a::new_report, r::received_ask_location, false},
        {"shorter configured window, inside", with_open_report(10min, true), text, false, policy_with(10min, 20), a::add_location, r::location_added, false},
        {"shorter configured window, outside", with_open_report(10min + 1ms, true), text, false, policy_with(10min, 20), a::new_report, r::received_ask_location, false},

        // Opt-out.
        {"opt-out", fresh, stop, false, normal, a::opt_out, r::opted_out, false},
        {"opt-out beats the follow-up window", with_open_report(1min, true), stop, false, normal, a::opt_out, r::opted_out, false},
        {"opt-out when already opted out: no second reply", opted_out(fresh), stop, false, normal, a::opt_out, r::none, false},
        {"opt-out in silent mode", fresh, stop, false, silent_policy(), a::opt_out, r::none, false},
        {"opt-out from a contact", contact(fresh), stop, false, normal, a::opt_out, r::opted_out, false},
        {"opt-out over the rate", busy(fresh, 20), stop, false, normal, a::opt_out, r::none, true},

        // Officer acknowledgements.
        // The store replaces ack_done by the outcome; strangers are ignored.
        {"ack from a contact", contact(fresh), ack, false, normal, a::officer_acknowledge, r::ack_done, false},
        {"ack from a contact beats the window", contact(with_open_report(1min, true)), ack, false, normal, a::officer_acknowledge, r::ack_done, false},
        {"ack from a contact over the rate", contact(busy(fresh, 25)), ack, false, normal, a::officer_acknowledge, r::none, true},
        {"ack from an opted-out contact", opted_out(contact(fresh)), ack, false, normal, a::officer_acknowledge, r::none, false},
        {"ack from a stranger is ignored, not a report", fresh, ack, false, normal, a::officer_acknowledge, r::none, false},
        {"ack from a stranger in the window is not detail", with_open_report(1min, false), ack, false, normal, a::officer_acknowledge, r::none, false},
        {"ack from a stranger in the window, not location", with_open_report(1min, true), ack, false, normal, a::officer_acknowledge, r::none, false},

        // Opted-out senders: still stored, never answered.
        {"opted out: new report, no reply", opted_out(fresh), text, false, normal, a::new_report, r::none, false},
        {"opted out: location, no reply", opted_out(with_open_report(1min, true)), text, false, normal, a::add_location, r::none, false},
        {"opted out: detail, no reply", opted_out(with_open_report(1min, false)), text, true, normal, a::add_detail, r::none, false},

        // Silent mode.
        {"silent: new report", fresh, text, false, silent_policy(), a::new_report, r::none, false},
        {"silent: location", with_open_report(1min, true), text, false, silent_policy(), a::add_location, r::none, false},
        {"silent: detail", with_open_report(1min, false), text, false, silent_policy(), a::add_detail, r::none, false},
        {"silent: ack from a contact", contact(fresh), ack, false, silent_policy(), a::officer_acknowledge, r::none, false},

        // Rate: flagged at exactly replies_per_hour earlier messages.
        {"one below the rate: answered", busy(fresh, 19), text, false, normal, a::new_report, r::received_ask_location, false},
        {"exactly the rate: flagged, no reply", busy(fresh, 20), text, false, normal, a::new_report, r::none, true},
        {"well over the rate", busy(fresh, 500), text, true, normal, a::new_report, r::none, true},
        {"over the rate in the window", busy(with_open_report(1min, true), 20), text, false, normal, a::add_location, r::none, true},
        {"configured rate, one below", busy(fresh, 4), text, false, policy_with(30min, 5), a::new_report, r::received_ask_location, false},
        {"configured rate, reached", busy(fresh, 5), text, false, policy_with(30min, 5), a::new_report, r::none, true},
        {"silent and over the rate", busy(fresh, 20), text, false, silent_policy(), a::new_report, r::none, true},
        {"opted out and over the rate", opted_out(busy(fresh, 20)), text, false, normal, a::new_report, r::none, true},
    };
    for (const auto& row : rows) {
        INFO(row.name);
        const sms_decision d = decide_sms(row.sender, row.command, row.has_location, row.policy, t0);
        CHECK(std::string(name_of(d.action)) == name_of(row.action));
        CHECK(std::string(name_of(d.reply)) == name_of(row.reply));
        CHECK(d.flagged == row.flagged);
    }
}

// ---- sms_reply_text ------------------------------------------------------------------------

TEST_CASE("sms_reply_text: plain GSM-7, one segment, with the code") {
    // Every tracking code is 8 symbols of the alphabet plus the dash, all
    // one septet each: any 9-character code is a worst case.
    const std::string code = "ZZZZ-ZZZZ";
    struct row {
        sms_reply reply;
        bool has_code;
    };
    const row rows[] = {
        {sms_reply::received_ask_location, true},
        {sms_reply::received, true},
        {sms_reply::location_added, true},
        {sms_reply::detail_added, true},
        {sms_reply::opted_out, false},
        {sms_reply::ack_done, true},
        {sms_reply::ack_already, true},
        {sms_reply::ack_superseded, true},
        {sms_reply::ack_not_allowed, true},
        {sms_reply::ack_unknown_code, true},
    };
    std::vector<std::string> texts;
    for (const auto& r : rows) {
        INFO(name_of(r.reply));
        const std::string text = sms_reply_text(r.reply, code);
        INFO(text);
        CHECK(!text.empty());
        CHECK(is_ascii(text));  // no diacritics, not even the few GSM-7 has
        const sms_size size = measure_sms(text);
        CHECK(size.encoding == sms_encoding::gsm7);
        CHECK(size.segments == 1);
        CHECK(size.units <= 160);
        CHECK((text.find(code) != std::string::npos) == r.has_code);
        for (const auto& earlier : texts)
            CHECK(earlier != text);
        texts.push_back(text);
    }
    CHECK(sms_reply_text(sms_reply::none, code).empty());

    // What the texts are for.
    CHECK(sms_reply_text(sms_reply::received_ask_location, code).find("xa/phuong") != std::string::npos);
    CHECK(sms_reply_text(sms_reply::received, code).find("113") != std::string::npos);
    CHECK(sms_reply_text(sms_reply::opted_out, code).find("111") != std::string::npos);
}
