#include "tests/e2e/harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <regex>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace hotline::e2e {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

server_process::server_process(const fs::path& dir, const std::string& extra_toml)
    : server_process(dir, extra_toml, {}) {}

server_process::server_process(const fs::path& dir, const std::string& extra_toml,
                               const std::vector<std::string>& extra_args)
    : dir_(dir), db_(dir / "hotline.db"), log_(dir / "server.log") {
    const fs::path config = dir / "hotline.toml";
    const fs::path port_file = dir / "port";
    fs::remove(port_file);
    {
        std::ofstream out(config);
        out << "[storage]\nkey_file = \"" << (dir / "server.key").string() << "\"\n" << extra_toml << "\n";
    }
    const std::string binary = HOTLINE_BINARY;
    std::vector<std::string> args{binary,      "serve",       "--config", config.string(), "--listen",
                                  "127.0.0.1:0", "--db",       db_.string(), "--port-file", port_file.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + binary);

    // Start-up synchronisation only: poll for the port file the server writes
    // once it listens, and notice an early exit.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < give_up) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("server exited during start-up:\n" + log());
        }
        std::ifstream in(port_file);
        unsigned p = 0;
        if (in >> p && p > 0) {
            port_ = static_cast<unsigned short>(p);
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop(SIGKILL);
    throw std::runtime_error("server did not start listening:\n" + log());
}

server_process::~server_process() {
    if (pid_ > 0) stop(SIGTERM);
}

int server_process::stop(int sig, int timeout_ms) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (std::chrono::steady_clock::now() > give_up) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string server_process::log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

http_client::http_client(unsigned short port) : port_(port) {}

void http_client::ensure_connected() {
    if (socket_ && socket_->is_open()) return;
    socket_.emplace(ioc_);
    socket_->connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
    // A hung server must fail the test, not hang it.
    timeval tv{10, 0};
    ::setsockopt(socket_->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    buffer_.clear();
    ++opened_;
}

reply http_client::read_reply() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    boost::beast::error_code ec;
    http::read(*socket_, buffer_, parser, ec);
    if (ec) {
        socket_.reset();
        throw std::runtime_error("reading the response failed: " + ec.message());
    }
    auto res = parser.release();
    reply r;
    r.status = res.result_int();
    for (const auto& f : res) {
        std::string name(f.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto [it, inserted] = r.headers.emplace(name, std::string(f.value()));
        if (!inserted) it->second += ", " + std::string(f.value());
    }
    r.body = std::move(res.body());
    r.keep_alive = res.keep_alive();
    if (!r.keep_alive) socket_.reset();
    return r;
}

reply http_client::request(http::verb method, const std::string& target, const std::string& body,
                           const header_list& headers) {
    ensure_connected();
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == http::verb::post) {
        req.body() = body;
        req.prepare_payload();
    }
    boost::beast::error_code ec;
    http::write(*socket_, req, ec);
    if (ec) {
        socket_.reset();
        throw std::runtime_error("writing the request failed: " + ec.message());
    }
    return read_reply();
}

reply http_client::post_json(const std::string& target, const std::string& body, header_list headers) {
    headers.emplace_back("Content-Type", "application/json");
    return request(http::verb::post, target, body, headers);
}

reply http_client::post_form(const std::string& target, const std::string& body, header_list headers) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return request(http::verb::post, target, body, headers);
}

reply http_client::raw(const std::string& bytes) {
    ensure_connected();
    boost::asio::write(*socket_, boost::asio::buffer(bytes));
    return read_reply();
}

reply browser::get(const std::string& target) {
    header_list h;
    if (!cookie.empty()) h.emplace_back("Cookie", cookie);
    auto r = client.get(target, h);
    if (const auto sc = r.header("set-cookie"); !sc.empty()) cookie = cookie_pair(sc);
    return r;
}

reply browser::post(const std::string& target, const std::vector<std::pair<std::string, std::string>>& fields) {
    header_list h;
    if (!cookie.empty()) h.emplace_back("Cookie", cookie);
    auto r = client.post_form(target, form_encode(fields), h);
    if (const auto sc = r.header("set-cookie"); !sc.empty()) cookie = cookie_pair(sc);
    return r;
}

namespace {

std::string file_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

cli_result run_cli(const temp_dir& dir, const std::string& args, const std::string& input) {
    const auto in = dir.path() / "cli.in";
    const auto out = dir.path() / "cli.out";
    const auto err = dir.path() / "cli.err";
    { std::ofstream(in, std::ios::binary) << input; }
    const std::string cmd = std::string(HOTLINE_BINARY) + " " + args + " < '" + in.string() + "' > '" +
                            out.string() + "' 2> '" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    cli_result r;
    r.exit_code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = file_text(out);
    r.err = file_text(err);
    return r;
}

std::vector<std::string> db_rows(const fs::path& db_path, const std::string& sql,
                                 const std::vector<std::string>& params) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("cannot open " + db_path.string());
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        const std::string message = sqlite3_errmsg(db);
        sqlite3_close(db);
        throw std::runtime_error("SQL error: " + message + " in: " + sql);
    }
    for (std::size_t i = 0; i < params.size(); ++i)
        sqlite3_bind_text(st, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    std::vector<std::string> out;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        std::string row;
        for (int i = 0; i < sqlite3_column_count(st); ++i) {
            if (i) row += "|";
            const auto* v = sqlite3_column_text(st, i);
            row += v ? reinterpret_cast<const char*>(v) : "-";
        }
        out.push_back(std::move(row));
    }
    const std::string message = rc == SQLITE_DONE ? std::string() : sqlite3_errmsg(db);
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (!message.empty()) throw std::runtime_error("SQL error: " + message + " in: " + sql);
    return out;
}

std::vector<boost::json::object> json_lines(const std::string& text) {
    std::vector<boost::json::object> rows;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) rows.push_back(boost::json::parse(line).as_object());
    return rows;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    const auto enc = [&](const std::string& s) {
        static const char* hex = "0123456789ABCDEF";
        for (unsigned char c : s) {
            if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
                out.push_back(static_cast<char>(c));
            } else if (c == ' ') {
                out.push_back('+');
            } else {
                out.push_back('%');
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 15]);
            }
        }
    };
    for (const auto& [k, v] : fields) {
        if (!out.empty()) out.push_back('&');
        enc(k);
        out.push_back('=');
        enc(v);
    }
    return out;
}

namespace {

std::string html_unescape(std::string s) {
    const std::pair<const char*, const char*> entities[] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&#x27;", "'"}, {"&amp;", "&"}};
    for (const auto& [from, to] : entities) {
        std::string::size_type pos = 0;
        while ((pos = s.find(from, pos)) != std::string::npos) {
            s.replace(pos, std::strlen(from), to);
            pos += std::strlen(to);
        }
    }
    return s;
}

}  // namespace

std::optional<std::string> input_value(const std::string& html, const std::string& name) {
    const std::regex tag("<input[^>]*\\bname=\"" + name + "\"[^>]*>");
    std::smatch m;
    if (!std::regex_search(html, m, tag)) return std::nullopt;
    const std::string t = m.str();
    const std::regex value("\\bvalue=\"([^\"]*)\"");
    std::smatch v;
    if (!std::regex_search(t, v, value)) return std::string();
    return html_unescape(v[1].str());
}

std::optional<std::string> element_text(const std::string& html, const std::string& id) {
    const auto at = html.find("id=\"" + id + "\"");
    if (at == std::string::npos) return std::nullopt;
    const auto open_end = html.find('>', at);
    if (open_end == std::string::npos) return std::nullopt;
    // The element's text up to its closing tag (the elements read here hold text only).
    const auto close = html.find("</", open_end);
    std::string inner = html.substr(open_end + 1, close - open_end - 1);
    inner = std::regex_replace(inner, std::regex("<[^>]*>"), "");
    const auto b = inner.find_first_not_of(" \n\t\r");
    const auto e = inner.find_last_not_of(" \n\t\r");
    return b == std::string::npos ? std::string() : html_unescape(inner.substr(b, e - b + 1));
}

boost::json::object body_of(const reply& r) { return boost::json::parse(r.body).as_object(); }

std::string error_code_of(const reply& r) { return std::string(body_of(r).at("error").at("code").as_string()); }

std::string error_field_of(const reply& r) {
    const auto body = body_of(r);
    const auto& e = body.at("error").as_object();
    return e.contains("field") ? std::string(e.at("field").as_string()) : std::string();
}

std::string cookie_pair(const std::string& set_cookie) { return set_cookie.substr(0, set_cookie.find(';')); }

}  // namespace hotline::e2e
