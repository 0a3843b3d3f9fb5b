#include "intake/detail/tokenize.hpp"

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <utf8proc.h>

#include "intake/text.hpp"

namespace hotline::intake::detail {

namespace {

enum class cls : std::uint8_t { other, letter, mark, digit, punct };

struct cp_info {
    std::int32_t lower = 0;  // lower-case code point
    char folded = 0;         // ASCII letter after folding, 0 when none (keep `lower`)
    cls kind = cls::other;
};

// What the token loop copies per code point: the UTF-8 bytes of its lower
// case (written as 4 bytes, kept as `len`), so that it writes without
// branching on the encoded length.
struct cp_out {
    char lower[4] = {};
    std::uint8_t len = 0;
    char folded = 0;  // as in cp_info
    cls kind = cls::other;
};

constexpr std::int32_t table_size = 0x2000;

cp_info compute(std::int32_t cp) {
    cp_info r;
    if (cp < 0x80) {
        const char c = static_cast<char>(cp);
        if (c >= 'A' && c <= 'Z') {
            r.lower = cp + 32;
            r.folded = static_cast<char>(cp + 32);
            r.kind = cls::letter;
        } else if (c >= 'a' && c <= 'z') {
            r.lower = cp;
            r.folded = c;
            r.kind = cls::letter;
        } else if (c >= '0' && c <= '9') {
            r.lower = cp;
            r.folded = c;
            r.kind = cls::digit;
        } else {
            r.lower = cp;
            const bool p = c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' ||
                           c == '\n' || c == '(' || c == ')';
            r.kind = p ? cls::punct : cls::other;
        }
        return r;
    }
    const auto cat = utf8proc_category(cp);
    r.lower = utf8proc_tolower(cp);
    switch (cat) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        r.kind = cls::letter;
        break;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        r.kind = cls::mark;
        return r;
    case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PD:
        r.kind = cls::punct;
        return r;
    default:
        r.kind = cls::other;
        return r;
    }
    if (r.lower == 0x111) {  // đ
        r.folded = 'd';
        return r;
    }
    utf8proc_int32_t buf[8];
    int options = UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK;
    int last = 0;
    const auto n = utf8proc_decompose_char(r.lower, buf, 8, static_cast<utf8proc_option_t>(options), &last);
    if (n >= 1 && n <= 8 && buf[0] < 0x80) {
        const auto c = buf[0];
        if (c >= 'a' && c <= 'z') r.folded = static_cast<char>(c);
        else if (c >= 'A' && c <= 'Z') r.folded = static_cast<char>(c + 32);
    }
    return r;
}

// Writes the UTF-8 form of `cp` at `o` (room for 4 bytes) and returns the end.
inline char* put_utf8(char* o, std::int32_t cp) {
    if (cp < 0x80) {
        *o++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
        *o++ = static_cast<char>(0xC0 | (cp >> 6));
        *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = static_cast<char>(0xE0 | (cp >> 12));
        *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        *o++ = static_cast<char>(0xF0 | (cp >> 18));
        *o++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
    return o;
}

cp_out out_of(const cp_info& i) {
    cp_out r;
    r.len = static_cast<std::uint8_t>(put_utf8(r.lower, i.lower) - r.lower);
    r.folded = i.folded;
    r.kind = i.kind;
    return r;
}

const std::array<cp_out, table_size>& out_table() {
    static const auto* t = [] {
        auto* a = new std::array<cp_out, table_size>();
        for (std::int32_t cp = 0; cp < table_size; ++cp) (*a)[static_cast<std::size_t>(cp)] = out_of(compute(cp));
        return a;
    }();
    return *t;
}

inline cp_out out_of(std::int32_t cp) {
    if (cp < table_size) return out_table()[static_cast<std::size_t>(cp)];
    return out_of(compute(cp));
}

// Lenient decoder: returns the code point and its length, or cp = -1, len = 1.
[[gnu::always_inline]] inline std::int32_t decode(const unsigned char* p, std::size_t n, std::size_t& len) {
    const unsigned char b0 = p[0];
    if (b0 < 0x80) { len = 1; return b0; }
    auto cont = [&](std::size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
    if (b0 >= 0xC2 && b0 < 0xE0) {
        if (cont(1)) { len = 2; return ((b0 & 0x1F) << 6) | (p[1] & 0x3F); }
    } else if (b0 >= 0xE0 && b0 < 0xF0) {
        if (cont(1) && cont(2)) {
            const std::int32_t cp = ((b0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
            if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) { len = 3; return cp; }
        }
    } else if (b0 >= 0xF0 && b0 < 0xF5) {
        if (cont(1) && cont(2) && cont(3)) {
            const std::int32_t cp = ((b0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
            if (cp >= 0x10000 && cp <= 0x10FFFF) { len = 4; return cp; }
        }
    }
    len = 1;
    return -1;
}

inline void put_utf8(std::string& s, std::int32_t cp) {
    char buf[4];
    s.append(buf, static_cast<std::size_t>(put_utf8(buf, cp) - buf));
}

// Accented form of a token that contains combining marks: NFC, then lower case.
void compose_token(std::string_view bytes, byte_buffer& out) {
    utf8proc_uint8_t* res = nullptr;
    const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(bytes.data()),
                                static_cast<utf8proc_ssize_t>(bytes.size()), &res,
                                static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (n < 0 || res == nullptr) {
        std::free(res);
        return;
    }
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> guard(res, &std::free);
    std::size_t i = 0;
    const auto len = static_cast<std::size_t>(n);
    while (i < len) {
        std::size_t l = 1;
        const auto cp = decode(res + i, len - i, l);
        i += l;
        if (cp < 0) continue;
        const cp_out o = out_of(cp);
        out.reserve_more(4);
        char* e = out.end();
        std::memcpy(e, o.lower, 4);
        out.set_end(e + o.len);
    }
}

// Old-style tone placement at the end of a syllable ("hoà", "doạ", "khoẻ",
// "thuỷ") rewritten to the new style the lexicon uses ("hòa", "dọa", "khỏe",
// "thủy"), so both spellings match. `tok` is the accented (NFC, lower) token.
void canonical_tone(byte_buffer& buf, std::size_t start) {
    static constexpr std::int32_t toned[3][5] = {
        {0xE0, 0xE1, 0x1EA3, 0xE3, 0x1EA1},    // à á ả ã ạ
        {0xE8, 0xE9, 0x1EBB, 0x1EBD, 0x1EB9},  // è é ẻ ẽ ẹ
        {0x1EF3, 0xFD, 0x1EF7, 0x1EF9, 0x1EF5},  // ỳ ý ỷ ỹ ỵ
    };
    static constexpr std::int32_t o_tone[5] = {0xF2, 0xF3, 0x1ECF, 0xF5, 0x1ECD};  // ò ó ỏ õ ọ
    static constexpr std::int32_t u_tone[5] = {0xF9, 0xFA, 0x1EE7, 0x169, 0x1EE5};  // ù ú ủ ũ ụ
    static constexpr char plain[3] = {'a', 'e', 'y'};
    const std::size_t n = buf.size() - start;
    if (n < 3) return;
    // the last code point (2 or 3 bytes) and the ASCII o/u before it
    std::size_t last = buf.size() - 1;
    while (last > start && (static_cast<unsigned char>(buf[last]) & 0xC0) == 0x80) --last;
    if (last == start || buf.size() - last < 2) return;
    const char prev = buf[last - 1];
    if (prev != 'o' && prev != 'u') return;
    if (prev == 'u' && last - 1 > start && buf[last - 2] == 'q') return;  // "quý" is already new style
    std::size_t len = 0;
    const auto cp = decode(reinterpret_cast<const unsigned char*>(buf.data() + last), buf.size() - last, len);
    // The new spelling is never longer than the old (toned vowel + ASCII
    // letter for ASCII letter + toned vowel), so it fits where the old was.
    for (int v = 0; v < 3; ++v) {
        if ((prev == 'o') != (v < 2)) continue;  // oa, oe / uy
        for (int t = 0; t < 5; ++t) {
            if (toned[v][t] != cp) continue;
            buf.truncate(last - 1);
            char* o = put_utf8(buf.end(), prev == 'o' ? o_tone[t] : u_tone[t]);
            *o++ = plain[v];
            buf.set_end(o);
            return;
        }
    }
}

}  // namespace

void byte_buffer::grow(std::size_t need) {
    std::size_t cap = cap_ < 64 ? 64 : cap_ * 2;
    while (cap < need) cap *= 2;
    auto bigger = std::make_unique<char[]>(cap + pad_bytes);  // zeroed, padding included
    if (size_) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    cap_ = cap;
}

void tokenize(std::string_view text, token_buffer& out) {
    out.clear();
    out.acc_off.push_back(0);
    out.fold_off.push_back(0);
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    // Lower case takes at most 3 bytes per 2 of the original, so this is
    // enough unless combining marks need recomposing; each token checks again.
    out.accented.reserve_more(n + n / 2 + 16);
    out.folded.reserve_more(n + n / 2 + 16);
    const auto& tab = out_table();  // looked up once: the static's guard is not free per code point
    std::size_t i = 0;
    bool boundary = false;
    while (i < n) {
        std::size_t len = 1;
        const auto cp = p[i] < 0x80 ? static_cast<std::int32_t>(p[i]) : decode(p + i, n - i, len);
        const cp_out ci = cp < 0 ? cp_out{} : cp < table_size ? tab[static_cast<std::size_t>(cp)] : out_of(compute(cp));
        if (ci.kind == cls::letter || ci.kind == cls::digit) {
            const bool digits = ci.kind == cls::digit;
            token t;
            t.begin = static_cast<std::uint32_t>(i);
            t.boundary_before = boundary;
            t.digits = digits;
            boundary = false;
            bool has_mark = false;
            std::size_t j = i;
            // Room for the rest of the text, made once per token so that the
            // loop below writes through plain pointers: a code point of k
            // bytes writes at most 4 (2 per byte of input) and the copies
            // below store 4 bytes whatever the length, hence the slack.
            out.accented.reserve_more(2 * (n - i) + 8);
            out.folded.reserve_more(2 * (n - i) + 8);
            char* a = out.accented.end();
            char* f = out.folded.end();
            while (j < n) {
                if (p[j] < 0x80) {
                    // A run of ASCII letters (or digits): the accented and the
                    // folded form are both its lower case, written in one pass.
                    const std::size_t run = j;
                    if (digits) {
                        for (; j < n && static_cast<unsigned>(p[j] - '0') <= 9; ++j) *a++ = *f++ = static_cast<char>(p[j]);
                    } else {
                        for (; j < n; ++j) {
                            const unsigned char c = p[j] | 0x20;  // lower case, for letters only
                            if (static_cast<unsigned>(c - 'a') > 25) break;
                            *a++ = *f++ = static_cast<char>(c);
                        }
                    }
                    if (j == run) break;  // any other ASCII byte ends the token
                    continue;
                }
                std::size_t l = 1;
                const auto c = decode(p + j, n - j, l);
                if (c < 0 || digits) break;  // digit runs are ASCII only
                const cp_out cj = c < table_size ? tab[static_cast<std::size_t>(c)] : out_of(compute(c));
                if (cj.kind != cls::letter && cj.kind != cls::mark) break;
                t.ascii = false;
                if (cj.kind == cls::mark) {
                    has_mark = true;
                } else {
                    std::memcpy(a, cj.lower, 4);
                    a += cj.len;
                    if (cj.folded) {
                        *f++ = cj.folded;
                    } else {
                        std::memcpy(f, cj.lower, 4);
                        f += cj.len;
                    }
                }
                j += l;
            }
            out.accented.set_end(a);
            out.folded.set_end(f);
            t.end = static_cast<std::uint32_t>(j);
            if (has_mark) {
                out.accented.truncate(out.acc_off.back());
                compose_token(text.substr(i, j - i), out.accented);
            }
            if (!t.ascii && !digits) canonical_tone(out.accented, out.acc_off.back());
            out.tokens.push_back(t);
            out.acc_off.push_back(static_cast<std::uint32_t>(out.accented.size()));
            out.fold_off.push_back(static_cast<std::uint32_t>(out.folded.size()));
            i = j;
        } else {
            // Every byte the token loop above does not take comes here, and
            // it stops at a sequence it cannot decode, so this sees the first
            // invalid sequence if there is one (decode() is as strict as
            // is_valid_utf8).
            if (cp < 0) out.valid_utf8 = false;
            if (ci.kind == cls::punct) boundary = true;
            i += len;
        }
    }
}

std::string sanitize_utf8(std::string_view s) {
    if (is_valid_utf8(s)) return std::string(s);
    std::string out;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t l = 1;
        const auto cp = decode(p + i, s.size() - i, l);
        if (cp < 0 || cp == 0) put_utf8(out, cp < 0 ? 0xFFFD : 0x20);
        else out.append(s.substr(i, l));
        i += l;
    }
    return out;
}

}  // namespace hotline::intake::detail
