#include "intake/report.hpp"

#include <algorithm>

#include "intake/phone.hpp"
#include "intake/text.hpp"

namespace hotline::intake {

std::string_view to_string(channel c) noexcept {
    switch (c) {
    case channel::web: return "web";
    case channel::api: return "api";
    case channel::sms: return "sms";
    case channel::operator_desk: return "operator";
    }
    return "unknown";
}

// Exact tokens only: these parse what to_string wrote (storage, URLs).
// Lenient reading of what a person typed belongs to validate.
std::optional<channel> parse_channel(std::string_view s) noexcept {
    if (s == "web") return channel::web;
    if (s == "api") return channel::api;
    if (s == "sms") return channel::sms;
    if (s == "operator") return channel::operator_desk;
    return std::nullopt;
}

std::string_view to_string(child_sex s) noexcept {
    switch (s) {
    case child_sex::male: return "male";
    case child_sex::female: return "female";
    case child_sex::unknown: return "unknown";
    }
    return "unknown";
}

std::optional<child_sex> parse_child_sex(std::string_view s) noexcept {
    if (s == "male") return child_sex::male;
    if (s == "female") return child_sex::female;
    if (s == "unknown") return child_sex::unknown;
    return std::nullopt;
}

namespace {

constexpr std::size_t no_limit = static_cast<std::size_t>(-1);

bool all_ascii_digits(std::string_view s) noexcept {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Collects errors while the fields are checked in input order.
class checker {
public:
    // The clean form of a text field: absent when it was not sent or is
    // blank after cleaning (an error when `required`), an error when it is
    // not UTF-8 or longer than `max` code points.
    std::optional<std::string> text(const std::optional<std::string>& in, const char* field,
                                    std::size_t max, bool required = false) {
        if (!in) {
            if (required)
                fail("required", std::string(field) + " is required", field);
            return std::nullopt;
        }
        auto clean = clean_text(*in);
        if (!clean) {
            fail("invalid_utf8", std::string(field) + " must be valid UTF-8 text", field);
            return std::nullopt;
        }
        if (clean->empty()) {
            if (required)
                fail("required", std::string(field) + " is required", field);
            return std::nullopt;
        }
        if (count_code_points(*clean) > max) {
            fail("too_long",
                 std::string(field) + " must be at most " + std::to_string(max) + " characters",
                 field);
            return std::nullopt;
        }
        return clean;
    }

    void fail(const char* code, std::string message, const char* field) {
        errors_.push_back(make_error(code, std::move(message), field));
    }

    std::vector<error>& errors() noexcept { return errors_; }

private:
    std::vector<error> errors_;
};

}  // namespace

validated validate(const report_input& in, const report_limits& limits) {
    checker check;
    report out;

    if (auto v = check.text(in.text, "text", limits.text_max, true))
        out.text = std::move(*v);

    out.location_text = check.text(in.location_text, "location_text", limits.long_field_max);

    if (auto v = check.text(in.location_code, "location_code", limits.short_field_max)) {
        if (all_ascii_digits(*v))
            out.location_code = std::move(*v);
        else
            check.fail("invalid_value", "location_code must contain only digits",
                       "location_code");
    }

    out.child_name = check.text(in.child_name, "child_name", limits.short_field_max);

    // The age, the sex and the phone are checked for shape, not length: a
    // long string of digits is just as much "not 0..17" as "abc" is.
    if (auto v = check.text(in.child_age, "child_age", no_limit)) {
        // At most two digits after leading zeros, so the value cannot overflow.
        const std::string_view digits = *v;
        const auto first = digits.find_first_not_of('0');
        const std::string_view significant =
            first == std::string_view::npos ? std::string_view{} : digits.substr(first);
        int age = -1;
        if (all_ascii_digits(digits) && significant.size() <= 2) {
            age = 0;
            for (const char c : significant)
                age = age * 10 + (c - '0');
        }
        if (age >= 0 && age <= 17)
            out.child_age = age;
        else
            check.fail("invalid_value", "child_age must be a whole number from 0 to 17",
                       "child_age");
    }
    out.child_age_estimated = in.child_age_estimated.value_or(false);

    if (auto v = check.text(in.child_sex, "child_sex", no_limit)) {
        if (auto s = parse_child_sex(ascii_lower(*v)))
            out.sex = *s;
        else
            check.fail("invalid_value", "child_sex must be male, female or unknown",
                       "child_sex");
    }

    out.child_condition = check.text(in.child_condition, "child_condition", limits.long_field_max);
    out.perpetrator_relation =
        check.text(in.perpetrator_relation, "perpetrator_relation", limits.short_field_max);
    out.reporter_name = check.text(in.reporter_name, "reporter_name", limits.short_field_max);

    if (auto v = check.text(in.reporter_phone, "reporter_phone", no_limit)) {
        auto phone = normalize_vn_phone(*v);
        if (phone) {
            out.reporter_phone = std::move(*phone);
        } else {
            error e = std::move(phone).err();
            e.message = "reporter_phone is " + e.message;
            e.field = "reporter_phone";
            check.errors().push_back(std::move(e));
        }
    }

    out.reporter_address =
        check.text(in.reporter_address, "reporter_address", limits.long_field_max);
    out.contact_ok = in.contact_ok.value_or(false);
    out.keep_identity_secret = in.keep_identity_secret.value_or(false);

    if (!check.errors().empty())
        return validation_errors{std::move(check.errors())};
    return out;
}

}  // namespace hotline::intake
