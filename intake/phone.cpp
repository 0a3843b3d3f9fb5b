#include "intake/phone.hpp"

namespace hotline::intake {

namespace {

error invalid_phone() {
    return make_error("invalid_phone", "not a Vietnamese mobile or landline phone number");
}

bool is_separator(char c) noexcept {
    return c == ' ' || c == '.' || c == '-' || c == '(' || c == ')';
}

bool is_ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.substr(0, prefix.size()) == prefix;
}

// The national significant number is valid when its first digit and length
// match the 2018 numbering plan: mobile numbers 3x, 5x, 7x, 8x, 9x with 9
// digits, geographic landlines 2x with 10 digits (2 + area code + subscriber,
// e.g. 24 3826 4444 or 236 382 1234). The second digit is not checked: new
// mobile blocks are opened from time to time and a refused valid number costs
// more than an accepted unallocated one. 1x (the old 11-digit mobiles and
// service numbers), 4x and 6x are not in use and are refused.
bool is_valid_national(std::string_view n) noexcept {
    if (n.empty())
        return false;
    switch (n.front()) {
    case '2':
        return n.size() == 10;
    case '3': case '5': case '7': case '8': case '9':
        return n.size() == 9;
    default:
        return false;
    }
}

}  // namespace

result<std::string> normalize_vn_phone(std::string_view input) {
    while (!input.empty() && is_ascii_space(input.front()))
        input.remove_prefix(1);
    while (!input.empty() && is_ascii_space(input.back()))
        input.remove_suffix(1);

    // Collect the digits; a '+' may only come before the first digit (as in
    // "+84" or "(+84)"), and any separator may appear anywhere.
    std::string digits;
    bool plus = false;
    for (const char c : input) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
            // No valid form has more than 15 digits; stop early on junk.
            if (digits.size() > 15)
                return invalid_phone();
        } else if (c == '+') {
            if (plus || !digits.empty())
                return invalid_phone();
            plus = true;
        } else if (!is_separator(c)) {
            return invalid_phone();
        }
    }

    // Strip the country code or the trunk prefix. A national number never
    // starts with 0, so the forms cannot be confused: "0084" is the
    // international prefix, a leading "84" without 0 is the country code, and
    // a single leading 0 is the trunk prefix.
    std::string_view national = digits;
    bool international = false;
    if (plus) {
        if (!starts_with(national, "84"))
            return invalid_phone();
        national.remove_prefix(2);
        international = true;
    } else if (starts_with(national, "0084")) {
        national.remove_prefix(4);
        international = true;
    } else if (starts_with(national, "84")) {
        national.remove_prefix(2);
        international = true;
    } else if (starts_with(national, "0")) {
        national.remove_prefix(1);
    } else {
        return invalid_phone();
    }
    // People often keep the trunk 0 after the country code ("+84 0912 ...");
    // it is unambiguous, so it is dropped rather than refused.
    if (international && starts_with(national, "0"))
        national.remove_prefix(1);

    if (!is_valid_national(national))
        return invalid_phone();
    std::string e164 = "+84";
    e164.append(national);
    return e164;
}

}  // namespace hotline::intake
