#include "server/dispatcher.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <streambuf>
#include <string>
#include <thread>

#include "server/http_client.hpp"
#include "server/senders.hpp"
#include "server/sms_webhooks.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/io_thread.hpp"
#include "tests/support/test_certificate.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using hotline::test::fake_http_server;
using hotline::test::temp_dir;

namespace {

constexpr auto guard = std::chrono::seconds(10);  // failure guard for every wait

// ---- a log that tests can wait on -------------------------------------------------

class log_capture final : public std::streambuf {
public:
    log_capture() : out(this) {}
    std::ostream out;

    std::string text() const {
        std::lock_guard lock(mutex_);
        return text_;
    }
    std::size_t count(std::string_view needle) const {
        std::lock_guard lock(mutex_);
        return count_locked(needle);
    }
    // Waits until `needle` occurs at least `n` times.
    bool wait_for(std::string_view needle, std::size_t n) const {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, guard, [&] { return count_locked(needle) >= n; });
    }
    // Waits until the last line written contains `needle`.
    bool wait_last_line(std::string_view needle) const {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, guard, [&] { return last_line_locked().find(needle) != std::string_view::npos; });
    }

protected:
    int_type overflow(int_type ch) override {
        if (ch != traits_type::eof()) {
            std::lock_guard lock(mutex_);
            text_.push_back(static_cast<char>(ch));
        }
        cv_.notify_all();
        return ch;
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        {
            std::lock_guard lock(mutex_);
            text_.append(s, static_cast<std::size_t>(n));
        }
        cv_.notify_all();
        return n;
    }

private:
    std::size_t count_locked(std::string_view needle) const {
        std::size_t n = 0;
        for (auto pos = text_.find(needle); pos != std::string::npos; pos = text_.find(needle, pos + needle.size()))
            ++n;
        return n;
    }
    std::string_view last_line_locked() const {
        std::string_view t = text_;
        if (!t.empty() && t.back() == '\n') t.remove_suffix(1);
        const auto nl = t.rfind('\n');
        return nl == std::string_view::npos ? t : t.substr(nl + 1);
    }
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::string text_;
};

// ---- storage helpers --------------------------------------------------------------

const intake::tracking_codec& codec() {
    static const intake::tracking_codec c([] {
        intake::secret_key k{};
        for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 5 + 1);
        return k;
    }());
    return c;
}

template <class T, class Start>
result<T> await(Start start) {
    auto p = std::make_shared<std::promise<result<T>>>();
    auto f = p->get_future();
    start([p](result<T> r) { p->set_value(std::move(r)); });
    REQUIRE(f.wait_for(guard) == std::future_status::ready);
    return f.get();
}

template <class T>
T ok(result<T> r) {
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().code + ": " + r.err().message));
    return std::move(*r);
}

constexpr std::string_view phone = "+84912345678";
constexpr std::string_view reply_text = "Da nhan tin bao. Ma: 7KQ2-M9XD";

// One test's world: a database in a temp dir, a manual clock, a captured
// log, an io_context on its own thread and a fake gateway.
struct world {
    manual_clock clk{from_unix_ms(1751328000000)};  // 2025-07-01T00:00:00Z
    log_capture logs;
    server::logger log{server::log_level::debug, clk, logs.out};
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    asio::ssl::context tls{asio::ssl::context::tls_client};
    temp_dir dir;
    std::unique_ptr<storage::database> db;
    fake_http_server gateway;
    fake_http_server twilio;
    fake_http_server webhooks;
    std::atomic<int> deadline_moves{0};  // on_deadline_moved calls
    std::unique_ptr<server::dispatcher> disp;
    std::thread io;

    world() {
        tls.set_default_verify_paths();
        storage::options o;
        o.path = dir.file("hotline.db");
        auto opened = storage::database::open(o, codec());
        REQUIRE_MESSAGE(opened.has_value(), (opened ? std::string() : opened.err().message));
        db = std::move(*opened);
        io = std::thread([this] { ioc.run(); });
    }

    ~world() {
        if (disp) stop_dispatcher();
        work.reset();
        ioc.stop();
        io.join();
        disp.reset();
    }

    static server::dispatcher_options default_options() {
        server::dispatcher_options o;
        // Backoffs long in real time, so that no retry timer fires by itself
        // while a test runs: the tests move the manual clock instead.
        o.backoff_base = 1min;
        o.backoff_max = 10min;
        o.max_attempts = 5;
        o.lease = 60s;
        return o;
    }

    void start(server::dispatcher_options o = default_options(), std::string url = {}) {
        if (url.empty()) url = gateway.url("/messages");
        if (!o.on_deadline_moved) o.on_deadline_moved = [this] { deadline_moves.fetch_add(1); };
        disp = std::make_unique<server::dispatcher>(ioc, *db, clk, log, o);
        disp->add_sender("android_sms", server::make_android_sender(std::move(url), "sms", "secret", tls));
        server::twilio_sender_options t;
        t.api_base_url = twilio.url("");
        t.account_sid = "AC0123";
        t.auth_token = "tok";
        t.from = "+15005550006";
        t.status_callback_url = "http://127.0.0.1:8080/webhooks/sms/twilio/status";
        disp->add_sender("twilio_sms", server::make_twilio_sender(std::move(t), tls, log));
        disp->add_sender("webhook", server::make_webhook_sender("whsec", clk, tls));
        disp->start();
    }

    bool stop_dispatcher() {
        auto p = std::make_shared<std::promise<void>>();
        auto f = p->get_future();
        disp->stop([p] { p->set_value(); });
        return f.wait_for(guard) == std::future_status::ready;
    }

    std::uint64_t enqueue(std::optional<std::uint64_t> report_id = std::nullopt,
                          std::optional<time_point> created = std::nullopt, std::string channel = "android_sms",
                          std::optional<std::int64_t> assignment_id = std::nullopt, std::string destination = {}) {
        storage::new_outbox_message m;
        m.channel = std::move(channel);
        m.destination = destination.empty() ? std::string(phone) : std::move(destination);
        m.assignment_id = assignment_id;
        m.body = std::string(reply_text);
        m.segments = 1;
        m.report_id = report_id;
        m.created_at = created ? *created : clk.now();
        return ok(await<std::uint64_t>([&](auto done) {
            db->write<std::uint64_t>([m](storage::connection& c) { return storage::enqueue_outbox(c, m); },
                                     std::move(done));
        }));
    }

    std::uint64_t insert_report() {
        storage::new_report r;
        r.channel = intake::channel::sms;
        r.received_at = clk.now();
        r.data.text = "tre bi danh o xa An Binh";
        r.secret.salt.fill(7);
        r.secret.hash.fill(9);
        return ok(await<storage::receipt>([&](auto done) { db->insert_report(std::move(r), std::move(done)); })).id;
    }

    // An open assignment of `report_id` to the hotline queue, due in 15 minutes.
    std::int64_t insert_assignment(std::uint64_t report_id) {
        const auto now = to_unix_ms(clk.now());
        return ok(await<std::int64_t>([&](auto done) {
            db->write<std::int64_t>(
                [report_id, now](storage::connection& c) {
                    return storage::test::insert_hotline_assignment(c, report_id, now);
                },
                std::move(done));
        }));
    }

    // The one value `sql` selects for `id` (?1), as text; "" for NULL.
    std::string scalar(std::string sql, std::int64_t id) {
        return ok(await<std::string>([&](auto done) {
            db->read<std::string>(
                [sql, id](storage::connection& c) -> result<std::string> {
                    auto st = c.prepare(sql);
                    if (!st) return std::move(st).err();
                    if (auto b = st->bind(1, id); !b) return std::move(b).err();
                    auto r = st->step();
                    if (!r) return std::move(r).err();
                    return st->column_text(0);
                },
                std::move(done));
        }));
    }

    storage::outbox_status status(std::uint64_t id) {
        auto s = ok(await<std::optional<storage::outbox_status>>([&](auto done) {
            db->read<std::optional<storage::outbox_status>>(
                [id](storage::connection& c) { return storage::outbox_status_of(c, id); }, std::move(done));
        }));
        REQUIRE(s.has_value());
        return *s;
    }

    std::optional<time_point> next_due() {
        return ok(await<std::optional<time_point>>([&](auto done) {
            db->read<std::optional<time_point>>([](storage::connection& c) { return storage::next_outbox_due(c); },
                                                std::move(done));
        }));
    }

    std::int64_t events(std::uint64_t report_id, std::string kind) {
        return ok(await<std::int64_t>([&](auto done) {
            db->read<std::int64_t>(
                [report_id, kind](storage::connection& c) -> result<std::int64_t> {
                    auto st = c.prepare("SELECT count(*) FROM events WHERE report_id = ?1 AND kind = ?2");
                    if (!st) return std::move(st).err();
                    if (auto b = st->bind(1, report_id); !b) return std::move(b).err();
                    if (auto b = st->bind(2, std::string_view(kind)); !b) return std::move(b).err();
                    auto r = st->step();
                    if (!r) return std::move(r).err();
                    return st->column_int64(0);
                },
                std::move(done));
        }));
    }

    // Waits until the dispatcher has gone to sleep (its last log line says
    // so), then wakes it and waits until it has looked at the outbox again
    // and gone back to sleep. Anything due by then has been sent.
    void notify_and_settle() {
        REQUIRE(logs.wait_last_line("\"outbox_idle\""));
        const auto n = logs.count("\"outbox_idle\"");
        disp->notify();
        REQUIRE(logs.wait_for("\"outbox_idle\"", n + 1));
    }

    bool wait_verdicts(std::string_view verdict, std::size_t n) {
        return logs.wait_for("\"verdict\":\"" + std::string(verdict) + "\"", n);
    }
};

std::string expected_id(std::uint64_t id) { return "hotline-" + std::to_string(id); }

}  // namespace

TEST_SUITE("dispatcher") {

TEST_CASE("dispatcher: an android_sms message is POSTed once with its JSON body, Basic auth and id, then sent") {
    world w;
    const auto report = w.insert_report();
    const auto id = w.enqueue(report);
    w.start();

    REQUIRE(w.gateway.wait_for_requests(1, guard));
    REQUIRE(w.wait_verdicts("sent", 1));

    const auto reqs = w.gateway.requests();
    REQUIRE(reqs.size() == 1);
    const auto& r = reqs[0];
    CHECK(r.method == "POST");
    CHECK(r.target == "/messages");
    CHECK(r.header("Content-Type") == "application/json");
    CHECK(r.header("Authorization") == "Basic c21zOnNlY3JldA==");  // sms:secret
    CHECK(r.header("User-Agent") == "hotline");
    CHECK(r.header("Host") == "127.0.0.1:" + std::to_string(w.gateway.port()));
    CHECK(r.header("Content-Length") == std::to_string(r.body.size()));
    const auto body = boost::json::parse(r.body).as_object();
    CHECK(body.at("textMessage").at("text").as_string() == reply_text);
    REQUIRE(body.at("phoneNumbers").as_array().size() == 1);
    CHECK(body.at("phoneNumbers").at(0).as_string() == phone);
    CHECK(body.at("id").as_string() == expected_id(id));

    const auto st = w.status(id);
    CHECK(st.state == storage::outbox_state::sent);
    CHECK(st.attempts == 1);
    CHECK(w.events(report, "notified") == 1);
    CHECK(w.disp->sent() == 1);
    CHECK(w.disp->retried() == 0);
    CHECK(w.disp->failed() == 0);

    // Nothing more goes out: the message is settled.
    w.clk.advance(std::chrono::hours(24));
    w.notify_and_settle();
    CHECK(w.gateway.request_count() == 1);

    // The log names the message, never its text or destination.
    const auto log = w.logs.text();
    CHECK(log.find("\"outbox_id\":" + std::to_string(id)) != std::string::npos);
    CHECK(log.find("\"channel\":\"android_sms\"") != std::string::npos);
    CHECK(log.find(phone) == std::string::npos);
    CHECK(log.find("84912345678") == std::string::npos);
    CHECK(log.find("Da nhan tin bao") == std::string::npos);
}

TEST_CASE("dispatcher: a message without a report is sent without an event") {
    world w;
    const auto id = w.enqueue();
    w.start();
    REQUIRE(w.wait_verdicts("sent", 1));
    CHECK(w.status(id).state == storage::outbox_state::sent);
}

TEST_CASE("dispatcher: 500 then 202: retried after the backoff, sent exactly once after success") {
    world w;
    w.gateway.script({500, 202});
    const auto report = w.insert_report();
    const auto id = w.enqueue(report);
    const auto t0 = w.clk.now();
    w.start();

    REQUIRE(w.wait_verdicts("retry", 1));
    CHECK(w.gateway.request_count() == 1);
    auto st = w.status(id);
    CHECK(st.state == storage::outbox_state::pending);
    CHECK(st.attempts == 1);
    CHECK(st.last_error.find("500") != std::string::npos);
    // First retry: backoff_base (1 min) times a factor in [0.5, 1].
    const auto due = w.next_due();
    REQUIRE(due.has_value());
    CHECK(*due >= t0 + 30s);
    CHECK(*due <= t0 + 60s);

    // Not due yet: a notify alone sends nothing.
    w.notify_and_settle();
    CHECK(w.gateway.request_count() == 1);

    // Past the backoff: sent at once.
    w.clk.advance(61s);
    w.disp->notify();
    REQUIRE(w.wait_verdicts("sent", 1));
    CHECK(w.gateway.request_count() == 2);
    st = w.status(id);
    CHECK(st.state == storage::outbox_state::sent);
    CHECK(st.attempts == 2);
    CHECK(w.events(report, "notified") == 1);
    CHECK(w.disp->retried() == 1);
    CHECK(w.disp->sent() == 1);

    // Both sends carried the same idempotency id.
    const auto reqs = w.gateway.requests();
    for (const auto& r : reqs) CHECK(boost::json::parse(r.body).at("id").as_string() == expected_id(id));

    // Exactly once after success.
    w.clk.advance(std::chrono::hours(24));
    w.notify_and_settle();
    CHECK(w.gateway.request_count() == 2);
}

TEST_CASE("dispatcher: 408 and 429 are retried too") {
    world w;
    w.gateway.script({408, 429, 200});
    const auto id = w.enqueue();
    w.start();
    REQUIRE(w.wait_verdicts("retry", 1));
    w.clk.advance(1h);
    w.disp->notify();
    REQUIRE(w.wait_verdicts("retry", 2));
    w.clk.advance(1h);
    w.disp->notify();
    REQUIRE(w.wait_verdicts("sent", 1));
    CHECK(w.status(id).attempts == 3);
    CHECK(w.gateway.request_count() == 3);
}

TEST_CASE("dispatcher: 400: failed at once, never retried") {
    world w;
    w.gateway.script({400});
    const auto report = w.insert_report();
    const auto id = w.enqueue(report);
    w.start();

    REQUIRE(w.wait_verdicts("failed", 1));
    auto st = w.status(id);
    CHECK(st.state == storage::outbox_state::failed);
    CHECK(st.attempts == 1);
    CHECK(st.last_error.find("400") != std::string::npos);
    CHECK(w.disp->failed() == 1);
    CHECK(w.events(report, "notified") == 0);

    w.clk.advance(std::chrono::hours(24));
    w.notify_and_settle();
    CHECK(w.gateway.request_count() == 1);
    CHECK(w.logs.count("\"verdict\":\"retry\"") == 0);
}

TEST_CASE("dispatcher: a network error (nothing listening) is retried") {
    world w;
    const auto id = w.enqueue();
    const auto port = hotline::test::unused_port();
    w.start(world::default_options(), "http://127.0.0.1:" + std::to_string(port) + "/messages");

    REQUIRE(w.wait_verdicts("retry", 1));
    const auto st = w.status(id);
    CHECK(st.state == storage::outbox_state::pending);
    CHECK(st.attempts == 1);
    CHECK_FALSE(st.last_error.empty());
    CHECK(w.disp->retried() == 1);
}

TEST_CASE("dispatcher: max_attempts reached: failed, with exponential backoff in between") {
    world w;
    w.gateway.set_default_status(503);
    const auto id = w.enqueue();
    auto o = world::default_options();
    o.max_attempts = 3;
    w.start(o);

    REQUIRE(w.wait_verdicts("retry", 1));
    w.clk.advance(1h);
    const auto t1 = w.clk.now();
    w.disp->notify();
    REQUIRE(w.wait_verdicts("retry", 2));
    // Second retry: 2 min times a factor in [0.5, 1].
    const auto due = w.next_due();
    REQUIRE(due.has_value());
    CHECK(*due >= t1 + 60s);
    CHECK(*due <= t1 + 120s);

    w.clk.advance(1h);
    w.disp->notify();
    REQUIRE(w.wait_verdicts("failed", 1));
    const auto st = w.status(id);
    CHECK(st.state == storage::outbox_state::failed);
    CHECK(st.attempts == 3);
    CHECK(st.last_error.find("3 attempts") != std::string::npos);
    CHECK(w.gateway.request_count() == 3);
    CHECK(w.disp->retried() == 2);
    CHECK(w.disp->failed() == 1);
    CHECK_FALSE(w.next_due().has_value());
}

TEST_CASE("dispatcher: backoff is capped at backoff_max") {
    world w;
    w.gateway.set_default_status(500);
    w.enqueue();
    auto o = world::default_options();
    o.backoff_base = 1min;
    o.backoff_max = 90s;
    o.max_attempts = 10;
    w.start(o);
    for (std::size_t n = 1; n <= 4; ++n) {
        REQUIRE(w.wait_verdicts("retry", n));
        const auto now = w.clk.now();
        const auto due = w.next_due();
        REQUIRE(due.has_value());
        CHECK(*due <= now + 90s);
        CHECK(*due >= now + (n == 1 ? 30s : 45s));
        w.clk.advance(1h);
        w.disp->notify();
    }
}

TEST_CASE("dispatcher: a message not due yet is sent only once the clock passes its time") {
    world w;
    const auto id = w.enqueue(std::nullopt, w.clk.now() + 5min);
    w.start();

    w.notify_and_settle();
    CHECK(w.gateway.request_count() == 0);
    w.clk.advance(4min + 59s);
    w.notify_and_settle();
    CHECK(w.gateway.request_count() == 0);
    CHECK(w.status(id).state == storage::outbox_state::pending);

    w.clk.advance(1s);
    w.disp->notify();
    REQUIRE(w.wait_verdicts("sent", 1));
    CHECK(w.gateway.request_count() == 1);
    CHECK(w.status(id).state == storage::outbox_state::sent);
}

TEST_CASE("dispatcher: a channel without a sender fails permanently") {
    world w;
    const auto id = w.enqueue(std::nullopt, std::nullopt, "carrier_pigeon");
    w.start();
    REQUIRE(w.wait_verdicts("failed", 1));
    const auto st = w.status(id);
    CHECK(st.state == storage::outbox_state::failed);
    CHECK(st.last_error == "no sender for channel");
    CHECK(w.gateway.request_count() == 0);
}

TEST_CASE("dispatcher: restart: a message left sending by a crashed dispatcher is sent once its lease runs out") {
    world w;
    const auto report = w.insert_report();
    const auto id = w.enqueue(report);
    // The crashed dispatcher claimed it and never settled it.
    const auto now = w.clk.now();
    auto claimed = ok(await<std::vector<storage::outbox_message>>([&](auto done) {
        w.db->write<std::vector<storage::outbox_message>>(
            [now](storage::connection& c) { return storage::claim_due_outbox(c, now, 16, 60s); }, std::move(done));
    }));
    REQUIRE(claimed.size() == 1);
    CHECK(claimed[0].id == id);
    CHECK(w.status(id).state == storage::outbox_state::sending);

    w.start();
    // The lease still holds: not sent.
    w.notify_and_settle();
    CHECK(w.gateway.request_count() == 0);

    w.clk.advance(61s);
    w.disp->notify();
    REQUIRE(w.wait_verdicts("sent", 1));
    CHECK(w.gateway.request_count() == 1);
    const auto st = w.status(id);
    CHECK(st.state == storage::outbox_state::sent);
    CHECK(st.attempts == 2);
    CHECK(boost::json::parse(w.gateway.requests()[0].body).at("id").as_string() == expected_id(id));
    CHECK(w.events(report, "notified") == 1);
}

TEST_CASE("dispatcher: many messages: all sent, in batches") {
    world w;
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 40; ++i) ids.push_back(w.enqueue());
    auto o = world::default_options();
    o.batch = 16;
    w.start(o);
    REQUIRE(w.wait_verdicts("sent", 40));
    CHECK(w.gateway.request_count() == 40);
    for (const auto id : ids) CHECK(w.status(id).state == storage::outbox_state::sent);
}

TEST_CASE("dispatcher: notify after an enqueue sends at once") {
    world w;
    w.start();
    w.notify_and_settle();
    const auto id = w.enqueue();
    w.disp->notify();
    REQUIRE(w.wait_verdicts("sent", 1));
    CHECK(w.status(id).state == storage::outbox_state::sent);
}

TEST_CASE("dispatcher: stop() completes and calls on_stopped once") {
    world w;
    w.enqueue();
    w.start();
    REQUIRE(w.wait_verdicts("sent", 1));
    REQUIRE(w.logs.wait_last_line("\"outbox_idle\""));

    std::atomic<int> calls{0};
    std::promise<void> done;
    w.disp->stop([&] {
        calls.fetch_add(1);
        done.set_value();
    });
    REQUIRE(done.get_future().wait_for(guard) == std::future_status::ready);
    CHECK(calls.load() == 1);
    CHECK(w.logs.count("outbox_dispatcher_stopped") == 1);
    // A second stop() answers at once.
    CHECK(w.stop_dispatcher());
    CHECK(calls.load() == 1);
}

namespace {

// A sender that holds its first send until release() (to stop the dispatcher
// in the middle of a send); later sends succeed at once.
class gated_sender final : public server::outbox_sender {
public:
    asio::awaitable<server::send_result> send(const storage::outbox_message& m) override {
        sends.fetch_add(1);
        if (!first_) co_return server::send_result{};
        first_ = false;
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer t(ex, asio::steady_timer::time_point::max());
        {
            std::lock_guard lock(mutex_);
            timer_ = &t;
            ex_ = ex;
        }
        entered.set_value(m.id);
        auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
        co_return server::send_result{};
    }
    void release() {
        std::lock_guard lock(mutex_);
        asio::post(ex_, [t = timer_] { t->cancel(); });
    }
    std::promise<std::uint64_t> entered;
    std::atomic<int> sends{0};

private:
    bool first_ = true;
    std::mutex mutex_;
    asio::steady_timer* timer_ = nullptr;
    asio::any_io_executor ex_;
};

}  // namespace

TEST_CASE("dispatcher: stop() in the middle of a send: the send finishes, the rest of the batch is handed back") {
    world w;
    const auto a = w.enqueue(std::nullopt, std::nullopt, "gated");
    const auto b = w.enqueue(std::nullopt, std::nullopt, "gated");
    const auto c = w.enqueue(std::nullopt, std::nullopt, "gated");
    w.disp = std::make_unique<server::dispatcher>(w.ioc, *w.db, w.clk, w.log, world::default_options());
    auto owned = std::make_unique<gated_sender>();
    auto* gate = owned.get();
    w.disp->add_sender("gated", std::move(owned));
    auto entered = gate->entered.get_future();
    w.disp->start();
    REQUIRE(entered.wait_for(guard) == std::future_status::ready);
    CHECK(entered.get() == a);

    std::atomic<int> calls{0};
    std::promise<void> stopped;
    w.disp->stop([&] {
        calls.fetch_add(1);
        stopped.set_value();
    });
    auto stopped_future = stopped.get_future();
    CHECK(calls.load() == 0);  // the send in progress is not cut short
    gate->release();
    REQUIRE(stopped_future.wait_for(guard) == std::future_status::ready);
    CHECK(calls.load() == 1);
    CHECK(gate->sends.load() == 1);

    CHECK(w.status(a).state == storage::outbox_state::sent);
    for (const auto id : {b, c}) {
        const auto st = w.status(id);
        CHECK(st.state == storage::outbox_state::pending);
        CHECK(st.last_error.find("stopped") != std::string::npos);
    }
    const auto due = w.next_due();
    REQUIRE(due.has_value());
    CHECK(*due <= w.clk.now());

    // A new dispatcher sends the rest.
    w.disp = std::make_unique<server::dispatcher>(w.ioc, *w.db, w.clk, w.log, world::default_options());
    w.disp->add_sender("android_sms", server::make_android_sender(w.gateway.url("/messages"), "sms", "secret", w.tls));
    auto again = std::make_unique<gated_sender>();
    auto* gate2 = again.get();
    auto entered2 = gate2->entered.get_future();
    w.disp->add_sender("gated", std::move(again));
    w.disp->start();
    REQUIRE(entered2.wait_for(guard) == std::future_status::ready);
    gate2->release();
    REQUIRE(w.wait_verdicts("sent", 3));
    CHECK(w.status(b).state == storage::outbox_state::sent);
    CHECK(w.status(c).state == storage::outbox_state::sent);
}

TEST_CASE("dispatcher: stop() before start() calls on_stopped") {
    world w;
    w.disp = std::make_unique<server::dispatcher>(w.ioc, *w.db, w.clk, w.log, world::default_options());
    CHECK(w.stop_dispatcher());
}

}  // TEST_SUITE

// ---- http client ------------------------------------------------------------------

namespace {

struct io_thread : hotline::test::io_thread {
    result<server::incoming_response> send(server::outgoing_request req) {
        return run<result<server::incoming_response>>(
            [this, r = std::move(req)]() mutable { return server::send_http(std::move(r), tls); }, guard);
    }
};

}  // namespace

TEST_SUITE("http_client") {

TEST_CASE("http_client: GET against a real server") {
    io_thread io;
    fake_http_server srv;
    srv.set_response_body("hello", "text/plain");
    server::outgoing_request req;
    req.method = "GET";
    req.url = srv.url("/path/x?y=1&z=%20");
    auto res = io.send(req);
    REQUIRE_MESSAGE(res.has_value(), (res ? std::string() : res.err().message));
    CHECK(res->status == 200);
    CHECK(res->body == "hello");
    REQUIRE(srv.request_count() == 1);
    const auto r = srv.requests()[0];
    CHECK(r.method == "GET");
    CHECK(r.target == "/path/x?y=1&z=%20");
    CHECK(r.header("Host") == "127.0.0.1:" + std::to_string(srv.port()));
    CHECK(r.header("User-Agent") == "hotline");
    CHECK(r.body.empty());
}

TEST_CASE("http_client: POST with headers and a body, an error status is a value") {
    io_thread io;
    fake_http_server srv;
    srv.script({503});
    srv.set_response_body(R"({"error":"busy"})");
    server::outgoing_request req;
    req.url = srv.url("/messages");
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", server::basic_authorization("u", "p")}};
    req.body = R"({"a":"ă"})";
    auto res = io.send(req);
    REQUIRE(res.has_value());
    CHECK(res->status == 503);
    CHECK(res->body == R"({"error":"busy"})");
    const auto r = srv.requests().at(0);
    CHECK(r.method == "POST");
    CHECK(r.target == "/messages");
    CHECK(r.body == req.body);
    CHECK(r.header("Content-Length") == std::to_string(req.body.size()));
    CHECK(r.header("Content-Type") == "application/json");
    CHECK(r.header("Authorization") == "Basic dTpw");
}

TEST_CASE("http_client: a URL without a path is sent to /") {
    io_thread io;
    fake_http_server srv;
    server::outgoing_request req;
    req.method = "GET";
    req.url = "http://127.0.0.1:" + std::to_string(srv.port());
    auto res = io.send(req);
    REQUIRE(res.has_value());
    CHECK(srv.requests().at(0).target == "/");
}

TEST_CASE("http_client: a server that never answers: network_error after the timeout") {
    io_thread io;
    fake_http_server srv;
    srv.set_never_answer(true);
    server::outgoing_request req;
    req.url = srv.url("/slow");
    req.body = "x";
    req.timeout = 300ms;
    const auto started = std::chrono::steady_clock::now();
    auto res = io.send(req);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(res.has_value());
    CHECK(res.err().code == "network_error");
    CHECK(res.err().message.find("timed out") != std::string::npos);
    CHECK(took >= 250ms);
    CHECK(took < 5s);
    CHECK(srv.request_count() == 1);
}

TEST_CASE("http_client: nothing listening: network_error") {
    io_thread io;
    server::outgoing_request req;
    req.url = "http://127.0.0.1:" + std::to_string(hotline::test::unused_port()) + "/secret-path?token=abc";
    req.body = "the body";
    auto res = io.send(req);
    REQUIRE_FALSE(res.has_value());
    CHECK(res.err().code == "network_error");
    // Host and port only: the path and the query may hold tokens.
    CHECK(res.err().message.find("secret-path") == std::string::npos);
    CHECK(res.err().message.find("token") == std::string::npos);
    CHECK(res.err().message.find("the body") == std::string::npos);
}

TEST_CASE("http_client: https to a plain HTTP server: network_error") {
    io_thread io;
    fake_http_server srv;
    server::outgoing_request req;
    req.url = "https://127.0.0.1:" + std::to_string(srv.port()) + "/";
    req.timeout = 5s;
    auto res = io.send(req);
    REQUIRE_FALSE(res.has_value());
    CHECK(res.err().code == "network_error");
}

namespace {

// A TLS server context with `cert`, and a client that trusts only `cert`.
struct tls_pair {
    explicit tls_pair(const hotline::test::test_certificate& cert) {
        server.use_certificate_chain(asio::buffer(cert.cert_pem));
        server.use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
        client.add_certificate_authority(asio::buffer(cert.cert_pem));
    }
    asio::ssl::context server{asio::ssl::context::tls_server};
    asio::ssl::context client{asio::ssl::context::tls_client};
};

result<server::incoming_response> send_with(asio::ssl::context& client, server::outgoing_request req) {
    asio::io_context ioc;
    std::optional<result<server::incoming_response>> out;
    asio::co_spawn(
        ioc,
        [](server::outgoing_request r, asio::ssl::context& ctx,
           std::optional<result<server::incoming_response>>& o) -> asio::awaitable<void> {
            auto res = co_await server::send_http(std::move(r), ctx);
            o.emplace(std::move(res));
        }(std::move(req), client, out),
        asio::detached);
    ioc.run();
    REQUIRE(out.has_value());
    return std::move(*out);
}

}  // namespace

TEST_CASE("http_client: https: verified peer, SNI with a host name, none with an address") {
    const auto cert = hotline::test::make_test_certificate("DNS:localhost,IP:127.0.0.1");
    tls_pair tls(cert);
    fake_http_server srv(&tls.server);
    srv.set_response_body("secure");

    server::outgoing_request req;
    req.url = srv.url("/messages", "localhost");
    req.timeout = 5s;
    req.body = "{}";
    auto res = send_with(tls.client, req);
    REQUIRE_MESSAGE(res.has_value(), (res ? std::string() : res.err().message));
    CHECK(res->status == 200);
    CHECK(res->body == "secure");

    req.url = srv.url("/messages", "127.0.0.1");
    res = send_with(tls.client, req);
    REQUIRE_MESSAGE(res.has_value(), (res ? std::string() : res.err().message));

    const auto reqs = srv.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].sni == "localhost");
    CHECK(reqs[0].header("Host") == "localhost:" + std::to_string(srv.port()));
    CHECK(reqs[0].body == "{}");
    CHECK(reqs[1].sni.empty());
}

TEST_CASE("http_client: https: a certificate for another host, or from an unknown authority, is refused") {
    const auto cert = hotline::test::make_test_certificate("DNS:gateway.example");
    tls_pair tls(cert);
    fake_http_server srv(&tls.server);
    server::outgoing_request req;
    req.url = srv.url("/", "localhost");
    req.timeout = 5s;
    auto res = send_with(tls.client, req);
    REQUIRE_FALSE(res.has_value());
    CHECK(res.err().code == "network_error");

    const auto good = hotline::test::make_test_certificate("DNS:localhost,IP:127.0.0.1");
    tls_pair other(good);
    fake_http_server srv2(&other.server);
    asio::ssl::context system{asio::ssl::context::tls_client};
    system.set_default_verify_paths();
    req.url = srv2.url("/", "127.0.0.1");
    res = send_with(system, req);
    REQUIRE_FALSE(res.has_value());
    CHECK(res.err().code == "network_error");
    CHECK(srv.request_count() == 0);
    CHECK(srv2.request_count() == 0);
}

TEST_CASE("http_client: invalid URLs") {
    io_thread io;
    for (const std::string url : {"", "not a url", "/relative/path", "ftp://example.com/x", "mailto:a@b.c",
                                  "http://", "http://user:pass@127.0.0.1/x", "http://127.0.0.1:0/"}) {
        CAPTURE(url);
        server::outgoing_request req;
        req.url = url;
        auto res = io.send(req);
        REQUIRE_FALSE(res.has_value());
        CHECK(res.err().code == "invalid_url");
    }
}

TEST_CASE("http_client: a header with a line break is refused") {
    io_thread io;
    fake_http_server srv;
    server::outgoing_request req;
    req.url = srv.url("/");
    req.headers = {{"X-Test", "a\r\nX-Injected: 1"}};
    auto res = io.send(req);
    REQUIRE_FALSE(res.has_value());
    CHECK(res.err().code == "invalid_request");
    CHECK(srv.request_count() == 0);
}

TEST_CASE("http_client: a response body over 1 MiB is not kept whole") {
    io_thread io;
    fake_http_server srv;
    srv.set_response_body(std::string(2 * 1024 * 1024, 'x'), "text/plain");
    server::outgoing_request req;
    req.method = "GET";
    req.url = srv.url("/big");
    auto res = io.send(req);
    REQUIRE(res.has_value());
    CHECK(res->status == 200);
    CHECK(res->body.size() <= 1024 * 1024);
}

TEST_CASE("http_client: basic_authorization") {
    CHECK(server::basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    CHECK(server::basic_authorization("", "") == "Basic Og==");
    CHECK(server::basic_authorization("sms", "secret") == "Basic c21zOnNlY3JldA==");
}

}  // TEST_SUITE

// ---- provider ids, the other senders, failures that move deadlines -------------------

TEST_SUITE("dispatcher") {

TEST_CASE("dispatcher: twilio_sms: 500 then 201: retried, then sent, Twilio's sid stored as the provider id") {
    world w;
    w.twilio.script({500, 201});
    w.twilio.set_response_body(R"({"sid":"SM00000000000000000000000000000001","status":"queued"})");
    const auto report = w.insert_report();
    const auto id = w.enqueue(report, std::nullopt, "twilio_sms");
    w.start();
    REQUIRE(w.wait_verdicts("retry", 1));
    CHECK(w.scalar("SELECT provider_message_id FROM outbox WHERE id = ?1", static_cast<std::int64_t>(id)).empty());
    w.clk.advance(61s);
    w.disp->notify();
    REQUIRE(w.wait_verdicts("sent", 1));
    CHECK(w.twilio.request_count() == 2);
    CHECK(w.gateway.request_count() == 0);
    CHECK(w.status(id).state == storage::outbox_state::sent);
    CHECK(w.scalar("SELECT provider_message_id FROM outbox WHERE id = ?1", static_cast<std::int64_t>(id)) ==
          "SM00000000000000000000000000000001");
    CHECK(w.events(report, "notified") == 1);
    CHECK(w.deadline_moves.load() == 0);
    // The log names neither the number nor the text, nor Twilio's token.
    const auto log = w.logs.text();
    CHECK(log.find("84912345678") == std::string::npos);
    CHECK(log.find("Da nhan tin bao") == std::string::npos);
}

TEST_CASE("dispatcher: android_sms: the id sent to the gateway is stored as the provider id") {
    world w;
    const auto id = w.enqueue();
    w.start();
    REQUIRE(w.wait_verdicts("sent", 1));
    CHECK(w.scalar("SELECT provider_message_id FROM outbox WHERE id = ?1", static_cast<std::int64_t>(id)) ==
          expected_id(id));
}

TEST_CASE("dispatcher: webhook: 503 then 200: retried with a fresh signature, then sent") {
    world w;
    w.webhooks.script({503, 200});
    const auto id = w.enqueue(std::nullopt, std::nullopt, "webhook", std::nullopt, w.webhooks.url("/dispatch"));
    w.start();
    REQUIRE(w.wait_verdicts("retry", 1));
    w.clk.advance(90s);
    w.disp->notify();
    REQUIRE(w.wait_verdicts("sent", 1));
    const auto reqs = w.webhooks.requests();
    REQUIRE(reqs.size() == 2);
    for (const auto& r : reqs) {
        CHECK(r.target == "/dispatch");
        CHECK(r.header("Idempotency-Key") == std::to_string(id));
        CHECK(server::check_generic_signature("whsec", r.body, *r.header("X-Hotline-Timestamp"),
                                              *r.header("X-Hotline-Signature"), w.clk.now(),
                                              std::chrono::seconds(300)) == server::signature_check::ok);
    }
    // Signed at the time of each send.
    CHECK(reqs[0].header("X-Hotline-Timestamp") != reqs[1].header("X-Hotline-Timestamp"));
    CHECK(w.status(id).state == storage::outbox_state::sent);
}

TEST_CASE("dispatcher: the only notification of an assignment refused for good: deadline now, on_deadline_moved") {
    world w;
    w.twilio.script({400});
    w.twilio.set_response_body(R"({"code":21211,"message":"The 'To' number is not a valid phone number.","status":400})");
    const auto report = w.insert_report();
    const auto assignment = w.insert_assignment(report);
    const auto id = w.enqueue(report, std::nullopt, "twilio_sms", assignment);
    w.start();
    REQUIRE(w.wait_verdicts("failed", 1));
    REQUIRE(w.logs.wait_for("\"deadline_moved\":true", 1));
    CHECK(w.deadline_moves.load() == 1);
    CHECK(w.status(id).state == storage::outbox_state::failed);
    CHECK(w.status(id).last_error.find("21211") != std::string::npos);
    CHECK(w.scalar("SELECT ack_due_at FROM assignments WHERE id = ?1", assignment) ==
          std::to_string(to_unix_ms(w.clk.now())));
    CHECK(w.events(report, "notification_failed") == 1);
}

TEST_CASE("dispatcher: a permanent failure while another notification of the assignment lives moves nothing") {
    world w;
    w.twilio.script({400});
    w.twilio.set_response_body(R"({"code":21614,"status":400})");
    const auto report = w.insert_report();
    const auto assignment = w.insert_assignment(report);
    const auto due_before = w.scalar("SELECT ack_due_at FROM assignments WHERE id = ?1", assignment);
    w.enqueue(report, std::nullopt, "twilio_sms", assignment);
    // The webhook of the same assignment is not due yet: still alive.
    w.enqueue(report, w.clk.now() + 10min, "webhook", assignment, w.webhooks.url("/in"));
    w.start();
    REQUIRE(w.wait_verdicts("failed", 1));
    w.notify_and_settle();
    CHECK(w.deadline_moves.load() == 0);
    CHECK(w.scalar("SELECT ack_due_at FROM assignments WHERE id = ?1", assignment) == due_before);
    CHECK(w.events(report, "notification_failed") == 0);
}

TEST_CASE("dispatcher: a permanent failure of a message that notifies no assignment does not call the hook") {
    world w;
    w.gateway.script({400});
    const auto report = w.insert_report();
    w.enqueue(report);
    w.start();
    REQUIRE(w.wait_verdicts("failed", 1));
    w.notify_and_settle();
    CHECK(w.deadline_moves.load() == 0);
    CHECK(w.logs.count("deadline_moved") == 0);
}

}  // TEST_SUITE
