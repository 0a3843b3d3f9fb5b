#pragma once
// The server's side of triage: loading the lexicon (the copy compiled into
// the binary, or the file `triage.lexicon` names), classifying a report's
// text into the event storage files with it, and the JSON shapes shared by
// the API and `hotline classify`.
//
// A loaded triage is immutable and safe to share between threads.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "intake/classify.hpp"
#include "intake/result.hpp"
#include "storage/database.hpp"

namespace hotline::server {

// The name errors in the built-in lexicon are reported under.
inline constexpr std::string_view builtin_lexicon_name = "intake/lexicon/vi.toml";

// intake/lexicon/vi.toml as it was when the binary was built.
std::string_view builtin_lexicon_text() noexcept;

// Identifies a lexicon in stored events: "sha256:" would be longer than
// needed; the first 16 hex digits of its BLAKE2b hash.
std::string lexicon_id(std::string_view toml_text);

struct triage {
    intake::classifier classifier;
    std::string lexicon;  // lexicon_id of the text it was built from
    std::string source;   // the file, or builtin_lexicon_name

    // The classification of `text` with this lexicon, as storage files it.
    storage::classification_event classify(std::string_view text) const;
};

// Builds the classifier from `path` (empty: the built-in copy). Errors: code
// `invalid_lexicon`, message "<file>:<line>:<column>: <problem>"; code
// `config_error` when the file cannot be read.
result<triage> load_triage(const std::string& path);

// {"urgency", "categories": [...], "track", "evidence": [{"rule", "match"}...]}
boost::json::object classification_json(const intake::classification& c);

// `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD (so
// that it can be written as JSON text).
std::string to_valid_utf8(std::string_view s);

}  // namespace hotline::server
