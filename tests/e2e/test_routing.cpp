// Routing end to end: the directory is imported with the CLI, the real
// server locates each new report and routes it in the write that stores it;
// the assignments are read from the database file and the reporter's status.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <sqlite3.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/wait.h>

using namespace hotline::e2e;
namespace json = boost::json;

namespace {

// Lương Văn Tri (05983, Lạng Sơn) with two child-protection officers: the
// first in the file has no roster (never on duty), the second is on duty
// around the clock, as are the others, so the test holds at any hour.
constexpr const char* contacts_csv =
    "id,name,role,unit_code,phone,channels,webhook_url,active\n"
    "e2e-05983-cp-off,Nguyễn Văn Nghỉ,commune_child_protection,05983,0302990001,sms,,1\n"
    "e2e-05983-cp,Lò Thị Trực,commune_child_protection,05983,0302990002,sms,,1\n"
    "e2e-05983-police,Công an phường Lương Văn Tri,commune_police,05983,0302990003,sms,,1\n"
    "e2e-05977-cp,Hoàng Văn Bên,commune_child_protection,05977,0302990004,sms,,1\n"
    "e2e-20-coord,Điều phối tỉnh Lạng Sơn,province_coordinator,20,0302990005,sms,,1\n"
    "e2e-vn-sup,Giám sát Tổng đài,hotline_supervisor,VN,0302990006,sms,,1\n";

constexpr const char* rosters_csv =
    "contact,kind,days,from,to,start,end,note\n"
    "e2e-05983-cp,weekly,daily,,,00:00,00:00,\n"
    "e2e-05983-police,weekly,daily,,,00:00,00:00,\n"
    "e2e-05977-cp,weekly,daily,,,00:00,00:00,\n"
    "e2e-20-coord,weekly,daily,,,00:00,00:00,\n"
    "e2e-vn-sup,weekly,daily,,,00:00,00:00,\n";

// Runs the binary with `args`; its exit code, its output in `out`.
int run(const std::string& args, const fs::path& out) {
    const std::string cmd = std::string(HOTLINE_BINARY) + " " + args + " > '" + out.string() + "' 2>&1";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The rows of a query on the database file, opened read-only, each row's
// columns joined by "|" (NULL as "-").
std::vector<std::string> rows(const fs::path& db_path, const std::string& sql, const std::string& param) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, param.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        std::string row;
        for (int i = 0; i < sqlite3_column_count(st); ++i) {
            if (i) row += "|";
            const auto* v = sqlite3_column_text(st, i);
            row += v ? reinterpret_cast<const char*>(v) : "-";
        }
        out.push_back(row);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

struct submitted {
    std::string code;    // grouped
    std::string secret;
    std::string stored;  // the code as stored (ungrouped)
};

submitted submit(http_client& c, json::object body) {
    const auto r = c.post_json("/api/v1/reports", json::serialize(body));
    REQUIRE_MESSAGE(r.status == 201, r.body);
    const auto b = body_of(r);
    submitted s;
    s.code = std::string(b.at("tracking_code").as_string());
    s.secret = std::string(b.at("access_secret").as_string());
    for (const char ch : s.code)
        if (ch != '-') s.stored.push_back(ch);
    return s;
}

// "key|role|unit|reason" or "queue:Q|unit|reason" per assignment, in order.
std::vector<std::string> assignments_of(const fs::path& db, const submitted& s) {
    return rows(db,
                "SELECT CASE WHEN a.contact_id IS NULL THEN 'queue:' || a.queue ELSE k.key || '|' || a.role END "
                "|| '|' || a.unit_code || '|' || a.reason "
                "FROM assignments AS a JOIN reports AS r ON r.id = a.report_id "
                "LEFT JOIN contacts AS k ON k.id = a.contact_id WHERE r.tracking_code = ?1 ORDER BY a.id",
                s.stored);
}

std::string report_row(const fs::path& db, const submitted& s) {
    const auto r =
        rows(db, "SELECT state, commune_code, province_code FROM reports WHERE tracking_code = ?1", s.stored);
    REQUIRE(r.size() == 1);
    return r[0];
}

std::string urgency_of(const fs::path& db, const submitted& s) {
    const auto r = rows(db,
                        "SELECT json_extract(e.data, '$.urgency') FROM events AS e JOIN reports AS r ON "
                        "r.id = e.report_id WHERE r.tracking_code = ?1 AND e.kind = 'classified'",
                        s.stored);
    REQUIRE(r.size() == 1);
    return r[0];
}

json::object status_of(http_client& c, const submitted& s) {
    const auto r = c.get("/api/v1/reports/" + s.code, {{"X-Access-Secret", s.secret}});
    REQUIRE(r.status == 200);
    return body_of(r);
}

}  // namespace

TEST_CASE("routing end to end: an old ward's name reaches the officer on duty in the new ward") {
    temp_dir dir;
    const fs::path db = dir.path() / "hotline.db";
    const auto contacts = dir.write("contacts.csv", contacts_csv);
    const auto rosters = dir.write("rosters.csv", rosters_csv);
    const fs::path out = dir.path() / "import.txt";
    REQUIRE_MESSAGE(run("import contacts '" + contacts + "' --db '" + db.string() + "'", out) == 0, read_file(out));
    REQUIRE_MESSAGE(run("import rosters '" + rosters + "' --db '" + db.string() + "'", out) == 0, read_file(out));

    server_process server(dir.path(), "[routing]\nhome_province = \"20\"\n");
    http_client c(server.port());

    SUBCASE("phường Chi Lăng, TP Lạng Sơn is now Lương Văn Tri") {
        const auto s = submit(c, {{"text", "Cháu bé nhà hàng xóm bị bố dượng đánh nhiều lần, người đầy vết bầm tím."},
                                  {"location_text", "phường Chi Lăng, TP Lạng Sơn"}});
        CHECK(report_row(db, s) == "routed|05983|20");
        const auto a = assignments_of(db, s);
        REQUIRE_FALSE(a.empty());
        const std::string rule = urgency_of(db, s) == "emergency" ? "emergency" : "standard";
        CHECK(a[0] == "e2e-05983-cp|commune_child_protection|05983|rule:" + rule);
        for (const auto& x : a) CHECK(x.find("e2e-05983-cp-off") == std::string::npos);
        const auto events = rows(db,
                                 "SELECT e.kind, e.actor FROM events AS e JOIN reports AS r ON r.id = e.report_id "
                                 "WHERE r.tracking_code = ?1 ORDER BY e.id",
                                 s.stored);
        CHECK(events == std::vector<std::string>{"received|api", "classified|triage", "located|routing",
                                                 "routed|routing"});
        const auto located = rows(db,
                                  "SELECT json_extract(e.data, '$.commune_code') FROM events AS e JOIN reports AS r "
                                  "ON r.id = e.report_id WHERE r.tracking_code = ?1 AND e.kind = 'located'",
                                  s.stored);
        CHECK(located == std::vector<std::string>{"05983"});

        const auto st = status_of(c, s);
        CHECK(st.at("state").as_string() == "routed");
        CHECK(st.at("forwarded").as_bool());
    }

    SUBCASE("a report that names no place goes to the hotline supervisor") {
        const auto s = submit(c, {{"text", "Tôi thấy một em bé bị bỏ đói nhiều ngày, gầy gò, không ai chăm sóc."}});
        // The home province is a preference among names, not a place of its
        // own: with nothing named, the province is unknown too.
        CHECK(report_row(db, s) == "routed|-|-");
        CHECK(assignments_of(db, s) == std::vector<std::string>{"e2e-vn-sup|hotline_supervisor|VN|no commune"});
        const auto st = status_of(c, s);
        CHECK(st.at("state").as_string() == "routed");
        CHECK_FALSE(st.at("forwarded").as_bool());
    }

    SUBCASE("a low-urgency report goes to the hotline queue only") {
        const auto s = submit(c, {{"text", "Cho hỏi thủ tục nhận con nuôi"},
                                  {"location_text", "phường Chi Lăng, TP Lạng Sơn"}});
        REQUIRE(urgency_of(db, s) == "low");
        CHECK(report_row(db, s) == "unrouted|05983|20");
        CHECK(assignments_of(db, s) == std::vector<std::string>{"queue:hotline|VN|rule:low"});
        const auto st = status_of(c, s);
        CHECK(st.at("state").as_string() == "unrouted");
        CHECK_FALSE(st.at("forwarded").as_bool());
    }

    server.stop(SIGTERM);
    // Routing logs no place text and no names at info level.
    const auto log = server.log();
    CHECK(log.find("Chi Lăng") == std::string::npos);
    CHECK(log.find("Lò Thị Trực") == std::string::npos);
}

TEST_CASE("routing end to end: an unknown home province stops the server at start") {
    temp_dir dir;
    const auto config = dir.write("hotline.toml", "[routing]\nhome_province = \"99\"\n");
    const fs::path out = dir.path() / "serve.txt";
    const fs::path db = dir.path() / "hotline.db";
    CHECK(run("serve --config '" + config + "' --listen 127.0.0.1:0 --db '" + db.string() + "'", out) == 2);
    CHECK(read_file(out).find("routing.home_province") != std::string::npos);
    CHECK_FALSE(fs::exists(db));
}
