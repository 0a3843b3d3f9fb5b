#pragma once
// The deadline scheduler: one timer for the earliest due deadline.
//
// It asks the database (storage::next_due, on a reader thread through
// database::read, never SQLite on the I/O thread) when the next thing falls
// due, sets one steady_timer for that instant measured with the injected
// clock, and when it fires runs storage::run_due in one database::write
// (breaches, escalations, reminders: storage/escalation.hpp), then asks
// again. At start() it reads the database, so whatever fell due while the
// server was down is handled at once, oldest first. notify() after a write
// that may have added an earlier deadline (a new report) makes it ask again.
//
// Time is the clock's: when the timer fires before the clock says the
// deadline has come (a test's manual clock, a clock set back), it waits
// again for the rest, and it never sleeps longer than `max_sleep` without
// asking again. A test moves its manual clock and calls notify().
//
// A run handles at most `batch` items; a full batch is followed at once by
// another. A failed read or run is logged and tried again after
// `retry_after`. Logs carry counts and ids only.
//
// Thread-safety: notify() and stop() may be called from any thread; the
// work runs on the scheduler's strand. The io_context, database, clock,
// logger and policy must outlive the scheduler's work (stop() and wait for
// on_stopped, or stop the io_context, before destroying them).

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "intake/clock.hpp"
#include "server/config.hpp"
#include "server/log.hpp"
#include "storage/database.hpp"
#include "storage/escalation.hpp"

namespace hotline::server {

struct scheduler_options {
    // Items per run_due write. A write holds the single writer: 200 items
    // (about 18 us each with escalations) keep intake waiting a few ms at most.
    std::size_t batch = 200;
    std::chrono::milliseconds max_sleep{std::chrono::minutes(1)};
    std::chrono::milliseconds retry_after{std::chrono::seconds(5)};
    // Called on the strand after each committed run that handled something
    // (notifications hook in here later; tests count runs).
    std::function<void(const storage::due_outcome&)> on_run;
};

inline constexpr std::string_view builtin_holidays_name = "deploy/holidays/vn-2026-2027.csv";
// The holidays file built into the binary.
std::string_view builtin_holidays_text() noexcept;

// The deadline policy of `cfg`: its ack limits and ladders, and the holiday
// calendar read from cfg.holidays_file (empty: the built-in copy). Errors:
// code `config_error`, field "deadlines.holidays_file", for a file that
// cannot be read or does not parse (the message lists its bad lines).
result<storage::deadline_policy> load_deadline_policy(const config& cfg);

class scheduler {
public:
    scheduler(boost::asio::io_context& ioc, storage::database& db, const hotline::clock& clock, logger& log,
              const storage::deadline_policy& policy, scheduler_options options = {});
    ~scheduler();
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    // Reads the earliest due time from the database and arms the timer.
    void start();
    // Something may be due earlier (or now): read the earliest due time again.
    void notify();
    // A committed write set a deadline at `t` (and nothing else earlier): the
    // earliest due time is read again only when the timer is set later than
    // `t`, or a read or run is in flight (it may have missed the write). At
    // intake rates this spares a read per report.
    void notify_due(time_point t);
    // Cancels the timer; a run in progress finishes (it is one write).
    // on_stopped is called once on the strand when nothing is in flight.
    void stop(std::function<void()> on_stopped = {});

    // The instant the timer is set for; none while nothing is due (or before
    // the first read completed). For tests and metrics.
    std::optional<time_point> armed_for() const noexcept;
    // Totals since construction.
    std::uint64_t runs() const noexcept;      // run_due writes committed
    std::uint64_t handled() const noexcept;   // items they handled
    std::uint64_t reads() const noexcept;     // reads of the earliest due time started

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace hotline::server
