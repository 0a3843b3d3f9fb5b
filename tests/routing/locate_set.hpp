#pragma once
// The labelled sets of the locator (tests/routing/data/locate_*.jsonl): one
// example per line, {"id","text","accept":[codes],"province"?,"null_ok"?},
// and how an answer is scored (/work/shared/data/locate/README.md, see the
// set's SOURCE.md). Shared by the set tests and bench/locate_eval.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "routing/locate.hpp"

namespace hotline::routing::test {

struct labelled_place {
    std::string id, text;
    std::vector<std::string> accept;  // commune codes any of which is right
    std::optional<std::string> province;
    bool null_ok = false;  // no commune is right too
};

// A commune in `accept`; or, when `accept` is empty, no commune and the right
// province; or, with `null_ok`, no commune.
inline bool correct(const labelled_place& e, const location_result& r) {
    if (r.commune_code) return std::find(e.accept.begin(), e.accept.end(), *r.commune_code) != e.accept.end();
    if (e.null_ok) return true;
    if (e.accept.empty()) return r.province_code == e.province;
    return false;
}

}  // namespace hotline::routing::test
