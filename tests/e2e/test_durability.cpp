// Every report that got a 201 survives: a graceful restart, and a SIGKILL in
// the middle of a burst of concurrent submissions.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

using namespace hotline::e2e;
namespace json = boost::json;

namespace {

struct accepted {
    std::string code;
    std::string secret;
    std::string text;
};

std::string text_for(int worker, int i) {
    return "Báo tin số " + std::to_string(worker) + "-" + std::to_string(i) +
           ": cháu gái khoảng 9 tuổi ở xóm bên bị bỏ đói, thường xuyên bị đánh, hôm nay có vết thương ở đầu.";
}

// Reports submitted from `workers` threads, each on its own keep-alive
// connection, until stop(); every 201 is recorded.
class burst {
public:
    burst(unsigned short port, int workers) {
        for (int w = 0; w < workers; ++w) threads_.emplace_back([this, port, w] { run(port, w); });
    }
    ~burst() { stop(); }

    // Blocks until at least `n` reports were accepted.
    void wait_for(std::size_t n) {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return accepted_.size() >= n; });
    }
    // Stops the workers and returns what was accepted.
    std::vector<accepted> stop() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
        std::lock_guard lock(m_);
        return accepted_;
    }

private:
    void run(unsigned short port, int worker) {
        try {
            http_client c(port);
            for (int i = 0; !stop_; ++i) {
                const std::string text = text_for(worker, i);
                const auto r = c.post_json("/api/v1/reports",
                                           json::serialize(json::object{{"text", text}, {"child_age", 9}}));
                if (r.status != 201) continue;
                const auto b = json::parse(r.body).as_object();
                std::lock_guard lock(m_);
                accepted_.push_back({std::string(b.at("tracking_code").as_string()),
                                     std::string(b.at("access_secret").as_string()), text});
                cv_.notify_all();
            }
        } catch (const std::exception&) {
            // The server went away mid-request: that request got no 201.
        }
    }

    std::atomic<bool> stop_{false};
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<accepted> accepted_;
    std::vector<std::thread> threads_;
};

// The text stored for a tracking code, read straight from the database file.
std::optional<std::string> stored_text(sqlite3* db, const std::string& grouped_code) {
    const std::string code = grouped_code.substr(0, 4) + grouped_code.substr(5);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT text, child_age FROM reports WHERE tracking_code = ?", -1, &st, nullptr) ==
            SQLITE_OK);
    sqlite3_bind_text(st, 1, code.c_str(), -1, SQLITE_TRANSIENT);
    std::optional<std::string> out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 1) == 9)
        out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

void check_all_stored(const fs::path& db_path, const std::vector<accepted>& reports) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    int missing = 0;
    for (const auto& a : reports) {
        const auto text = stored_text(db, a.code);
        if (!text || *text != a.text) ++missing;
    }
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(missing == 0);
}

}  // namespace

TEST_CASE("graceful shutdown finishes in-flight requests, exits 0, and a restart has every report") {
    temp_dir dir;
    std::vector<accepted> reports;
    {
        server_process srv(dir.path(), "[limits]\nreports_per_minute = 0\n");
        burst load(srv.port(), 8);
        // Let the burst get going, then ask the server to stop while requests are in flight.
        load.wait_for(200);
        const auto started = std::chrono::steady_clock::now();
        CHECK(srv.stop(SIGTERM, 10000) == 0);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
        reports = load.stop();
        CHECK(srv.log().find("\"event\":\"shutdown_complete\"") != std::string::npos);
    }
    REQUIRE(reports.size() >= 200);
    check_all_stored(dir.path() / "hotline.db", reports);

    // After a restart, every reporter can still follow their report.
    server_process again(dir.path());
    http_client c(again.port());
    for (std::size_t i = 0; i < reports.size(); i += reports.size() / 20) {
        auto r = c.get("/api/v1/reports/" + reports[i].code, {{"X-Access-Secret", reports[i].secret}});
        CHECK(r.status == 200);
    }
}

TEST_CASE("SIGKILL during a burst of concurrent submissions loses no acknowledged report") {
    temp_dir dir;
    std::vector<accepted> reports;
    {
        server_process srv(dir.path(), "[limits]\nreports_per_minute = 0\n");
        burst load(srv.port(), 16);
        load.wait_for(300);
        CHECK(srv.stop(SIGKILL) == 128 + SIGKILL);
        reports = load.stop();
    }
    REQUIRE(reports.size() >= 300);
    // The database recovers from its WAL on open; every 201 is there, complete.
    server_process again(dir.path());
    check_all_stored(dir.path() / "hotline.db", reports);
    http_client c(again.port());
    const auto& last = reports.back();
    CHECK(c.get("/api/v1/reports/" + last.code, {{"X-Access-Secret", last.secret}}).status == 200);
}
