#include "server/app.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <cctype>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "routing/locate.hpp"
#include "server/sms_webhooks.hpp"
#include "server/triage.hpp"
#include "server/units.hpp"
#include "storage/database.hpp"
#include "storage/outbox.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"

// Delivery reports (Twilio's StatusCallback, the Android gateway's
// sms:delivered / sms:failed) through the application's routes, against a
// real database.

using namespace hotline;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr auto guard = std::chrono::seconds(10);
constexpr std::string_view twilio_token = "twilio-token-1";
constexpr std::string_view android_key = "android-signing-key";
constexpr std::string_view status_url = "http://127.0.0.1:8080/webhooks/sms/twilio/status";

template <class T>
T ok(result<T> r) {
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().code + ": " + r.err().message));
    return std::move(*r);
}

const intake::tracking_codec& codec() {
    static const intake::tracking_codec c([] {
        intake::secret_key k{};
        for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 3 + 2);
        return k;
    }());
    return c;
}

const server::triage& builtin_triage() {
    static const server::triage t = ok(server::load_triage(""));
    return t;
}

const routing::unit_catalog& builtin_units() {
    static const routing::unit_catalog u = ok(server::load_builtin_units());
    return u;
}

std::string form_encode(const server::form_params& params) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const auto& [k, v] : params) {
        if (!out.empty()) out += '&';
        for (const auto* s : {&k, &v}) {
            for (const char ch : *s) {
                const auto c = static_cast<unsigned char>(ch);
                if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
                    out += ch;
                } else {
                    out += '%';
                    out += hex[c >> 4];
                    out += hex[c & 15];
                }
            }
            if (s == &k) out += '=';
        }
    }
    return out;
}

// The application over a real database, driven request by request.
struct world {
    manual_clock clk{from_unix_ms(1751328000000)};  // 2025-07-01T00:00:00Z
    std::ostringstream logs;
    server::logger log{server::log_level::debug, clk, logs};
    hotline::test::temp_dir dir;
    std::unique_ptr<storage::database> db;
    server::config cfg;
    intake::secret_key master{};
    routing::locator locator{builtin_units(), ""};
    std::atomic<int> stored_calls{0};  // report_stored: wakes the scheduler
    std::unique_ptr<server::app> app;
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    std::thread io{[this] { ioc.run(); }};

    world() {
        storage::options o;
        o.path = dir.file("hotline.db");
        db = ok(storage::database::open(o, codec()));
        cfg.twilio_auth_tokens = {std::string(twilio_token)};
        cfg.android_signing_key = std::string(android_key);
        master.fill(9);
        app = std::make_unique<server::app>(
            cfg, log, clk, *db, codec(), master, builtin_triage(), builtin_units(), locator, [] {},
            [](const storage::sms_outcome&) {}, nullptr, [this] { stored_calls.fetch_add(1); });
    }
    ~world() {
        work.reset();
        ioc.stop();
        io.join();
    }

    template <class T, class Job>
    T write(Job job) {
        auto p = std::make_shared<std::promise<result<T>>>();
        auto f = p->get_future();
        db->write<T>(std::move(job), [p](result<T> r) { p->set_value(std::move(r)); });
        REQUIRE(f.wait_for(guard) == std::future_status::ready);
        return ok(f.get());
    }
    template <class T, class Job>
    T read(Job job) {
        auto p = std::make_shared<std::promise<result<T>>>();
        auto f = p->get_future();
        db->read<T>(std::move(job), [p](result<T> r) { p->set_value(std::move(r)); });
        REQUIRE(f.wait_for(guard) == std::future_status::ready);
        return ok(f.get());
    }

    std::uint64_t insert_report() {
        storage::new_report r;
        r.channel = intake::channel::sms;
        r.received_at = clk.now();
        r.data.text = "tre bi danh o xa An Binh";
        r.secret.salt.fill(7);
        r.secret.hash.fill(9);
        auto p = std::make_shared<std::promise<result<storage::receipt>>>();
        auto f = p->get_future();
        db->insert_report(std::move(r), [p](result<storage::receipt> x) { p->set_value(std::move(x)); });
        REQUIRE(f.wait_for(guard) == std::future_status::ready);
        return ok(f.get()).id;
    }

    // An open assignment of `report_id` to the hotline queue, due in 15 minutes.
    std::int64_t insert_assignment(std::uint64_t report_id) {
        const auto now = to_unix_ms(clk.now());
        return write<std::int64_t>([report_id, now](storage::connection& c) {
            return storage::test::insert_hotline_assignment(c, report_id, now);
        });
    }

    // A message of `channel` already sent, known to its gateway as `provider_id`.
    std::uint64_t sent_message(std::string channel, std::string provider_id,
                               std::optional<std::uint64_t> report_id = std::nullopt,
                               std::optional<std::int64_t> assignment_id = std::nullopt) {
        storage::new_outbox_message m;
        m.channel = std::move(channel);
        m.destination = "+84912345678";
        m.body = "Bao cao moi 7KQ2-M9XD";
        m.segments = 1;
        m.report_id = report_id;
        m.assignment_id = assignment_id;
        m.created_at = clk.now();
        const auto now = clk.now();
        return write<std::uint64_t>([m, provider_id, now](storage::connection& c) -> result<std::uint64_t> {
            auto id = storage::enqueue_outbox(c, m);
            if (!id) return id;
            auto claimed = storage::claim_due_outbox(c, now, 1, std::chrono::seconds(60));
            if (!claimed) return std::move(claimed).err();
            if (auto s = storage::mark_outbox_sent(c, *id, now, provider_id); !s) return std::move(s).err();
            return id;
        });
    }

    // The one value `sql` selects for ?1, as text ("" for NULL).
    std::string scalar(std::string sql, std::int64_t id) {
        return read<std::string>([sql, id](storage::connection& c) -> result<std::string> {
            auto st = c.prepare(sql);
            if (!st) return std::move(st).err();
            if (auto b = st->bind(1, id); !b) return std::move(b).err();
            auto r = st->step();
            if (!r) return std::move(r).err();
            return st->column_text(0);
        });
    }
    std::string delivery_of(std::uint64_t outbox_id) {
        return scalar("SELECT delivery FROM outbox WHERE id = ?1", static_cast<std::int64_t>(outbox_id));
    }

    server::response handle(server::request req) {
        auto p = std::make_shared<std::promise<server::response>>();
        auto f = p->get_future();
        asio::co_spawn(
            ioc,
            [](server::app& a, server::request r,
               std::shared_ptr<std::promise<server::response>> out) -> asio::awaitable<void> {
                server::request_context ctx;
                ctx.client_address = "127.0.0.1";
                auto res = co_await a.handle(r, ctx);
                out->set_value(std::move(res));
            }(*app, std::move(req), p),
            asio::detached);
        REQUIRE(f.wait_for(guard) == std::future_status::ready);
        return f.get();
    }

    // Twilio's status callback, signed over the StatusCallback URL with `token`.
    server::response twilio_status(const server::form_params& params, std::string_view token = twilio_token) {
        server::request req{http::verb::post, "/webhooks/sms/twilio/status", 11};
        req.set(http::field::host, "127.0.0.1:8080");
        req.set(http::field::content_type, "application/x-www-form-urlencoded");
        req.set("X-Twilio-Signature", server::twilio_signature(token, status_url, params));
        req.body() = form_encode(params);
        req.prepare_payload();
        return handle(std::move(req));
    }

    // An Android gateway event, signed with `key` at the clock's time.
    server::response android_event(const std::string& body, std::string_view key = android_key) {
        const std::string ts = std::to_string(to_unix_ms(clk.now()) / 1000);
        server::request req{http::verb::post, "/webhooks/sms/android", 11};
        req.set(http::field::host, "127.0.0.1:8080");
        req.set(http::field::content_type, "application/json");
        req.set("X-Timestamp", ts);
        req.set("X-Signature", server::android_signature(key, body, ts));
        req.body() = body;
        req.prepare_payload();
        return handle(std::move(req));
    }
};

std::string status_field(const server::response& r) {
    const auto v = boost::json::parse(r.body());
    return std::string(v.at("status").as_string());
}

std::string android_body(std::string_view event, std::string_view message_id, std::string_view extra = "") {
    return std::string(R"({"id":"ev-1","webhookId":"wh","deviceId":"dev","event":")") + std::string(event) +
           R"(","payload":{"messageId":")" + std::string(message_id) +
           R"(","phoneNumber":"+84912345678","simNumber":null)" + std::string(extra) + "}}";
}

}  // namespace

TEST_SUITE("delivery reports") {

TEST_CASE("twilio status callback: delivered is recorded once, a repeat is a duplicate") {
    world w;
    const auto id = w.sent_message("twilio_sms", "SM1");
    auto r = w.twilio_status({{"MessageSid", "SM1"}, {"MessageStatus", "delivered"}, {"AccountSid", "AC1"}});
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "recorded");
    CHECK(w.delivery_of(id) == "delivered");
    r = w.twilio_status({{"MessageSid", "SM1"}, {"MessageStatus", "delivered"}});
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "duplicate");
    CHECK(w.stored_calls.load() == 0);
    // The log names the message by its outbox id, never the number.
    CHECK(w.logs.str().find("84912345678") == std::string::npos);
}

TEST_CASE("twilio status callback: undelivered of an assignment's only notification moves its deadline") {
    world w;
    const auto report = w.insert_report();
    const auto assignment = w.insert_assignment(report);
    const auto id = w.sent_message("twilio_sms", "SM2", report, assignment);
    w.clk.advance(2min);
    const auto r = w.twilio_status({{"MessageSid", "SM2"}, {"MessageStatus", "undelivered"}, {"ErrorCode", "30003"}});
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "recorded");
    CHECK(w.delivery_of(id) == "undelivered");
    CHECK(w.scalar("SELECT ack_due_at FROM assignments WHERE id = ?1", assignment) ==
          std::to_string(to_unix_ms(w.clk.now())));
    // The scheduler is woken: report_stored is how the application wakes it.
    CHECK(w.stored_calls.load() == 1);
    CHECK(w.scalar("SELECT last_error FROM outbox WHERE id = ?1", static_cast<std::int64_t>(id)).find("30003") !=
          std::string::npos);
}

TEST_CASE("twilio status callback: statuses that are not final are acknowledged and ignored") {
    world w;
    const auto id = w.sent_message("twilio_sms", "SM3");
    for (const char* status : {"queued", "sending", "sent"}) {
        CAPTURE(status);
        const auto r = w.twilio_status({{"MessageSid", "SM3"}, {"MessageStatus", status}});
        CHECK(r.result_int() == 200);
        CHECK(status_field(r) == "ignored");
    }
    CHECK(w.delivery_of(id).empty());
}

TEST_CASE("twilio status callback: an unknown MessageSid is answered 200 so Twilio stops retrying") {
    world w;
    const auto r = w.twilio_status({{"MessageSid", "SMunknown"}, {"MessageStatus", "failed"}});
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "unknown");
}

TEST_CASE("twilio status callback: a wrong or missing signature is refused and nothing is recorded") {
    world w;
    const auto id = w.sent_message("twilio_sms", "SM4");
    auto r = w.twilio_status({{"MessageSid", "SM4"}, {"MessageStatus", "undelivered"}}, "another-token");
    CHECK(r.result_int() == 403);
    CHECK(w.delivery_of(id).empty());

    // Signed over the inbound webhook's URL instead of the status URL.
    server::request req{http::verb::post, "/webhooks/sms/twilio/status", 11};
    const server::form_params params{{"MessageSid", "SM4"}, {"MessageStatus", "delivered"}};
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.set("X-Twilio-Signature",
            server::twilio_signature(twilio_token, "http://127.0.0.1:8080/webhooks/sms/twilio", params));
    req.body() = form_encode(params);
    req.prepare_payload();
    r = w.handle(req);
    CHECK(r.result_int() == 403);

    req.erase("X-Twilio-Signature");
    r = w.handle(req);
    CHECK(r.result_int() == 403);
    CHECK(w.delivery_of(id).empty());
}

TEST_CASE("twilio status callback: malformed input gets a 4xx") {
    world w;
    // invalid_value: 422, as everywhere in the API.
    auto r = w.twilio_status({{"MessageSid", "SM5"}});
    CHECK(r.result_int() == 422);
    CHECK(r.body().find("MessageStatus") != std::string::npos);
    r = w.twilio_status({{"MessageStatus", "delivered"}});
    CHECK(r.result_int() == 422);
    CHECK(r.body().find("MessageSid") != std::string::npos);

    server::request req{http::verb::post, "/webhooks/sms/twilio/status", 11};
    req.set(http::field::content_type, "application/json");
    req.body() = "{}";
    req.prepare_payload();
    CHECK(w.handle(req).result_int() == 415);

    server::request get{http::verb::get, "/webhooks/sms/twilio/status", 11};
    CHECK(w.handle(get).result_int() == 405);
}

TEST_CASE("twilio status callback: 404 while Twilio is not configured") {
    world w;
    w.cfg.twilio_auth_tokens.clear();
    const auto r = w.twilio_status({{"MessageSid", "SM6"}, {"MessageStatus", "delivered"}});
    CHECK(r.result_int() == 404);
}

TEST_CASE("android gateway: sms:delivered and sms:failed are recorded, sms:failed moves the deadline") {
    world w;
    const auto delivered = w.sent_message("android_sms", "hotline-1");
    auto r = w.android_event(android_body("sms:delivered", "hotline-1", R"(,"deliveredAt":"2025-07-01T07:00:00+07:00")"));
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "recorded");
    CHECK(w.delivery_of(delivered) == "delivered");
    CHECK(w.stored_calls.load() == 0);

    const auto report = w.insert_report();
    const auto assignment = w.insert_assignment(report);
    const auto failed = w.sent_message("android_sms", "hotline-2", report, assignment);
    w.clk.advance(1min);
    r = w.android_event(android_body("sms:failed", "hotline-2", R"(,"reason":"RESULT_ERROR_NO_SERVICE")"));
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "recorded");
    CHECK(w.delivery_of(failed) == "undelivered");
    CHECK(w.stored_calls.load() == 1);
    CHECK(w.scalar("SELECT ack_due_at FROM assignments WHERE id = ?1", assignment) ==
          std::to_string(to_unix_ms(w.clk.now())));
    CHECK(w.scalar("SELECT last_error FROM outbox WHERE id = ?1", static_cast<std::int64_t>(failed))
              .find("RESULT_ERROR_NO_SERVICE") != std::string::npos);
}

TEST_CASE("android gateway: a report of a Twilio message's id is not taken for it") {
    world w;
    const auto id = w.sent_message("twilio_sms", "shared-id");
    const auto r = w.android_event(android_body("sms:failed", "shared-id"));
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "unknown");
    CHECK(w.delivery_of(id).empty());
}

TEST_CASE("android gateway: delivery events with a wrong signature or no messageId are refused") {
    world w;
    const auto id = w.sent_message("android_sms", "hotline-3");
    auto r = w.android_event(android_body("sms:delivered", "hotline-3"), "wrong-key");
    CHECK(r.result_int() == 403);
    CHECK(w.delivery_of(id).empty());
    r = w.android_event(R"({"id":"e","event":"sms:delivered","payload":{"phoneNumber":"+84912345678"}})");
    CHECK(r.result_int() == 422);
    CHECK(r.body().find("payload.messageId") != std::string::npos);
    r = w.android_event(R"({"id":"e","event":"sms:delivered",)");
    CHECK(r.result_int() == 400);
    r = w.android_event(android_body("sms:sent", "hotline-3"));
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "ignored");
    r = w.android_event(android_body("sms:delivered", "hotline-unknown"));
    CHECK(r.result_int() == 200);
    CHECK(status_field(r) == "unknown");
    CHECK(w.delivery_of(id).empty());
}

}  // TEST_SUITE
