#pragma once
// Turning request bodies into intake::report_input.
//
// The JSON API takes a flat object whose keys are exactly the report_input
// field names. An unknown key is refused (code `unknown_field`, naming it): a
// typo must not silently drop what a reporter wrote. String fields take a
// string or null, `child_age` an integer or a string of digits (or null), the
// flags a boolean (or null). Anything else is `wrong_type`. Bodies that are
// not UTF-8 are `invalid_utf8`; bodies that are not JSON objects are
// `malformed_json`.
//
// The web form is application/x-www-form-urlencoded with the same field
// names; checkboxes count as true when present with "1", "on", "true" or
// "yes". Other keys of the form (csrf, lang) are returned separately.
//
// Pure functions, thread-safe.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "intake/report.hpp"
#include "intake/result.hpp"

namespace hotline::server {

result<intake::report_input> report_input_from_json(std::string_view body);

struct form_fields {
    std::map<std::string, std::string> values;  // every decoded key -> value (last one wins)
};

// Decodes an urlencoded body (`+` is a space). Error `bad_request` when the
// encoding is broken, `invalid_utf8` when a decoded value is not UTF-8.
result<form_fields> parse_form(std::string_view body);
// The same, keeping every pair in arrival order (repeated keys included), as
// signature schemes over form parameters need.
result<std::vector<std::pair<std::string, std::string>>> parse_form_list(std::string_view body);

// The report fields of a decoded form. Keys other than report fields, "csrf"
// and "lang" are ignored (a browser form cannot have typos).
intake::report_input report_input_from_form(const form_fields& form);

}  // namespace hotline::server
