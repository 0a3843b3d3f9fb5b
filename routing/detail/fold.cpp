#include "routing/detail/fold.hpp"

#include <array>
#include <cstdlib>
#include <memory>

#include <utf8proc.h>

namespace hotline::routing::detail {

namespace {

enum class cls : std::uint8_t { other, letter, mark, digit, space, apostrophe, dash, dot, clause };

struct cp_info {
    std::int32_t base = 0;  // lower case, tone removed, vowel marks kept ("ộ" -> "ô")
    char folded = 0;        // the ASCII letter it folds to; 0: keep `base`
    std::uint8_t tone = 0;  // 0 none, 1 grave, 2 acute, 3 hook, 4 tilde, 5 dot below
    bool marked = false;    // has a diacritic, or is đ
    cls kind = cls::other;
};

std::uint8_t tone_of_mark(std::int32_t m) noexcept {
    switch (m) {
    case 0x300: case 0x340: return 1;
    case 0x301: case 0x341: return 2;
    case 0x309: return 3;
    case 0x303: return 4;
    case 0x323: return 5;
    default: return 0;
    }
}

bool is_vowel_mark(std::int32_t m) noexcept { return m == 0x302 || m == 0x306 || m == 0x31B; }

// `cp` (a valid code point) as UTF-8 into a buffer with room for 4 bytes;
// returns the end.
char* put_utf8(char* out, std::int32_t cp) noexcept {
    return out + utf8proc_encode_char(cp, reinterpret_cast<utf8proc_uint8_t*>(out));
}

void put_utf8(std::string& s, std::int32_t cp) {
    char buf[4];
    s.append(buf, put_utf8(buf, cp));
}

// Lenient decoder: the code point and its length, or -1 and length 1.
std::int32_t decode(const unsigned char* p, std::size_t n, std::size_t& len) noexcept {
    const unsigned char b0 = p[0];
    len = 1;
    if (b0 < 0x80) return b0;
    auto cont = [&](std::size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
    if (b0 >= 0xC2 && b0 < 0xE0) {
        if (cont(1)) {
            len = 2;
            return ((b0 & 0x1F) << 6) | (p[1] & 0x3F);
        }
    } else if (b0 >= 0xE0 && b0 < 0xF0) {
        if (cont(1) && cont(2)) {
            const std::int32_t cp = ((b0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
            if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
                len = 3;
                return cp;
            }
        }
    } else if (b0 >= 0xF0 && b0 < 0xF5) {
        if (cont(1) && cont(2) && cont(3)) {
            const std::int32_t cp =
                ((b0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
            if (cp >= 0x10000 && cp <= 0x10FFFF) {
                len = 4;
                return cp;
            }
        }
    }
    return -1;
}

// The single code point that `base` plus `marks` compose to, or `base`.
std::int32_t compose(std::int32_t base, const std::int32_t* marks, std::size_t n) {
    std::string s;
    put_utf8(s, base);
    for (std::size_t i = 0; i < n; ++i) put_utf8(s, marks[i]);
    utf8proc_uint8_t* out = nullptr;
    const auto len = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                  static_cast<utf8proc_ssize_t>(s.size()), &out,
                                  static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> guard(out, &std::free);
    if (len <= 0 || out == nullptr) return base;
    std::size_t l = 0;
    const auto cp = decode(out, static_cast<std::size_t>(len), l);
    return l == static_cast<std::size_t>(len) && cp >= 0 ? cp : base;
}

cp_info compute(std::int32_t cp) {
    cp_info r;
    r.base = cp;
    if (cp < 0x80) {
        const char c = static_cast<char>(cp);
        if (c >= 'A' && c <= 'Z') {
            r.base = cp + 32;
            r.folded = static_cast<char>(cp + 32);
            r.kind = cls::letter;
        } else if (c >= 'a' && c <= 'z') {
            r.folded = c;
            r.kind = cls::letter;
        } else if (c >= '0' && c <= '9') {
            r.folded = c;
            r.kind = cls::digit;
        } else if (c == '\'') {
            r.kind = cls::apostrophe;
        } else if (c == '.') {
            r.kind = cls::dot;
        } else if (c == '-') {
            r.kind = cls::dash;
        } else if (c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '(' || c == ')' ||
                   c == '[' || c == ']' || c == '/' || c == '\\' || c == '|' || c == '\n' || c == '\r') {
            r.kind = cls::clause;
        } else {
            r.kind = cls::space;
        }
        return r;
    }
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x2BC) {
        r.kind = cls::apostrophe;
        return r;
    }
    if (cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 || cp == 0x2014 || cp == 0x2212) {
        r.kind = cls::dash;
        return r;
    }
    if (cp == 0x2026 || cp == 0x3002) {  // … 。
        r.kind = cls::dot;
        return r;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        break;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        r.kind = cls::mark;
        r.tone = tone_of_mark(cp);
        return r;
    case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
        r.kind = cls::clause;
        return r;
    case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PO:
        r.kind = cls::clause;
        return r;
    default:
        r.kind = cls::space;
        return r;
    }
    r.kind = cls::letter;
    const std::int32_t lower = utf8proc_tolower(cp);
    r.base = lower;
    if (lower == 0x111) {  // đ
        r.folded = 'd';
        r.marked = true;
        return r;
    }
    utf8proc_int32_t buf[8];
    int last = 0;
    const auto n = utf8proc_decompose_char(lower, buf, 8, UTF8PROC_DECOMPOSE, &last);
    if (n < 1 || n > 8) return r;
    std::int32_t vowel_marks[8];
    std::size_t nv = 0;
    for (utf8proc_ssize_t i = 1; i < n; ++i) {
        if (const auto t = tone_of_mark(buf[i])) r.tone = t;
        else if (is_vowel_mark(buf[i])) vowel_marks[nv++] = buf[i];
    }
    if (n > 1) {
        r.marked = true;
        r.base = compose(buf[0], vowel_marks, nv);
    }
    if (buf[0] >= 'a' && buf[0] <= 'z') r.folded = static_cast<char>(buf[0]);
    return r;
}

constexpr std::int32_t table_size = 0x2000;  // Latin, and Latin Extended Additional (Vietnamese)

struct tables {
    std::array<cp_info, table_size> info;
    // The kind alone, one byte a code point: splitting a text into words
    // needs nothing else, and this part stays in the first-level cache.
    std::array<cls, table_size> kind;
};

const tables& table() {
    static const auto* t = [] {
        auto* a = new tables();
        for (std::int32_t cp = 0; cp < table_size; ++cp) {
            a->info[static_cast<std::size_t>(cp)] = compute(cp);
            a->kind[static_cast<std::size_t>(cp)] = a->info[static_cast<std::size_t>(cp)].kind;
        }
        return a;
    }();
    return *t;
}

struct reader {
    const tables& tab;
    cp_info at(std::int32_t cp) const {
        return cp < 0 ? cp_info{} : cp < table_size ? tab.info[static_cast<std::size_t>(cp)] : compute(cp);
    }
    cls kind(std::int32_t cp) const {
        return cp < 0 ? cls::other : cp < table_size ? tab.kind[static_cast<std::size_t>(cp)] : compute(cp).kind;
    }
};

// Appends the folded form and the accent key of one run of letters (already
// NFC) to `out`; returns whether any letter had a diacritic.
bool emit_letters(const reader& rd, std::string_view run, word_list& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(run.data());
    std::uint8_t tone = 0;
    bool marked = false;
    std::size_t i = 0;
    // Room first, then plain stores instead of a push_back per byte: a code
    // point takes at least one byte of `run` and gives at most four bytes
    // to each form, and the accent key one more for the tone.
    const std::size_t fold_at = out.folded.size(), acc_at = out.accent.size();
    out.folded.resize(fold_at + 4 * run.size());
    out.accent.resize(acc_at + 4 * run.size() + 1);
    char* folded = out.folded.data() + fold_at;
    char* accent = out.accent.data() + acc_at;
    while (i < run.size()) {
        if (p[i] < 0x80) {
            // An ASCII letter is its own lower case in both forms, with no
            // tone and no mark; the only other ASCII byte of a run is a
            // joining apostrophe, which is dropped.
            char c = static_cast<char>(p[i++]);
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
            else if (c < 'a' || c > 'z') continue;
            *folded++ = c;
            *accent++ = c;
            continue;
        }
        std::size_t len = 1;
        const auto cp = decode(p + i, run.size() - i, len);
        i += len;
        const cp_info ci = rd.at(cp);
        if (ci.kind == cls::mark) {
            if (ci.tone) tone = ci.tone;
            marked = true;
            continue;
        }
        if (ci.kind != cls::letter) continue;  // a joining apostrophe
        if (ci.tone) tone = ci.tone;
        marked = marked || ci.marked;
        if (ci.folded) *folded++ = ci.folded;
        else folded = put_utf8(folded, ci.base);
        accent = put_utf8(accent, ci.base);
    }
    if (tone) *accent++ = static_cast<char>('0' + tone);
    out.folded.resize(static_cast<std::size_t>(folded - out.folded.data()));
    out.accent.resize(static_cast<std::size_t>(accent - out.accent.data()));
    return marked;
}

}  // namespace

void split_words(std::string_view text, word_list& out) {
    out.clear();
    const reader rd{table()};
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    gap pending = gap::clause;
    std::size_t i = 0;
    std::string composed;
    // Ends the word at bytes [begin, end) of `text`, whose folded and
    // accented forms are the last ones appended.
    const auto end_word = [&](std::size_t begin, std::size_t end, bool digits, bool marked) {
        word w;
        w.begin = static_cast<std::uint32_t>(begin);
        w.end = static_cast<std::uint32_t>(end);
        w.before = pending;
        w.digits = digits;
        w.marked = marked;
        out.words.push_back(w);
        out.fold_off.push_back(static_cast<std::uint32_t>(out.folded.size()));
        out.acc_off.push_back(static_cast<std::uint32_t>(out.accent.size()));
        pending = gap::none;
    };
    while (i < n) {
        std::size_t len = 1;
        const auto cp = p[i] < 0x80 ? static_cast<std::int32_t>(p[i]) : decode(p + i, n - i, len);
        const cls kind = rd.kind(cp);
        if (kind == cls::digit) {
            std::size_t j = i;
            while (j < n && p[j] >= '0' && p[j] <= '9') ++j;
            std::size_t k = i;
            while (k + 1 < j && p[k] == '0') ++k;  // "01" and "1" are the same ward
            out.folded.append(text.substr(k, j - k));
            out.accent.append(text.substr(k, j - k));
            end_word(i, j, true, false);
            i = j;
            continue;
        }
        if (kind == cls::letter) {
            // The run: letters and marks, and apostrophes between letters.
            std::size_t j = i;
            bool has_mark = false;
            bool plain = true;  // ASCII letters only
            while (j < n) {
                // ASCII letters, most bytes of most texts, need no decoding.
                if (p[j] < 0x80 && rd.tab.kind[p[j]] == cls::letter) {
                    ++j;
                    continue;
                }
                std::size_t l = 1;
                const auto c = p[j] < 0x80 ? static_cast<std::int32_t>(p[j]) : decode(p + j, n - j, l);
                const cls kj = rd.kind(c);
                if (kj == cls::letter) {
                } else if (kj == cls::mark) {
                    has_mark = true;
                } else if (kj == cls::apostrophe && j + l < n) {
                    std::size_t l2 = 1;
                    const std::size_t k = j + l;
                    const auto c2 = p[k] < 0x80 ? static_cast<std::int32_t>(p[k]) : decode(p + k, n - k, l2);
                    if (rd.kind(c2) != cls::letter) break;
                } else {
                    break;
                }
                plain = false;  // a letter beyond ASCII, a mark or a joining apostrophe
                j += l;
            }
            std::string_view run = text.substr(i, j - i);
            if (plain) {
                // Most words of a report (all of them when it is typed
                // without diacritics): both forms are the lower-cased bytes,
                // as emit_letters would give them one code point at a time.
                const std::size_t at = out.folded.size();
                out.folded.append(run);
                for (std::size_t k = at; k < out.folded.size(); ++k) {
                    char& c = out.folded[k];
                    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
                }
                out.accent.append(out.folded, at);
                end_word(i, j, false, false);
                i = j;
                continue;
            }
            if (has_mark) {
                utf8proc_uint8_t* res = nullptr;
                const auto m = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(run.data()),
                                            static_cast<utf8proc_ssize_t>(run.size()), &res,
                                            static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
                std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> guard(res, &std::free);
                if (m > 0 && res) composed.assign(reinterpret_cast<const char*>(res), static_cast<std::size_t>(m));
                else composed.assign(run);
                run = composed;
            }
            const bool marked = emit_letters(rd, run, out);
            end_word(i, j, false, marked);
            i = j;
            continue;
        }
        gap g = gap::space;
        if (kind == cls::dot) g = gap::dot;
        else if (kind == cls::dash) g = gap::dash;
        else if (kind == cls::clause || cp < 0) g = gap::clause;
        else if (kind == cls::mark) g = gap::none;  // a stray mark: ignored
        if (g > pending) pending = g;
        i += len;
    }
}

std::string fold_text(std::string_view text) {
    word_list w;
    split_words(text, w);
    std::string out;
    out.reserve(w.folded.size() + w.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (i) out.push_back(' ');
        out.append(w.fold(i));
    }
    return out;
}

}  // namespace hotline::routing::detail
