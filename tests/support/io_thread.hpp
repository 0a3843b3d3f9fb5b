#pragma once
// An io_context running on its own thread, with a TLS client context, for
// tests that run one coroutine at a time and wait for its result.

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <utility>

namespace hotline::test {

struct io_thread {
    boost::asio::io_context ioc;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
    boost::asio::ssl::context tls{boost::asio::ssl::context::tls_client};
    std::thread t{[this] { ioc.run(); }};

    io_thread() { tls.set_default_verify_paths(); }
    ~io_thread() {
        work.reset();
        ioc.stop();
        t.join();
    }
    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;

    // Runs the awaitable<T> that `make()` returns on the thread and waits for
    // its result (the test fails after `guard`). `make` is kept alive in the
    // coroutine until it completes, so the awaitable may refer to it.
    template <class T, class Make>
    T run(Make make, std::chrono::seconds guard = std::chrono::seconds(10)) {
        auto p = std::make_shared<std::promise<T>>();
        auto f = p->get_future();
        boost::asio::co_spawn(
            ioc,
            [](Make m, std::shared_ptr<std::promise<T>> out) -> boost::asio::awaitable<void> {
                auto r = co_await m();
                out->set_value(std::move(r));
            }(std::move(make), p),
            boost::asio::detached);
        REQUIRE(f.wait_for(guard) == std::future_status::ready);
        return f.get();
    }
};

}  // namespace hotline::test
