#pragma once
// GET /api/v1/units: type-ahead for a place field.
//
//   GET /api/v1/units?q=luong%20van&limit=8&province=20
//   200 {"units":[{"code":"05983","name":"Lương Văn Tri","full_name":"Phường Lương Văn Tri",
//                  "type":"phường","province_code":"20","province_name":"Lạng Sơn"}, ...]}
//
// Current communes whose name starts with the words of `q` (diacritics, case
// and tone-mark placement ignored), or whose code is `q`; see
// routing::unit_catalog::suggest. Communes of `province` come first; without
// it, those of the deployment's home province. Parameters:
//   q         required, 1 to 100 bytes of UTF-8 after trimming white space
//   limit     1..50, default 10
//   province  the code of a current province, optional
// Other parameters are ignored. Every refusal is 400 with the error JSON of
// server/responses.hpp naming the parameter: `required`, `too_long`,
// `invalid_utf8`, `invalid_value`.
//
// Public (the units are public data) and cheap: the answer may be cached for
// a few minutes. Pure apart from building the response; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "intake/result.hpp"
#include "routing/units.hpp"
#include "server/responses.hpp"

namespace hotline::server {

inline constexpr std::size_t units_query_max_bytes = 100;
inline constexpr std::size_t units_default_limit = 10;
inline constexpr std::size_t units_max_limit = 50;

struct units_query {
    std::string q;            // trimmed
    std::size_t limit = units_default_limit;
    std::string province;     // empty: none given
};

// The parameters of a request target ("/api/v1/units?q=..."); `+` counts as
// a space, as in an HTML form's GET.
result<units_query> parse_units_query(std::string_view target, const routing::unit_catalog& units);

// The whole answer to GET /api/v1/units. `home_province` (may be empty) is
// preferred when the request names no province.
response units_api(const routing::unit_catalog& units, std::string_view target, std::string_view home_province);

}  // namespace hotline::server
