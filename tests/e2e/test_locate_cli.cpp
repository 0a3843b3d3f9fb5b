// `hotline locate`: JSON lines in, one answer per line out, with the units
// built into the binary.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>


using namespace hotline::e2e;
namespace json = boost::json;

namespace {

std::vector<std::string> candidates(const json::object& row) {
    std::vector<std::string> out;
    for (const auto& c : row.at("candidates").as_array()) out.emplace_back(c.as_string());
    return out;
}

}  // namespace

TEST_CASE("locate: one answer per JSON line, errors for bad lines, blank lines skipped") {
    temp_dir dir;
    const std::string input =
        "{\"id\":\"a\",\"text\":\"phường Chi Lăng, TP Lạng Sơn\"}\n"
        "{\"id\":2,\"text\":\"Phường Tràng Tiền, Hoàn Kiếm, Hà Nội\"}\n"
        "not json\n"
        "\n"
        "[1,2]\r\n"
        "{\"id\":\"t\",\"text\":7}\n"
        "{\"text\":\"không biết ở đâu\"}\n"
        "{\"id\":9,\"unit_code\":\"06220\"}\n"
        "{\"id\":10,\"text\":\"tỉnh Cao Bằng, không rõ xã\"}\n";
    const auto r = run_cli(dir, "locate --home-province 20", input);
    CHECK(r.exit_code == 0);
    const auto rows = json_lines(r.out);
    REQUIRE(rows.size() == 8);

    // An old ward of the former city: the new ward, with its province.
    CHECK(rows[0].at("id") == json::value("a"));
    CHECK(rows[0].at("commune_code") == json::value("05983"));
    CHECK(rows[0].at("province_code") == json::value("20"));
    CHECK(rows[0].at("confidence").as_double() >= 0.5);
    CHECK(candidates(rows[0]).empty());
    CHECK(rows[0].size() == 5);

    // An old ward split between two new ones: no commune, both candidates.
    CHECK(rows[1].at("commune_code").is_null());
    CHECK(rows[1].at("province_code") == json::value("01"));
    CHECK(candidates(rows[1]) == std::vector<std::string>{"00070", "00082"});
    CHECK(rows[1].at("confidence").as_double() < 0.5);

    // Bad lines: the line number as id when there is none to read, and the run goes on.
    CHECK(rows[2] == json::object{{"id", 3}, {"error", "not valid JSON"}});
    CHECK(rows[3] == json::object{{"id", 5}, {"error", "not a JSON object"}});
    CHECK(rows[4] == json::object{{"id", "t"}, {"error", "\"text\" must be a string"}});

    // Nothing to find: nulls, and the line number as id.
    CHECK(rows[5].at("id") == json::value(7));
    CHECK(rows[5].at("commune_code").is_null());
    CHECK(rows[5].at("province_code").is_null());
    CHECK(rows[5].at("confidence").as_double() == 0);

    // A code the reporter picked.
    CHECK(rows[6].at("commune_code") == json::value("06220"));
    CHECK(rows[6].at("confidence").as_double() == 1);

    // A province only.
    CHECK(rows[7].at("commune_code").is_null());
    CHECK(rows[7].at("province_code") == json::value("04"));
}

TEST_CASE("locate: the home province decides between units of the same name") {
    temp_dir dir;
    // Xã Quảng Lạc was in Lạng Sơn (now phường Lương Văn Tri) and in Ninh Bình.
    const std::string input = "{\"id\":1,\"text\":\"Xã Quảng Lạc\"}\n";
    const auto home = json_lines(run_cli(dir, "locate --home-province 20", input).out);
    REQUIRE(home.size() == 1);
    CHECK(home[0].at("commune_code") == json::value("05983"));
    const auto none = run_cli(dir, "locate", input);
    CHECK(none.exit_code == 0);
    const auto rows = json_lines(none.out);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].at("commune_code").is_null());
    CHECK(candidates(rows[0]).size() == 2);
}

TEST_CASE("locate: bad flags exit with 2 and the usage") {
    temp_dir dir;
    const auto unknown = run_cli(dir, "locate --frobnicate", "");
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("usage") != std::string::npos);
    CHECK(run_cli(dir, "locate --home-province", "").exit_code == 2);
    const auto bad = run_cli(dir, "locate --home-province 99", "{\"text\":\"x\"}\n");
    CHECK(bad.exit_code == 2);
    CHECK(bad.out.empty());
    CHECK(bad.err.find("99") != std::string::npos);
}
