#pragma once
// The administrative units built into the server: the six CSV files of
// routing/data/, embedded into the binary at build time (see
// server/CMakeLists.txt), so a deployment has no data files to install and
// the units always match the code that reads them.
//
// Thread-safe: load_builtin_units() may run on any thread; the catalog it
// returns is immutable.

#include <optional>
#include <string_view>

#include "intake/result.hpp"
#include "routing/units.hpp"

namespace hotline::server {

// Parses the built-in data (a few hundred milliseconds at most). An error
// (code `invalid_units`) means the embedded data is broken: the server must
// not start.
result<routing::unit_catalog> load_builtin_units();

// The one check of a report's `location_code` against the units, for the web
// form and the JSON API alike. `code` is the validated code (digits only, see
// intake::validate). std::nullopt when it is empty or the code of a current
// commune or province; otherwise the error `unknown_unit` with field
// `location_code` (the API answers it with 400, the form shows it next to
// the place field).
std::optional<error> check_location_code(const routing::unit_catalog& units, std::string_view code);

}  // namespace hotline::server
