#include "server/report_decoding.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using namespace hotline;
using namespace hotline::server;
using intake::report_input;

namespace {

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

// The error of a decoding that must fail.
template <class T>
error error_of(const result<T>& r) {
    REQUIRE_FALSE(r.has_value());
    return r.err();
}

bool all_absent(const report_input& in) {
    return !in.text && !in.location_text && !in.location_code && !in.child_name && !in.child_age &&
           !in.child_age_estimated && !in.child_sex && !in.child_condition && !in.perpetrator_relation &&
           !in.reporter_name && !in.reporter_phone && !in.reporter_address && !in.contact_ok &&
           !in.keep_identity_secret;
}

// Every string field of report_input with its JSON name.
struct string_field {
    std::string name;
    std::optional<std::string> report_input::*member;
};
const string_field string_fields[] = {
    {"text", &report_input::text},
    {"location_text", &report_input::location_text},
    {"location_code", &report_input::location_code},
    {"child_name", &report_input::child_name},
    {"child_age", &report_input::child_age},
    {"child_sex", &report_input::child_sex},
    {"child_condition", &report_input::child_condition},
    {"perpetrator_relation", &report_input::perpetrator_relation},
    {"reporter_name", &report_input::reporter_name},
    {"reporter_phone", &report_input::reporter_phone},
    {"reporter_address", &report_input::reporter_address},
};

struct bool_field {
    std::string name;
    std::optional<bool> report_input::*member;
};
const bool_field bool_fields[] = {
    {"child_age_estimated", &report_input::child_age_estimated},
    {"contact_ok", &report_input::contact_ok},
    {"keep_identity_secret", &report_input::keep_identity_secret},
};

}  // namespace

// ---------------------------------------------------------------- JSON

TEST_CASE("report_input_from_json reads every field") {
    const auto r = report_input_from_json(R"({
        "text": "Em bé hàng xóm bị bố đánh hằng đêm.",
        "location_text": "Thôn 3, xã Hòa Bình",
        "location_code": "00004",
        "child_name": "Nguyễn Thị Thủy",
        "child_age": "7",
        "child_age_estimated": true,
        "child_sex": "female",
        "child_condition": "Bầm tím ở tay",
        "perpetrator_relation": "bố",
        "reporter_name": "Trần Văn B",
        "reporter_phone": "0912 345 678",
        "reporter_address": "Số 5, ngõ 10",
        "contact_ok": false,
        "keep_identity_secret": true
    })");
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().message));
    const report_input& in = *r;
    CHECK(in.text == "Em bé hàng xóm bị bố đánh hằng đêm.");
    CHECK(in.location_text == "Thôn 3, xã Hòa Bình");
    CHECK(in.location_code == "00004");
    CHECK(in.child_name == "Nguyễn Thị Thủy");
    CHECK(in.child_age == "7");
    CHECK(in.child_age_estimated == true);
    CHECK(in.child_sex == "female");
    CHECK(in.child_condition == "Bầm tím ở tay");
    CHECK(in.perpetrator_relation == "bố");
    CHECK(in.reporter_name == "Trần Văn B");
    CHECK(in.reporter_phone == "0912 345 678");
    CHECK(in.reporter_address == "Số 5, ngõ 10");
    CHECK(in.contact_ok == false);
    CHECK(in.keep_identity_secret == true);
}

TEST_CASE("report_input_from_json: each field alone lands in its own member") {
    for (const auto& f : string_fields) {
        CAPTURE(f.name);
        const auto r = report_input_from_json(std::string("{\"") + f.name + "\":\"12\"}");
        REQUIRE(r.has_value());
        report_input got = *r;
        CHECK(got.*f.member == "12");
        got.*f.member = std::nullopt;
        CHECK(all_absent(got));
    }
    for (const auto& f : bool_fields) {
        for (bool v : {true, false}) {
            CAPTURE(f.name);
            CAPTURE(v);
            const auto r = report_input_from_json(std::string("{\"") + f.name + "\":" + (v ? "true" : "false") + "}");
            REQUIRE(r.has_value());
            report_input got = *r;
            CHECK(got.*f.member == v);
            got.*f.member = std::nullopt;
            CHECK(all_absent(got));
        }
    }
}

TEST_CASE("report_input_from_json: strings are kept exactly as sent") {
    const auto r = report_input_from_json(R"({"text":"  a\tb\n\"c\" \\ \u1EC7 \u00e9 \ud83d\ude00  ","child_name":""})");
    REQUIRE(r.has_value());
    CHECK(r->text == "  a\tb\n\"c\" \\ \xE1\xBB\x87 \xC3\xA9 \xF0\x9F\x98\x80  ");
    CHECK(r->child_name == "");
}

TEST_CASE("report_input_from_json: an empty object is all absent") {
    const auto r = report_input_from_json("{}");
    REQUIRE(r.has_value());
    CHECK(all_absent(*r));
    const auto ws = report_input_from_json(" \r\n\t{ } \n");
    REQUIRE(ws.has_value());
    CHECK(all_absent(*ws));
}

TEST_CASE("report_input_from_json: null means absent") {
    std::string body = "{";
    for (const auto& f : string_fields) body += std::string("\"") + f.name + "\":null,";
    for (const auto& f : bool_fields) body += std::string("\"") + f.name + "\":null,";
    body.back() = '}';
    const auto r = report_input_from_json(body);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().message));
    CHECK(all_absent(*r));
}

TEST_CASE("report_input_from_json: child_age as an integer or a string") {
    struct {
        std::string json;
        std::string age;
    } const cases[] = {
        {R"({"child_age":7})", "7"},
        {R"({"child_age":0})", "0"},
        {R"({"child_age":17})", "17"},
        {R"({"child_age":"7"})", "7"},
        {R"({"child_age":" 7 "})", " 7 "},  // trimmed later by validate
        {R"({"child_age":-3})", "-3"},      // range is checked by validate
        {R"({"child_age":40})", "40"},
        {R"({"child_age":18446744073709551615})", "18446744073709551615"},
    };
    for (const auto& t : cases) {
        CAPTURE(t.json);
        const auto r = report_input_from_json(t.json);
        REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().message));
        CHECK(r->child_age == t.age);
    }
}

TEST_CASE("report_input_from_json: an unknown field is refused, naming it") {
    const std::string cases[] = {"txt", "Text", "child_age_estimate", "reporter_email", "", "csrf", "lang",
                                 "text ", "trạng_thái"};
    for (const std::string& name : cases) {
        CAPTURE(name);
        const auto e = error_of(report_input_from_json(std::string(R"({"text":"x",")") + name + "\":\"y\"}"));
        CHECK(e.code == "unknown_field");
        CHECK(e.field == name);
        CHECK(contains(e.message, std::string("\"") + name + "\""));
    }
}

TEST_CASE("report_input_from_json: a value of the wrong type is refused, naming the field") {
    struct {
        std::string json;
        std::string field;
    } const cases[] = {
        {R"({"text":5})", "text"},
        {R"({"text":true})", "text"},
        {R"({"text":["a"]})", "text"},
        {R"({"text":{"a":"b"}})", "text"},
        {R"({"location_code":4})", "location_code"},
        {R"({"reporter_phone":912345678})", "reporter_phone"},
        {R"({"child_sex":false})", "child_sex"},
        {R"({"reporter_address":1.5})", "reporter_address"},
        {R"({"child_age":7.5})", "child_age"},
        {R"({"child_age":7.0})", "child_age"},
        {R"({"child_age":1e1})", "child_age"},
        {R"({"child_age":true})", "child_age"},
        {R"({"child_age":[7]})", "child_age"},
        {R"({"child_age":{}})", "child_age"},
        {R"({"child_age_estimated":"true"})", "child_age_estimated"},
        {R"({"contact_ok":1})", "contact_ok"},
        {R"({"contact_ok":0})", "contact_ok"},
        {R"({"keep_identity_secret":"yes"})", "keep_identity_secret"},
        {R"({"keep_identity_secret":[]})", "keep_identity_secret"},
    };
    for (const auto& t : cases) {
        CAPTURE(t.json);
        const auto e = error_of(report_input_from_json(t.json));
        CHECK(e.code == "wrong_type");
        CHECK(e.field == t.field);
        CHECK(contains(e.message, t.field));
    }
}

TEST_CASE("report_input_from_json: bodies that are not a JSON object are malformed_json") {
    const std::string cases[] = {
        "",
        " ",
        "null",
        "true",
        "7",
        "\"text\"",
        "[]",
        R"([{"text":"x"}])",
        "{",
        R"({"text":"x")",
        R"({"text":"x",})",
        R"({"text":"x"} {})",
        R"({"text":"x"}x)",
        R"({text:"x"})",
        R"({'text':'x'})",
        R"({"text":"x" /* comment */})",
        R"({"text":"a
b"})",  // raw newline inside a string
        R"({"text":"\x"})",
        R"({"child_age":07})",
        R"({"child_age":NaN})",
    };
    for (const std::string& body : cases) {
        CAPTURE(body);
        const auto e = error_of(report_input_from_json(body));
        CHECK(e.code == "malformed_json");
        CHECK_FALSE(e.message.empty());
    }
}

TEST_CASE("report_input_from_json: bytes that are not UTF-8 are invalid_utf8") {
    const std::string cases[] = {
        "{\"text\":\"\xff\"}",
        "{\"text\":\"ch\xe1\xbb\"}",          // truncated sequence
        "{\"text\":\"\xc0\xaf\"}",            // overlong '/'
        "{\"text\":\"\xed\xa0\x80\"}",        // UTF-16 surrogate
        "{\"text\":\"\xf4\x90\x80\x80\"}",    // beyond U+10FFFF
        "{\"child_name\":\"x\",\"text\":\"a\x80\"}",
        "{\"\xff\":\"x\"}",                   // in a key
        "\xef\xbb\xbf\xff{}",
    };
    for (const auto& body : cases) {
        CAPTURE(body);
        const auto e = error_of(report_input_from_json(body));
        CHECK(e.code == "invalid_utf8");
    }
}

// ---------------------------------------------------------------- forms

TEST_CASE("parse_form decodes keys and values") {
    struct {
        std::string body;
        std::string key;
        std::string value;
    } const cases[] = {
        {"text=hello", "text", "hello"},
        {"text=a+b+c", "text", "a b c"},
        {"text=a%20b", "text", "a b"},
        {"text=a%2Bb", "text", "a+b"},
        {"text=a%26b%3Dc", "text", "a&b=c"},
        {"text=%25", "text", "%"},
        {"text=", "text", ""},
        {"text", "text", ""},
        {"child+name=x", "child name", "x"},
        {"t%65xt=x", "text", "x"},
        {"text=B%E1%BB%87nh+vi%E1%BB%87n", "text", "Bệnh viện"},
        {"text=%e1%bb%87", "text", "ệ"},
        {"reporter_name=Nguy%E1%BB%85n+Th%E1%BB%8B+Th%E1%BB%A7y", "reporter_name", "Nguyễn Thị Thủy"},
        {"location_text=x%C3%A3+H%C3%B2a+B%C3%ACnh", "location_text", "xã Hòa Bình"},
        {"text=%F0%9F%98%80", "text", "\xF0\x9F\x98\x80"},
        {"text=line1%0D%0Aline2", "text", "line1\r\nline2"},
    };
    for (const auto& t : cases) {
        CAPTURE(t.body);
        const auto r = parse_form(t.body);
        REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().message));
        REQUIRE(r->values.count(t.key) == 1);
        CHECK(r->values.at(t.key) == t.value);
    }
}

TEST_CASE("parse_form keeps every key, the last value winning") {
    const auto r = parse_form("csrf=123.abc&lang=vi&text=first&text=second&contact_ok=on&extra=1");
    REQUIRE(r.has_value());
    const std::map<std::string, std::string> expected{
        {"csrf", "123.abc"}, {"lang", "vi"}, {"text", "second"}, {"contact_ok", "on"}, {"extra", "1"}};
    CHECK(r->values == expected);

    const auto empty = parse_form("");
    REQUIRE(empty.has_value());
    CHECK(empty->values.empty());
}

TEST_CASE("parse_form refuses broken percent-encoding as bad_request") {
    const std::string cases[] = {
        "text=%",
        "text=%4",
        "text=%zz",
        "text=%G1",
        "text=ab%",
        "te%xt=1",
        "text=a%2",
        "text=a#b",
    };
    for (const std::string& body : cases) {
        CAPTURE(body);
        const auto e = error_of(parse_form(body));
        CHECK(e.code == "bad_request");
    }
}

TEST_CASE("parse_form refuses values that are not UTF-8 once decoded") {
    const std::string cases[] = {
        "text=%FF",
        "text=%E1%BB",           // truncated
        "text=%C0%AF",           // overlong
        "text=%ED%A0%80",        // surrogate
        "text=ok&child_name=%80",
        "%FF=x",                 // in a key
    };
    for (const std::string& body : cases) {
        CAPTURE(body);
        const auto e = error_of(parse_form(body));
        CHECK(e.code == "invalid_utf8");
    }
}

TEST_CASE("report_input_from_form takes the report fields") {
    const auto form = parse_form(
        "csrf=1.ab&lang=vi&text=Em+b%C3%A9+b%E1%BB%8B+%C4%91%C3%A1nh&location_text=Th%C3%B4n+3&location_code=00004"
        "&child_name=Lan&child_age=7&child_age_estimated=on&child_sex=female&child_condition=b%E1%BA%A7m+t%C3%ADm"
        "&perpetrator_relation=b%E1%BB%91&reporter_name=B&reporter_phone=0912345678&reporter_address=H%C3%A0+N%E1%BB%99i"
        "&contact_ok=1&keep_identity_secret=yes&unrelated=zzz");
    REQUIRE(form.has_value());
    const report_input in = report_input_from_form(*form);
    CHECK(in.text == "Em bé bị đánh");
    CHECK(in.location_text == "Thôn 3");
    CHECK(in.location_code == "00004");
    CHECK(in.child_name == "Lan");
    CHECK(in.child_age == "7");
    CHECK(in.child_age_estimated == true);
    CHECK(in.child_sex == "female");
    CHECK(in.child_condition == "bầm tím");
    CHECK(in.perpetrator_relation == "bố");
    CHECK(in.reporter_name == "B");
    CHECK(in.reporter_phone == "0912345678");
    CHECK(in.reporter_address == "Hà Nội");
    CHECK(in.contact_ok == true);
    CHECK(in.keep_identity_secret == true);
}

TEST_CASE("report_input_from_form: absent string fields stay absent") {
    form_fields form;
    form.values = {{"text", "x"}, {"csrf", "1.a"}, {"lang", "en"}};
    const report_input in = report_input_from_form(form);
    CHECK(in.text == "x");
    for (const auto& f : string_fields) {
        if (std::string_view(f.name) == "text") continue;
        CAPTURE(f.name);
        CHECK_FALSE((in.*f.member).has_value());
    }
}

TEST_CASE("report_input_from_form: checkbox truthiness") {
    struct {
        const char* value;  // nullptr: the checkbox is absent
        bool checked;
    } const cases[] = {
        {"1", true}, {"on", true}, {"true", true}, {"yes", true},
        {nullptr, false}, {"", false}, {"0", false}, {"off", false}, {"false", false}, {"no", false},
        {"ON", false}, {"Yes", false}, {" on", false}, {"2", false},
    };
    for (const auto& f : bool_fields) {
        for (const auto& t : cases) {
            const std::string shown = t.value ? t.value : "(absent)";
            CAPTURE(f.name);
            CAPTURE(shown);
            form_fields form;
            form.values["text"] = "x";
            if (t.value) form.values[f.name] = t.value;
            const report_input in = report_input_from_form(form);
            CHECK((in.*f.member).value_or(false) == t.checked);
        }
    }
}
