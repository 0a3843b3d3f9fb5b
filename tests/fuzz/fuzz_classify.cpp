// libFuzzer target: the classifier (built once from intake/lexicon/vi.toml)
// and the text helpers it stands on, on arbitrary bytes. Nothing may crash,
// hang or read out of bounds; the few invariants below are the contracts of
// intake/classify.hpp, intake/text.hpp, intake/sms.hpp and
// intake/tracking_code.hpp.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include "intake/classify.hpp"
#include "intake/sms.hpp"
#include "intake/text.hpp"
#include "intake/tracking_code.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace hotline::intake;

const classifier& the_classifier() {
    static const classifier c = [] {
        const char* path = HOTLINE_SOURCE_DIR "/intake/lexicon/vi.toml";
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "fuzz_classify: cannot read %s\n", path);
            std::abort();
        }
        std::ostringstream text;
        text << in.rdbuf();
        auto lex = lexicon::parse(text.str(), "intake/lexicon/vi.toml");
        if (!lex) {
            std::fprintf(stderr, "fuzz_classify: %s\n", lex.err().message.c_str());
            std::abort();
        }
        return classifier(std::move(lex).value());
    }();
    return c;
}

const tracking_codec& the_codec() {
    static const tracking_codec codec([] {
        secret_key key{};
        for (std::size_t i = 0; i < key.size(); ++i)
            key[i] = static_cast<std::uint8_t>(i * 7 + 1);
        return key;
    }());
    return codec;
}

void check(const classification& r) {
    // Categories: labels of category_labels, in that order, no repeats.
    std::size_t next = 0;
    for (const std::string& c : r.categories) {
        while (next < std::size(category_labels) && category_labels[next] != c)
            ++next;
        FUZZ_CHECK(next < std::size(category_labels));
        ++next;
    }
    FUZZ_CHECK(!std::isnan(r.score));
    FUZZ_CHECK(!to_string(r.level).empty());
    FUZZ_CHECK(!to_string(r.track).empty());
    for (const evidence& e : r.evidence)
        FUZZ_CHECK(!e.rule.empty());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)the_classifier();  // a broken lexicon fails here, once, not as a "crash" input
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    // Any bytes at all.
    check(the_classifier().classify(in));
    const std::string normalized = normalize_for_matching(in);
    const bool valid = is_valid_utf8(in);
    const auto nfc = to_nfc(in);
    const auto clean = clean_text(in);
    FUZZ_CHECK(nfc.has_value() == valid);
    FUZZ_CHECK(clean.has_value() == valid);
    const std::string plain = strip_diacritics(in);
    if (const auto id = the_codec().decode(in)) {
        FUZZ_CHECK(*id < tracking_domain);
        FUZZ_CHECK(the_codec().decode(the_codec().encode(*id)) == id);
    }
    (void)parse_access_secret(in);

    // Valid UTF-8 only (the functions' precondition).
    if (!valid)
        return 0;
    FUZZ_CHECK(is_valid_utf8(*nfc));
    FUZZ_CHECK(to_nfc(*nfc) == nfc);
    FUZZ_CHECK(is_valid_utf8(*clean));
    FUZZ_CHECK(is_valid_utf8(normalized));
    FUZZ_CHECK(is_valid_utf8(plain));
    (void)count_code_points(trim(in));
    const sms_size sz = measure_sms(in);
    FUZZ_CHECK((sz.segments == 0) == in.empty());
    const sms_command cmd = parse_sms_command(in);
    if (cmd.kind == sms_command_kind::acknowledge)
        (void)the_codec().decode(cmd.code);
    check(the_classifier().classify(*clean));
    return 0;
}
