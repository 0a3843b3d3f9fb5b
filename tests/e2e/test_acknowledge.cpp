// Acknowledgement end to end on the real binary: the directory imported
// and officer tokens issued with the command line, an emergency filed over
// the API, then acknowledged through POST /api/v1/assignments/{id}/ack and
// through an acknowledgement link's pages.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "intake/clock.hpp"
#include "intake/tracking_code.hpp"
#include "storage/officers.hpp"
#include "storage/sqlite.hpp"

using namespace hotline::e2e;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* contacts_csv =
    "id,name,role,unit_code,phone,channels,webhook_url,active\n"
    "ak-05983-cp,Lò Thị Trực,commune_child_protection,05983,0302990102,sms,,1\n"
    "ak-05983-police,Công an phường Lương Văn Tri,commune_police,05983,0302990103,sms,,1\n"
    "ak-05983-chair,Chủ tịch phường,commune_chair,05983,0302990107,sms,,1\n"
    "ak-05977-chair,Chủ tịch xã khác,commune_chair,05977,0302990104,sms,,1\n"
    "ak-20-coord,Điều phối tỉnh Lạng Sơn,province_coordinator,20,0302990105,sms,,1\n";

constexpr const char* rosters_csv =
    "contact,kind,days,from,to,start,end,note\n"
    "ak-05983-cp,weekly,daily,,,00:00,00:00,\n"
    "ak-05983-police,weekly,daily,,,00:00,00:00,\n"
    "ak-05983-chair,weekly,daily,,,00:00,00:00,\n"
    "ak-05977-chair,weekly,daily,,,00:00,00:00,\n"
    "ak-20-coord,weekly,daily,,,00:00,00:00,\n";

header_list bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// `hotline token create` for `key`: the token, the only thing on stdout.
std::string create_token(const temp_dir& dir, const fs::path& db, const std::string& key) {
    const auto r = run_cli(dir, "token create --contact " + key + " --label e2e --db " + db.string());
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    REQUIRE(r.out.size() == 44);
    REQUIRE(r.out.back() == '\n');
    CHECK(r.err.empty());
    return r.out.substr(0, 43);
}

// Files the emergency of the Twilio flow test in the ward 05983: assigned
// to its child-protection officer and its police. Returns the stored code.
std::string submit(http_client& c) {
    json::object body{{"text", "Bố đang đánh bé Hoa, bé chảy máu nhiều, xin giúp ngay"},
                      {"location_code", "05983"},
                      {"reporter_name", "Trần Văn Báo"},
                      {"reporter_phone", "0912 765 432"}};
    const auto r = c.post_json("/api/v1/reports", json::serialize(body));
    REQUIRE_MESSAGE(r.status == 201, r.body);
    std::string code(body_of(r).at("tracking_code").as_string());
    code.erase(std::remove(code.begin(), code.end(), '-'), code.end());
    return code;
}

std::string assignment_of(const fs::path& db, const std::string& code, const std::string& key) {
    const auto rows = db_rows(db,
                              "SELECT a.id FROM assignments AS a JOIN reports AS r ON r.id = a.report_id "
                              "JOIN contacts AS k ON k.id = a.contact_id WHERE r.tracking_code = ?1 AND k.key = ?2",
                              {code, key});
    REQUIRE_MESSAGE(rows.size() == 1, (std::string("no single assignment of ") + key));
    return rows[0];
}

std::string state_of(const fs::path& db, const std::string& assignment) {
    const auto rows = db_rows(db,
                              "SELECT a.state || '|' || coalesce(a.acknowledged_via, '-') || '|' || "
                              "coalesce(k.key, '-') FROM assignments AS a LEFT JOIN contacts AS k ON "
                              "k.id = a.acknowledged_by WHERE a.id = ?1",
                              {assignment});
    REQUIRE(rows.size() == 1);
    return rows[0];
}

hotline::intake::secret_key link_key(const fs::path& key_file) {
    std::ifstream in(key_file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() == 32);
    hotline::intake::secret_key master{};
    std::copy(bytes.begin(), bytes.end(), master.begin());
    return hotline::intake::derive_key(master, "ack-link");
}

// A link for the contact `key` to acknowledge `assignment`, made on the
// database file the way notifications make them, valid for `lifetime`.
std::string make_link(const fs::path& db, const fs::path& key_file, const std::string& assignment,
                      const std::string& key, std::chrono::milliseconds lifetime) {
    auto c = hotline::storage::connection::open(db.string(), hotline::storage::open_mode::read_write);
    REQUIRE_MESSAGE(c.has_value(), (c ? std::string() : c.err().message));
    REQUIRE(c->busy_timeout(5s).has_value());
    const auto contact = db_rows(db, "SELECT id FROM contacts WHERE key = ?1", {key});
    REQUIRE(contact.size() == 1);
    const hotline::system_clock clock;
    const auto now = clock.now();
    auto t = hotline::storage::create_ack_link(*c, std::stoll(assignment), std::stoll(contact[0]), now,
                                               now + lifetime, link_key(key_file));
    REQUIRE_MESSAGE(t.has_value(), (t ? std::string() : t.err().message));
    return *t;
}

}  // namespace

TEST_CASE("token CLI: create prints the token once, bad flags exit 2, an unknown contact exits 1") {
    temp_dir dir;
    const fs::path db = dir.path() / "hotline.db";
    const auto contacts = dir.write("contacts.csv", contacts_csv);
    REQUIRE(run_cli(dir, "import contacts " + contacts + " --db " + db.string()).exit_code == 0);

    const std::string token = create_token(dir, db, "ak-05983-cp");
    CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    // Stored as a hash only.
    CHECK(db_rows(db, "SELECT count(*) FROM officer_tokens") == std::vector<std::string>{"1"});
    CHECK(db_rows(db, "SELECT count(*) FROM officer_tokens WHERE instr(CAST(token_hash AS TEXT), ?1) > 0 OR "
                      "instr(coalesce(label, ''), ?1) > 0",
                  {token}) == std::vector<std::string>{"0"});

    auto r = run_cli(dir, "token create --db " + db.string());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--contact") != std::string::npos);
    CHECK(r.out.empty());
    r = run_cli(dir, "token create --contact ak-05983-cp --colour red --db " + db.string());
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    r = run_cli(dir, "token create --contact ak-05983-cp --label");
    CHECK(r.exit_code == 2);
    r = run_cli(dir, "token mint --contact ak-05983-cp --db " + db.string());
    CHECK(r.exit_code == 2);
    r = run_cli(dir, "token create --contact nobody --db " + db.string());
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("nobody") != std::string::npos);
    CHECK(r.out.empty());

    r = run_cli(dir, "token revoke --contact ak-05983-cp --db " + db.string());
    CHECK(r.exit_code == 0);
    CHECK(r.out == "revoked 1 token of ak-05983-cp\n");
    CHECK(r.out.find(token) == std::string::npos);
    r = run_cli(dir, "token revoke --contact nobody --db " + db.string());
    CHECK(r.exit_code == 1);
}

TEST_CASE("acknowledgement by API end to end: 200 once, then 409, another unit's token 403, 401 without one") {
    temp_dir dir;
    const fs::path db = dir.path() / "hotline.db";
    const auto contacts = dir.write("contacts.csv", contacts_csv);
    const auto rosters = dir.write("rosters.csv", rosters_csv);
    REQUIRE(run_cli(dir, "import contacts " + contacts + " --db " + db.string()).exit_code == 0);
    REQUIRE(run_cli(dir, "import rosters " + rosters + " --db " + db.string()).exit_code == 0);
    const std::string cp = create_token(dir, db, "ak-05983-cp");
    const std::string police = create_token(dir, db, "ak-05983-police");
    const std::string other = create_token(dir, db, "ak-05977-chair");
    const std::string revoked = create_token(dir, db, "ak-20-coord");
    REQUIRE(run_cli(dir, "token revoke --contact ak-20-coord --db " + db.string()).exit_code == 0);

    server_process server(dir.path(), "[routing]\nhome_province = \"20\"\n");
    http_client c(server.port());
    const std::string code = submit(c);
    const std::string mine = assignment_of(db, code, "ak-05983-cp");
    const std::string theirs = assignment_of(db, code, "ak-05983-police");
    const std::string path = "/api/v1/assignments/" + mine + "/ack";

    // No token, a revoked token, a made-up token: 401 with a challenge.
    auto r = c.request(boost::beast::http::verb::post, path);
    CHECK(r.status == 401);
    CHECK(error_code_of(r) == "unauthorized");
    CHECK(r.header("www-authenticate").starts_with("Bearer"));
    r = c.request(boost::beast::http::verb::post, path, "", bearer(revoked));
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate").find("invalid_token") != std::string::npos);
    r = c.request(boost::beast::http::verb::post, path, "", bearer(std::string(43, 'A')));
    CHECK(r.status == 401);

    // Another commune's officer: 403. No such assignment: 404. GET: 405.
    r = c.request(boost::beast::http::verb::post, path, "", bearer(other));
    CHECK(r.status == 403);
    CHECK(error_code_of(r) == "forbidden");
    r = c.request(boost::beast::http::verb::post, "/api/v1/assignments/999999/ack", "", bearer(cp));
    CHECK(r.status == 404);
    CHECK(error_code_of(r) == "not_found");
    r = c.get(path, bearer(cp));
    CHECK(r.status == 405);
    CHECK(state_of(db, mine) == "open|-|-");

    // The assignee: 200, recorded as the API's.
    r = c.request(boost::beast::http::verb::post, path, "", bearer(cp));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    auto body = body_of(r);
    CHECK(std::to_string(body.at("assignment_id").as_int64()) == mine);
    CHECK(body.at("report_id").as_int64() > 0);
    CHECK(body.at("state").as_string() == "acknowledged");
    CHECK(body.at("in_time").as_bool());
    CHECK(body.at("acknowledged_at").as_string().ends_with("Z"));
    CHECK(state_of(db, mine) == "acknowledged|api|ak-05983-cp");
    CHECK(state_of(db, theirs) == "superseded|-|-");

    // Again: 409 already_acknowledged; the police's, now superseded: 409 superseded.
    r = c.request(boost::beast::http::verb::post, path, "", bearer(cp));
    CHECK(r.status == 409);
    CHECK(error_code_of(r) == "already_acknowledged");
    r = c.request(boost::beast::http::verb::post, "/api/v1/assignments/" + theirs + "/ack", "", bearer(police));
    CHECK(r.status == 409);
    CHECK(error_code_of(r) == "superseded");
    CHECK(db_rows(db, "SELECT count(*) FROM events WHERE kind = 'acknowledged'") == std::vector<std::string>{"1"});
    // Tokens never reach the log.
    CHECK(server.log().find(cp) == std::string::npos);
    CHECK(server.log().find(other) == std::string::npos);
}

TEST_CASE("acknowledgement link end to end: GET shows, POST acknowledges, a second POST says used") {
    temp_dir dir;
    const fs::path db = dir.path() / "hotline.db";
    const auto contacts = dir.write("contacts.csv", contacts_csv);
    const auto rosters = dir.write("rosters.csv", rosters_csv);
    REQUIRE(run_cli(dir, "import contacts " + contacts + " --db " + db.string()).exit_code == 0);
    REQUIRE(run_cli(dir, "import rosters " + rosters + " --db " + db.string()).exit_code == 0);

    server_process server(dir.path(), "[routing]\nhome_province = \"20\"\n");
    http_client c(server.port());
    const fs::path key_file = dir.path() / "server.key";
    const std::string code = submit(c);
    const std::string mine = assignment_of(db, code, "ak-05983-cp");
    const std::string link = make_link(db, key_file, mine, "ak-05983-cp", 24h);
    const std::string expired = make_link(db, key_file, mine, "ak-05983-cp", -1min);
    const std::string page = "/a/" + link;

    // GET (twice, as a phone's preview would): the page, nothing changes.
    for (int i = 0; i < 2; ++i) {
        auto r = c.get(page + "?lang=en");
        REQUIRE_MESSAGE(r.status == 200, r.body);
        CHECK(r.header("content-type").starts_with("text/html"));
        CHECK(r.header("content-security-policy").find("default-src 'none'") != std::string::npos);
        CHECK(r.body.find("<script") == std::string::npos);
        CHECK(element_text(r.body, "ack-code") == code.substr(0, 4) + "-" + code.substr(4));
        CHECK(element_text(r.body, "ack-urgency") == "Emergency");
        CHECK(element_text(r.body, "ack-commune") == "Phường Lương Văn Tri");
        CHECK(element_text(r.body, "ack-deadline").has_value());
        CHECK(r.body.find("method=\"post\" action=\"/a/" + link) != std::string::npos);
        // Nothing about the child or the reporter.
        CHECK(r.body.find("Hoa") == std::string::npos);
        CHECK(r.body.find("Báo") == std::string::npos);
    }
    CHECK(state_of(db, mine) == "open|-|-");
    CHECK(db_rows(db, "SELECT count(*) FROM ack_links WHERE used_at IS NOT NULL") == std::vector<std::string>{"0"});
    auto vi = c.get(page);
    CHECK(vi.status == 200);
    CHECK(element_text(vi.body, "ack-urgency") == "Khẩn cấp");

    // Forged (one symbol changed), unknown, expired.
    std::string forged = link;
    forged.back() = forged.back() == '2' ? '3' : '2';
    auto r = c.get("/a/" + forged);
    CHECK(r.status == 404);
    CHECK(r.body.find("data-result=\"not_found\"") != std::string::npos);
    r = c.request(boost::beast::http::verb::post, "/a/" + forged, "", {{"Content-Type", "application/x-www-form-urlencoded"}});
    CHECK(r.status == 404);
    r = c.get("/a/not-a-link");
    CHECK(r.status == 404);
    r = c.get("/a/" + expired);
    CHECK(r.status == 410);
    CHECK(r.body.find("data-result=\"expired\"") != std::string::npos);
    r = c.post_form("/a/" + expired, "lang=vi");
    CHECK(r.status == 410);
    CHECK(state_of(db, mine) == "open|-|-");

    // POST: acknowledged through the link.
    r = c.post_form(page + "?lang=en", "lang=en");
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(r.body.find("data-result=\"acknowledged\"") != std::string::npos);
    CHECK(state_of(db, mine) == "acknowledged|link|ak-05983-cp");
    CHECK(state_of(db, assignment_of(db, code, "ak-05983-police")) == "superseded|-|-");

    // A second POST, and a later GET: used, and by whom.
    r = c.post_form(page + "?lang=en", "lang=en");
    CHECK(r.status == 409);
    CHECK(r.body.find("data-result=\"used\"") != std::string::npos);
    CHECK(element_text(r.body, "ack-by-you").has_value());
    r = c.get(page + "?lang=en");
    CHECK(r.status == 409);
    CHECK(db_rows(db, "SELECT count(*) FROM events WHERE kind = 'acknowledged'") == std::vector<std::string>{"1"});
    CHECK(server.log().find(link) == std::string::npos);
}
