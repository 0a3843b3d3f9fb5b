#include "storage/sqlite.hpp"

#include <functional>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include <climits>
#include <utility>

namespace hotline::storage {

namespace {

// Only SQLite's message and the operation go into the text: never the SQL's
// bound values, which may be a child's name or a reporter's phone.
error failure(std::string_view what, std::string_view detail) {
    std::string m = "sqlite ";
    m += what;
    m += ": ";
    m += detail;
    return make_error("storage_failure", std::move(m));
}

error failure(std::string_view what, sqlite3* db) {
    return failure(what, db ? sqlite3_errmsg(db) : "out of memory");
}

int flags_of(open_mode mode) {
    // NOMUTEX: each connection is confined to one thread at a time, so
    // SQLite's per-connection mutex would only cost time.
    int f = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    switch (mode) {
    case open_mode::read_only: f |= SQLITE_OPEN_READONLY; break;
    case open_mode::read_write: f |= SQLITE_OPEN_READWRITE; break;
    case open_mode::read_write_create: f |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    }
    return f;
}

bool only_space(std::string_view s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != ';')
            return false;
    return true;
}

}  // namespace

// ---- connection -------------------------------------------------------------

struct connection::statement_cache {
    // Looked up by the SQL text as given, without copying it into a string
    // first (the writer looks up about a dozen per report). Node-based:
    // a cached_statement refers to its statement while others are added.
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, statement, text_hash, std::equal_to<>> statements;
};

connection::connection() noexcept = default;
connection::connection(sqlite3* db) noexcept : db_(db) {}
connection::~connection() { close(); }

void connection::close() noexcept {
    // Cached statements are finalized first. close_v2 never fails for a live
    // handle: if statements are still open the handle becomes a zombie that
    // SQLite frees when the last one is finalized.
    cache_.reset();
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
}

connection::connection(connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

connection& connection::operator=(connection&& other) noexcept {
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
        cache_ = std::move(other.cache_);
    }
    return *this;
}

result<cached_statement> connection::cached(std::string_view sql) {
    if (!cache_) cache_ = std::make_unique<statement_cache>();
    auto& map = cache_->statements;
    auto it = map.find(sql);
    if (it == map.end()) {
        auto st = prepare(sql);
        if (!st) return std::move(st).err();
        it = map.emplace(std::string(sql), std::move(*st)).first;
    }
    return cached_statement(it->second);
}

cached_statement::~cached_statement() {
    if (st_) {
        st_->reset();
        st_->clear_bindings();
    }
}

result<connection> connection::open(const std::string& path, open_mode mode) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags_of(mode), nullptr);
    if (rc != SQLITE_OK) {
        // A handle is returned even on most failures and carries the message.
        error e = failure("open", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        return e;
    }
    return connection(db);
}

result<void> connection::exec(std::string_view sql) {
    // sqlite3_exec wants a NUL-terminated string.
    std::string text(sql);
    char* msg = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
        error e = failure("exec", msg ? std::string_view(msg) : std::string_view(sqlite3_errmsg(db_)));
        sqlite3_free(msg);
        return e;
    }
    return {};
}

result<statement> connection::prepare(std::string_view sql) {
    if (sql.size() > static_cast<std::size_t>(INT_MAX))
        return failure("prepare", "statement too long");
    sqlite3_stmt* s = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &s, &tail);
    if (rc != SQLITE_OK) return failure("prepare", db_);
    statement st(s);
    if (!s) return failure("prepare", "no statement in the SQL text");
    std::string_view rest = sql.substr(static_cast<std::size_t>(tail - sql.data()));
    if (!only_space(rest)) {
        // Comments may follow; preparing the rest tells them from a statement.
        sqlite3_stmt* extra = nullptr;
        int rc2 = sqlite3_prepare_v3(db_, rest.data(), static_cast<int>(rest.size()), 0, &extra, nullptr);
        bool more = rc2 != SQLITE_OK || extra != nullptr;
        sqlite3_finalize(extra);
        if (more) return failure("prepare", "more than one statement in the SQL text");
    }
    return st;
}

result<void> connection::busy_timeout(std::chrono::milliseconds timeout) {
    auto ms = timeout.count();
    if (ms < 0) ms = 0;
    if (ms > INT_MAX) ms = INT_MAX;
    if (sqlite3_busy_timeout(db_, static_cast<int>(ms)) != SQLITE_OK) return failure("busy_timeout", db_);
    return {};
}

std::int64_t connection::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

std::int64_t connection::changes() const noexcept { return sqlite3_changes64(db_); }

bool connection::autocommit() const noexcept { return sqlite3_get_autocommit(db_) != 0; }

int connection::extended_errcode() const noexcept { return sqlite3_extended_errcode(db_); }

// ---- statement --------------------------------------------------------------

statement::~statement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

statement::statement(statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

statement& statement::operator=(statement&& other) noexcept {
    if (this != &other) {
        if (stmt_) sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

result<void> statement::check_bind(int rc) {
    if (rc != SQLITE_OK) return failure("bind", sqlite3_db_handle(stmt_));
    return {};
}

result<void> statement::bind(int index, std::int64_t value) {
    return check_bind(sqlite3_bind_int64(stmt_, index, value));
}

result<void> statement::bind(int index, double value) {
    return check_bind(sqlite3_bind_double(stmt_, index, value));
}

result<void> statement::bind(int index, std::string_view text) {
    // data() of an empty view may be null, which SQLite would bind as NULL;
    // an empty string is not an absent one.
    static const char empty[] = "";
    const char* p = text.empty() ? empty : text.data();
    return check_bind(sqlite3_bind_text64(stmt_, index, p, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

result<void> statement::bind(int index, std::span<const std::uint8_t> blob) {
    static const std::uint8_t empty[1] = {0};
    const void* p = blob.empty() ? static_cast<const void*>(empty) : blob.data();
    return check_bind(sqlite3_bind_blob64(stmt_, index, p, blob.size(), SQLITE_TRANSIENT));
}

result<void> statement::bind_null(int index) { return check_bind(sqlite3_bind_null(stmt_, index)); }

result<step_result> statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return step_result::row;
    if (rc == SQLITE_DONE) return step_result::done;
    return failure("step", sqlite3_db_handle(stmt_));
}

result<void> statement::run() {
    auto r = step();
    if (!r) return std::move(r).err();
    if (*r == step_result::row) return failure("step", "statement returned a row where none was expected");
    return {};
}

void statement::reset() noexcept { sqlite3_reset(stmt_); }

void statement::clear_bindings() noexcept { sqlite3_clear_bindings(stmt_); }

int statement::column_count() const noexcept { return sqlite3_column_count(stmt_); }

bool statement::column_is_null(int col) const noexcept {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t statement::column_int64(int col) const noexcept { return sqlite3_column_int64(stmt_, col); }

double statement::column_double(int col) const noexcept { return sqlite3_column_double(stmt_, col); }

std::string_view statement::column_text_view(int col) const noexcept {
    // text first, then bytes: the documented order that keeps the pointer valid.
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    if (!p) return {};
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::span<const std::uint8_t> statement::column_blob(int col) const noexcept {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    if (!p) return {};
    return {static_cast<const std::uint8_t*>(p), static_cast<std::size_t>(n)};
}

std::optional<std::string> statement::column_optional_text(int col) const {
    if (column_is_null(col)) return std::nullopt;
    return column_text(col);
}

std::optional<std::int64_t> statement::column_optional_int64(int col) const noexcept {
    if (column_is_null(col)) return std::nullopt;
    return column_int64(col);
}

}  // namespace hotline::storage
