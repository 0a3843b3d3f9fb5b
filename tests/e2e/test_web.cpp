// The citizen's web pages over real HTTP: form, CSRF, receipt, status.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <regex>

using namespace hotline::e2e;

namespace {

const std::string what_happened = "Bé trai hàng xóm bị mẹ kế nhốt ngoài trời mưa, khóc cả đêm <b>thật</b>";

}  // namespace

TEST_CASE("the report form carries the security headers, the quick exit and the emergency numbers") {
    temp_dir dir;
    server_process srv(dir.path());
    browser b(srv.port());
    auto page = b.get("/");
    REQUIRE(page.status == 200);
    CHECK(page.header("content-type") == "text/html; charset=utf-8");
    const auto csp = page.header("content-security-policy");
    CHECK(csp.find("default-src 'none'") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(page.header("x-content-type-options") == "nosniff");
    CHECK(page.header("referrer-policy") == "no-referrer");
    CHECK(page.header("set-cookie").find("HttpOnly") != std::string::npos);
    CHECK(page.header("set-cookie").find("SameSite=Strict") != std::string::npos);
    CHECK(page.body.find("<html lang=\"vi\"") != std::string::npos);
    for (const char* n : {"tel:111", "tel:113", "tel:115"}) CHECK(page.body.find(n) != std::string::npos);
    CHECK(input_value(page.body, "csrf").has_value());
    // The quick-exit link comes before any other link.
    const auto first_link = page.body.find("<a ");
    REQUIRE(first_link != std::string::npos);
    CHECK(page.body.substr(first_link, 200).find("https://www.google.com.vn/") != std::string::npos);

    auto en = b.get("/?lang=en");
    CHECK(en.body.find("<html lang=\"en\"") != std::string::npos);
    auto css = b.get("/static/site.css");
    CHECK(css.status == 200);
    CHECK(css.header("content-type").starts_with("text/css"));
}

TEST_CASE("a report sent through the form gets a receipt, and its status can be looked up") {
    temp_dir dir;
    server_process srv(dir.path());
    browser b(srv.port());
    const auto form = b.get("/");
    const auto token = input_value(form.body, "csrf");
    REQUIRE(token);

    const std::vector<std::pair<std::string, std::string>> fields{
        {"csrf", *token},          {"lang", "vi"},
        {"text", what_happened},   {"location_text", "phường Chi Lăng, Lạng Sơn"},
        {"child_age", "6"},        {"child_age_estimated", "1"},
        {"child_sex", "male"},     {"reporter_phone", "+84 912 345 678"},
        {"contact_ok", "1"}};
    auto receipt = b.post("/report", fields);
    REQUIRE(receipt.status == 200);
    const auto code = element_text(receipt.body, "tracking-code");
    const auto secret = element_text(receipt.body, "access-secret");
    REQUIRE(code);
    REQUIRE(secret);
    CHECK(std::regex_match(*code, std::regex("[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")));
    CHECK(std::regex_match(*secret, std::regex("[0-9]{4} [0-9]{4}")));
    CHECK(receipt.header("cache-control") == "no-store");

    SUBCASE("pressing Send twice files one report") {
        auto again = b.post("/report", fields);
        REQUIRE(again.status == 200);
        CHECK(element_text(again.body, "tracking-code") == code);
        CHECK(element_text(again.body, "access-secret") == secret);
    }
    SUBCASE("status through the status form") {
        const auto status_form = b.get("/status");
        const auto st_token = input_value(status_form.body, "csrf");
        REQUIRE(st_token);
        auto page = b.post("/status", {{"csrf", *st_token}, {"tracking_code", *code}, {"access_secret", *secret}});
        REQUIRE(page.status == 200);
        // No directory in this test: the report waits in the hotline queue.
        CHECK(page.body.find("data-state=\"unrouted\"") != std::string::npos);

        auto wrong = b.post("/status", {{"csrf", *st_token}, {"tracking_code", *code}, {"access_secret", "00000000"}});
        CHECK(wrong.status == 404);
        CHECK(input_value(wrong.body, "tracking_code") == code);  // kept for another try
    }
    SUBCASE("the JSON API sees the same report") {
        auto api = b.client.get("/api/v1/reports/" + *code, {{"X-Access-Secret", *secret}});
        CHECK(api.status == 200);
    }
}

TEST_CASE("a form without a valid CSRF token is shown again with the input kept") {
    temp_dir dir;
    server_process srv(dir.path());
    browser b(srv.port());
    // No cookie, no token: as a cross-site post would arrive.
    auto forged = b.post("/report", {{"text", what_happened}, {"child_age", "6"}});
    CHECK(forged.status == 403);
    CHECK(forged.body.find("Bé trai hàng xóm") != std::string::npos);
    CHECK(forged.body.find("<b>thật</b>") == std::string::npos);  // kept, but escaped
    CHECK(forged.body.find("&lt;b&gt;thật&lt;/b&gt;") != std::string::npos);
    CHECK(input_value(forged.body, "child_age") == "6");
    // The page came with a cookie and a fresh token: sending again works.
    const auto token = input_value(forged.body, "csrf");
    REQUIRE(token);
    auto ok = b.post("/report", {{"csrf", *token}, {"text", what_happened}});
    CHECK(ok.status == 200);
    CHECK(element_text(ok.body, "tracking-code").has_value());

    // A token made for another browser's cookie is refused.
    browser other(srv.port());
    other.get("/");
    auto stolen = other.post("/report", {{"csrf", *token}, {"text", what_happened}});
    CHECK(stolen.status == 403);
}

TEST_CASE("validation errors show the form again with the message next to the field") {
    temp_dir dir;
    server_process srv(dir.path());
    browser b(srv.port());
    const auto token = input_value(b.get("/?lang=en").body, "csrf");
    REQUIRE(token);
    auto r = b.post("/report", {{"csrf", *token},
                                {"lang", "en"},
                                {"text", "   "},
                                {"child_age", "25"},
                                {"reporter_phone", "123"},
                                {"location_text", "Hữu Lũng"}});
    CHECK(r.status == 422);
    CHECK(r.body.find("<html lang=\"en\"") != std::string::npos);
    CHECK(input_value(r.body, "location_text") == "Hữu Lũng");
    CHECK(input_value(r.body, "child_age") == "25");
    for (const std::string field : {"text", "child_age", "reporter_phone"}) {
        // The control points at its message, and the message is on the page.
        const std::regex described("name=\"" + field + "\"[^>]*aria-describedby=\"[^\"]*err-" + field + "\"");
        CHECK_MESSAGE(std::regex_search(r.body, described), field);
        CHECK_MESSAGE(r.body.find("id=\"err-" + field + "\"") != std::string::npos, field);
    }
}

TEST_CASE("the form endpoint refuses other encodings") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());
    auto r = c.request(boost::beast::http::verb::post, "/report", "{}", {{"Content-Type", "application/json"}});
    CHECK(r.status == 415);
    CHECK(r.header("content-type").starts_with("text/html"));
}
