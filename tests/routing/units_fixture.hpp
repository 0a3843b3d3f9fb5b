#pragma once
// The unit tables of routing/data/, read from the source tree and loaded
// once per test binary.

#include <fstream>
#include <sstream>
#include <string>

#include "routing/units.hpp"

namespace hotline::routing::test {

inline std::string read_source_file(const std::string& relative) {
    std::ifstream in(std::string(HOTLINE_SOURCE_DIR) + "/" + relative, std::ios::binary);
    std::ostringstream o;
    o << in.rdbuf();
    return o.str();
}

// The texts of the six files (kept alive: unit_sources holds views).
struct unit_texts {
    std::string provinces = read_source_file("routing/data/provinces.csv");
    std::string communes = read_source_file("routing/data/communes.csv");
    std::string legacy_provinces = read_source_file("routing/data/legacy_provinces.csv");
    std::string legacy_districts = read_source_file("routing/data/legacy_districts.csv");
    std::string legacy_communes = read_source_file("routing/data/legacy_communes.csv");
    std::string commune_mapping = read_source_file("routing/data/commune_mapping.csv");

    unit_sources sources() const {
        return {provinces, communes, legacy_provinces, legacy_districts, legacy_communes, commune_mapping};
    }
};

inline const unit_texts& texts() {
    static const unit_texts t;
    return t;
}

inline const unit_catalog& catalog() {
    static const unit_catalog c = [] {
        auto r = unit_catalog::load(texts().sources());
        if (!r) throw std::runtime_error(r.err().message);
        return std::move(*r);
    }();
    return c;
}

}  // namespace hotline::routing::test
