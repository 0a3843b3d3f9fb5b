#pragma once
// The one reading of a request body that must be a JSON object, for the
// endpoints that take one (directory admin API, classification override,
// SMS gateways' JSON webhooks). Report intake has its own allocation-free
// decoder (server/report_decoding.cpp) with the same errors.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <string_view>

#include "intake/result.hpp"
#include "intake/text.hpp"

namespace hotline::server::detail {

// Errors: `invalid_utf8`, or `malformed_json` (not JSON, or not an object).
inline result<boost::json::object> parse_json_object(std::string_view body) {
    if (!intake::is_valid_utf8(body)) return make_error("invalid_utf8", "the request body is not valid UTF-8");
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) return make_error("malformed_json", fmt::format("the request body is not valid JSON: {}", ec.message()));
    if (!v.is_object()) return make_error("malformed_json", "the request body must be a JSON object");
    return std::move(v.as_object());
}

}  // namespace hotline::server::detail
