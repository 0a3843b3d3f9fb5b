#include "server/metrics.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <utility>

#include "server/detail/await.hpp"
#include "server/dispatcher.hpp"
#include "server/responses.hpp"
#include "server/scheduler.hpp"

namespace hotline::server {

namespace asio = boost::asio;
using asio::awaitable;
using detail::await_storage;

namespace {

// A label value between quotes: backslash, quote and newline escaped.
std::string label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (const char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
    return out;
}

// Integers as integers, other values with enough digits to round-trip.
std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<std::int64_t>(v));
    return fmt::format("{}", v);
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, std::string_view name, std::string_view labels, double v) {
    if (labels.empty())
        fmt::format_to(std::back_inserter(out), "{} {}\n", name, number(v));
    else
        fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, number(v));
}

}  // namespace

std::string render_metrics(const storage::metrics_counts& m, double query_seconds,
                           const std::vector<process_metric>& process) {
    std::string out;
    out.reserve(4096);
    header(out, "hotline_reports_total", "gauge",
           "Reports received, by channel and the urgency of their current classification.");
    for (const auto& r : m.reports)
        sample(out, "hotline_reports_total",
               fmt::format("channel=\"{}\",urgency=\"{}\"", label_value(r.channel), label_value(r.urgency)),
               static_cast<double>(r.count));
    header(out, "hotline_assignments_open", "gauge", "Assignments waiting for acknowledgement.");
    sample(out, "hotline_assignments_open", {}, static_cast<double>(m.assignments_open));
    header(out, "hotline_ack_breaches_total", "counter", "Acknowledgement deadlines that passed unacknowledged.");
    sample(out, "hotline_ack_breaches_total", {}, static_cast<double>(m.ack_breaches));
    header(out, "hotline_escalations_total", "counter", "Escalation ladder steps taken.");
    sample(out, "hotline_escalations_total", {}, static_cast<double>(m.escalations));
    header(out, "hotline_legal_breaches_total", "counter",
           "Legal clocks breached: action within 12 hours, plan within 5 working days.");
    sample(out, "hotline_legal_breaches_total", "clock=\"action\"", static_cast<double>(m.action_breaches));
    sample(out, "hotline_legal_breaches_total", "clock=\"plan\"", static_cast<double>(m.plan_breaches));
    header(out, "hotline_time_to_ack_seconds", "histogram",
           "Time from assignment to acknowledgement of acknowledged assignments.");
    for (std::size_t i = 0; i < storage::time_to_ack_bounds.size(); ++i)
        sample(out, "hotline_time_to_ack_seconds_bucket",
               fmt::format("le=\"{}\"", storage::time_to_ack_bounds[i]), static_cast<double>(m.ack_buckets[i]));
    sample(out, "hotline_time_to_ack_seconds_bucket", "le=\"+Inf\"", static_cast<double>(m.ack_count));
    sample(out, "hotline_time_to_ack_seconds_sum", {}, m.ack_seconds_sum);
    sample(out, "hotline_time_to_ack_seconds_count", {}, static_cast<double>(m.ack_count));
    header(out, "hotline_outbox_messages", "gauge", "Outbox messages by state.");
    for (std::size_t i = 0; i < storage::outbox_states.size(); ++i)
        sample(out, "hotline_outbox_messages", fmt::format("state=\"{}\"", storage::outbox_states[i]),
               static_cast<double>(m.outbox[i]));
    header(out, "hotline_outbox_failures_total", "counter", "Outbox messages that failed for good.");
    sample(out, "hotline_outbox_failures_total", {}, static_cast<double>(m.outbox[3]));
    header(out, "hotline_outbox_undelivered_total", "counter", "Messages sent, then reported undelivered.");
    sample(out, "hotline_outbox_undelivered_total", {}, static_cast<double>(m.outbox_undelivered));
    header(out, "hotline_metrics_query_seconds", "gauge", "Time the database queries of this scrape took.");
    sample(out, "hotline_metrics_query_seconds", {}, query_seconds);
    for (const auto& p : process) {
        header(out, p.name, p.type, p.help);
        sample(out, p.name, {}, p.value ? p.value() : 0.0);
    }
    return out;
}

std::vector<process_metric> dispatcher_metrics(const dispatcher& d) {
    return {
        {"hotline_dispatcher_sent_total", "Messages the dispatcher sent since start.", "counter",
         [&d] { return static_cast<double>(d.sent()); }},
        {"hotline_dispatcher_retries_total", "Sends the dispatcher will retry, since start.", "counter",
         [&d] { return static_cast<double>(d.retried()); }},
        {"hotline_dispatcher_failures_total", "Messages the dispatcher failed for good since start.", "counter",
         [&d] { return static_cast<double>(d.failed()); }},
    };
}

std::vector<process_metric> scheduler_metrics(const scheduler& s) {
    return {
        {"hotline_scheduler_runs_total", "Deadline runs committed since start.", "counter",
         [&s] { return static_cast<double>(s.runs()); }},
        {"hotline_scheduler_items_total", "Breaches, reminders and legal clocks handled since start.", "counter",
         [&s] { return static_cast<double>(s.handled()); }},
    };
}

metrics_endpoint::metrics_endpoint(storage::database& db, logger& log) : db_(db), log_(log) {
    process_.push_back({"hotline_db_commits_total", "Group commits since start.", "counter",
                        [&db] { return static_cast<double>(db.commits()); }});
    process_.push_back({"hotline_db_writes_total", "Writes committed since start.", "counter",
                        [&db] { return static_cast<double>(db.writes_committed()); }});
    process_.push_back({"hotline_db_checkpoints_total", "WAL checkpoints since start.", "counter",
                        [&db] { return static_cast<double>(db.checkpoints()); }});
    process_.push_back({"hotline_db_checkpoint_failures_total",
                        "WAL checkpoints that failed since start (the WAL grows while they do).", "counter",
                        [&db] { return static_cast<double>(db.checkpoint_failures()); }});
}

void metrics_endpoint::add(std::vector<process_metric> more) {
    for (auto& p : more) process_.push_back(std::move(p));
}

awaitable<response> metrics_endpoint::handle(request& req, request_context& ctx) const {
    ctx.route = "GET /metrics";
    if (req.method() != http::verb::get && req.method() != http::verb::head)
        co_return method_not_allowed(req.method_string(), "GET");
    struct timed {
        storage::metrics_counts counts;
        double seconds = 0;
    };
    auto read = co_await await_storage<timed>([&](auto done) {
        db_.read<timed>(
            [state = tally_](storage::connection& c) -> result<timed> {
                const auto start = std::chrono::steady_clock::now();
                const std::lock_guard lock(state->mutex);
                auto m = storage::read_metrics(c, state->tally);
                if (!m) return std::move(m).err();
                const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
                return timed{std::move(*m), took.count()};
            },
            std::move(done));
    });
    if (!read) {
        log_.error("metrics_not_read", {{"code", read.err().code}, {"message", read.err().message}});
        co_return error_response(http::status::service_unavailable, "unavailable",
                                 "the metrics could not be read from the database");
    }
    co_return text_response(http::status::ok, render_metrics(read->counts, read->seconds, process_),
                            metrics_content_type);
}

}  // namespace hotline::server
