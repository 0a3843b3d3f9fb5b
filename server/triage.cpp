#include "server/triage.hpp"

#include <boost/json/array.hpp>
#include <fmt/format.h>
#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "intake/text.hpp"

namespace hotline::server {

namespace detail {
// server/cmake/embed_file.cmake writes these into builtin_lexicon.cpp.
extern const unsigned char builtin_lexicon_bytes[];
extern const std::size_t builtin_lexicon_size;
}  // namespace detail

std::string_view builtin_lexicon_text() noexcept {
    return {reinterpret_cast<const char*>(detail::builtin_lexicon_bytes), detail::builtin_lexicon_size};
}

std::string lexicon_id(std::string_view toml_text) {
    unsigned char digest[crypto_generichash_BYTES];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(toml_text.data()),
                       toml_text.size(), nullptr, 0);
    char hex[sizeof digest * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex, 16);
}

storage::classification_event triage::classify(std::string_view text) const {
    storage::classification_event e{classifier.classify(text), lexicon};
    // The event's data must stay readable JSON text whatever the matcher cut.
    for (auto& ev : e.result.evidence) {
        if (!intake::is_valid_utf8(ev.match)) ev.match = to_valid_utf8(ev.match);
        if (!intake::is_valid_utf8(ev.rule)) ev.rule = to_valid_utf8(ev.rule);
    }
    return e;
}

result<triage> load_triage(const std::string& path) {
    std::string text;
    std::string source;
    if (path.empty()) {
        text = std::string(builtin_lexicon_text());
        source = std::string(builtin_lexicon_name);
    } else {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            return make_error("config_error",
                              fmt::format("cannot read the lexicon {}: {}", path, std::strerror(errno)),
                              "triage.lexicon");
        std::ostringstream buf;
        buf << in.rdbuf();
        text = std::move(buf).str();
        source = path;
    }
    auto lex = intake::lexicon::parse(text, source);
    if (!lex) return std::move(lex).err();
    return triage{intake::classifier(std::move(*lex)), lexicon_id(text), std::move(source)};
}

boost::json::object classification_json(const intake::classification& c) {
    boost::json::array categories;
    for (const auto& cat : c.categories) categories.emplace_back(cat);
    boost::json::array evidence;
    for (const auto& e : c.evidence)
        evidence.emplace_back(boost::json::object{{"rule", to_valid_utf8(e.rule)}, {"match", to_valid_utf8(e.match)}});
    return {{"urgency", intake::to_string(c.level)},
            {"categories", std::move(categories)},
            {"track", intake::to_string(c.track)},
            {"evidence", std::move(evidence)}};
}

std::string to_valid_utf8(std::string_view s) {
    if (intake::is_valid_utf8(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 16);
    while (!s.empty()) {
        std::size_t n = 0;
        for (std::size_t len = 1; len <= 4 && len <= s.size(); ++len) {
            if (intake::is_valid_utf8(s.substr(0, len))) {
                n = len;
                break;
            }
        }
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD
            s.remove_prefix(1);
        } else {
            out.append(s.substr(0, n));
            s.remove_prefix(n);
        }
    }
    return out;
}

}  // namespace hotline::server
