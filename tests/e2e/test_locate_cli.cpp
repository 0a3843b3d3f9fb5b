// `hotline locate`: JSON lines in, one answer per line out, with the units
// built into the binary.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

using namespace hotline::e2e;
namespace json = boost::json;

namespace {

struct run_result {
    int exit_code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};

// Runs the binary with `args`, `input` on its stdin.
run_result run(const temp_dir& dir, const std::string& args, const std::string& input) {
    const auto in = dir.path() / "stdin.txt";
    const auto err = dir.path() / "stderr.txt";
    { std::ofstream(in, std::ios::binary) << input; }
    const std::string cmd =
        std::string(HOTLINE_BINARY) + " " + args + " < '" + in.string() + "' 2> '" + err.string() + "'";
    run_result r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream e(err);
    std::stringstream ss;
    ss << e.rdbuf();
    r.err = ss.str();
    return r;
}

std::vector<json::object> json_lines(const std::string& out) {
    std::vector<json::object> rows;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) rows.push_back(json::parse(line).as_object());
    return rows;
}

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
    const auto r = run(dir, "locate --home-province 20", input);
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
    const auto home = json_lines(run(dir, "locate --home-province 20", input).out);
    REQUIRE(home.size() == 1);
    CHECK(home[0].at("commune_code") == json::value("05983"));
    const auto none = run(dir, "locate", input);
    CHECK(none.exit_code == 0);
    const auto rows = json_lines(none.out);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].at("commune_code").is_null());
    CHECK(candidates(rows[0]).size() == 2);
}

TEST_CASE("locate: bad flags exit with 2 and the usage") {
    temp_dir dir;
    const auto unknown = run(dir, "locate --frobnicate", "");
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("usage") != std::string::npos);
    CHECK(run(dir, "locate --home-province", "").exit_code == 2);
    const auto bad = run(dir, "locate --home-province 99", "{\"text\":\"x\"}\n");
    CHECK(bad.exit_code == 2);
    CHECK(bad.out.empty());
    CHECK(bad.err.find("99") != std::string::npos);
}
