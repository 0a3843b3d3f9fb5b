// The composition root: `hotline serve | migrate | classify | import | export | simulate | version`.
//
// Configuration is read once here and passed by reference; nothing else in
// the program reads files for settings or the environment.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <csignal>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "intake/clock.hpp"
#include "intake/tracking_code.hpp"
#include "routing/locate.hpp"
#include "routing/time.hpp"
#include "server/app.hpp"
#include "server/config.hpp"
#include "server/directory_cli.hpp"
#include "server/dispatcher.hpp"
#include "server/scheduler.hpp"
#include "server/senders.hpp"
#include "server/http_server.hpp"
#include "server/keys.hpp"
#include "server/locate_cli.hpp"
#include "server/log.hpp"
#include "server/simulate.hpp"
#include "server/token_cli.hpp"
#include "server/triage.hpp"
#include "server/units.hpp"
#include "storage/database.hpp"

namespace {

namespace asio = boost::asio;
using namespace hotline;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

constexpr std::string_view usage_text =
    "usage: hotline serve   [--config FILE] [--listen ADDR:PORT] [--db PATH] [--port-file FILE]\n"
    "                       [--clock-start RFC3339]\n"
    "       hotline migrate [--config FILE] [--db PATH]\n"
    "       hotline classify [--lexicon FILE]   < JSON lines {\"id\",\"text\"}\n"
    "       hotline locate [--home-province CODE]   < JSON lines {\"id\",\"text\"}\n"
    "       hotline import contacts|rosters FILE [--config FILE] [--db PATH]\n"
    "       hotline export contacts|rosters [--config FILE] [--db PATH]\n"
    "       hotline simulate --reports N --ack-probability P --hours H [--seed S]\n"
    "                        [--contacts FILE --rosters FILE] [--start RFC3339] [--max-ack-delay F] [--config FILE]\n"
    "       hotline token create --contact KEY [--label TEXT] [--config FILE | --db PATH]\n"
    "       hotline token revoke --contact KEY [--config FILE | --db PATH]\n"
    "       hotline version\n";

struct options {
    std::optional<std::string> config_file;
    std::optional<std::string> listen;
    std::optional<std::string> db;
    std::optional<std::string> port_file;
    // Tests and drills: the server's clock starts at this instant (RFC 3339)
    // and runs at real speed from there.
    std::optional<std::string> clock_start;
};

// Parses "--flag VALUE" pairs; refuses flags the subcommand does not take.
std::optional<options> parse_options(const std::vector<std::string>& args, bool serve_flags) {
    options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::optional<std::string>* target = nullptr;
        if (a == "--config") target = &o.config_file;
        else if (a == "--db") target = &o.db;
        else if (serve_flags && a == "--listen") target = &o.listen;
        else if (serve_flags && a == "--port-file") target = &o.port_file;
        else if (serve_flags && a == "--clock-start") target = &o.clock_start;
        if (!target || i + 1 >= args.size()) {
            std::cerr << fmt::format("hotline: {} {}\n", target ? "missing value for" : "unknown option", a)
                      << usage_text;
            return std::nullopt;
        }
        *target = args[++i];
    }
    return o;
}

// The configuration: file (if any) over the defaults, then the flags.
std::optional<server::config> build_config(const options& o) {
    server::config cfg;
    if (o.config_file) {
        auto loaded = server::load_config(*o.config_file);
        if (!loaded) {
            std::cerr << fmt::format("hotline: invalid configuration {}: {}\n", *o.config_file, loaded.err().message);
            return std::nullopt;
        }
        cfg = std::move(*loaded);
    }
    if (o.listen) {
        if (auto r = server::apply_listen(cfg, *o.listen); !r) {
            std::cerr << fmt::format("hotline: --listen: {}\n", r.err().message);
            return std::nullopt;
        }
    }
    if (o.db) cfg.db_path = *o.db;
    return cfg;
}

// The classifier, or a message on stderr naming the file and line at fault.
std::optional<server::triage> build_triage(const std::string& lexicon_path) {
    auto t = server::load_triage(lexicon_path);
    if (!t) {
        std::cerr << fmt::format("hotline: invalid lexicon: {}\n", t.err().message);
        return std::nullopt;
    }
    return std::move(*t);
}

// Every INSERT into a table with a CHECK (x IN (a, b, c)) (reports,
// sms_messages, outbox) makes SQLite build an ephemeral b-tree for the list
// and free its pages when the statement ends. With glibc's default trim
// threshold (128 KiB) that free often hands the top of the writer's heap back
// to the kernel (madvise) and the next statement faults it back in: a third
// of the writer's time under load. Keeping a few MiB of free heap avoids it.
// A process-wide setting, so it is made here, in the composition root.
void keep_freed_heap() {
#if defined(__GLIBC__)
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
#endif
}

// The outbox channel of SMS notifications (config.hpp, notify_sms_channel):
// as configured, else Twilio when it can send, else the Android gateway when
// it can, else none.
std::string notification_sms_channel(const server::config& cfg) {
    if (!cfg.notify_sms_channel.empty()) return cfg.notify_sms_channel;
    if (!cfg.twilio_account_sid.empty()) return "twilio_sms";
    if (!cfg.android_send_url.empty()) return "android_sms";
    return {};
}

// Who is told about new assignments and reminders, and how. `units` and
// `codec` are borrowed for the server's life.
storage::notification_policy notification_policy_of(const server::config& cfg, const intake::secret_key& master,
                                                    const routing::unit_catalog& units,
                                                    const intake::tracking_codec& codec) {
    storage::notification_policy p;
    p.sms_channel = notification_sms_channel(cfg);
    p.webhook_enabled = !cfg.webhook_signing_secret.empty();
    p.public_base_url = cfg.public_base_url;
    p.link_lifetime = cfg.ack_link_lifetime;
    p.link_key = intake::derive_key(master, "ack-link");
    p.units = &units;
    p.codec = &codec;
    return p;
}

storage::options storage_options(const server::config& cfg) {
    storage::options s;
    s.path = cfg.db_path;
    s.read_connections = cfg.read_connections;
    s.max_batch = cfg.max_batch;
    s.checkpoint_frames = cfg.checkpoint_frames;
    return s;
}

int serve(const options& o) {
    const auto cfg_opt = build_config(o);
    if (!cfg_opt) return exit_usage;
    if (o.clock_start && !routing::parse_rfc3339(*o.clock_start)) {
        std::cerr << fmt::format("hotline: --clock-start: \"{}\" is not an RFC 3339 instant "
                                 "(2026-11-29T09:00:00+07:00)\n",
                                 *o.clock_start);
        return exit_usage;
    }
    const server::config& cfg = *cfg_opt;
    // Refused before anything is opened: a malformed lexicon is a configuration error.
    const auto triage = build_triage(cfg.triage_lexicon);
    if (!triage) return exit_usage;
    // The holidays file is read before anything is opened, like the lexicon.
    // Completed with the notification policy once the key is loaded.
    auto deadline_policy = server::load_deadline_policy(cfg);
    if (!deadline_policy) {
        std::cerr << fmt::format("hotline: invalid configuration: {}\n", deadline_policy.err().message);
        return exit_usage;
    }
    // The units are built into the binary: failing to load them is a broken
    // build, found before anything is opened.
    const auto units = server::load_builtin_units();
    if (!units) {
        std::cerr << fmt::format("hotline: the built-in administrative units do not load: {}\n", units.err().message);
        return exit_failure;
    }
    if (!cfg.home_province.empty() && !units->find_province(cfg.home_province)) {
        std::cerr << fmt::format("hotline: invalid configuration: routing.home_province \"{}\" is not the code of "
                                 "a current province\n",
                                 cfg.home_province);
        return exit_usage;
    }
    // Built once: every new report is located with it and routed by
    // cfg.routing (checked when the configuration was read).
    const routing::locator locator(*units, cfg.home_province);

    // The wall clock, or with --clock-start one that starts at the given
    // instant (a deadline can then be reached without waiting for it).
    hotline::system_clock wall_clock;
    std::optional<hotline::started_clock> test_clock;
    if (o.clock_start) test_clock.emplace(*routing::parse_rfc3339(*o.clock_start));
    const hotline::clock& clock = test_clock ? static_cast<const hotline::clock&>(*test_clock) : wall_clock;
    server::logger log(cfg.level, clock, std::cerr);
    // Past the holidays file's years, the working days skip weekends only.
    if (const auto year = std::chrono::year_month_day(routing::vietnam_day(clock.now())).year();
        !deadline_policy->calendar.covers(year))
        log.warn("holidays_not_covered", {{"year", static_cast<int>(year)}});

    const auto master = server::load_or_create_key(cfg.key_file);
    if (!master) {
        log.error("startup_failed", {{"message", master.err().message}});
        return exit_failure;
    }
    const intake::tracking_codec codec(intake::derive_key(*master, "tracking-code"));
    deadline_policy->notifications = notification_policy_of(cfg, *master, *units, codec);
    keep_freed_heap();
    auto db = storage::database::open(storage_options(cfg), codec);
    if (!db) {
        log.error("startup_failed", {{"message", db.err().message}});
        return exit_failure;
    }

    asio::io_context ioc(cfg.threads);

    // Outgoing HTTPS (gateways) verifies peers against the system's CA store.
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);

    // The dispatcher and the scheduler wake each other: a notification that
    // failed for good makes its assignment due now (the scheduler calls the
    // next step), and a scheduler run writes notifications (the dispatcher
    // sends them). The scheduler is built after the dispatcher, so the
    // dispatcher reaches it through this pointer, set before either starts.
    server::scheduler* scheduler_of_deadlines = nullptr;
    server::dispatcher_options dopts;
    dopts.backoff_base = cfg.outbox_backoff_base;
    dopts.backoff_max = cfg.outbox_backoff_max;
    dopts.max_attempts = cfg.outbox_max_attempts;
    dopts.on_deadline_moved = [&scheduler_of_deadlines] {
        if (scheduler_of_deadlines) scheduler_of_deadlines->notify();
    };
    server::dispatcher outbox(ioc, **db, clock, log, dopts);
    if (!cfg.android_send_url.empty())
        outbox.add_sender("android_sms", server::make_android_sender(cfg.android_send_url, cfg.android_username,
                                                                      cfg.android_password, tls));
    if (!cfg.twilio_account_sid.empty() && !cfg.twilio_auth_tokens.empty()) {
        server::twilio_sender_options t;
        t.api_base_url = cfg.twilio_api_base_url;
        t.account_sid = cfg.twilio_account_sid;
        t.auth_token = cfg.twilio_auth_tokens.front();
        t.from = cfg.twilio_from;
        t.status_callback_url = cfg.public_base_url + "/webhooks/sms/twilio/status";
        outbox.add_sender("twilio_sms", server::make_twilio_sender(std::move(t), tls, log));
    }
    if (!cfg.webhook_signing_secret.empty())
        outbox.add_sender("webhook", server::make_webhook_sender(cfg.webhook_signing_secret, clock, tls));

    // Deadlines and escalation: one timer for the earliest due deadline,
    // rebuilt from the database now, so what fell due while the server was
    // down is handled at once. A run that escalated or reminded wrote
    // notifications: the dispatcher looks at once.
    server::scheduler_options sopts;
    sopts.on_run = [&outbox](const storage::due_outcome&) { outbox.notify(); };
    server::scheduler deadlines(ioc, **db, clock, log, *deadline_policy, std::move(sopts));
    scheduler_of_deadlines = &deadlines;

    server::app application(
        cfg, log, clock, **db, codec, *master, *triage, *units, locator, [&outbox] { outbox.notify(); },
        [&log, &deadlines](const storage::sms_outcome& o) {
            log.info("acknowledgement_received",
                     {{"sms_id", o.message_id},
                      {"report_id", o.report_id ? static_cast<std::int64_t>(*o.report_id) : -1},
                      {"contact_id", o.contact_id ? static_cast<std::int64_t>(*o.contact_id) : -1},
                      {"assignment_id",
                       o.acknowledged_assignment ? static_cast<std::int64_t>(*o.acknowledged_assignment) : -1}});
            // Deadlines of the acknowledged report stopped: the timer may
            // now point at nothing; the scheduler looks again.
            if (o.acknowledged_assignment) deadlines.notify();
        },
        &*deadline_policy,
        // A stored or routed report may have an earlier deadline and new
        // notifications; a delivery report may have made an assignment due.
        [&deadlines, &outbox] {
            deadlines.notify();
            outbox.notify();
        },
        [&deadlines](time_point due) { deadlines.notify_due(due); });
    application.add_metrics(server::dispatcher_metrics(outbox));
    application.add_metrics(server::scheduler_metrics(deadlines));
    server::http_server http(ioc, cfg, log, [&application](server::request& req, server::request_context& ctx) {
        return application.handle(req, ctx);
    });
    if (auto r = http.listen(); !r) {
        log.error("startup_failed", {{"message", r.err().message}});
        return exit_failure;
    }
    if (o.port_file) {
        // Written whole under a temporary name, then renamed: a reader never sees half a number.
        const std::string tmp = *o.port_file + ".tmp";
        { std::ofstream(tmp) << http.port() << '\n'; }
        std::rename(tmp.c_str(), o.port_file->c_str());
    }

    // The signal handler, the forced-stop timer and its cancellation share one
    // strand: otherwise the cancel posted when the last connection drains can
    // run on another thread before the handler has armed the timer, which
    // then waits its full time (and both threads touch the timer at once).
    auto control = asio::make_strand(ioc);
    asio::signal_set signals(control, SIGINT, SIGTERM);
    asio::steady_timer deadline(control);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log.info("shutdown_started", {{"signal", sig}, {"connections", http.connections()}});
        http.shutdown();
        deadline.expires_after(cfg.shutdown_timeout);
        deadline.async_wait([&](const boost::system::error_code& dec) {
            if (dec) return;
            log.warn("shutdown_forced", {{"connections", http.connections()}});
            ioc.stop();
        });
    });
    // Once the last connection is done, the dispatcher finishes the send in
    // progress; then nothing keeps the io_context running.
    http.on_drained([&] {
        asio::post(ioc, [&] {
            outbox.stop([&] {
                deadlines.stop([&] {
                    asio::post(control, [&] {
                        deadline.cancel();
                        signals.cancel();
                    });
                });
            });
        });
    });
    http.start();
    outbox.start();
    deadlines.start();
    log.info("listening", {{"address", cfg.listen_address},
                           {"port", http.port()},
                           {"threads", cfg.threads},
                           {"lexicon", triage->lexicon},
                           {"communes", units->communes().size()},
                           {"notify_sms_channel", deadline_policy->notifications.sms_channel},
                           {"notify_webhooks", deadline_policy->notifications.webhook_enabled},
                           {"database", cfg.db_path}});

    std::vector<std::thread> threads;
    for (int i = 1; i < cfg.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : threads) t.join();

    // Destroying the database commits every write still queued before exit.
    db->reset();
    log.info("shutdown_complete");
    return exit_ok;
}

int migrate(const options& o) {
    const auto cfg = build_config(o);
    if (!cfg) return exit_usage;
    auto v = storage::migrate(cfg->db_path);
    if (!v) {
        std::cerr << fmt::format("hotline: migration failed: {}\n", v.err().message);
        return exit_failure;
    }
    std::cout << fmt::format("{}: schema version {}\n", cfg->db_path, *v);
    return exit_ok;
}

// `hotline classify`: one JSON line out per line in. A line that is a JSON
// object with a string "text" is classified with its "id" (the line number
// when it has none); any other line is itself the text, with the line
// number as id. Blank lines are skipped.
int classify(const std::vector<std::string>& args) {
    std::string lexicon;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--lexicon" && i + 1 < args.size()) {
            lexicon = args[++i];
            if (lexicon.empty()) {
                std::cerr << "hotline: --lexicon needs a file name\n" << usage_text;
                return exit_usage;
            }
            continue;
        }
        std::cerr << fmt::format("hotline: {} {}\n", args[i] == "--lexicon" ? "missing value for" : "unknown option",
                                 args[i])
                  << usage_text;
        return exit_usage;
    }
    const auto triage = build_triage(lexicon);
    if (!triage) return exit_usage;

    std::ios::sync_with_stdio(false);
    std::string line;
    std::string out;
    std::uint64_t number = 0;
    while (std::getline(std::cin, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        boost::json::value id = static_cast<std::int64_t>(number);
        std::string text;
        bool taken = false;
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (!ec && v.is_object()) {
            const auto& o = v.as_object();
            if (const auto* t = o.if_contains("text"); t && t->is_string()) {
                text = std::string(t->as_string());
                if (const auto* i = o.if_contains("id")) id = *i;
                taken = true;
            }
        }
        if (!taken) text = line;
        auto obj = server::classification_json(triage->classifier.classify(text));
        boost::json::object row;
        row["id"] = std::move(id);
        for (auto& kv : obj) row[kv.key()] = std::move(kv.value());
        out = boost::json::serialize(row);
        out += '\n';
        std::cout << out;
    }
    std::cout.flush();
    return std::cout ? exit_ok : exit_failure;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << usage_text;
        return exit_usage;
    }
    const std::string cmd = args.front();
    args.erase(args.begin());
    if (cmd == "version" || cmd == "--version") {
        std::cout << fmt::format("hotline {} (schema {})\n", HOTLINE_VERSION, storage::latest_schema_version());
        return exit_ok;
    }
    if (cmd == "serve" || cmd == "migrate") {
        const auto o = parse_options(args, cmd == "serve");
        if (!o) return exit_usage;
        try {
            return cmd == "serve" ? serve(*o) : migrate(*o);
        } catch (const std::exception& e) {
            std::cerr << fmt::format("hotline: fatal: {}\n", e.what());
            return exit_failure;
        }
    }
    if (cmd == "import" || cmd == "export") {
        // contacts|rosters [FILE] among the usual --config and --db flags.
        std::vector<std::string> words, flags;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (!args[i].starts_with("--")) {
                words.push_back(args[i]);
                continue;
            }
            flags.push_back(args[i]);
            if (i + 1 < args.size()) flags.push_back(args[++i]);
        }
        const auto o = parse_options(flags, false);
        if (!o) return exit_usage;
        const auto cfg = build_config(*o);
        if (!cfg) return exit_usage;
        try {
            return cmd == "import" ? server::run_import(words, cfg->db_path, std::cout, std::cerr)
                                   : server::run_export(words, cfg->db_path, std::cout, std::cerr);
        } catch (const std::exception& e) {
            std::cerr << fmt::format("hotline: fatal: {}\n", e.what());
            return exit_failure;
        }
    }
    if (cmd == "token") {
        // create|revoke and its own flags, among the usual --config and --db.
        std::vector<std::string> words, flags;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "--config" || args[i] == "--db") {
                flags.push_back(args[i]);
                if (i + 1 < args.size()) flags.push_back(args[++i]);
                continue;
            }
            words.push_back(args[i]);
        }
        const auto o = parse_options(flags, false);
        if (!o) return exit_usage;
        const auto cfg = build_config(*o);
        if (!cfg) return exit_usage;
        try {
            const hotline::system_clock wall;
            return server::run_token(words, cfg->db_path, wall, std::cout, std::cerr);
        } catch (const std::exception& e) {
            std::cerr << fmt::format("hotline: fatal: {}\n", e.what());
            return exit_failure;
        }
    }
    if (cmd == "locate") return server::run_locate(args, std::cin, std::cout, std::cerr);
    if (cmd == "simulate") {
        try {
            return server::run_simulate(args, std::cout, std::cerr);
        } catch (const std::exception& e) {
            std::cerr << fmt::format("hotline: fatal: {}\n", e.what());
            return exit_failure;
        }
    }
    if (cmd == "classify") {
        try {
            return classify(args);
        } catch (const std::exception& e) {
            std::cerr << fmt::format("hotline: fatal: {}\n", e.what());
            return exit_failure;
        }
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
        std::cout << usage_text;
        return exit_ok;
    }
    std::cerr << fmt::format("hotline: unknown command \"{}\"\n", cmd) << usage_text;
    return exit_usage;
}
