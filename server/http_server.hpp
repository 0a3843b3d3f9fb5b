#pragma once
// The HTTP/1.1 server: accepts TCP connections and runs one coroutine session
// per connection on its own strand.
//
// Per connection: keep-alive; up to `pipeline_limit` requests read ahead and
// handled concurrently, answered strictly in order; request header limit and
// body limit (413/431 and close when exceeded); an idle timeout while waiting
// for the next request, a read timeout for a request once its first byte
// arrived, a write timeout for each response; `Expect: 100-continue` honoured.
// A request the parser refuses gets a 400 and the connection is closed after
// its answer has been flushed.
//
// Graceful shutdown: `shutdown()` closes the acceptor, stops reading on every
// connection, lets every request already read finish and flushes its answer
// (sent with `Connection: close`), then closes. `on_drained` is called once
// when the last connection has ended after shutdown.
//
// Thread-safety: construct, listen and start on one thread before running the
// io_context; shutdown() may be called from any thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "intake/result.hpp"
#include "server/config.hpp"
#include "server/log.hpp"

namespace hotline::server {

namespace detail {
struct http_state;
}

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// What a handler knows about the request beyond its bytes.
struct request_context {
    std::uint64_t request_id = 0;
    std::string client_address;  // peer address, or X-Forwarded-For when trusted
    std::string route;           // set by the handler: the route pattern for the access log
};

// Handles one request. Runs on the connection's strand; may co_await. Must
// not throw for expected failures (bad input is a response); an exception
// is answered with 500 and logged.
using handler = std::function<boost::asio::awaitable<response>(request&, request_context&)>;

class http_server {
public:
    http_server(boost::asio::io_context& ioc, const config& cfg, logger& log, handler h);
    ~http_server();

    // Binds and listens on cfg.listen_address:cfg.listen_port.
    result<void> listen();
    // The bound port (useful with port 0). Valid after listen().
    std::uint16_t port() const noexcept;
    // Starts accepting. Call after listen().
    void start();
    // Graceful stop, see above. Idempotent.
    void shutdown();
    void on_drained(std::function<void()> f);

    std::size_t connections() const noexcept;

private:
    std::shared_ptr<detail::http_state> state_;
};

}  // namespace hotline::server
