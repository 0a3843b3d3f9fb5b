#include "server/senders.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "server/http_client.hpp"
#include "server/report_decoding.hpp"
#include "server/sms_webhooks.hpp"
#include "tests/support/io_thread.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/test_certificate.hpp"

using namespace hotline;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using hotline::test::fake_http_server;
using server::send_verdict;

namespace {

constexpr auto guard = std::chrono::seconds(10);
constexpr std::string_view phone = "+84912345678";
// Diacritics, '&', '+', '=' and a space: every form-encoding pitfall at once.
constexpr std::string_view text = "Bao cao moi 7KQ2-M9XD: khẩn cấp & nhanh + gọn = OK";

// Runs one send at a time on its own thread.
struct io_thread : hotline::test::io_thread {
    server::send_result send(server::outbox_sender& sender, const storage::outbox_message& m) {
        return run<server::send_result>([&sender, m] { return sender.send(m); }, guard);
    }
};

storage::outbox_message message(std::uint64_t id, std::string channel, std::string destination, std::string body) {
    storage::outbox_message m;
    m.id = id;
    m.channel = std::move(channel);
    m.destination = std::move(destination);
    m.body = std::move(body);
    m.segments = 1;
    return m;
}

// A logger whose output the test reads.
struct captured_log {
    manual_clock clk{from_unix_ms(1751328000000)};
    std::ostringstream out;
    server::logger log{server::log_level::debug, clk, out};
};

// The form fields of a recorded request, decoded independently of the sender.
std::vector<std::pair<std::string, std::string>> form_of(const hotline::test::recorded_request& r) {
    auto parsed = server::parse_form_list(r.body);
    REQUIRE(parsed.has_value());
    return *parsed;
}

std::optional<std::string> field(const std::vector<std::pair<std::string, std::string>>& form, std::string_view name) {
    std::optional<std::string> out;
    for (const auto& [k, v] : form)
        if (k == name) {
            CHECK_FALSE(out.has_value());  // each field once
            out = v;
        }
    return out;
}

// HMAC-SHA256 through OpenSSL's one-shot HMAC(), not the server's code.
std::string independent_hmac_hex(std::string_view key, std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) != nullptr);
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
    return hex;
}

server::twilio_sender_options twilio_options(const fake_http_server& twilio) {
    server::twilio_sender_options o;
    o.api_base_url = twilio.url("");
    o.account_sid = "AC0123456789abcdef";
    o.auth_token = "tok3n";
    o.from = "+15005550006";
    o.status_callback_url = "https://hotline.example/webhooks/sms/twilio/status";
    return o;
}

constexpr std::string_view twilio_created =
    R"({"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","num_segments":"1"})";

}  // namespace

TEST_SUITE("senders") {

TEST_CASE("twilio sender: POST form To, From, Body, StatusCallback with Basic auth, 201: sent with the sid") {
    io_thread io;
    captured_log logs;
    fake_http_server twilio;
    twilio.script({201});
    twilio.set_response_body(std::string(twilio_created));
    auto sender = server::make_twilio_sender(twilio_options(twilio), io.tls, logs.log);

    const auto r = io.send(*sender, message(42, "twilio_sms", std::string(phone), std::string(text)));
    CHECK(r.verdict == send_verdict::sent);
    CHECK(r.error.empty());
    CHECK(r.provider_message_id == "SM0123456789abcdef0123456789abcdef");

    REQUIRE(twilio.request_count() == 1);
    const auto req = twilio.requests()[0];
    CHECK(req.method == "POST");
    CHECK(req.target == "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json");
    CHECK(req.header("Content-Type") == "application/x-www-form-urlencoded");
    CHECK(req.header("Authorization") == server::basic_authorization("AC0123456789abcdef", "tok3n"));
    CHECK(req.header("Authorization") == "Basic QUMwMTIzNDU2Nzg5YWJjZGVmOnRvazNu");
    const auto form = form_of(req);
    CHECK(form.size() == 4);
    CHECK(field(form, "To") == std::string(phone));
    CHECK(field(form, "From") == "+15005550006");
    CHECK(field(form, "Body") == std::string(text));
    CHECK(field(form, "StatusCallback") == "https://hotline.example/webhooks/sms/twilio/status");
    CHECK_FALSE(field(form, "MessagingServiceSid").has_value());
    // Percent-encoded: no raw '+' (it would decode to a space) or '&'.
    CHECK(req.body.find("%2B84912345678") != std::string::npos);
}

TEST_CASE("twilio sender: a Messaging Service SID goes as MessagingServiceSid, no StatusCallback when none") {
    io_thread io;
    captured_log logs;
    fake_http_server twilio;
    twilio.set_response_body(std::string(twilio_created));
    auto o = twilio_options(twilio);
    o.from = "MG0123456789abcdef";
    o.status_callback_url.clear();
    auto sender = server::make_twilio_sender(o, io.tls, logs.log);
    const auto r = io.send(*sender, message(1, "twilio_sms", std::string(phone), "hi"));
    CHECK(r.verdict == send_verdict::sent);
    const auto form = form_of(twilio.requests().at(0));
    CHECK(field(form, "MessagingServiceSid") == "MG0123456789abcdef");
    CHECK_FALSE(field(form, "From").has_value());
    CHECK_FALSE(field(form, "StatusCallback").has_value());
}

TEST_CASE("twilio sender: each answer's verdict") {
    struct verdict_case {
        int status;
        std::string body;
        send_verdict expected;
        bool configuration_error;  // logged as an error naming the configuration
    };
    const verdict_case cases[] = {
        {200, std::string(twilio_created), send_verdict::sent, false},
        {202, std::string(twilio_created), send_verdict::sent, false},
        {408, "", send_verdict::retry, false},
        {429, R"({"code":20429,"message":"Too Many Requests","status":429})", send_verdict::retry, false},
        {500, "", send_verdict::retry, false},
        {503, R"({"code":503,"status":503})", send_verdict::retry, false},
        // The destination cannot be reached: the next person must be called.
        {400, R"({"code":21211,"message":"The 'To' number +84912345678 is not a valid phone number.","status":400})",
         send_verdict::permanent, false},
        {400, R"({"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400})",
         send_verdict::permanent, false},
        {400, R"({"code":21614,"status":400})", send_verdict::permanent, false},
        {400, R"({"code":21408,"status":400})", send_verdict::permanent, false},
        // Our own configuration is wrong: retried, and an error logged.
        {401, R"({"code":20003,"message":"Authenticate","status":401})", send_verdict::retry, true},
        {403, "", send_verdict::retry, true},
        {404, R"({"code":20404,"status":404})", send_verdict::retry, true},
        {400, R"({"code":21606,"status":400})", send_verdict::retry, true},
        {400, R"({"code":21212,"status":400})", send_verdict::retry, true},
        // Any other refusal of the request itself.
        {400, R"({"code":21617,"message":"The concatenated message body exceeds the 1600 character limit"})",
         send_verdict::permanent, false},
        {400, "not json", send_verdict::permanent, false},
        {422, "", send_verdict::permanent, false},
    };
    for (const auto& c : cases) {
        CAPTURE(c.status);
        CAPTURE(c.body);
        io_thread io;
        captured_log logs;
        fake_http_server twilio;
        twilio.script({c.status});
        twilio.set_response_body(c.body);
        auto sender = server::make_twilio_sender(twilio_options(twilio), io.tls, logs.log);
        const auto r = io.send(*sender, message(7, "twilio_sms", std::string(phone), std::string(text)));
        CHECK(r.verdict == c.expected);
        if (c.expected != send_verdict::sent) {
            CHECK(r.error.find(std::to_string(c.status)) != std::string::npos);
            CHECK(r.provider_message_id.empty());
        }
        // Twilio's own message may quote the number: never kept.
        CHECK(r.error.find("84912345678") == std::string::npos);
        CHECK(r.error.find("tok3n") == std::string::npos);
        const auto log = logs.out.str();
        CHECK((log.find("twilio_configuration_refused") != std::string::npos) == c.configuration_error);
        CHECK(log.find("84912345678") == std::string::npos);
        if (c.body.find("\"code\":21211") != std::string::npos) CHECK(r.error.find("21211") != std::string::npos);
    }
}

TEST_CASE("twilio sender: a network error is retried") {
    io_thread io;
    captured_log logs;
    server::twilio_sender_options o;
    o.api_base_url = "http://127.0.0.1:" + std::to_string(hotline::test::unused_port());
    o.account_sid = "AC1";
    o.auth_token = "t";
    o.from = "+15005550006";
    auto sender = server::make_twilio_sender(o, io.tls, logs.log);
    const auto r = io.send(*sender, message(3, "twilio_sms", std::string(phone), "x"));
    CHECK(r.verdict == send_verdict::retry);
    CHECK_FALSE(r.error.empty());
}

TEST_CASE("twilio sender: over https with a verified certificate") {
    const auto cert = hotline::test::make_test_certificate("DNS:localhost,IP:127.0.0.1");
    asio::ssl::context server_tls{asio::ssl::context::tls_server};
    server_tls.use_certificate_chain(asio::buffer(cert.cert_pem));
    server_tls.use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
    fake_http_server twilio(&server_tls);
    twilio.script({201});
    twilio.set_response_body(std::string(twilio_created));

    io_thread io;
    io.tls.add_certificate_authority(asio::buffer(cert.cert_pem));
    captured_log logs;
    auto o = twilio_options(twilio);
    o.api_base_url = twilio.url("", "localhost");
    auto sender = server::make_twilio_sender(o, io.tls, logs.log);
    const auto r = io.send(*sender, message(5, "twilio_sms", std::string(phone), "x"));
    CHECK(r.verdict == send_verdict::sent);
    CHECK(r.provider_message_id == "SM0123456789abcdef0123456789abcdef");
    CHECK(twilio.requests().at(0).sni == "localhost");
}

TEST_CASE("webhook sender: JSON body, Idempotency-Key and a signature an independent HMAC verifies") {
    io_thread io;
    manual_clock clk{from_unix_ms(1751328000500)};
    fake_http_server receiver;
    receiver.script({204});
    receiver.set_response_body("");  // a 204 has no body
    const std::string secret = "whsec-0123456789";
    auto sender = server::make_webhook_sender(secret, clk, io.tls);
    const std::string body = R"({"type":"assignment","assignment_id":9,"tracking_code":"7KQ2-M9XD","ack_url":null})";
    const auto r = io.send(*sender, message(77, "webhook", receiver.url("/dispatch/in?x=1"), body));
    CAPTURE(r.error);
    CHECK(r.verdict == send_verdict::sent);
    CHECK(r.error.empty());

    REQUIRE(receiver.request_count() == 1);
    const auto req = receiver.requests()[0];
    CHECK(req.method == "POST");
    CHECK(req.target == "/dispatch/in?x=1");
    CHECK(req.body == body);
    CHECK(req.header("Content-Type") == "application/json");
    CHECK(req.header("Idempotency-Key") == "77");
    CHECK(req.header("X-Hotline-Timestamp") == "1751328000");
    const std::string expected = "sha256=" + independent_hmac_hex(secret, "1751328000." + body);
    CHECK(req.header("X-Hotline-Signature") == expected);
    // The same scheme our own generic inbound webhook checks.
    CHECK(server::check_generic_signature(secret, req.body, *req.header("X-Hotline-Timestamp"),
                                          *req.header("X-Hotline-Signature"), clk.now(),
                                          std::chrono::seconds(300)) == server::signature_check::ok);
    CHECK(server::check_generic_signature("another secret", req.body, *req.header("X-Hotline-Timestamp"),
                                          *req.header("X-Hotline-Signature"), clk.now(),
                                          std::chrono::seconds(300)) == server::signature_check::mismatch);
}

TEST_CASE("webhook sender: each answer's verdict") {
    const std::pair<int, send_verdict> cases[] = {
        {200, send_verdict::sent},      {201, send_verdict::sent},      {202, send_verdict::sent},
        {204, send_verdict::sent},      {408, send_verdict::retry},     {429, send_verdict::retry},
        {500, send_verdict::retry},     {502, send_verdict::retry},     {503, send_verdict::retry},
        {400, send_verdict::permanent}, {401, send_verdict::permanent}, {404, send_verdict::permanent},
        {410, send_verdict::permanent}, {422, send_verdict::permanent},
    };
    for (const auto& [status, expected] : cases) {
        CAPTURE(status);
        io_thread io;
        manual_clock clk{from_unix_ms(1751328000000)};
        fake_http_server receiver;
        receiver.script({status});
        receiver.set_response_body("");  // a 204 has no body
        auto sender = server::make_webhook_sender("s", clk, io.tls);
        const auto r = io.send(*sender, message(1, "webhook", receiver.url("/in"), "{}"));
        CHECK(r.verdict == expected);
        if (expected != send_verdict::sent) CHECK(r.error.find(std::to_string(status)) != std::string::npos);
    }
}

TEST_CASE("webhook sender: nothing listening is retried, a destination that is no URL fails for good") {
    io_thread io;
    manual_clock clk{from_unix_ms(1751328000000)};
    auto sender = server::make_webhook_sender("s", clk, io.tls);
    const auto down = io.send(*sender, message(1, "webhook",
                                               "http://127.0.0.1:" + std::to_string(hotline::test::unused_port()) +
                                                   "/in",
                                               "{}"));
    CHECK(down.verdict == send_verdict::retry);
    const auto bad = io.send(*sender, message(2, "webhook", "not a url", "{}"));
    CHECK(bad.verdict == send_verdict::permanent);
}

TEST_CASE("android sender: the provider id is the id the gateway answers with, else the one sent") {
    io_thread io;
    fake_http_server gateway;
    gateway.script({202, 202});
    gateway.set_response_body(R"({"id":"gw-abc","state":"Pending","recipients":[]})");
    auto sender = server::make_android_sender(gateway.url("/messages"), "sms", "pw", io.tls);
    auto r = io.send(*sender, message(12, "android_sms", std::string(phone), "x"));
    CHECK(r.verdict == send_verdict::sent);
    CHECK(r.provider_message_id == "gw-abc");
    CHECK(boost::json::parse(gateway.requests().at(0).body).at("id").as_string() == "hotline-12");

    gateway.set_response_body("{}");
    r = io.send(*sender, message(13, "android_sms", std::string(phone), "x"));
    CHECK(r.verdict == send_verdict::sent);
    CHECK(r.provider_message_id == "hotline-13");
}

}  // TEST_SUITE
