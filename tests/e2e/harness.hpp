#pragma once
// End-to-end test harness: runs the real `hotline` binary on port 0 in a
// temporary directory and talks to it over real HTTP/1.1.
//
// server_process: writes a config (plus any extra TOML the test gives),
// spawns `hotline serve`, waits for its port file, and stops it on
// destruction (SIGTERM, then SIGKILL if it does not exit in time). The
// server's stderr (its JSON log) goes to a file the test can read.
//
// http_client: one keep-alive connection with a receive timeout, so a test
// fails instead of hanging.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/object.hpp>

#include <filesystem>

#include "tests/support/temp_dir.hpp"
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace hotline::e2e {

namespace fs = std::filesystem;

using hotline::test::temp_dir;

class server_process {
public:
    // `extra_toml` is appended to the generated config (sections allowed
    // except [storage], which the harness writes itself).
    explicit server_process(const fs::path& dir, const std::string& extra_toml = "");
    // The same with more flags for `hotline serve` after the harness's own,
    // e.g. {"--clock-start", "2026-12-02T09:00:00+07:00"}. Each start in the
    // same directory appends to the same log file.
    server_process(const fs::path& dir, const std::string& extra_toml, const std::vector<std::string>& extra_args);
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    unsigned short port() const { return port_; }
    pid_t pid() const { return pid_; }
    const fs::path& db_path() const { return db_; }

    // Sends `sig` and waits up to `timeout_ms` for the exit. Returns the exit
    // code, 128 + signal number when killed by a signal, or -1 on timeout.
    int stop(int sig, int timeout_ms = 15000);
    bool running() const { return pid_ > 0; }

    // Everything the server wrote to stderr so far.
    std::string log() const;

private:
    fs::path dir_;
    fs::path db_;
    fs::path log_;
    pid_t pid_ = -1;
    unsigned short port_ = 0;
};

struct reply {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    bool keep_alive = true;

    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

class http_client {
public:
    explicit http_client(unsigned short port);
    reply request(boost::beast::http::verb method, const std::string& target, const std::string& body = "",
                  const header_list& headers = {});
    reply get(const std::string& target, const header_list& headers = {}) {
        return request(boost::beast::http::verb::get, target, "", headers);
    }
    reply post_json(const std::string& target, const std::string& body, header_list headers = {});
    reply post_form(const std::string& target, const std::string& body, header_list headers = {});
    // Sends raw bytes and reads one response (for requests a normal client cannot make).
    reply raw(const std::string& bytes);
    // How many TCP connections this client opened so far.
    int connections_opened() const { return opened_; }

private:
    void ensure_connected();
    reply read_reply();
    unsigned short port_;
    boost::asio::io_context ioc_;
    std::optional<boost::asio::ip::tcp::socket> socket_;
    boost::beast::flat_buffer buffer_;
    int opened_ = 0;
};

// A browser: keeps the session cookie between requests.
struct browser {
    http_client client;
    std::string cookie;  // "name=value" of the last Set-Cookie; empty before one

    explicit browser(unsigned short port) : client(port) {}

    // GET a page the way a browser does, sending and keeping the cookie.
    reply get(const std::string& target);
    // POST a form (application/x-www-form-urlencoded) the same way.
    reply post(const std::string& target, const std::vector<std::pair<std::string, std::string>>& fields);
};

// What one run of the `hotline` command line gave.
struct cli_result {
    int exit_code = -1;  // -1 when it did not exit normally
    std::string out;     // stdout
    std::string err;     // stderr
};

// Runs `hotline ARGS` (split as the shell splits them) to its end, `input`
// on its stdin, stdout and stderr kept apart in files under `dir`.
cli_result run_cli(const temp_dir& dir, const std::string& args, const std::string& input = "");

// The rows of `sql` on the database file, opened read-only, with `params`
// bound as text to ?1, ?2, ...; each row's columns joined by "|", NULL as
// "-". Throws std::runtime_error on an SQL error.
std::vector<std::string> db_rows(const fs::path& db, const std::string& sql,
                                 const std::vector<std::string>& params = {});

// Each line of `text` as a JSON object; throws on a line that is not one.
std::vector<boost::json::object> json_lines(const std::string& text);

// "a=1&b=x y" with every value percent-encoded.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// The value of <input name="NAME" ... value="..."> in an HTML page.
std::optional<std::string> input_value(const std::string& html, const std::string& name);

// The text inside the element with id="ID" (tags stripped, trimmed).
std::optional<std::string> element_text(const std::string& html, const std::string& id);

// A JSON answer's body as an object, and the code and field of its "error".
boost::json::object body_of(const reply& r);
std::string error_code_of(const reply& r);
std::string error_field_of(const reply& r);

// The name=value part of a Set-Cookie header.
std::string cookie_pair(const std::string& set_cookie);

}  // namespace hotline::e2e
