#include "server/responses.hpp"

#include <cctype>

#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include <unordered_map>

namespace hotline::server {

namespace {

void common_headers(response& r) {
    r.set(http::field::server, "hotline");
    r.set("X-Content-Type-Options", "nosniff");
    r.set("Referrer-Policy", "no-referrer");
    r.set(http::field::cache_control, "no-store");
}

boost::json::object error_object(const error& e) {
    boost::json::object o;
    o["code"] = e.code;
    o["message"] = e.message;
    if (!e.field.empty()) o["field"] = e.field;
    return o;
}

}  // namespace

http::status status_for(const error& e) noexcept {
    static const std::unordered_map<std::string_view, http::status> table{
        // input the client must fix
        {"malformed_json", http::status::bad_request},
        {"invalid_utf8", http::status::bad_request},
        {"unknown_field", http::status::bad_request},
        {"wrong_type", http::status::bad_request},
        {"invalid_header", http::status::bad_request},
        {"invalid_code", http::status::bad_request},
        {"bad_request", http::status::bad_request},
        {"csrf_failed", http::status::forbidden},
        {"unauthorized", http::status::unauthorized},
        {"invalid_signature", http::status::forbidden},
        {"not_configured", http::status::not_found},
        {"empty_message", http::status::bad_request},
        {"required", http::status::unprocessable_entity},
        {"too_long", http::status::unprocessable_entity},
        {"invalid_value", http::status::unprocessable_entity},
        {"invalid_phone", http::status::unprocessable_entity},
        {"invalid_csv", http::status::unprocessable_entity},
        {"unknown_contact", http::status::unprocessable_entity},
        {"unknown_unit", http::status::bad_request},
        {"unsupported_media_type", http::status::unsupported_media_type},
        {"payload_too_large", http::status::payload_too_large},
        {"not_found", http::status::not_found},
        {"method_not_allowed", http::status::method_not_allowed},
        {"idempotency_conflict", http::status::conflict},
        // acknowledgement (server/ack_api.hpp)
        {"forbidden", http::status::forbidden},
        {"already_acknowledged", http::status::conflict},
        {"superseded", http::status::conflict},
        {"link_used", http::status::conflict},
        {"link_expired", http::status::gone},
        {"rate_limited", http::status::too_many_requests},
        // the server's side
        {"shutting_down", http::status::service_unavailable},
        {"storage_failure", http::status::service_unavailable},
    };
    const auto it = table.find(e.code);
    return it == table.end() ? http::status::internal_server_error : it->second;
}

std::string error_code_for(http::status s) {
    switch (s) {
    case http::status::bad_request: return "bad_request";
    case http::status::unauthorized: return "unauthorized";
    case http::status::not_found: return "not_found";
    case http::status::method_not_allowed: return "method_not_allowed";
    case http::status::payload_too_large: return "payload_too_large";
    case http::status::request_header_fields_too_large: return "header_too_large";
    case http::status::unsupported_media_type: return "unsupported_media_type";
    case http::status::too_many_requests: return "rate_limited";
    case http::status::service_unavailable: return "unavailable";
    default: return "internal_error";
    }
}

response json_response(http::status s, const boost::json::value& body) {
    response r{s, 11};
    common_headers(r);
    r.set(http::field::content_type, "application/json");
    r.body() = boost::json::serialize(body);
    return r;
}

response error_response(http::status s, std::string code, std::string message, std::string field) {
    return error_response(s, std::vector<error>{error{std::move(code), std::move(message), std::move(field)}});
}

response error_response(const error& e) { return error_response(status_for(e), std::vector<error>{e}); }

response error_response(http::status s, const std::vector<error>& errors) {
    boost::json::object body;
    if (!errors.empty()) body["error"] = error_object(errors.front());
    if (errors.size() > 1) {
        boost::json::array all;
        for (const auto& e : errors) all.push_back(error_object(e));
        body["errors"] = std::move(all);
    }
    return json_response(s, body);
}

response html_response(http::status s, std::string body) {
    response r{s, 11};
    common_headers(r);
    r.set(http::field::content_type, "text/html; charset=utf-8");
    r.set("Content-Security-Policy", content_security_policy);
    r.set("X-Frame-Options", "DENY");
    r.body() = std::move(body);
    return r;
}

response text_response(http::status s, std::string body, std::string_view content_type) {
    response r{s, 11};
    common_headers(r);
    r.set(http::field::content_type, content_type);
    r.body() = std::move(body);
    return r;
}

response method_not_allowed(std::string_view method, std::string_view allow) {
    auto r = error_response(http::status::method_not_allowed, "method_not_allowed",
                            fmt::format("{} is not allowed here; use {}", method, allow));
    r.set(http::field::allow, allow);
    return r;
}

response unauthorized(token_holder who, bool token_given) {
    const bool officer = who == token_holder::officer;
    std::string message = token_given ? (officer ? "the officer token is unknown, revoked or of an inactive contact"
                                                 : "the operator token is not valid")
                                      : (officer ? "an officer token is required: Authorization: Bearer <token>"
                                                 : "an operator token is required: Authorization: Bearer <token>");
    auto r = error_response(http::status::unauthorized, "unauthorized", std::move(message));
    r.set(http::field::www_authenticate,
          token_given ? "Bearer realm=\"hotline\", error=\"invalid_token\"" : "Bearer realm=\"hotline\"");
    return r;
}

std::string_view bearer_token(std::string_view header) noexcept {
    constexpr std::string_view scheme = "bearer ";
    if (header.size() <= scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return {};
    std::string_view t = header.substr(scheme.size());
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return t;
}

}  // namespace hotline::server
