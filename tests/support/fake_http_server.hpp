#pragma once
// A small real HTTP/1.1 server on 127.0.0.1, port 0, for tests of code that
// calls out (gateways, webhooks). It runs on its own thread, records every
// request (method, target, headers, body) and answers each with the next
// status of a scripted list (then the default status), or never answers at
// all (for timeout tests). Tests wait for requests with wait_for_requests(),
// a bounded condition-variable wait, never with sleeps.
//
// With a server TLS context (e.g. from tests/support/test_certificate.hpp)
// it speaks HTTPS and records the SNI name the client sent.
//
// Header-only (Beast). One request per connection is read; the connection is
// closed after the answer, which is what the project's client does anyway.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hotline::test {

struct recorded_request {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;  // in arrival order, names as sent
    std::string body;
    std::string sni;  // TLS only: the server name the client indicated, empty when none

    // The value of header `name` (case-insensitive), or std::nullopt.
    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [k, v] : headers)
            if (boost::beast::iequals(k, name)) return v;
        return std::nullopt;
    }
};

class fake_http_server {
public:
    // Plain HTTP, or HTTPS with `tls` (a server context that must outlive this object).
    explicit fake_http_server(boost::asio::ssl::context* tls = nullptr) : tls_(tls), acceptor_(ioc_) {
        namespace asio = boost::asio;
        using tcp = asio::ip::tcp;
        const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(ep.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~fake_http_server() {
        // Close everything; run() returns once every session has ended.
        boost::asio::post(ioc_, [this] {
            stopping_ = true;
            boost::beast::error_code ignored;
            acceptor_.close(ignored);
            for (auto* s : open_) s->close(ignored);
        });
        thread_.join();
    }

    fake_http_server(const fake_http_server&) = delete;
    fake_http_server& operator=(const fake_http_server&) = delete;

    std::uint16_t port() const { return port_; }
    // "http://127.0.0.1:<port>" + path (https:// with TLS); `host` may be "localhost".
    std::string url(std::string_view path = "/", std::string_view host = "127.0.0.1") const {
        return std::string(tls_ ? "https://" : "http://") + std::string(host) + ":" + std::to_string(port_) +
               std::string(path);
    }

    // The statuses of the next answers, in order; after them, the default.
    void script(std::vector<int> statuses) {
        std::lock_guard lock(mutex_);
        script_.assign(statuses.begin(), statuses.end());
    }
    void set_default_status(int status) {
        std::lock_guard lock(mutex_);
        default_status_ = status;
    }
    void set_response_body(std::string body, std::string content_type = "application/json") {
        std::lock_guard lock(mutex_);
        response_body_ = std::move(body);
        content_type_ = std::move(content_type);
    }
    // Read requests (they are recorded) but never answer them.
    void set_never_answer(bool on) {
        std::lock_guard lock(mutex_);
        never_answer_ = on;
    }

    std::size_t request_count() const {
        std::lock_guard lock(mutex_);
        return requests_.size();
    }
    std::vector<recorded_request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    // Waits until at least `n` requests were recorded; false after `timeout`.
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
    }

private:
    using tcp = boost::asio::ip::tcp;

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) {
                if (!acceptor_.is_open()) co_return;
                continue;
            }
            boost::asio::co_spawn(ioc_, session(std::move(sock)), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> session(tcp::socket sock) {
        constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
        if (stopping_) co_return;
        open_.insert(&sock);
        struct unregister {
            fake_http_server* self;
            tcp::socket* s;
            ~unregister() { self->open_.erase(s); }
        } guard{this, &sock};
        if (!tls_) {
            std::string no_sni;
            co_await serve(sock, std::move(no_sni));
            co_return;
        }
        boost::asio::ssl::stream<tcp::socket&> stream(sock, *tls_);
        auto [hec] = co_await stream.async_handshake(boost::asio::ssl::stream_base::server, tuple);
        if (hec) co_return;
        const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
        // Named before the co_await: g++ 12 mishandles temporaries (here a
        // conditional) in the operand of co_await.
        std::string sni = name ? name : "";
        co_await serve(stream, std::move(sni));
    }

    template <class Stream>
    boost::asio::awaitable<void> serve(Stream& sock, std::string sni) {
        namespace http = boost::beast::http;
        constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
        boost::beast::flat_buffer buffer;
        http::request_parser<http::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        auto [rec, rn] = co_await http::async_read(sock, buffer, parser, tuple);
        (void)rn;
        if (rec) co_return;
        const auto& req = parser.get();
        recorded_request r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        r.body = req.body();
        r.sni = std::move(sni);

        int status = 0;
        bool silent = false;
        std::string body;
        std::string content_type;
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(std::move(r));
            silent = never_answer_;
            if (!script_.empty()) {
                status = script_.front();
                script_.pop_front();
            } else {
                status = default_status_;
            }
            body = response_body_;
            content_type = content_type_;
        }
        cv_.notify_all();

        if (silent) {
            // Hold the connection until the client gives up (or the server stops).
            char byte = 0;
            for (;;) {
                auto [ec, n] = co_await sock.async_read_some(boost::asio::buffer(&byte, 1), tuple);
                (void)n;
                if (ec) co_return;
            }
        }
        http::response<http::string_body> res{static_cast<http::status>(status), 11};
        res.set(http::field::server, "fake-gateway");
        res.set(http::field::content_type, content_type);
        res.keep_alive(false);
        res.body() = std::move(body);
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(sock, res, tuple);
        (void)wec;
        (void)wn;
        boost::beast::error_code ignored;
        boost::beast::get_lowest_layer(sock).shutdown(tcp::socket::shutdown_both, ignored);
    }

    boost::asio::ssl::context* tls_ = nullptr;
    boost::asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::set<tcp::socket*> open_;  // io thread only
    bool stopping_ = false;        // io thread only
    std::thread thread_;

    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::deque<int> script_;
    int default_status_ = 200;
    std::string response_body_ = "{}";
    std::string content_type_ = "application/json";
    bool never_answer_ = false;
    std::vector<recorded_request> requests_;
};

// A TCP port on 127.0.0.1 where nothing listens (bound, then closed at once).
inline std::uint16_t unused_port() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto port = a.local_endpoint().port();
    a.close();
    return port;
}

}  // namespace hotline::test
