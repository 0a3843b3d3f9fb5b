#include "routing/locate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "routing/detail/fold.hpp"
#include "routing/detail/string_ids.hpp"
#include "routing/detail/units_data.hpp"

namespace hotline::routing {

namespace {

using detail::catalog_data;
using detail::gap;
using detail::level;
using detail::name_ref;
using detail::none;
using detail::unit_type;
using detail::word_list;

// ---------------------------------------------------------------------------
// Words that matter around names.

// One or two words as people write them: folded, and the accent keys of
// the Vietnamese spelling (a word written with diacritics must match it).
struct lexeme {
    std::size_t size = 0;
    std::array<std::string, 2> folded;
    std::array<std::string, 2> accent;
    std::array<std::uint32_t, 2> id{none, none};  // the folded words' ids in vocabulary::words
};

lexeme make_lexeme(std::string_view vietnamese) {
    word_list w;
    detail::split_words(vietnamese, w);
    lexeme l;
    l.size = std::min<std::size_t>(w.size(), 2);
    for (std::size_t i = 0; i < l.size; ++i) {
        l.folded[i] = w.fold(i);
        l.accent[i] = w.acc(i);
    }
    return l;
}

// The unit a unit word announces. `city` is thành phố, which was a district
// (TP Lạng Sơn) or is a province (TP Hồ Chí Minh).
enum class unit_word : std::uint8_t { none, xa, phuong, thi_tran, dac_khu, huyen, quan, thi_xa, city, tinh };

bool commune_word(unit_word u) {
    return u == unit_word::xa || u == unit_word::phuong || u == unit_word::thi_tran || u == unit_word::dac_khu;
}

unit_type type_of(unit_word u) {
    switch (u) {
    case unit_word::xa: return unit_type::xa;
    case unit_word::phuong: return unit_type::phuong;
    case unit_word::thi_tran: return unit_type::thi_tran;
    case unit_word::dac_khu: return unit_type::dac_khu;
    case unit_word::huyen: return unit_type::huyen;
    case unit_word::quan: return unit_type::quan;
    case unit_word::thi_xa: return unit_type::thi_xa;
    case unit_word::city: return unit_type::thanh_pho;
    default: return unit_type::tinh;
    }
}

std::string_view type_text(unit_type t) {
    switch (t) {
    case unit_type::xa: return "xã";
    case unit_type::phuong: return "phường";
    case unit_type::dac_khu: return "đặc khu";
    case unit_type::thi_tran: return "thị trấn";
    case unit_type::huyen: return "huyện";
    case unit_type::quan: return "quận";
    case unit_type::thi_xa: return "thị xã";
    case unit_type::thanh_pho: return "thành phố";
    case unit_type::tinh: return "tỉnh";
    }
    return "";
}

struct unit_word_def {
    lexeme words;     // one or two words
    unit_word kind;
    bool abbreviation;  // written in ASCII by nature: no accent check
};

struct vocabulary {
    std::vector<unit_word_def> unit_words;
    std::vector<lexeme> village;   // a name after these is a village, street, school...: not a unit
    std::vector<lexeme> person;    // a name after these is a person's
    std::vector<lexeme> locative;  // "ở", "tại": a place follows
    std::vector<lexeme> hometown;  // "quê (ở)", "nguyên quán", "sinh ra ở": where someone is from, not where it happens
    // Unit names that are also everyday words, as word ids.
    std::vector<std::vector<std::uint32_t>> common_phrases;
    // Every folded word of the lists above. A word of the text is looked up
    // here once; then comparing it with any of them compares two ids.
    detail::string_ids words;
    std::vector<char> starts_unit_word;  // by word id: the first word of some unit word
};

const vocabulary& vocab() {
    static const vocabulary v = [] {
        vocabulary x;
        const auto full = [&](std::string_view w, unit_word k) { x.unit_words.push_back({make_lexeme(w), k, false}); };
        const auto abbr = [&](std::string_view w, unit_word k) { x.unit_words.push_back({make_lexeme(w), k, true}); };
        // Two-word unit words first: "thị xã" is not "xã".
        full("thị trấn", unit_word::thi_tran);
        full("thị xã", unit_word::thi_xa);
        full("thành phố", unit_word::city);
        full("đặc khu", unit_word::dac_khu);
        full("xã", unit_word::xa);
        full("phường", unit_word::phuong);
        full("huyện", unit_word::huyen);
        full("quận", unit_word::quan);
        full("tỉnh", unit_word::tinh);
        abbr("x", unit_word::xa);
        abbr("p", unit_word::phuong);
        abbr("ph", unit_word::phuong);
        abbr("tt", unit_word::thi_tran);
        abbr("tx", unit_word::thi_xa);
        abbr("tp", unit_word::city);
        abbr("h", unit_word::huyen);
        abbr("q", unit_word::quan);
        abbr("t", unit_word::tinh);
        for (const auto w : {"thôn", "xóm", "ấp", "bản", "làng", "buôn", "sóc", "khóm", "khu", "kp", "tổ", "tdp",
                             "đường", "phố", "ngõ", "ngách", "hẻm", "kiệt", "số", "trường", "lớp", "cầu", "sông",
                             "hồ", "núi", "chùa", "đền", "bến", "ga", "cty", "công ty", "bệnh viện", "bv", "đội",
                             "cụm", "khối", "chung cư", "nhà thờ", "thcs", "thpt", "tiểu học", "mầm non"})
            x.village.push_back(make_lexeme(w));
        for (const auto w : {"bé", "cháu", "em", "anh", "chị", "ông", "bà", "cô", "chú", "bác", "con", "bạn", "tên",
                             "mẹ", "bố", "ba", "cha", "dì", "cậu", "thím", "mợ", "dượng", "thầy", "nguyễn", "trần",
                             "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ", "hồ", "ngô",
                             "dương", "lý", "thị", "gọi", "là"})
            x.person.push_back(make_lexeme(w));
        for (const auto w : {"ở", "tại", "thuộc", "gần", "chợ", "đến", "về", "vùng", "địa bàn"})
            x.locative.push_back(make_lexeme(w));
        for (const auto w : {"quê", "quán", "gốc", "sinh"}) x.hometown.push_back(make_lexeme(w));
        for (const auto p : {"gia đình", "an ninh", "bình an", "hạnh phúc", "đoàn kết", "thống nhất", "hòa bình",
                             "an toàn", "tự do", "độc lập", "trung tâm", "thành công", "thắng lợi", "bình yên",
                             "yên bình", "tiến bộ", "hữu nghị", "đồng tâm", "quyết thắng", "tân tiến", "bình minh",
                             "cộng hòa", "dân chủ", "nhân đạo", "đồng ý", "biên giới", "đồng ruộng", "quang trung",
                             "trần phú", "lê lợi", "hoàng văn thụ", "minh khai", "nguyễn trãi", "trần hưng đạo",
                             "hai bà trưng", "lê hồng phong", "kim đồng", "võ thị sáu", "ngô quyền", "lý thái tổ",
                             "phan chu trinh", "nguyễn du", "điện biên", "tiền phong", "thanh xuân", "hòa an",
                             "tân an", "an phú", "phú an", "an bình", "tân bình", "tân hòa", "tân thành"}) {
            word_list w;
            detail::split_words(p, w);
            auto& ids = x.common_phrases.emplace_back();
            for (std::size_t i = 0; i < w.size(); ++i) ids.push_back(x.words.insert(w.fold(i)));
        }
        for (auto* list : {&x.village, &x.person, &x.locative, &x.hometown})
            for (auto& l : *list)
                for (std::size_t k = 0; k < l.size; ++k) l.id[k] = x.words.insert(l.folded[k]);
        for (auto& def : x.unit_words)
            for (std::size_t k = 0; k < def.words.size; ++k) def.words.id[k] = x.words.insert(def.words.folded[k]);
        x.starts_unit_word.assign(x.words.size(), 0);
        for (const auto& def : x.unit_words) x.starts_unit_word[def.words.id[0]] = 1;
        return x;
    }();
    return v;
}

// ---------------------------------------------------------------------------
// Per-call state.

enum class role : std::uint8_t { none, province, district, commune };

struct mention {
    std::uint16_t start = 0;  // first word, the unit word when there is one
    std::uint16_t begin = 0;  // the name's words [begin, end)
    std::uint16_t end = 0;
    unit_word unit = unit_word::none;
    role as = role::none;
    bool marked = false;  // some word of the name has diacritics
    bool accepted = false;
    bool clean = false;   // the name ends where a clause, a unit word or a province or district begins
    bool also_commune = false;  // a bare district name that is also a commune's ("Bến Lức")
    std::uint32_t node = none;
};

struct hyp {
    std::uint32_t commune = none;  // current commune it leads to
    std::uint32_t legacy = none;   // the old commune it came through, or none
    std::uint8_t tier = 0;         // 0 current exact type, 1 old exact, 2 current other type, 3 old other type
    bool partial = false;          // the old commune was split
    bool accent_ok = true;
};

struct placed_district {
    std::uint16_t start;  // where its mention starts
    std::uint32_t district;
};

// Everything a call needs room for, kept per thread so that a call after the
// first allocates nothing but its answer.
struct scratch {
    word_list words;
    std::vector<mention> mentions;
    std::vector<hyp> hyps;
    std::vector<hyp> exact;
    std::vector<std::uint32_t> ids;        // word ids in the name index, per word
    std::vector<std::uint32_t> vocab_ids;  // word ids in vocabulary::words, per word
    std::vector<std::uint32_t> path;       // name index walks, see find_mentions
    std::vector<std::uint16_t> path_len;
    std::vector<std::pair<unit_word, std::size_t>> units;  // the unit word starting at each word
    std::vector<char> context_at;    // a province or district name starts at the word
    std::vector<std::uint32_t> set_a, set_b, set_c, local, others, typed_districts;
    std::vector<char> drop;
    // The resolver's findings (see there).
    std::vector<std::uint32_t> provinces, old_provinces, districts;
    std::vector<placed_district> district_at;
};

scratch& local_scratch() {
    thread_local scratch s;
    return s;
}

// Words of one name may be apart by spaces or a dash; a dash, full stop or
// comma also ends a part of the text.
bool within_name(gap g) { return g == gap::none || g == gap::space || g == gap::dash; }
bool ends_part(gap g) { return g == gap::dash || g == gap::dot || g == gap::clause; }

bool contains(const std::vector<std::uint32_t>& sorted, std::uint32_t x) {
    return std::binary_search(sorted.begin(), sorted.end(), x);
}

bool intersects(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
    auto i = a.begin();
    auto j = b.begin();
    while (i != a.end() && j != b.end()) {
        if (*i == *j) return true;
        if (*i < *j) ++i;
        else ++j;
    }
    return false;
}

void insert_sorted(std::vector<std::uint32_t>& v, std::uint32_t x) {
    const auto it = std::lower_bound(v.begin(), v.end(), x);
    if (it == v.end() || *it != x) v.insert(it, x);
}

// Keeps the elements of `v` that satisfy `keep` when at least one does;
// returns whether it filtered.
template <class T, class F>
bool prefer(std::vector<T>& v, F keep) {
    if (std::none_of(v.begin(), v.end(), keep)) return false;
    const bool all = std::all_of(v.begin(), v.end(), keep);
    std::erase_if(v, [&](const T& x) { return !keep(x); });
    return !all;
}

// ---------------------------------------------------------------------------

class resolver {
public:
    resolver(const catalog_data& d, std::uint32_t home, scratch& s)
        : d_(d),
          home_(home),
          s_(s),
          provinces_(s.provinces),
          old_provinces_(s.old_provinces),
          districts_(s.districts),
          district_at_(s.district_at) {}

    location_result run(const location_query& q);

private:
    bool word_is(std::size_t i, const lexeme& l, std::size_t k = 0) const;
    bool phrase_at(std::size_t i, const lexeme& l, std::size_t& len) const;
    bool any_word(std::size_t i, const std::vector<lexeme>& list) const;
    std::pair<unit_word, std::size_t> unit_word_at(std::size_t i) const;
    void find_mentions();
    bool compatible(unit_word u, const name_ref& r) const;
    void classify_bare();
    bool accent_matches(const mention& m, std::string_view unit_accent);
    void gather_provinces(const location_query& q);
    void gather_districts();
    void accept_bare();
    bool commune_hyps(const mention& m);
    void filter_hyps(const mention& m);

    std::uint32_t commune_province(std::uint32_t c) const { return d_.communes_info[c].province; }
    void set_province_from(const std::vector<std::uint32_t>& communes, location_result& r) const;
    location_result decide_commune(std::uint32_t c, double confidence, std::string matched) const;
    std::string describe(const hyp& h) const;

    const catalog_data& d_;
    std::uint32_t home_;
    scratch& s_;
    bool text_marked_ = false;

    // In the scratch space; gather_provinces and gather_districts clear them.
    std::vector<std::uint32_t>& provinces_;        // current provinces the text or query names
    std::vector<std::uint32_t>& old_provinces_;    // former provinces named by a former name
    std::vector<std::uint32_t>& districts_;        // former districts named
    std::vector<placed_district>& district_at_;    // each district with its place in the text, in text order
    std::string province_note_;                    // how the first province was named, for `matched`

    // The state of the last filter_hyps.
    bool district_confirmed_ = false;
    bool old_province_confirmed_ = false;
    bool home_decided_ = false;
    bool ambiguous_provinces_ = false;
    bool weak_type_ = false;
    bool district_conflict_ = false;  // the name is not in the district written after it
};

// Word i is the k-th word of `l`.
bool resolver::word_is(std::size_t i, const lexeme& l, std::size_t k) const {
    const auto& w = s_.words;
    // The same vocabulary id is the same folded word.
    if (s_.vocab_ids[i] != l.id[k]) return false;
    if (w.words[i].marked) return w.acc(i) == l.accent[k];
    return true;
}

// The lexeme starts at word i; `len` gets its length in words.
bool resolver::phrase_at(std::size_t i, const lexeme& l, std::size_t& len) const {
    const auto& w = s_.words;
    len = l.size;
    if (l.size == 1) return word_is(i, l);
    if (i + 1 >= w.size() || ends_part(w.words[i + 1].before)) return false;
    return word_is(i, l, 0) && word_is(i + 1, l, 1);
}

// One of `list` ends at word i.
bool resolver::any_word(std::size_t i, const std::vector<lexeme>& list) const {
    // Each lexeme ends with a vocabulary word: most words of a text are none.
    if (s_.vocab_ids[i] == none) return false;
    std::size_t len = 0;
    for (const auto& l : list) {
        if (l.size == 1 ? word_is(i, l) : i > 0 && phrase_at(i - 1, l, len)) return true;
    }
    return false;
}

std::pair<unit_word, std::size_t> resolver::unit_word_at(std::size_t i) const {
    const auto& w = s_.words;
    const auto& v = vocab();
    // Most words start no unit word: one look at their vocabulary id says so.
    const auto id = s_.vocab_ids[i];
    if (w.words[i].digits || id == none || !v.starts_unit_word[id]) return {unit_word::none, 0};
    for (const auto& def : v.unit_words) {
        std::size_t len = 0;
        if (def.abbreviation) {
            if (id != def.words.id[0]) continue;
            len = 1;
        } else {
            if (!phrase_at(i, def.words, len)) continue;
            // In a text written with diacritics, "xa" is "far" and "quan" is
            // "official": only the marked spelling is the unit word.
            if (text_marked_ && !w.words[i].marked) continue;
        }
        return {def.kind, len};
    }
    return {unit_word::none, 0};
}

constexpr std::uint8_t bit(level l) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(l)); }

// The kinds of name `compatible(u, r)` may accept, as name_index::kinds bits.
std::uint8_t kinds_for(unit_word u) {
    switch (u) {
    case unit_word::xa: case unit_word::phuong: case unit_word::thi_tran: case unit_word::dac_khu:
        return bit(level::commune) | bit(level::legacy_commune);
    case unit_word::huyen: case unit_word::quan: case unit_word::thi_xa:
        return bit(level::legacy_district);
    case unit_word::city:
        return bit(level::legacy_district) | bit(level::province) | bit(level::legacy_province);
    case unit_word::tinh:
        return bit(level::province) | bit(level::legacy_province);
    case unit_word::none:
        break;
    }
    return 0xFF;
}

bool resolver::compatible(unit_word u, const name_ref& r) const {
    switch (u) {
    case unit_word::xa: case unit_word::phuong: case unit_word::thi_tran: case unit_word::dac_khu:
        return r.kind == level::commune || r.kind == level::legacy_commune;
    case unit_word::huyen: case unit_word::quan: case unit_word::thi_xa:
        return r.kind == level::legacy_district;
    case unit_word::city:
        if (r.kind == level::legacy_district) return true;
        if (r.kind == level::province) return d_.province_types[r.index] == unit_type::thanh_pho;
        if (r.kind == level::legacy_province) return d_.legacy_provinces[r.index].type == unit_type::thanh_pho;
        return false;
    case unit_word::tinh:
        return r.kind == level::province || r.kind == level::legacy_province;
    case unit_word::none:
        return true;
    }
    return false;
}

void resolver::find_mentions() {
    const auto& w = s_.words;
    const auto& names = d_.names;
    auto& ms = s_.mentions;
    ms.clear();
    const std::size_t n = std::min<std::size_t>(w.size(), 0xFFF0);
    const auto& ids = s_.ids;
    // Every walk down the name index from a word: the node after each word
    // of the names starting there, as far as the words can be one name. The
    // context marks, the typed names and the bare names below all walk from
    // the same words; each walk is done once, here.
    const std::size_t width = names.max_words();
    auto& path = s_.path;  // path[i * width + k]: the node reached by words [i, i + k]
    auto& path_len = s_.path_len;
    path.resize(n * width);
    path_len.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t node = 0;
        std::size_t k = 0;
        for (std::size_t j = i; j < n && k < width; ++j, ++k) {
            if (j > i && !within_name(w.words[j].before)) break;
            if (ids[j] == none || (node = names.child(node, ids[j])) == none) break;
            path[i * width + k] = node;
        }
        path_len[i] = static_cast<std::uint16_t>(k);
    }
    // Per word: the unit word starting there, and whether a province or
    // district name starts there (what may follow the end of a name).
    auto& units = s_.units;
    units.assign(n, {unit_word::none, 0});
    for (std::size_t i = 0; i < n; ++i) units[i] = unit_word_at(i);
    auto& context_at = s_.context_at;
    context_at.assign(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
        bool dashed = false;
        for (std::size_t k = 0; k < path_len[i]; ++k) {
            const std::size_t j = i + k;
            dashed = dashed || (j > i && w.words[j].before == gap::dash);
            // A province, or a district of two words or more; across a dash
            // only a name written with one.
            const std::uint8_t wanted =
                bit(level::province) | bit(level::legacy_province) | (j > i ? bit(level::legacy_district) : 0);
            if (names.kinds(path[i * width + k], dashed) & wanted) context_at[i] = 1;
        }
    }
    // A unit word followed by a name it can announce.
    for (std::size_t i = 0; i < n; ++i) {
        const auto [uw, len] = units[i];
        if (uw == unit_word::none || i + len >= n || ends_part(w.words[i + len].before)) continue;
        const std::size_t b = i + len;
        for (std::size_t k = 0; k < path_len[b]; ++k) {
            if (!(names.kinds(path[b * width + k], false) & kinds_for(uw))) continue;
            const auto& refs = names.refs(path[b * width + k]);
            if (std::any_of(refs.begin(), refs.end(), [&](const name_ref& r) { return compatible(uw, r); })) {
                context_at[i] = 1;
                break;
            }
        }
    }
    // A name may end at `e` cleanly: the text ends or a part of it does, or
    // a unit with or without its unit word follows. "xa chi lang bac ninh"
    // is xã Chi Lăng, Bắc Ninh, not xã Chi Lăng Bắc.
    const auto clean_end = [&](std::size_t e) { return e >= n || ends_part(w.words[e].before) || context_at[e]; };
    // The names starting at `b` that `keep` accepts (`kinds`: the kinds of
    // name it may accept): the longest that ends cleanly, else the longest.
    const auto longest = [&](std::size_t b, std::uint8_t kinds, auto keep, std::size_t& end) {
        std::uint32_t best = none, best_clean = none;
        std::size_t best_end = 0, clean_end_at = 0;
        bool dashed = false;
        for (std::size_t k = 0; k < path_len[b]; ++k) {
            const std::size_t j = b + k;
            const auto node = path[b * width + k];
            dashed = dashed || (j > b && w.words[j].before == gap::dash);
            // Across a dash only names written with one: "Thanh Hà - Thanh Hà"
            // does not contain xã Hà Thanh.
            if (!(names.kinds(node, dashed) & kinds)) continue;
            const auto& refs = names.refs(node);
            const auto fits = [&](const name_ref& r) { return (!dashed || r.dashed) && keep(r); };
            if (!std::any_of(refs.begin(), refs.end(), fits)) continue;
            best = node;
            best_end = j + 1;
            if (clean_end(j + 1)) {
                best_clean = node;
                clean_end_at = j + 1;
            }
        }
        if (best_clean != none) {
            end = clean_end_at;
            return best_clean;
        }
        end = best_end;
        return best;
    };
    std::size_t skip_until = 0;  // inside a two-word unit word or a typed name
    for (std::size_t i = 0; i < n; ++i) {
        // Typed: a unit word, then a name of a unit it can announce.
        const auto [uw, len] = units[i];
        if (i >= skip_until && uw != unit_word::none && i + len < n) {
            const std::size_t b = i + len;
            const gap g = w.words[b].before;
            const bool abbreviation = w.fold(i).size() <= 2;
            skip_until = i + len;
            if (g != gap::clause && (g != gap::none || abbreviation)) {
                std::size_t end = 0;
                const auto node =
                    longest(b, kinds_for(uw), [&](const name_ref& r) { return compatible(uw, r); }, end);
                if (node != none) {
                    mention m;
                    m.start = static_cast<std::uint16_t>(i);
                    m.begin = static_cast<std::uint16_t>(b);
                    m.end = static_cast<std::uint16_t>(end);
                    m.unit = uw;
                    m.node = node;
                    m.accepted = true;
                    m.clean = clean_end(end);
                    m.as = commune_word(uw) ? role::commune : uw == unit_word::tinh ? role::province : role::district;
                    ms.push_back(m);
                    skip_until = end;
                }
            }
        }
        // Bare: a name without a unit word.
        std::size_t end = 0;
        const auto node = longest(i, kinds_for(unit_word::none), [](const name_ref&) { return true; }, end);
        if (node != none) {
            mention m;
            m.start = m.begin = static_cast<std::uint16_t>(i);
            m.end = static_cast<std::uint16_t>(end);
            m.node = node;
            m.clean = clean_end(end);
            ms.push_back(m);
        }
    }
    for (auto& m : ms)
        for (std::size_t j = m.begin; j < m.end; ++j) m.marked = m.marked || w.words[j].marked;

    // A bare name that overlaps a typed mention is part of it; a bare name
    // inside a longer bare name is part of that one. (Mentions are in the
    // order of their first word, one bare name per word.)
    auto& typed = s_.drop;
    typed.assign(n, 0);
    for (const auto& m : ms)
        if (m.unit != unit_word::none)
            for (std::size_t j = m.start; j < m.end; ++j) typed[j] = 1;
    std::size_t kept = 0, bare_end = 0;
    for (std::size_t a = 0; a < ms.size(); ++a) {
        const auto& m = ms[a];
        if (m.unit == unit_word::none) {
            const bool inside = m.end <= bare_end;
            bare_end = std::max<std::size_t>(bare_end, m.end);
            if (inside || std::any_of(typed.begin() + m.begin, typed.begin() + m.end, [](char c) { return c != 0; }))
                continue;
        }
        ms[kept++] = m;
    }
    ms.resize(kept);
}

bool resolver::accent_matches(const mention& m, std::string_view unit_accent) {
    if (!m.marked) return true;
    const auto& w = s_.words;
    std::size_t pos = 0;
    for (std::size_t j = m.begin; j < m.end; ++j) {
        if (pos > unit_accent.size()) return true;  // a variant with other word splits: no judgement
        auto next = unit_accent.find(' ', pos);
        if (next == std::string_view::npos) next = unit_accent.size();
        const auto uword = unit_accent.substr(pos, next - pos);
        pos = next + 1;
        if (w.words[j].marked && w.acc(j) != uword) return false;
    }
    return true;
}

void resolver::classify_bare() {
    auto& ms = s_.mentions;
    for (auto& m : ms) {
        const auto& refs = d_.names.refs(m.node);
        if (m.unit == unit_word::city) {
            // "thành phố X": a city that is a province, or a former district-level city.
            const bool prov = std::any_of(refs.begin(), refs.end(), [&](const name_ref& r) {
                return (r.kind == level::province || r.kind == level::legacy_province) && compatible(m.unit, r);
            });
            const bool dist = std::any_of(refs.begin(), refs.end(),
                                          [](const name_ref& r) { return r.kind == level::legacy_district; });
            m.as = prov && !dist ? role::province : role::district;  // both: the district role also sets the province
            continue;
        }
        if (m.unit != unit_word::none) continue;
        const std::size_t words = m.end - m.begin;
        bool prov = false, dist = false, comm = false;
        for (const auto& r : refs) {
            switch (r.kind) {
            case level::province:
                // "Huế" alone: one word, so it must be written as the province is.
                if (r.alias || accent_matches(m, d_.province_accents[r.index])) prov = true;
                break;
            case level::legacy_province:
                if (r.alias || (words > 1 && accent_matches(m, d_.legacy_province_accents[r.index]))) prov = true;
                break;
            case level::legacy_district:
                dist = dist || (words > 1 && accent_matches(m, d_.legacy_district_accents[r.index]));
                break;
            case level::commune:
                comm = comm || (words > 1 && accent_matches(m, d_.commune_accents[r.index]));
                break;
            case level::legacy_commune:
                comm = comm || (words > 1 && accent_matches(m, d_.legacy_commune_accents[r.index]));
                break;
            }
        }
        m.as = prov ? role::province : dist ? role::district : comm ? role::commune : role::none;
        m.also_commune = m.as == role::district && comm;
        if (!prov) continue;
        // What the name is read as depends on the mention right after it.
        auto next = ms.begin() + (&m - ms.data()) + 1;
        while (next != ms.end() && next->start < m.end) ++next;
        if (next == ms.end() || next->start > m.end + 2) continue;
        const auto& nrefs = d_.names.refs(next->node);
        const bool next_province = next->unit == unit_word::tinh ||
                                   (next->unit == unit_word::none &&
                                    std::any_of(nrefs.begin(), nrefs.end(), [](const name_ref& r) {
                                        return r.kind == level::province || r.kind == level::legacy_province;
                                    }));
        const bool next_district =
            next->unit == unit_word::huyen || next->unit == unit_word::quan || next->unit == unit_word::thi_xa ||
            next->unit == unit_word::city ||
            (next->unit == unit_word::none && !next_province &&
             std::any_of(nrefs.begin(), nrefs.end(), [](const name_ref& r) { return r.kind == level::legacy_district; }));
        // Addresses go from the smallest unit to the largest: a province's
        // name right before a district is a commune's ("Hòa Bình, Hữu Lũng"),
        // and right before a province a city's ("Thái Nguyên, Thái Nguyên").
        if (comm && next_district) m.as = role::commune;
        else if (dist && next_province) {
            m.as = role::district;
            m.also_commune = comm;
        }
    }
}

void resolver::gather_provinces(const location_query& q) {
    provinces_.clear();
    old_provinces_.clear();
    province_note_.clear();
    for (const auto code : {q.province_code, q.unit_code})
        if (const auto p = code.empty() ? none : d_.province_index(code); p != none) {
            insert_sorted(provinces_, p);
            if (province_note_.empty()) province_note_ = fmt::format("province code {}", code);
        }
    for (const auto& m : s_.mentions) {
        if (m.as != role::province || !m.accepted) continue;
        const auto& refs = d_.names.refs(m.node);
        bool current = false;
        for (const auto& r : refs)
            if (r.kind == level::province && compatible(m.unit, r)) {
                insert_sorted(provinces_, r.index);
                current = true;
                if (province_note_.empty())
                    province_note_ =
                        fmt::format("{} {}", type_text(d_.province_types[r.index]), d_.provinces[r.index].name);
            }
        if (current) continue;  // "An Giang" is the current province, not the former one
        for (const auto& r : refs)
            if (r.kind == level::legacy_province && compatible(m.unit, r)) {
                const auto& lp = d_.legacy_provinces[r.index];
                insert_sorted(old_provinces_, r.index);
                for (const auto p : lp.new_provinces) insert_sorted(provinces_, p);
                if (province_note_.empty() && !lp.new_provinces.empty())
                    province_note_ = fmt::format("old {} {} -> {}", type_text(lp.type), lp.name,
                                                 d_.provinces[lp.new_provinces.front()].name);
            }
    }
}

void resolver::gather_districts() {
    districts_.clear();
    district_at_.clear();
    s_.typed_districts.clear();
    auto& cand = s_.set_a;
    for (const auto& m : s_.mentions) {
        if (m.as != role::district || !m.accepted) continue;
        cand.clear();
        for (const auto& r : d_.names.refs(m.node))
            if (r.kind == level::legacy_district) cand.push_back(r.index);
        if (cand.empty()) continue;
        if (m.unit != unit_word::none) {
            const auto t = type_of(m.unit);
            prefer(cand, [&](std::uint32_t x) { return d_.legacy_districts[x].type == t; });
        }
        if (!provinces_.empty()) {
            const auto in_named = [&](std::uint32_t x) {
                return intersects(d_.legacy_districts[x].new_provinces, provinces_);
            };
            if (m.unit == unit_word::none) std::erase_if(cand, [&](std::uint32_t x) { return !in_named(x); });
            else prefer(cand, in_named);
            if (!old_provinces_.empty())
                prefer(cand,
                       [&](std::uint32_t x) { return contains(old_provinces_, d_.legacy_districts[x].province); });
        } else if (home_ != none) {
            prefer(cand, [&](std::uint32_t x) { return contains(d_.legacy_districts[x].new_provinces, home_); });
        }
        for (const auto x : cand) {
            insert_sorted(districts_, x);
            district_at_.push_back({m.start, x});
            if (m.unit != unit_word::none) insert_sorted(s_.typed_districts, x);
        }
    }
    // A district written with its unit word in another province than the
    // one named ("Thanh Hóa ... thành phố Lạng Sơn") names its province too.
    if (!provinces_.empty())
        for (const auto x : s_.typed_districts)
            for (const auto p : d_.legacy_districts[x].new_provinces) insert_sorted(provinces_, p);
}

void resolver::accept_bare() {
    const auto& w = s_.words;
    const auto& v = vocab();
    auto& ms = s_.mentions;
    const bool short_text = w.size() <= 6;
    // Words that belong to a name or a unit word: "Bạch Đằng" ends with
    // "đằng", which is not the surname Đặng before "Cao Bằng".
    auto& covered = s_.drop;
    covered.assign(w.size(), 0);
    for (const auto& m : ms)
        if (m.unit != unit_word::none || m.as != role::none)
            for (std::size_t j = m.start; j < m.end; ++j) covered[j] = 1;
    for (std::size_t k = 0; k < ms.size(); ++k) {
        auto& m = ms[k];
        if (m.unit != unit_word::none || m.as == role::none) continue;
        const bool first = m.begin == 0;
        const gap g = w.words[m.begin].before;
        const bool clause_start = first || ends_part(g);
        const bool after_word = !first && !clause_start && !covered[m.begin - 1];
        const bool blocked = after_word && (any_word(m.begin - 1, v.village) || any_word(m.begin - 1, v.person));
        const bool locative = after_word && any_word(m.begin - 1, v.locative);
        // A name that is a whole clause: ", Kỳ Lừa," (not "Hải Yến bị ...", a person).
        const bool alone = clause_start && (m.end >= w.size() || ends_part(w.words[m.end].before));
        bool context_after = false;
        for (std::size_t o = k + 1; o < ms.size(); ++o) {
            const auto& n2 = ms[o];
            if (n2.start < m.end) continue;
            if (n2.start > m.end + 1) break;
            if (n2.as == role::province || n2.as == role::district) context_after = true;
        }
        // The same words as a common phrase: the same vocabulary ids.
        const std::size_t size = m.end - m.begin;
        const auto* first_id = s_.vocab_ids.data() + m.begin;
        const bool common = std::any_of(v.common_phrases.begin(), v.common_phrases.end(), [&](const auto& p) {
            return p.size() == size && p.front() == *first_id && std::equal(p.begin(), p.end(), first_id);
        });
        if (blocked) {
            m.accepted = false;
        } else if (common) {
            m.accepted = locative || context_after || (m.as != role::commune && (short_text || alone));
        } else if (m.as == role::province) {
            m.accepted = true;
        } else if (m.as == role::district) {
            m.accepted = locative || context_after || clause_start || short_text;
        } else {
            m.accepted = locative || context_after || short_text || alone;
        }
    }
    // Where someone comes from is not where it happens.
    const auto is = [&](std::size_t i, const lexeme& l) { return word_is(i, l); };
    for (auto& m : ms) {
        if (m.as != role::province && m.as != role::district) continue;
        if (m.start == 0 || w.words[m.start].before == gap::clause) continue;
        std::size_t i = m.start - 1;
        const auto& lw = v.locative;
        if (i > 0 && std::any_of(lw.begin(), lw.end(), [&](const lexeme& l) { return is(i, l); }) &&
            w.words[i].before != gap::clause)
            --i;  // "quê ở", "sinh ra tại"
        if (i > 0 && s_.words.fold(i) == "ra") --i;
        if (std::any_of(v.hometown.begin(), v.hometown.end(), [&](const lexeme& l) { return is(i, l); }))
            m.accepted = false;
    }
}

// The hypotheses a commune mention gives, before any filtering.
bool resolver::commune_hyps(const mention& m) {
    auto& hs = s_.hyps;
    hs.clear();
    const bool typed = m.unit != unit_word::none;
    const auto t = typed ? type_of(m.unit) : unit_type::xa;
    for (const auto& r : d_.names.refs(m.node)) {
        if (r.kind == level::commune) {
            hyp h;
            h.commune = r.index;
            h.tier = !typed || d_.communes_info[r.index].type == t ? 0 : 2;
            h.accent_ok = accent_matches(m, d_.commune_accents[r.index]);
            hs.push_back(h);
        } else if (r.kind == level::legacy_commune) {
            const auto& lc = d_.legacy_communes[r.index];
            const bool ok = accent_matches(m, d_.legacy_commune_accents[r.index]);
            for (std::uint32_t k = 0; k < lc.target_count; ++k) {
                hyp h;
                h.commune = d_.targets[lc.first_target + k].commune;
                h.legacy = r.index;
                // Without a unit word there is no type to prefer the current unit by.
                h.tier = !typed ? 0 : lc.type == t ? 1 : 3;
                h.partial = lc.partial;
                h.accent_ok = ok;
                hs.push_back(h);
            }
        }
    }
    // A bare name written with diacritics must be written as the unit is:
    // "đường Quang Trung" does not contain xã Dương Quang.
    if (!typed && m.marked) std::erase_if(hs, [](const hyp& h) { return !h.accent_ok; });
    // One word after a unit word ("xã Kép") is a name only when written with
    // its diacritics, or when the clause ends there: "xa ba me" is "far
    // from the parents".
    if (m.end - m.begin == 1 && !s_.words.words[m.begin].digits) {
        if (s_.words.words[m.begin].marked) std::erase_if(hs, [](const hyp& h) { return !h.accent_ok; });
        else if (!m.clean) hs.clear();
    }
    return !hs.empty();
}

void resolver::filter_hyps(const mention& m) {
    auto& hs = s_.hyps;
    district_confirmed_ = old_province_confirmed_ = home_decided_ = ambiguous_provinces_ = weak_type_ = false;
    district_conflict_ = false;
    // Whether a unit of the type named exists anywhere: then one of another
    // type found only after narrowing to a province is no answer ("xa dong
    // kinh" is xã Đông Kinh in Hà Tĩnh or phường Đông Kinh in Lạng Sơn).
    const bool exact_anywhere = std::any_of(hs.begin(), hs.end(), [](const hyp& h) { return h.tier <= 1; });
    auto& exact = s_.exact;
    exact.clear();
    for (const auto& h : hs)
        if (h.tier <= 1) exact.push_back(h);
    if (!provinces_.empty())
        std::erase_if(hs, [&](const hyp& h) { return !contains(provinces_, commune_province(h.commune)); });
    if (hs.empty()) return;
    const auto old_province_of = [&](const hyp& h) {
        return h.legacy != none ? contains(old_provinces_, d_.legacy_communes[h.legacy].province)
                                : intersects(d_.communes_info[h.commune].old_provinces, old_provinces_);
    };
    if (!old_provinces_.empty() && std::any_of(hs.begin(), hs.end(), old_province_of)) {
        prefer(hs, old_province_of);
        old_province_confirmed_ = true;
    }
    // The district right after the name is its district ("phường 5 quận
    // 10"); a name that is not in it is not decided by the others.
    auto& local = s_.local;
    local.clear();
    const auto first = std::lower_bound(district_at_.begin(), district_at_.end(), m.end,
                                        [](const placed_district& pd, std::size_t at) { return pd.start < at; });
    for (auto it = first; it != district_at_.end() && it->start <= m.end + 2; ++it) insert_sorted(local, it->district);
    // A bare district name read as a commune is not its own district.
    const std::vector<std::uint32_t>* others = &districts_;
    if (m.also_commune) {
        auto& rest = s_.others;
        rest.clear();
        for (const auto& pd : district_at_)
            if (pd.start != m.start) insert_sorted(rest, pd.district);
        others = &rest;
    }
    const auto& ctx = local.empty() ? *others : local;
    const auto in_district = [&](const hyp& h) {
        return h.legacy != none ? contains(ctx, d_.legacy_communes[h.legacy].district)
                                : intersects(d_.communes_info[h.commune].old_districts, ctx);
    };
    if (!ctx.empty() && std::any_of(hs.begin(), hs.end(), in_district)) {
        prefer(hs, in_district);
        district_confirmed_ = true;
    } else if (!local.empty()) {
        district_conflict_ = true;
    }
    // A district's name read as a commune's needs another district to say so.
    if (m.also_commune && !district_confirmed_) {
        hs.clear();
        return;
    }
    if (provinces_.empty() && home_ != none)
        home_decided_ = prefer(hs, [&](const hyp& h) { return commune_province(h.commune) == home_; });
    // Units of the exact type named: when the province is not known and they
    // lie in several provinces, no tier rule may pick one of them.
    if (provinces_.empty()) {
        std::uint32_t first = none;
        for (const auto& h : hs) {
            if (h.tier > 1) continue;
            const auto p = commune_province(h.commune);
            if (first == none) first = p;
            else if (p != first) ambiguous_provinces_ = true;
        }
    }
    std::uint8_t best = 3;
    for (const auto& h : hs) best = std::min(best, h.tier);
    if (!ambiguous_provinces_) std::erase_if(hs, [&](const hyp& h) { return h.tier != best; });
    else std::erase_if(hs, [&](const hyp& h) { return h.tier > 1; });
    if (m.marked) prefer(hs, [](const hyp& h) { return h.accent_ok; });
    weak_type_ = best >= 2 && (exact_anywhere || (m.marked && std::none_of(hs.begin(), hs.end(), [](const hyp& h) {
                                                       return h.accent_ok;
                                                   })));
    // Undecided between the other type here and the named type elsewhere:
    // both are candidates.
    if (weak_type_ && exact_anywhere) hs.insert(hs.end(), exact.begin(), exact.end());
}

void resolver::set_province_from(const std::vector<std::uint32_t>& communes, location_result& r) const {
    std::uint32_t p = none;
    for (const auto c : communes) {
        const auto cp = commune_province(c);
        if (p == none) p = cp;
        else if (p != cp) return;
    }
    if (p != none) r.province_code = d_.provinces[p].code;
}

location_result resolver::decide_commune(std::uint32_t c, double confidence, std::string matched) const {
    location_result r;
    r.commune_code = d_.communes[c].code;
    r.province_code = d_.provinces[commune_province(c)].code;
    r.confidence = std::clamp(confidence, 0.5, 1.0);
    r.matched = std::move(matched);
    return r;
}

std::string resolver::describe(const hyp& h) const {
    if (h.legacy == none) {
        const auto& c = d_.communes[h.commune];
        return fmt::format("{} {} -> {}", c.type, c.name, c.code);
    }
    const auto& lc = d_.legacy_communes[h.legacy];
    const auto& ld = d_.legacy_districts[lc.district];
    return fmt::format("old {} {} ({} {})", type_text(lc.type), lc.name, type_text(ld.type), ld.name);
}

location_result resolver::run(const location_query& q) {
    location_result r;
    auto& w = s_.words;
    detail::split_words(q.text, w);
    const auto& vocabulary_words = vocab().words;
    s_.ids.resize(w.size());
    s_.vocab_ids.resize(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
        const auto f = w.fold(i);
        s_.ids[i] = d_.names.word_id(f);
        s_.vocab_ids[i] = vocabulary_words.find(f);
    }
    std::size_t letters = 0, marked = 0;
    for (const auto& x : w.words) {
        letters += !x.digits;
        marked += x.marked;
    }
    text_marked_ = marked >= 2 && marked * 4 >= letters;

    find_mentions();
    classify_bare();
    // Bare provinces are accepted unless they follow a person's title; the
    // other bare names need the context around them.
    accept_bare();
    gather_provinces(q);
    gather_districts();

    // Communes: typed mentions first; bare names only when no typed one works.
    auto& result_set = s_.set_a;
    result_set.clear();
    auto& this_set = s_.set_b;
    const mention* decided_by = nullptr;
    hyp decided_hyp;
    bool any_set = false, all_confirmed = true, any_home = false, any_ambiguous = false, any_weak = false,
         any_partial = false, any_bare = false, multiple = false;
    std::uint8_t worst_tier = 0;
    for (int pass = 0; pass < 2 && !any_set; ++pass) {
        for (const auto& m : s_.mentions) {
            if ((m.as != role::commune && !m.also_commune) || !m.accepted) continue;
            if ((pass == 0) != (m.unit != unit_word::none)) continue;
            if (!commune_hyps(m)) continue;
            filter_hyps(m);
            if (s_.hyps.empty()) continue;
            this_set.clear();
            for (const auto& h : s_.hyps) insert_sorted(this_set, h.commune);
            if (!any_set) {
                result_set = this_set;
                any_set = true;
            } else {
                multiple = true;
                auto& both = s_.set_c;
                both.clear();
                std::set_intersection(result_set.begin(), result_set.end(), this_set.begin(), this_set.end(),
                                      std::back_inserter(both));
                if (both.empty()) {
                    // Two places that do not meet: undecided, all of them possible.
                    auto& all = s_.set_c;  // the empty intersection's room
                    std::set_union(result_set.begin(), result_set.end(), this_set.begin(), this_set.end(),
                                   std::back_inserter(all));
                    result_set.swap(all);
                    any_ambiguous = true;
                } else {
                    result_set.swap(both);
                }
            }
            const bool confirmed = district_confirmed_ || old_province_confirmed_ || !provinces_.empty();
            all_confirmed = all_confirmed && confirmed;
            any_home = any_home || home_decided_;
            any_ambiguous = any_ambiguous || ambiguous_provinces_;
            any_weak = any_weak || weak_type_ || district_conflict_;
            any_bare = any_bare || m.unit == unit_word::none;
            for (const auto& h : s_.hyps) {
                any_partial = any_partial || h.partial;
                worst_tier = std::max(worst_tier, h.tier);
            }
            if (!decided_by) {
                decided_by = &m;
                decided_hyp = s_.hyps.front();
            }
            for (const auto& h : s_.hyps)
                if (result_set.size() == 1 && h.commune == result_set.front()) {
                    decided_hyp = h;
                    decided_by = &m;
                }
        }
    }

    if (any_set) {
        // A bare name decides only with something around it that confirms it.
        const bool bare_unconfirmed =
            any_bare && !all_confirmed && (home_ == none || commune_province(result_set.front()) != home_);
        if (result_set.size() == 1 && !any_ambiguous && !any_weak && !bare_unconfirmed) {
            const auto c = result_set.front();
            double conf = decided_hyp.legacy == none ? 0.9 : 0.8;
            if (worst_tier >= 2) conf = 0.6;
            if (any_bare) conf -= 0.15;
            if (multiple && any_partial) conf = std::min(conf, 0.7);
            if (provinces_.empty() && !district_confirmed_ && !old_province_confirmed_) {
                if (any_home) conf -= 0.15;
                else if (commune_province(c) != home_) conf -= 0.1;
            }
            std::string matched = decided_by ? describe(decided_hyp) : std::string();
            if (decided_hyp.legacy != none) matched += fmt::format(" -> {}", d_.communes[c].code);
            return decide_commune(c, conf, std::move(matched));
        }
        r.candidates.reserve(result_set.size());
        for (const auto c : result_set) r.candidates.push_back(d_.communes[c].code);
        set_province_from(result_set, r);
        if (!r.province_code && provinces_.size() == 1) r.province_code = d_.provinces[provinces_.front()].code;
        r.confidence = 0.3;
        if (decided_by) {
            r.matched = describe(decided_hyp);
            if (decided_hyp.partial && !multiple) r.matched += ": split among several communes";
            else r.matched += ": several communes possible";
        }
        return r;
    }

    // No commune: a former district, then a province.
    if (!districts_.empty()) {
        auto& all = s_.set_b;
        all.clear();
        for (const auto x : districts_)
            for (const auto c : d_.legacy_districts[x].new_communes)
                if (provinces_.empty() || contains(provinces_, commune_province(c))) insert_sorted(all, c);
        if (districts_.size() == 1 && d_.legacy_districts[districts_.front()].whole && all.size() == 1) {
            const auto& ld = d_.legacy_districts[districts_.front()];
            return decide_commune(
                all.front(), 0.8,
                fmt::format("old {} {} -> {}", type_text(ld.type), ld.name, d_.communes[all.front()].code));
        }
        for (const auto c : all) r.candidates.push_back(d_.communes[c].code);
        set_province_from(all, r);
        if (!r.province_code && provinces_.size() == 1) r.province_code = d_.provinces[provinces_.front()].code;
        const auto& ld = d_.legacy_districts[districts_.front()];
        r.matched = fmt::format("old {} {}: several communes", type_text(ld.type), ld.name);
        r.confidence = r.province_code ? 0.4 : 0.2;
        return r;
    }
    if (provinces_.size() == 1) {
        r.province_code = d_.provinces[provinces_.front()].code;
        r.matched = province_note_;
        r.confidence = 0.4;
    }
    return r;
}

}  // namespace

locator::locator(const unit_catalog& units, std::string_view home_province)
    : units_(units), home_(home_province) {}

location_result locator::locate(const location_query& q) const {
    const detail::catalog_data& d = *units_.data_;
    if (!q.unit_code.empty()) {
        if (const auto c = d.commune_index(q.unit_code); c != none) {
            location_result r;
            r.commune_code = d.communes[c].code;
            r.province_code = d.provinces[d.communes_info[c].province].code;
            r.confidence = 1;
            r.matched = fmt::format("code {}", d.communes[c].code);
            return r;
        }
    }
    resolver res(d, home_.empty() ? none : d.province_index(home_), local_scratch());
    return res.run(q);
}

}  // namespace hotline::routing
