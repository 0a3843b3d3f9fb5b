// Triage end to end: every report is classified at intake and the verdict
// stored as an event with the report; an operator overrides it with a new
// event; `hotline classify` on the command line.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <sqlite3.h>

#include <fstream>
#include <set>

using namespace hotline::e2e;
namespace json = boost::json;

namespace {

const std::string operator_token = "e2e-operator-token-0123456789abcdef";
const std::string operator_toml = "[api]\noperator_tokens = [\"" + operator_token + "\"]\n";

const std::string emergency_text =
    "Cứu với! Bố dượng đang đánh cháu bé 6 tuổi nhà bên ngay bây giờ, cháu bị chảy máu đầu và bất tỉnh rồi.";

header_list bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

struct stored_event {
    std::int64_t id = 0;
    std::string kind;
    std::string actor;
    std::string data;
};

// The report's events, read straight from the database file.
std::vector<stored_event> events_in_file(const fs::path& db_path, const std::string& grouped_code) {
    const std::string code = grouped_code.substr(0, 4) + grouped_code.substr(5);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT e.id, e.kind, e.actor, COALESCE(e.data, '') FROM events AS e "
                               "JOIN reports AS r ON r.id = e.report_id WHERE r.tracking_code = ? ORDER BY e.id",
                               -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_text(st, 1, code.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<stored_event> out;
    while (sqlite3_step(st) == SQLITE_ROW)
        out.push_back({sqlite3_column_int64(st, 0), reinterpret_cast<const char*>(sqlite3_column_text(st, 1)),
                       reinterpret_cast<const char*>(sqlite3_column_text(st, 2)),
                       reinterpret_cast<const char*>(sqlite3_column_text(st, 3))});
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

std::string submit(http_client& c, const std::string& text) {
    const auto r = c.post_json("/api/v1/reports", json::serialize(json::object{{"text", text}}));
    REQUIRE(r.status == 201);
    return std::string(body_of(r).at("tracking_code").as_string());
}

const std::set<std::string> urgencies{"emergency", "high", "normal", "low"};
const std::set<std::string> tracks{"emergency_12h", "standard_5wd", "none"};

}  // namespace

TEST_CASE("triage: a report of a child beaten right now is stored with an emergency classification") {
    temp_dir dir;
    server_process srv(dir.path(), operator_toml);
    http_client c(srv.port());
    const std::string code = submit(c, emergency_text);

    const auto events = events_in_file(srv.db_path(), code);
    REQUIRE(events.size() == 4);
    CHECK(events[0].kind == "received");
    CHECK(events[1].kind == "classified");
    CHECK(events[2].kind == "located");
    CHECK(events[3].kind == "routed");
    CHECK(events[1].actor == "triage");
    const auto data = json::parse(events[1].data).as_object();
    CHECK(data.at("urgency").as_string() == "emergency");
    CHECK(data.at("track").as_string() == "emergency_12h");
    CHECK(data.at("categories").as_array().size() >= 1);
    const auto& evidence = data.at("evidence").as_array();
    REQUIRE_FALSE(evidence.empty());
    for (const auto& e : evidence) {
        CHECK_FALSE(e.at("rule").as_string().empty());
        CHECK_FALSE(e.at("match").as_string().empty());
    }
    CHECK(data.contains("score"));
    CHECK(data.at("lexicon").as_string().size() == 16);

    // Whatever the verdict, every report gets its event: a procedural
    // question too.
    const std::string other = submit(c, "Cho tôi hỏi thủ tục nhận con nuôi cần giấy tờ gì? Cảm ơn.");
    const auto other_events = events_in_file(srv.db_path(), other);
    REQUIRE(other_events.size() == 4);
    CHECK(other_events[1].kind == "classified");
    const auto other_data = json::parse(other_events[1].data).as_object();
    CHECK(urgencies.contains(std::string(other_data.at("urgency").as_string())));

    // The log never holds what was matched.
    CHECK(srv.log().find("chảy máu") == std::string::npos);
}

TEST_CASE("triage: an operator overrides the classification with a new event") {
    temp_dir dir;
    server_process srv(dir.path(), operator_toml);
    http_client c(srv.port());
    const std::string code = submit(c, emergency_text);
    const std::string url = "/api/v1/reports/" + code + "/classification";
    const auto before = events_in_file(srv.db_path(), code);
    REQUIRE(before.size() == 4);

    const std::string good = json::serialize(json::object{{"by", "Trần Văn Đức (tổng đài 111)"},
                                                          {"reason", "Đã gọi lại: cháu đã được đưa đi viện, an toàn."},
                                                          {"urgency", "high"},
                                                          {"categories", json::array{"physical_violence"}}});
    SUBCASE("without a token, or with a wrong one: 401, nothing written") {
        auto r = c.post_json(url, good);
        CHECK(r.status == 401);
        CHECK(error_code_of(r) == "unauthorized");
        CHECK(r.header("www-authenticate").starts_with("Bearer"));
        r = c.post_json(url, good, bearer("wrong-token-wrong-token-wrong"));
        CHECK(r.status == 401);
        r = c.post_json(url, good, {{"Authorization", operator_token}});  // no scheme
        CHECK(r.status == 401);
        CHECK(c.get(url).status == 401);
        CHECK(c.get(url, bearer(operator_token + "x")).status == 401);
        CHECK(events_in_file(srv.db_path(), code).size() == before.size());
    }
    SUBCASE("bad fields are refused, naming them") {
        const auto post = [&](json::object o) { return c.post_json(url, json::serialize(o), bearer(operator_token)); };
        auto r = post({{"by", "A"}, {"reason", "x"}, {"urgency", "urgent"}, {"categories", json::array{}}});
        CHECK(r.status == 422);
        CHECK(error_code_of(r) == "invalid_value");
        CHECK(error_field_of(r) == "urgency");
        r = post({{"reason", "x"}, {"urgency", "low"}, {"categories", json::array{}}});
        CHECK(r.status == 422);
        CHECK(error_field_of(r) == "by");
        r = post({{"by", std::string(101, 'a')}, {"reason", "x"}, {"urgency", "low"}, {"categories", json::array{}}});
        CHECK(r.status == 422);
        CHECK(error_code_of(r) == "too_long");
        CHECK(error_field_of(r) == "by");
        r = post({{"by", "A"}, {"reason", ""}, {"urgency", "low"}, {"categories", json::array{}}});
        CHECK(r.status == 422);
        CHECK(error_field_of(r) == "reason");
        r = post({{"by", "A"}, {"reason", std::string(1001, 'r')}, {"urgency", "low"}, {"categories", json::array{}}});
        CHECK(r.status == 422);
        CHECK(error_field_of(r) == "reason");
        r = post({{"by", "A"}, {"reason", "x"}, {"urgency", "low"}, {"categories", json::array{"beating"}}});
        CHECK(r.status == 422);
        CHECK(error_field_of(r) == "categories");
        r = post({{"by", "A"}, {"reason", "x"}, {"urgency", "low"}, {"categories", "neglect"}});
        CHECK(r.status == 400);
        CHECK(error_code_of(r) == "wrong_type");
        CHECK(error_field_of(r) == "categories");
        r = post({{"by", "A"}, {"reason", "x"}, {"urgency", "low"}, {"categories", json::array{}}, {"track", "fast"}});
        CHECK(r.status == 422);
        CHECK(error_field_of(r) == "track");
        r = post({{"by", "A"}, {"reason", "x"}, {"urgency", "low"}, {"categories", json::array{}}, {"who", "B"}});
        CHECK(r.status == 400);
        CHECK(error_code_of(r) == "unknown_field");
        CHECK(error_field_of(r) == "who");
        r = c.post_json(url, "{not json", bearer(operator_token));
        CHECK(r.status == 400);
        CHECK(events_in_file(srv.db_path(), code).size() == before.size());
    }
    SUBCASE("an unknown code is 404") {
        auto r = c.post_json("/api/v1/reports/2222-2222/classification", good, bearer(operator_token));
        CHECK(r.status == 404);
        CHECK(c.get("/api/v1/reports/2222-2222/classification", bearer(operator_token)).status == 404);
        CHECK(c.get("/api/v1/reports/nonsense/classification", bearer(operator_token)).status == 404);
    }
    SUBCASE("a valid override is a new event; the old one is untouched; GET shows it as current") {
        auto r = c.post_json(url, good, bearer(operator_token));
        REQUIRE(r.status == 201);
        const auto created = body_of(r);
        CHECK(created.at("urgency").as_string() == "high");
        // A step-father is the suspected perpetrator: without an explicit
        // track the report stays on the 12-hour track though it is no
        // longer an emergency.
        CHECK(created.at("track").as_string() == "emergency_12h");

        const auto after = events_in_file(srv.db_path(), code);
        // The override, then the deadlines following it (high: 1 hour instead of 15 minutes).
        REQUIRE(after.size() == 6);
        CHECK(after[5].kind == "deadlines_changed");
        CHECK(json::parse(after[5].data).as_object().at("urgency").as_string() == "high");
        CHECK(after[1].id == before[1].id);
        CHECK(after[1].kind == "classified");
        CHECK(after[1].data == before[1].data);
        CHECK(after[4].kind == "classification_overridden");
        CHECK(after[4].actor == "Trần Văn Đức (tổng đài 111)");
        const auto data = json::parse(after[4].data).as_object();
        CHECK(data.at("urgency").as_string() == "high");
        CHECK(data.at("track").as_string() == "emergency_12h");
        CHECK(data.at("categories").as_array() == json::array{"physical_violence"});
        CHECK(data.at("reason").as_string() == "Đã gọi lại: cháu đã được đưa đi viện, an toàn.");
        CHECK(srv.log().find("Đã gọi lại") == std::string::npos);

        // The code in any case, without the dash.
        std::string loose = code.substr(0, 4) + code.substr(5);
        for (auto& ch : loose) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto g = c.get("/api/v1/reports/" + loose + "/classification", bearer(operator_token));
        REQUIRE(g.status == 200);
        const auto view = body_of(g);
        CHECK(view.at("tracking_code").as_string() == code);
        const auto& current = view.at("current").as_object();
        CHECK(current.at("kind").as_string() == "classification_overridden");
        CHECK(current.at("actor").as_string() == "Trần Văn Đức (tổng đài 111)");
        CHECK(current.at("urgency").as_string() == "high");
        const auto& history = view.at("history").as_array();
        REQUIRE(history.size() == 2);
        CHECK(history[0].at("kind").as_string() == "classified");
        CHECK(history[0].at("urgency").as_string() == "emergency");
        CHECK(history[0].at("actor").as_string() == "triage");
        CHECK_FALSE(history[0].at("evidence").as_array().empty());

        // An explicit track is kept as given.
        const std::string second =
            json::serialize(json::object{{"by", "B"},
                                         {"reason", "Bố dượng là người gây hại: luồng 12 giờ."},
                                         {"urgency", "high"},
                                         {"categories", json::array{"physical_violence", "neglect"}},
                                         {"track", "emergency_12h"}});
        r = c.post_json(url, second, bearer(operator_token));
        REQUIRE(r.status == 201);
        g = c.get(url, bearer(operator_token));
        REQUIRE(g.status == 200);
        CHECK(body_of(g).at("current").at("track").as_string() == "emergency_12h");
        CHECK(body_of(g).at("history").as_array().size() == 3);
        // One event more: the same urgency and track leave the deadlines as they were.
        CHECK(events_in_file(srv.db_path(), code).size() == 7);
    }
}

TEST_CASE("triage: without operator tokens configured the endpoints refuse everyone") {
    temp_dir dir;
    server_process srv(dir.path());
    http_client c(srv.port());
    const std::string code = submit(c, emergency_text);
    CHECK(c.get("/api/v1/reports/" + code + "/classification", bearer(operator_token)).status == 401);
}

TEST_CASE("triage: hotline classify reads JSON lines and plain lines") {
    temp_dir dir;
    const std::string input = "{\"id\":\"a\",\"text\":\"" + emergency_text +
                              "\"}\n"
                              "tre bi danh chay mau ngay bay gio, cuu voi\n"
                              "\n"
                              "{\"id\":7,\"text\":\"Cảm ơn tổng đài đã giúp đỡ.\"}\n"
                              "{\"text\":42}\r\n"
                              "{\"text\":\"no id here\"}\n";
    const auto r = run_cli(dir, "classify", input);
    CHECK(r.exit_code == 0);
    const auto rows = json_lines(r.out);
    REQUIRE(rows.size() == 5);  // the blank line is skipped
    CHECK(rows[0].at("id") == json::value("a"));
    CHECK(rows[1].at("id") == json::value(2));
    CHECK(rows[2].at("id") == json::value(7));
    CHECK(rows[3].at("id") == json::value(5));  // not an object with a string text: the line itself
    CHECK(rows[4].at("id") == json::value(6));  // no id: the line number
    for (const auto& row : rows) {
        CHECK(row.size() == 5);
        CHECK(urgencies.contains(std::string(row.at("urgency").as_string())));
        CHECK(tracks.contains(std::string(row.at("track").as_string())));
        CHECK(row.at("categories").is_array());
        for (const auto& e : row.at("evidence").as_array()) {
            CHECK(e.as_object().contains("rule"));
            CHECK(e.as_object().contains("match"));
        }
    }
    CHECK(rows[0].at("urgency").as_string() == "emergency");
    CHECK(rows[0].at("track").as_string() == "emergency_12h");
    CHECK_FALSE(rows[0].at("evidence").as_array().empty());

    // The same lines with the built-in lexicon given as a file: the same answers.
    const auto same = run_cli(dir, "classify --lexicon '" + std::string(HOTLINE_SOURCE_DIR) + "/intake/lexicon/vi.toml'",
                          input);
    CHECK(same.exit_code == 0);
    CHECK(same.out == r.out);
}

TEST_CASE("triage: a malformed lexicon stops classify and serve with file:line, exit 2") {
    temp_dir dir;
    const auto bad = dir.path() / "bad-lexicon.toml";
    { std::ofstream(bad) << "# a lexicon\n[[phrase\ntext = 1\n"; }
    const auto r = run_cli(dir, "classify --lexicon '" + bad.string() + "'", "{\"id\":1,\"text\":\"x\"}\n");
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_MESSAGE(r.err.find(bad.string() + ":2:") != std::string::npos, r.err);

    const auto missing = run_cli(dir, "classify --lexicon '" + (dir.path() / "nope.toml").string() + "'", "");
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("nope.toml") != std::string::npos);

    const auto cfg = dir.path() / "hotline.toml";
    { std::ofstream(cfg) << "[triage]\nlexicon = \"" << bad.string() << "\"\n"; }
    const auto s = run_cli(dir, "serve --listen 127.0.0.1:0 --config '" + cfg.string() + "'", "");
    CHECK(s.exit_code == 2);
    CHECK_MESSAGE(s.err.find(bad.string() + ":2:") != std::string::npos, s.err);

    CHECK(run_cli(dir, "classify --lexicon", "").exit_code == 2);
    CHECK(run_cli(dir, "classify --frobnicate", "").exit_code == 2);
}
