#pragma once
// Bridges the storage layer's callbacks (called on its own threads) into
// coroutines: the completion is posted back to the awaiting coroutine's
// executor (the connection's strand), so no handler code ever runs on a
// storage thread and no SQLite call ever runs on an I/O thread.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <utility>

#include "intake/result.hpp"

namespace hotline::server::detail {

// `start(done)` must call `done(result<T>)` exactly once, from any thread.
template <class T, class Start>
boost::asio::awaitable<result<T>> await_storage(Start start) {
    auto out = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                    void(std::optional<result<T>>)>(
        [start = std::move(start)](auto handler) mutable {
            auto ex = boost::asio::get_associated_executor(handler);
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            start([h, ex](result<T> r) mutable {
                boost::asio::post(ex, [h, r = std::optional<result<T>>(std::move(r))]() mutable {
                    (*h)(std::move(r));
                });
            });
        },
        boost::asio::use_awaitable);
    co_return std::move(*out);
}

}  // namespace hotline::server::detail
