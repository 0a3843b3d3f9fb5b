#pragma once
// Vietnamese phone numbers.

#include <string>
#include <string_view>

#include "intake/result.hpp"

namespace hotline::intake {

// Normalises a Vietnamese phone number to E.164 (`+84` and 9 national digits
// for mobiles, 10 for geographic landlines: 2, the area code, the subscriber).
//
// Accepts the ways people write them: `0912 345 678`, `0912.345.678`,
// `0912-345-678`, `84912345678`, `+84 912 345 678`, `(+84) 912345678`,
// `0084912345678`. Refuses anything else with error code `invalid_phone`
// (the `field` of the error is left empty: the caller names its field).
// Mobile prefixes (03x, 05x, 07x, 08x, 09x) and geographic landlines (02x)
// are accepted; other national prefixes are refused.
result<std::string> normalize_vn_phone(std::string_view input);

}  // namespace hotline::intake
