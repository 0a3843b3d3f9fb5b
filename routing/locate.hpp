#pragma once
// Location resolution: the current commune (and province) responsible for a
// report, from what the reporter gave: a unit code and/or free text such as
// "xa hai yen cao loc lang son", "P. Chi Lăng, TP Lạng Sơn" or "Quận 1".
//
// It reads names with or without diacritics and with either tone-mark
// placement, unit words and their abbreviations (xã/x., phường/p./ph.,
// thị trấn/tt, huyện/h., quận/q., thị xã/tx, thành phố/tp, tỉnh/t.,
// numbered wards p1/phường 1/quận 3), and the units abolished on 1 July 2025
// through the old -> new mapping. A province named in the text beats the
// home province; the home province beats the rest of the country.
//
// It never guesses silently: when the text does not decide between units it
// answers commune_code = null with the candidates (and the province when
// that is known). A confident wrong commune is the worst answer it can give.
//
// Pure and immutable: thread-safe; holds a reference to the catalog, which
// must outlive it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/units.hpp"

namespace hotline::routing {

struct location_query {
    std::string_view unit_code;      // a current commune or province code, if the reporter picked one
    std::string_view province_code;  // a current province code, if known from elsewhere
    std::string_view text;           // free text
};

struct location_result {
    std::optional<std::string> commune_code;   // current commune, or null when undecided
    std::optional<std::string> province_code;  // current province, or null when unknown
    // 0 when nothing was found; below 0.5 never comes with a commune_code.
    // 1 for a code the reporter picked; about 0.9 for an exact current unit
    // with its province or the home province; lower for old names and for
    // matches that needed the home-province preference to decide.
    double confidence = 0;
    std::string matched;                   // what decided it, e.g. "old phường Chi Lăng (TP Lạng Sơn) -> 05983"
    std::vector<std::string> candidates;   // current commune codes still possible (empty when decided or none)
};

class locator {
public:
    // `home_province`: the deployment's province code (config home_province),
    // or empty for none.
    locator(const unit_catalog& units, std::string_view home_province);

    location_result locate(const location_query& q) const;

private:
    const unit_catalog& units_;
    std::string home_;
};

}  // namespace hotline::routing
