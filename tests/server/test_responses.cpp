#include "server/responses.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <string>
#include <vector>

using namespace hotline;
using namespace hotline::server;

namespace {

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

std::string header(const response& r, std::string_view name) {
    const auto it = r.find(name);
    return it == r.end() ? std::string() : std::string(it->value());
}

boost::json::object body_json(const response& r) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(r.body(), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    return v.as_object();
}

void check_common_headers(const response& r) {
    CHECK(header(r, "Cache-Control") == "no-store");
    CHECK(header(r, "X-Content-Type-Options") == "nosniff");
    CHECK(header(r, "Referrer-Policy") == "no-referrer");
}

}  // namespace

TEST_CASE("status_for maps each error code to its HTTP status") {
    struct {
        std::string code;
        http::status status;
    } const cases[] = {
        {"malformed_json", http::status::bad_request},
        {"invalid_utf8", http::status::bad_request},
        {"unknown_field", http::status::bad_request},
        {"wrong_type", http::status::bad_request},
        {"invalid_header", http::status::bad_request},
        {"invalid_code", http::status::bad_request},
        {"bad_request", http::status::bad_request},
        {"csrf_failed", http::status::forbidden},
        {"required", http::status::unprocessable_entity},
        {"too_long", http::status::unprocessable_entity},
        {"invalid_value", http::status::unprocessable_entity},
        {"invalid_phone", http::status::unprocessable_entity},
        {"unsupported_media_type", http::status::unsupported_media_type},
        {"payload_too_large", http::status::payload_too_large},
        {"not_found", http::status::not_found},
        {"method_not_allowed", http::status::method_not_allowed},
        {"idempotency_conflict", http::status::conflict},
        {"rate_limited", http::status::too_many_requests},
        {"shutting_down", http::status::service_unavailable},
        {"storage_failure", http::status::service_unavailable},
        // Anything else is the server's fault.
        {"", http::status::internal_server_error},
        {"config_error", http::status::internal_server_error},
        {"key_error", http::status::internal_server_error},
        {"no_such_code", http::status::internal_server_error},
        {"Required", http::status::internal_server_error},
    };
    for (const auto& t : cases) {
        CAPTURE(t.code);
        CHECK(status_for(make_error(t.code, "m")) == t.status);
        CHECK(status_for(make_error(t.code, "m", "text")) == t.status);
    }
}

TEST_CASE("status_for and error_code_for agree on protocol-level refusals") {
    struct {
        http::status status;
        std::string code;
    } const cases[] = {
        {http::status::bad_request, "bad_request"},
        {http::status::not_found, "not_found"},
        {http::status::method_not_allowed, "method_not_allowed"},
        {http::status::payload_too_large, "payload_too_large"},
        {http::status::request_header_fields_too_large, "header_too_large"},
        {http::status::unsupported_media_type, "unsupported_media_type"},
        {http::status::too_many_requests, "rate_limited"},
        {http::status::service_unavailable, "unavailable"},
        {http::status::internal_server_error, "internal_error"},
        {http::status::gateway_timeout, "internal_error"},
    };
    for (const auto& t : cases) {
        CAPTURE(t.code);
        CHECK(error_code_for(t.status) == t.code);
    }
    // Round trip where a code has a status of its own.
    for (auto s : {http::status::bad_request, http::status::not_found, http::status::method_not_allowed,
                   http::status::payload_too_large, http::status::unsupported_media_type,
                   http::status::too_many_requests}) {
        CAPTURE(static_cast<int>(s));
        CHECK(status_for(make_error(error_code_for(s), "m")) == s);
    }
}

TEST_CASE("error_response: one error with a field") {
    const response r = error_response(http::status::unprocessable_entity, "required", "text is required", "text");
    CHECK(r.result() == http::status::unprocessable_entity);
    CHECK(header(r, "Content-Type") == "application/json");
    check_common_headers(r);
    const auto body = body_json(r);
    CHECK(body.size() == 1);
    REQUIRE(body.contains("error"));
    const auto& e = body.at("error").as_object();
    CHECK(e.size() == 3);
    CHECK(e.at("code") == "required");
    CHECK(e.at("message") == "text is required");
    CHECK(e.at("field") == "text");
    CHECK_FALSE(body.contains("errors"));
}

TEST_CASE("error_response: no field, no \"field\" member") {
    const response r = error_response(http::status::not_found, "not_found", "no such page");
    CHECK(r.result() == http::status::not_found);
    const auto body = body_json(r);
    const auto& e = body.at("error").as_object();
    CHECK(e.at("code") == "not_found");
    CHECK(e.at("message") == "no such page");
    CHECK_FALSE(e.contains("field"));
}

TEST_CASE("error_response(error) takes its status from the code") {
    struct {
        error e;
        http::status status;
    } const cases[] = {
        {make_error("required", "text is required", "text"), http::status::unprocessable_entity},
        {make_error("unknown_field", "unknown field \"txt\"", "txt"), http::status::bad_request},
        {make_error("idempotency_conflict", "same key, other body"), http::status::conflict},
        {make_error("rate_limited", "slow down"), http::status::too_many_requests},
        {make_error("storage_failure", "disk full"), http::status::service_unavailable},
        {make_error("whatever", "oops"), http::status::internal_server_error},
    };
    for (const auto& t : cases) {
        CAPTURE(t.e.code);
        const response r = error_response(t.e);
        CHECK(r.result() == t.status);
        check_common_headers(r);
        const auto body = body_json(r);
        const auto& e = body.at("error").as_object();
        CHECK(e.at("code") == t.e.code.c_str());
        CHECK(e.at("message") == t.e.message.c_str());
        CHECK(e.contains("field") == !t.e.field.empty());
        if (!t.e.field.empty()) CHECK(e.at("field") == t.e.field.c_str());
    }
}

TEST_CASE("error_response: several errors are listed in \"errors\", the first also in \"error\"") {
    const std::vector<error> errors{
        make_error("required", "text is required", "text"),
        make_error("invalid_value", "child_age must be 0 to 17", "child_age"),
        make_error("invalid_phone", "not a Vietnamese phone number", "reporter_phone"),
    };
    const response r = error_response(http::status::unprocessable_entity, errors);
    CHECK(r.result() == http::status::unprocessable_entity);
    check_common_headers(r);
    const auto body = body_json(r);
    CHECK(body.at("error").as_object().at("field") == "text");
    CHECK(body.at("error").as_object().at("code") == "required");
    REQUIRE(body.contains("errors"));
    const auto& all = body.at("errors").as_array();
    REQUIRE(all.size() == 3);
    for (std::size_t i = 0; i < errors.size(); ++i) {
        CAPTURE(i);
        const auto& e = all[i].as_object();
        CHECK(e.at("code") == errors[i].code.c_str());
        CHECK(e.at("message") == errors[i].message.c_str());
        CHECK(e.at("field") == errors[i].field.c_str());
    }
}

TEST_CASE("error_response: messages are JSON-escaped") {
    const std::string message = "quote \" backslash \\ newline \n tiếng Việt </script>";
    const response r = error_response(http::status::bad_request, "bad_request", message, "a\"b");
    const auto body = body_json(r);
    CHECK(body.at("error").as_object().at("message") == message.c_str());
    CHECK(body.at("error").as_object().at("field") == "a\"b");
}

TEST_CASE("html_response carries the strict security headers") {
    const response r = html_response(http::status::ok, "<!doctype html><p>Xin chào</p>");
    CHECK(r.result() == http::status::ok);
    CHECK(r.body() == "<!doctype html><p>Xin chào</p>");
    CHECK(header(r, "Content-Type") == "text/html; charset=utf-8");
    check_common_headers(r);
    const std::string csp = header(r, "Content-Security-Policy");
    CHECK(csp == content_security_policy);
    CHECK(contains(csp, "frame-ancestors 'none'"));
    CHECK(contains(csp, "default-src 'none'"));
    CHECK(contains(csp, "form-action 'self'"));
    CHECK_FALSE(contains(csp, "unsafe-inline"));
    CHECK_FALSE(contains(csp, "unsafe-eval"));
    CHECK(header(r, "X-Frame-Options") == "DENY");
}

TEST_CASE("every kind of response is not to be cached") {
    const response responses[] = {
        json_response(http::status::created, boost::json::object{{"tracking_code", "ABCD-EFGH"}}),
        error_response(http::status::bad_request, "bad_request", "m"),
        error_response(make_error("storage_failure", "m")),
        error_response(http::status::unprocessable_entity, std::vector<error>{make_error("required", "m", "text")}),
        html_response(http::status::ok, "<p>x</p>"),
        html_response(http::status::not_found, "<p>x</p>"),
        text_response(http::status::ok, "ok\n", "text/plain; charset=utf-8"),
        text_response(http::status::ok, "body{}", "text/css; charset=utf-8"),
    };
    for (const auto& r : responses) {
        CAPTURE(r.result_int());
        check_common_headers(r);
        CHECK(r.version() == 11);
    }
}

TEST_CASE("json_response and text_response") {
    const response j = json_response(http::status::created, boost::json::object{{"status", "received"}, {"n", 3}});
    CHECK(j.result() == http::status::created);
    CHECK(header(j, "Content-Type") == "application/json");
    const auto body = body_json(j);
    CHECK(body.at("status") == "received");
    CHECK(body.at("n") == 3);

    const response t = text_response(http::status::ok, "body{}", "text/css; charset=utf-8");
    CHECK(t.result() == http::status::ok);
    CHECK(t.body() == "body{}");
    CHECK(header(t, "Content-Type") == "text/css; charset=utf-8");
    CHECK(header(t, "Content-Security-Policy").empty());
}
