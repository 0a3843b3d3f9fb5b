#pragma once
// A minimal JSON writer for the `data` column of events that storage itself
// composes (the classification events). Storage has no JSON library; SQLite's
// json_object() would do for flat objects, but the classification holds
// arrays of objects. Strings are expected to be UTF-8 (report text is
// validated at intake); control characters, quotes and backslashes are
// escaped, so the output always satisfies the column's json_valid() check.

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace hotline::storage::detail {

// `s` as it stands between the quotes of a JSON string.
inline void append_json_escaped(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    for (const char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        switch (ch) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20 || u == 0x7f) {
                out += "\\u00";
                out.push_back(hex[u >> 4]);
                out.push_back(hex[u & 0xf]);
            } else {
                out.push_back(ch);
            }
        }
    }
}

inline void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    append_json_escaped(out, s);
    out.push_back('"');
}

// Shortest round-trip form; a value JSON cannot hold (NaN, infinity) is 0.
inline void append_json_number(std::string& out, double v) {
    if (!std::isfinite(v)) v = 0;
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

inline void append_json_string_array(std::string& out, const std::vector<std::string>& items) {
    out.push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, items[i]);
    }
    out.push_back(']');
}

}  // namespace hotline::storage::detail
