#pragma once
// `hotline locate [--home-province CODE]`: the locator on the command line,
// dispatched from main.
//
// Reads JSON lines from `in`, each an object {"id": any, "text": string} with
// optional "unit_code" and "province_code" strings (routing::location_query),
// and writes one JSON line per input line to `out`:
//   {"id":..,"commune_code":"05983"|null,"province_code":"20"|null,
//    "confidence":0.90,"candidates":["..."]}
// "id" is the line's own, or its line number when it has none. A line that
// is not such an object gets {"id":..,"error":"..."} and the next line is
// read; blank lines are skipped. `--home-province` is the deployment's
// province (config routing.home_province): a current province code.
//
// Exit codes: 0 done (bad lines included), 1 the units do not load or the
// output cannot be written, 2 usage error (message and usage on `err`).

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace hotline::server {

// The usage line of the command.
extern const std::string_view locate_usage;

// `args` are the words after "locate".
int run_locate(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace hotline::server
