// The officer read API and /metrics end to end: the directory imported with
// the CLI, officer tokens issued on the database file before the server
// starts, reports filed through the API, then read by officers with their
// tokens over real HTTP.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "intake/clock.hpp"
#include "storage/officers.hpp"
#include "storage/sqlite.hpp"

using namespace hotline::e2e;
namespace json = boost::json;

namespace {

constexpr const char* contacts_csv =
    "id,name,role,unit_code,phone,channels,webhook_url,active\n"
    "oa-05983-cp,Lò Thị Trực,commune_child_protection,05983,0302990002,sms,,1\n"
    "oa-05983-police,Công an phường Lương Văn Tri,commune_police,05983,0302990003,sms,,1\n"
    "oa-05983-chair,Chủ tịch phường,commune_chair,05983,0302990007,sms,,1\n"
    "oa-05977-chair,Chủ tịch xã khác,commune_chair,05977,0302990004,sms,,1\n"
    "oa-20-coord,Điều phối tỉnh Lạng Sơn,province_coordinator,20,0302990005,sms,,1\n"
    "oa-20-police,Công an tỉnh,province_police,20,0302990008,sms,,1\n"
    "oa-vn-sup,Giám sát Tổng đài,hotline_supervisor,VN,0302990006,sms,,1\n";

constexpr const char* rosters_csv =
    "contact,kind,days,from,to,start,end,note\n"
    "oa-05983-cp,weekly,daily,,,00:00,00:00,\n"
    "oa-05983-police,weekly,daily,,,00:00,00:00,\n"
    "oa-05983-chair,weekly,daily,,,00:00,00:00,\n"
    "oa-20-coord,weekly,daily,,,00:00,00:00,\n"
    "oa-vn-sup,weekly,daily,,,00:00,00:00,\n";

// Tokens for `keys`, issued on the database file (the server is not running).
std::map<std::string, std::string> issue_tokens(const fs::path& db, const std::vector<std::string>& keys) {
    auto c = hotline::storage::connection::open(db.string(), hotline::storage::open_mode::read_write);
    REQUIRE_MESSAGE(c.has_value(), (c ? std::string() : c.err().message));
    std::map<std::string, std::string> out;
    const hotline::system_clock clock;
    for (const auto& k : keys) {
        auto t = hotline::storage::create_officer_token(*c, k, "e2e", clock.now());
        REQUIRE_MESSAGE(t.has_value(), (t ? std::string() : t.err().message));
        out[k] = t->token;
    }
    return out;
}

header_list bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

struct filed {
    std::string code;
    std::string secret;
};

filed submit(http_client& c, json::object body) {
    const auto r = c.post_json("/api/v1/reports", json::serialize(body));
    REQUIRE_MESSAGE(r.status == 201, r.body);
    const auto b = body_of(r);
    return {std::string(b.at("tracking_code").as_string()), std::string(b.at("access_secret").as_string())};
}

// The value of the sample `name{labels}` in an exposition text, or -1.
double metric(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    const auto start = at + 1 + series.size() + 1;
    return std::stod(text.substr(start, text.find('\n', start) - start));
}

}  // namespace

TEST_CASE("officer API end to end: the list, the report by id for those allowed, 401, /metrics") {
    temp_dir dir;
    const fs::path db = dir.path() / "hotline.db";
    const auto contacts = dir.write("contacts.csv", contacts_csv);
    const auto rosters = dir.write("rosters.csv", rosters_csv);
    const auto imported = run_cli(dir, "import contacts " + contacts + " --db " + db.string());
    REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
    const auto imported_rosters = run_cli(dir, "import rosters " + rosters + " --db " + db.string());
    REQUIRE_MESSAGE(imported_rosters.exit_code == 0, imported_rosters.err);
    auto tokens = issue_tokens(db, {"oa-05983-cp", "oa-05983-chair", "oa-05977-chair", "oa-20-coord", "oa-20-police"});

    server_process server(dir.path(), "[routing]\nhome_province = \"20\"\n");
    http_client c(server.port());

    const auto open_report = submit(c, {{"text", "Cháu bé nhà hàng xóm bị bố dượng đánh nhiều lần, người đầy vết bầm tím."},
                                        {"location_text", "phường Chi Lăng, TP Lạng Sơn"},
                                        {"child_age", 8},
                                        {"reporter_name", "Nguyễn Thị Báo Tin"},
                                        {"reporter_phone", "0912345678"},
                                        {"contact_ok", true}});
    const auto secret_report = submit(c, {{"text", "Em nhỏ bị bỏ đói nhiều ngày, không ai chăm sóc."},
                                          {"location_text", "phường Chi Lăng, TP Lạng Sơn"},
                                          {"reporter_name", "Người Giấu Tên"},
                                          {"contact_ok", true},
                                          {"keep_identity_secret", true}});

    // ---- the list -------------------------------------------------------------------
    auto r = c.get("/api/v1/assignments", bearer(tokens["oa-05983-cp"]));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    auto body = body_of(r);
    CHECK(body.at("contact").as_string() == "oa-05983-cp");
    CHECK(body.at("state").as_string() == "open");
    const auto& list = body.at("assignments").as_array();
    REQUIRE(list.size() == 2);
    std::vector<std::string> codes;
    std::string last_due;
    for (const auto& v : list) {
        const auto& a = v.as_object();
        codes.emplace_back(a.at("tracking_code").as_string());
        CHECK(a.at("commune_code").as_string() == "05983");
        CHECK(a.at("commune_name").as_string() == "Phường Lương Văn Tri");
        CHECK(a.at("province_code").as_string() == "20");
        CHECK(a.at("role").as_string() == "commune_child_protection");
        CHECK(a.at("state").as_string() == "open");
        CHECK(a.at("overdue").as_bool() == false);
        CHECK(a.at("created_at").as_string().ends_with("Z"));
        const std::string due(a.at("ack_due_at").as_string());
        CHECK(due >= last_due);  // RFC 3339 UTC sorts as text
        last_due = due;
        CHECK_FALSE(a.contains("text"));
    }
    std::sort(codes.begin(), codes.end());
    std::vector<std::string> expected{open_report.code, secret_report.code};
    std::sort(expected.begin(), expected.end());
    CHECK(codes == expected);
    CHECK(r.body.find("bố dượng") == std::string::npos);
    CHECK(r.body.find("Báo Tin") == std::string::npos);

    r = c.get("/api/v1/assignments?state=acknowledged", bearer(tokens["oa-05983-cp"]));
    REQUIRE(r.status == 200);
    CHECK(body_of(r).at("assignments").as_array().empty());
    r = c.get("/api/v1/assignments?state=all", bearer(tokens["oa-05983-cp"]));
    REQUIRE(r.status == 200);
    CHECK(body_of(r).at("assignments").as_array().size() == 2);
    r = c.get("/api/v1/assignments?state=closed", bearer(tokens["oa-05983-cp"]));
    CHECK(r.status == 400);
    CHECK(error_field_of(r) == "state");
    // The chair has nothing assigned.
    r = c.get("/api/v1/assignments", bearer(tokens["oa-05983-chair"]));
    REQUIRE(r.status == 200);
    CHECK(body_of(r).at("assignments").as_array().empty());

    // ---- 401 ---------------------------------------------------------------------------
    r = c.get("/api/v1/assignments");
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate").starts_with("Bearer"));
    r = c.get("/api/v1/assignments", bearer("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    CHECK(r.status == 401);
    CHECK(error_code_of(r) == "unauthorized");
    r = c.get("/api/v1/reports/1", bearer("not-a-token"));
    CHECK(r.status == 401);

    // ---- one report ----------------------------------------------------------------------
    const auto ids = db_rows(db, "SELECT id FROM reports ORDER BY id");
    REQUIRE(ids.size() == 2);
    r = c.get("/api/v1/reports/" + ids[0], bearer(tokens["oa-05983-cp"]));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    body = body_of(r);
    CHECK(body.at("tracking_code").as_string() == open_report.code);
    CHECK(body.at("viewed_as").as_string() == "assignee");
    CHECK(body.at("text").as_string().find("bố dượng") != std::string::npos);
    CHECK(body.at("location").at("text").as_string() == "phường Chi Lăng, TP Lạng Sơn");
    CHECK(body.at("location").at("commune_name").as_string() == "Phường Lương Văn Tri");
    CHECK(body.at("location").at("province_code").as_string() == "20");
    CHECK(body.at("child").at("age").as_int64() == 8);
    CHECK(body.at("reporter").at("withheld").as_bool() == false);
    CHECK(body.at("reporter").at("name").as_string() == "Nguyễn Thị Báo Tin");
    CHECK(body.at("reporter").at("phone").as_string() == "+84912345678");
    CHECK(body.at("classification").at("urgency").is_string());
    CHECK(body.at("legal_clocks").at("plan").is_object());
    const auto& assignments = body.at("assignments").as_array();
    REQUIRE_FALSE(assignments.empty());
    CHECK(assignments[0].at("contact").as_string() == "oa-05983-cp");
    const auto& events = body.at("events").as_array();
    REQUIRE(events.size() >= 4);
    CHECK(events[0].at("kind").as_string() == "received");
    CHECK(events[1].at("kind").as_string() == "classified");

    // The reporter who asked for secrecy stays unnamed, with the reason.
    r = c.get("/api/v1/reports/" + ids[1], bearer(tokens["oa-05983-chair"]));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    body = body_of(r);
    CHECK(body.at("viewed_as").as_string() == "commune_chair");
    CHECK(body.at("reporter").at("withheld").as_bool());
    CHECK(body.at("reporter").at("reason").as_string().find("Art. 33") != std::string::npos);
    CHECK_FALSE(body.at("reporter").as_object().contains("name"));
    CHECK(r.body.find("Người Giấu Tên") == std::string::npos);

    r = c.get("/api/v1/reports/" + ids[1], bearer(tokens["oa-20-coord"]));
    CHECK(r.status == 200);
    // Forbidden: province police (not assigned), another commune's chair.
    r = c.get("/api/v1/reports/" + ids[0], bearer(tokens["oa-20-police"]));
    CHECK(r.status == 403);
    CHECK(error_code_of(r) == "forbidden");
    CHECK(r.body.find("bố dượng") == std::string::npos);
    r = c.get("/api/v1/reports/" + ids[0], bearer(tokens["oa-05977-chair"]));
    CHECK(r.status == 403);
    r = c.get("/api/v1/reports/999999", bearer(tokens["oa-05983-cp"]));
    CHECK(r.status == 404);
    r = c.get("/api/v1/reports/" + open_report.code, bearer(tokens["oa-05983-cp"]));
    CHECK(r.status == 400);
    CHECK(error_field_of(r) == "id");

    // Every view, and only the views that were answered, is on record.
    const auto viewed = db_rows(db,
                                "SELECT report_id, json_extract(data, '$.contact'), json_extract(data, '$.via'), "
                                "json_extract(data, '$.as') FROM events WHERE kind = 'viewed' ORDER BY id");
    CHECK(viewed == std::vector<std::string>{ids[0] + "|oa-05983-cp|api|assignee",
                                             ids[1] + "|oa-05983-chair|api|commune_chair",
                                             ids[1] + "|oa-20-coord|api|province_coordinator"});

    // The reporter's own status look-up is unchanged.
    r = c.get("/api/v1/reports/" + open_report.code, {{"X-Access-Secret", open_report.secret}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(body_of(r).at("tracking_code").as_string() == open_report.code);
    CHECK_FALSE(body_of(r).contains("text"));

    // ---- /metrics ------------------------------------------------------------------------
    r = c.get("/metrics");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type").starts_with("text/plain; version=0.0.4"));
    const std::string& m = r.body;
    CHECK(m.find("# TYPE hotline_time_to_ack_seconds histogram") != std::string::npos);
    double reports = 0;
    for (const char* u : {"emergency", "high", "normal", "low", "unclassified"}) {
        const double v = metric(m, std::string("hotline_reports_total{channel=\"api\",urgency=\"") + u + "\"}");
        if (v > 0) reports += v;
    }
    CHECK(reports == 2);
    CHECK(metric(m, "hotline_assignments_open") ==
          std::stod(db_rows(db, "SELECT count(*) FROM assignments WHERE state = 'open'").at(0)));
    CHECK(metric(m, "hotline_time_to_ack_seconds_count") == 0);
    CHECK(metric(m, "hotline_time_to_ack_seconds_bucket{le=\"+Inf\"}") == 0);
    CHECK(metric(m, "hotline_outbox_messages{state=\"pending\"}") >= 0);
    CHECK(metric(m, "hotline_db_commits_total") > 0);
    CHECK(metric(m, "hotline_db_checkpoint_failures_total") == 0);
    CHECK(metric(m, "hotline_db_checkpoints_total") >= 0);
    CHECK(m.find("oa-05983") == std::string::npos);
    r = c.request(boost::beast::http::verb::post, "/metrics");
    CHECK(r.status == 405);

    server.stop(SIGTERM);
    // Neither tokens nor reporters' names reach the log.
    const auto log = server.log();
    for (const auto& [key, token] : tokens) CHECK(log.find(token) == std::string::npos);
    CHECK(log.find("Báo Tin") == std::string::npos);
    CHECK(log.find("report_viewed") != std::string::npos);
}

TEST_CASE("officer API end to end: an officer records the action and the plan, once, on the legal clocks") {
    temp_dir dir;
    const fs::path db = dir.path() / "hotline.db";
    const auto contacts = dir.write("contacts.csv", contacts_csv);
    const auto rosters = dir.write("rosters.csv", rosters_csv);
    REQUIRE(run_cli(dir, "import contacts " + contacts + " --db " + db.string()).exit_code == 0);
    REQUIRE(run_cli(dir, "import rosters " + rosters + " --db " + db.string()).exit_code == 0);
    auto tokens = issue_tokens(db, {"oa-05983-cp", "oa-20-police"});

    server_process server(dir.path(), "[routing]\nhome_province = \"20\"\n");
    http_client c(server.port());
    submit(c, {{"text", "Cháu bé nhà hàng xóm đang bị bố dượng đánh, chảy máu đầu, kêu cứu."},
               {"location_text", "phường Chi Lăng, TP Lạng Sơn"}});
    auto r = c.get("/api/v1/assignments", bearer(tokens["oa-05983-cp"]));
    REQUIRE(r.status == 200);
    const auto listed = body_of(r);
    const auto& list = listed.at("assignments").as_array();
    REQUIRE(list.size() == 1);
    const std::string id = std::to_string(list[0].at("report_id").as_int64());
    const std::string base = "/api/v1/reports/" + id;

    r = c.get(base, bearer(tokens["oa-05983-cp"]));
    REQUIRE(r.status == 200);
    const auto before = body_of(r);
    const auto& action_clock = before.at("legal_clocks").at("action").as_object();
    const bool on_emergency_track = action_clock.at("due_at").is_string();
    CHECK(on_emergency_track);  // a child bleeding and crying for help now

    // Refusals first: nothing is recorded by them.
    CHECK(c.post_json(base + "/action", "{}").status == 401);
    CHECK(c.post_json(base + "/action", "{}", bearer("not-a-token")).status == 401);
    r = c.post_json(base + "/action", "{}", bearer(tokens["oa-20-police"]));
    CHECK(r.status == 403);
    CHECK(body_of(r).at("error").at("code").as_string() == "forbidden");
    r = c.post_json(base + "/action", "{\"note\":\"done\"}", bearer(tokens["oa-05983-cp"]));
    CHECK(r.status == 400);
    CHECK(body_of(r).at("error").at("field").as_string() == "note");
    CHECK(c.post_json(base + "/action", "{", bearer(tokens["oa-05983-cp"])).status == 400);
    CHECK(c.post_json("/api/v1/reports/abc/action", "", bearer(tokens["oa-05983-cp"])).status == 400);
    CHECK(c.post_json("/api/v1/reports/999999/action", "", bearer(tokens["oa-05983-cp"])).status == 404);
    CHECK(c.post_json(base + "/closure", "", bearer(tokens["oa-05983-cp"])).status == 404);
    CHECK(c.get(base + "/action", bearer(tokens["oa-05983-cp"])).status == 405);

    // The action, in time, by the assigned officer.
    r = c.post_json(base + "/action", "", bearer(tokens["oa-05983-cp"]));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    auto done = body_of(r);
    CHECK(done.at("milestone").as_string() == "action");
    CHECK(done.at("in_time").as_bool());
    CHECK(done.at("due_at") == action_clock.at("due_at"));
    // On the emergency track the action starts the plan's five working days.
    CHECK(done.at("plan_due_at").is_string() == on_emergency_track);

    r = c.post_json(base + "/action", "", bearer(tokens["oa-05983-cp"]));
    CHECK(r.status == 409);
    CHECK(body_of(r).at("error").at("code").as_string() == "already_recorded");

    r = c.post_json(base + "/plan", "{}", bearer(tokens["oa-05983-cp"]));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(body_of(r).at("in_time").as_bool());

    r = c.get(base, bearer(tokens["oa-05983-cp"]));
    REQUIRE(r.status == 200);
    const auto after = body_of(r);
    CHECK(after.at("state").as_string() == "in_progress");
    CHECK(after.at("legal_clocks").at("plan").at("met_at").is_string());
    if (on_emergency_track) CHECK(after.at("legal_clocks").at("action").at("met_at").is_string());
    int taken = 0, made = 0;
    for (const auto& e : after.at("events").as_array()) {
        if (e.at("kind") == "action_taken") ++taken;
        if (e.at("kind") == "plan_made") ++made;
    }
    CHECK(taken == 1);
    CHECK(made == 1);
}
