#pragma once
// Small helpers shared by the storage sources: binding a parameter list,
// cached statements with their parameters bound, and the one error code
// storage reports.

#include <string>
#include <string_view>
#include <utility>

#include "intake/result.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage::detail {

inline error failure(std::string message) { return make_error("storage_failure", std::move(message)); }

// Binds `args` to parameters 1, 2, ... in order; stops at the first failure.
template <class... A>
result<void> bind_all(statement& st, const A&... args) {
    result<void> r;
    int index = 0;
    ((r ? (r = st.bind(++index, args), 0) : 0), ...);
    return r;
}

// The connection's cached statement for `sql` with `args` bound.
template <class... A>
result<cached_statement> prepare_bound(connection& c, std::string_view sql, const A&... args) {
    auto st = c.cached(sql);
    if (!st) return st;
    if (auto r = bind_all(**st, args...); !r) return std::move(r).err();
    return st;
}

// Runs a cached statement that returns no rows, with `args` bound.
template <class... A>
result<void> run_bound(connection& c, std::string_view sql, const A&... args) {
    auto st = prepare_bound(c, sql, args...);
    if (!st) return std::move(st).err();
    return (*st)->run();
}

// Steps `st`: true for a row, false when it is done.
inline result<bool> next_row(statement& st) {
    auto row = st.step();
    if (!row) return std::move(row).err();
    return *row == step_result::row;
}

// Calls `each(row)` for every row `st` returns; `each` returns result<void>,
// and its first error ends the walk.
template <class F>
result<void> for_each_row(statement& st, F&& each) {
    for (;;) {
        auto more = next_row(st);
        if (!more) return std::move(more).err();
        if (!*more) return {};
        if (auto r = each(std::as_const(st)); !r) return r;
    }
}

}  // namespace hotline::storage::detail
