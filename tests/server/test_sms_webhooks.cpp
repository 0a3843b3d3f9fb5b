#include "server/sms_webhooks.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "intake/text.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace hotline;
using namespace hotline::server;
using namespace std::chrono_literals;

namespace {

// The error of a decoding that must fail.
template <class T>
error error_of(const result<T>& r) {
    REQUIRE_FALSE(r.has_value());
    return r.err();
}

// ---- Twilio's published example (twilio.com/docs/usage/security) -------------

constexpr std::string_view twilio_token = "12345";
constexpr std::string_view twilio_url = "https://mycompany.com/myapp.php?foo=1&bar=2";
constexpr std::string_view twilio_url_443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
constexpr std::string_view twilio_expected = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
// The same request signed over twilio_url_443 (openssl dgst -sha1 -hmac 12345 -binary | base64).
constexpr std::string_view twilio_expected_443 = "kvajT1Ptam85bY51eRf/AJRuM3w=";

// Deliberately not in sorted order: the signature sorts them.
form_params twilio_params() {
    return {{"To", "+18005551212"},
            {"Digits", "1234"},
            {"CallSid", "CA1234567890ABCDE"},
            {"From", "+14158675309"},
            {"Caller", "+14158675309"}};
}

form_params with_value(form_params p, std::string_view name, std::string_view value) {
    for (auto& kv : p)
        if (kv.first == name) kv.second = value;
    return p;
}

// ---- Android and generic vectors, computed with the OpenSSL command line --------
//   printf '%s%s' "$body" "$ts" | openssl dgst -sha256 -hmac "$key"
//   printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret"

constexpr std::string_view android_key = "k3y-Đà-Nẵng";
constexpr std::string_view android_body =
    R"({"id":"Ey6ECgOkVVFjz3CL48B8C","event":"sms:received","payload":{"message":"Bé bị đánh","sender":"+84901234567"}})";
constexpr std::string_view android_ts = "1719046000";
constexpr std::string_view android_expected = "0637f201da045a013e4a13b557d8efca1fd381f379a1f271d150b821291b5b52";

constexpr std::string_view generic_secret = "gen-secret";
constexpr std::string_view generic_body = R"({"id":"m-1","from":"+84901234567","to":"111","text":"Xin giúp & <cứu>"})";
constexpr std::string_view generic_ts = "1719046000";
constexpr std::string_view generic_expected =
    "sha256=fb74c95eb0b45b5a073d0054bc0ad140c5900fead8952b11eec4f3f527f3a2e4";

const time_point signed_at = from_unix_ms(1'719'046'000'000);

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

}  // namespace

// =================================================================================
// Twilio signatures
// =================================================================================

TEST_CASE("twilio: published test vector") {
    CHECK(twilio_signature(twilio_token, twilio_url, twilio_params()) == twilio_expected);
    CHECK(twilio_signature(twilio_token, twilio_url_443, twilio_params()) == twilio_expected_443);
    CHECK(twilio_signature_valid({std::string(twilio_token)}, twilio_url, twilio_params(), twilio_expected));
}

TEST_CASE("twilio: signature check table (ports, rotation, tampering)") {
    const std::string tok(twilio_token);
    struct row {
        const char* name;
        std::vector<std::string> tokens;
        std::string url;
        form_params params;
        std::string header;
        bool valid;
    };
    const std::vector<row> rows{
        {"as published", {tok}, std::string(twilio_url), twilio_params(), std::string(twilio_expected), true},
        {"config URL with :443, signed without", {tok}, std::string(twilio_url_443), twilio_params(),
         std::string(twilio_expected), true},
        {"config URL without port, signed with :443", {tok}, std::string(twilio_url), twilio_params(),
         std::string(twilio_expected_443), true},
        {"config :443, signed :443", {tok}, std::string(twilio_url_443), twilio_params(),
         std::string(twilio_expected_443), true},
        {"rotation: new token first", {"new-token", tok}, std::string(twilio_url), twilio_params(),
         std::string(twilio_expected), true},
        {"rotation: old token last", {tok, "new-token"}, std::string(twilio_url), twilio_params(),
         std::string(twilio_expected), true},
        {"wrong token", {"54321"}, std::string(twilio_url), twilio_params(), std::string(twilio_expected), false},
        {"no tokens configured", {}, std::string(twilio_url), twilio_params(), std::string(twilio_expected), false},
        {"empty token never validates", {""}, std::string(twilio_url), twilio_params(),
         std::string(twilio_expected), false},
        {"changed parameter", {tok}, std::string(twilio_url), with_value(twilio_params(), "Digits", "1235"),
         std::string(twilio_expected), false},
        {"extra parameter", {tok}, std::string(twilio_url),
         [] {
             auto p = twilio_params();
             p.emplace_back("Body", "hi");
             return p;
         }(),
         std::string(twilio_expected), false},
        {"missing parameter", {tok}, std::string(twilio_url),
         [] {
             auto p = twilio_params();
             p.pop_back();
             return p;
         }(),
         std::string(twilio_expected), false},
        {"missing header", {tok}, std::string(twilio_url), twilio_params(), "", false},
        {"header in another case", {tok}, std::string(twilio_url), twilio_params(), upper(twilio_expected), false},
        {"truncated header", {tok}, std::string(twilio_url), twilio_params(),
         std::string(twilio_expected.substr(0, 27)), false},
        {"other path", {tok}, "https://mycompany.com/other.php?foo=1&bar=2", twilio_params(),
         std::string(twilio_expected), false},
        {"other query", {tok}, "https://mycompany.com/myapp.php?foo=2&bar=2", twilio_params(),
         std::string(twilio_expected), false},
        {"http instead of https", {tok}, "http://mycompany.com/myapp.php?foo=1&bar=2", twilio_params(),
         std::string(twilio_expected), false},
        {"a non-default port is not removed", {tok}, "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
         twilio_params(), std::string(twilio_expected), false},
        {"https with :80 is not a default port", {tok}, "https://mycompany.com:80/myapp.php?foo=1&bar=2",
         twilio_params(), std::string(twilio_expected), false},
        // http://h.example(:80)/sms with Body "xin chào & <", token "tok":
        //   with :80  -> 0twfGcjJKAVVo/1/omkca/3e/tc=   without -> pY6aBLPwJwbxz48XVSuYASpdsUY=
        {"http, config without port, signed with :80", {"tok"}, "http://h.example/sms", {{"Body", "xin chào & <"}},
         "0twfGcjJKAVVo/1/omkca/3e/tc=", true},
        {"http, config with :80, signed without", {"tok"}, "http://h.example:80/sms", {{"Body", "xin chào & <"}},
         "pY6aBLPwJwbxz48XVSuYASpdsUY=", true},
        {"http, as given", {"tok"}, "http://h.example/sms", {{"Body", "xin chào & <"}},
         "pY6aBLPwJwbxz48XVSuYASpdsUY=", true},
        // Repeated names sorted by value: URL + "MediaUrla" + "MediaUrlb" + "Toz".
        {"repeated names sorted by value", {"tok"}, "https://h.example/sms?x=1",
         {{"To", "z"}, {"MediaUrl", "b"}, {"MediaUrl", "a"}}, "BZQ3EfwiAGjIyXT63UftsEenkWA=", true},
        {"unparsable URL tried as given only", {tok}, "not a url", twilio_params(), std::string(twilio_expected),
         false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        CHECK(twilio_signature_valid(r.tokens, r.url, r.params, r.header) == r.valid);
    }
}

TEST_CASE("twilio: signature does not depend on parameter arrival order") {
    auto reversed = twilio_params();
    std::reverse(reversed.begin(), reversed.end());
    CHECK(twilio_signature(twilio_token, twilio_url, reversed) == twilio_expected);
    // Without parameters the URL alone is signed, so the port matters.
    CHECK(twilio_signature(twilio_token, twilio_url, {}) != twilio_signature(twilio_token, twilio_url_443, {}));
}

// =================================================================================
// Android and generic signatures
// =================================================================================

TEST_CASE("android: signature matches the OpenSSL command line") {
    CHECK(android_signature(android_key, android_body, android_ts) == android_expected);
    CHECK(check_android_signature(android_key, android_body, android_ts, android_expected, signed_at, 300s) ==
          signature_check::ok);
}

TEST_CASE("generic: signature matches the OpenSSL command line") {
    CHECK(generic_signature(generic_secret, generic_ts, generic_body) == generic_expected);
    CHECK(check_generic_signature(generic_secret, generic_body, generic_ts, generic_expected, signed_at, 300s) ==
          signature_check::ok);
}

namespace {

struct timestamped_row {
    const char* name;
    std::string key;
    std::string body;
    std::string timestamp;
    std::string signature;
    time_point now;
    signature_check expected;
};

// The same table for both schemes: only the vector differs.
std::vector<timestamped_row> timestamped_rows(std::string_view key, std::string_view body, std::string_view ts,
                                              std::string_view sig) {
    const std::string k(key), b(body), t(ts), s(sig);
    return {
        {"valid", k, b, t, s, signed_at, signature_check::ok},
        {"valid, upper-case hex", k, b, t, upper(s), signed_at, signature_check::ok},
        {"now 5 minutes later (edge)", k, b, t, s, signed_at + 300s, signature_check::ok},
        {"now 5 minutes earlier (edge)", k, b, t, s, signed_at - 300s, signature_check::ok},
        {"too old", k, b, t, s, signed_at + 301s, signature_check::stale_timestamp},
        {"too far in the future", k, b, t, s, signed_at - 301s, signature_check::stale_timestamp},
        {"a day old", k, b, t, s, signed_at + 24h, signature_check::stale_timestamp},
        {"missing timestamp", k, b, "", s, signed_at, signature_check::missing},
        {"missing signature", k, b, t, "", signed_at, signature_check::missing},
        {"both missing", k, b, "", "", signed_at, signature_check::missing},
        {"letters", k, b, "abc", s, signed_at, signature_check::malformed_timestamp},
        {"negative", k, b, "-1719046000", s, signed_at, signature_check::malformed_timestamp},
        {"fraction", k, b, "1719046000.5", s, signed_at, signature_check::malformed_timestamp},
        {"leading space", k, b, " 1719046000", s, signed_at, signature_check::malformed_timestamp},
        {"milliseconds are stale, not malformed", k, b, "1719046000000", s, signed_at,
         signature_check::stale_timestamp},
        {"largest int64", k, b, "9223372036854775807", s, signed_at, signature_check::stale_timestamp},
        {"overflowing number", k, b, "99999999999999999999999", s, signed_at, signature_check::malformed_timestamp},
        {"wrong key", "other-key", b, t, s, signed_at, signature_check::mismatch},
        {"changed body", k, b + " ", t, s, signed_at, signature_check::mismatch},
        {"other timestamp, in tolerance", k, b, "1719046001", s, signed_at, signature_check::mismatch},
        {"garbage signature", k, b, t, "deadbeef", signed_at, signature_check::mismatch},
    };
}

}  // namespace

TEST_CASE("android: signature check table") {
    auto rows = timestamped_rows(android_key, android_body, android_ts, android_expected);
    rows.push_back({"generic scheme's signature", std::string(android_key), std::string(android_body),
                    std::string(android_ts), generic_signature(android_key, android_ts, android_body), signed_at,
                    signature_check::mismatch});
    for (const auto& r : rows) {
        CAPTURE(r.name);
        CHECK(to_string(check_android_signature(r.key, r.body, r.timestamp, r.signature, r.now, 300s)) ==
              to_string(r.expected));
    }
    // The tolerance is configurable.
    CHECK(check_android_signature(android_key, android_body, android_ts, android_expected, signed_at + 60s, 30s) ==
          signature_check::stale_timestamp);
    CHECK(check_android_signature(android_key, android_body, android_ts, android_expected, signed_at + 60s, 600s) ==
          signature_check::ok);
}

TEST_CASE("generic: signature check table") {
    auto rows = timestamped_rows(generic_secret, generic_body, generic_ts, generic_expected);
    rows.push_back({"hex without the sha256= prefix", std::string(generic_secret), std::string(generic_body),
                    std::string(generic_ts), std::string(generic_expected.substr(7)), signed_at,
                    signature_check::mismatch});
    rows.push_back({"android scheme's signature", std::string(generic_secret), std::string(generic_body),
                    std::string(generic_ts), android_signature(generic_secret, generic_body, generic_ts), signed_at,
                    signature_check::mismatch});
    for (const auto& r : rows) {
        CAPTURE(r.name);
        CHECK(to_string(check_generic_signature(r.key, r.body, r.timestamp, r.signature, r.now, 300s)) ==
              to_string(r.expected));
    }
}

TEST_CASE("webhook: signature_check names") {
    CHECK(to_string(signature_check::ok) == "ok");
    CHECK(to_string(signature_check::missing) == "missing");
    CHECK(to_string(signature_check::malformed_timestamp) == "malformed_timestamp");
    CHECK(to_string(signature_check::stale_timestamp) == "stale_timestamp");
    CHECK(to_string(signature_check::mismatch) == "mismatch");
}

// =================================================================================
// Payloads
// =================================================================================

TEST_CASE("twilio: message from form parameters") {
    const form_params full{{"ToCountry", "VN"},        {"MessageSid", "SM0123456789abcdef"},
                           {"AccountSid", "AC123"},    {"From", "+84901234567"},
                           {"To", "+84281234567"},     {"Body", "Bé bị đánh ở xã Tân Phú"},
                           {"NumSegments", "1"}};
    const auto m = twilio_message(full);
    REQUIRE(m.has_value());
    CHECK(m->id == "SM0123456789abcdef");
    CHECK(m->from == "+84901234567");
    CHECK(m->to == "+84281234567");
    CHECK(m->text == "Bé bị đánh ở xã Tân Phú");

    const auto minimal = twilio_message({{"MessageSid", "SM1"}, {"From", "+8490"}});
    REQUIRE(minimal.has_value());
    CHECK(minimal->to.empty());
    CHECK(minimal->text.empty());

    struct row {
        const char* name;
        form_params params;
        std::string code;
        std::string field;
    };
    const std::vector<row> rows{
        {"no MessageSid", {{"From", "+8490"}, {"Body", "x"}}, "invalid_value", "MessageSid"},
        {"empty MessageSid", {{"MessageSid", ""}, {"From", "+8490"}}, "invalid_value", "MessageSid"},
        {"no From", {{"MessageSid", "SM1"}, {"Body", "x"}}, "invalid_value", "From"},
        {"empty From", {{"MessageSid", "SM1"}, {"From", ""}}, "invalid_value", "From"},
        {"nothing", {}, "invalid_value", "MessageSid"},
        {"Body not UTF-8", {{"MessageSid", "SM1"}, {"From", "+8490"}, {"Body", "B\xe9"}}, "invalid_utf8", "Body"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        const auto e = error_of(twilio_message(r.params));
        CHECK(e.code == r.code);
        CHECK(e.field == r.field);
    }
}

TEST_CASE("android: envelope of the gateway's documentation (older phoneNumber)") {
    const std::string_view body =
        R"({"deviceId":"ffffffffceb0b1db0000018e937c815b","event":"sms:received","id":"Ey6ECgOkVVFjz3CL48B8C",)"
        R"("payload":{"messageId":"abc123","message":"Android is always a good choice.","phoneNumber":"+19162255887",)"
        R"("simNumber":1,"receivedAt":"2024-06-22T15:46:11.000+07:00"},"webhookId":"LreFUt-Z3sSq0JufY9uWB"})";
    const auto r = android_message(body);
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    const gateway_message& m = **r;
    CHECK(m.id == "Ey6ECgOkVVFjz3CL48B8C");  // the envelope id, not messageId
    CHECK(m.from == "+19162255887");
    CHECK(m.to.empty());
    CHECK(m.text == "Android is always a good choice.");
}

TEST_CASE("android: sender, recipient and Vietnamese text") {
    struct row {
        const char* name;
        std::string body;
        std::string from, to, text;
    };
    const std::vector<row> rows{
        {"sender and recipient",
         R"({"id":"e1","event":"sms:received","payload":{"messageId":"m","message":"Bé bị đánh","sender":"+84901234567","recipient":"+84281234567"}})",
         "+84901234567", "+84281234567", "Bé bị đánh"},
        {"sender preferred to phoneNumber",
         R"({"id":"e2","event":"sms:received","payload":{"message":"x","sender":"+8491","phoneNumber":"+8492"}})",
         "+8491", "", "x"},
        {"empty sender falls back to phoneNumber",
         R"({"id":"e3","event":"sms:received","payload":{"message":"x","sender":"","phoneNumber":"+8492"}})", "+8492",
         "", "x"},
        {"null recipient is absent",
         R"({"id":"e4","event":"sms:received","payload":{"message":"x","sender":"+8491","recipient":null}})", "+8491",
         "", "x"},
        {"escaped Vietnamese decoded to UTF-8",
         R"({"id":"e5","event":"sms:received","payload":{"message":"\u0110\u00e0 N\u1eb5ng & <b>","sender":"+8491"}})",
         "+8491", "", "Đà Nẵng & <b>"},
        {"empty message is allowed", R"({"id":"e6","event":"sms:received","payload":{"message":"","sender":"+8491"}})",
         "+8491", "", ""},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        const auto m = android_message(r.body);
        REQUIRE(m.has_value());
        REQUIRE(m->has_value());
        CHECK((*m)->from == r.from);
        CHECK((*m)->to == r.to);
        CHECK((*m)->text == r.text);
    }
}

TEST_CASE("android: other events are ignored") {
    for (const std::string_view event : {"sms:sent", "sms:delivered", "sms:failed", "system:ping", "sms:data-received",
                                         "SMS:RECEIVED", ""}) {
        CAPTURE(event);
        // Other events carry other payloads (or none): they are not validated.
        const std::string body = std::string(R"({"id":"x","event":")") + std::string(event) + R"(","payload":{}})";
        const auto r = android_message(body);
        REQUIRE(r.has_value());
        CHECK_FALSE(r->has_value());
    }
    const auto no_payload = android_message(R"({"event":"system:ping"})");
    REQUIRE(no_payload.has_value());
    CHECK_FALSE(no_payload->has_value());
}

TEST_CASE("android: malformed envelopes name the field") {
    struct row {
        const char* name;
        std::string body;
        std::string code;
        std::string field;
    };
    const std::vector<row> rows{
        {"not JSON", "{", "malformed_json", ""},
        {"empty body", "", "malformed_json", ""},
        {"trailing garbage", R"({"event":"sms:received"} x)", "malformed_json", ""},
        {"array", "[]", "malformed_json", ""},
        {"string", R"("sms:received")", "malformed_json", ""},
        {"not UTF-8", "{\"event\":\"sms:received\",\"id\":\"\xff\"}", "invalid_utf8", ""},
        {"no event", R"({"id":"e","payload":{"message":"x","sender":"+8491"}})", "invalid_value", "event"},
        {"event not a string", R"({"id":"e","event":1,"payload":{}})", "invalid_value", "event"},
        {"no id", R"({"event":"sms:received","payload":{"message":"x","sender":"+8491"}})", "invalid_value", "id"},
        {"empty id", R"({"id":"","event":"sms:received","payload":{"message":"x","sender":"+8491"}})",
         "invalid_value", "id"},
        {"id a number", R"({"id":7,"event":"sms:received","payload":{"message":"x","sender":"+8491"}})",
         "invalid_value", "id"},
        {"no payload", R"({"id":"e","event":"sms:received"})", "invalid_value", "payload"},
        {"payload a string", R"({"id":"e","event":"sms:received","payload":"x"})", "invalid_value", "payload"},
        {"no sender nor phoneNumber", R"({"id":"e","event":"sms:received","payload":{"message":"x"}})",
         "invalid_value", "payload.sender"},
        {"sender a number", R"({"id":"e","event":"sms:received","payload":{"message":"x","sender":8491}})",
         "invalid_value", "payload.sender"},
        {"phoneNumber a number", R"({"id":"e","event":"sms:received","payload":{"message":"x","phoneNumber":8491}})",
         "invalid_value", "payload.phoneNumber"},
        {"no message", R"({"id":"e","event":"sms:received","payload":{"sender":"+8491"}})", "invalid_value",
         "payload.message"},
        {"message null", R"({"id":"e","event":"sms:received","payload":{"sender":"+8491","message":null}})",
         "invalid_value", "payload.message"},
        {"message an object", R"({"id":"e","event":"sms:received","payload":{"sender":"+8491","message":{}}})",
         "invalid_value", "payload.message"},
        {"recipient a number",
         R"({"id":"e","event":"sms:received","payload":{"sender":"+8491","message":"x","recipient":1}})",
         "invalid_value", "payload.recipient"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        const auto e = error_of(android_message(r.body));
        CHECK(e.code == r.code);
        CHECK(e.field == r.field);
        CHECK_FALSE(e.message.empty());
    }
}

TEST_CASE("generic: message payloads") {
    const auto m = generic_message(generic_body);
    REQUIRE(m.has_value());
    CHECK(m->id == "m-1");
    CHECK(m->from == "+84901234567");
    CHECK(m->to == "111");
    CHECK(m->text == "Xin giúp & <cứu>");

    const auto no_to = generic_message(R"({"id":"m-2","from":"+8491","text":"","extra":[1,2]})");
    REQUIRE(no_to.has_value());
    CHECK(no_to->to.empty());
    CHECK(no_to->text.empty());

    struct row {
        const char* name;
        std::string body;
        std::string code;
        std::string field;
    };
    const std::vector<row> rows{
        {"not JSON", R"({"id":)", "malformed_json", ""},
        {"array", R"([{"id":"m"}])", "malformed_json", ""},
        {"not UTF-8", "{\"id\":\"m\",\"from\":\"+8491\",\"text\":\"\xc3\"}", "invalid_utf8", ""},
        {"no id", R"({"from":"+8491","text":"x"})", "invalid_value", "id"},
        {"empty id", R"({"id":"","from":"+8491","text":"x"})", "invalid_value", "id"},
        {"no from", R"({"id":"m","text":"x"})", "invalid_value", "from"},
        {"from a number", R"({"id":"m","from":8491,"text":"x"})", "invalid_value", "from"},
        {"no text", R"({"id":"m","from":"+8491"})", "invalid_value", "text"},
        {"text an array", R"({"id":"m","from":"+8491","text":["x"]})", "invalid_value", "text"},
        {"to a number", R"({"id":"m","from":"+8491","to":111,"text":"x"})", "invalid_value", "to"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        const auto e = error_of(generic_message(r.body));
        CHECK(e.code == r.code);
        CHECK(e.field == r.field);
    }
}

// =================================================================================
// Replies
// =================================================================================

TEST_CASE("twilio: TwiML responses are escaped") {
    const std::string prolog = R"(<?xml version="1.0" encoding="UTF-8"?>)";
    struct row {
        const char* name;
        std::string reply;
        std::string expected;
    };
    const std::vector<row> rows{
        {"no reply", "", prolog + "<Response/>"},
        {"plain", "Da nhan bao cao. Ma: K7QX-4MPA",
         prolog + "<Response><Message>Da nhan bao cao. Ma: K7QX-4MPA</Message></Response>"},
        {"Vietnamese with & and <", "Đã nhận báo cáo & chuyển <xã Tân Phú>",
         prolog + "<Response><Message>Đã nhận báo cáo &amp; chuyển &lt;xã Tân Phú&gt;</Message></Response>"},
        {"all five", R"(a&b<c>d"e'f)",
         prolog + "<Response><Message>a&amp;b&lt;c&gt;d&quot;e&apos;f</Message></Response>"},
        {"no double escaping", "&amp;", prolog + "<Response><Message>&amp;amp;</Message></Response>"},
        {"new lines kept, control characters dropped", std::string("a\nb\x01\x1f" "c"),
         prolog + "<Response><Message>a\nbc</Message></Response>"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        CHECK(twiml_response(r.reply) == r.expected);
    }
}

TEST_CASE("android: send body round-trips through a JSON parser") {
    struct row {
        const char* name;
        std::string text, phone, id;
    };
    const std::vector<row> rows{
        {"with id", "Da nhan bao cao. Ma: K7QX-4MPA", "+84901234567", "reply-1"},
        {"without id", "Cam on", "+84901234567", ""},
        {"Vietnamese, quotes, backslash, newline", "Đã nhận \"báo cáo\" \\ xã Tân Phú\n& <ok>", "0901234567", "r-2"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        const std::string out = android_send_body(r.text, r.phone, r.id);
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(out, ec);
        REQUIRE_FALSE(ec);
        REQUIRE(v.is_object());
        const auto& o = v.as_object();
        CHECK(o.size() == (r.id.empty() ? 2u : 3u));
        CHECK(o.at("textMessage").as_object().size() == 1);
        CHECK(o.at("textMessage").at("text").as_string() == r.text);
        const auto& phones = o.at("phoneNumbers").as_array();
        REQUIRE(phones.size() == 1);
        CHECK(phones[0].as_string() == r.phone);
        if (r.id.empty())
            CHECK_FALSE(o.contains("id"));
        else
            CHECK(o.at("id").as_string() == r.id);
    }
    CHECK(android_send_body("Đã nhận", "+84901234567", "r-1") ==
          R"({"id":"r-1","textMessage":{"text":"Đã nhận"},"phoneNumbers":["+84901234567"]})");
}

// ---- delivery reports ----------------------------------------------------------------

TEST_CASE("twilio: status callbacks: delivered, undelivered and failed are reports, others are ignored") {
    const auto delivered = twilio_delivery({{"MessageSid", "SM1"}, {"MessageStatus", "delivered"}, {"To", "+84912345678"}});
    REQUIRE(delivered.has_value());
    REQUIRE(delivered->has_value());
    CHECK((*delivered)->provider_message_id == "SM1");
    CHECK((*delivered)->delivered);
    CHECK((*delivered)->error.empty());

    const auto undelivered = twilio_delivery({{"MessageStatus", "undelivered"}, {"ErrorCode", "30003"}, {"MessageSid", "SM2"}});
    REQUIRE(undelivered.has_value());
    REQUIRE(undelivered->has_value());
    CHECK((*undelivered)->provider_message_id == "SM2");
    CHECK_FALSE((*undelivered)->delivered);
    CHECK((*undelivered)->error == "Twilio error 30003");

    const auto failed = twilio_delivery({{"MessageSid", "SM3"}, {"MessageStatus", "failed"}});
    REQUIRE(failed.has_value());
    REQUIRE(failed->has_value());
    CHECK_FALSE((*failed)->delivered);
    CHECK((*failed)->error == "Twilio status failed");

    for (const char* status : {"queued", "accepted", "sending", "sent", "read", "receiving", "received", "scheduled"}) {
        CAPTURE(status);
        const auto r = twilio_delivery({{"MessageSid", "SM4"}, {"MessageStatus", status}});
        REQUIRE(r.has_value());
        CHECK_FALSE(r->has_value());
    }
}

TEST_CASE("twilio: status callbacks without MessageSid or MessageStatus are refused naming the field") {
    CHECK(error_of(twilio_delivery({{"MessageStatus", "delivered"}})).field == "MessageSid");
    CHECK(error_of(twilio_delivery({{"MessageSid", ""}, {"MessageStatus", "delivered"}})).field == "MessageSid");
    CHECK(error_of(twilio_delivery({{"MessageSid", "SM1"}})).field == "MessageStatus");
    CHECK(error_of(twilio_delivery({{"MessageSid", "SM1"}})).code == "invalid_value");
}

TEST_CASE("android: sms:delivered and sms:failed are delivery reports") {
    const auto delivered = android_delivery(R"({"id":"e1","webhookId":"w","event":"sms:delivered","deviceId":"d",
        "payload":{"messageId":"hotline-12","phoneNumber":"+84912345678","simNumber":null,
                   "deliveredAt":"2026-11-29T09:00:00.000+07:00"}})");
    REQUIRE(delivered.has_value());
    REQUIRE(delivered->has_value());
    CHECK((*delivered)->provider_message_id == "hotline-12");
    CHECK((*delivered)->delivered);
    CHECK((*delivered)->error.empty());

    const auto failed = android_delivery(R"({"id":"e2","event":"sms:failed",
        "payload":{"messageId":"hotline-13","phoneNumber":"+84912345678","failedAt":"2026-11-29T09:00:00+07:00",
                   "reason":"RESULT_ERROR_GENERIC_FAILURE"}})");
    REQUIRE(failed.has_value());
    REQUIRE(failed->has_value());
    CHECK((*failed)->provider_message_id == "hotline-13");
    CHECK_FALSE((*failed)->delivered);
    CHECK((*failed)->error == "the gateway reported: RESULT_ERROR_GENERIC_FAILURE");

    // A long reason is cut, at a character boundary.
    std::string reason;
    for (int i = 0; i < 150; ++i) reason += "ă";
    const auto long_reason = android_delivery(R"({"event":"sms:failed","payload":{"messageId":"m","reason":")" + reason +
                                              "\"}}");
    REQUIRE(long_reason.has_value());
    REQUIRE(long_reason->has_value());
    CHECK((*long_reason)->error.size() <= 200);
    CHECK(intake::is_valid_utf8((*long_reason)->error));

    for (const char* event : {"sms:received", "sms:sent", "system:ping", "mms:received"}) {
        CAPTURE(event);
        const auto r = android_delivery(std::string(R"({"event":")") + event + R"(","payload":{"messageId":"m"}})");
        REQUIRE(r.has_value());
        CHECK_FALSE(r->has_value());
    }
}

TEST_CASE("android: malformed delivery reports name the field") {
    CHECK(error_of(android_delivery("{")).code == "malformed_json");
    CHECK(error_of(android_delivery(R"({"event":"sms:delivered"})")).field == "payload");
    CHECK(error_of(android_delivery(R"({"event":"sms:delivered","payload":[]})")).field == "payload");
    CHECK(error_of(android_delivery(R"({"event":"sms:delivered","payload":{}})")).field == "payload.messageId");
    CHECK(error_of(android_delivery(R"({"event":"sms:failed","payload":{"messageId":""}})")).field ==
          "payload.messageId");
    CHECK(error_of(android_delivery(R"({"event":"sms:failed","payload":{"messageId":"m","reason":5}})")).field ==
          "payload.reason");
}
