#include "server/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <vector>

namespace hotline::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t max_response_body = 1024 * 1024;
constexpr std::uint32_t max_response_header = 64 * 1024;

using clock_type = std::chrono::steady_clock;

struct target {
    bool tls = false;
    std::string host;          // name or address, without IPv6 brackets
    bool host_is_address = false;
    std::string port;
    std::string host_header;   // as written in the URL: brackets and an explicit port kept
    std::string path;          // origin-form: path and query, never empty
    std::string where;         // "host:port" for messages (no path: it may hold tokens)
};

result<target> parse_target(const std::string& url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) return make_error("invalid_url", "the URL is not an absolute URI");
    const auto& u = *parsed;
    target t;
    const std::string scheme(u.scheme());
    if (u.scheme_id() == boost::urls::scheme::https)
        t.tls = true;
    else if (u.scheme_id() != boost::urls::scheme::http)
        return make_error("invalid_url", "the URL scheme must be http or https, not '" + scheme + "'");
    switch (u.host_type()) {
        case boost::urls::host_type::name:
        case boost::urls::host_type::ipv4:
        case boost::urls::host_type::ipv6:
            break;
        default:
            return make_error("invalid_url", "the URL has no usable host");
    }
    t.host = u.host_address();
    if (t.host.empty()) return make_error("invalid_url", "the URL has an empty host");
    t.host_is_address = u.host_type() != boost::urls::host_type::name;
    if (u.has_userinfo()) return make_error("invalid_url", "credentials in the URL are not supported; use headers");
    if (u.has_port()) {
        if (u.port_number() == 0) return make_error("invalid_url", "the URL has an invalid port");
        t.port = std::to_string(u.port_number());
    } else {
        t.port = t.tls ? "443" : "80";
    }
    t.host_header = std::string(u.encoded_host_and_port());
    t.path = std::string(u.encoded_path());
    if (t.path.empty()) t.path = "/";
    if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
    t.where = (u.host_type() == boost::urls::host_type::ipv6 ? "[" + t.host + "]" : t.host) + ":" + t.port;
    return t;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos)
            return false;
    }
    return true;
}

bool is_field_value(std::string_view s) {
    for (const char c : s)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

error network(const target& t, std::string_view what, const beast::error_code& ec) {
    if (ec == beast::error::timeout || ec == asio::error::timed_out)
        return make_error("network_error", fmt::format("{} {}: timed out", what, t.where));
    return make_error("network_error", fmt::format("{} {} failed: {}", what, t.where, ec.message()));
}

error timed_out(const target& t, std::string_view what) {
    return make_error("network_error", fmt::format("{} {}: timed out", what, t.where));
}

// Resolves with a real deadline: the lookup keeps running in the background
// when the deadline passes first (the system resolver cannot be interrupted),
// but this coroutine goes on at once.
awaitable<result<std::vector<tcp::endpoint>>> resolve(const target& t, clock_type::time_point deadline) {
    auto ex = co_await asio::this_coro::executor;
    if (t.host_is_address) {
        beast::error_code ec;
        const auto addr = asio::ip::make_address(t.host, ec);
        if (ec) co_return make_error("invalid_url", "the URL host is not a valid address");
        const auto port = static_cast<unsigned short>(std::stoul(t.port));
        co_return std::vector<tcp::endpoint>{tcp::endpoint(addr, port)};
    }
    struct state {
        explicit state(const asio::any_io_executor& e) : resolver(e), wake(e) {}
        tcp::resolver resolver;
        asio::steady_timer wake;
        std::optional<std::pair<beast::error_code, tcp::resolver::results_type>> out;
    };
    auto st = std::make_shared<state>(ex);
    st->wake.expires_at(deadline);
    st->resolver.async_resolve(t.host, t.port,
                               [st](const beast::error_code& ec, tcp::resolver::results_type r) {
                                   st->out.emplace(ec, std::move(r));
                                   st->wake.cancel();
                               });
    auto [wec] = co_await st->wake.async_wait(as_tuple_awaitable);
    (void)wec;
    if (!st->out) {
        st->resolver.cancel();
        co_return timed_out(t, "resolving");
    }
    if (st->out->first) co_return network(t, "resolving", st->out->first);
    std::vector<tcp::endpoint> eps;
    for (const auto& entry : st->out->second) eps.push_back(entry.endpoint());
    if (eps.empty()) co_return make_error("network_error", fmt::format("resolving {} gave no address", t.where));
    co_return eps;
}

template <class Stream>
awaitable<result<incoming_response>> exchange(Stream& stream, const target& t,
                                              const http::request<http::string_body>& req,
                                              clock_type::time_point deadline) {
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_at(deadline);
    auto [wec, wn] = co_await http::async_write(stream, req, as_tuple_awaitable);
    (void)wn;
    if (wec) co_return network(t, "sending the request to", wec);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(max_response_header);
    parser.body_limit(max_response_body);
    if (req.method() == http::verb::head) parser.skip(true);
    lowest.expires_at(deadline);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, as_tuple_awaitable);
    (void)rn;
    if (rec) {
        // A body over the limit still gives the status: at most 1 MiB of the
        // body is kept.
        if (rec == http::error::body_limit && parser.is_header_done()) {
            incoming_response out;
            out.status = static_cast<int>(parser.get().result_int());
            out.body = std::move(parser.get().body());
            if (out.body.size() > max_response_body) out.body.resize(max_response_body);
            co_return out;
        }
        co_return network(t, "reading the response from", rec);
    }
    incoming_response out;
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    co_return out;
}

}  // namespace

awaitable<result<incoming_response>> send_http(outgoing_request in, ssl::context& tls) {
    const auto deadline = clock_type::now() + in.timeout;
    auto parsed = parse_target(in.url);
    if (!parsed) co_return std::move(parsed).err();
    const target t = std::move(*parsed);

    http::request<http::string_body> req;
    if (const auto verb = http::string_to_verb(in.method); verb != http::verb::unknown)
        req.method(verb);
    else if (is_token(in.method))
        req.method_string(in.method);
    else
        co_return make_error("invalid_request", "the request method is not a valid HTTP token");
    req.target(t.path);
    req.version(11);
    req.set(http::field::host, t.host_header);
    req.set(http::field::user_agent, "hotline");
    for (const auto& [name, value] : in.headers) {
        if (!is_token(name) || !is_field_value(value))
            co_return make_error("invalid_request", "a request header has an invalid name or value");
        req.set(name, value);
    }
    req.keep_alive(false);  // one request per connection
    req.body() = std::move(in.body);
    req.prepare_payload();

    auto endpoints = co_await resolve(t, deadline);
    if (!endpoints) co_return std::move(endpoints).err();
    if (clock_type::now() >= deadline) co_return timed_out(t, "connecting to");

    auto ex = co_await asio::this_coro::executor;
    if (!t.tls) {
        beast::tcp_stream stream(ex);
        stream.expires_at(deadline);
        auto [cec, ep] = co_await stream.async_connect(*endpoints, as_tuple_awaitable);
        (void)ep;
        if (cec) co_return network(t, "connecting to", cec);
        auto out = co_await exchange(stream, t, req, deadline);
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return out;
    }

    beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
    // SNI carries host names only (RFC 6066), never an address literal.
    if (!t.host_is_address && !SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str()))
        co_return make_error("network_error", fmt::format("setting up TLS for {} failed", t.where));
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(t.host));

    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_at(deadline);
    auto [cec, ep] = co_await lowest.async_connect(*endpoints, as_tuple_awaitable);
    (void)ep;
    if (cec) co_return network(t, "connecting to", cec);
    lowest.expires_at(deadline);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, as_tuple_awaitable);
    if (hec) co_return network(t, "TLS handshake with", hec);
    auto out = co_await exchange(stream, t, req, deadline);
    // The whole response is read: no close_notify exchange is needed (and
    // many servers never answer one), so the connection is simply closed.
    beast::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return out;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
    std::string plain;
    plain.reserve(user.size() + 1 + password.size());
    plain.append(user).append(1, ':').append(password);
    std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                  reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
    encoded.resize(static_cast<std::size_t>(n));
    return "Basic " + encoded;
}

}  // namespace hotline::server
