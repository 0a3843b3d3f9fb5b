// The place type-ahead end to end: GET /api/v1/units from the units built
// into the binary, the script that uses it, and the location_code a report
// carries from the web form and the JSON API.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <sqlite3.h>

#include <stdexcept>

using namespace hotline::e2e;
namespace json = boost::json;

namespace {

const std::string what_happened = "Bé gái nhà bên khoảng 8 tuổi bị bố dượng đánh, hôm nay thấy vết bầm trên mặt.";
const std::string picked_place = "thôn Nà Pàn, Phường Lương Văn Tri, Lạng Sơn";

// The location columns of a report, read straight from the database file.
struct stored_location {
    std::optional<std::string> text;
    std::optional<std::string> code;
};

std::optional<std::string> column_text(sqlite3_stmt* st, int i) {
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i)));
}

stored_location location_in_file(const fs::path& db_path, const std::string& grouped_code) {
    const std::string code = grouped_code.substr(0, 4) + grouped_code.substr(5);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT location_text, location_code FROM reports WHERE tracking_code = ?", -1,
                               &st, nullptr) == SQLITE_OK);
    sqlite3_bind_text(st, 1, code.c_str(), -1, SQLITE_TRANSIENT);
    stored_location out;
    const int rc = sqlite3_step(st);
    CHECK(rc == SQLITE_ROW);
    if (rc == SQLITE_ROW) out = {column_text(st, 0), column_text(st, 1)};
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

// The report form's fields with a fresh token from the page at `form_target`.
std::vector<std::pair<std::string, std::string>> report_form(browser& b, const std::string& form_target,
                                                             const std::string& lang, const std::string& place,
                                                             const std::string& code) {
    const auto page = b.get(form_target);
    const auto token = input_value(page.body, "csrf");
    REQUIRE(token);
    return {{"csrf", *token}, {"lang", lang}, {"text", what_happened}, {"location_text", place},
            {"location_code", code}};
}

std::vector<std::string> unit_codes(const reply& r) {
    std::vector<std::string> out;
    const auto body = body_of(r);
    for (const auto& u : body.at("units").as_array()) out.emplace_back(u.at("code").as_string());
    return out;
}

}  // namespace

TEST_CASE("GET /api/v1/units answers type-ahead queries from the built-in units") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());

    const auto r = c.get("/api/v1/units?q=luong%20van%20tri");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/json");
    CHECK(r.header("cache-control") == "public, max-age=300");
    const auto units = body_of(r).at("units").as_array();
    REQUIRE_FALSE(units.empty());
    const auto& first = units.front().as_object();
    CHECK(first.at("code") == "05983");
    CHECK(first.at("full_name") == "Phường Lương Văn Tri");
    CHECK(first.at("province_code") == "20");
    CHECK(first.at("province_name") == "Lạng Sơn");

    // tone marks placed either way, or none at all
    const auto plain = unit_codes(c.get("/api/v1/units?q=hoa&limit=50"));
    REQUIRE_FALSE(plain.empty());
    CHECK(unit_codes(c.get("/api/v1/units?q=ho%C3%A0&limit=50")) == plain);
    CHECK(unit_codes(c.get("/api/v1/units?q=h%C3%B2a&limit=50")) == plain);

    // refusals name the parameter
    const auto empty = c.get("/api/v1/units?q=");
    CHECK(empty.status == 400);
    CHECK(error_field_of(empty) == "q");
    const auto long_q = c.get("/api/v1/units?q=" + std::string(101, 'a'));
    CHECK(long_q.status == 400);
    CHECK(error_code_of(long_q) == "too_long");
    CHECK(error_field_of(long_q) == "q");
    const auto limit = c.get("/api/v1/units?q=tan&limit=51");
    CHECK(limit.status == 400);
    CHECK(error_field_of(limit) == "limit");
    const auto province = c.get("/api/v1/units?q=tan&province=02");
    CHECK(province.status == 400);
    CHECK(error_field_of(province) == "province");
    const auto post = c.post_json("/api/v1/units?q=tan", "{}");
    CHECK(post.status == 405);
    CHECK(post.header("allow") == "GET");
    // public: no token needed, and the server keeps serving
    CHECK(c.get("/api/v1/units?q=tan&limit=1").status == 200);
}

TEST_CASE("the home province of the configuration comes first in the suggestions") {
    temp_dir dir;
    server_process srv(dir.path(), "[routing]\nhome_province = \"20\"\n");
    http_client c(srv.port());
    // Lạng Sơn (20) has five communes named Tân …
    const auto r = c.get("/api/v1/units?q=tan&limit=6");
    REQUIRE(r.status == 200);
    const auto units = body_of(r).at("units").as_array();
    REQUIRE(units.size() == 6);
    for (std::size_t i = 0; i < 5; ++i) CHECK(units[i].at("province_code") == "20");
    CHECK(units[5].at("province_code") != "20");
    // a province in the request wins
    const auto other = body_of(c.get("/api/v1/units?q=tan&limit=3&province=79")).at("units").as_array();
    REQUIRE(other.size() == 3);
    for (const auto& u : other) CHECK(u.at("province_code") == "79");
}

TEST_CASE("a home province that is not a current province stops the server at start-up") {
    temp_dir dir;
    std::string message;
    try {
        server_process srv(dir.path(), "[routing]\nhome_province = \"02\"\n");  // Hà Giang, merged in 2025
    } catch (const std::runtime_error& e) {
        message = e.what();
    }
    CHECK(message.find("home_province") != std::string::npos);
    CHECK(message.find("\"02\"") != std::string::npos);
}

TEST_CASE("the report form loads the place script, which the server serves under the CSP") {
    temp_dir dir;
    server_process srv(dir.path());
    browser b(srv.port());
    const auto page = b.get("/");
    REQUIRE(page.status == 200);
    CHECK(page.body.find("<script src=\"/static/place.js\" defer></script>") != std::string::npos);
    CHECK(page.body.find("data-units-url=\"/api/v1/units\"") != std::string::npos);
    const auto csp = page.header("content-security-policy");
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("connect-src 'self'") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);

    const auto js = b.get("/static/place.js");
    REQUIRE(js.status == 200);
    CHECK(js.header("content-type") == "text/javascript; charset=utf-8");
    CHECK(js.header("cache-control") == "public, max-age=3600");
    CHECK(js.body.find("f-location_code") != std::string::npos);
}

TEST_CASE("a place picked on the form is stored with its code, an unknown code is shown next to the field") {
    temp_dir dir;
    server_process srv(dir.path());
    browser b(srv.port());

    SUBCASE("a commune picked from the suggestions") {
        const auto receipt = b.post("/report", report_form(b, "/", "vi", picked_place, "05983"));
        REQUIRE(receipt.status == 200);
        const auto code = element_text(receipt.body, "tracking-code");
        REQUIRE(code);
        const auto stored = location_in_file(srv.db_path(), *code);
        CHECK(stored.code == "05983");
        CHECK(stored.text == picked_place);
    }
    SUBCASE("free text only, as without JavaScript") {
        const auto receipt = b.post("/report", report_form(b, "/", "vi", "phường Chi Lăng, TP Lạng Sơn", ""));
        REQUIRE(receipt.status == 200);
        const auto code = element_text(receipt.body, "tracking-code");
        REQUIRE(code);
        const auto stored = location_in_file(srv.db_path(), *code);
        CHECK_FALSE(stored.code.has_value());
        CHECK(stored.text == "phường Chi Lăng, TP Lạng Sơn");
    }
    SUBCASE("a province code is a place too") {
        const auto receipt = b.post("/report", report_form(b, "/", "vi", "Lạng Sơn", "20"));
        REQUIRE(receipt.status == 200);
        const auto code = element_text(receipt.body, "tracking-code");
        REQUIRE(code);
        CHECK(location_in_file(srv.db_path(), *code).code == "20");
    }
    for (const std::string lang : {"vi", "en"}) {
        SUBCASE(("an unknown code, " + lang).c_str()) {
            const auto again = b.post("/report", report_form(b, "/?lang=" + lang, lang, picked_place, "99999"));
            CHECK(again.status == 422);
            CHECK_FALSE(element_text(again.body, "tracking-code").has_value());
            CHECK(again.body.find("<html lang=\"" + lang + "\"") != std::string::npos);
            // the message sits in the element the field points to
            const auto at = again.body.find("id=\"err-location_code\"");
            REQUIRE(at != std::string::npos);
            const std::string block = again.body.substr(at, again.body.find("</p>", at) - at);
            CHECK(block.find(lang == "vi" ? "Không tìm thấy xã/phường đã chọn"
                                          : "The commune you picked was not found") != std::string::npos);
            CHECK(again.body.find("err-location_code\"", at + 1) != std::string::npos);  // aria-describedby
            // the words are kept, the code dropped: sending again goes with the text alone
            CHECK(input_value(again.body, "location_text") == picked_place);
            CHECK(input_value(again.body, "location_code") == "");
            const auto token = input_value(again.body, "csrf");
            REQUIRE(token);
            const auto resent = b.post("/report", {{"csrf", *token}, {"lang", lang}, {"text", what_happened},
                                                   {"location_text", picked_place},
                                                   {"location_code", *input_value(again.body, "location_code")}});
            REQUIRE(resent.status == 200);
            const auto resent_code = element_text(resent.body, "tracking-code");
            REQUIRE(resent_code);
            const auto stored = location_in_file(srv.db_path(), *resent_code);
            CHECK_FALSE(stored.code.has_value());
            CHECK(stored.text == picked_place);
        }
    }
}

TEST_CASE("the JSON API refuses a location_code that is not a current unit with 400 naming it") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());
    const auto body = [](const std::string& code) {
        return json::serialize(json::object{{"text", what_happened}, {"location_code", code}});
    };
    for (const std::string bad : {"99999", "00001" /* merged away in 2025 */, "02" /* an old province */}) {
        CAPTURE(bad);
        const auto r = c.post_json("/api/v1/reports", body(bad));
        CHECK(r.status == 400);
        CHECK(error_code_of(r) == "unknown_unit");
        CHECK(error_field_of(r) == "location_code");
    }
    // still a 422 for a code that is not digits at all (intake's own check)
    const auto letters = c.post_json("/api/v1/reports", body("abc"));
    CHECK(letters.status == 422);
    CHECK(error_field_of(letters) == "location_code");

    for (const std::string good : {"05983", "20"}) {
        CAPTURE(good);
        const auto r = c.post_json("/api/v1/reports", body(good));
        REQUIRE(r.status == 201);
        const auto code = std::string(body_of(r).at("tracking_code").as_string());
        CHECK(location_in_file(srv.db_path(), code).code == good);
    }
}
