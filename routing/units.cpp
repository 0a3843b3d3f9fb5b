#include "routing/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>

#include "routing/csv.hpp"
#include "routing/detail/fold.hpp"
#include "routing/detail/units_data.hpp"

namespace hotline::routing {

namespace detail {

void name_index::add(const std::vector<std::string_view>& words, name_ref ref) {
    if (words.empty()) return;
    std::uint32_t node = 0;
    for (const auto w : words) {
        const auto word = words_.insert(w);
        const auto fresh = static_cast<std::uint32_t>(refs_.size());
        std::uint32_t next = none;
        if (node == 0) {
            if (root_.size() <= word) root_.resize(word + 1, none);
            if (root_[word] == none) root_[word] = fresh;
            next = root_[word];
        } else {
            next = edges_.try_emplace((static_cast<std::uint64_t>(node) << 32) | word, fresh).first->second;
        }
        if (next == fresh) {
            refs_.emplace_back();
            kinds_.push_back(0);
            dashed_kinds_.push_back(0);
        }
        node = next;
    }
    auto& r = refs_[node];
    for (const auto& x : r)
        if (x.kind == ref.kind && x.index == ref.index) return;
    r.push_back(ref);
    const auto bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(ref.kind));
    kinds_[node] |= bit;
    if (ref.dashed) dashed_kinds_[node] |= bit;
    max_words_ = std::max(max_words_, words.size());
}

}  // namespace detail

namespace {

using detail::none;
using detail::unit_type;

struct type_name {
    std::string_view text;
    unit_type type;
};

constexpr std::array<type_name, 9> type_names{{
    {"xã", unit_type::xa},
    {"phường", unit_type::phuong},
    {"đặc khu", unit_type::dac_khu},
    {"thị trấn", unit_type::thi_tran},
    {"huyện", unit_type::huyen},
    {"quận", unit_type::quan},
    {"thị xã", unit_type::thi_xa},
    {"thành phố", unit_type::thanh_pho},
    {"tỉnh", unit_type::tinh},
}};

std::optional<unit_type> parse_type(std::string_view s, std::initializer_list<unit_type> allowed) {
    for (const auto& t : type_names)
        if (t.text == s)
            return std::find(allowed.begin(), allowed.end(), t.type) != allowed.end() ? std::optional(t.type)
                                                                                    : std::nullopt;
    return std::nullopt;
}

// "thành phố" -> "Thành phố", "đặc khu" -> "Đặc khu".
std::string capitalised(std::string_view type) {
    if (type.starts_with("đ")) return "Đ" + std::string(type.substr(std::string_view("đ").size()));
    std::string s(type);
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 32);
    return s;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The file's name_ascii when it has one, else the name folded here.
std::string ascii_name(std::string_view given, std::string_view name) {
    return given.empty() ? detail::fold_text(name) : std::string(given);
}

error units_error(std::string_view file, std::size_t line, std::string_view problem) {
    return make_error("invalid_units", fmt::format("{}: line {}: {}", file, line, problem));
}

// One CSV file with its header resolved: rows() gives the data rows, each
// checked to have as many fields as the header.
class table {
public:
    static result<table> open(std::string_view file, std::string_view text,
                              std::initializer_list<std::string_view> required,
                              std::initializer_list<std::string_view> optional = {}) {
        auto rows = parse_csv(text);
        if (!rows) return make_error("invalid_units", fmt::format("{}: {}", file, rows.err().message));
        if (rows->empty()) return units_error(file, 1, "no header row");
        auto header = csv_header::parse(rows->front(), std::span(required.begin(), required.size()),
                                        std::span(optional.begin(), optional.size()));
        if (!header) return make_error("invalid_units", fmt::format("{}: {}", file, header.err().message));
        table t;
        t.file_ = file;
        t.width_ = rows->front().fields.size();
        t.rows_ = std::move(*rows);
        t.header_ = std::move(*header);
        for (std::size_t i = 1; i < t.rows_.size(); ++i)
            if (t.rows_[i].fields.size() != t.width_)
                return units_error(file, t.rows_[i].line,
                                   fmt::format("{} fields, the header has {}", t.rows_[i].fields.size(), t.width_));
        return t;
    }

    std::span<const csv_row> rows() const { return std::span(rows_).subspan(1); }
    std::size_t column(std::string_view name) const { return header_.index(name); }
    static std::string_view at(const csv_row& r, std::size_t col) {
        return col == csv_header::npos ? std::string_view{} : std::string_view(r.fields[col]);
    }
    error fail(const csv_row& r, std::string_view problem) const { return units_error(file_, r.line, problem); }

private:
    table() = default;
    std::string_view file_;
    std::size_t width_ = 0;
    std::vector<csv_row> rows_;
    csv_header header_;
};

// Prefixes of Central Highlands names that people write apart or joined
// ("EaBar" / "Ea Bar").
constexpr std::array<std::string_view, 5> highland_prefixes{"ea", "dak", "ia", "krong", "cu"};

// Adds `name` to the index under its folded words and the usual variants;
// returns the name's accent key.
std::string index_name(detail::name_index& idx, std::string_view name, detail::name_ref ref,
                       detail::word_list& scratch) {
    ref.dashed = name.find('-') != std::string_view::npos || name.find("\xE2\x80\x93") != std::string_view::npos;
    detail::split_words(name, scratch);
    std::vector<std::string_view> words;
    std::string accent;
    for (std::size_t i = 0; i < scratch.size(); ++i) {
        words.push_back(scratch.fold(i));
        if (i) accent.push_back(' ');
        accent.append(scratch.acc(i));
    }
    idx.add(words, ref);
    // "Ea H'Leo" is one word "hleo" above; also "h leo".
    if (name.find('\'') != std::string_view::npos || name.find("\xE2\x80\x99") != std::string_view::npos) {
        std::string spaced;
        for (std::size_t i = 0; i < name.size(); ++i) {
            if (name[i] == '\'') spaced.push_back(' ');
            else if (name.substr(i).starts_with("\xE2\x80\x99")) {
                spaced.push_back(' ');
                i += 2;
            } else {
                spaced.push_back(name[i]);
            }
        }
        detail::word_list w2;
        detail::split_words(spaced, w2);
        std::vector<std::string_view> v;
        for (std::size_t i = 0; i < w2.size(); ++i) v.push_back(w2.fold(i));
        idx.add(v, ref);
    }
    // Two words written as one: "Sapa", "Eakar".
    if (words.size() == 2) {
        const std::string joined = std::string(words[0]) + std::string(words[1]);
        idx.add({joined}, ref);
    } else if (words.size() == 1) {
        for (const auto p : highland_prefixes)
            if (words[0].size() > p.size() + 2 && words[0].starts_with(p)) {
                const std::string rest(words[0].substr(p.size()));
                idx.add({p, rest}, ref);
                break;
            }
    }
    return accent;
}

void index_alias(detail::name_index& idx, std::string_view alias, detail::name_ref ref) {
    detail::word_list w;
    detail::split_words(alias, w);
    std::vector<std::string_view> words;
    for (std::size_t i = 0; i < w.size(); ++i) words.push_back(w.fold(i));
    ref.alias = true;
    idx.add(words, ref);
}

struct alias {
    std::string_view code;
    std::string_view text;
};

// Informal province names people write. Current provinces:
constexpr std::array<alias, 16> province_aliases{{
    {"79", "hcm"}, {"79", "tphcm"}, {"79", "tp hcm"}, {"79", "sài gòn"}, {"79", "saigon"}, {"79", "hochiminh"},
    {"01", "hanoi"}, {"48", "danang"}, {"31", "haiphong"}, {"92", "cantho"},
    {"46", "thừa thiên huế"}, {"46", "tt huế"},
    {"66", "daklak"}, {"66", "đắc lắc"}, {"52", "gialai"}, {"75", "dongnai"},
}};
// ... and former ones.
constexpr std::array<alias, 5> legacy_province_aliases{{
    {"46", "thừa thiên huế"}, {"77", "brvt"}, {"67", "daknong"}, {"62", "kontum"}, {"93", "haugiang"},
}};

template <class T>
void sort_by_code(std::vector<T>& v) {
    std::sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.code < b.code; });
}

template <class T>
std::uint32_t find_code(const std::vector<T>& v, std::string_view code) noexcept {
    const auto it =
        std::lower_bound(v.begin(), v.end(), code, [](const T& a, std::string_view c) { return a.code < c; });
    return it != v.end() && it->code == code ? static_cast<std::uint32_t>(it - v.begin()) : none;
}

template <class T>
std::optional<std::string> duplicate_code(const std::vector<T>& sorted) {
    for (std::size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i].code == sorted[i - 1].code) return sorted[i].code;
    return std::nullopt;
}

void add_sorted(std::vector<std::uint32_t>& v, std::uint32_t x) {
    const auto it = std::lower_bound(v.begin(), v.end(), x);
    if (it == v.end() || *it != x) v.insert(it, x);
}

}  // namespace

std::uint32_t detail::catalog_data::province_index(std::string_view code) const noexcept {
    return find_code(provinces, code);
}

std::uint32_t detail::catalog_data::commune_index(std::string_view code) const noexcept {
    return find_code(communes, code);
}

namespace {

// provinces.csv
result<void> read_provinces(detail::catalog_data& d, std::string_view text) {
    auto t = table::open("provinces.csv", text, {"code", "name", "type"}, {"name_ascii"});
    if (!t) return std::move(t).err();
    const auto c_code = t->column("code"), c_name = t->column("name"), c_type = t->column("type"),
               c_ascii = t->column("name_ascii");
    std::vector<std::pair<province, unit_type>> rows;
    for (const auto& r : t->rows()) {
        province p;
        p.code = table::at(r, c_code);
        p.name = table::at(r, c_name);
        p.type = table::at(r, c_type);
        if (!all_digits(p.code)) return t->fail(r, fmt::format("bad code \"{}\"", p.code));
        if (p.name.empty()) return t->fail(r, "empty name");
        const auto ty = parse_type(p.type, {unit_type::tinh, unit_type::thanh_pho});
        if (!ty) return t->fail(r, fmt::format("bad type \"{}\"", p.type));
        p.name_ascii = ascii_name(table::at(r, c_ascii), p.name);
        p.full_name = capitalised(p.type) + " " + p.name;
        rows.emplace_back(std::move(p), *ty);
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first.code < b.first.code; });
    for (auto& [p, ty] : rows) {
        d.provinces.push_back(std::move(p));
        d.province_types.push_back(ty);
    }
    if (auto dup = duplicate_code(d.provinces))
        return make_error("invalid_units", fmt::format("provinces.csv: code {} appears twice", *dup));
    return {};
}

// communes.csv
result<void> read_communes(detail::catalog_data& d, std::string_view text) {
    auto t = table::open("communes.csv", text, {"code", "name", "type", "province_code"}, {"name_ascii"});
    if (!t) return std::move(t).err();
    const auto c_code = t->column("code"), c_name = t->column("name"), c_type = t->column("type"),
               c_ascii = t->column("name_ascii"),
               c_prov = t->column("province_code");
    std::vector<std::pair<commune, detail::commune_info>> rows;
    rows.reserve(t->rows().size());
    for (const auto& r : t->rows()) {
        commune c;
        detail::commune_info info;
        c.code = table::at(r, c_code);
        c.name = table::at(r, c_name);
        c.type = table::at(r, c_type);
        c.province_code = table::at(r, c_prov);
        if (!all_digits(c.code)) return t->fail(r, fmt::format("bad code \"{}\"", c.code));
        if (c.name.empty()) return t->fail(r, "empty name");
        const auto ty = parse_type(c.type, {unit_type::xa, unit_type::phuong, unit_type::dac_khu});
        if (!ty) return t->fail(r, fmt::format("bad type \"{}\"", c.type));
        info.type = *ty;
        info.province = d.province_index(c.province_code);
        if (info.province == none) return t->fail(r, fmt::format("unknown province_code \"{}\"", c.province_code));
        c.name_ascii = ascii_name(table::at(r, c_ascii), c.name);
        c.full_name = capitalised(c.type) + " " + c.name;
        info.folded_name = detail::fold_text(c.name);
        info.folded_full = detail::fold_text(c.full_name);
        rows.emplace_back(std::move(c), std::move(info));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first.code < b.first.code; });
    d.communes.reserve(rows.size());
    d.communes_info.reserve(rows.size());
    for (auto& [c, info] : rows) {
        d.communes.push_back(std::move(c));
        d.communes_info.push_back(std::move(info));
    }
    if (auto dup = duplicate_code(d.communes))
        return make_error("invalid_units", fmt::format("communes.csv: code {} appears twice", *dup));
    return {};
}

// legacy_provinces.csv
result<void> read_legacy_provinces(detail::catalog_data& d, std::string_view text) {
    auto t = table::open("legacy_provinces.csv", text, {"code", "name", "type"}, {"name_ascii"});
    if (!t) return std::move(t).err();
    const auto c_code = t->column("code"), c_name = t->column("name"), c_type = t->column("type"),
               c_ascii = t->column("name_ascii");
    for (const auto& r : t->rows()) {
        detail::legacy_province p;
        p.code = table::at(r, c_code);
        p.name = table::at(r, c_name);
        if (!all_digits(p.code)) return t->fail(r, fmt::format("bad code \"{}\"", p.code));
        if (p.name.empty()) return t->fail(r, "empty name");
        const auto ty = parse_type(table::at(r, c_type), {unit_type::tinh, unit_type::thanh_pho});
        if (!ty) return t->fail(r, fmt::format("bad type \"{}\"", table::at(r, c_type)));
        p.type = *ty;
        p.name_ascii = ascii_name(table::at(r, c_ascii), p.name);
        d.legacy_provinces.push_back(std::move(p));
    }
    sort_by_code(d.legacy_provinces);
    if (auto dup = duplicate_code(d.legacy_provinces))
        return make_error("invalid_units", fmt::format("legacy_provinces.csv: code {} appears twice", *dup));
    return {};
}

// legacy_districts.csv
result<void> read_legacy_districts(detail::catalog_data& d, std::string_view text) {
    auto t = table::open("legacy_districts.csv", text, {"code", "name", "type", "province_code"},
                         {"name_ascii"});
    if (!t) return std::move(t).err();
    const auto c_code = t->column("code"), c_name = t->column("name"), c_type = t->column("type"),
               c_ascii = t->column("name_ascii"),
               c_prov = t->column("province_code");
    for (const auto& r : t->rows()) {
        detail::legacy_district x;
        x.code = table::at(r, c_code);
        x.name = table::at(r, c_name);
        if (!all_digits(x.code)) return t->fail(r, fmt::format("bad code \"{}\"", x.code));
        if (x.name.empty()) return t->fail(r, "empty name");
        const auto ty = parse_type(table::at(r, c_type),
                                   {unit_type::huyen, unit_type::quan, unit_type::thi_xa, unit_type::thanh_pho});
        if (!ty) return t->fail(r, fmt::format("bad type \"{}\"", table::at(r, c_type)));
        x.type = *ty;
        x.province = find_code(d.legacy_provinces, table::at(r, c_prov));
        if (x.province == none)
            return t->fail(r, fmt::format("unknown province_code \"{}\"", table::at(r, c_prov)));
        x.name_ascii = ascii_name(table::at(r, c_ascii), x.name);
        d.legacy_districts.push_back(std::move(x));
    }
    sort_by_code(d.legacy_districts);
    if (auto dup = duplicate_code(d.legacy_districts))
        return make_error("invalid_units", fmt::format("legacy_districts.csv: code {} appears twice", *dup));
    return {};
}

// legacy_communes.csv
result<void> read_legacy_communes(detail::catalog_data& d, std::string_view text) {
    auto t = table::open("legacy_communes.csv", text,
                         {"code", "name", "type", "district_code", "province_code"},
                         {"district_name", "province_name", "district_type", "name_ascii"});
    if (!t) return std::move(t).err();
    const auto c_code = t->column("code"), c_name = t->column("name"), c_type = t->column("type"),
               c_ascii = t->column("name_ascii"),
               c_dist = t->column("district_code"), c_prov = t->column("province_code");
    d.legacy_communes.reserve(t->rows().size());
    for (const auto& r : t->rows()) {
        detail::legacy_commune x;
        x.code = table::at(r, c_code);
        x.name = table::at(r, c_name);
        if (!all_digits(x.code)) return t->fail(r, fmt::format("bad code \"{}\"", x.code));
        if (x.name.empty()) return t->fail(r, "empty name");
        const auto ty = parse_type(table::at(r, c_type), {unit_type::xa, unit_type::phuong, unit_type::thi_tran});
        if (!ty) return t->fail(r, fmt::format("bad type \"{}\"", table::at(r, c_type)));
        x.type = *ty;
        x.district = find_code(d.legacy_districts, table::at(r, c_dist));
        if (x.district == none)
            return t->fail(r, fmt::format("unknown district_code \"{}\"", table::at(r, c_dist)));
        x.province = find_code(d.legacy_provinces, table::at(r, c_prov));
        if (x.province == none || d.legacy_districts[x.district].province != x.province)
            return t->fail(r, fmt::format("province_code \"{}\" is not the district's", table::at(r, c_prov)));
        x.name_ascii = ascii_name(table::at(r, c_ascii), x.name);
        d.legacy_communes.push_back(std::move(x));
    }
    sort_by_code(d.legacy_communes);
    if (auto dup = duplicate_code(d.legacy_communes))
        return make_error("invalid_units", fmt::format("legacy_communes.csv: code {} appears twice", *dup));
    return {};
}

// commune_mapping.csv
result<void> read_mapping(detail::catalog_data& d, std::string_view text) {
    auto t = table::open("commune_mapping.csv", text,
                         {"old_code", "old_name", "new_code", "new_name", "merge_type"},
                         {"old_level", "old_district_name", "old_province_code", "old_province_name",
                          "new_province_code", "resolution", "confidence", "old_in_legacy"});
    if (!t) return std::move(t).err();
    const auto c_old = t->column("old_code"), c_new = t->column("new_code"), c_merge = t->column("merge_type"),
               c_level = t->column("old_level"), c_in = t->column("old_in_legacy");
    struct pair_row {
        std::uint32_t old_unit;
        detail::target to;
    };
    std::vector<pair_row> commune_pairs;
    commune_pairs.reserve(t->rows().size());
    for (const auto& r : t->rows()) {
        const auto merge = table::at(r, c_merge);
        if (merge != "full" && merge != "partial") return t->fail(r, fmt::format("bad merge_type \"{}\"", merge));
        detail::target to;
        to.partial = merge == "partial";
        to.commune = d.commune_index(table::at(r, c_new));
        if (to.commune == none) return t->fail(r, fmt::format("unknown new_code \"{}\"", table::at(r, c_new)));
        const auto lvl = table::at(r, c_level);
        const auto old = table::at(r, c_old);
        if (lvl == "district") {
            const auto dist = find_code(d.legacy_districts, old);
            if (dist == none) return t->fail(r, fmt::format("unknown old district \"{}\"", old));
            auto& x = d.legacy_districts[dist];
            add_sorted(x.new_communes, to.commune);
            add_sorted(d.communes_info[to.commune].old_districts, dist);
            add_sorted(d.communes_info[to.commune].old_provinces, x.province);
        } else if (lvl.empty() || lvl == "commune") {
            const auto c = find_code(d.legacy_communes, old);
            if (c != none) {
                commune_pairs.push_back({c, to});
            } else if (table::at(r, c_in) != "0") {
                // Rows marked old_in_legacy=0 name communes abolished before the
                // legacy list was cut; they cannot be looked up by name.
                return t->fail(r, fmt::format("unknown old commune \"{}\"", old));
            }
        } else {
            return t->fail(r, fmt::format("bad old_level \"{}\"", lvl));
        }
        ++d.mapping_rows;
    }
    std::stable_sort(commune_pairs.begin(), commune_pairs.end(),
                     [](const pair_row& a, const pair_row& b) { return a.old_unit < b.old_unit; });
    d.targets.reserve(commune_pairs.size());
    for (std::size_t i = 0; i < commune_pairs.size();) {
        std::size_t j = i;
        auto& lc = d.legacy_communes[commune_pairs[i].old_unit];
        lc.first_target = static_cast<std::uint32_t>(d.targets.size());
        for (; j < commune_pairs.size() && commune_pairs[j].old_unit == commune_pairs[i].old_unit; ++j) {
            const auto& to = commune_pairs[j].to;
            d.targets.push_back(to);
            lc.partial = lc.partial || to.partial;
            auto& info = d.communes_info[to.commune];
            add_sorted(info.old_districts, lc.district);
            add_sorted(info.old_provinces, lc.province);
            add_sorted(d.legacy_districts[lc.district].new_communes, to.commune);
        }
        lc.target_count = static_cast<std::uint32_t>(j - i);
        lc.partial = lc.partial || lc.target_count > 1;
        i = j;
    }
    return {};
}

// Where the former districts and provinces went.
void join(detail::catalog_data& d) {
    std::vector<bool> district_split(d.legacy_districts.size(), false);
    for (const auto& lc : d.legacy_communes)
        if (lc.partial) district_split[lc.district] = true;
    for (std::size_t i = 0; i < d.legacy_districts.size(); ++i) {
        auto& x = d.legacy_districts[i];
        for (const auto c : x.new_communes) add_sorted(x.new_provinces, d.communes_info[c].province);
        for (const auto p : x.new_provinces) add_sorted(d.legacy_provinces[x.province].new_provinces, p);
        x.whole = x.new_communes.size() == 1 && !district_split[i];
    }
}

// The name index and the accent keys.
void index_names(detail::catalog_data& d) {
    detail::word_list scratch;
    using detail::level;
    d.province_accents.reserve(d.provinces.size());
    for (std::uint32_t i = 0; i < d.provinces.size(); ++i)
        d.province_accents.push_back(
            index_name(d.names, d.provinces[i].name, {level::province, false, false, i}, scratch));
    for (const auto& a : province_aliases)
        if (const auto i = d.province_index(a.code); i != none)
            index_alias(d.names, a.text, {level::province, true, false, i});
    for (std::uint32_t i = 0; i < d.legacy_provinces.size(); ++i)
        d.legacy_province_accents.push_back(
            index_name(d.names, d.legacy_provinces[i].name, {level::legacy_province, false, false, i}, scratch));
    for (const auto& a : legacy_province_aliases)
        if (const auto i = find_code(d.legacy_provinces, a.code); i != none)
            index_alias(d.names, a.text, {level::legacy_province, true, false, i});
    d.legacy_district_accents.reserve(d.legacy_districts.size());
    for (std::uint32_t i = 0; i < d.legacy_districts.size(); ++i)
        d.legacy_district_accents.push_back(
            index_name(d.names, d.legacy_districts[i].name, {level::legacy_district, false, false, i}, scratch));
    d.commune_accents.reserve(d.communes.size());
    for (std::uint32_t i = 0; i < d.communes.size(); ++i)
        d.commune_accents.push_back(
            index_name(d.names, d.communes[i].name, {level::commune, false, false, i}, scratch));
    d.legacy_commune_accents.reserve(d.legacy_communes.size());
    for (std::uint32_t i = 0; i < d.legacy_communes.size(); ++i)
        d.legacy_commune_accents.push_back(
            index_name(d.names, d.legacy_communes[i].name, {level::legacy_commune, false, false, i}, scratch));
}

}  // namespace

result<unit_catalog> unit_catalog::load(const unit_sources& s) {
    auto d = std::make_unique<data>();
    // In this order: each file refers to units of the ones before.
    const std::pair<result<void> (*)(detail::catalog_data&, std::string_view), std::string_view> steps[] = {
        {read_provinces, s.provinces},
        {read_communes, s.communes},
        {read_legacy_provinces, s.legacy_provinces},
        {read_legacy_districts, s.legacy_districts},
        {read_legacy_communes, s.legacy_communes},
        {read_mapping, s.commune_mapping},
    };
    for (const auto& [read, text] : steps)
        if (auto r = read(*d, text); !r) return std::move(r).err();
    join(*d);
    index_names(*d);
    return unit_catalog(std::move(d));
}

unit_catalog::unit_catalog(std::unique_ptr<data> d) : data_(std::move(d)) {}
unit_catalog::~unit_catalog() = default;
unit_catalog::unit_catalog(unit_catalog&&) noexcept = default;
unit_catalog& unit_catalog::operator=(unit_catalog&&) noexcept = default;

std::span<const province> unit_catalog::provinces() const noexcept { return data_->provinces; }
std::span<const commune> unit_catalog::communes() const noexcept { return data_->communes; }

const province* unit_catalog::find_province(std::string_view code) const noexcept {
    const auto i = data_->province_index(code);
    return i == none ? nullptr : &data_->provinces[i];
}

const commune* unit_catalog::find_commune(std::string_view code) const noexcept {
    const auto i = data_->commune_index(code);
    return i == none ? nullptr : &data_->communes[i];
}

std::vector<unit_suggestion> unit_catalog::suggest(std::string_view query, std::size_t limit,
                                                   std::string_view prefer_province) const {
    std::vector<unit_suggestion> out;
    if (limit == 0) return out;
    const std::string q = detail::fold_text(query);
    std::string_view code_query = query;
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!code_query.empty() && blank(code_query.front())) code_query.remove_prefix(1);
    while (!code_query.empty() && blank(code_query.back())) code_query.remove_suffix(1);
    if (q.empty()) return out;
    // A prefix of the folded name that ends inside a word is fine (type-ahead);
    // one that starts inside a word is not, which starts_with guarantees.
    std::vector<std::uint32_t> hits;
    for (std::uint32_t i = 0; i < data_->communes.size(); ++i) {
        const auto& info = data_->communes_info[i];
        if (info.folded_name.starts_with(q) || info.folded_full.starts_with(q) ||
            (all_digits(code_query) && data_->communes[i].code == code_query))
            hits.push_back(i);
    }
    const auto& cs = data_->communes;
    const auto& ci = data_->communes_info;
    std::sort(hits.begin(), hits.end(), [&](std::uint32_t a, std::uint32_t b) {
        const bool pa = !prefer_province.empty() && cs[a].province_code == prefer_province;
        const bool pb = !prefer_province.empty() && cs[b].province_code == prefer_province;
        if (pa != pb) return pa;
        if (ci[a].folded_name != ci[b].folded_name) return ci[a].folded_name < ci[b].folded_name;
        return cs[a].code < cs[b].code;
    });
    if (hits.size() > limit) hits.resize(limit);
    out.reserve(hits.size());
    for (const auto i : hits) out.push_back({&cs[i], &data_->provinces[ci[i].province]});
    return out;
}

std::size_t unit_catalog::legacy_province_count() const noexcept { return data_->legacy_provinces.size(); }
std::size_t unit_catalog::legacy_district_count() const noexcept { return data_->legacy_districts.size(); }
std::size_t unit_catalog::legacy_commune_count() const noexcept { return data_->legacy_communes.size(); }
std::size_t unit_catalog::mapping_count() const noexcept { return data_->mapping_rows; }

}  // namespace hotline::routing
