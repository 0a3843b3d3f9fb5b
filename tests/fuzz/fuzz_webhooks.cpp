// libFuzzer target: the request-body decoders of the SMS webhooks and of the
// report API / web form, on arbitrary bytes. They must return a value or an
// error, never crash, hang or read out of bounds.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "intake/report.hpp"
#include "server/report_decoding.hpp"
#include "server/sms_webhooks.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace hotline;

void check_error(const error& e) {
    FUZZ_CHECK(!e.code.empty());
    FUZZ_CHECK(!e.message.empty());
}

void use(const intake::report_input& in) {
    // Whatever a decoder accepted must be safe to validate.
    const intake::validated v = intake::validate(in);
    if (!v.ok())
        for (const error& e : v.errors())
            check_error(e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);

    // SMS gateways (JSON).
    if (auto m = server::android_message(body); !m)
        check_error(m.err());
    if (auto m = server::generic_message(body); !m)
        check_error(m.err());

    // Signatures over the raw body (constant-time compare, timestamp parsing).
    const time_point now{std::chrono::seconds{1'700'000'000}};
    (void)server::check_generic_signature("secret", body, "1700000000", body, now, std::chrono::seconds{300});
    (void)server::check_android_signature("key", body, body.substr(0, size / 2), body, now,
                                          std::chrono::seconds{300});

    // Report API (JSON).
    if (auto r = server::report_input_from_json(body))
        use(*r);
    else
        check_error(r.err());

    // A bare view of the fuzzer's bytes, with no NUL after it: the parsers
    // must not read past its end (Boost.URL's parse_query would; see
    // server/report_decoding.cpp).
    const std::string_view form(body);
    if (auto f = server::parse_form(form))
        use(server::report_input_from_form(*f));
    else
        check_error(f.err());
    if (auto list = server::parse_form_list(form)) {
        if (auto m = server::twilio_message(*list); !m)
            check_error(m.err());
        (void)server::twilio_signature_valid({"token-a", "token-b"}, "https://hotline.example/sms/twilio?x=1",
                                             *list, "c2lnbmF0dXJl");
    }
    return 0;
}
