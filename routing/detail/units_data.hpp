#pragma once
// The inside of unit_catalog: the six tables joined by index, and the name
// index the locator searches. Internal to routing/ (units.cpp builds it,
// locate.cpp reads it).

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "routing/detail/string_ids.hpp"
#include "routing/units.hpp"

namespace hotline::routing::detail {

inline constexpr std::uint32_t none = static_cast<std::uint32_t>(-1);
static_assert(string_ids::absent == none);

// Unit types, as the tables spell them.
enum class unit_type : std::uint8_t { xa, phuong, dac_khu, thi_tran, huyen, quan, thi_xa, thanh_pho, tinh };

struct legacy_province {
    std::string code, name, name_ascii;
    unit_type type = unit_type::tinh;
    std::vector<std::uint32_t> new_provinces;  // current provinces its communes went to
};

struct legacy_district {
    std::string code, name, name_ascii;
    unit_type type = unit_type::huyen;
    std::uint32_t province = none;              // legacy province
    std::vector<std::uint32_t> new_communes;    // current communes its units went to, sorted
    std::vector<std::uint32_t> new_provinces;   // their provinces, sorted
    bool whole = false;  // the district went as a whole into one current commune
};

struct legacy_commune {
    std::string code, name, name_ascii;
    unit_type type = unit_type::xa;
    std::uint32_t district = none;  // legacy district
    std::uint32_t province = none;  // legacy province
    std::uint32_t first_target = 0, target_count = 0;  // into unit_catalog::data::targets
    bool partial = false;           // split among several current communes
};

struct target {
    std::uint32_t commune = none;  // current commune
    bool partial = false;
};

// What the catalog knows about a current commune beyond the public record.
struct commune_info {
    unit_type type = unit_type::xa;
    std::uint32_t province = none;                 // index into provinces
    std::vector<std::uint32_t> old_districts;      // legacy districts it took units from, sorted
    std::vector<std::uint32_t> old_provinces;      // legacy provinces likewise, sorted
    std::string folded_name, folded_full;          // for type-ahead
};

enum class level : std::uint8_t { province, legacy_province, legacy_district, commune, legacy_commune };

struct name_ref {
    level kind = level::commune;
    bool alias = false;         // an informal name ("hcm", "sai gon"), matched on its folded form only
    bool dashed = false;        // the name has a dash in it ("Văn Miếu - Quốc Tử Giám")
    std::uint32_t index = none;
};

// Unit names by their folded words: a trie over word ids.
class name_index {
public:
    // The id of a folded word, or `none` when no name contains it.
    std::uint32_t word_id(std::string_view folded) const { return words_.find(folded); }
    // The node reached from `node` by `word`, or `none`. The root is 0.
    std::uint32_t child(std::uint32_t node, std::uint32_t word) const {
        if (node == 0) return word < root_.size() ? root_[word] : none;
        const auto it = edges_.find((static_cast<std::uint64_t>(node) << 32) | word);
        return it == edges_.end() ? none : it->second;
    }
    const std::vector<name_ref>& refs(std::uint32_t node) const { return refs_[node]; }
    // The kinds of the node's refs as bits (1 << kind), of all of them or of
    // the dashed ones only: a first test that reads one byte, where most
    // nodes of a text's words have no refs of the kinds wanted.
    std::uint8_t kinds(std::uint32_t node, bool dashed_only) const {
        return dashed_only ? dashed_kinds_[node] : kinds_[node];
    }
    std::size_t max_words() const noexcept { return max_words_; }

    void add(const std::vector<std::string_view>& words, name_ref ref);

private:
    // Flat tables: the locator looks every word of a report up here.
    string_ids words_;
    // The root's children by word id (`none` for a word no name starts
    // with): every word of a text is looked up there, most go no further.
    std::vector<std::uint32_t> root_;
    boost::unordered_flat_map<std::uint64_t, std::uint32_t> edges_;  // (node << 32 | word) -> node, below the root
    std::vector<std::vector<name_ref>> refs_{1};
    std::vector<std::uint8_t> kinds_{0}, dashed_kinds_{0};  // parallel to refs_
    std::size_t max_words_ = 0;
};

// Everything the catalog holds. unit_catalog::data is this; the locator
// reads it through detail:: because the nested name is private.
struct catalog_data {
    std::vector<routing::province> provinces;
    std::vector<routing::commune> communes;
    std::vector<commune_info> communes_info;  // parallel to communes
    std::vector<unit_type> province_types;       // parallel to provinces
    std::vector<std::string> province_accents;           // accent keys of the names, parallel
    std::vector<legacy_province> legacy_provinces;
    std::vector<std::string> legacy_province_accents;    // parallel to legacy_provinces
    std::vector<legacy_district> legacy_districts;
    std::vector<legacy_commune> legacy_communes;
    std::vector<target> targets;
    std::vector<std::string> commune_accents;            // accent keys, parallel to communes
    std::vector<std::string> legacy_commune_accents;     // parallel to legacy_communes
    std::vector<std::string> legacy_district_accents;    // parallel to legacy_districts
    std::size_t mapping_rows = 0;
    name_index names;

    std::uint32_t province_index(std::string_view code) const noexcept;
    std::uint32_t commune_index(std::string_view code) const noexcept;
};

}  // namespace hotline::routing::detail

namespace hotline::routing {

struct unit_catalog::data : detail::catalog_data {};

}  // namespace hotline::routing
