#pragma once
// Thin RAII wrappers over the SQLite C API.
//
// `connection` owns one sqlite3 handle, `statement` one prepared statement.
// Both are movable and not copyable; a moved-from object is empty and may only
// be destroyed or assigned to. Every failure comes back as a hotline::error
// with code `storage_failure` and SQLite's own message; bound values are never
// part of a message (SQLite's messages name columns and constraints, not
// values), so errors are safe to log.
//
// Thread-safety: none. A connection and its statements are used by one thread
// at a time (connections are opened in SQLite's multi-thread mode, without
// the per-connection mutex); handing one to another thread needs the usual
// happens-before (e.g. starting that thread).

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "intake/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hotline::storage {

enum class open_mode {
    read_only,          // the file must exist; nothing can be written through it
    read_write,         // the file must exist
    read_write_create,  // created when missing
};

enum class step_result { row, done };

class statement;
class cached_statement;

class connection {
public:
    connection() noexcept;  // empty: owns nothing
    ~connection();
    connection(connection&& other) noexcept;
    connection& operator=(connection&& other) noexcept;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Opens `path` (a file name, not a URI) with extended result codes on.
    static result<connection> open(const std::string& path, open_mode mode);

    bool is_open() const noexcept { return db_ != nullptr; }

    // Runs one or more SQL statements that take no parameters and whose rows,
    // if any, are discarded.
    result<void> exec(std::string_view sql);

    // Prepares the first statement in `sql`; text after it is an error, so a
    // typo cannot silently drop a second statement.
    result<statement> prepare(std::string_view sql);

    // The statement for `sql`, prepared on first use and kept by this
    // connection for its lifetime (hot paths do not re-parse SQL). The lease
    // resets the statement and clears its bindings when it is destroyed, so
    // an unfinished SELECT never keeps a read snapshot open. At most one lease
    // per SQL text may be alive at a time.
    result<cached_statement> cached(std::string_view sql);

    // How long a statement waits for a lock held by another connection before
    // failing with SQLITE_BUSY.
    result<void> busy_timeout(std::chrono::milliseconds timeout);

    std::int64_t last_insert_rowid() const noexcept;
    // Rows changed by the most recent INSERT, UPDATE or DELETE.
    std::int64_t changes() const noexcept;
    // True when no transaction is open (SQLite's autocommit mode).
    bool autocommit() const noexcept;
    // The extended result code of the most recent failed call (SQLITE_BUSY,
    // SQLITE_CONSTRAINT_CHECK, ...), for callers that must tell failures apart.
    int extended_errcode() const noexcept;

    sqlite3* native_handle() const noexcept { return db_; }

private:
    struct statement_cache;
    explicit connection(sqlite3* db) noexcept;
    void close() noexcept;
    sqlite3* db_ = nullptr;
    std::unique_ptr<statement_cache> cache_;
};

class statement {
public:
    statement() noexcept = default;  // empty: owns nothing
    ~statement();
    statement(statement&& other) noexcept;
    statement& operator=(statement&& other) noexcept;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    bool is_open() const noexcept { return stmt_ != nullptr; }

    // Parameters are numbered from 1, as in SQL (`?1`, `?2`, ...). Text and
    // blobs are copied, so the arguments need not outlive the call.
    result<void> bind(int index, std::int64_t value);
    result<void> bind(int index, double value);
    result<void> bind(int index, std::string_view text);
    result<void> bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    result<void> bind(int index, std::span<const std::uint8_t> blob);
    result<void> bind_null(int index);
    // Any other integer type (int, bool, std::uint32_t, ...) binds as int64.
    template <std::integral I>
    result<void> bind(int index, I value) { return bind(index, static_cast<std::int64_t>(value)); }
    // An absent optional binds NULL.
    template <class T>
    result<void> bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index);
    }

    // Runs the statement to its next row. After `done`, call reset() before
    // stepping again.
    result<step_result> step();
    // Steps a statement that must not return rows (INSERT, UPDATE, ...).
    result<void> run();

    // Back to before the first step; bindings are kept. Returns nothing: an
    // error of the last step was already reported by step().
    void reset() noexcept;
    void clear_bindings() noexcept;

    // Columns of the current row, numbered from 0. Views and spans stay valid
    // until the next step(), reset() or destruction.
    int column_count() const noexcept;
    bool column_is_null(int col) const noexcept;
    std::int64_t column_int64(int col) const noexcept;
    double column_double(int col) const noexcept;
    std::string_view column_text_view(int col) const noexcept;
    std::string column_text(int col) const { return std::string(column_text_view(col)); }
    std::span<const std::uint8_t> column_blob(int col) const noexcept;
    std::optional<std::string> column_optional_text(int col) const;
    std::optional<std::int64_t> column_optional_int64(int col) const noexcept;

    sqlite3_stmt* native_handle() const noexcept { return stmt_; }

private:
    friend class connection;
    explicit statement(sqlite3_stmt* s) noexcept : stmt_(s) {}
    result<void> check_bind(int rc);
    sqlite3_stmt* stmt_ = nullptr;
};

// A borrowed cached statement; see connection::cached.
class cached_statement {
public:
    explicit cached_statement(statement& st) noexcept : st_(&st) {}
    ~cached_statement();
    cached_statement(cached_statement&& other) noexcept : st_(std::exchange(other.st_, nullptr)) {}
    cached_statement& operator=(cached_statement&&) = delete;
    cached_statement(const cached_statement&) = delete;
    cached_statement& operator=(const cached_statement&) = delete;

    statement& operator*() const noexcept { return *st_; }
    statement* operator->() const noexcept { return st_; }

private:
    statement* st_;
};

}  // namespace hotline::storage
