#include "server/scheduler.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

namespace hotline::server {

namespace asio = boost::asio;

namespace detail {
// server/cmake/embed_file.cmake writes these into builtin_holidays.cpp.
extern const unsigned char builtin_holidays_bytes[];
extern const std::size_t builtin_holidays_size;
}  // namespace detail

std::string_view builtin_holidays_text() noexcept {
    return {reinterpret_cast<const char*>(detail::builtin_holidays_bytes), detail::builtin_holidays_size};
}

result<storage::deadline_policy> load_deadline_policy(const config& cfg) {
    std::string text;
    if (cfg.holidays_file.empty()) {
        text = std::string(builtin_holidays_text());
    } else {
        std::ifstream in(cfg.holidays_file, std::ios::binary);
        if (!in)
            return make_error("config_error",
                              fmt::format("deadlines.holidays_file: cannot read {}: {}", cfg.holidays_file,
                                          std::strerror(errno)),
                              "deadlines.holidays_file");
        std::ostringstream buf;
        buf << in.rdbuf();
        text = std::move(buf).str();
    }
    auto calendar = routing::holiday_calendar::parse_csv(text);
    if (!calendar) {
        const std::string_view source = cfg.holidays_file.empty() ? builtin_holidays_name
                                                                  : std::string_view(cfg.holidays_file);
        return make_error("config_error",
                          fmt::format("deadlines.holidays_file: {}:\n{}", source, calendar.err().message),
                          "deadlines.holidays_file");
    }
    storage::deadline_policy p;
    p.ack = cfg.ack;
    p.escalation = cfg.escalation;
    p.calendar = std::move(*calendar);
    return p;
}

namespace {
constexpr std::int64_t not_armed = std::numeric_limits<std::int64_t>::min();
}

struct scheduler::impl : std::enable_shared_from_this<impl> {
    impl(asio::io_context& ioc, storage::database& d, const hotline::clock& c, logger& l,
         const storage::deadline_policy& p, scheduler_options o)
        : strand(asio::make_strand(ioc)), db(d), clk(c), log(l), policy(p), opts(std::move(o)), timer(strand) {
        opts.batch = std::max<std::size_t>(opts.batch, 1);
    }

    asio::strand<asio::io_context::executor_type> strand;
    storage::database& db;
    const hotline::clock& clk;
    logger& log;
    const storage::deadline_policy& policy;
    scheduler_options opts;
    asio::steady_timer timer;

    // Strand state.
    bool stopped = false;
    bool reading = false;   // a next_due read in flight
    bool running = false;   // a run_due write in flight
    bool reread = false;    // notify() came while reading or running
    std::uint64_t generation = 0;  // of the timer wait that counts
    std::function<void()> on_stopped;

    std::atomic<std::int64_t> armed{not_armed};
    std::atomic<std::uint64_t> runs{0}, handled{0}, reads{0};

    void refresh() {
        if (stopped) return;
        if (reading || running) {
            reread = true;
            return;
        }
        reading = true;
        reread = false;
        ++reads;
        auto self = shared_from_this();
        db.read<std::optional<time_point>>(
            [](storage::connection& c) { return storage::next_due(c); },
            [self](result<std::optional<time_point>> r) {
                asio::post(self->strand, [self, r = std::move(r)]() mutable { self->on_read(std::move(r)); });
            });
    }

    void on_read(result<std::optional<time_point>> r) {
        reading = false;
        if (stopped) return finish_if_idle();
        if (reread) return refresh();
        if (!r) {
            log.error("scheduler_read_failed", {{"code", r.err().code}, {"message", r.err().message}});
            return sleep(opts.retry_after);
        }
        if (!*r) {
            armed = not_armed;
            ++generation;
            timer.cancel();
            return;
        }
        armed = to_unix_ms(**r);
        const auto now = clk.now();
        if (**r <= now) return run();
        sleep(std::min<std::chrono::milliseconds>(**r - now, opts.max_sleep));
    }

    // Waits `d`, then reads the earliest due time again (which runs what is
    // due by the clock, or waits again for the rest).
    void sleep(std::chrono::milliseconds d) {
        const std::uint64_t g = ++generation;
        timer.expires_after(d);
        auto self = shared_from_this();
        timer.async_wait(asio::bind_executor(strand, [self, g](const boost::system::error_code& ec) {
            if (ec || g != self->generation || self->stopped) return;
            self->refresh();
        }));
    }

    void run() {
        if (stopped) return;
        running = true;
        const time_point now = clk.now();
        const storage::deadline_policy* p = &policy;
        const std::size_t batch = opts.batch;
        auto self = shared_from_this();
        db.write<storage::due_outcome>(
            [now, p, batch](storage::connection& c) { return storage::run_due(c, now, *p, batch); },
            [self](result<storage::due_outcome> r) {
                asio::post(self->strand, [self, r = std::move(r)]() mutable { self->on_ran(std::move(r)); });
            });
    }

    void on_ran(result<storage::due_outcome> r) {
        running = false;
        if (!r) {
            log.error("deadlines_run_failed", {{"code", r.err().code}, {"message", r.err().message}});
            if (stopped) return finish_if_idle();
            return sleep(opts.retry_after);
        }
        ++runs;
        handled += r->handled();
        if (r->handled() > 0) {
            log.info("deadlines_handled", {{"ack_breaches", r->ack_breaches},
                                           {"escalations", r->escalations},
                                           {"assignments", r->assignments},
                                           {"reminders", r->reminders},
                                           {"legal_breaches", r->legal_breaches}});
            if (opts.on_run) opts.on_run(*r);
        }
        if (stopped) return finish_if_idle();
        if (r->handled() >= opts.batch) return run();
        refresh();
    }

    void stop(std::function<void()> done) {
        stopped = true;
        armed = not_armed;
        ++generation;
        timer.cancel();
        if (done) on_stopped = std::move(done);
        finish_if_idle();
    }

    void finish_if_idle() {
        if (reading || running || !on_stopped) return;
        auto f = std::move(on_stopped);
        on_stopped = nullptr;
        f();
    }
};

scheduler::scheduler(asio::io_context& ioc, storage::database& db, const hotline::clock& clock, logger& log,
                     const storage::deadline_policy& policy, scheduler_options options)
    : impl_(std::make_shared<impl>(ioc, db, clock, log, policy, std::move(options))) {}

scheduler::~scheduler() {
    asio::post(impl_->strand, [self = impl_] { self->stop({}); });
}

void scheduler::start() {
    asio::post(impl_->strand, [self = impl_] { self->refresh(); });
}

void scheduler::notify() {
    asio::post(impl_->strand, [self = impl_] { self->refresh(); });
}

void scheduler::notify_due(time_point t) {
    asio::post(impl_->strand, [self = impl_, due = to_unix_ms(t)] {
        // The timer wakes at or before `due` anyway, and that wake reads again.
        const auto armed = self->armed.load();
        if (!self->reading && !self->running && armed != not_armed && due >= armed) return;
        self->refresh();
    });
}

void scheduler::stop(std::function<void()> on_stopped) {
    asio::post(impl_->strand, [self = impl_, f = std::move(on_stopped)]() mutable { self->stop(std::move(f)); });
}

std::optional<time_point> scheduler::armed_for() const noexcept {
    const auto v = impl_->armed.load();
    if (v == not_armed) return std::nullopt;
    return from_unix_ms(v);
}

std::uint64_t scheduler::runs() const noexcept { return impl_->runs.load(); }
std::uint64_t scheduler::handled() const noexcept { return impl_->handled.load(); }
std::uint64_t scheduler::reads() const noexcept { return impl_->reads.load(); }

}  // namespace hotline::server
