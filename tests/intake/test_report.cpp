#include "intake/report.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

using namespace hotline::intake;
using hotline::error;

namespace {

std::string repeat(std::string_view unit, std::size_t n) {
    std::string s;
    s.reserve(unit.size() * n);
    for (std::size_t i = 0; i < n; ++i)
        s.append(unit);
    return s;
}

report_input minimal_input() {
    report_input in;
    in.text = "Em bé hàng xóm bị bố đánh hằng đêm.";
    return in;
}

report_input full_input() {
    report_input in;
    in.text = "  Em bé hàng xóm bị bố đánh hằng đêm.\r\nTối qua nghe tiếng khóc rất lâu.  ";
    in.location_text = " Thôn 3, xã Hòa Bình ";
    in.location_code = " 00004 ";
    in.child_name = "Nguyễn Thị Thu\xCC\x89y";  // decomposed ủ
    in.child_age = " 7 ";
    in.child_age_estimated = true;
    in.child_sex = "Female";
    in.child_condition = "Bầm tím ở tay";
    in.perpetrator_relation = "bố đẻ";
    in.reporter_name = "Trần Văn Hòa";
    in.reporter_phone = "0912 345 678";
    in.reporter_address = "Số 1 Tràng Tiền, Hà Nội";
    in.contact_ok = true;
    in.keep_identity_secret = true;
    return in;
}

// The one error of `v`, which must have exactly one.
const error& only_error(const validated& v) {
    REQUIRE_FALSE(v.ok());
    REQUIRE(v.errors().size() == 1);
    return v.errors().front();
}

}  // namespace

TEST_CASE("channel and child_sex round-trip through their strings") {
    const std::pair<channel, const char*> channels[] = {
        {channel::web, "web"},
        {channel::api, "api"},
        {channel::sms, "sms"},
        {channel::operator_desk, "operator"},
    };
    for (const auto& [c, s] : channels) {
        CAPTURE(s);
        CHECK(to_string(c) == s);
        CHECK(parse_channel(s) == c);
    }
    for (const char* bad : {"", "Web", "operator_desk", "email", " sms"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_channel(bad).has_value());
    }

    const std::pair<child_sex, const char*> sexes[] = {
        {child_sex::male, "male"},
        {child_sex::female, "female"},
        {child_sex::unknown, "unknown"},
    };
    for (const auto& [x, s] : sexes) {
        CAPTURE(s);
        CHECK(to_string(x) == s);
        CHECK(parse_child_sex(s) == x);
    }
    for (const char* bad : {"", "m", "boy", "nam", "other"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_child_sex(bad).has_value());
    }
}

TEST_CASE("a report with only the text is valid and takes the defaults") {
    const auto v = validate(minimal_input());
    REQUIRE(v.ok());
    CHECK(v.errors().empty());
    const report& r = v.value();
    CHECK(r.text == "Em bé hàng xóm bị bố đánh hằng đêm.");
    CHECK_FALSE(r.location_text);
    CHECK_FALSE(r.location_code);
    CHECK_FALSE(r.child_name);
    CHECK_FALSE(r.child_age);
    CHECK_FALSE(r.child_age_estimated);
    CHECK(r.sex == child_sex::unknown);
    CHECK_FALSE(r.child_condition);
    CHECK_FALSE(r.perpetrator_relation);
    CHECK_FALSE(r.reporter_name);
    CHECK_FALSE(r.reporter_phone);
    CHECK_FALSE(r.reporter_address);
    CHECK_FALSE(r.contact_ok);
    CHECK_FALSE(r.keep_identity_secret);
}

TEST_CASE("a full report is cleaned field by field") {
    auto v = validate(full_input());
    REQUIRE(v.ok());
    const report r = std::move(v).value();
    CHECK(r.text == "Em bé hàng xóm bị bố đánh hằng đêm.\nTối qua nghe tiếng khóc rất lâu.");
    CHECK(r.location_text == "Thôn 3, xã Hòa Bình");
    CHECK(r.location_code == "00004");
    CHECK(r.child_name == "Nguyễn Thị Thủy");
    CHECK(r.child_age == 7);
    CHECK(r.child_age_estimated);
    CHECK(r.sex == child_sex::female);
    CHECK(r.child_condition == "Bầm tím ở tay");
    CHECK(r.perpetrator_relation == "bố đẻ");
    CHECK(r.reporter_name == "Trần Văn Hòa");
    CHECK(r.reporter_phone == "+84912345678");
    CHECK(r.reporter_address == "Số 1 Tràng Tiền, Hà Nội");
    CHECK(r.contact_ok);
    CHECK(r.keep_identity_secret);

    // Validation is idempotent on its own output.
    report_input again;
    again.text = r.text;
    again.location_text = r.location_text;
    again.location_code = r.location_code;
    again.child_name = r.child_name;
    again.child_age = std::to_string(*r.child_age);
    again.child_age_estimated = r.child_age_estimated;
    again.child_sex = std::string(to_string(r.sex));
    again.child_condition = r.child_condition;
    again.perpetrator_relation = r.perpetrator_relation;
    again.reporter_name = r.reporter_name;
    again.reporter_phone = r.reporter_phone;
    again.reporter_address = r.reporter_address;
    again.contact_ok = r.contact_ok;
    again.keep_identity_secret = r.keep_identity_secret;
    const auto v2 = validate(again);
    REQUIRE(v2.ok());
    CHECK(v2.value() == r);
}

TEST_CASE("the text is required") {
    const std::optional<std::string> blanks[] = {
        std::nullopt, "", "   ", "\t\r\n", "\xC2\xA0\xE3\x80\x80\xE2\x80\x8B", "\x01\x02 \x7F",
    };
    for (const auto& blank : blanks) {
        CAPTURE(blank.value_or("<absent>"));
        report_input in = minimal_input();
        in.text = blank;
        const auto v = validate(in);
        const error& e = only_error(v);
        CHECK(e.code == "required");
        CHECK(e.field == "text");
        CHECK(e.message == "text is required");
    }
}

TEST_CASE("blank optional fields are absent") {
    for (const char* blank : {"", " ", " \xC2\xA0 ", "\r\n", "\xE2\x80\x8B"}) {
        CAPTURE(blank);
        report_input in = minimal_input();
        in.location_text = blank;
        in.location_code = blank;
        in.child_name = blank;
        in.child_age = blank;
        in.child_sex = blank;
        in.child_condition = blank;
        in.perpetrator_relation = blank;
        in.reporter_name = blank;
        in.reporter_phone = blank;
        in.reporter_address = blank;
        const auto v = validate(in);
        REQUIRE(v.ok());
        const auto want = validate(minimal_input());
        REQUIRE(want.ok());
        CHECK(v.value() == want.value());
    }
}

TEST_CASE("each field reports its own error") {
    struct error_case {
        const char* name;
        std::function<void(report_input&)> set;
        const char* code;
        const char* field;
    };
    const std::string bad_utf8 = "ab\xC0\xAF";
    const error_case cases[] = {
        {"text not UTF-8", [&](report_input& in) { in.text = bad_utf8; }, "invalid_utf8", "text"},
        {"text too long", [](report_input& in) { in.text = std::string(5001, 'x'); },
         "too_long", "text"},
        {"location_text not UTF-8", [&](report_input& in) { in.location_text = bad_utf8; },
         "invalid_utf8", "location_text"},
        {"location_text too long",
         [](report_input& in) { in.location_text = std::string(1001, 'x'); }, "too_long",
         "location_text"},
        {"location_code not UTF-8", [&](report_input& in) { in.location_code = bad_utf8; },
         "invalid_utf8", "location_code"},
        {"location_code letters", [](report_input& in) { in.location_code = "00A04"; },
         "invalid_value", "location_code"},
        {"location_code inner space", [](report_input& in) { in.location_code = "000 04"; },
         "invalid_value", "location_code"},
        {"location_code too long",
         [](report_input& in) { in.location_code = std::string(201, '1'); }, "too_long",
         "location_code"},
        {"child_name not UTF-8", [&](report_input& in) { in.child_name = bad_utf8; },
         "invalid_utf8", "child_name"},
        {"child_name too long", [](report_input& in) { in.child_name = std::string(201, 'x'); },
         "too_long", "child_name"},
        {"child_age not UTF-8", [&](report_input& in) { in.child_age = bad_utf8; },
         "invalid_utf8", "child_age"},
        {"child_age 18", [](report_input& in) { in.child_age = "18"; }, "invalid_value",
         "child_age"},
        {"child_age negative", [](report_input& in) { in.child_age = "-1"; }, "invalid_value",
         "child_age"},
        {"child_age plus sign", [](report_input& in) { in.child_age = "+5"; }, "invalid_value",
         "child_age"},
        {"child_age fraction", [](report_input& in) { in.child_age = "7.5"; }, "invalid_value",
         "child_age"},
        {"child_age words", [](report_input& in) { in.child_age = "bảy"; }, "invalid_value",
         "child_age"},
        {"child_age with unit", [](report_input& in) { in.child_age = "7 tuổi"; },
         "invalid_value", "child_age"},
        {"child_age huge", [](report_input& in) { in.child_age = "99999999999999999999"; },
         "invalid_value", "child_age"},
        {"child_age very long", [](report_input& in) { in.child_age = std::string(300, '9'); },
         "invalid_value", "child_age"},
        {"child_age full-width digit", [](report_input& in) { in.child_age = "７"; },
         "invalid_value", "child_age"},
        {"child_sex not UTF-8", [&](report_input& in) { in.child_sex = bad_utf8; },
         "invalid_utf8", "child_sex"},
        {"child_sex unknown token", [](report_input& in) { in.child_sex = "boy"; },
         "invalid_value", "child_sex"},
        {"child_sex Vietnamese", [](report_input& in) { in.child_sex = "nữ"; },
         "invalid_value", "child_sex"},
        {"child_condition not UTF-8", [&](report_input& in) { in.child_condition = bad_utf8; },
         "invalid_utf8", "child_condition"},
        {"child_condition too long",
         [](report_input& in) { in.child_condition = std::string(1001, 'x'); }, "too_long",
         "child_condition"},
        {"perpetrator_relation not UTF-8",
         [&](report_input& in) { in.perpetrator_relation = bad_utf8; }, "invalid_utf8",
         "perpetrator_relation"},
        {"perpetrator_relation too long",
         [](report_input& in) { in.perpetrator_relation = std::string(201, 'x'); },
         "too_long", "perpetrator_relation"},
        {"reporter_name not UTF-8", [&](report_input& in) { in.reporter_name = bad_utf8; },
         "invalid_utf8", "reporter_name"},
        {"reporter_name too long",
         [](report_input& in) { in.reporter_name = std::string(201, 'x'); }, "too_long",
         "reporter_name"},
        {"reporter_phone not UTF-8", [&](report_input& in) { in.reporter_phone = bad_utf8; },
         "invalid_utf8", "reporter_phone"},
        {"reporter_phone not a phone", [](report_input& in) { in.reporter_phone = "12345"; },
         "invalid_phone", "reporter_phone"},
        {"reporter_phone foreign", [](report_input& in) { in.reporter_phone = "+1 415 555 0100"; },
         "invalid_phone", "reporter_phone"},
        {"reporter_phone very long",
         [](report_input& in) { in.reporter_phone = std::string(300, '9'); }, "invalid_phone",
         "reporter_phone"},
        {"reporter_address not UTF-8", [&](report_input& in) { in.reporter_address = bad_utf8; },
         "invalid_utf8", "reporter_address"},
        {"reporter_address too long",
         [](report_input& in) { in.reporter_address = std::string(1001, 'x'); }, "too_long",
         "reporter_address"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        report_input in = full_input();
        c.set(in);
        const auto v = validate(in);
        const error& e = only_error(v);
        CHECK(e.code == c.code);
        CHECK(e.field == c.field);
        CHECK_FALSE(e.message.empty());
        // Messages name the field and never echo the input.
        CHECK(e.message.find(c.field) != std::string::npos);
        CHECK(e.message.find("\xC0\xAF") == std::string::npos);
    }
}

TEST_CASE("too_long messages give the limit") {
    report_input in = minimal_input();
    in.text = std::string(5001, 'x');
    in.reporter_name = std::string(201, 'x');
    in.reporter_address = std::string(1001, 'x');
    const auto v = validate(in);
    REQUIRE(v.errors().size() == 3);
    CHECK(v.errors()[0].message == "text must be at most 5000 characters");
    CHECK(v.errors()[1].message == "reporter_name must be at most 200 characters");
    CHECK(v.errors()[2].message == "reporter_address must be at most 1000 characters");

    report_limits small;
    small.text_max = 10;
    in = minimal_input();
    const auto w = validate(in, small);
    const error& e = only_error(w);
    CHECK(e.message == "text must be at most 10 characters");
}

TEST_CASE("all errors are collected at once, in field order") {
    report_input in;
    in.text = "   ";
    in.location_text = "ok";
    in.location_code = "abc";
    in.child_name = "\xED\xA0\x80";
    in.child_age = "20";
    in.child_age_estimated = true;
    in.child_sex = "x";
    in.child_condition = std::string(1001, 'c');
    in.perpetrator_relation = std::string(201, 'p');
    in.reporter_name = "\xFF";
    in.reporter_phone = "0412345678";
    in.reporter_address = "\xC3";
    in.contact_ok = true;
    const auto v = validate(in);
    REQUIRE_FALSE(v.ok());
    const std::vector<std::pair<std::string, std::string>> want = {
        {"text", "required"},
        {"location_code", "invalid_value"},
        {"child_name", "invalid_utf8"},
        {"child_age", "invalid_value"},
        {"child_sex", "invalid_value"},
        {"child_condition", "too_long"},
        {"perpetrator_relation", "too_long"},
        {"reporter_name", "invalid_utf8"},
        {"reporter_phone", "invalid_phone"},
        {"reporter_address", "invalid_utf8"},
    };
    std::vector<std::pair<std::string, std::string>> got;
    for (const auto& e : v.errors())
        got.emplace_back(e.field, e.code);
    CHECK(got == want);
}

TEST_CASE("limits count code points after cleaning, not bytes") {
    // "ữ" is 3 bytes in NFC; decomposed it is u + horn + tilde, 3 code points
    // and 5 bytes, which NFC turns back into one.
    const std::string_view composed = "\xE1\xBB\xAF";
    const std::string_view decomposed = "u\xCC\x9B\xCC\x83";
    struct {
        const char* name;
        std::size_t limit;
        std::function<void(report_input&, std::string)> set;
        const char* field;
    } const fields[] = {
        {"text", 5000, [](report_input& in, std::string s) { in.text = std::move(s); }, "text"},
        {"location_text", 1000,
         [](report_input& in, std::string s) { in.location_text = std::move(s); },
         "location_text"},
        {"child_name", 200, [](report_input& in, std::string s) { in.child_name = std::move(s); },
         "child_name"},
        {"child_condition", 1000,
         [](report_input& in, std::string s) { in.child_condition = std::move(s); },
         "child_condition"},
        {"perpetrator_relation", 200,
         [](report_input& in, std::string s) { in.perpetrator_relation = std::move(s); },
         "perpetrator_relation"},
        {"reporter_name", 200,
         [](report_input& in, std::string s) { in.reporter_name = std::move(s); },
         "reporter_name"},
        {"reporter_address", 1000,
         [](report_input& in, std::string s) { in.reporter_address = std::move(s); },
         "reporter_address"},
    };
    for (const auto& f : fields) {
        CAPTURE(f.name);
        for (const std::string_view unit : {composed, decomposed}) {
            CAPTURE(unit);
            report_input at = minimal_input();
            // Surrounding white space is trimmed before counting.
            f.set(at, "  " + repeat(unit, f.limit) + "\xC2\xA0");
            const auto ok = validate(at);
            REQUIRE(ok.ok());

            report_input over = minimal_input();
            f.set(over, repeat(unit, f.limit + 1));
            const auto v = validate(over);
            const error& e = only_error(v);
            CHECK(e.code == "too_long");
            CHECK(e.field == f.field);
        }
    }
    // The composed value is what is stored.
    report_input in = minimal_input();
    in.child_name = repeat(decomposed, 200);
    const auto v = validate(in);
    REQUIRE(v.ok());
    CHECK(v.value().child_name == repeat(composed, 200));
}

TEST_CASE("location_code limit is short_field_max") {
    report_input in = minimal_input();
    in.location_code = std::string(200, '7');
    CHECK(validate(in).ok());
    in.location_code = std::string(201, '7');
    const auto v = validate(in);
    const error& e = only_error(v);
    CHECK(e.code == "too_long");
    CHECK(e.field == "location_code");
}

TEST_CASE("child_age accepts 0..17 in decimal digits") {
    struct {
        const char* in;
        int age;
    } const cases[] = {
        {"0", 0}, {"1", 1}, {"9", 9}, {"10", 10}, {"17", 17},
        {" 7 ", 7}, {"07", 7}, {"0017", 17}, {"000", 0}, {"\xC2\xA0" "12\t", 12},
    };
    for (const auto& c : cases) {
        CAPTURE(c.in);
        report_input in = minimal_input();
        in.child_age = c.in;
        const auto v = validate(in);
        REQUIRE(v.ok());
        CHECK(v.value().child_age == c.age);
    }
    for (const char* bad : {"18", "100", "0018", "1 7", "1e1", "0x5", "-0"}) {
        CAPTURE(bad);
        report_input in = minimal_input();
        in.child_age = bad;
        const auto v = validate(in);
        const error& e = only_error(v);
        CHECK(e.code == "invalid_value");
        CHECK(e.field == "child_age");
        CHECK(e.message == "child_age must be a whole number from 0 to 17");
    }
}

TEST_CASE("child_age_estimated without child_age is allowed") {
    report_input in = minimal_input();
    in.child_age_estimated = true;
    const auto v = validate(in);
    REQUIRE(v.ok());
    CHECK_FALSE(v.value().child_age);
    CHECK(v.value().child_age_estimated);
}

TEST_CASE("child_sex is case-insensitive and blank means unknown") {
    struct {
        std::optional<std::string> in;
        child_sex sex;
    } const cases[] = {
        {std::nullopt, child_sex::unknown}, {"", child_sex::unknown},
        {"  ", child_sex::unknown},         {"male", child_sex::male},
        {"MALE", child_sex::male},          {" Male ", child_sex::male},
        {"female", child_sex::female},      {"FeMaLe", child_sex::female},
        {"unknown", child_sex::unknown},    {"Unknown", child_sex::unknown},
    };
    for (const auto& c : cases) {
        CAPTURE(c.in.value_or("<absent>"));
        report_input in = minimal_input();
        in.child_sex = c.in;
        const auto v = validate(in);
        REQUIRE(v.ok());
        CHECK(v.value().sex == c.sex);
    }
}

TEST_CASE("reporter_phone is normalised to E.164") {
    report_input in = minimal_input();
    in.reporter_phone = " (+84) 24 3826 4444 ";
    const auto v = validate(in);
    REQUIRE(v.ok());
    CHECK(v.value().reporter_phone == "+842438264444");

    in.reporter_phone = "0612345678";
    const auto w = validate(in);
    const error& e = only_error(w);
    CHECK(e.code == "invalid_phone");
    CHECK(e.field == "reporter_phone");
}

TEST_CASE("boolean flags are copied, absent means false") {
    report_input in = minimal_input();
    in.contact_ok = false;
    in.keep_identity_secret = true;
    auto v = validate(in);
    REQUIRE(v.ok());
    CHECK_FALSE(v.value().contact_ok);
    CHECK(v.value().keep_identity_secret);

    in.contact_ok = true;
    in.keep_identity_secret = std::nullopt;
    v = validate(in);
    REQUIRE(v.ok());
    CHECK(v.value().contact_ok);
    CHECK_FALSE(v.value().keep_identity_secret);
}
