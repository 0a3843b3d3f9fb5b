#include "routing/csv.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

using namespace hotline::routing;

namespace {

std::vector<std::vector<std::string>> fields_of(const std::vector<csv_row>& rows) {
    std::vector<std::vector<std::string>> out;
    for (const auto& r : rows) out.push_back(r.fields);
    return out;
}

std::string error_of(std::string_view text) {
    const auto r = parse_csv(text);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == "invalid_csv");
    return r.err().message;
}

}  // namespace

TEST_CASE("parse_csv reads records with CRLF and LF line ends") {
    const auto r = parse_csv("code,name\r\n01,Hà Nội\r\n04,Cao Bằng\n");
    REQUIRE(r);
    CHECK(fields_of(*r) == std::vector<std::vector<std::string>>{{"code", "name"}, {"01", "Hà Nội"}, {"04", "Cao Bằng"}});
    CHECK((*r)[0].line == 1);
    CHECK((*r)[2].line == 3);
}

TEST_CASE("parse_csv: a lone CR ends a line too") {
    const auto r = parse_csv("a,b\rc,d\r\ne,f");
    REQUIRE(r);
    CHECK(fields_of(*r) == std::vector<std::vector<std::string>>{{"a", "b"}, {"c", "d"}, {"e", "f"}});
    CHECK((*r)[1].line == 2);
    CHECK((*r)[2].line == 3);
}

TEST_CASE("parse_csv unquotes fields and keeps spaces as written") {
    const auto r = parse_csv("a,\"b, c\",\"say \"\"hi\"\"\", d ,\n");
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].fields == std::vector<std::string>{"a", "b, c", "say \"hi\"", " d ", ""});
}

TEST_CASE("parse_csv: a quoted line break keeps the record's first line") {
    const auto r = parse_csv("h1,h2\n\"two\nlines\",x\nlast,y");
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    CHECK((*r)[1].fields == std::vector<std::string>{"two\nlines", "x"});
    CHECK((*r)[1].line == 2);
    CHECK((*r)[2].line == 4);
    CHECK((*r)[2].fields == std::vector<std::string>{"last", "y"});
}

TEST_CASE("parse_csv skips a byte-order mark and empty lines") {
    const auto r = parse_csv("\xEF\xBB\xBF" "a,b\r\n\r\n\nc,d\r\n");
    REQUIRE(r);
    CHECK(fields_of(*r) == std::vector<std::vector<std::string>>{{"a", "b"}, {"c", "d"}});
    CHECK((*r)[1].line == 4);
    CHECK(parse_csv("")->empty());
}

TEST_CASE("parse_csv refuses malformed quoting with the line") {
    CHECK(error_of("a,b\nc,\"never closed\n") == "line 2: quote never closed");
    CHECK(error_of("a,b\n\"x\"y,z\n") == "line 2: stray quote or text after a closing quote");
    CHECK(error_of("a,b\nc,d\nab\"c,d\n") == "line 3: stray quote or text after a closing quote");
    CHECK(error_of("a\n\"multi\nline\" ,x\n") == "line 3: stray quote or text after a closing quote");
}

TEST_CASE("parse_csv refuses text that is not UTF-8") {
    CHECK(error_of("a,b\nc,\xC3\x28\n") == "line 2: not valid UTF-8");
    CHECK(error_of("\xFF") == "line 1: not valid UTF-8");
}

TEST_CASE("append_csv_row quotes only when needed and ends with CRLF") {
    std::string out;
    append_csv_row(out, {"01", "Hà Nội", "a,b", "say \"hi\"", "two\nlines", ""});
    CHECK(out == "01,Hà Nội,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    // What it writes reads back the same.
    const auto r = parse_csv(out);
    REQUIRE(r);
    CHECK((*r)[0].fields == std::vector<std::string>{"01", "Hà Nội", "a,b", "say \"hi\"", "two\nlines", ""});
}

TEST_CASE("csv_header maps names to columns") {
    const std::array<std::string_view, 2> req{"code", "name"};
    const std::array<std::string_view, 1> opt{"note"};
    csv_row header{1, {"name", "code"}};
    auto h = csv_header::parse(header, req, opt);
    REQUIRE(h);
    CHECK(h->index("code") == 1);
    CHECK(h->index("note") == csv_header::npos);
    const csv_row row{2, {"Lạng Sơn", "20"}};
    CHECK(h->get(row, "code") == "20");
    CHECK(h->get(row, "note") == "");
    CHECK(h->get(csv_row{3, {"x"}}, "code") == "");

    auto missing = csv_header::parse(csv_row{1, {"code"}}, req, opt);
    REQUIRE_FALSE(missing);
    CHECK(missing.err().code == "invalid_csv");
    CHECK(missing.err().message == "line 1: missing column \"name\"");
    auto twice = csv_header::parse(csv_row{1, {"code", "name", "code"}}, req, opt);
    REQUIRE_FALSE(twice);
    CHECK(twice.err().message == "line 1: column \"code\" appears twice");
    auto unknown = csv_header::parse(csv_row{1, {"code", "name", "colour"}}, req, opt);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.err().message == "line 1: unknown column \"colour\"");
}

TEST_CASE("parse_csv: any bytes give records or an error with a line") {
    const std::string alphabet = "a,\"\r\n \xc3\xa1\xff";
    std::uint32_t seed = 7;
    const auto next = [&] {
        seed = seed * 1664525u + 1013904223u;
        return seed >> 8;
    };
    for (int i = 0; i < 2000; ++i) {
        std::string text;
        const auto n = next() % 40;
        for (std::uint32_t k = 0; k < n; ++k) text.push_back(alphabet[next() % alphabet.size()]);
        const auto r = parse_csv(text);
        if (r) {
            std::size_t last = 0;
            for (const auto& row : *r) {
                CHECK(row.line > last);  // records start on increasing lines
                last = row.line;
                CHECK_FALSE(row.fields.empty());
            }
        } else {
            CHECK(r.err().code == "invalid_csv");
            CHECK(r.err().message.starts_with("line "));
        }
    }
}
