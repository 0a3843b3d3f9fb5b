#pragma once
// The report model (form Mẫu 01 of Decree 56/2017) and its validation.
//
// `report_input` is what arrived, field by field, exactly as the channel
// adapter parsed it (JSON API, web form, later SMS). `validate` turns it into
// a `report` or into the list of everything wrong with it, each error naming
// its field, so a form can show every message next to its field at once.
// Pure: no I/O, no clock, thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/result.hpp"

namespace hotline::intake {

enum class channel { web, api, sms, operator_desk };
std::string_view to_string(channel c) noexcept;          // "web", "api", "sms", "operator"
std::optional<channel> parse_channel(std::string_view s) noexcept;

enum class child_sex { male, female, unknown };
std::string_view to_string(child_sex s) noexcept;         // "male", "female", "unknown"
std::optional<child_sex> parse_child_sex(std::string_view s) noexcept;

// Limits, in code points after cleaning (see clean_text).
struct report_limits {
    std::size_t text_max = 5000;          // the account of what happened
    std::size_t short_field_max = 200;    // names, relation, location code
    std::size_t long_field_max = 1000;    // location text, condition, address
};

// Raw input: every string exactly as received (not yet trimmed, normalised or
// checked for UTF-8). An absent optional means the field was not sent; an
// empty string is treated the same as absent for optional fields.
struct report_input {
    std::optional<std::string> text;
    std::optional<std::string> location_text;
    std::optional<std::string> location_code;
    std::optional<std::string> child_name;
    std::optional<std::string> child_age;            // decimal digits, 0..17
    std::optional<bool> child_age_estimated;
    std::optional<std::string> child_sex;            // male|female|unknown
    std::optional<std::string> child_condition;
    std::optional<std::string> perpetrator_relation;
    std::optional<std::string> reporter_name;
    std::optional<std::string> reporter_phone;
    std::optional<std::string> reporter_address;
    std::optional<bool> contact_ok;
    std::optional<bool> keep_identity_secret;
};

// A validated report: strings are clean (valid UTF-8, trimmed, NFC), within
// limits, and optional fields that were blank are absent.
struct report {
    std::string text;
    std::optional<std::string> location_text;
    std::optional<std::string> location_code;        // digits only
    std::optional<std::string> child_name;
    std::optional<int> child_age;                    // 0..17
    bool child_age_estimated = false;
    child_sex sex = child_sex::unknown;
    std::optional<std::string> child_condition;
    std::optional<std::string> perpetrator_relation;
    std::optional<std::string> reporter_name;
    std::optional<std::string> reporter_phone;       // E.164
    std::optional<std::string> reporter_address;
    bool contact_ok = false;
    bool keep_identity_secret = false;

    friend bool operator==(const report&, const report&) = default;
};

// Error codes used by validate, each with `field` set to the input field name
// (the JSON API name, e.g. "child_age"):
//   required       the field is missing or blank (only `text`)
//   invalid_utf8   the bytes are not valid UTF-8
//   too_long       longer than its limit (the message gives the limit)
//   invalid_value  wrong shape (age not 0..17, unknown sex, location code not digits)
//   invalid_phone  not a Vietnamese phone number
// `child_age_estimated` without `child_age` is allowed: the reporter knows
// only that the child's age is an estimate, not which.
struct validation_errors {
    std::vector<error> errors;   // in field order, never empty
};

class validated {
public:
    validated(report r) : report_(std::move(r)) {}
    validated(validation_errors e) : errors_(std::move(e.errors)) {}
    bool ok() const noexcept { return errors_.empty(); }
    const report& value() const& { return *report_; }
    report&& value() && { return std::move(*report_); }
    const std::vector<error>& errors() const noexcept { return errors_; }

private:
    std::optional<report> report_;
    std::vector<error> errors_;
};

validated validate(const report_input& in, const report_limits& limits = {});

}  // namespace hotline::intake
