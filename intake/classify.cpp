#include "intake/classify.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <toml++/toml.h>

#include "intake/detail/tokenize.hpp"

namespace hotline::intake {

// ---- enums -----------------------------------------------------------------

std::string_view to_string(urgency u) noexcept {
    switch (u) {
    case urgency::emergency: return "emergency";
    case urgency::high: return "high";
    case urgency::normal: return "normal";
    case urgency::low: return "low";
    }
    return "normal";
}

std::optional<urgency> parse_urgency(std::string_view s) noexcept {
    if (s == "emergency") return urgency::emergency;
    if (s == "high") return urgency::high;
    if (s == "normal") return urgency::normal;
    if (s == "low") return urgency::low;
    return std::nullopt;
}

std::string_view to_string(legal_track t) noexcept {
    switch (t) {
    case legal_track::emergency_12h: return "emergency_12h";
    case legal_track::standard_5wd: return "standard_5wd";
    case legal_track::none: return "none";
    }
    return "none";
}

std::optional<legal_track> parse_legal_track(std::string_view s) noexcept {
    if (s == "emergency_12h") return legal_track::emergency_12h;
    if (s == "standard_5wd") return legal_track::standard_5wd;
    if (s == "none") return legal_track::none;
    return std::nullopt;
}

// ---- lexicon data ------------------------------------------------------------

namespace {

constexpr std::size_t n_categories = std::size(category_labels);

// Internal urgency rank: larger is more urgent.
enum : std::int8_t { r_unset = -1, r_low = 0, r_normal = 1, r_high = 2, r_emergency = 3 };

std::int8_t rank_of(urgency u) {
    switch (u) {
    case urgency::emergency: return r_emergency;
    case urgency::high: return r_high;
    case urgency::normal: return r_normal;
    case urgency::low: return r_low;
    }
    return r_normal;
}

urgency urgency_of(int r) {
    switch (r) {
    case r_emergency: return urgency::emergency;
    case r_high: return urgency::high;
    case r_low: return urgency::low;
    default: return urgency::normal;
    }
}

enum class family : std::uint8_t { act, severity, time, negation, deescalate, relation, child, nonreport };

constexpr std::pair<std::string_view, family> family_names[] = {
    {"act", family::act},           {"severity", family::severity}, {"time", family::time},
    {"negation", family::negation}, {"deescalate", family::deescalate},
    {"relation", family::relation}, {"child", family::child},       {"nonreport", family::nonreport},
};

enum class time_kind : std::uint8_t { none, now, just, habitual, past, safe, neutral };

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Built-in SMS spellings and teen code (folded side); the lexicon's
// [normalise] table adds to and overrides these.
constexpr std::pair<std::string_view, std::string_view> builtin_rewrites[] = {
    {"ko", "khong"},   {"k", "khong"},   {"kh", "khong"},  {"hok", "khong"}, {"hong", "khong"},
    {"khg", "khong"},  {"kg", "khong"},  {"dc", "duoc"},   {"dk", "duoc"},   {"bj", "bao gio"},
    {"j", "gi"},       {"ng", "nguoi"},  {"tr", "troi"},   {"e", "em"},      {"a", "anh"},
    {"vs", "voi"},     {"wa", "qua"},    {"r", "roi"},     {"ck", "chong"},  {"vk", "vo"},
    {"bme", "bo me"},  {"bm", "bo me"},  {"mn", "moi nguoi"}, {"mng", "moi nguoi"},
    {"ns", "noi"},     {"bt", "biet"},   {"bik", "biet"},  {"h", "gio"},     {"cj", "chi"},
    {"trc", "truoc"},  {"ntn", "nhu the nao"}, {"sn", "sinh nhat"}, {"nc", "nuoc"},
    {"ik", "di"},      {"ak", "a"},      {"oy", "roi"},    {"rui", "roi"},   {"lun", "luon"},
    {"bn", "bao nhieu"}, {"cx", "cung"}, {"cg", "cung"},   {"zay", "vay"},   {"z", "vay"},
    {"wen", "quen"},   {"thik", "thich"}, {"hem", "khong"}, {"hk", "khong"}, {"kô", "khong"},
};

}  // namespace

namespace {
struct lex_data {
    struct entry {
        std::string id;
        family fam = family::act;
        std::array<float, n_categories> weights{};
        std::int8_t level = r_unset, now = r_unset, just = r_unset, habitual = r_unset, past = r_unset,
                    floor = r_unset;
        time_kind kind = time_kind::none;
        bool caregiver = false;
        bool needs_child = false;
        int needs_category = -1;
        int scope = 3;
    };
    struct phrase {
        std::vector<std::string> tokens;
        bool folded = false;  // written without diacritics: matches the folded form
        std::uint32_t entry = 0;
    };
    std::vector<entry> entries;
    std::vector<phrase> phrases;
    std::vector<std::pair<std::string, std::vector<std::string>>> rewrites;  // folded token -> tokens
    double category_threshold = 1.0;
    std::vector<std::string> clause_words;  // folded; end a negation's scope ("nhưng", "but")
};
using lexdata = lex_data;
}  // namespace

struct lexicon::data : lex_data {};

namespace {

std::vector<std::string> split_spaces(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        std::size_t j = i;
        while (j < s.size() && s[j] != ' ') ++j;
        if (j > i) out.emplace_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

struct rewrite_map {
    std::unordered_map<std::string, std::vector<std::string>, string_hash, std::equal_to<>> map;
    void add(std::string_view from, std::string_view to) { map[std::string(from)] = split_spaces(to); }
    const std::vector<std::string>* find(std::string_view s) const {
        auto it = map.find(s);
        return it == map.end() ? nullptr : &it->second;
    }
};

const rewrite_map& builtin_rewrite_map() {
    static const rewrite_map m = [] {
        rewrite_map r;
        for (auto [a, b] : builtin_rewrites) r.add(a, b);
        return r;
    }();
    return m;
}

// Folded token sequence of a text, with rewrites applied.
template <class F>
void folded_tokens(const detail::token_buffer& tb, const rewrite_map& rw, F&& emit) {
    for (std::size_t i = 0; i < tb.tokens.size(); ++i) {
        const auto f = tb.fold(i);
        if (const auto* r = rw.find(f)) {
            for (const auto& t : *r) emit(std::string_view(t), i);
        } else {
            emit(f, i);
        }
    }
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string where(std::string_view source, const toml::source_region& r) {
    std::ostringstream o;
    o << source << ':' << r.begin.line << ':' << r.begin.column << ": ";
    return o.str();
}

struct parse_failure {
    std::string message;
};

[[noreturn]] void fail(std::string_view source, const toml::node& n, std::string_view problem) {
    throw parse_failure{where(source, n.source()) + std::string(problem)};
}

std::int8_t parse_level(std::string_view source, const toml::node& n) {
    const auto* s = n.as_string();
    if (!s) fail(source, n, "urgency level must be a string (emergency, high, normal, low)");
    const auto u = parse_urgency(s->get());
    if (!u) fail(source, n, "unknown urgency level \"" + s->get() + "\" (expected emergency, high, normal, low)");
    return rank_of(*u);
}

int category_index(std::string_view name) {
    for (std::size_t i = 0; i < n_categories; ++i)
        if (category_labels[i] == name) return static_cast<int>(i);
    return -1;
}

void parse_entry(std::string_view source, family fam, const toml::table& t, lexdata& d) {
    lexdata::entry e;
    e.fam = fam;
    bool has_phrases = false;
    std::vector<std::pair<std::string, const toml::node*>> phrases;
    for (const auto& [key, node] : t) {
        const std::string_view k = key.str();
        if (k == "id") {
            const auto* s = node.as_string();
            if (!s || s->get().empty()) fail(source, node, "id must be a non-empty string");
            e.id = s->get();
        } else if (k == "phrases") {
            const auto* a = node.as_array();
            if (!a || a->empty()) fail(source, node, "phrases must be a non-empty array of strings");
            for (const auto& p : *a) {
                const auto* s = p.as_string();
                if (!s) fail(source, p, "phrase must be a string");
                phrases.emplace_back(s->get(), &p);
            }
            has_phrases = true;
        } else if (k == "categories") {
            const auto* ct = node.as_table();
            if (!ct) fail(source, node, "categories must be a table of category = weight");
            for (const auto& [cn, cw] : *ct) {
                const int ci = category_index(cn.str());
                if (ci < 0) fail(source, cw, "unknown category \"" + std::string(cn.str()) + "\"");
                double w = 0;
                if (const auto* f = cw.as_floating_point()) w = f->get();
                else if (const auto* i = cw.as_integer()) w = static_cast<double>(i->get());
                else fail(source, cw, "weight must be a number");
                if (!(w > 0 && w <= 10)) fail(source, cw, "weight out of range (0, 10]");
                e.weights[static_cast<std::size_t>(ci)] = static_cast<float>(w);
            }
        } else if (k == "level") {
            e.level = parse_level(source, node);
        } else if (k == "now") {
            e.now = parse_level(source, node);
        } else if (k == "just") {
            e.just = parse_level(source, node);
        } else if (k == "habitual") {
            e.habitual = parse_level(source, node);
        } else if (k == "past") {
            e.past = parse_level(source, node);
        } else if (k == "floor") {
            e.floor = parse_level(source, node);
        } else if (k == "kind") {
            const auto* s = node.as_string();
            const std::string v = s ? s->get() : std::string();
            if (v == "now") e.kind = time_kind::now;
            else if (v == "just") e.kind = time_kind::just;
            else if (v == "habitual") e.kind = time_kind::habitual;
            else if (v == "past") e.kind = time_kind::past;
            else if (v == "safe") e.kind = time_kind::safe;
            else if (v == "neutral") e.kind = time_kind::neutral;
            else fail(source, node, "kind must be one of now, just, habitual, past, safe, neutral");
        } else if (k == "caregiver") {
            const auto* b = node.as_boolean();
            if (!b) fail(source, node, "caregiver must be true or false");
            e.caregiver = b->get();
        } else if (k == "needs_child") {
            const auto* b = node.as_boolean();
            if (!b) fail(source, node, "needs_child must be true or false");
            e.needs_child = b->get();
        } else if (k == "needs_category") {
            const auto* s = node.as_string();
            if (!s) fail(source, node, "needs_category must be a category name");
            e.needs_category = category_index(s->get());
            if (e.needs_category < 0) fail(source, node, "unknown category \"" + s->get() + "\"");
        } else if (k == "scope") {
            const auto* i = node.as_integer();
            if (!i || i->get() < 0 || i->get() > 12) fail(source, node, "scope must be an integer from 0 to 12");
            e.scope = static_cast<int>(i->get());
        } else if (k == "note") {
            if (!node.is_string()) fail(source, node, "note must be a string");
        } else {
            fail(source, node, "unknown key \"" + std::string(k) + "\"");
        }
    }
    if (e.id.empty()) fail(source, t, "entry without an id");
    if (!has_phrases) fail(source, t, "entry \"" + e.id + "\" has no phrases");
    if ((fam == family::act || fam == family::severity) && e.level == r_unset)
        fail(source, t, "entry \"" + e.id + "\" needs a level");
    if (fam == family::time && e.kind == time_kind::none)
        fail(source, t, "entry \"" + e.id + "\" needs a kind");
    for (const auto& x : d.entries)
        if (x.id == e.id) fail(source, t, "duplicate id \"" + e.id + "\"");
    const auto idx = static_cast<std::uint32_t>(d.entries.size());
    for (const auto& [text, node] : phrases) {
        detail::token_buffer tb;
        detail::tokenize(text, tb);
        if (tb.tokens.empty()) fail(source, *node, "empty phrase");
        lexdata::phrase p;
        p.entry = idx;
        bool folded = true;
        for (std::size_t i = 0; i < tb.tokens.size(); ++i)
            if (!is_ascii(tb.acc(i))) folded = false;
        p.folded = folded;
        if (folded) {
            // rewrites applied when the classifier is built (they depend on [normalise])
            for (std::size_t i = 0; i < tb.tokens.size(); ++i) p.tokens.emplace_back(tb.fold(i));
        } else {
            for (std::size_t i = 0; i < tb.tokens.size(); ++i) p.tokens.emplace_back(tb.acc(i));
        }
        d.phrases.push_back(std::move(p));
    }
    d.entries.push_back(std::move(e));
}

void parse_table(std::string_view source, const toml::table& root, lexdata& d) {
    for (const auto& [key, node] : root) {
        const std::string_view k = key.str();
        if (k == "meta") {
            const auto* t = node.as_table();
            if (!t) fail(source, node, "meta must be a table");
            for (const auto& [mk, mv] : *t) {
                if (mk.str() == "category_threshold") {
                    double v = 0;
                    if (const auto* f = mv.as_floating_point()) v = f->get();
                    else if (const auto* i = mv.as_integer()) v = static_cast<double>(i->get());
                    else fail(source, mv, "category_threshold must be a number");
                    if (!(v > 0 && v <= 10)) fail(source, mv, "category_threshold out of range (0, 10]");
                    d.category_threshold = v;
                } else if (mk.str() == "clause_words") {
                    const auto* a = mv.as_array();
                    if (!a) fail(source, mv, "clause_words must be an array of words");
                    for (const auto& w : *a) {
                        const auto* ws = w.as_string();
                        detail::token_buffer tb;
                        if (ws) detail::tokenize(ws->get(), tb);
                        if (!ws || tb.tokens.size() != 1) fail(source, w, "a clause word must be a single word");
                        d.clause_words.emplace_back(tb.fold(0));
                    }
                } else if (mk.str() == "version" || mk.str() == "language" || mk.str() == "note") {
                    // informational
                } else {
                    fail(source, mv, "unknown key \"" + std::string(mk.str()) + "\" in meta");
                }
            }
            continue;
        }
        if (k == "normalise" || k == "normalize") {
            const auto* t = node.as_table();
            if (!t) fail(source, node, "normalise must be a table of spelling = \"replacement\"");
            for (const auto& [from, to] : *t) {
                const auto* s = to.as_string();
                if (!s || s->get().empty()) fail(source, to, "replacement must be a non-empty string");
                detail::token_buffer a, b;
                detail::tokenize(from.str(), a);
                detail::tokenize(s->get(), b);
                if (a.tokens.size() != 1) fail(source, to, "a spelling to rewrite must be a single token");
                if (b.tokens.empty()) fail(source, to, "replacement has no letters");
                std::vector<std::string> toks;
                for (std::size_t i = 0; i < b.tokens.size(); ++i) toks.emplace_back(b.fold(i));
                d.rewrites.emplace_back(std::string(a.fold(0)), std::move(toks));
            }
            continue;
        }
        bool known = false;
        for (auto [name, fam] : family_names) {
            if (k != name) continue;
            known = true;
            const auto* arr = node.as_array();
            if (!arr) fail(source, node, std::string(k) + " must be an array of tables ([[" + std::string(k) + "]])");
            for (const auto& item : *arr) {
                const auto* t = item.as_table();
                if (!t) fail(source, item, "entry must be a table");
                parse_entry(source, fam, *t, d);
            }
        }
        if (!known) fail(source, node, "unknown section \"" + std::string(k) + "\"");
    }
}

}  // namespace

lexicon::lexicon(std::unique_ptr<data> d) : data_(std::move(d)) {}
lexicon::~lexicon() = default;
lexicon::lexicon(lexicon&&) noexcept = default;
lexicon& lexicon::operator=(lexicon&&) noexcept = default;

std::size_t lexicon::phrase_count() const noexcept { return data_ ? data_->phrases.size() : 0; }

result<lexicon> lexicon::parse(std::string_view toml_text, std::string_view source_name) {
    auto d = std::make_unique<data>();
    try {
        toml::table root = toml::parse(toml_text, source_name);
        parse_table(source_name, root, *d);
    } catch (const toml::parse_error& e) {
        std::ostringstream o;
        o << source_name << ':' << e.source().begin.line << ':' << e.source().begin.column << ": "
          << e.description();
        return make_error("invalid_lexicon", o.str());
    } catch (const parse_failure& f) {
        return make_error("invalid_lexicon", f.message);
    }
    if (d->phrases.empty()) return make_error("invalid_lexicon", std::string(source_name) + ":1:1: no phrases");
    return lexicon(std::move(d));
}

// ---- classifier --------------------------------------------------------------

struct classifier::impl {
    using entry = lexdata::entry;
    std::vector<entry> entries;

    // Token ids: accented vocabulary and folded vocabulary (folded maps a
    // token string to one or more ids, after rewrites).
    std::unordered_map<std::string, std::int32_t, string_hash, std::equal_to<>> acc_vocab;
    std::unordered_map<std::string, std::int32_t, string_hash, std::equal_to<>> fold_vocab;
    rewrite_map rewrites;

    struct trie {
        std::unordered_map<std::uint64_t, std::uint32_t> edges;
        std::vector<std::uint32_t> root;                     // children of the root, by token id
        std::vector<std::vector<std::uint32_t>> outputs{1};  // per node: entries ending here
        // Below the root, each node's children as one sorted run of a flat
        // array: nodes have a handful of children, so a short scan of
        // contiguous memory beats hashing a 64-bit key per step.
        std::vector<std::pair<std::int32_t, std::uint32_t>> kids;  // (token id, child node)
        // `outputs` again as one array (per node, a run of out_entries), so
        // that the matcher touches one contiguous block, not a vector per node.
        std::vector<std::uint32_t> out_entries;
        // Per node, where its children and its entries are: one 16-byte
        // record, so that a step of the walk reads one place, not two tables.
        struct node_runs {
            std::uint32_t kids_begin = 0, kids_end = 0;  // in kids
            std::uint32_t out_begin = 0, out_end = 0;    // in out_entries
        };
        std::vector<node_runs> nodes;
        void finish(std::size_t vocab_size) {
            root.assign(vocab_size, 0);
            std::vector<std::pair<std::uint64_t, std::uint32_t>> sorted;
            for (const auto& [k, v] : edges) {
                if ((k >> 32) == 0) root[static_cast<std::uint32_t>(k)] = v;
                else sorted.emplace_back(k, v);
            }
            std::sort(sorted.begin(), sorted.end());
            // Sorted by (parent, token id): each node's children are one run.
            nodes.assign(outputs.size(), node_runs{});
            kids.clear();
            kids.reserve(sorted.size());
            for (const auto& [k, v] : sorted) {
                auto& parent = nodes[static_cast<std::size_t>(k >> 32)];
                if (parent.kids_begin == parent.kids_end) parent.kids_begin = static_cast<std::uint32_t>(kids.size());
                kids.emplace_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(k)), v);
                parent.kids_end = static_cast<std::uint32_t>(kids.size());
            }
            out_entries.clear();
            for (std::size_t i = 0; i < outputs.size(); ++i) {
                nodes[i].out_begin = static_cast<std::uint32_t>(out_entries.size());
                out_entries.insert(out_entries.end(), outputs[i].begin(), outputs[i].end());
                nodes[i].out_end = static_cast<std::uint32_t>(out_entries.size());
            }
        }
        // The entries ending at `node`, from the flat copy of `outputs`.
        std::span<const std::uint32_t> ending_at(const node_runs& n) const {
            return {out_entries.data() + n.out_begin, n.out_end - n.out_begin};
        }
        // The child of the root for token `tok` (0: none).
        std::uint32_t first_step(std::int32_t tok) const {
            return static_cast<std::size_t>(tok) < root.size() ? root[static_cast<std::size_t>(tok)] : 0;
        }
        // The child of `n` (not the root) for token `tok` (0: none).
        std::uint32_t child(const node_runs& n, std::int32_t tok) const {
            const auto* b = kids.data() + n.kids_begin;
            const auto* e = kids.data() + n.kids_end;
            for (; b != e; ++b) {
                if (b->first == tok) return b->second;
                if (b->first > tok) break;
            }
            return 0;
        }
        void insert(const std::vector<std::int32_t>& toks, std::uint32_t e) {
            std::uint32_t node = 0;
            for (auto t : toks) {
                const auto key = (static_cast<std::uint64_t>(node) << 32) | static_cast<std::uint32_t>(t);
                auto it = edges.find(key);
                if (it == edges.end()) {
                    const auto n = static_cast<std::uint32_t>(outputs.size());
                    outputs.emplace_back();
                    edges.emplace(key, n);
                    node = n;
                } else {
                    node = it->second;
                }
            }
            auto& o = outputs[node];
            if (std::find(o.begin(), o.end(), e) == o.end()) o.push_back(e);
        }
    };
    trie acc_trie, fold_trie;
    double category_threshold = 1.0;
    std::uint32_t max_len = 1;  // longest phrase, in tokens (after rewrites)
    std::vector<std::string> clause_words;

    std::int32_t intern(std::unordered_map<std::string, std::int32_t, string_hash, std::equal_to<>>& v,
                        const std::string& s) {
        auto it = v.find(s);
        if (it != v.end()) return it->second;
        const auto id = static_cast<std::int32_t>(v.size());
        v.emplace(s, id);
        return id;
    }

    explicit impl(lexdata& d) {
        entries = std::move(d.entries);
        clause_words = std::move(d.clause_words);
        category_threshold = d.category_threshold;
        rewrites = builtin_rewrite_map();
        for (auto& [from, to] : d.rewrites) rewrites.map[from] = to;
        for (const auto& p : d.phrases) {
            std::vector<std::int32_t> ids;
            if (p.folded) {
                for (const auto& t : p.tokens) {
                    if (const auto* r = rewrites.find(t)) {
                        for (const auto& x : *r) ids.push_back(intern(fold_vocab, x));
                    } else {
                        ids.push_back(intern(fold_vocab, t));
                    }
                }
                fold_trie.insert(ids, p.entry);
                max_len = std::max(max_len, static_cast<std::uint32_t>(ids.size()));
            } else {
                for (const auto& t : p.tokens) ids.push_back(intern(acc_vocab, t));
                acc_trie.insert(ids, p.entry);
                max_len = std::max(max_len, static_cast<std::uint32_t>(ids.size()));
            }
        }
        for (const auto& [from, to] : rewrites.map) {
            std::vector<std::int32_t> ids;
            for (const auto& x : to) {
                auto it = fold_vocab.find(x);
                ids.push_back(it == fold_vocab.end() ? -1 : it->second);
            }
            vocab[from].rw = static_cast<std::int32_t>(rewrite_ids.size());
            rewrite_ids.push_back(std::move(ids));
        }
        for (const auto& [k, v] : acc_vocab) vocab[k].acc = v;
        for (const auto& [k, v] : fold_vocab) vocab[k].fold = v;
        // Clause words are folded: classify() reads the flag from the lookup
        // of the token's folded form.
        for (const auto& w : clause_words) vocab[w].clause = true;
        acc_trie.finish(acc_vocab.size());
        fold_trie.finish(fold_vocab.size());
        fast_vocab.build(vocab);
    }

    // One lookup table for both forms: an ASCII token needs one lookup.
    struct vocab_entry {
        std::int32_t acc = -1, fold = -1, rw = -1;
        bool clause = false;  // the folded token is one of clause_words
    };
    std::unordered_map<std::string, vocab_entry, string_hash, std::equal_to<>> vocab;
    std::vector<std::vector<std::int32_t>> rewrite_ids;

    // Read-only copy of `vocab` for classify(): open addressing with a cheap
    // hash over 8-byte chunks. Tokens are a few bytes long, so the
    // general-purpose string hash and node-based buckets cost more than the
    // comparison itself. Three tokens in four are in the vocabulary, so a
    // slot holds what a hit needs (the key's first 8 bytes, its size and its
    // ids) in one cache line; only keys longer than 8 bytes read `keys`.
    //
    // A chunk is one unaligned 8-byte load with the bytes past the key's end
    // masked off: no branching on the key's length, which varies token to
    // token and would be mispredicted. So find() reads up to 7 bytes past
    // the end of the key it is given; the tokenizer's buffers guarantee that
    // (byte_buffer keeps 8 spare bytes after its capacity), and `keys` is
    // padded the same way.
    struct flat_vocab {
        struct slot {
            std::uint64_t head = 0;  // chunk(key, 0)
            std::uint32_t len = 0;   // 0: empty (keys are never empty)
            std::uint32_t off = 0;   // the key in `keys`
            vocab_entry e;
        };
        std::vector<slot> slots;
        std::string keys;
        std::size_t mask = 0;

        // Bytes [at, at + 8) of the `len`-byte key at `p` (at < len), those
        // at or past `len` as zeros. For two keys of the same size, equal
        // chunks mean equal bytes.
        static std::uint64_t chunk(const char* p, std::size_t len, std::size_t at) {
            std::uint64_t v;
            std::memcpy(&v, p + at, 8);
            const std::size_t n = len - at;
            if (n >= 8) return v;
            const std::uint64_t low = (std::uint64_t{1} << (8 * n)) - 1;  // the first n bytes in memory
            return v & (std::endian::native == std::endian::little ? low : ~(~std::uint64_t{0} >> (8 * n)));
        }
        static std::uint64_t mix(std::uint64_t h) {
            h *= 0x9E3779B97F4A7C15ull;
            return h ^ (h >> 32);
        }
        static std::uint64_t hash(const char* p, std::size_t len, std::uint64_t head) {
            std::uint64_t h = mix(head ^ (len * 0xFF51AFD7ED558CCDull));
            for (std::size_t at = 8; at < len; at += 8) h = mix(h ^ chunk(p, len, at));
            return h;
        }

        void build(const std::unordered_map<std::string, vocab_entry, string_hash, std::equal_to<>>& m) {
            std::size_t cap = 16;
            while (cap < m.size() * 2) cap *= 2;  // load factor at most 1/2: short probes
            slots.assign(cap, slot{});
            mask = cap - 1;
            keys.clear();
            std::vector<std::pair<std::size_t, const std::pair<const std::string, vocab_entry>*>> placed;
            for (const auto& kv : m) {
                if (kv.first.empty()) continue;  // the tokenizer never makes an empty token
                placed.emplace_back(keys.size(), &kv);
                keys += kv.first;
            }
            keys.append(8, '\0');  // the padding chunk() reads past the last key
            for (const auto& [off, kv] : placed) {
                const char* p = keys.data() + off;
                const std::size_t len = kv->first.size();
                const std::uint64_t head = chunk(p, len, 0);
                std::size_t i = hash(p, len, head) & mask;
                while (slots[i].len != 0) i = (i + 1) & mask;
                slots[i] = slot{head, static_cast<std::uint32_t>(len), static_cast<std::uint32_t>(off), kv->second};
            }
        }
        // `s` must be followed by at least 7 readable bytes (see above).
        const vocab_entry* find(std::string_view s) const {
            const char* p = s.data();
            const std::size_t len = s.size();
            const std::uint64_t head = chunk(p, len, 0);
            for (std::size_t i = hash(p, len, head) & mask;; i = (i + 1) & mask) {
                const slot& x = slots[i];
                if (x.len == 0) return nullptr;
                if (x.len != len || x.head != head) continue;
                const char* key = keys.data() + x.off;
                bool same = true;
                for (std::size_t at = 8; at < len && same; at += 8) same = chunk(key, len, at) == chunk(p, len, at);
                if (same) return &x.e;
            }
        }
    };
    flat_vocab fast_vocab;
    // `s` is a token of the scratch token_buffer (its bytes are padded).
    const vocab_entry* lookup(std::string_view s) const { return fast_vocab.find(s); }

    struct match {
        std::uint32_t entry;
        std::uint32_t tb, te;  // original token range [tb, te)
        bool dropped = false;
        bool negated = false;
        family fam = family::act;  // entries[entry].fam, kept here: the overlap scans touch it per pair
    };

    struct scratch {
        detail::token_buffer tb;
        std::vector<std::int32_t> acc_ids;
        std::vector<std::int32_t> fold_ids;
        std::vector<std::uint32_t> fold_orig;
        std::vector<match> matches;
        std::vector<std::uint8_t> seen;       // per entry, reused between calls
        std::vector<std::uint32_t> last_end;  // per entry, reused between calls
        std::vector<const match*> risk_matches;
        std::vector<std::uint8_t> clause;     // per token: its folded form is a clause word
    };

    // Appends the matches of the phrases of `t` that start at position `i` of
    // `ids` (`n` positions), as original token ranges: `orig[k]` is the
    // original token of position k; nullptr when positions are tokens.
    // (Inlined: it runs for every token, twice, and most walks end at once.)
    [[gnu::always_inline]] void walk_from(const trie& t, const std::int32_t* ids, std::size_t n, std::size_t i,
                                          const std::uint32_t* orig, std::vector<match>& out) const {
        if (ids[i] < 0) return;
        const std::uint32_t b = orig ? orig[i] : static_cast<std::uint32_t>(i);
        std::uint32_t node = t.first_step(ids[i]);
        for (std::size_t j = i; node != 0;) {
            const auto& runs = t.nodes[node];
            for (auto e : t.ending_at(runs)) {
                const std::uint32_t en = (orig ? orig[j] : static_cast<std::uint32_t>(j)) + 1;
                out.push_back(match{e, b, en, false, false, entries[e].fam});
            }
            if (++j == n || ids[j] < 0) break;
            node = t.child(runs, ids[j]);
        }
    }

    classification classify(std::string_view text) const;
};

namespace {

bool online_only(const lexdata::entry& e) {
    for (std::size_t c = 0; c + 1 < n_categories; ++c)
        if (e.weights[c] > 0) return false;
    return e.weights[n_categories - 1] > 0;
}

// Child age: a number under 18 followed by an age word.
bool is_age_word(std::string_view f) {
    return f == "tuoi" || f == "t" || f == "yo" || f == "year" || f == "years" || f == "thang" || f == "month" ||
           f == "months";
}

}  // namespace

classification classifier::impl::classify(std::string_view text) const {
    thread_local scratch s;
    auto& tb = s.tb;
    detail::tokenize(text, tb);
    const std::size_t nt = tb.tokens.size();

    s.acc_ids.clear();
    s.fold_ids.clear();
    s.fold_orig.clear();
    s.matches.clear();
    s.acc_ids.reserve(nt);
    s.fold_ids.reserve(nt);
    s.fold_orig.reserve(nt);
    s.clause.resize(nt);
    for (std::size_t i = 0; i < nt; ++i) {
        const vocab_entry* a = lookup(tb.acc(i));
        // An ASCII token's folded form is its accented form: one lookup.
        const vocab_entry* f = tb.tokens[i].ascii ? a : lookup(tb.fold(i));
        s.acc_ids.push_back(a ? a->acc : -1);
        s.clause[i] = f && f->clause;
        if (f && f->rw >= 0) {
            for (auto id : rewrite_ids[static_cast<std::size_t>(f->rw)]) {
                s.fold_ids.push_back(id);
                s.fold_orig.push_back(static_cast<std::uint32_t>(i));
            }
        } else {
            s.fold_ids.push_back(f ? f->fold : -1);
            s.fold_orig.push_back(static_cast<std::uint32_t>(i));
        }
    }
    // Every phrase occurrence, ordered by start, then longer first, then by
    // entry, as the steps below need. Starts are taken in text order (the
    // folded positions of a token are contiguous, as fold_orig never
    // decreases) and the few matches of one start, from both tries, are
    // sorted among themselves, so the list comes out sorted without a
    // general sort. Matches that tie in this order are identical copies
    // (same entry and span), so the result is the one a full sort gives.
    auto& ms = s.matches;
    const std::size_t nf = s.fold_ids.size();
    const auto before = [](const match& a, const match& b) {  // within one start
        return a.te != b.te ? a.te > b.te : a.entry < b.entry;
    };
    for (std::size_t t = 0, k = 0; t < nt; ++t) {
        const std::size_t group = ms.size();
        walk_from(acc_trie, s.acc_ids.data(), nt, t, nullptr, ms);
        for (; k < nf && s.fold_orig[k] == t; ++k)
            walk_from(fold_trie, s.fold_ids.data(), nf, k, s.fold_orig.data(), ms);
        std::sort(ms.begin() + static_cast<std::ptrdiff_t>(group), ms.end(), before);  // a handful at most
    }

    // Dedupe (same entry, same span) and drop matches contained in a longer
    // match of the same family; negation cues inside a longer cue of any
    // family are part of that cue. A dropped match plays no further part in
    // anything below, so duplicates (adjacent once sorted) are removed
    // outright, and the others once the overlap scan no longer needs them:
    // the later passes then go over fewer matches.
    ms.erase(std::unique(ms.begin(), ms.end(),
                         [](const match& a, const match& b) {
                             return a.entry == b.entry && a.tb == b.tb && a.te == b.te;
                         }),
             ms.end());
    // The first match that can contain ms[i] starts at most max_len tokens
    // before it; as ms is sorted by start, that index only moves forward.
    std::size_t first = 0;
    for (std::size_t i = 0; i < ms.size(); ++i) {
        if (ms[i].dropped) continue;
        const auto fi = ms[i].fam;
        const std::uint32_t lo = ms[i].tb > max_len ? ms[i].tb - max_len : 0;
        while (ms[first].tb < lo) ++first;
        // Only matches sorted before ms[i] can contain it: those after it
        // start later, or at the same token and are not longer.
        for (std::size_t j = first; j < i; ++j) {
            if (ms[j].dropped) continue;
            const bool contains = ms[j].tb <= ms[i].tb && ms[j].te >= ms[i].te &&
                                  (ms[j].te - ms[j].tb) > (ms[i].te - ms[i].tb);
            if (!contains) continue;
            const auto fj = ms[j].fam;
            const bool risk_i = fi == family::act || fi == family::severity;
            const bool risk_j = fj == family::act || fj == family::severity;
            if (fj == fi || (risk_i && risk_j) || fi == family::negation || fj == family::nonreport ||
                (fi == family::time && fj == family::deescalate)) {
                ms[i].dropped = true;
                break;
            }
        }
    }
    std::erase_if(ms, [](const match& m) { return m.dropped; });

    // Negation: a negation cue negates risk cues starting within its scope,
    // up to a clause boundary.
    for (const auto& m : ms) {
        if (m.fam != family::negation || entries[m.entry].scope == 0) continue;
        const auto scope = static_cast<std::uint32_t>(entries[m.entry].scope);
        std::uint32_t limit = m.te + scope;
        for (std::uint32_t k = m.te; k < limit && k < nt; ++k)
            if (tb.tokens[k].boundary_before || s.clause[k]) {
                limit = k;
                break;
            }
        auto it = std::lower_bound(ms.begin(), ms.end(), m.te,
                                   [](const match& a, std::uint32_t v) { return a.tb < v; });
        for (; it != ms.end() && it->tb < limit; ++it)
            if (it->fam == family::act || it->fam == family::severity) it->negated = true;
    }
    // Nothing below looks at a negated cue either.
    std::erase_if(ms, [](const match& m) { return m.negated; });

    // Facts.
    bool child = false, nonreport = false, deesc = false;
    bool t_now = false, t_just = false, t_habit = false, t_past = false, t_safe = false;
    for (std::size_t i = 0; i + 1 < nt; ++i) {
        if (!tb.tokens[i].digits) continue;
        const auto num = tb.acc(i);
        if (num.size() > 2) continue;
        int v = 0;
        std::from_chars(num.data(), num.data() + num.size(), v);
        if (v < 18 && is_age_word(tb.fold(i + 1))) child = true;
    }
    for (const auto& m : ms) {  // from here on, ms holds neither dropped nor negated matches
        const auto& e = entries[m.entry];
        switch (e.fam) {
        case family::child: child = true; break;
        case family::nonreport: nonreport = true; break;
        case family::deescalate: deesc = true; break;
        case family::time:
            if (e.kind == time_kind::now) t_now = true;
            else if (e.kind == time_kind::just) t_just = true;
            else if (e.kind == time_kind::habitual) t_habit = true;
            else if (e.kind == time_kind::past) t_past = true;
            else if (e.kind == time_kind::safe) t_safe = true;
            break;
        default: break;
        }
    }

    // Categories from risk cues (each entry counted once).
    std::array<double, n_categories> cat{};
    // Each entry counts at most twice (two different places), so repeating a
    // word does not inflate a category.
    auto& seen = s.seen;
    auto& last_end = s.last_end;
    seen.assign(entries.size(), 0);
    last_end.assign(entries.size(), 0);
    auto risk_ok = [&](const match& m) {
        if (m.fam != family::act && m.fam != family::severity) return false;
        if (entries[m.entry].needs_child && !child) return false;
        return true;
    };
    for (const auto& m : ms) {
        if (!risk_ok(m) || seen[m.entry] >= 2) continue;
        if (entries[m.entry].needs_category >= 0) continue;
        if (seen[m.entry] == 1 && m.tb < last_end[m.entry]) continue;  // overlaps the first
        ++seen[m.entry];
        last_end[m.entry] = m.te;
        for (std::size_t c = 0; c < n_categories; ++c) cat[c] += entries[m.entry].weights[c];
    }
    std::array<bool, n_categories> has{};
    bool any_cat = false;
    constexpr std::size_t online = 6;
    for (std::size_t c = 0; c < n_categories; ++c) {
        has[c] = cat[c] >= category_threshold;
        if (has[c] && c != online) any_cat = true;
    }
    if (!any_cat) has[online] = false;

    // Urgency.
    int level = r_unset;
    int floor = r_unset;
    double weight_sum = 0;
    bool risk = false;
    auto& risk_matches = s.risk_matches;
    risk_matches.clear();
    for (const auto& m : ms) {
        if (!risk_ok(m)) continue;
        const auto& e = entries[m.entry];
        if (e.needs_category >= 0) {
            // a severity that applies only with that category (e.g. newborn + abandonment)
            if (!has[static_cast<std::size_t>(e.needs_category)]) continue;
        }
        if (online_only(e) && !any_cat) continue;  // a channel is not a risk by itself
        risk = true;
        risk_matches.push_back(&m);
        // Time words decide: now > over-and-safe > just happened > habitual > long past.
        std::int8_t l = e.level;
        if (t_now) l = e.now != r_unset ? e.now : e.level;
        else if (t_safe) l = e.past != r_unset ? e.past : e.level;
        else if (t_just) l = e.just != r_unset ? e.just : e.level;
        else if (t_habit) l = e.habitual != r_unset ? e.habitual : e.level;
        else if (t_past) l = e.past != r_unset ? e.past : e.level;
        level = std::max<int>(level, l);
        if (e.floor != r_unset) floor = std::max<int>(floor, e.floor);
        for (auto w : e.weights) weight_sum += w;
    }

    classification out;
    if (!risk) {
        level = (nonreport || !child) ? r_low : r_normal;
    } else {
        if (level < r_normal) level = r_normal;
        // one level at most; never below what the facts require (floor), never to low
        if (deesc) level = std::max({level - 1, std::min(floor, level), static_cast<int>(r_normal)});
    }
    out.level = urgency_of(level);
    out.score = level + std::min(0.99, weight_sum / 20.0);
    if (out.level != urgency::low) {
        out.categories.reserve(static_cast<std::size_t>(std::count(has.begin(), has.end(), true)));
        for (std::size_t c = 0; c < n_categories; ++c)
            if (has[c]) out.categories.emplace_back(category_labels[c]);
    }

    // Track.
    if (out.level == urgency::low) {
        out.track = legal_track::none;
    } else if (out.level == urgency::emergency) {
        out.track = legal_track::emergency_12h;
    } else {
        out.track = legal_track::standard_5wd;
        for (const auto& m : ms) {
            if (m.fam != family::relation || !entries[m.entry].caregiver) continue;
            const auto lo = m.tb > 4 + max_len ? m.tb - 4 - max_len : 0;
            auto it = std::lower_bound(risk_matches.begin(), risk_matches.end(), lo,
                                       [](const match* a, std::uint32_t v) { return a->tb < v; });
            for (; it != risk_matches.end() && (*it)->tb <= m.te + 4; ++it) {
                const auto* r = *it;
                const auto d = r->tb > m.te ? r->tb - m.te : (m.tb > r->te ? m.tb - r->te : 0);
                if (d <= 4 && entries[r->entry].fam == family::act) {
                    out.track = legal_track::emergency_12h;
                    break;
                }
            }
            if (out.track == legal_track::emergency_12h) break;
        }
    }

    // Evidence, in text order. A match spans whole code points (tokens start
    // and end at code point boundaries), so when the whole text is valid
    // UTF-8 each match is too and sanitising it would copy it unchanged:
    // the tokenizer's verdict on the text instead of a check per piece.
    const bool valid_text = tb.valid_utf8;
    out.evidence.reserve(ms.size());
    for (const auto& m : ms) {
        const auto& e = entries[m.entry];
        if ((e.fam == family::act || e.fam == family::severity) && !risk_ok(m)) continue;
        const auto b = tb.tokens[m.tb].begin;
        const auto en = tb.tokens[m.te - 1].end;
        const auto piece = text.substr(b, en - b);
        out.evidence.push_back(evidence{e.id, valid_text ? std::string(piece) : detail::sanitize_utf8(piece)});
    }
    return out;
}

classifier::classifier(lexicon lex) {
    lex_data empty;
    impl_ = std::make_unique<impl>(lex.data_ ? static_cast<lex_data&>(*lex.data_) : empty);
}
classifier::~classifier() = default;
classifier::classifier(classifier&&) noexcept = default;
classifier& classifier::operator=(classifier&&) noexcept = default;

classification classifier::classify(std::string_view text) const { return impl_->classify(text); }

std::string normalize_for_matching(std::string_view text) {
    detail::token_buffer tb;
    detail::tokenize(text, tb);
    std::string out;
    folded_tokens(tb, builtin_rewrite_map(), [&](std::string_view t, std::size_t) {
        if (!out.empty()) out.push_back(' ');
        out.append(t);
    });
    return out;
}

}  // namespace hotline::intake
