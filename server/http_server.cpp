#include "server/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <array>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "server/responses.hpp"

namespace hotline::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto as_tuple_awaitable = asio::as_tuple(use_awaitable);

namespace {

// One response slot per request read, in arrival order; the writer sends
// them in that order once each is filled.
struct slot {
    std::optional<response> res;
    bool close_after = false;
};

// A wake-up signal between coroutines of one strand: a timer that never
// expires by itself and is cancelled to wake its waiter. Waiters re-check
// their condition in a loop, so a notify with nobody waiting is harmless.
class signal {
public:
    explicit signal(const asio::any_io_executor& ex) : timer_(ex) {}
    awaitable<void> wait() {
        timer_.expires_at(asio::steady_timer::time_point::max());
        co_await timer_.async_wait(as_tuple_awaitable);
    }
    void notify() { timer_.cancel(); }

private:
    asio::steady_timer timer_;
};

// Feeds the bytes already in `buffer` to `p`, as Beast's read operations do
// before they read, until the header (or with `whole_message`, the whole
// request) is parsed. Returns http::error::need_more when more bytes must be
// read first, or the parser's error.
beast::error_code parse_buffered(http::request_parser<http::string_body>& p, beast::flat_buffer& buffer,
                                 bool whole_message) {
    p.eager(whole_message);
    beast::error_code ec;
    while (!(whole_message ? p.is_done() : p.is_header_done())) {
        if (buffer.size() == 0) return http::error::need_more;
        const std::size_t used = p.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec) return ec;
        if (used == 0) return http::error::need_more;
    }
    return {};
}

// The status line and header fields of `res` as Beast's serializer writes
// them: "HTTP/X.Y ### reason", then each field as stored, in order.
std::string header_bytes(const response& res) {
    const unsigned version = res.version();
    const unsigned code = res.result_int();
    const auto reason = res.reason();
    std::size_t size = 13 + reason.size() + 2 + 2;
    for (const auto& f : res) size += f.name_string().size() + 2 + f.value().size() + 2;
    std::string h;
    h.reserve(size);
    h += "HTTP/";
    h += static_cast<char>('0' + version / 10);
    h += '.';
    h += static_cast<char>('0' + version % 10);
    h += ' ';
    h += static_cast<char>('0' + code / 100);
    h += static_cast<char>('0' + (code / 10) % 10);
    h += static_cast<char>('0' + code % 10);
    h += ' ';
    h.append(reason.data(), reason.size());
    h += "\r\n";
    for (const auto& f : res) {
        const auto name = f.name_string();
        const auto value = f.value();
        h.append(name.data(), name.size());
        h += ": ";
        h.append(value.data(), value.size());
        h += "\r\n";
    }
    h += "\r\n";
    return h;
}

}  // namespace

struct session;

struct detail::http_state : std::enable_shared_from_this<http_state> {
    http_state(asio::io_context& i, const config& c, logger& l, handler hd)
        : ioc(i), cfg(c), log(l), h(std::move(hd)), acceptor(asio::make_strand(i)) {}

    asio::io_context& ioc;
    const config& cfg;
    logger& log;
    handler h;
    tcp::acceptor acceptor;
    std::uint16_t port = 0;

    std::atomic<bool> stopping{false};
    std::atomic<std::uint64_t> next_request_id{1};
    std::atomic<std::size_t> active{0};

    std::mutex mutex;  // guards sessions, drained, drained_called
    std::uint64_t next_session_id = 1;
    std::unordered_map<std::uint64_t, std::weak_ptr<session>> sessions;
    std::function<void()> drained;
    bool drained_called = false;

    awaitable<void> accept_loop();
    void session_ended(std::uint64_t id);
    void maybe_drained();
};

struct session : std::enable_shared_from_this<session> {
    session(tcp::socket sock, std::shared_ptr<detail::http_state> st, std::uint64_t id, std::string peer_address)
        : stream(std::move(sock)),
          server(std::move(st)),
          session_id(id),
          peer(std::move(peer_address)),
          reader_wake(stream.get_executor()),
          writer_wake(stream.get_executor()) {}

    ~session() { server->session_ended(session_id); }

    beast::tcp_stream stream;
    std::shared_ptr<detail::http_state> server;
    std::uint64_t session_id;
    std::string peer;
    beast::flat_buffer buffer;
    std::deque<std::shared_ptr<slot>> queue;
    signal reader_wake;
    signal writer_wake;
    bool reading_done = false;
    bool stopping = false;
    bool writer_failed = false;

    const config& cfg() const { return server->cfg; }

    // On the strand: stop taking requests. A pending read ends with EOF
    // (shutdown of the receive side), writes already started continue.
    void stop() {
        stopping = true;
        if (!reading_done) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_receive, ignored);
        }
        reader_wake.notify();
    }

    void queue_error(http::status status, std::string_view message, unsigned version) {
        auto sl = std::make_shared<slot>();
        response res = error_response(status, error_code_for(status), std::string(message));
        res.version(version);
        res.keep_alive(false);
        res.prepare_payload();
        sl->res = std::move(res);
        sl->close_after = true;
        queue.push_back(std::move(sl));
        writer_wake.notify();
    }

    awaitable<void> read_loop();
    awaitable<void> write_loop();
    awaitable<void> handle(std::shared_ptr<slot> sl, request req);
    awaitable<void> close_gracefully();
};

awaitable<void> session::read_loop() {
    auto self = shared_from_this();
    for (;;) {
        while (queue.size() >= cfg().pipeline_limit && !stopping && !writer_failed) co_await reader_wake.wait();
        if (stopping || writer_failed) break;

        // Waiting for the first byte of the next request is the idle phase;
        // once it arrived, the whole request must come within read_timeout.
        if (buffer.size() == 0) {
            stream.expires_after(cfg().idle_timeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), as_tuple_awaitable);
            if (ec) break;  // closed by the peer, idle timeout, or shutdown
            buffer.commit(n);
        }

        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(cfg().header_limit));
        parser.body_limit(cfg().body_limit);
        // What has arrived is parsed here; only a request still incomplete
        // goes through Beast's asynchronous reads, which also complete by a
        // post through the strand when they find everything buffered.
        bool deadline_set = false;  // the read_timeout of this request runs
        beast::error_code hec = parse_buffered(parser, buffer, false);
        if (hec == http::error::need_more) {
            stream.expires_after(cfg().read_timeout);
            deadline_set = true;
            auto [rec, rn] = co_await http::async_read_header(stream, buffer, parser, as_tuple_awaitable);
            (void)rn;
            hec = rec;
        }
        if (!hec && !parser.is_done() && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
            // The interim answer must not interleave with a response being
            // written: wait until everything before it has been sent.
            while (!queue.empty() && !writer_failed) co_await reader_wake.wait();
            if (writer_failed) break;
            http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
            stream.expires_after(cfg().write_timeout);
            auto [wec, wn] = co_await http::async_write(stream, cont, as_tuple_awaitable);
            (void)wn;
            if (wec) break;
            stream.expires_after(cfg().read_timeout);
            deadline_set = true;
        }
        beast::error_code ec = hec;
        if (!ec) ec = parse_buffered(parser, buffer, true);
        if (ec == http::error::need_more) {
            if (!deadline_set) stream.expires_after(cfg().read_timeout);
            auto [bec, bn] = co_await http::async_read(stream, buffer, parser, as_tuple_awaitable);
            (void)bn;
            ec = bec;
        }
        if (ec) {
            const unsigned version = parser.is_header_done() ? parser.get().version() : 11;
            if (ec == http::error::body_limit)
                queue_error(http::status::payload_too_large,
                            fmt::format("request body exceeds the limit of {} bytes", cfg().body_limit), version);
            else if (ec == http::error::header_limit)
                queue_error(http::status::request_header_fields_too_large,
                            fmt::format("request header exceeds the limit of {} bytes", cfg().header_limit), version);
            else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
                     ec != http::error::end_of_stream && ec != http::error::partial_message)
                queue_error(http::status::bad_request, fmt::format("malformed HTTP request: {}", ec.message()),
                            version);
            // Anything else (EOF, timeout, reset, shutdown) just ends the connection.
            break;
        }

        request req = parser.release();
        const bool keep_alive = req.keep_alive();
        auto sl = std::make_shared<slot>();
        queue.push_back(sl);
        asio::co_spawn(stream.get_executor(), handle(sl, std::move(req)), asio::detached);
        if (!keep_alive) break;
    }
    reading_done = true;
    writer_wake.notify();
}

awaitable<void> session::handle(std::shared_ptr<slot> sl, request req) {
    auto self = shared_from_this();
    request_context ctx;
    ctx.request_id = server->next_request_id.fetch_add(1);
    ctx.client_address = peer;
    if (cfg().trust_forwarded_for) {
        const auto xff = req["X-Forwarded-For"];
        if (!xff.empty()) {
            // The proxy appends the address it saw last; that is the one it vouches for.
            const auto comma = xff.rfind(',');
            std::string_view last = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
            while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
            while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
            if (!last.empty()) ctx.client_address = std::string(last);
        }
    }
    const auto started = std::chrono::steady_clock::now();
    const bool is_head = req.method() == http::verb::head;
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    const bool log_request = server->log.enabled(log_level::info);
    std::string method;
    if (log_request) method = std::string(req.method_string());

    response res;
    try {
        res = co_await server->h(req, ctx);
    } catch (const std::exception& e) {
        server->log.error("handler_exception", {{"request_id", ctx.request_id}, {"route", ctx.route},
                                                {"what", e.what()}});
        res = error_response(http::status::internal_server_error, "internal_error",
                             "the server failed to handle this request; please try again");
    }
    res.version(version);
    res.keep_alive(keep_alive && !stopping && !server->stopping);
    res.prepare_payload();
    if (is_head) res.body().clear();  // Content-Length stays that of the GET answer

    // The fields are built only when the line is written: above level info
    // a request costs no allocations for its log line.
    if (log_request) {
        const auto micros =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
        server->log.info("request", {{"request_id", ctx.request_id},
                                     {"method", method},
                                     {"route", ctx.route.empty() ? std::string("-") : ctx.route},
                                     {"status", res.result_int()},
                                     {"latency_us", micros}});
    }
    sl->close_after = !res.keep_alive();
    sl->res = std::move(res);
    writer_wake.notify();
}

awaitable<void> session::write_loop() {
    auto self = shared_from_this();
    for (;;) {
        while (queue.empty() || !queue.front()->res) {
            if (queue.empty() && reading_done) break;
            co_await writer_wake.wait();
        }
        if (queue.empty()) break;
        auto sl = queue.front();
        stream.expires_after(cfg().write_timeout);
        beast::error_code ec;
        if (!sl->res->chunked()) {
            // The bytes Beast's serializer would produce, in one gathered
            // write: its buffer-sequence machinery costs more CPU than the
            // rest of a small answer's way out.
            const std::string head = header_bytes(*sl->res);
            const std::array<asio::const_buffer, 2> bytes{asio::buffer(head), asio::buffer(sl->res->body())};
            auto [wec, n] = co_await asio::async_write(stream, bytes, as_tuple_awaitable);
            (void)n;
            ec = wec;
        } else {
            auto [wec, n] = co_await http::async_write(stream, *sl->res, as_tuple_awaitable);
            (void)n;
            ec = wec;
        }
        queue.pop_front();
        reader_wake.notify();
        if (ec) {
            // The peer is gone or too slow: drop the connection, and wake a
            // reader that waits for room in the pipeline so it sees this.
            writer_failed = true;
            beast::error_code ignored;
            stream.socket().close(ignored);
            reader_wake.notify();
            co_return;
        }
        if (sl->close_after) break;
    }
    co_await close_gracefully();
}

// Lingering close: stop the reader, half-close our side so the peer sees the
// end of the last answer, then read and drop whatever the peer still sends
// for a moment. Closing at once with unread data would make the kernel send
// a reset that can destroy an answer (a 413, say) before the peer read it.
awaitable<void> session::close_gracefully() {
    if (!reading_done) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_receive, ignored);
        while (!reading_done) co_await writer_wake.wait();
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!ec) {
        stream.expires_after(std::chrono::seconds(2));
        std::size_t drained = 0;
        char scratch[4096];
        while (drained < 1024 * 1024) {
            auto [rec, n] = co_await stream.async_read_some(asio::buffer(scratch), as_tuple_awaitable);
            if (rec) break;
            drained += n;
        }
    }
    stream.socket().close(ec);
}

awaitable<void> detail::http_state::accept_loop() {
    auto self = shared_from_this();
    asio::steady_timer backoff(acceptor.get_executor());
    for (;;) {
        auto [ec, sock] = co_await acceptor.async_accept(asio::make_strand(ioc), as_tuple_awaitable);
        if (stopping) break;
        if (ec) {
            if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
            // Out of file descriptors and the like: wait a little rather than spin.
            log.warn("accept_failed", {{"error", ec.message()}});
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(as_tuple_awaitable);
            continue;
        }
        if (active.load() >= cfg.max_connections) {
            beast::error_code ignored;
            sock.close(ignored);
            continue;
        }
        beast::error_code pec;
        const auto remote = sock.remote_endpoint(pec);
        std::string peer = pec ? std::string("unknown") : remote.address().to_string();
        active.fetch_add(1);
        std::shared_ptr<session> s;
        {
            std::lock_guard lock(mutex);
            const auto id = next_session_id++;
            s = std::make_shared<session>(std::move(sock), shared_from_this(), id, std::move(peer));
            sessions.emplace(id, s);
        }
        auto ex = s->stream.get_executor();
        asio::co_spawn(ex, s->write_loop(), asio::detached);
        asio::co_spawn(ex, s->read_loop(), asio::detached);
    }
}

void detail::http_state::session_ended(std::uint64_t id) {
    {
        std::lock_guard lock(mutex);
        sessions.erase(id);
    }
    active.fetch_sub(1);
    maybe_drained();
}

void detail::http_state::maybe_drained() {
    std::function<void()> f;
    {
        std::lock_guard lock(mutex);
        if (!stopping || active.load() != 0 || drained_called || !drained) return;
        drained_called = true;
        f = drained;
    }
    f();
}

http_server::http_server(asio::io_context& ioc, const config& cfg, logger& log, handler h)
    : state_(std::make_shared<detail::http_state>(ioc, cfg, log, std::move(h))) {}

http_server::~http_server() = default;

result<void> http_server::listen() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(state_->cfg.listen_address, ec);
    if (ec)
        return make_error("listen_failed", fmt::format("invalid listen address \"{}\"", state_->cfg.listen_address),
                          "server.listen");
    const tcp::endpoint ep(address, state_->cfg.listen_port);
    auto& a = state_->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return make_error("listen_failed",
                          fmt::format("cannot listen on {}:{}: {}", state_->cfg.listen_address,
                                      state_->cfg.listen_port, ec.message()),
                          "server.listen");
    state_->port = a.local_endpoint().port();
    return {};
}

std::uint16_t http_server::port() const noexcept { return state_->port; }

void http_server::start() {
    asio::co_spawn(state_->acceptor.get_executor(), state_->accept_loop(), asio::detached);
}

void http_server::on_drained(std::function<void()> f) {
    {
        std::lock_guard lock(state_->mutex);
        state_->drained = std::move(f);
    }
    state_->maybe_drained();
}

void http_server::shutdown() {
    if (state_->stopping.exchange(true)) return;
    auto st = state_;
    asio::post(st->acceptor.get_executor(), [st] {
        beast::error_code ignored;
        st->acceptor.close(ignored);
    });
    std::vector<std::shared_ptr<session>> live;
    {
        std::lock_guard lock(st->mutex);
        for (auto& [id, w] : st->sessions)
            if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) asio::post(s->stream.get_executor(), [s] { s->stop(); });
    st->maybe_drained();
}

std::size_t http_server::connections() const noexcept { return state_->active.load(); }

}  // namespace hotline::server
