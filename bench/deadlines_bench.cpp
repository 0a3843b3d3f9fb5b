// deadlines_bench DIR [N]
//
// The deadline scheduler with N (default 100,000) open assignments, each with
// an acknowledgement deadline, in a database created in DIR (which must
// exist; keep it on a real disk). Prints figures, asserts nothing:
//
//   (a) rebuild time at start: database::open on the existing file, then
//       storage::next_due through database::read on that fresh handle, and
//       the real server::scheduler from start() until its timer is armed
//       (armed_for() set);
//   (b) memory: the process's RSS before and after the scheduler is built and
//       armed, and its peak RSS (VmHWM) at the end;
//   (c) timer lateness with the system clock: W deadlines (default 2,000)
//       falling due evenly over ~10 s are handled by the real scheduler,
//       once alone (baseline) and once while another thread writes reports
//       through database::insert_report (classified, located, routed with
//       deadlines: the server's intake write) with 32 writes in flight. For
//       each handled deadline: decided = breached_at − ack_due_at (the
//       scheduler's clock when it ran run_due), committed = the instant the
//       run's write was committed and reported (scheduler_options::on_run)
//       − ack_due_at. p50 / p99 / max of both.
//
// The remaining N − 2W deadlines are spread over the next 24 hours, so they
// are open and indexed but none falls due during the run. Lines "key value"
// for scripts, then a summary for people. Runs in about 30 s.
//
// Environment: DEADLINES_WINDOW_S (10), DEADLINES_WINDOW_N (2000).

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "intake/clock.hpp"
#include "intake/tracking_code.hpp"
#include "routing/locate.hpp"
#include "routing/rules.hpp"
#include "server/config.hpp"
#include "server/log.hpp"
#include "server/scheduler.hpp"
#include "server/triage.hpp"
#include "server/units.hpp"
#include "storage/database.hpp"
#include "storage/escalation.hpp"

namespace {

using hotline::storage::wait_for;

using namespace hotline;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

[[noreturn]] void die(std::string_view what, const hotline::error& e) {
    std::fprintf(stderr, "deadlines_bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(), e.message.c_str());
    std::exit(1);
}

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM").
long status_kib(std::string_view key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':')
            return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    return -1;
}

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

double ms_since(steady::time_point t0) {
    return std::chrono::duration<double, std::milli>(steady::now() - t0).count();
}


long env_long(const char* name, long fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

// Inserts `due.size()` routed reports, each with one open province-queue
// assignment due at due[i] (step 1 of round 0), in chunks of 10,000 per write.
void populate(storage::database& db, const std::vector<std::int64_t>& due, std::int64_t created) {
    constexpr std::size_t chunk = 10'000;
    for (std::size_t from = 0; from < due.size(); from += chunk) {
        const std::size_t to = std::min(due.size(), from + chunk);
        auto r = wait_for<std::size_t>([&](auto done) {
            db.write<std::size_t>(
                [&due, from, to, created](storage::connection& c) -> result<std::size_t> {
                    auto rep = c.prepare(
                        "INSERT INTO reports (tracking_code, channel, received_at, state, text, secret_salt, "
                        "secret_hash, commune_code, province_code) VALUES ('BENCH' || ?1, 'api', ?2, 'routed', "
                        "'bench report', zeroblob(16), zeroblob(32), '05977', '20')");
                    if (!rep) return std::move(rep).err();
                    auto asg = c.prepare(
                        "INSERT INTO assignments (report_id, queue, unit_code, step, reason, state, created_at, "
                        "ack_due_at, ladder_round) VALUES (?1, 'province', '20', 1, 'bench', 'open', ?2, ?3, 0)");
                    if (!asg) return std::move(asg).err();
                    for (std::size_t i = from; i < to; ++i) {
                        rep->reset();
                        if (auto b = rep->bind(1, static_cast<std::int64_t>(i)); !b) return std::move(b).err();
                        if (auto b = rep->bind(2, created); !b) return std::move(b).err();
                        if (auto x = rep->run(); !x) return std::move(x).err();
                        const std::int64_t id = c.last_insert_rowid();
                        asg->reset();
                        if (auto b = asg->bind(1, id); !b) return std::move(b).err();
                        if (auto b = asg->bind(2, created); !b) return std::move(b).err();
                        if (auto b = asg->bind(3, due[i]); !b) return std::move(b).err();
                        if (auto x = asg->run(); !x) return std::move(x).err();
                    }
                    return to - from;
                },
                std::move(done));
        });
        if (!r) die("populate", r.err());
    }
}

struct run_mark {
    std::int64_t committed_ms;  // system clock when the run was reported
    std::size_t cumulative;     // items handled up to and including this run
};

struct percentiles {
    double p50 = 0, p99 = 0, max = 0;
    std::size_t n = 0;
};

percentiles summarise(std::vector<double> v) {
    percentiles p;
    p.n = v.size();
    if (v.empty()) return p;
    std::sort(v.begin(), v.end());
    auto at = [&v](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * (v.size() - 1) + 0.5))]; };
    p.p50 = at(0.50);
    p.p99 = at(0.99);
    p.max = v.back();
    return p;
}

struct window_result {
    percentiles decided, committed;
    std::uint64_t runs = 0;
    std::uint64_t intake_reports = 0;
    double intake_seconds = 0;
};

// Keeps `in_flight` intake writes queued until `stop` is set: the server's
// intake write (classification, location, routing with deadlines).
class intake_load {
public:
    intake_load(storage::database& db, const server::triage& t, const routing::locator& loc,
                const routing::routing_policy& rules, const storage::deadline_policy& policy, int in_flight)
        : db_(db), triage_(t), locator_(loc), rules_(rules), policy_(policy), limit_(in_flight) {}

    void start() {
        t0_ = steady::now();
        thread_ = std::thread([this] { loop(); });
    }
    void stop() {
        stop_ = true;
        cv_.notify_all();
        thread_.join();
        std::unique_lock lk(m_);
        cv_.wait(lk, [this] { return pending_ == 0; });
        seconds_ = std::chrono::duration<double>(steady::now() - t0_).count();
    }
    std::uint64_t written() const { return written_.load(); }
    double seconds() const { return seconds_; }

private:
    void loop() {
        static constexpr std::array<std::string_view, 4> texts = {
            "Cháu bé đang bị bố đánh chảy máu đầu ngay lúc này ở phường Đông Kinh, tỉnh Lạng Sơn.",
            "Cháu trai 8 tuổi thường xuyên bị bố dượng đánh bằng roi ở phường Tam Thanh, tỉnh Lạng Sơn.",
            "Cháu phải bán vé số đến khuya, không được đi học, ở phường Lương Văn Tri, tỉnh Lạng Sơn.",
            "Tôi lo cháu bé hàng xóm ở xã Đoàn Kết, tỉnh Lạng Sơn ít được chăm sóc, quần áo bẩn.",
        };
        const intake::secret_hasher hasher(intake::secret_key{});
        const hotline::system_clock clock;
        std::uint64_t i = 0;
        while (!stop_) {
            {
                std::unique_lock lk(m_);
                cv_.wait(lk, [this] { return stop_ || pending_ < limit_; });
                if (stop_) break;
                ++pending_;
            }
            storage::new_report nr;
            nr.data.text = std::string(texts[i++ % texts.size()]);
            nr.channel = intake::channel::api;
            nr.received_at = clock.now();
            nr.secret = hasher.hash("12345678", {});
            nr.classification = triage_.classify(nr.data.text);
            routing::location_query q;
            q.text = nr.data.text;
            nr.routing = storage::routing_request{locator_.locate(q), &rules_, &policy_};
            db_.insert_report(std::move(nr), [this](result<storage::receipt> r) {
                if (r) ++written_;
                std::lock_guard lk(m_);
                --pending_;
                cv_.notify_all();
            });
        }
    }

    storage::database& db_;
    const server::triage& triage_;
    const routing::locator& locator_;
    const routing::routing_policy& rules_;
    const storage::deadline_policy& policy_;
    const int limit_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> written_{0};
    std::mutex m_;
    std::condition_variable cv_;
    int pending_ = 0;
    steady::time_point t0_;
    double seconds_ = 0;
};

// Runs the real scheduler on the system clock over the deadlines due in
// [from_ms, to_ms], waits until every one of them is handled (or 20 s past
// to_ms), and measures each item's lateness.
window_result run_window(storage::database& db, const storage::deadline_policy& policy, server::logger& log,
                         std::int64_t from_ms, std::int64_t to_ms, std::size_t expected, intake_load* load) {
    const hotline::system_clock clock;
    boost::asio::io_context ioc;
    auto guard = boost::asio::make_work_guard(ioc);
    std::mutex m;
    std::vector<run_mark> marks;
    std::size_t handled = 0;
    server::scheduler_options opts;
    opts.on_run = [&](const storage::due_outcome& o) {
        std::lock_guard lk(m);
        handled += o.handled();
        marks.push_back({to_unix_ms(clock.now()), handled});
    };
    server::scheduler s(ioc, db, clock, log, policy, opts);
    std::thread io([&ioc] { ioc.run(); });
    if (load) load->start();
    s.start();
    const auto give_up = from_unix_ms(to_ms) + std::chrono::seconds(20);
    for (;;) {
        {
            std::lock_guard lk(m);
            if (handled >= expected) break;
        }
        if (clock.now() > give_up) break;
        std::this_thread::sleep_for(milliseconds(20));
    }
    if (load) load->stop();
    std::promise<void> stopped;
    s.stop([&stopped] { stopped.set_value(); });
    stopped.get_future().wait();
    guard.reset();
    ioc.stop();
    io.join();

    // The items of each run are its oldest due ones: sorted by the run's
    // clock (breached_at), then due time, then id, as run_due takes them.
    struct item {
        std::int64_t breached, due, id;
    };
    auto items = wait_for<std::vector<item>>([&](auto done) {
        db.read<std::vector<item>>(
            [from_ms, to_ms](storage::connection& c) -> result<std::vector<item>> {
                auto st = c.prepare(
                    "SELECT breached_at, ack_due_at, id FROM assignments WHERE ack_due_at BETWEEN ?1 AND ?2 "
                    "AND breached_at IS NOT NULL ORDER BY breached_at, ack_due_at, id");
                if (!st) return std::move(st).err();
                if (auto b = st->bind(1, from_ms); !b) return std::move(b).err();
                if (auto b = st->bind(2, to_ms); !b) return std::move(b).err();
                std::vector<item> v;
                for (;;) {
                    auto r = st->step();
                    if (!r) return std::move(r).err();
                    if (*r == storage::step_result::done) break;
                    v.push_back({st->column_int64(0), st->column_int64(1), st->column_int64(2)});
                }
                return v;
            },
            std::move(done));
    });
    if (!items) die("reading the handled deadlines", items.err());
    window_result w;
    w.runs = marks.size();
    std::vector<double> decided, committed;
    std::size_t run = 0;
    for (std::size_t k = 0; k < items->size(); ++k) {
        const auto& it = (*items)[k];
        decided.push_back(static_cast<double>(it.breached - it.due));
        while (run < marks.size() && marks[run].cumulative <= k) ++run;
        if (run < marks.size()) committed.push_back(static_cast<double>(marks[run].committed_ms - it.due));
    }
    if (items->size() < expected)
        std::fprintf(stderr, "deadlines_bench: only %zu of %zu deadlines handled in the window\n", items->size(),
                     expected);
    w.decided = summarise(std::move(decided));
    w.committed = summarise(std::move(committed));
    if (load) {
        w.intake_reports = load->written();
        w.intake_seconds = load->seconds();
    }
    return w;
}

void print_window(std::string_view name, const window_result& w) {
    std::printf("lateness_%.*s_decided_ms p50 %.0f p99 %.0f max %.0f n %zu\n", static_cast<int>(name.size()),
                name.data(), w.decided.p50, w.decided.p99, w.decided.max, w.decided.n);
    std::printf("lateness_%.*s_committed_ms p50 %.0f p99 %.0f max %.0f n %zu\n", static_cast<int>(name.size()),
                name.data(), w.committed.p50, w.committed.p99, w.committed.max, w.committed.n);
    std::printf("lateness_%.*s_runs %llu\n", static_cast<int>(name.size()), name.data(),
                static_cast<unsigned long long>(w.runs));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: deadlines_bench DIR [N]\n");
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    const std::size_t n = argc == 3 ? std::strtoul(argv[2], nullptr, 10) : 100'000;
    const long window_s = std::max(1L, env_long("DEADLINES_WINDOW_S", 10));
    const std::size_t window_n = static_cast<std::size_t>(std::max(1L, env_long("DEADLINES_WINDOW_N", 2000)));
    if (n < 2 * window_n) {
        std::fprintf(stderr, "deadlines_bench: N must be at least %zu\n", 2 * window_n);
        return 2;
    }
    const std::string path = (dir / "deadlines.db").string();
    std::filesystem::remove(path);

    const server::config cfg;
    auto policy = server::load_deadline_policy(cfg);
    if (!policy) die("deadline policy", policy.err());
    auto triage = server::load_triage("");
    if (!triage) die("lexicon", triage.err());
    auto units = server::load_builtin_units();
    if (!units) die("units", units.err());
    const routing::locator locator(*units, "20");
    std::ostringstream log_sink;  // the scheduler logs each run at info: kept out of the figures
    const hotline::system_clock sys;
    server::logger log(server::log_level::warn, sys, log_sink);
    const intake::tracking_codec codec(intake::secret_key{});

    // Every deadline is first spread over 24 hours from an hour on; once the
    // rebuild figures are taken, the first 2W are moved into the two
    // lateness windows (baseline, then under load, `gap_ms` apart).
    const std::int64_t now = to_unix_ms(sys.now());
    const std::int64_t gap_ms = 12'000;
    std::vector<std::int64_t> due(n);
    const std::int64_t later = now + 3'600'000;
    for (std::size_t i = 0; i < n; ++i)
        due[i] = later + static_cast<std::int64_t>(i) * 86'400'000 / static_cast<std::int64_t>(n);

    storage::options sopts;
    sopts.path = path;
    sopts.read_connections = 2;
    auto t0 = steady::now();
    {
        auto db = storage::database::open(sopts, codec);
        if (!db) die("open", db.err());
        populate(**db, due, now);
    }
    const double populate_ms = ms_since(t0);
    std::printf("deadlines_open %zu\n", n);
    std::printf("populate_ms %.0f\n", populate_ms);

    // ---- (a) and (b): rebuild at start ---------------------------------------------
    const long rss_before_open = status_kib("VmRSS");
    t0 = steady::now();
    auto opened = storage::database::open(sopts, codec);
    if (!opened) die("open", opened.err());
    storage::database& db = **opened;
    const double open_ms = ms_since(t0);
    t0 = steady::now();
    auto first = wait_for<std::optional<time_point>>(
        [&](auto done) { db.read<std::optional<time_point>>([](storage::connection& c) { return storage::next_due(c); }, std::move(done)); });
    if (!first || !*first) die("next_due", first ? make_error("none", "nothing due") : first.err());
    const double next_due_ms = ms_since(t0);
    t0 = steady::now();
    auto again = wait_for<std::optional<time_point>>(
        [&](auto done) { db.read<std::optional<time_point>>([](storage::connection& c) { return storage::next_due(c); }, std::move(done)); });
    const double next_due_warm_ms = ms_since(t0);
    (void)again;

    const long rss_before_sched = status_kib("VmRSS");
    double armed_ms = 0;
    long rss_armed = 0;
    {
        boost::asio::io_context ioc;
        auto guard = boost::asio::make_work_guard(ioc);
        std::thread io([&ioc] { ioc.run(); });
        t0 = steady::now();
        server::scheduler s(ioc, db, sys, log, *policy);
        s.start();
        while (!s.armed_for()) std::this_thread::sleep_for(std::chrono::microseconds(50));
        armed_ms = ms_since(t0);
        rss_armed = status_kib("VmRSS");
        std::promise<void> stopped;
        s.stop([&stopped] { stopped.set_value(); });
        stopped.get_future().wait();
        guard.reset();
        io.join();
    }
    std::printf("rebuild_open_ms %.1f\n", open_ms);
    std::printf("rebuild_next_due_ms %.3f (warm %.3f)\n", next_due_ms, next_due_warm_ms);
    std::printf("rebuild_scheduler_armed_ms %.3f\n", armed_ms);
    std::printf("rss_before_open_mib %.1f\n", mib(rss_before_open));
    std::printf("rss_before_scheduler_mib %.1f\n", mib(rss_before_sched));
    std::printf("rss_scheduler_armed_mib %.1f\n", mib(rss_armed));

    // ---- (c): lateness, baseline then under intake load ------------------------------
    // The first 2W assignments (ids 1 to 2W) are moved into the two windows.
    const std::int64_t start_ms = to_unix_ms(sys.now()) + 1'000;
    const std::int64_t base_from = start_ms, base_to = start_ms + window_s * 1000;
    const std::int64_t load_from = base_to + gap_ms, load_to = load_from + window_s * 1000;
    auto moved = wait_for<std::size_t>([&](auto done) {
        db.write<std::size_t>(
            [=](storage::connection& c) -> result<std::size_t> {
                auto st = c.prepare("UPDATE assignments SET ack_due_at = ?2 WHERE id = ?1");
                if (!st) return std::move(st).err();
                for (std::size_t i = 0; i < 2 * window_n; ++i) {
                    const bool second = i >= window_n;
                    const std::size_t k = second ? i - window_n : i;
                    const std::int64_t from = second ? load_from : base_from;
                    const std::int64_t t = from + static_cast<std::int64_t>(k) * window_s * 1000 /
                                                      static_cast<std::int64_t>(window_n);
                    st->reset();
                    if (auto b = st->bind(1, static_cast<std::int64_t>(i + 1)); !b) return std::move(b).err();
                    if (auto b = st->bind(2, t); !b) return std::move(b).err();
                    if (auto x = st->run(); !x) return std::move(x).err();
                }
                return 2 * window_n;
            },
            std::move(done));
    });
    if (!moved) die("moving the window deadlines", moved.err());

    const auto baseline = run_window(db, *policy, log, base_from, base_to, window_n, nullptr);
    // Wait for the loaded window's start with the load already running for a
    // second, so the writer is busy when the first deadline falls due.
    while (to_unix_ms(sys.now()) < load_from - 1'000) std::this_thread::sleep_for(milliseconds(10));
    intake_load load(db, *triage, locator, cfg.routing, *policy, 32);
    const auto loaded = run_window(db, *policy, log, load_from, load_to, window_n, &load);

    print_window("baseline", baseline);
    print_window("intake", loaded);
    std::printf("intake_reports %llu in %.1f s (%.0f/s)\n", static_cast<unsigned long long>(loaded.intake_reports),
                loaded.intake_seconds,
                loaded.intake_seconds > 0 ? static_cast<double>(loaded.intake_reports) / loaded.intake_seconds : 0);
    opened->reset();
    std::printf("rss_peak_mib %.1f\n", mib(status_kib("VmHWM")));

    std::printf("\n%zu open deadlines: database open %.1f ms, first next_due %.3f ms, scheduler armed %.3f ms after "
                "start; RSS %.1f -> %.1f MiB with the scheduler armed, peak %.1f MiB\n",
                n, open_ms, next_due_ms, armed_ms, mib(rss_before_sched), mib(rss_armed), mib(status_kib("VmHWM")));
    std::printf("timer lateness over %ld s, %zu deadlines (committed - due): baseline p50 %.0f ms p99 %.0f ms max "
                "%.0f ms; under intake (%.0f reports/s) p50 %.0f ms p99 %.0f ms max %.0f ms\n",
                window_s, window_n, baseline.committed.p50, baseline.committed.p99, baseline.committed.max,
                loaded.intake_seconds > 0 ? static_cast<double>(loaded.intake_reports) / loaded.intake_seconds : 0,
                loaded.committed.p50, loaded.committed.p99, loaded.committed.max);
    return 0;
}
