#pragma once
// Vietnam's administrative units: the current two levels (34 provinces and
// their 3,321 communes: xã, phường, đặc khu) since 1 July 2025, the units
// before that date (63 provinces, 696 districts, 10,035 communes) and the
// old -> new mapping (`full`: the whole old unit went into the new one;
// `partial`: only part of it did). The data is routing/data/ (see its
// SOURCE.md), built into the binary by the server.
//
// Codes are strings with their leading zeros. Old and new codes overlap (a
// new commune reuses the code of one old unit it absorbed), so each lookup
// says which list it searches.
//
// Pure: load() takes the CSV texts. A catalog is immutable after load and
// safe to share between threads; pointers and spans it returns live as long
// as it does.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "intake/result.hpp"

namespace hotline::routing {

struct province {
    std::string code;        // "20"
    std::string name;        // "Lạng Sơn"
    std::string type;        // "tỉnh" | "thành phố"
    std::string name_ascii;  // "lang son"
    std::string full_name;   // "Tỉnh Lạng Sơn"
};

struct commune {
    std::string code;           // "05983"
    std::string name;           // "Lương Văn Tri"
    std::string type;           // "xã" | "phường" | "đặc khu"
    std::string province_code;  // "20"
    std::string name_ascii;     // "luong van tri"
    std::string full_name;      // "Phường Lương Văn Tri"
};

// The CSV files of routing/data/, as text.
struct unit_sources {
    std::string_view provinces;
    std::string_view communes;
    std::string_view legacy_provinces;
    std::string_view legacy_districts;
    std::string_view legacy_communes;
    std::string_view commune_mapping;
};

// A type-ahead suggestion for a place field.
struct unit_suggestion {
    const routing::commune* commune = nullptr;
    const routing::province* province = nullptr;  // the commune's province
};

class unit_catalog {
public:
    // Errors (code `invalid_units`): "<file>: line N: <problem>" for a
    // malformed row or a reference to a code that does not exist.
    static result<unit_catalog> load(const unit_sources& sources);
    ~unit_catalog();
    unit_catalog(unit_catalog&&) noexcept;
    unit_catalog& operator=(unit_catalog&&) noexcept;

    std::span<const province> provinces() const noexcept;  // current, by code
    std::span<const commune> communes() const noexcept;    // current, by code
    const province* find_province(std::string_view code) const noexcept;  // current list
    const commune* find_commune(std::string_view code) const noexcept;    // current list

    // Current communes whose name or full name starts with the words of
    // `query` (diacritics, case and tone-mark placement ignored: "hoa" and
    // "Hoà" match "Hòa"), or whose code is `query`; communes of
    // `prefer_province` first, then by name. At most `limit` results.
    std::vector<unit_suggestion> suggest(std::string_view query, std::size_t limit,
                                         std::string_view prefer_province = {}) const;

    // Counts, for tests and the start-up log.
    std::size_t legacy_province_count() const noexcept;
    std::size_t legacy_district_count() const noexcept;
    std::size_t legacy_commune_count() const noexcept;
    std::size_t mapping_count() const noexcept;

private:
    friend class locator;
    struct data;
    explicit unit_catalog(std::unique_ptr<data> d);
    std::unique_ptr<data> data_;
};

}  // namespace hotline::routing
