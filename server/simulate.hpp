#pragma once
// `hotline simulate`: the real intake, routing, deadlines and escalation
// ladders, run on a temporary database with a simulated clock.
//
//   hotline simulate --reports N --ack-probability P --hours H [--seed S]
//                    [--contacts FILE --rosters FILE] [--start RFC3339]
//                    [--max-ack-delay F] [--config FILE]
//
// What a run does:
//   - creates a database in a fresh temporary directory (under $TMPDIR when
//     set, else /dev/shm when it exists, else the system's temporary
//     directory: nothing in it needs to survive a crash, so it may sit on
//     memory) and removes the directory at the end, also on failure;
//   - imports the directory from the two CSV files (default
//     deploy/demo/contacts.csv and deploy/demo/rosters.csv relative to the
//     working directory, the Lạng Sơn demo), exactly as `hotline import`
//     does;
//   - takes the deadline policy (ack limits, ladders, holidays), the routing
//     policy, the lexicon and the home province from the configuration file
//     (--config) or the defaults; the home province, when the configuration
//     has none, is the province most of the directory's units belong to;
//   - draws N arrival instants uniformly over [start, start + H hours) and,
//     for each, a report text from templates written for each urgency that
//     names a commune of the directory (its type, name and province), so that
//     the real classifier and locator give it its urgency and commune. Each
//     report is stored by database::insert_report with its classification
//     and a routing_request (the locator's answer on the text, the routing
//     policy, the deadline policy): the call the server makes for a report;
//   - runs the deadlines on a manual clock, jumping from one event to the
//     next: a report arriving, an acknowledgement, or storage::next_due,
//     whichever is earliest (at the same instant: arrivals, then
//     acknowledgements, then what falls due). What falls due is handled by
//     storage::run_due in one database::write, repeated while a run handles
//     a full batch: the calls and the batch size server::scheduler makes. The
//     scheduler class itself is not driven: it waits on a steady_timer and
//     has no observable idle point, so a simulation through it would have to
//     poll; its storage side is what decides every transition;
//   - gives every assignment that reaches a contact (the first ones and
//     those escalation makes) an acknowledgement with probability P, by its
//     assignee, after a delay drawn uniformly from [0, F × its ack limit)
//     (its ack_due_at − created_at; F = --max-ack-delay, default 2, so
//     about half of them come late), through storage::acknowledge with
//     channel "console". An acknowledgement refused (the report was already
//     acknowledged through another assignment) counts as not acknowledged;
//   - stops at start + H hours + the drain time: the longest ladder walked
//     to its end (every step's wait, every round) plus F times the longest
//     ack limit, so every ladder runs its course. Legal clocks are counted
//     as they stand then.
//
// Randomness: one std::mt19937_64 seeded with --seed (default 1), drawn in a
// fixed order, and a fixed key for tracking codes: the same flags give the
// same figures (the wall time aside).
//
// Output: a table, one line per urgency (the classifier's verdict) and a
// total, with: reports; assignments; acknowledged in time; acknowledged
// late; escalations (ladder steps assigned); ack breaches (assignment
// deadlines passed unacknowledged); reports still unacknowledged at the
// end; legal clocks breached (action within 12 h, plan within 5 working
// days). Then the simulated span and the wall time.
//
// Exit codes: 0 done; 1 failed (a file unreadable or invalid, storage);
// 2 bad flags or configuration, with a message naming the flag.
// Not thread-safe (one call at a time).

#include <array>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "server/config.hpp"

namespace hotline::server {

// The usage line of the command.
extern const std::string_view simulate_usage;

struct simulation_options {
    std::uint64_t reports = 0;        // --reports, 1 to 1,000,000
    double ack_probability = 0;       // --ack-probability, [0, 1]
    double hours = 0;                 // --hours, above 0, at most 8760
    std::uint64_t seed = 1;           // --seed
    std::string contacts_file = "deploy/demo/contacts.csv";  // --contacts
    std::string rosters_file = "deploy/demo/rosters.csv";    // --rosters
    // --start; default 2026-06-01T01:00:00Z (a Monday, 08:00 in Hanoi).
    time_point start = time_point(std::chrono::milliseconds(1780275600000));
    double max_ack_delay = 2.0;       // --max-ack-delay, F above, in (0, 10]
    std::optional<std::string> config_file;  // --config
};

// Parses the flags after "simulate". Errors: code `usage`, field the flag
// ("--reports", ...), message saying what is wrong with it; --reports,
// --ack-probability and --hours are required.
result<simulation_options> parse_simulation_args(const std::vector<std::string>& args);

// "2026-06-01T08:00:00+07:00", "2026-06-01T01:00:00Z", "...:00.250Z".
std::optional<time_point> parse_rfc3339(std::string_view s);

struct simulation_tally {
    std::uint64_t reports = 0;
    std::uint64_t reaching_contact = 0;    // reports whose first assignments include a contact
    std::uint64_t assignments = 0;
    std::uint64_t acknowledged_in_time = 0;
    std::uint64_t acknowledged_late = 0;
    std::uint64_t escalations = 0;          // `escalated` events
    std::uint64_t ack_breaches = 0;
    std::uint64_t unacknowledged = 0;       // reports not acknowledged at the end
    std::uint64_t legal_breaches = 0;       // action and plan clocks breached

    simulation_tally& operator+=(const simulation_tally& o) noexcept;
    friend bool operator==(const simulation_tally&, const simulation_tally&) = default;
};

struct simulation_result {
    std::array<simulation_tally, 4> by_urgency{};  // emergency, high, normal, low
    simulation_tally total;
    time_point start, end;            // the simulated span
    std::uint64_t acks_refused = 0;   // acknowledgements refused (superseded)
    std::uint64_t due_runs = 0;       // run_due writes
    double wall_seconds = 0;
};

// Runs the simulation of `o` with the configuration `cfg` (the file's or the
// defaults). Errors carry a message fit for the command line.
result<simulation_result> simulate(const simulation_options& o, const config& cfg);

// The table described above; the wall time only when `with_wall_time`.
std::string format_simulation(const simulation_result& r, bool with_wall_time = true);

// The whole command: flags, configuration, run, output.
int run_simulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hotline::server
