#pragma once
// Triage: urgency, legal categories and the legal track of a report, with the
// evidence that decided them, from what the reporter wrote (Vietnamese with or
// without diacritics, SMS spellings and teen code, or English).
//
// The rules are data: a lexicon (TOML, intake/lexicon/vi.toml) that a
// child-protection specialist can read and change without recompiling. The
// labelling rules it implements are ../shared/data/classify/GUIDELINES.md.
//
// Pure: no I/O (the caller reads the lexicon file and passes its text), no
// clock. A classifier is immutable once built and safe to share between
// threads.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/result.hpp"

namespace hotline::intake {

enum class urgency { emergency, high, normal, low };
std::string_view to_string(urgency u) noexcept;  // "emergency", "high", "normal", "low"
std::optional<urgency> parse_urgency(std::string_view s) noexcept;

enum class legal_track { emergency_12h, standard_5wd, none };
std::string_view to_string(legal_track t) noexcept;  // "emergency_12h", "standard_5wd", "none"
std::optional<legal_track> parse_legal_track(std::string_view s) noexcept;

// The category labels of the guidelines.
inline constexpr std::string_view category_labels[] = {
    "physical_violence", "emotional_violence", "sexual_abuse", "exploitation",
    "trafficking",       "neglect",            "online_abuse",
};

struct evidence {
    std::string rule;   // the lexicon entry that fired, e.g. "severity.bleeding"
    std::string match;  // the text it matched, as the reporter wrote it
};

struct classification {
    urgency level = urgency::normal;
    std::vector<std::string> categories;  // labels from category_labels, in that order
    legal_track track = legal_track::standard_5wd;
    std::vector<intake::evidence> evidence;
    double score = 0;                     // the urgency score behind `level` (for ranking ties)
};

// A parsed lexicon. Errors (code `invalid_lexicon`): message
// "<source>:<line>:<column>: <problem>" for TOML syntax errors and for entries
// that are wrong (unknown category, weight out of range, empty phrase, ...).
class lexicon {
public:
    static result<lexicon> parse(std::string_view toml_text, std::string_view source_name);
    ~lexicon();
    lexicon(lexicon&&) noexcept;
    lexicon& operator=(lexicon&&) noexcept;

    std::size_t phrase_count() const noexcept;

private:
    friend class classifier;
    struct data;
    explicit lexicon(std::unique_ptr<data> d);
    std::unique_ptr<data> data_;
};

class classifier {
public:
    explicit classifier(lexicon lex);
    ~classifier();
    classifier(classifier&&) noexcept;
    classifier& operator=(classifier&&) noexcept;

    // Any bytes are accepted (invalid UTF-8 is read as far as it decodes).
    classification classify(std::string_view text) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// The text after normalisation, as the matcher sees it: NFC, lower case,
// diacritics folded (đ -> d), SMS spellings and teen code expanded
// ("ko" -> "khong", "dc" -> "duoc", ...). Exposed for tests and for the
// CLI's --explain.
std::string normalize_for_matching(std::string_view text);

}  // namespace hotline::intake
