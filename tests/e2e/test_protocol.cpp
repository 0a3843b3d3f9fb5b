// Connection-level behaviour: timeouts, Expect: 100-continue, connection
// limits. The server's network timeouts are real time, so these tests set
// them to one second and block on a read until the server acts; nothing
// sleeps.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <sys/socket.h>

using namespace hotline::e2e;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

tcp::socket connect(asio::io_context& ioc, unsigned short port) {
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
}

// Reads until the server closes the connection; returns what arrived and how long it took.
std::pair<std::string, std::chrono::milliseconds> read_until_closed(tcp::socket& s) {
    const auto start = std::chrono::steady_clock::now();
    std::string all;
    char buf[4096];
    for (;;) {
        boost::system::error_code ec;
        const auto n = s.read_some(asio::buffer(buf), ec);
        all.append(buf, n);
        if (ec) break;
    }
    return {all, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

const std::string short_timeouts = "[limits]\nidle_timeout_s = 1\nread_timeout_s = 1\n";

}  // namespace

TEST_CASE("an idle keep-alive connection is closed after idle_timeout") {
    temp_dir dir;
    server_process srv(dir.path(), short_timeouts);
    asio::io_context ioc;
    auto s = connect(ioc, srv.port());
    const auto [data, took] = read_until_closed(s);
    CHECK(data.empty());
    CHECK(took >= std::chrono::milliseconds(900));
    CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("a request that trickles in is cut off after read_timeout") {
    temp_dir dir;
    server_process srv(dir.path(), short_timeouts);
    asio::io_context ioc;
    auto s = connect(ioc, srv.port());
    // Half a request, then nothing: the slow-loris pattern.
    asio::write(s, asio::buffer(std::string("POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Le")));
    const auto [data, took] = read_until_closed(s);
    CHECK(data.empty());
    CHECK(took < std::chrono::seconds(5));
    // The server is still serving.
    http_client c(srv.port());
    CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("Expect: 100-continue gets the interim answer before the body is sent") {
    temp_dir dir;
    server_process srv(dir.path());
    asio::io_context ioc;
    auto s = connect(ioc, srv.port());
    const std::string body = R"({"text":"bé gái bị người lạ dụ dỗ đi theo"})";
    asio::write(s, asio::buffer("POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Expect: 100-continue\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n"));
    std::string got;
    asio::read_until(s, asio::dynamic_buffer(got), "\r\n\r\n");
    CHECK(got.starts_with("HTTP/1.1 100 Continue"));
    asio::write(s, asio::buffer(body));
    got.erase(0, got.find("\r\n\r\n") + 4);
    asio::read_until(s, asio::dynamic_buffer(got), "\r\n\r\n");
    CHECK(got.starts_with("HTTP/1.1 201"));
}

TEST_CASE("an oversized body announced by Content-Length is refused before it is read") {
    temp_dir dir;
    server_process srv(dir.path());
    asio::io_context ioc;
    auto s = connect(ioc, srv.port());
    asio::write(s, asio::buffer(std::string("POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                            "application/json\r\nContent-Length: 10000000\r\n\r\n")));
    const auto [data, took] = read_until_closed(s);
    CHECK(data.starts_with("HTTP/1.1 413"));
    CHECK(data.find("Connection: close") != std::string::npos);
    CHECK(data.find("payload_too_large") != std::string::npos);
}

TEST_CASE("connections over max_connections are closed at once") {
    temp_dir dir;
    server_process srv(dir.path(), "[limits]\nmax_connections = 2\n");
    http_client a(srv.port());
    http_client b(srv.port());
    REQUIRE(a.get("/healthz").status == 200);
    REQUIRE(b.get("/healthz").status == 200);
    asio::io_context ioc;
    auto third = connect(ioc, srv.port());
    boost::system::error_code ignored;  // the server may have closed it before this write
    asio::write(third, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), ignored);
    const auto [data, took] = read_until_closed(third);
    CHECK(data.empty());
    // The first two are still served.
    CHECK(a.get("/healthz").status == 200);
}
