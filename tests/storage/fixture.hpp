#pragma once
// Shared pieces of the storage tests: a fixed tracking codec, opening a
// database in a test's temp dir, waiting for a completion, and holding the
// writer to gather writes into one batch.

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <type_traits>

#include "intake/tracking_code.hpp"
#include "storage/database.hpp"
#include "storage/detail/migrations.hpp"
#include "tests/support/temp_dir.hpp"

namespace hotline::storage::test {

inline const intake::tracking_codec& codec() {
    static const intake::tracking_codec c([] {
        intake::secret_key k{};
        for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 7 + 3);
        return k;
    }());
    return c;
}

inline std::unique_ptr<database> open_db(const options& o) {
    auto db = database::open(o, codec());
    REQUIRE_MESSAGE(db.has_value(), (db ? std::string() : db.err().message));
    return std::move(*db);
}

inline std::unique_ptr<database> open_db(const hotline::test::temp_dir& dir) {
    options o;
    o.path = dir.file("hotline.db");
    return open_db(o);
}

// Starts an asynchronous call and waits for its completion.
template <class T, class Start>
result<T> await(Start start) {
    return wait_for<T>(std::move(start));
}

template <class T>
T ok(result<T> r) {
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().code + ": " + r.err().message));
    return std::move(*r);
}

inline void ok(result<void> r) {
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().code + ": " + r.err().message));
}

// Holds the writer inside one write job until released, so that everything
// enqueued meanwhile lands in the next batch together.
class writer_plug {
public:
    explicit writer_plug(database& db) {
        auto entered = std::make_shared<std::promise<void>>();
        auto entered_f = entered->get_future();
        auto release = release_.get_future().share();
        db.write<int>(
            [entered, release](connection&) -> result<int> {
                entered->set_value();
                release.wait();
                return 0;
            },
            [flag = ok_](result<int> r) { flag->store(r.has_value()); });
        entered_f.wait();
    }
    void release() { release_.set_value(); }
    bool plug_ok() const { return ok_->load(); }

private:
    std::promise<void> release_;
    std::shared_ptr<std::atomic<bool>> ok_ = std::make_shared<std::atomic<bool>>(false);
};

// A new database file at `path` taken to schema `version` exactly, each
// migration in its own transaction, for tests of the migrations after it.
inline connection at_version(const std::string& path, int version) {
    auto c = connection::open(path, open_mode::read_write_create);
    REQUIRE_MESSAGE(c.has_value(), (c ? std::string() : c.err().message));
    for (int v = 0; v < version; ++v) {
        for (const std::string& sql : {std::string("BEGIN"), std::string(detail::migrations()[static_cast<std::size_t>(v)]),
                                       "PRAGMA user_version = " + std::to_string(v + 1), std::string("COMMIT")}) {
            auto r = c->exec(sql);
            REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().message));
        }
    }
    return std::move(*c);
}

// SQLite's plan for `sql` (EXPLAIN QUERY PLAN), its steps one per line, read
// on a reader thread.
inline std::string query_plan(database& db, std::string sql) {
    auto plan = wait_for<std::string>([&](auto done) {
        db.read<std::string>(
            [sql](connection& c) -> result<std::string> {
                auto st = c.prepare("EXPLAIN QUERY PLAN " + sql);
                if (!st) return std::move(st).err();
                std::string all;
                for (;;) {
                    auto r = st->step();
                    if (!r) return std::move(r).err();
                    if (*r == step_result::done) return all;
                    all += st->column_text(3) + "\n";
                }
            },
            std::move(done));
    });
    REQUIRE_MESSAGE(plan.has_value(), (plan ? std::string() : plan.err().message));
    return std::move(*plan);
}

// The first column of the first row of `sql` (a query that must return a
// row), read on a reader thread, or on the writer inside a batch.
template <class T>
T query_value(database& db, std::string sql, bool on_writer = false) {
    const auto job = [sql](connection& c) -> result<T> {
        auto st = c.prepare(sql);
        if (!st) return std::move(st).err();
        auto r = st->step();
        if (!r) return std::move(r).err();
        if (*r != step_result::row) return make_error("test", "no row");
        if constexpr (std::is_same_v<T, std::string>)
            return st->column_text(0);
        else
            return st->column_int64(0);
    };
    return ok(await<T>([&](auto done) {
        if (on_writer)
            db.write<T>(job, done);
        else
            db.read<T>(job, done);
    }));
}

inline std::int64_t read_int(database& db, std::string sql) { return query_value<std::int64_t>(db, std::move(sql)); }
inline std::string read_text(database& db, std::string sql) { return query_value<std::string>(db, std::move(sql)); }
inline std::string write_text(database& db, std::string sql) {
    return query_value<std::string>(db, std::move(sql), true);
}

// An open assignment of `report_id` to the hotline queue, made at `now_ms`
// and due 15 minutes later, written on `c` (inside a write).
inline result<std::int64_t> insert_hotline_assignment(connection& c, std::uint64_t report_id, std::int64_t now_ms) {
    auto st = c.prepare(
        "INSERT INTO assignments (report_id, queue, unit_code, step, reason, state, created_at, ack_due_at) "
        "VALUES (?1, 'hotline', 'VN', 1, 'test', 'open', ?2, ?3)");
    if (!st) return std::move(st).err();
    if (auto b = st->bind(1, static_cast<std::int64_t>(report_id)); !b) return std::move(b).err();
    if (auto b = st->bind(2, now_ms); !b) return std::move(b).err();
    if (auto b = st->bind(3, now_ms + 15 * 60 * 1000); !b) return std::move(b).err();
    if (auto r = st->step(); !r) return std::move(r).err();
    return c.last_insert_rowid();
}

}  // namespace hotline::storage::test
