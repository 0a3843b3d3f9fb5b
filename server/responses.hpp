#pragma once
// Building responses, and the one place where error codes become HTTP
// statuses.
//
// Every response carries `X-Content-Type-Options: nosniff`,
// `Referrer-Policy: no-referrer` and `Cache-Control: no-store` (answers may
// hold a tracking code or a secret); HTML responses also carry a strict
// Content-Security-Policy that allows only the site's own stylesheet and
// scripts, requests and form posts to itself, and forbids framing.

#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "intake/result.hpp"

namespace hotline::server {

namespace http = boost::beast::http;
using response = http::response<http::string_body>;

inline constexpr std::string_view content_security_policy =
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// The HTTP status for an error code of any module. Unknown codes are 500.
http::status status_for(const error& e) noexcept;

// The error code used for a protocol-level refusal with this status
// ("payload_too_large", "bad_request", ...).
std::string error_code_for(http::status s);

response json_response(http::status s, const boost::json::value& body);

// {"error":{"code","message","field"}}; with several errors, the first is
// "error" and all of them are listed in "errors".
response error_response(http::status s, std::string code, std::string message, std::string field = {});
response error_response(const error& e);
response error_response(http::status s, const std::vector<error>& errors);

// 405 `method_not_allowed` naming the method used, with `Allow: allow`.
response method_not_allowed(std::string_view method, std::string_view allow);

// Who a bearer token stands for, for the 401 answers below.
enum class token_holder { operator_, officer };

// 401 `unauthorized` with WWW-Authenticate: "… token is required" when none
// was given; with `token_given`, that it is unknown (revoked, inactive).
response unauthorized(token_holder who, bool token_given = false);

// The token of an "Authorization: Bearer <token>" header (scheme in any
// case, spaces trimmed), or empty.
std::string_view bearer_token(std::string_view authorization) noexcept;

response html_response(http::status s, std::string body);
response text_response(http::status s, std::string body, std::string_view content_type);

}  // namespace hotline::server
