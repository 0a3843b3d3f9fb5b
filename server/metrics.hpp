#pragma once
// GET /metrics: the Prometheus text exposition format (version 0.0.4).
//
// From the database (storage::read_metrics, on a reader thread, counts only;
// the report counts from a storage::metrics_tally kept between scrapes, so a
// scrape reads only the events since the last one):
//   hotline_reports_total{channel,urgency}      gauge: reports by channel and the
//       urgency of their current classification ("unclassified" without one).
//       A gauge, not a counter: an override moves a report to another urgency,
//       so one series can go down; summed over urgency it only grows.
//   hotline_assignments_open                    gauge
//   hotline_ack_breaches_total                  counter: deadlines passed unacknowledged
//   hotline_escalations_total                   counter: ladder steps taken
//   hotline_legal_breaches_total{clock}         counter: clock="action" | "plan"
//   hotline_time_to_ack_seconds                 histogram over acknowledged
//       assignments (created -> acknowledged); le = 60, 300, 900, 1800, 3600,
//       14400, 86400, +Inf; _sum, _count
//   hotline_outbox_messages{state}              gauge: pending, sending, sent, failed
//   hotline_outbox_failures_total               counter: messages failed for good
//   hotline_outbox_undelivered_total            counter: sent, then reported undelivered
//   hotline_metrics_query_seconds               gauge: what those queries took
// From this process (registered with add(); totals since start):
//   hotline_db_commits_total, hotline_db_writes_total, and whatever the
//   server registers (dispatcher_counters, scheduler_counters).
//
// Access is open, like /healthz: the page holds aggregates only, never a
// name, a number, a code or a text. Deployments that do not want it public
// restrict the path at the reverse proxy.
//
// Thread-safety: render_metrics is pure; handle() may run concurrently once
// every add() is done (add() before serving).

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_server.hpp"
#include "server/log.hpp"
#include "storage/database.hpp"
#include "storage/views.hpp"

namespace hotline::server {

class dispatcher;
class scheduler;

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// A value the process keeps: one sample without labels.
struct process_metric {
    std::string name;             // hotline_..., [a-zA-Z_:][a-zA-Z0-9_:]*
    std::string help;
    std::string type = "counter";  // or "gauge"
    std::function<double()> value;  // called on the request's thread: must be thread-safe
};

// The exposition text: the database's figures, how long reading them took,
// then `process` in order.
std::string render_metrics(const storage::metrics_counts& counts, double query_seconds,
                           const std::vector<process_metric>& process);

// The in-process totals of the outbox dispatcher and of the deadline
// scheduler; both must outlive whatever renders them.
std::vector<process_metric> dispatcher_metrics(const dispatcher& d);
std::vector<process_metric> scheduler_metrics(const scheduler& s);

class metrics_endpoint {
public:
    // `db` and `log` must outlive the object.
    metrics_endpoint(storage::database& db, logger& log);

    // Adds process metrics; before the server serves.
    void add(std::vector<process_metric> more);

    // GET or HEAD /metrics. Sets ctx.route.
    boost::asio::awaitable<response> handle(request& req, request_context& ctx) const;

private:
    // The events read so far; one scrape updates it at a time.
    struct tally_state {
        std::mutex mutex;
        storage::metrics_tally tally;
    };

    storage::database& db_;
    logger& log_;
    std::vector<process_metric> process_;
    std::shared_ptr<tally_state> tally_ = std::make_shared<tally_state>();
};

}  // namespace hotline::server
