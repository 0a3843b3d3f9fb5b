// libFuzzer target: lexicon::parse on arbitrary TOML text. A broken lexicon
// must come back as an `invalid_lexicon` error, never a crash, an uncaught
// exception or an out-of-bounds read; a lexicon that parses must give a
// classifier that works.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "intake/classify.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

constexpr std::string_view source_name = "fuzz.toml";

constexpr std::string_view sample_texts[] = {
    "Bố đang đánh em con tôi dã man, bé đang kêu cứu",
    "be trai 3 tuoi bi lac, nghi bi nguoi la dat di",
    "ko ai cho be an, dc 2 ngay r",
    "My neighbour's child has been locked outside all night",
    "",
    "\xff\xfe\xc3",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hotline::intake;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    auto lex = lexicon::parse(text, source_name);
    if (!lex) {
        // "<source>:<line>:<column>: <problem>"
        FUZZ_CHECK(lex.err().code == "invalid_lexicon");
        FUZZ_CHECK(lex.err().message.starts_with(std::string(source_name) + ":"));
        return 0;
    }
    (void)lex->phrase_count();
    const classifier c(std::move(lex).value());
    for (std::string_view s : sample_texts)
        (void)c.classify(s);
    (void)c.classify(text);
    return 0;
}
