#include "server/report_decoding.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <fmt/format.h>

#include <array>

#include "intake/text.hpp"

namespace hotline::server {

namespace {

using intake::report_input;
using string_member = std::optional<std::string> report_input::*;
using bool_member = std::optional<bool> report_input::*;

struct string_field {
    std::string_view name;
    string_member member;
};
struct bool_field {
    std::string_view name;
    bool_member member;
};

// child_age is a string member too but accepts an integer in JSON; it is
// handled on its own below.
constexpr std::array<string_field, 11> string_fields{{
    {"text", &report_input::text},
    {"location_text", &report_input::location_text},
    {"location_code", &report_input::location_code},
    {"child_name", &report_input::child_name},
    {"child_sex", &report_input::child_sex},
    {"child_condition", &report_input::child_condition},
    {"perpetrator_relation", &report_input::perpetrator_relation},
    {"reporter_name", &report_input::reporter_name},
    {"reporter_phone", &report_input::reporter_phone},
    {"reporter_address", &report_input::reporter_address},
    {"child_age", &report_input::child_age},
}};

constexpr std::array<bool_field, 3> bool_fields{{
    {"child_age_estimated", &report_input::child_age_estimated},
    {"contact_ok", &report_input::contact_ok},
    {"keep_identity_secret", &report_input::keep_identity_secret},
}};

error wrong_type(std::string_view field, std::string_view expected) {
    return make_error("wrong_type", fmt::format("{} must be {}", field, expected), std::string(field));
}

}  // namespace

result<report_input> report_input_from_json(std::string_view body) {
    // The parsed tree lives only until its strings are copied out: it is
    // built in a buffer on the stack (a report fits; more spills to the heap)
    // and released at once rather than node by node.
    unsigned char buffer[4096];
    boost::json::monotonic_resource arena(buffer, sizeof buffer);
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec, &arena);
    // Boost.JSON accepts only strict UTF-8 (in strings; anything else outside
    // them is a syntax error), so a parsed body needs no separate check: the
    // bytes are looked at again only to tell a client which of the two is wrong.
    if (ec) {
        if (!intake::is_valid_utf8(body)) return make_error("invalid_utf8", "the request body is not valid UTF-8");
        return make_error("malformed_json", fmt::format("the request body is not valid JSON: {}", ec.message()));
    }
    if (!v.is_object()) return make_error("malformed_json", "the request body must be a JSON object");

    report_input in;
    for (const auto& kv : v.as_object()) {
        const std::string_view key = kv.key();
        const boost::json::value& val = kv.value();
        bool known = false;
        for (const auto& f : string_fields) {
            if (f.name != key) continue;
            known = true;
            if (val.is_null()) break;
            if (val.is_string()) {
                in.*f.member = std::string(val.as_string());
            } else if (key == "child_age" && val.is_int64()) {
                in.*f.member = std::to_string(val.as_int64());
            } else if (key == "child_age" && val.is_uint64()) {
                in.*f.member = std::to_string(val.as_uint64());
            } else {
                return key == "child_age" ? wrong_type(key, "an integer from 0 to 17")
                                          : wrong_type(key, "a string");
            }
            break;
        }
        for (const auto& f : bool_fields) {
            if (f.name != key) continue;
            known = true;
            if (val.is_null()) break;
            if (!val.is_bool()) return wrong_type(key, "true or false");
            in.*f.member = val.as_bool();
            break;
        }
        if (!known)
            return make_error("unknown_field", fmt::format("unknown field \"{}\"", key), std::string(key));
    }
    return in;
}

result<std::vector<std::pair<std::string, std::string>>> parse_form_list(std::string_view view) {
    // Boost.URL 1.81's parse_query reads up to a NUL, past the end of a view
    // (boostorg/url#757): parse a NUL-terminated copy.
    const std::string body(view);
    const auto parsed = boost::urls::parse_query(body);
    if (!parsed) return make_error("bad_request", "the form data is not correctly encoded");
    boost::urls::encoding_opts opt;
    opt.space_as_plus = true;
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(parsed->size());
    // Decoded straight from the parse above: a params_view would parse the
    // body again.
    for (const boost::urls::param_pct_view p : *parsed) {
        std::string key = p.key.decode(opt);
        std::string value = p.has_value ? p.value.decode(opt) : std::string();
        if (!intake::is_valid_utf8(key) || !intake::is_valid_utf8(value))
            return make_error("invalid_utf8", "the form data is not valid UTF-8");
        out.emplace_back(std::move(key), std::move(value));
    }
    return out;
}

result<form_fields> parse_form(std::string_view body) {
    auto list = parse_form_list(body);
    if (!list) return std::move(list).err();
    form_fields out;
    for (auto& [k, v] : *list) out.values[std::move(k)] = std::move(v);
    return out;
}

report_input report_input_from_form(const form_fields& form) {
    report_input in;
    const auto get = [&](std::string_view name) -> const std::string* {
        const auto it = form.values.find(std::string(name));
        return it == form.values.end() ? nullptr : &it->second;
    };
    for (const auto& f : string_fields)
        if (const auto* v = get(f.name)) in.*f.member = *v;
    for (const auto& f : bool_fields) {
        const auto* v = get(f.name);
        in.*f.member = v && (*v == "1" || *v == "on" || *v == "true" || *v == "yes");
    }
    return in;
}

}  // namespace hotline::server
