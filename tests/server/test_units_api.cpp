#include "server/units_api.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "server/units.hpp"

using namespace hotline;
using namespace hotline::server;
namespace json = boost::json;

namespace {

const routing::unit_catalog& catalog() {
    static const result<routing::unit_catalog> units = load_builtin_units();
    REQUIRE_MESSAGE(units.has_value(), (units.has_value() ? std::string() : units.err().message));
    return *units;
}

response get(std::string_view target, std::string_view home_province = {}) {
    return units_api(catalog(), target, home_province);
}

json::object body_of(const response& r) {
    const auto v = json::parse(r.body());
    REQUIRE(v.is_object());
    return v.as_object();
}

// The codes of the units in an answer, in order.
std::vector<std::string> codes_of(const response& r) {
    std::vector<std::string> out;
    const auto body = body_of(r);
    for (const auto& u : body.at("units").as_array()) out.emplace_back(u.at("code").as_string());
    return out;
}

std::vector<std::string> provinces_of(const response& r) {
    std::vector<std::string> out;
    const auto body = body_of(r);
    for (const auto& u : body.at("units").as_array()) out.emplace_back(u.at("province_code").as_string());
    return out;
}

// The code and field of a refusal, after checking it is a 400 error answer.
std::pair<std::string, std::string> refusal(const response& r) {
    CHECK(r.result() == http::status::bad_request);
    const auto b = body_of(r);
    REQUIRE(b.contains("error"));
    const auto& e = b.at("error").as_object();
    CHECK_FALSE(e.at("message").as_string().empty());
    return {std::string(e.at("code").as_string()),
            e.contains("field") ? std::string(e.at("field").as_string()) : std::string()};
}

}  // namespace

TEST_CASE("the built-in units load: 34 provinces, 3,321 communes, the old units and the mapping") {
    const auto& u = catalog();
    CHECK(u.provinces().size() == 34);
    CHECK(u.communes().size() == 3321);
    CHECK(u.legacy_province_count() == 63);
    CHECK(u.legacy_district_count() == 696);
    CHECK(u.legacy_commune_count() == 10035);
    CHECK(u.mapping_count() == 10604);
    const auto* c = u.find_commune("05983");
    REQUIRE(c);
    CHECK(c->name == "Lương Văn Tri");
    CHECK(c->province_code == "20");
    REQUIRE(u.find_province("20"));
    CHECK(u.find_province("20")->name == "Lạng Sơn");
}

TEST_CASE("check_location_code: current communes and provinces pass, anything else is unknown_unit") {
    const auto& u = catalog();
    CHECK_FALSE(check_location_code(u, ""));
    CHECK_FALSE(check_location_code(u, "05983"));  // a commune
    CHECK_FALSE(check_location_code(u, "20"));     // a province
    for (const std::string_view code : {"99999", "0598", "059830", "00001" /* merged away in 2025 */,
                                        "02" /* Hà Giang, now part of Tuyên Quang */, "001" /* a district */}) {
        CAPTURE(code);
        const auto e = check_location_code(u, code);
        REQUIRE(e);
        CHECK(e->code == "unknown_unit");
        CHECK(e->field == "location_code");
        CHECK(e->message.find(code) != std::string::npos);
    }
}

TEST_CASE("GET /api/v1/units finds a commune from its name without diacritics") {
    const auto r = get("/api/v1/units?q=luong%20van%20tri");
    REQUIRE(r.result() == http::status::ok);
    CHECK(r[http::field::content_type] == "application/json");
    CHECK(r[http::field::cache_control] == "public, max-age=300");
    const auto units = body_of(r).at("units").as_array();
    REQUIRE_FALSE(units.empty());
    const auto& first = units.front().as_object();
    CHECK(first.at("code") == "05983");
    CHECK(first.at("name") == "Lương Văn Tri");
    CHECK(first.at("full_name") == "Phường Lương Văn Tri");
    CHECK(first.at("type") == "phường");
    CHECK(first.at("province_code") == "20");
    CHECK(first.at("province_name") == "Lạng Sơn");
    CHECK(first.size() == 6);

    // `+` is a space, as a form's GET sends it; case and diacritics do not matter.
    CHECK(codes_of(get("/api/v1/units?q=luong+van+tri")).front() == "05983");
    CHECK(codes_of(get("/api/v1/units?q=L%C6%B0%C6%A1ng%20V%C4%83n%20Tr")).front() == "05983");  // "Lương Văn Tr"
    CHECK(codes_of(get("/api/v1/units?q=LUONG%20VAN")).front() == "05983");
    // by its code
    CHECK(codes_of(get("/api/v1/units?q=05983")).front() == "05983");
    // spaces around the query do not count
    CHECK(codes_of(get("/api/v1/units?q=%20%20luong%20van%20tri%20")).front() == "05983");
}

TEST_CASE("GET /api/v1/units: hoa, hoà, hòa and HOA give the same suggestions") {
    const auto plain = codes_of(get("/api/v1/units?q=hoa&limit=50"));
    REQUIRE(plain.size() > 5);
    CHECK(codes_of(get("/api/v1/units?q=ho%C3%A0&limit=50")) == plain);   // hoà (mark on the a)
    CHECK(codes_of(get("/api/v1/units?q=h%C3%B2a&limit=50")) == plain);   // hòa (mark on the o)
    CHECK(codes_of(get("/api/v1/units?q=HOA&limit=50")) == plain);
    CHECK(codes_of(get("/api/v1/units?q=ho%CC%80a&limit=50")) == plain);  // decomposed, as some keyboards send it
}

TEST_CASE("GET /api/v1/units: limit, and the preferred province first") {
    CHECK(codes_of(get("/api/v1/units?q=tan&limit=3")).size() == 3);
    CHECK(codes_of(get("/api/v1/units?q=tan")).size() == units_default_limit);
    CHECK(codes_of(get("/api/v1/units?q=tan&limit=50")).size() == 50);
    CHECK(codes_of(get("/api/v1/units?q=zzzzqqq")).empty());

    // Lạng Sơn (20) has Tân Đoàn, Tân Thành, Tân Tiến, Tân Tri and Tân Văn.
    const auto check_first = [](const response& r, std::string_view province) {
        REQUIRE(r.result() == http::status::ok);
        const auto p = provinces_of(r);
        REQUIRE(p.size() >= 6);
        for (std::size_t i = 0; i < 5; ++i) CHECK(p[i] == province);
        CHECK(p[5] != province);
    };
    check_first(get("/api/v1/units?q=tan&province=20"), "20");
    // the deployment's home province, when the request names none
    check_first(get("/api/v1/units?q=tan", "20"), "20");
    // a province in the request wins over the home province (Hồ Chí Minh City, 79, has 23 Tân…)
    const auto explicit_province = provinces_of(get("/api/v1/units?q=tan&province=79", "20"));
    REQUIRE(explicit_province.size() == units_default_limit);
    for (const auto& p : explicit_province) CHECK(p == "79");
    CHECK(provinces_of(get("/api/v1/units?q=tan&limit=50")).front() != "20");  // no preference: not Lạng Sơn first
    // other parameters are ignored; the last of a repeated one wins
    CHECK(codes_of(get("/api/v1/units?lang=en&q=xyz&q=luong%20van%20tri&_=123")).front() == "05983");
}

TEST_CASE("GET /api/v1/units refuses bad parameters with 400 naming them") {
    using p = std::pair<std::string, std::string>;
    CHECK(refusal(get("/api/v1/units")) == p{"required", "q"});
    CHECK(refusal(get("/api/v1/units?q=")) == p{"required", "q"});
    CHECK(refusal(get("/api/v1/units?q=%20%20+")) == p{"required", "q"});
    CHECK(refusal(get("/api/v1/units?q=%FF")) == p{"invalid_utf8", "q"});
    const std::string hundred(100, 'a');
    CHECK(get("/api/v1/units?q=" + hundred).result() == http::status::ok);
    CHECK(refusal(get("/api/v1/units?q=" + hundred + "a")) == p{"too_long", "q"});
    // bytes, not letters: 51 two-byte letters are 102 bytes
    std::string vi;
    for (int i = 0; i < 51; ++i) vi += "%C4%90";  // Đ
    CHECK(refusal(get("/api/v1/units?q=" + vi)) == p{"too_long", "q"});
    for (const std::string bad : {"0", "51", "-1", "abc", "", "1.5", "1000", "00000000000000000007x"}) {
        CAPTURE(bad);
        CHECK(refusal(get("/api/v1/units?q=tan&limit=" + bad)) == p{"invalid_value", "limit"});
    }
    CHECK(get("/api/v1/units?q=tan&limit=1").result() == http::status::ok);
    CHECK(get("/api/v1/units?q=tan&limit=050").result() == http::status::ok);
    CHECK(refusal(get("/api/v1/units?q=tan&province=99")) == p{"invalid_value", "province"});
    CHECK(refusal(get("/api/v1/units?q=tan&province=02")) == p{"invalid_value", "province"});  // old Hà Giang
    CHECK(refusal(get("/api/v1/units?q=tan&limit=5&province=%FF")) == p{"invalid_utf8", "province"});
    // an empty province is no province
    CHECK(get("/api/v1/units?q=tan&province=").result() == http::status::ok);
    // refusals are not cached
    CHECK(get("/api/v1/units")[http::field::cache_control] == "no-store");
}
