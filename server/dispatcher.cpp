#include "server/dispatcher.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "server/detail/await.hpp"

namespace hotline::server {

namespace asio = boost::asio;
using asio::awaitable;
using detail::await_storage;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

// The longest the dispatcher sleeps without looking at the outbox again, so
// that a wall clock set forward (or a due time computed from a clock that
// jumped) is noticed within this time even without notify().
constexpr std::chrono::milliseconds max_sleep{std::chrono::seconds(60)};

// Pause after a storage failure before trying again (unless notified).
constexpr std::chrono::milliseconds storage_retry_pause{std::chrono::seconds(1)};

std::string_view verdict_name(send_verdict v) {
    switch (v) {
        case send_verdict::sent: return "sent";
        case send_verdict::retry: return "retry";
        case send_verdict::permanent: return "failed";
    }
    return "unknown";
}

}  // namespace

struct dispatcher::impl : std::enable_shared_from_this<impl> {
    impl(asio::io_context& i, storage::database& d, const hotline::clock& c, logger& l, dispatcher_options o)
        : strand(asio::make_strand(i)), db(d), clk(c), log(l), opts(o), wake(strand), rng(std::random_device{}()) {
        if (opts.max_attempts < 1) opts.max_attempts = 1;
        if (opts.batch == 0) opts.batch = 1;
        if (opts.backoff_base.count() < 0) opts.backoff_base = std::chrono::milliseconds(0);
        if (opts.backoff_max < opts.backoff_base) opts.backoff_max = opts.backoff_base;
    }

    asio::strand<asio::io_context::executor_type> strand;
    storage::database& db;
    const hotline::clock& clk;
    logger& log;
    dispatcher_options opts;
    std::map<std::string, std::unique_ptr<outbox_sender>> senders;

    // Strand-only state.
    asio::steady_timer wake;
    bool started = false;
    bool running = false;   // the loop coroutine is alive
    bool stopped = false;   // the loop has ended (or was never started and stop() came)
    bool stopping = false;
    bool notified = false;  // notify() since the loop last looked
    int empty_but_due = 0;  // claims in a row that found nothing although something was due
    std::vector<std::function<void()>> on_stopped;
    std::mt19937_64 rng;

    std::atomic<std::uint64_t> n_sent{0};
    std::atomic<std::uint64_t> n_retried{0};
    std::atomic<std::uint64_t> n_failed{0};

    awaitable<void> run();
    awaitable<void> sleep_until_due();
    awaitable<void> sleep_for(std::chrono::milliseconds d);
    awaitable<void> deliver(storage::outbox_message m);
    awaitable<bool> apply(const storage::outbox_message& m, const send_result& r, int attempt);
    time_point next_attempt(int attempt);
    void finish();
};

time_point dispatcher::impl::next_attempt(int attempt) {
    // base * 2^(attempt-1), capped, then a random factor in [0.5, 1]: retries
    // of many messages after one outage spread out instead of arriving together.
    const double base = static_cast<double>(opts.backoff_base.count());
    const double cap = static_cast<double>(opts.backoff_max.count());
    const int exponent = std::clamp(attempt - 1, 0, 62);
    const double raw = std::min(cap, std::ldexp(base, exponent));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    const auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(raw * jitter(rng))));
    return clk.now() + delay;
}

awaitable<void> dispatcher::impl::sleep_for(std::chrono::milliseconds d) {
    if (notified || stopping) co_return;
    wake.expires_after(std::min(d, max_sleep));
    auto [ec] = co_await wake.async_wait(as_tuple_awaitable);
    (void)ec;  // cancelled by notify() or stop(), or expired
}

awaitable<void> dispatcher::impl::sleep_until_due() {
    auto due = co_await await_storage<std::optional<time_point>>([this](auto done) {
        db.read<std::optional<time_point>>([](storage::connection& c) { return storage::next_outbox_due(c); },
                                           std::move(done));
    });
    if (!due) {
        log.error("outbox_storage_failure", {{"step", "next_due"}, {"code", due.err().code},
                                             {"message", due.err().message}});
        co_await sleep_for(storage_retry_pause);
        co_return;
    }
    if (!*due) {
        log.debug("outbox_idle", {{"due_in_ms", nullptr}});
        co_await sleep_for(max_sleep);
        co_return;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(**due - clk.now());
    if (wait.count() <= 0) {
        // Due now: look again at once. Should claiming keep finding nothing
        // (the store disagrees with itself), pause instead of spinning.
        if (++empty_but_due < 3) co_return;
        log.warn("outbox_due_but_not_claimable", {{"due_in_ms", wait.count()}});
        empty_but_due = 0;
        co_await sleep_for(storage_retry_pause);
        co_return;
    }
    empty_but_due = 0;
    log.debug("outbox_idle", {{"due_in_ms", wait.count()}});
    co_await sleep_for(wait);
}

awaitable<bool> dispatcher::impl::apply(const storage::outbox_message& m, const send_result& r, int attempt) {
    send_verdict verdict = r.verdict;
    std::string error = r.error;
    if (verdict == send_verdict::retry && attempt >= opts.max_attempts) {
        verdict = send_verdict::permanent;
        error = fmt::format("gave up after {} attempts: {}", attempt, r.error);
    }
    const std::uint64_t id = m.id;
    const time_point now = clk.now();
    std::optional<time_point> next;
    if (verdict == send_verdict::retry) next = next_attempt(attempt);

    std::string provider_id = r.provider_message_id;
    // true: the failure made an assignment due at once (storage::fail_outbox).
    auto applied = co_await await_storage<bool>([&](auto done) {
        db.write<bool>(
            [id, now, verdict, next, error, provider_id](storage::connection& c) -> result<bool> {
                switch (verdict) {
                    case send_verdict::sent: {
                        if (auto s = storage::mark_outbox_sent(c, id, now, provider_id); !s) return std::move(s).err();
                        return false;
                    }
                    case send_verdict::retry: {
                        if (auto s = storage::retry_outbox(c, id, *next, error); !s) return std::move(s).err();
                        return false;
                    }
                    case send_verdict::permanent: return storage::fail_outbox(c, id, now, error);
                }
                return make_error("storage_failure", "unknown send verdict");
            },
            std::move(done));
    });
    if (!applied) {
        // The row stays claimed; its lease runs out and it is sent again
        // (at least once).
        log.error("outbox_storage_failure", {{"step", "settle"},
                                             {"outbox_id", id},
                                             {"verdict", std::string(verdict_name(verdict))},
                                             {"code", applied.err().code},
                                             {"message", applied.err().message}});
        co_return false;
    }
    switch (verdict) {
        case send_verdict::sent: n_sent.fetch_add(1); break;
        case send_verdict::retry: n_retried.fetch_add(1); break;
        case send_verdict::permanent: n_failed.fetch_add(1); break;
    }
    boost::json::object fields{{"outbox_id", id},
                               {"channel", m.channel},
                               {"attempt", attempt},
                               {"verdict", std::string(verdict_name(verdict))}};
    if (verdict != send_verdict::sent) fields["error"] = error;
    if (next) fields["retry_in_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count();
    if (*applied) {
        fields["deadline_moved"] = true;
        // Woken before the log line is written: the next step is called as
        // soon as possible (and a reader of the log knows it was).
        if (opts.on_deadline_moved) opts.on_deadline_moved();
    }
    log.info("outbox_send", std::move(fields));
    co_return true;
}

awaitable<void> dispatcher::impl::deliver(storage::outbox_message m) {
    // `attempts` counts the sends before this one; this is send number attempt.
    const int attempt = m.attempts + 1;
    send_result r;
    const auto it = senders.find(m.channel);
    if (it == senders.end()) {
        r.verdict = send_verdict::permanent;
        r.error = "no sender for channel";
    } else {
        try {
            r = co_await it->second->send(m);
        } catch (const std::exception& e) {
            r.verdict = send_verdict::retry;
            r.error = std::string("the sender failed: ") + e.what();
        }
    }
    co_await apply(m, r, attempt);
}

awaitable<void> dispatcher::impl::run() {
    auto self = shared_from_this();
    while (!stopping) {
        notified = false;
        const time_point now = clk.now();
        const std::size_t batch = opts.batch;
        const auto lease = opts.lease;
        auto claimed = co_await await_storage<std::vector<storage::outbox_message>>([&](auto done) {
            db.write<std::vector<storage::outbox_message>>(
                [now, batch, lease](storage::connection& c) { return storage::claim_due_outbox(c, now, batch, lease); },
                std::move(done));
        });
        if (!claimed) {
            if (claimed.err().code == "shutting_down") break;
            log.error("outbox_storage_failure", {{"step", "claim"}, {"code", claimed.err().code},
                                                 {"message", claimed.err().message}});
            co_await sleep_for(storage_retry_pause);
            continue;
        }
        auto& messages = *claimed;
        std::size_t i = 0;
        for (; i < messages.size() && !stopping; ++i) co_await deliver(std::move(messages[i]));
        if (i < messages.size()) {
            // Stopped with claimed messages left unsent: hand them back, due
            // now, instead of leaving them leased until the lease runs out.
            std::vector<std::uint64_t> ids;
            for (; i < messages.size(); ++i) ids.push_back(messages[i].id);
            const time_point back = clk.now();
            auto released = co_await await_storage<void>([&](auto done) {
                db.write<void>(
                    [ids, back](storage::connection& c) -> result<void> {
                        for (const auto id : ids)
                            if (auto r = storage::retry_outbox(c, id, back, "not sent: the dispatcher stopped"); !r)
                                return r;
                        return {};
                    },
                    std::move(done));
            });
            if (!released)
                log.warn("outbox_storage_failure", {{"step", "release"}, {"code", released.err().code},
                                                    {"message", released.err().message}});
            break;
        }
        if (stopping) break;
        if (messages.size() >= batch) continue;  // there may be more due now
        if (!messages.empty()) empty_but_due = 0;
        co_await sleep_until_due();
    }
    finish();
}

void dispatcher::impl::finish() {
    running = false;
    stopped = true;
    auto callbacks = std::move(on_stopped);
    on_stopped.clear();
    log.info("outbox_dispatcher_stopped", {{"sent", n_sent.load()}, {"retried", n_retried.load()},
                                          {"failed", n_failed.load()}});
    for (auto& f : callbacks)
        if (f) f();
}

dispatcher::dispatcher(asio::io_context& ioc, storage::database& db, const hotline::clock& clock, logger& log,
                       dispatcher_options options)
    : impl_(std::make_shared<impl>(ioc, db, clock, log, options)) {}

dispatcher::~dispatcher() {
    // The loop holds its own reference to the state; ask it to wind down.
    asio::post(impl_->strand, [p = impl_] {
        p->stopping = true;
        p->wake.cancel();
    });
}

void dispatcher::add_sender(std::string channel, std::unique_ptr<outbox_sender> sender) {
    impl_->senders[std::move(channel)] = std::move(sender);
}

void dispatcher::start() {
    asio::post(impl_->strand, [p = impl_] {
        if (p->started || p->stopping) return;
        p->started = true;
        p->running = true;
        p->log.info("outbox_dispatcher_started", {{"senders", p->senders.size()}});
        asio::co_spawn(p->strand, p->run(), [p](const std::exception_ptr& e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                p->log.error("outbox_dispatcher_exception", {{"what", ex.what()}});
            } catch (...) {
                p->log.error("outbox_dispatcher_exception", {{"what", "unknown"}});
            }
            if (p->running) p->finish();
        });
    });
}

void dispatcher::notify() {
    asio::post(impl_->strand, [p = impl_] {
        p->notified = true;
        p->wake.cancel();
    });
}

void dispatcher::stop(std::function<void()> on_stopped) {
    asio::post(impl_->strand, [p = impl_, f = std::move(on_stopped)]() mutable {
        p->stopping = true;
        if (!p->running) {
            // Never started, or already stopped: nothing to wait for.
            p->stopped = true;
            if (f) f();
            return;
        }
        p->on_stopped.push_back(std::move(f));
        p->wake.cancel();
    });
}

std::uint64_t dispatcher::sent() const noexcept { return impl_->n_sent.load(); }
std::uint64_t dispatcher::retried() const noexcept { return impl_->n_retried.load(); }
std::uint64_t dispatcher::failed() const noexcept { return impl_->n_failed.load(); }

}  // namespace hotline::server
