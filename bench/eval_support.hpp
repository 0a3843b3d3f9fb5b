#pragma once
// What the evaluation programs (classify_eval, locate_eval) share: reading
// files and labelled JSON-lines sets, and timing a pass over texts against
// the plain ASCII lower-casing baseline. Single-threaded tools; nothing here
// is meant for the server.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace hotline::bench {

// The bytes of the file at `path`; empty when it cannot be read.
inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream o;
    o << in.rdbuf();
    return o.str();
}

// Calls `each(object, line_number)` for every non-blank line of the JSON-lines
// file at `path`; `each` returns false for a line it refuses (it says why on
// stderr). A line that is not a JSON object is reported here as
// "PATH:N: not a JSON object". False when the file cannot be read or any
// line was refused.
template <class F>
bool for_each_json_line(const char* path, F&& each) {
    std::ifstream in(path);
    bool ok = static_cast<bool>(in);
    if (!ok) std::fprintf(stderr, "%s: cannot read\n", path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (ec || !v.is_object()) {
            std::fprintf(stderr, "%s:%d: not a JSON object\n", path, n);
            ok = false;
            continue;
        }
        if (!each(v.as_object(), n)) ok = false;
    }
    return ok;
}

// The string member `key` of `o`, when it is there and a string.
inline const char* string_member(const boost::json::object& o, const char* key) {
    const auto* p = o.if_contains(key);
    return p && p->is_string() ? p->as_string().c_str() : nullptr;
}

// Texts per second of `pass(text)` over `texts`, repeated for at least
// `seconds` of wall-clock time on a steady clock.
template <class F>
double texts_per_second(const std::vector<std::string>& texts, double seconds, F&& pass) {
    using clock = std::chrono::steady_clock;
    std::size_t count = 0;
    const auto t0 = clock::now();
    double secs = 0;
    while (secs < seconds) {
        for (const auto& t : texts) pass(t);
        count += texts.size();
        secs = std::chrono::duration<double>(clock::now() - t0).count();
    }
    return count / secs;
}

// The baseline every speed figure is compared with: ASCII lower-casing of
// the same bytes into a reused buffer, in texts per second. `sink` keeps the
// work from being optimised away.
inline double lowercase_per_second(const std::vector<std::string>& texts, double seconds, std::size_t& sink) {
    std::string buf;
    return texts_per_second(texts, seconds, [&](const std::string& t) {
        buf.assign(t);
        for (auto& c : buf)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        sink += static_cast<unsigned char>(buf[buf.size() / 2]);
    });
}

}  // namespace hotline::bench
