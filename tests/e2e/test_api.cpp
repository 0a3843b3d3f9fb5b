// The JSON API and the HTTP protocol behaviour, against the real server.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <csignal>
#include <regex>
#include <sstream>
#include <set>
#include <thread>

using namespace hotline::e2e;
namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

const std::string report_text =
    "Cháu bé nhà hàng xóm khoảng 7 tuổi bị bố dượng đánh hằng ngày, hôm nay thấy vết bầm tím trên tay và mặt.";

std::string full_report() {
    json::object o{{"text", report_text},
                   {"location_text", "xã Hữu Lũng, tỉnh Lạng Sơn"},
                   {"location_code", "20101"},
                   {"child_name", "Bé Lan"},
                   {"child_age", 7},
                   {"child_age_estimated", true},
                   {"child_sex", "female"},
                   {"child_condition", "bầm tím, sợ hãi"},
                   {"perpetrator_relation", "bố dượng"},
                   {"reporter_name", "Nguyễn Văn Hùng"},
                   {"reporter_phone", "0912 345 678"},
                   {"reporter_address", "thôn Đồng Tâm"},
                   {"contact_ok", true},
                   {"keep_identity_secret", true}};
    return json::serialize(o);
}

const std::regex code_shape("[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}");

}  // namespace

TEST_CASE("healthz and readyz") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());
    auto h = c.get("/healthz");
    CHECK(h.status == 200);
    CHECK(body_of(h).at("status") == "ok");
    auto r = c.get("/readyz");
    CHECK(r.status == 200);
    CHECK(body_of(r).at("status") == "ready");
    CHECK(c.request(http::verb::post, "/healthz").status == 405);
}

TEST_CASE("a report submitted as JSON can be followed with its code and secret") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());

    auto r = c.post_json("/api/v1/reports", full_report());
    REQUIRE(r.status == 201);
    const auto b = body_of(r);
    const std::string code(b.at("tracking_code").as_string());
    const std::string secret(b.at("access_secret").as_string());
    CHECK(std::regex_match(code, code_shape));
    CHECK(std::regex_match(secret, std::regex("[0-9]{8}")));
    CHECK(std::regex_match(std::string(b.at("received_at").as_string()),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    const std::string status_url(b.at("status_url").as_string());
    CHECK(status_url == "http://127.0.0.1:8080/api/v1/reports/" + code);
    CHECK(r.header("location") == status_url);
    CHECK(r.header("cache-control") == "no-store");

    SUBCASE("right secret shows the reporter's view") {
        auto s = c.get("/api/v1/reports/" + code, {{"X-Access-Secret", secret}});
        REQUIRE(s.status == 200);
        const auto sb = body_of(s);
        // No directory in this test: the report waits in the hotline queue.
        CHECK(sb.at("state") == "unrouted");
        CHECK(sb.at("tracking_code").as_string() == code);
        CHECK(sb.at("forwarded") == false);
        CHECK(sb.at("acknowledged") == false);
        CHECK(sb.at("received_at") == b.at("received_at"));
        // Nothing about the child, the reporter or officers.
        CHECK(s.body.find("Lan") == std::string::npos);
        CHECK(s.body.find("text") == std::string::npos);
    }
    SUBCASE("the code is accepted in lower case, without the dash, and the secret with spaces") {
        std::string loose = code.substr(0, 4) + code.substr(5);
        for (auto& ch : loose) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto s = c.get("/api/v1/reports/" + loose, {{"X-Access-Secret", secret.substr(0, 4) + " " + secret.substr(4)}});
        CHECK(s.status == 200);
    }
    SUBCASE("a wrong secret answers exactly like an unknown code") {
        std::string wrong = secret;
        wrong[0] = wrong[0] == '9' ? '1' : static_cast<char>(wrong[0] + 1);
        auto bad_secret = c.get("/api/v1/reports/" + code, {{"X-Access-Secret", wrong}});
        // Another valid-looking code that was never issued.
        std::string other = code;
        other[8] = other[8] == 'Z' ? 'Y' : 'Z';
        auto unknown = c.get("/api/v1/reports/" + other, {{"X-Access-Secret", secret}});
        CHECK(bad_secret.status == 404);
        CHECK(unknown.status == 404);
        CHECK(bad_secret.body == unknown.body);
    }
    SUBCASE("missing secret and malformed code are refused precisely") {
        auto no_secret = c.get("/api/v1/reports/" + code);
        CHECK(no_secret.status == 400);
        CHECK(error_field_of(no_secret) == "X-Access-Secret");
        auto malformed = c.get("/api/v1/reports/ABC", {{"X-Access-Secret", secret}});
        CHECK(malformed.status == 400);
        CHECK(error_code_of(malformed) == "invalid_code");
    }
}

TEST_CASE("idempotency: the same key and body replay, a different body conflicts") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());
    const header_list key{{"Idempotency-Key", "gw-7f3a9c"}};
    auto first = c.post_json("/api/v1/reports", full_report(), key);
    REQUIRE(first.status == 201);
    auto again = c.post_json("/api/v1/reports", full_report(), key);
    REQUIRE(again.status == 201);
    CHECK(again.body == first.body);
    CHECK(again.header("idempotent-replayed") == "true");

    auto other = c.post_json("/api/v1/reports", R"({"text":"một báo cáo khác"})", key);
    CHECK(other.status == 409);
    CHECK(error_code_of(other) == "idempotency_conflict");

    // The replayed secret really opens the report.
    const auto b = body_of(first);
    auto s = c.get("/api/v1/reports/" + std::string(b.at("tracking_code").as_string()),
                   {{"X-Access-Secret", std::string(b.at("access_secret").as_string())}});
    CHECK(s.status == 200);

    auto bad_key = c.post_json("/api/v1/reports", full_report(), {{"Idempotency-Key", std::string(300, 'k')}});
    CHECK(bad_key.status == 400);
    CHECK(error_field_of(bad_key) == "Idempotency-Key");
}

TEST_CASE("bad input gets a precise 4xx and the server keeps serving") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());

    SUBCASE("413 for a body over the limit") {
        const std::string big = R"({"text":")" + std::string(70 * 1024, 'a') + R"("})";
        auto r = c.post_json("/api/v1/reports", big);
        CHECK(r.status == 413);
        CHECK(error_code_of(r) == "payload_too_large");
    }
    SUBCASE("415 for a wrong content type") {
        auto r = c.request(http::verb::post, "/api/v1/reports", full_report(), {{"Content-Type", "text/plain"}});
        CHECK(r.status == 415);
        CHECK(error_code_of(r) == "unsupported_media_type");
    }
    SUBCASE("400 for malformed JSON") {
        auto r = c.post_json("/api/v1/reports", R"({"text": "unterminated)");
        CHECK(r.status == 400);
        CHECK(error_code_of(r) == "malformed_json");
        CHECK(c.post_json("/api/v1/reports", "[1,2]").status == 400);
    }
    SUBCASE("400 for invalid UTF-8") {
        auto r = c.post_json("/api/v1/reports", "{\"text\":\"b\xe1\xbb\x8b \xff\xfe\"}");
        CHECK(r.status == 400);
        CHECK(error_code_of(r) == "invalid_utf8");
    }
    SUBCASE("400 naming an unknown field") {
        auto r = c.post_json("/api/v1/reports", R"({"text":"bé bị đánh","chlid_age":5})");
        CHECK(r.status == 400);
        CHECK(error_code_of(r) == "unknown_field");
        CHECK(error_field_of(r) == "chlid_age");
    }
    SUBCASE("400 for a wrong type") {
        auto r = c.post_json("/api/v1/reports", R"({"text":"bé bị đánh","contact_ok":"yes"})");
        CHECK(r.status == 400);
        CHECK(error_field_of(r) == "contact_ok");
    }
    SUBCASE("422 for values the model refuses, every field named") {
        auto r = c.post_json("/api/v1/reports", R"({"text":"   ","child_age":19,"reporter_phone":"12345"})");
        CHECK(r.status == 422);
        const auto b = body_of(r);
        CHECK(b.at("error").at("field") == "text");
        CHECK(b.at("error").at("code") == "required");
        std::set<std::string> fields;
        for (const auto& e : b.at("errors").as_array()) fields.insert(std::string(e.at("field").as_string()));
        CHECK(fields == std::set<std::string>{"text", "child_age", "reporter_phone"});
    }
    SUBCASE("a malformed request line") {
        auto r = c.raw("GARBAGE\r\n\r\n");
        CHECK(r.status == 400);
    }
    SUBCASE("431 for headers over the limit") {
        auto r = c.get("/healthz", {{"X-Padding", std::string(9000, 'x')}});
        CHECK(r.status == 431);
    }
    SUBCASE("404 and 405") {
        CHECK(c.get("/api/v1/nothing").status == 404);
        auto r = c.get("/api/v1/reports");
        CHECK(r.status == 405);
        CHECK(r.header("allow") == "POST");
    }
    // Whatever happened above, a fresh connection is served.
    http_client fresh(srv.port());
    CHECK(fresh.get("/healthz").status == 200);
    CHECK(fresh.post_json("/api/v1/reports", full_report()).status == 201);
}

TEST_CASE("many requests on one keep-alive connection") {
    temp_dir dir;
    server_process srv(dir.path(), "[limits]\nreports_per_minute = 0\n");
    http_client c(srv.port());
    for (int i = 0; i < 100; ++i) {
        REQUIRE(c.get("/healthz").status == 200);
        REQUIRE(c.post_json("/api/v1/reports", R"({"text":"em bé bị bỏ đói nhiều ngày"})").status == 201);
    }
    CHECK(c.connections_opened() == 1);
}

TEST_CASE("pipelined requests are answered in order") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());
    const std::string body = R"({"text":"bé bị đánh"})";
    std::string batch;
    batch += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    batch += "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    batch += "GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n";
    batch += "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";
    auto first = c.raw(batch);
    CHECK(first.status == 200);
    // The rest are already on their way; read them in order.
    auto second = c.raw("");
    auto third = c.raw("");
    auto fourth = c.raw("");
    CHECK(second.status == 201);
    CHECK(third.status == 404);
    CHECK(fourth.status == 200);
    CHECK(fourth.body.find("ready") != std::string::npos);
}

TEST_CASE("rate limits answer 429 with Retry-After") {
    temp_dir dir;
    server_process srv(dir.path(), "[limits]\nreports_per_minute = 3\nstatus_failures_per_hour = 2\n");
    http_client c(srv.port());
    for (int i = 0; i < 3; ++i) REQUIRE(c.post_json("/api/v1/reports", R"({"text":"bé bị đánh"})").status == 201);
    auto limited = c.post_json("/api/v1/reports", R"({"text":"bé bị đánh"})");
    CHECK(limited.status == 429);
    CHECK(error_code_of(limited) == "rate_limited");
    CHECK(std::stoi(limited.header("retry-after")) >= 1);

    // Two failed look-ups, then the address is throttled even with a right secret.
    CHECK(c.get("/api/v1/reports/2345-6789", {{"X-Access-Secret", "12345678"}}).status == 404);
    CHECK(c.get("/api/v1/reports/2345-678A", {{"X-Access-Secret", "12345678"}}).status == 404);
    auto throttled = c.get("/api/v1/reports/2345-678B", {{"X-Access-Secret", "12345678"}});
    CHECK(throttled.status == 429);
    CHECK(!throttled.header("retry-after").empty());
}

TEST_CASE("logs carry request lines without report text, names, phones, codes or secrets") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());
    auto r = c.post_json("/api/v1/reports", full_report());
    REQUIRE(r.status == 201);
    const auto b = body_of(r);
    const std::string code(b.at("tracking_code").as_string());
    const std::string secret(b.at("access_secret").as_string());
    REQUIRE(c.get("/api/v1/reports/" + code, {{"X-Access-Secret", secret}}).status == 200);
    srv.stop(SIGTERM);
    const std::string log = srv.log();
    for (const std::string& s : {std::string("bố dượng"), std::string("Nguyễn"), std::string("Hùng"),
                                 std::string("912345678"), std::string("0912 345 678"), std::string("Bé Lan"),
                                 std::string("Đồng Tâm"), code, code.substr(0, 4) + code.substr(5), secret})
        CHECK_MESSAGE(log.find(s) == std::string::npos, "log leaks: " << s);
    // Every line is one JSON object with the request fields.
    int requests = 0;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        const auto v = json::parse(line).as_object();
        REQUIRE(v.contains("time"));
        REQUIRE(v.contains("level"));
        if (v.at("event") == "request") {
            ++requests;
            CHECK(v.contains("request_id"));
            CHECK(v.contains("method"));
            CHECK(v.contains("route"));
            CHECK(v.contains("status"));
            CHECK(v.contains("latency_us"));
        }
    }
    CHECK(requests == 2);
    CHECK(log.find("\"route\":\"GET /api/v1/reports/{code}\"") != std::string::npos);
}
