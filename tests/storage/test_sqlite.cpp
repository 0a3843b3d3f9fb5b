#include "storage/sqlite.hpp"

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace hotline::storage;
using hotline::test::temp_dir;

namespace {

connection open_ok(const std::string& path, open_mode mode = open_mode::read_write_create) {
    auto c = connection::open(path, mode);
    REQUIRE_MESSAGE(c.has_value(), (c ? std::string() : c.err().message));
    return std::move(*c);
}

void exec_ok(connection& c, std::string_view sql) {
    auto r = c.exec(sql);
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().message));
}

statement prepare_ok(connection& c, std::string_view sql) {
    auto s = c.prepare(sql);
    REQUIRE_MESSAGE(s.has_value(), (s ? std::string() : s.err().message));
    return std::move(*s);
}

std::int64_t scalar(connection& c, std::string_view sql) {
    auto s = prepare_ok(c, sql);
    auto r = s.step();
    REQUIRE(r.has_value());
    REQUIRE(*r == step_result::row);
    return s.column_int64(0);
}

}  // namespace

TEST_CASE("sqlite: open refuses a missing file unless asked to create it") {
    temp_dir dir;
    auto path = dir.file("db.sqlite");

    auto ro = connection::open(path, open_mode::read_only);
    REQUIRE_FALSE(ro.has_value());
    CHECK(ro.err().code == "storage_failure");
    CHECK_FALSE(ro.err().message.empty());

    auto rw = connection::open(path, open_mode::read_write);
    REQUIRE_FALSE(rw.has_value());
    CHECK(rw.err().code == "storage_failure");

    auto c = open_ok(path);
    CHECK(c.is_open());
    CHECK(std::filesystem::exists(path));
}

TEST_CASE("sqlite: a read-only connection cannot write") {
    temp_dir dir;
    auto path = dir.file("db.sqlite");
    {
        auto c = open_ok(path);
        exec_ok(c, "CREATE TABLE t (x INTEGER)");
    }
    auto ro = open_ok(path, open_mode::read_only);
    auto r = ro.exec("INSERT INTO t VALUES (1)");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "storage_failure");
    CHECK(r.err().message.find("readonly") != std::string::npos);
}

TEST_CASE("sqlite: bind and read back every type") {
    temp_dir dir;
    auto c = open_ok(dir.file("db.sqlite"));
    exec_ok(c, "CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT, oi INTEGER, os TEXT, flag INTEGER)");

    auto ins = prepare_ok(c, "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    const std::array<std::uint8_t, 4> blob{0x00, 0xff, 0x10, 0x7f};
    const std::string text = "Trẻ em bị bạo lực ở xã Tân Phú";
    REQUIRE(ins.bind(1, std::int64_t{-9007199254740993}));
    REQUIRE(ins.bind(2, 2.5));
    REQUIRE(ins.bind(3, text));
    REQUIRE(ins.bind(4, std::span<const std::uint8_t>(blob)));
    REQUIRE(ins.bind_null(5));
    REQUIRE(ins.bind(6, std::optional<int>(17)));
    REQUIRE(ins.bind(7, std::optional<std::string>()));
    REQUIRE(ins.bind(8, true));
    REQUIRE(ins.run());
    CHECK(c.changes() == 1);
    CHECK(c.last_insert_rowid() == 1);

    // Empty text and empty blobs are values, not NULL.
    ins.reset();
    ins.clear_bindings();
    REQUIRE(ins.bind(1, 7));
    REQUIRE(ins.bind(3, std::string_view()));
    REQUIRE(ins.bind(4, std::span<const std::uint8_t>()));
    REQUIRE(ins.bind(7, std::optional<std::string>("")));
    REQUIRE(ins.run());
    CHECK(c.last_insert_rowid() == 2);

    auto q = prepare_ok(c, "SELECT i, d, s, b, n, oi, os, flag FROM t ORDER BY rowid");
    CHECK(q.column_count() == 8);
    auto r = q.step();
    REQUIRE(r.has_value());
    REQUIRE(*r == step_result::row);
    CHECK(q.column_int64(0) == -9007199254740993);
    CHECK(q.column_double(1) == 2.5);
    CHECK(q.column_text(2) == text);
    auto b = q.column_blob(3);
    CHECK(std::vector<std::uint8_t>(b.begin(), b.end()) == std::vector<std::uint8_t>(blob.begin(), blob.end()));
    CHECK(q.column_is_null(4));
    CHECK(q.column_optional_text(4) == std::nullopt);
    CHECK(q.column_optional_int64(5) == 17);
    CHECK(q.column_optional_text(6) == std::nullopt);
    CHECK(q.column_int64(7) == 1);

    r = q.step();
    REQUIRE(*r == step_result::row);
    CHECK(q.column_int64(0) == 7);
    CHECK(q.column_is_null(1));  // cleared binding
    CHECK_FALSE(q.column_is_null(2));
    CHECK(q.column_text(2).empty());
    CHECK_FALSE(q.column_is_null(3));
    CHECK(q.column_blob(3).empty());
    CHECK(q.column_optional_text(6) == std::string());

    r = q.step();
    REQUIRE(r.has_value());
    CHECK(*r == step_result::done);

    // reset runs the query again from the start.
    q.reset();
    r = q.step();
    REQUIRE(*r == step_result::row);
    CHECK(q.column_int64(0) == -9007199254740993);
}

TEST_CASE("sqlite: run refuses a statement that returns rows") {
    temp_dir dir;
    auto c = open_ok(dir.file("db.sqlite"));
    auto s = prepare_ok(c, "SELECT 1");
    auto r = s.run();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "storage_failure");
}

TEST_CASE("sqlite: prepare takes exactly one statement") {
    temp_dir dir;
    auto c = open_ok(dir.file("db.sqlite"));

    auto two = c.prepare("SELECT 1; SELECT 2");
    REQUIRE_FALSE(two.has_value());
    CHECK(two.err().code == "storage_failure");
    CHECK(two.err().message.find("more than one statement") != std::string::npos);

    CHECK(c.prepare("SELECT 1;  \n").has_value());
    CHECK(c.prepare("SELECT 1; -- why\n/* and more */").has_value());

    auto none = c.prepare("  ");
    REQUIRE_FALSE(none.has_value());

    auto bad = c.prepare("SELEKT 1");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.err().code == "storage_failure");
    CHECK(bad.err().message.find("syntax error") != std::string::npos);
}

TEST_CASE("sqlite: error messages never carry bound values") {
    temp_dir dir;
    auto c = open_ok(dir.file("db.sqlite"));
    exec_ok(c, "CREATE TABLE person (name TEXT NOT NULL UNIQUE CHECK (length(name) < 10))");
    const std::string secret_name = "Nguyễn Thị Bí Mật Rất Dài";

    auto ins = prepare_ok(c, "INSERT INTO person (name) VALUES (?1)");
    REQUIRE(ins.bind(1, secret_name));
    auto r = ins.run();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "storage_failure");
    CHECK(r.err().message.find("CHECK constraint failed") != std::string::npos);
    CHECK(r.err().message.find("Nguyễn") == std::string::npos);
    CHECK(c.extended_errcode() == SQLITE_CONSTRAINT_CHECK);

    exec_ok(c, "INSERT INTO person (name) VALUES ('An')");
    auto dup = prepare_ok(c, "INSERT INTO person (name) VALUES (?1)");
    REQUIRE(dup.bind(1, "An"));
    auto d = dup.run();
    REQUIRE_FALSE(d.has_value());
    CHECK(d.err().message.find("UNIQUE constraint failed") != std::string::npos);
    CHECK(d.err().message.find("'An'") == std::string::npos);
}

TEST_CASE("sqlite: autocommit follows transactions") {
    temp_dir dir;
    auto c = open_ok(dir.file("db.sqlite"));
    CHECK(c.autocommit());
    exec_ok(c, "BEGIN");
    CHECK_FALSE(c.autocommit());
    exec_ok(c, "CREATE TABLE t (x INTEGER)");
    exec_ok(c, "ROLLBACK");
    CHECK(c.autocommit());
    CHECK(scalar(c, "SELECT count(*) FROM sqlite_master WHERE name = 't'") == 0);
}

TEST_CASE("sqlite: connections and statements move") {
    temp_dir dir;
    auto a = open_ok(dir.file("db.sqlite"));
    exec_ok(a, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (42)");

    connection b(std::move(a));
    CHECK_FALSE(a.is_open());
    REQUIRE(b.is_open());

    auto s1 = prepare_ok(b, "SELECT x FROM t");
    statement s2(std::move(s1));
    CHECK_FALSE(s1.is_open());
    statement s3;
    s3 = std::move(s2);
    CHECK_FALSE(s2.is_open());
    REQUIRE(*s3.step() == step_result::row);
    CHECK(s3.column_int64(0) == 42);

    connection c;
    CHECK_FALSE(c.is_open());
    c = std::move(b);
    CHECK(c.is_open());
    CHECK(scalar(c, "SELECT x FROM t") == 42);

    // A statement may outlive its connection object: SQLite keeps the handle
    // until the last statement is finalized.
    auto late = prepare_ok(c, "SELECT x FROM t");
    { connection gone(std::move(c)); }
    late.reset();
}

TEST_CASE("sqlite: busy_timeout bounds the wait for another writer") {
    temp_dir dir;
    auto path = dir.file("db.sqlite");
    auto holder = open_ok(path);
    exec_ok(holder, "PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER)");
    auto other = open_ok(path);
    REQUIRE(other.busy_timeout(std::chrono::milliseconds(10)));

    exec_ok(holder, "BEGIN IMMEDIATE");
    auto r = other.exec("BEGIN IMMEDIATE");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "storage_failure");
    CHECK(r.err().message.find("locked") != std::string::npos);
    CHECK((other.extended_errcode() & 0xff) == SQLITE_BUSY);

    exec_ok(holder, "COMMIT");
    exec_ok(other, "BEGIN IMMEDIATE");
    exec_ok(other, "INSERT INTO t VALUES (1)");
    exec_ok(other, "COMMIT");
    CHECK(scalar(holder, "SELECT count(*) FROM t") == 1);
}
