// The contact directory end to end: `hotline import|export contacts|rosters`
// on the Lạng Sơn demo files, and the admin API of a running server.
#include "tests/e2e/harness.hpp"
#include "tests/support/read_file.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <sqlite3.h>

#include <set>

using namespace hotline::e2e;
namespace json = boost::json;
using hotline::test::read_file;

namespace {

const std::string operator_token = "e2e-directory-token-0123456789abcdef";
const std::string operator_toml = "[api]\noperator_tokens = [\"" + operator_token + "\"]\n";
const std::string demo_dir = std::string(HOTLINE_SOURCE_DIR) + "/deploy/demo/";

std::int64_t count_in(const std::string& db_path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const auto v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

std::size_t lines(const std::string& s) {
    std::size_t n = 0;
    for (const char c : s) n += c == '\n' ? 1 : 0;
    return n;
}

header_list bearer() { return {{"Authorization", "Bearer " + operator_token}}; }

header_list bearer_with(std::string content_type) {
    return {{"Authorization", "Bearer " + operator_token}, {"Content-Type", std::move(content_type)}};
}

reply put_json(http_client& c, const std::string& target, const std::string& body) {
    return c.request(boost::beast::http::verb::put, target, body, bearer_with("application/json"));
}

reply post_csv(http_client& c, const std::string& target, const std::string& body) {
    return c.request(boost::beast::http::verb::post, target, body, bearer_with("text/csv; charset=utf-8"));
}

std::set<std::string> keys_of(const json::array& contacts) {
    std::set<std::string> out;
    for (const auto& c : contacts) out.insert(std::string(c.at("key").as_string()));
    return out;
}

// Loads the demo through the API.
void load_demo(http_client& c) {
    const auto a = post_csv(c, "/api/v1/directory/contacts", read_file(demo_dir + "contacts.csv"));
    REQUIRE_MESSAGE(a.status == 200, a.body);
    const auto b = post_csv(c, "/api/v1/directory/rosters", read_file(demo_dir + "rosters.csv"));
    REQUIRE_MESSAGE(b.status == 200, b.body);
}

}  // namespace

// ---- command line ------------------------------------------------------------

TEST_CASE("hotline import loads the demo directory once, again it changes nothing, export round-trips") {
    temp_dir dir;
    const std::string db = dir.file("h.db");
    const auto contacts = run_cli(dir, "import contacts " + demo_dir + "contacts.csv --db " + db);
    CHECK_MESSAGE(contacts.exit_code == 0, contacts.err);
    CHECK(contacts.out == "contacts: 283 added, 0 updated, 0 unchanged\n");
    const auto rosters = run_cli(dir, "import rosters " + demo_dir + "rosters.csv --db " + db);
    CHECK_MESSAGE(rosters.exit_code == 0, rosters.err);
    CHECK(rosters.out.find("282 added, 0 updated, 0 unchanged") != std::string::npos);
    CHECK(count_in(db, "SELECT count(*) FROM contacts") == 283);
    CHECK(count_in(db, "SELECT count(*) FROM roster_shifts") + count_in(db, "SELECT count(*) FROM roster_overrides") ==
          static_cast<std::int64_t>(lines(read_file(demo_dir + "rosters.csv")) - 1));
    CHECK(count_in(db, "SELECT count(*) FROM contacts WHERE phone NOT LIKE '+84302%'") == 0);

    const auto again = run_cli(dir, "import contacts " + demo_dir + "contacts.csv --db " + db);
    CHECK(again.out == "contacts: 0 added, 0 updated, 283 unchanged\n");
    const auto again_rosters = run_cli(dir, "import rosters " + demo_dir + "rosters.csv --db " + db);
    CHECK(again_rosters.out.find("0 added, 0 updated, 282 unchanged") != std::string::npos);

    const auto exported = run_cli(dir, "export contacts --db " + db);
    REQUIRE(exported.exit_code == 0);
    CHECK(exported.out.starts_with("id,name,role,unit_code,phone,channels,webhook_url,active\r\n"));
    CHECK(exported.out.find("ls-05983-cp,") != std::string::npos);
    CHECK(exported.out.find("+84302002001") != std::string::npos);  // E.164 on the way out
    CHECK(lines(exported.out) == 284);
    const auto exported_rosters = run_cli(dir, "export rosters --db " + db);
    REQUIRE(exported_rosters.exit_code == 0);
    CHECK(exported_rosters.out.find("Nghỉ Tết Bính Ngọ") != std::string::npos);

    // The exported files are the directory: importing them changes nothing.
    dir.write("c.csv", exported.out);
    dir.write("r.csv", exported_rosters.out);
    CHECK(run_cli(dir, "import contacts " + dir.file("c.csv") + " --db " + db).out ==
          "contacts: 0 added, 0 updated, 283 unchanged\n");
    CHECK(run_cli(dir, "import rosters " + dir.file("r.csv") + " --db " + db).out.find("282 unchanged") !=
          std::string::npos);
}

TEST_CASE("hotline import refuses a file with bad rows, lists them all and writes nothing") {
    temp_dir dir;
    const std::string db = dir.file("h.db");
    SUBCASE("contacts") {
        dir.write("bad.csv",
                  "id,name,role,unit_code,phone\n"
                  "ok,Nguyễn Văn Thử,commune_police,05983,0302002099\n"
                  "x1,Nguyễn Văn Thử,commune_police,06034,0302002098\n"
                  "x2,Nguyễn Văn Thử,mayor,05983,0302002097\n"
                  "x3,Nguyễn Văn Thử,commune_police,05983,0412345678\n");
        const auto r = run_cli(dir, "import contacts " + dir.file("bad.csv") + " --db " + db);
        CHECK(r.exit_code == 1);
        CHECK(r.out.empty());
        CHECK(r.err.find("line 3: unit_code:") != std::string::npos);
        CHECK(r.err.find("line 4: role:") != std::string::npos);
        CHECK(r.err.find("line 5: phone:") != std::string::npos);
        CHECK(r.err.find("line 2") == std::string::npos);
        CHECK_FALSE(fs::exists(db));  // refused before the database was opened
    }
    SUBCASE("rosters") {
        REQUIRE(run_cli(dir, "import contacts " + demo_dir + "contacts.csv --db " + db).exit_code == 0);
        dir.write("bad.csv",
                  "contact,kind,days,from,to,start,end,note\n"
                  "ls-05983-cp,weekly,daily,,,00:00,00:00,\n"
                  "nobody,weekly,daily,,,00:00,00:00,\n"
                  "ls-05983-cp,weekly,someday,,,08:00,17:00,\n"
                  "ls-05983-cp,off,,2026-02-30,,,,\n");
        const auto r = run_cli(dir, "import rosters " + dir.file("bad.csv") + " --db " + db);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("line 3: contact: no contact \"nobody\"") != std::string::npos);
        CHECK(r.err.find("line 4: days:") != std::string::npos);
        CHECK(r.err.find("line 5: from:") != std::string::npos);
        CHECK(count_in(db, "SELECT count(*) FROM roster_shifts") == 0);
    }
}

TEST_CASE("hotline import and export: usage errors") {
    temp_dir dir;
    CHECK(run_cli(dir, "import").exit_code == 2);
    CHECK(run_cli(dir, "import people x.csv").exit_code == 2);
    CHECK(run_cli(dir, "import contacts").exit_code == 2);
    CHECK(run_cli(dir, "export contacts --verbose").exit_code == 2);
    const auto missing = run_cli(dir, "import contacts " + dir.file("none.csv") + " --db " + dir.file("h.db"));
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("cannot read") != std::string::npos);
    const auto no_db = run_cli(dir, "export rosters --db " + dir.file("none.db"));
    CHECK(no_db.exit_code == 1);
    CHECK(no_db.err.find("no database") != std::string::npos);
}

// ---- admin API ---------------------------------------------------------------

TEST_CASE("directory API: an operator token is required everywhere") {
    temp_dir dir;
    server_process server(dir.path(), operator_toml);
    http_client c(server.port());
    for (const char* target : {"/api/v1/contacts", "/api/v1/contacts/x", "/api/v1/contacts/x/roster",
                               "/api/v1/directory/contacts.csv", "/api/v1/directory/rosters.csv",
                               "/api/v1/on-duty?unit=05983&role=commune_police"}) {
        INFO(target);
        CHECK(c.get(target).status == 401);
        CHECK(c.get(target, {{"Authorization", "Bearer wrong-token-0123456789"}}).status == 401);
    }
    CHECK(c.request(boost::beast::http::verb::post, "/api/v1/directory/contacts", "id\n",
                    {{"Content-Type", "text/csv"}})
              .status == 401);
}

TEST_CASE("directory API: CSV import and export, contacts and rosters as JSON") {
    temp_dir dir;
    server_process server(dir.path(), operator_toml);
    http_client c(server.port());

    const auto first = post_csv(c, "/api/v1/directory/contacts", read_file(demo_dir + "contacts.csv"));
    REQUIRE_MESSAGE(first.status == 200, first.body);
    CHECK(body_of(first).at("added").as_int64() == 283);
    const auto rosters = post_csv(c, "/api/v1/directory/rosters", read_file(demo_dir + "rosters.csv"));
    REQUIRE_MESSAGE(rosters.status == 200, rosters.body);
    CHECK(body_of(rosters).at("added").as_int64() == 282);
    const auto again = post_csv(c, "/api/v1/directory/contacts", read_file(demo_dir + "contacts.csv"));
    CHECK(body_of(again).at("unchanged").as_int64() == 283);

    const auto list = c.get("/api/v1/contacts", bearer());
    REQUIRE(list.status == 200);
    const auto all = body_of(list).at("contacts").as_array();
    CHECK(all.size() == 283);

    const auto one = c.get("/api/v1/contacts/ls-05983-cp", bearer());
    REQUIRE(one.status == 200);
    const auto o = body_of(one);
    CHECK(o.at("role") == "commune_child_protection");
    CHECK(o.at("unit_code") == "05983");
    CHECK(o.at("unit_name") == "Phường Lương Văn Tri");
    CHECK(o.at("phone") == "+84302002001");
    CHECK(o.at("channels") == json::array{"sms"});
    CHECK(o.at("active") == true);
    CHECK(c.get("/api/v1/contacts/nobody-here", bearer()).status == 404);

    const auto roster = c.get("/api/v1/contacts/ls-05983-cp-oncall/roster", bearer());
    REQUIRE(roster.status == 200);
    const auto entries = body_of(roster).at("entries").as_array();
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].as_object() ==
          json::object{{"kind", "weekly"}, {"days", "mon-fri"}, {"start", "17:00"}, {"end", "07:30"}});
    CHECK(entries[1].at("days") == "sat,sun");

    const auto csv = c.get("/api/v1/directory/contacts.csv", bearer());
    REQUIRE(csv.status == 200);
    CHECK(csv.header("content-type").starts_with("text/csv"));
    CHECK(lines(csv.body) == 284);
    const auto rcsv = c.get("/api/v1/directory/rosters.csv", bearer());
    REQUIRE(rcsv.status == 200);
    CHECK(lines(rcsv.body) == lines(read_file(demo_dir + "rosters.csv")));
    // The CLI and the API export the same.
    server.stop(SIGTERM);
    const auto cli = run_cli(dir, "export contacts --db " + server.db_path().string());
    CHECK(cli.out == csv.body);
}

TEST_CASE("directory API: a CSV with bad rows is refused whole with every line named") {
    temp_dir dir;
    server_process server(dir.path(), operator_toml);
    http_client c(server.port());
    const auto r = post_csv(c, "/api/v1/directory/contacts",
                            "id,name,role,unit_code,phone\n"
                            "ok,Nguyễn Văn Thử,commune_police,05983,0302002099\n"
                            "bad1,Nguyễn Văn Thử,commune_police,99999,0302002098\n"
                            "bad2,,commune_police,05983,0302002097\n");
    CHECK(r.status == 422);
    CHECK(error_code_of(r) == "invalid_csv");
    const std::string message(body_of(r).at("error").at("message").as_string());
    CHECK(message.find("line 3: unit_code:") != std::string::npos);
    CHECK(message.find("line 4: name:") != std::string::npos);
    CHECK(body_of(c.get("/api/v1/contacts", bearer())).at("contacts").as_array().empty());

    const auto unknown = post_csv(c, "/api/v1/directory/rosters",
                                  "contact,kind,days,start,end\nghost,weekly,daily,08:00,17:00\n");
    CHECK(unknown.status == 422);
    CHECK(std::string(body_of(unknown).at("error").at("message").as_string()).find("line 2: contact:") !=
          std::string::npos);

    const auto wrong_type = c.request(boost::beast::http::verb::post, "/api/v1/directory/contacts", "id\n",
                                      bearer_with("application/json"));
    CHECK(wrong_type.status == 415);
}

TEST_CASE("directory API: PUT a contact and its roster") {
    temp_dir dir;
    server_process server(dir.path(), operator_toml);
    http_client c(server.port());

    const std::string body = R"({"name":"Hoàng Thị Thử","role":"commune_police","unit_code":"05983",)"
                             R"("phone":"0302 002 555"})";
    const auto created = put_json(c, "/api/v1/contacts/lvt-test", body);
    REQUIRE_MESSAGE(created.status == 201, created.body);
    CHECK(body_of(created).at("phone") == "+84302002555");
    CHECK(body_of(created).at("key") == "lvt-test");
    const auto same = put_json(c, "/api/v1/contacts/lvt-test", body);
    CHECK(same.status == 200);
    const auto changed = put_json(c, "/api/v1/contacts/lvt-test",
                                  R"({"name":"Hoàng Thị Thử","role":"commune_chair","unit_code":"05983",)"
                                  R"("phone":"+84302002555","active":false,"channels":["sms","webhook"],)"
                                  R"("webhook_url":"https://hooks.example.org/lvt"})");
    REQUIRE_MESSAGE(changed.status == 200, changed.body);
    CHECK(body_of(changed).at("role") == "commune_chair");
    CHECK(body_of(changed).at("active") == false);
    CHECK(body_of(changed).at("webhook_url") == "https://hooks.example.org/lvt");

    SUBCASE("values: 422, every field named") {
        const auto r = put_json(c, "/api/v1/contacts/lvt-test2",
                                R"({"name":"","role":"province_police","unit_code":"05983","phone":"12"})");
        CHECK(r.status == 422);
        std::set<std::string> fields;
        const auto answer = body_of(r);
        for (const auto& e : answer.at("errors").as_array()) fields.insert(std::string(e.at("field").as_string()));
        CHECK(fields == std::set<std::string>{"name", "unit_code", "phone"});
        const auto missing = put_json(c, "/api/v1/contacts/lvt-test2", R"({"name":"A"})");
        CHECK(missing.status == 422);
        CHECK(error_field_of(missing) == "role");
        const auto bad_key = put_json(c, "/api/v1/contacts/bad%20key", body);
        CHECK(bad_key.status == 422);
        CHECK(error_field_of(bad_key) == "key");
    }
    SUBCASE("the request: 400") {
        CHECK(put_json(c, "/api/v1/contacts/lvt-test2", "{").status == 400);
        const auto unknown = put_json(c, "/api/v1/contacts/lvt-test2", R"({"name":"A","email":"a@b"})");
        CHECK(unknown.status == 400);
        CHECK(error_code_of(unknown) == "unknown_field");
        const auto type = put_json(c, "/api/v1/contacts/lvt-test2", R"({"name":"A","active":"yes"})");
        CHECK(type.status == 400);
        CHECK(error_field_of(type) == "active");
    }
    SUBCASE("roster") {
        const auto put = put_json(c, "/api/v1/contacts/lvt-test/roster",
                                  R"({"entries":[{"kind":"weekly","days":"daily","start":"00:00","end":"00:00"},)"
                                  R"({"kind":"off","from":"2026-03-02","to":"2026-03-06","note":"nghỉ phép"}]})");
        REQUIRE_MESSAGE(put.status == 200, put.body);
        CHECK(body_of(put).at("changed") == true);
        const auto got = c.get("/api/v1/contacts/lvt-test/roster", bearer());
        REQUIRE(got.status == 200);
        const auto entries = body_of(got).at("entries").as_array();
        REQUIRE(entries.size() == 2);
        CHECK(entries[1].as_object() ==
              json::object{{"kind", "off"}, {"from", "2026-03-02"}, {"to", "2026-03-06"}, {"note", "nghỉ phép"}});
        CHECK(body_of(got).at("on_duty_now") == false);  // the contact is inactive

        const auto bad = put_json(c, "/api/v1/contacts/lvt-test/roster",
                                  R"({"entries":[{"kind":"weekly","days":"daily","start":"00:00","end":"00:00"},)"
                                  R"({"kind":"weekly","days":"funday","start":"25:00","end":"08:00"}]})");
        CHECK(bad.status == 422);
        std::set<std::string> fields;
        const auto answer = body_of(bad);
        for (const auto& e : answer.at("errors").as_array()) fields.insert(std::string(e.at("field").as_string()));
        CHECK(fields == std::set<std::string>{"entries[1].days", "entries[1].start"});
        CHECK(c.get("/api/v1/contacts/lvt-test/roster", bearer()).body == got.body);  // unchanged

        const auto cleared = put_json(c, "/api/v1/contacts/lvt-test/roster", R"({"entries":[]})");
        CHECK(body_of(cleared).at("changed") == true);
        CHECK(body_of(c.get("/api/v1/contacts/lvt-test/roster", bearer())).at("entries").as_array().empty());
        CHECK(put_json(c, "/api/v1/contacts/nobody/roster", R"({"entries":[]})").status == 404);
    }
}

TEST_CASE("directory API: who is on duty") {
    temp_dir dir;
    server_process server(dir.path(), operator_toml);
    http_client c(server.port());
    load_demo(c);
    const auto on_duty = [&](const std::string& query) {
        const auto r = c.get("/api/v1/on-duty?" + query, bearer());
        REQUIRE_MESSAGE(r.status == 200, r.body);
        return body_of(r);
    };
    // Monday 7 July 2025, 10:00 and 23:00 in Vietnam.
    auto day = on_duty("unit=05983&role=commune_child_protection&at=2025-07-07T10:00:00%2B07:00");
    CHECK(keys_of(day.at("contacts").as_array()) == std::set<std::string>{"ls-05983-cp"});
    CHECK(day.at("at") == "2025-07-07T03:00:00.000Z");
    CHECK(day.at("unit_name") == "Phường Lương Văn Tri");
    auto night = on_duty("unit=05983&role=commune_child_protection&at=2025-07-07T16:00:00Z");
    CHECK(keys_of(night.at("contacts").as_array()) == std::set<std::string>{"ls-05983-cp-oncall"});
    auto police = on_duty("unit=05983&role=commune_police&at=2025-07-12T10:00:00Z");  // Saturday 17:00
    CHECK(keys_of(police.at("contacts").as_array()) == std::set<std::string>{"ls-05983-police-weekend"});
    // A gap on purpose: Mẫu Sơn has no police at night.
    CHECK(on_duty("unit=06541&role=commune_police&at=2025-07-07T16:00:00Z").at("contacts").as_array().empty());
    CHECK(on_duty("unit=20&role=province_coordinator&at=2025-07-07T16:00:00Z").at("contacts").as_array().size() == 1);
    CHECK(on_duty("unit=VN&role=hotline_supervisor").at("contacts").as_array().size() == 1);  // now

    const auto refused = [&](const std::string& query, const std::string& field) {
        const auto r = c.get("/api/v1/on-duty?" + query, bearer());
        CHECK(r.status == 422);
        CHECK(error_field_of(r) == field);
    };
    refused("unit=05983&role=mayor", "role");
    refused("unit=05983", "role");
    refused("unit=20&role=commune_police", "unit");
    refused("unit=05983&role=province_police", "unit");
    refused("unit=05983&role=commune_police&at=yesterday", "at");
}
