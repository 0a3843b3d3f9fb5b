#pragma once
// The durable store: one SQLite file in WAL mode with synchronous=FULL and
// foreign keys on.
//
// Writes go through a single writer thread that practises group commit: it
// takes every write waiting at that moment (up to `max_batch`), runs them in
// one BEGIN IMMEDIATE ... COMMIT, and only after COMMIT has returned does it
// call each write's completion. A completion therefore never reports success for
// data that is not durable. If COMMIT fails, every write of that batch
// completes with `storage_failure`. A failing write is rolled back alone:
// when one fails, the transaction is rolled back and the batch runs again
// with each write inside its own SAVEPOINT (savepoints cost time, so a batch
// in which nothing fails runs without them). A write job may therefore run
// twice; only its last run counts.
//
// Reads run on a small pool of threads, each with its own read-only
// connection; they never block the writer (WAL).
//
// Checkpoints (copying the WAL back into the database file) run mostly on
// their own thread with their own connection, so the writer spends little of
// a batch's time on them: after a commit that leaves at least
// `checkpoint_frames` frames in the WAL, that thread runs a PASSIVE
// checkpoint, which neither waits for nor blocks the writer. Once the WAL is
// half again past that, the writer copies the few frames still left after a
// commit, so that its next batch starts the WAL over: under a steady stream of
// commits the WAL would otherwise never be reset, and would grow without end.
//
// Completions are called on the writer or reader thread. Callers that live on
// an event loop post back to it; completions must not block, and must not
// destroy the database. Work handed over once destruction has begun is
// refused: its completion is called at once, on the caller's thread, with
// error code `shutting_down`.
//
// Thread-safety: every public member may be called from any thread.
// Destruction stops accepting new work, finishes every write already queued
// (committed, completions called), then joins the threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/classify.hpp"
#include "intake/clock.hpp"
#include "intake/report.hpp"
#include "intake/result.hpp"
#include "intake/tracking_code.hpp"
#include "storage/assignments.hpp"
#include "storage/sms.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

struct options {
    std::string path = "var/hotline.db";
    int read_connections = 2;                      // reader threads, each with one connection
    std::size_t max_batch = 256;                   // writes per group commit at most
    int checkpoint_frames = 1000;                  // WAL frames (pages) that start a checkpoint, >= 1
    std::chrono::milliseconds busy_timeout{5000};  // sqlite3_busy_timeout for every connection
};

// The latest schema version; `user_version` of a migrated database.
int latest_schema_version() noexcept;

// Opens (creating if needed) the database at `path` and applies every pending
// migration, each in its own transaction. Returns the resulting version.
// Used by `hotline migrate` and by database::open.
result<int> migrate(const std::string& path);

enum class report_state { received, routed, acknowledged, in_progress, closed, unrouted };
std::string_view to_string(report_state s) noexcept;

// The classifier's verdict on a new report, stored as the report's
// `classified` event (actor "triage") in the same write as the report, with
// data {"urgency", "categories": [...], "track", "evidence": [{"rule",
// "match"}...], "score", "lexicon"}.
struct classification_event {
    intake::classification result;
    std::string lexicon;  // which lexicon decided: its version or a hash of it
};

// A person's correction of a report's classification: a new event
// `classification_overridden` with actor `by` and data {"urgency",
// "categories": [...], "track", "reason"}. The earlier events stay as they
// are (events are append-only).
struct classification_override {
    std::uint64_t report_id = 0;
    intake::urgency level = intake::urgency::normal;
    std::vector<std::string> categories;
    intake::legal_track track = intake::legal_track::standard_5wd;
    std::string reason;
    std::string by;
    time_point at;
    // When set, the report's deadlines follow the new classification in the
    // same write (storage/legal_clocks.hpp reapply_deadlines). Borrowed.
    const deadline_policy* deadlines = nullptr;
};

// One `classified` or `classification_overridden` event of a report.
struct classification_entry {
    std::uint64_t event_id = 0;
    std::string kind;   // "classified" | "classification_overridden"
    std::string actor;  // "triage", or who overrode it
    time_point at;
    std::string data;   // the event's data, a JSON object as described above
};

struct new_report {
    intake::report data;
    intake::channel channel = intake::channel::api;
    time_point received_at;
    intake::secret_hash secret;
    // When set, the write is idempotent on this key (already scoped by the
    // caller, e.g. "api:<Idempotency-Key>"): a second write with the same key
    // and the same request_hash returns the first report (replayed = true); with
    // a different request_hash it fails with code `idempotency_conflict`.
    std::optional<std::string> idempotency_key;
    std::string request_hash;   // hex digest of the canonical request, when keyed
    // When set, the `classified` event is written with the report (after its
    // `received` event), in the same transaction. Not written on a replay.
    std::optional<classification_event> classification;
    // When set, the report is routed in the same write (storage/assignments.hpp):
    // by the classification's urgency and categories (normal and none
    // without one), events `located` and `routed` after `classified`, its
    // assignments, its resolved commune and province, and state `routed` or
    // `unrouted` instead of `received`; with routing->deadlines, the
    // assignments' acknowledgement deadlines and the report's legal clocks
    // (action_due_at / plan_due_at by the classification's track, the
    // standard track without one). A routing error fails the write.
    // Not done on a replay.
    std::optional<routing_request> routing;
};

struct receipt {
    std::uint64_t id = 0;
    std::string tracking_code;  // 8 characters, ungrouped
    time_point received_at;
    bool replayed = false;      // true when an idempotent replay returned an earlier report
    // What waits on this write (nothing on a replay): the earliest deadline it
    // set (an assignment's acknowledgement or reminder, or a legal clock), for
    // the scheduler, and whether it put messages in the outbox, for the
    // dispatcher.
    std::optional<time_point> earliest_due;
    bool queued_messages = false;
};

struct report_record {
    std::uint64_t id = 0;
    std::string tracking_code;
    intake::channel channel = intake::channel::api;
    time_point received_at;
    report_state state = report_state::received;
    intake::report data;
    intake::secret_hash secret;
    std::optional<std::string> commune_code;   // resolved by routing, null while unknown
    std::optional<std::string> province_code;
};

// What a reporter may learn about their report: no names, no internals.
struct report_status {
    report_state state = report_state::received;
    time_point received_at;
    bool forwarded = false;      // the report is assigned to a contact of a commune role
    bool acknowledged = false;   // somebody acknowledged it
};

template <class T>
using completion = std::function<void(result<T>)>;

// Starts a database call with a completion and blocks the calling thread
// until it completes: for command-line tools, benchmarks and tests, never
// on an I/O thread. `start` is called with the completion,
// e.g. [&](auto done) { db.write<T>(job, std::move(done)); }.
template <class T, class Start>
result<T> wait_for(Start start) {
    std::promise<result<T>> p;
    auto f = p.get_future();
    start([&p](result<T> r) { p.set_value(std::move(r)); });
    return f.get();
}

class database {
public:
    // Opens the file, applies migrations, starts the writer and the readers.
    // The codec turns the row id assigned by the writer into the tracking code.
    static result<std::unique_ptr<database>> open(const options& opts,
                                                  const intake::tracking_codec& codec);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    // Stores the report and its `received` event in one group-committed write.
    // The writer assigns the row id (increasing; a write rolled back within a
    // batch leaves a gap) and the tracking code `codec.encode(id)`. Fails with `idempotency_conflict`
    // (see new_report), `storage_failure` or `shutting_down`.
    void insert_report(new_report r, completion<receipt> done);

    // Stores an incoming SMS and applies what it means (storage/sms.hpp,
    // intake::decide_sms), in one group-committed write: the sms_messages
    // row; a new report (channel sms, the body as text, the sender as
    // reporter_phone) with its `received` event, plus `linked` when the
    // number wrote an earlier report; or a location (`location_added`) or
    // detail (`detail_added`) added to the number's open report; or the
    // number's opt-out; or an officer's `acknowledgement_received` event; the
    // sender's conversation state; and, when `o.outbox_channel` is set and
    // there is a reply, the reply's outbox row. A message already stored
    // under the same (provider, provider_message_id) changes nothing and
    // completes with the first outcome, `replayed` set. Fails with
    // `storage_failure` or `shutting_down`.
    void receive_sms(inbound_sms m, sms_options o, completion<sms_outcome> done);
    // The same; when the message creates a new report (and only then: not
    // for a location, a detail, an acknowledgement or a replay), its
    // `classified` event is written with it. `classification` is the
    // verdict on m.body, which becomes the report's text.
    void receive_sms(inbound_sms m, sms_options o, std::optional<classification_event> classification,
                     completion<sms_outcome> done);
    // The same, routed (see new_report::routing): `routing.location` is where
    // m.body places the report. A new report is routed with it; a location
    // added to an open report that has no commune yet is located, and routed
    // again when it finds one (detail::route_late_location).
    void receive_sms(inbound_sms m, sms_options o, std::optional<classification_event> classification,
                     std::optional<routing_request> routing, completion<sms_outcome> done);

    // Appends a `classification_overridden` event (see classification_override)
    // and completes with its event id. Fails with `not_found` when the report
    // does not exist, `storage_failure` or `shutting_down`.
    void override_classification(classification_override o, completion<std::uint64_t> done);

    // The report's `classified` and `classification_overridden` events, oldest
    // first (the last one is the current classification), or std::nullopt
    // when the report does not exist.
    void classification_history(std::uint64_t report_id,
                                completion<std::optional<std::vector<classification_entry>>> done);

    // The report with this row id, or std::nullopt.
    void find_report(std::uint64_t id, completion<std::optional<report_record>> done);

    // The reporter's view of a report, or std::nullopt.
    void report_status_of(std::uint64_t id, completion<std::optional<report_status>> done);

    // Succeeds when a write transaction can be started and committed now
    // (used by /readyz); goes through the writer like any write. It rewrites
    // the one row of the `write_probe` table, so a success means a real write
    // reached the disk, not only that a lock could be taken.
    void check_writable(completion<void> done);

    // Generic access for later modules: `job` runs on the writer thread inside
    // the batch transaction, or on a reader thread. A write job must be safe
    // to run again after its transaction was rolled back (see above): it
    // changes nothing but the database through `c`, and only its last
    // result is delivered.
    template <class T>
    void write(std::function<result<T>(connection&)> job, completion<T> done);
    template <class T>
    void read(std::function<result<T>(connection&)> job, completion<T> done);

    // Number of group commits and of writes committed so far (for tests and metrics).
    std::uint64_t commits() const noexcept;
    std::uint64_t writes_committed() const noexcept;
    // Checkpoints run since open (by the checkpoint thread, or the writer's
    // share), and of those, how many failed: the next one retries, nothing
    // committed is lost, but the WAL grows while they fail.
    std::uint64_t checkpoints() const noexcept;
    std::uint64_t checkpoint_failures() const noexcept;

private:
    struct impl;

    // One queued write. The writer calls `run` inside the batch transaction,
    // and again in its own savepoint when a write of the batch failed
    // (returning false rolls back the transaction when it ran without a
    // savepoint, else its savepoint), then, once the batch is over, `finish`
    // exactly once with the batch's outcome: success when it committed.
    // `finish` is also called at once, without `run`, with `shutting_down`
    // when the database no longer accepts work, and without `run` when the
    // batch failed before reaching this write.
    struct write_task {
        virtual ~write_task() = default;
        virtual bool run(connection& c) = 0;
        virtual void finish(result<void> batch) = 0;
    };
    template <class T>
    struct typed_write;

    // A read runs with a reader's connection, or with null when refused.
    using read_task = std::function<void(connection*)>;

    // The error of work refused because the database is being destroyed.
    static error shutting_down_error();
    void enqueue_write(std::unique_ptr<write_task> task);
    void enqueue_read(read_task task);
    explicit database(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

template <class T>
struct database::typed_write final : database::write_task {
    typed_write(std::function<result<T>(connection&)> j, completion<T> d)
        : job(std::move(j)), done(std::move(d)) {}

    bool run(connection& c) override {
        try {
            out.emplace(job(c));
        } catch (...) {
            // Rolled back alone like any failed write; the writer lives on.
            out.emplace(make_error("storage_failure", "a write job threw an exception"));
        }
        return out->has_value();
    }

    void finish(result<void> batch) override {
        if (out && !out->has_value()) return done(std::move(*out));  // its own failure
        if (!batch) return done(std::move(batch).err());
        if (!out) return done(make_error("storage_failure", "a write was committed without running"));
        done(std::move(*out));
    }

    std::function<result<T>(connection&)> job;
    completion<T> done;
    std::optional<result<T>> out;
};

template <class T>
void database::write(std::function<result<T>(connection&)> job, completion<T> done) {
    enqueue_write(std::make_unique<typed_write<T>>(std::move(job), std::move(done)));
}

template <class T>
void database::read(std::function<result<T>(connection&)> job, completion<T> done) {
    enqueue_read([job = std::move(job), done = std::move(done)](connection* c) {
        if (!c) return done(shutting_down_error());
        std::optional<result<T>> out;
        try {
            out.emplace(job(*c));
        } catch (...) {
            out.emplace(make_error("storage_failure", "a read job threw an exception"));
        }
        done(std::move(*out));
    });
}

}  // namespace hotline::storage
