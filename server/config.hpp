#pragma once
// Server configuration: a plain struct with documented defaults, built once in
// main and passed by reference. The defaults serve with no file at all
// (embedded SQLite under ./var/). The file is TOML; deploy/hotline.example.toml
// documents every key. An unknown key, a wrong type or an out-of-range value
// is an error that names the key.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "intake/result.hpp"

namespace hotline::server {

enum class log_level { debug, info, warn, error };

struct config {
    // [server]
    std::string listen_address = "127.0.0.1";
    std::uint16_t listen_port = 8080;            // 0: any free port (tests)
    int threads = 2;                             // I/O threads
    std::string public_base_url = "http://127.0.0.1:8080";  // links in pages and replies
    bool trust_forwarded_for = false;            // client address from X-Forwarded-For (behind a proxy)

    // [limits]
    std::size_t header_limit = 8 * 1024;         // bytes of request line + headers
    std::size_t body_limit = 64 * 1024;          // bytes of request body
    std::size_t pipeline_limit = 8;              // requests read ahead on one connection
    std::size_t max_connections = 4096;          // further connections are closed at accept
    std::chrono::seconds read_timeout{15};       // to receive a whole request once it started
    std::chrono::seconds idle_timeout{60};       // keep-alive connection with no request
    std::chrono::seconds write_timeout{15};      // to send a response
    std::chrono::seconds shutdown_timeout{10};   // graceful stop, then forced
    int reports_per_minute = 30;                 // per client address, 0 = unlimited
    int status_failures_per_hour = 20;           // failed status look-ups per address, 0 = unlimited

    // [storage]
    std::string db_path = "var/hotline.db";
    int read_connections = 2;
    std::size_t max_batch = 256;                 // writes per group commit
    std::string key_file = "var/server.key";     // 32 random bytes, created on first start

    // [log]
    log_level level = log_level::info;
};

// Loads `path` over the defaults. Errors: code `config_error`, field = the
// dotted key ("limits.body_bytes"), message says what is wrong (or the file
// and line of a TOML syntax error).
result<config> load_config(const std::string& path);

// Parses "ADDR:PORT" ("127.0.0.1:8080", "[::1]:0") into the config.
result<void> apply_listen(config& c, std::string_view addr_port);

std::string_view to_string(log_level l) noexcept;

}  // namespace hotline::server
