#pragma once
// A small outgoing HTTP/1.1 client for gateways and webhooks: one request per
// connection, http:// and https:// (OpenSSL through Beast, peer and host name
// verified against the system's CA store), a deadline for the whole exchange.
// Runs as a coroutine on the caller's executor; never throws for network
// failures (they are values).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "intake/result.hpp"

namespace hotline::server {

struct outgoing_request {
    std::string method = "POST";
    std::string url;                                          // absolute http:// or https:// URL
    std::vector<std::pair<std::string, std::string>> headers; // extra headers (Content-Type, Authorization, ...)
    std::string body;
    std::chrono::milliseconds timeout{10000};
};

struct incoming_response {
    int status = 0;
    std::string body;  // at most 1 MiB is read
};

// Errors: `invalid_url`, `invalid_request` (a method or header that is not
// valid HTTP), `network_error` (resolve, connect, TLS, timeout, reset), each
// with a message fit for logs: it names host and port, never the path, the
// query or the request body. Any HTTP status is a success value, not an
// error. Of a response body over 1 MiB at most the first 1 MiB is kept (none
// when Content-Length announced more). Redirects are not followed;
// credentials in the URL are refused (use the headers).
boost::asio::awaitable<result<incoming_response>> send_http(outgoing_request req,
                                                           boost::asio::ssl::context& tls);

// "Basic " + base64(user:password)
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace hotline::server
