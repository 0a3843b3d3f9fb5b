#include "storage/database.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "intake/sms.hpp"
#include "storage/detail/json_text.hpp"
#include "storage/detail/migrations.hpp"
#include "storage/detail/phone_column.hpp"
#include "storage/detail/sms_receive.hpp"
#include "storage/detail/sql.hpp"
#include "storage/legal_clocks.hpp"

namespace hotline::storage {

namespace {

constexpr std::chrono::milliseconds migrate_busy_timeout{5000};

using detail::failure;
using detail::prepare_bound;

std::optional<report_state> parse_state(std::string_view s) noexcept {
    for (auto st : {report_state::received, report_state::routed, report_state::acknowledged,
                    report_state::in_progress, report_state::closed, report_state::unrouted})
        if (to_string(st) == s) return st;
    return std::nullopt;
}

// Runs a parameterless statement through the connection's cache: the
// writer's BEGIN/SAVEPOINT/RELEASE/COMMIT run for every write.
result<void> run_cached(connection& c, std::string_view sql) {
    auto st = c.cached(sql);
    if (!st) return std::move(st).err();
    return (*st)->run();
}

// The first column of the first row of a query that must return one.
result<std::string> query_text(connection& c, std::string_view sql) {
    auto st = c.prepare(sql);
    if (!st) return std::move(st).err();
    auto r = st->step();
    if (!r) return std::move(r).err();
    if (*r != step_result::row) return failure("sqlite: query returned no row");
    return st->column_text(0);
}

result<connection> open_writer(const std::string& path, std::chrono::milliseconds busy) {
    auto c = connection::open(path, open_mode::read_write_create);
    if (!c) return c;
    if (auto r = c->busy_timeout(busy); !r) return std::move(r).err();
    // The reply to a citizen waits for this fsync (rule 1): WAL with
    // synchronous=FULL makes every COMMIT durable; group commit, not a weaker
    // mode, pays for it.
    auto mode = query_text(*c, "PRAGMA journal_mode = WAL");
    if (!mode) return std::move(mode).err();
    if (*mode != "wal")
        return failure("sqlite: the database cannot use WAL mode (journal_mode is " + *mode + ")");
    // When a batch runs again with savepoints (run_batch), each write's
    // savepoint journal holds the pages it changes (a report touches about
    // 15); past 64 KiB SQLite would spill that journal to a temporary file,
    // created and deleted for every write. In memory it stays: it lives only
    // until RELEASE.
    if (auto r = c->exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY");
        !r)
        return std::move(r).err();
    return c;
}

result<connection> open_reader(const std::string& path, std::chrono::milliseconds busy) {
    auto c = connection::open(path, open_mode::read_only);
    if (!c) return c;
    if (auto r = c->busy_timeout(busy); !r) return std::move(r).err();
    if (auto r = c->exec("PRAGMA query_only = ON; PRAGMA foreign_keys = ON"); !r) return std::move(r).err();
    return c;
}

constexpr std::string_view report_columns =
    "id, tracking_code, channel, received_at, state, text, location_text, location_code, "
    "child_name, child_age, child_age_estimated, child_sex, child_condition, perpetrator_relation, "
    "reporter_name, reporter_phone, reporter_address, contact_ok, keep_identity_secret, "
    "secret_salt, secret_hash, commune_code, province_code";

result<report_record> read_report_row(const statement& st) {
    report_record rec;
    rec.id = static_cast<std::uint64_t>(st.column_int64(0));
    rec.tracking_code = st.column_text(1);
    auto ch = intake::parse_channel(st.column_text_view(2));
    auto state = parse_state(st.column_text_view(4));
    auto sex = intake::parse_child_sex(st.column_text_view(11));
    auto salt = st.column_blob(19);
    auto hash = st.column_blob(20);
    if (!ch || !state || !sex || salt.size() != rec.secret.salt.size() || hash.size() != rec.secret.hash.size())
        return failure("report " + std::to_string(rec.id) + " has a malformed row");
    rec.channel = *ch;
    rec.received_at = from_unix_ms(st.column_int64(3));
    rec.state = *state;
    auto& d = rec.data;
    d.text = st.column_text(5);
    d.location_text = st.column_optional_text(6);
    d.location_code = st.column_optional_text(7);
    d.child_name = st.column_optional_text(8);
    if (auto age = st.column_optional_int64(9)) d.child_age = static_cast<int>(*age);
    d.child_age_estimated = st.column_int64(10) != 0;
    d.sex = *sex;
    d.child_condition = st.column_optional_text(12);
    d.perpetrator_relation = st.column_optional_text(13);
    d.reporter_name = st.column_optional_text(14);
    if (!st.column_is_null(15)) d.reporter_phone = detail::decode_phone(st.column_text_view(15));
    d.reporter_address = st.column_optional_text(16);
    d.contact_ok = st.column_int64(17) != 0;
    d.keep_identity_secret = st.column_int64(18) != 0;
    rec.commune_code = st.column_optional_text(21);
    rec.province_code = st.column_optional_text(22);
    std::memcpy(rec.secret.salt.data(), salt.data(), salt.size());
    std::memcpy(rec.secret.hash.data(), hash.data(), hash.size());
    return rec;
}

// The data of a `classified` event (see classification_event).
std::string classified_data(const classification_event& e) {
    const auto& r = e.result;
    std::string out;
    out.reserve(128 + 64 * r.evidence.size());
    out += "{\"urgency\":";
    detail::append_json_string(out, intake::to_string(r.level));
    out += ",\"categories\":";
    detail::append_json_string_array(out, r.categories);
    out += ",\"track\":";
    detail::append_json_string(out, intake::to_string(r.track));
    out += ",\"evidence\":[";
    for (std::size_t i = 0; i < r.evidence.size(); ++i) {
        if (i) out.push_back(',');
        out += "{\"rule\":";
        detail::append_json_string(out, r.evidence[i].rule);
        out += ",\"match\":";
        detail::append_json_string(out, r.evidence[i].match);
        out.push_back('}');
    }
    out += "],\"score\":";
    detail::append_json_number(out, r.score);
    out += ",\"lexicon\":";
    detail::append_json_string(out, e.lexicon);
    out.push_back('}');
    return out;
}

// The data of a `classification_overridden` event.
std::string override_data(const classification_override& o) {
    std::string out = "{\"urgency\":";
    detail::append_json_string(out, intake::to_string(o.level));
    out += ",\"categories\":";
    detail::append_json_string_array(out, o.categories);
    out += ",\"track\":";
    detail::append_json_string(out, intake::to_string(o.track));
    out += ",\"reason\":";
    detail::append_json_string(out, o.reason);
    out.push_back('}');
    return out;
}

}  // namespace

std::string_view to_string(report_state s) noexcept {
    switch (s) {
    case report_state::received: return "received";
    case report_state::routed: return "routed";
    case report_state::acknowledged: return "acknowledged";
    case report_state::in_progress: return "in_progress";
    case report_state::closed: return "closed";
    case report_state::unrouted: return "unrouted";
    }
    return "received";
}

result<int> migrate(const std::string& path) {
    auto c = open_writer(path, migrate_busy_timeout);
    if (!c) return std::move(c).err();
    return detail::apply_migrations(*c);
}

// ---- the shared state --------------------------------------------------------

struct database::impl {
    impl(const options& o, const intake::tracking_codec& c) : opts(o), codec(c) {
        opts.checkpoint_frames = std::max(opts.checkpoint_frames, 1);
    }

    options opts;
    const intake::tracking_codec codec;

    std::mutex write_mu;
    std::condition_variable write_cv;
    std::deque<std::unique_ptr<write_task>> write_queue;  // guarded by write_mu
    bool writes_closed = false;                           // guarded by write_mu

    std::mutex read_mu;
    std::condition_variable read_cv;
    std::deque<read_task> read_queue;  // guarded by read_mu
    bool reads_closed = false;         // guarded by read_mu

    std::atomic<std::uint64_t> commits{0};
    std::atomic<std::uint64_t> writes_committed{0};

    // The checkpoint thread's state. wal_frames is what the writer's last
    // commit left in the WAL (from SQLite's WAL hook, on the writer thread).
    std::mutex checkpoint_mu;
    std::condition_variable checkpoint_cv;
    int wal_frames = 0;               // guarded by checkpoint_mu
    int wal_copied = 0;               // frames the checkpoint thread copied; guarded by checkpoint_mu
    bool checkpoints_closed = false;  // guarded by checkpoint_mu
    std::atomic<std::uint64_t> checkpoints{0};
    std::atomic<std::uint64_t> checkpoint_failures{0};
    connection checkpointer;
    std::thread checkpoint_thread;

    // Owned by the writer thread once it runs.
    connection writer;
    duty_cache duty;  // routing's view of the directory; emptied on every rollback
    std::uint64_t next_id = 1;
    bool next_id_known = false;  // false after a failed batch: re-read under the write lock

    // Each reader connection belongs to the reader thread of the same index.
    std::vector<connection> readers;

    std::thread writer_thread;
    std::vector<std::thread> reader_threads;

    result<void> load_next_id();
    result<std::uint64_t> allocate_id();
    // What a new report is written with besides its row and `received`
    // event (insert_row ignores r.classification and r.routing), borrowed.
    struct report_extras {
        const classification_event* classification = nullptr;
        // Its event's data, classified_data(*classification), made on the
        // caller's thread: the writer, which every write waits for, has
        // enough to do.
        std::string_view classified;
        const routing_request* routing = nullptr;
    };
    // `classified` as in report_extras, for r.classification.
    result<receipt> insert(connection& c, const new_report& r, std::string_view classified);
    result<receipt> insert_row(connection& c, const new_report& r, const report_extras& extras);

    void writer_loop();
    void run_batch(std::vector<std::unique_ptr<write_task>>& batch);
    result<void> begin_batch();
    // Rolls back the batch's transaction, if still open, and forgets what was
    // read or allocated in it.
    result<void> abandon_batch();
    // The outcome of running a batch's writes in its open transaction.
    enum class batch_run { done, a_write_failed };
    result<batch_run> run_writes(std::vector<std::unique_ptr<write_task>>& batch, bool savepoints,
                                 std::uint64_t& kept);
    void reader_loop(connection& c);
    void checkpoint_loop();
    void finish_checkpoint();
    bool checkpoint_due() const;  // with checkpoint_mu held
    void checkpoint_with(connection& c);
    static int on_wal_commit(void* self, sqlite3*, const char*, int frames);
};

result<void> database::impl::load_next_id() {
    auto st = writer.prepare("SELECT COALESCE(MAX(id), 0) FROM reports");
    if (!st) return std::move(st).err();
    auto r = st->step();
    if (!r) return std::move(r).err();
    if (*r != step_result::row) return failure("sqlite: query returned no row");
    next_id = static_cast<std::uint64_t>(st->column_int64(0)) + 1;
    next_id_known = true;
    return {};
}

result<std::uint64_t> database::impl::allocate_id() {
    // The tracking code is a permutation of [0, 31^8): past it no code exists.
    if (next_id >= intake::tracking_domain) return failure("no report ids left for tracking codes");
    return next_id++;
}

result<receipt> database::impl::insert(connection& c, const new_report& r, std::string_view classified) {
    if (r.idempotency_key) {
        auto st = prepare_bound(c,
                                "SELECT k.request_hash, k.report_id, p.tracking_code, p.received_at "
                                "FROM idempotency_keys AS k JOIN reports AS p ON p.id = k.report_id "
                                "WHERE k.key = ?1",
                                *r.idempotency_key);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row == step_result::row) {
            if ((*st)->column_text_view(0) != r.request_hash)
                return make_error("idempotency_conflict",
                                  "this idempotency key was already used for a different request");
            receipt first;
            first.id = static_cast<std::uint64_t>((*st)->column_int64(1));
            first.tracking_code = (*st)->column_text(2);
            first.received_at = from_unix_ms((*st)->column_int64(3));
            first.replayed = true;
            return first;
        }
    }

    auto rec = insert_row(c, r,
                          report_extras{r.classification ? &*r.classification : nullptr, classified,
                                        r.routing ? &*r.routing : nullptr});
    if (!rec) return rec;

    if (r.idempotency_key) {
        auto key = prepare_bound(c,
                                 "INSERT INTO idempotency_keys (key, request_hash, report_id, created_at) "
                                 "VALUES (?1, ?2, ?3, ?4)",
                                 *r.idempotency_key, r.request_hash, static_cast<std::int64_t>(rec->id),
                                 to_unix_ms(r.received_at));
        if (!key) return std::move(key).err();
        if (auto x = (*key)->run(); !x) return std::move(x).err();
    }
    return rec;
}

// The report row and its `received` event, under a new id from the allocator:
// the path every report takes, whatever channel brought it (insert for the
// web and API, receive_sms for SMS). The idempotency key is the caller's.
result<receipt> database::impl::insert_row(connection& c, const new_report& r, const report_extras& extras) {
    const classification_event* cls = extras.classification;
    const routing_request* routing = extras.routing;
    auto id = allocate_id();
    if (!id) return std::move(id).err();
    const auto row_id = static_cast<std::int64_t>(*id);
    std::string code = codec.encode(*id);
    const std::int64_t at = to_unix_ms(r.received_at);
    const std::string_view channel = intake::to_string(r.channel);
    const auto& d = r.data;
    std::optional<std::int64_t> age;
    if (d.child_age) age = *d.child_age;
    std::optional<std::string> phone;
    if (d.reporter_phone) phone = detail::encode_phone(*d.reporter_phone);

    // The plan is made before the report row exists so that the row is
    // inserted with its final state; it only reads the directory.
    std::optional<routing::route_plan> plan;
    std::string_view state = "received";
    const std::optional<std::string>* commune = nullptr;
    const std::optional<std::string>* province = nullptr;
    static const std::optional<std::string> none;
    if (routing) {
        const auto level = cls ? cls->result.level : intake::urgency::normal;
        static const std::vector<std::string> no_categories;
        const auto& categories = cls ? cls->result.categories : no_categories;
        auto p = detail::plan_route(c, *routing, level, categories, r.received_at, &duty);
        if (!p) return std::move(p).err();
        plan = std::move(*p);
        state = detail::reaches_contact(*plan) ? "routed" : "unrouted";
        commune = &routing->location.commune_code;
        province = &routing->location.province_code;
    }

    // The legal clocks (routing/deadlines.hpp), set with the row.
    std::optional<std::int64_t> action_due, plan_due;
    if (routing && routing->deadlines) {
        const auto track = cls ? cls->result.track : intake::legal_track::standard_5wd;
        const auto clocks = routing::legal_deadlines_for(track, r.received_at, routing->deadlines->calendar);
        if (clocks.action_by) action_due = to_unix_ms(*clocks.action_by);
        if (clocks.plan_by) plan_due = to_unix_ms(*clocks.plan_by);
    }

    auto rep = prepare_bound(
        c,
        "INSERT INTO reports (id, tracking_code, channel, received_at, state, text, location_text, "
        "location_code, child_name, child_age, child_age_estimated, child_sex, child_condition, "
        "perpetrator_relation, reporter_name, reporter_phone, reporter_address, contact_ok, "
        "keep_identity_secret, secret_salt, secret_hash, commune_code, province_code, action_due_at, "
        "plan_due_at) "
        "VALUES (?1, ?2, ?3, ?4, ?23, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
        "?18, ?19, ?20, ?21, ?22, ?24, ?25)",
        row_id, code, channel, at, d.text, d.location_text, d.location_code, d.child_name, age,
        d.child_age_estimated, intake::to_string(d.sex), d.child_condition, d.perpetrator_relation,
        d.reporter_name, phone, d.reporter_address, d.contact_ok, d.keep_identity_secret,
        std::span<const std::uint8_t>(r.secret.salt), std::span<const std::uint8_t>(r.secret.hash),
        commune ? *commune : none, province ? *province : none, state, action_due, plan_due);
    if (!rep) return std::move(rep).err();
    if (auto x = (*rep)->run(); !x) return std::move(x).err();

    auto ev = prepare_bound(c,
                            "INSERT INTO events (report_id, at, kind, actor, data) "
                            "VALUES (?1, ?2, 'received', ?3, NULL)",
                            row_id, at, channel);
    if (!ev) return std::move(ev).err();
    if (auto x = (*ev)->run(); !x) return std::move(x).err();

    if (cls) {
        if (auto x = detail::run_bound(c,
                                       "INSERT INTO events (report_id, at, kind, actor, data) "
                                       "VALUES (?1, ?2, 'classified', 'triage', ?3)",
                                       row_id, at, extras.classified);
            !x)
            return std::move(x).err();
    }
    receipt out;
    out.id = *id;
    out.tracking_code = std::move(code);
    out.received_at = r.received_at;
    for (const auto& due : {action_due, plan_due})
        if (due) detail::keep_earliest(out.earliest_due, from_unix_ms(*due));
    if (plan) {
        const auto level = cls ? cls->result.level : intake::urgency::normal;
        auto w = detail::write_route(c, row_id, *routing, *plan, level, r.received_at);
        if (!w) return std::move(w).err();
        detail::keep_earliest(out.earliest_due, w->earliest_due);
        out.queued_messages = w->queued_messages;
    }
    return out;
}

// ---- the writer ----------------------------------------------------------------

void database::impl::writer_loop() {
    const std::size_t max_batch = std::max<std::size_t>(opts.max_batch, 1);
    std::vector<std::unique_ptr<write_task>> batch;
    batch.reserve(max_batch);
    for (;;) {
        {
            std::unique_lock lock(write_mu);
            write_cv.wait(lock, [&] { return writes_closed || !write_queue.empty(); });
            if (write_queue.empty()) return;  // closed and drained
            const std::size_t n = std::min(max_batch, write_queue.size());
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(write_queue.front()));
                write_queue.pop_front();
            }
        }
        run_batch(batch);
        batch.clear();
    }
}

void database::impl::run_batch(std::vector<std::unique_ptr<write_task>>& batch) {
    // Completions may misbehave; a throwing one must not take the writer, and
    // with it every later write, down. The others of the batch still hear.
    auto finish_all = [&](const result<void>& outcome) {
        for (auto& t : batch) {
            try {
                t->finish(outcome);
            } catch (...) {
            }
        }
    };
    auto fail = [&](error e) {
        (void)abandon_batch();
        e.message = "the write transaction failed: " + e.message;
        finish_all(result<void>(std::move(e)));
    };

    // First the whole batch as one transaction, without savepoints: a
    // savepoint journals every page a write touches before changing it, which
    // costs about a tenth of a report's write, and writes rarely fail. When
    // one does, the transaction is rolled back and the batch runs again with
    // each write in its own savepoint, so the failing one is undone alone.
    // Jobs are safe to run again (database::write): only their last run counts.
    std::uint64_t kept = 0;
    if (auto r = begin_batch(); !r) return fail(std::move(r).err());
    auto ran = run_writes(batch, false, kept);
    if (!ran) return fail(std::move(ran).err());
    if (*ran == batch_run::a_write_failed) {
        if (auto r = abandon_batch(); !r) return fail(std::move(r).err());
        // A batch of one has nothing else to keep: its write reports its own failure.
        if (batch.size() == 1) return finish_all(result<void>());
        if (auto r = begin_batch(); !r) return fail(std::move(r).err());
        if (auto again = run_writes(batch, true, kept); !again) return fail(std::move(again).err());
    }
    if (auto r = run_cached(writer, "COMMIT"); !r) return fail(std::move(r).err());

    commits.fetch_add(1, std::memory_order_relaxed);
    writes_committed.fetch_add(kept, std::memory_order_relaxed);
    finish_all(result<void>());
    finish_checkpoint();
}

result<void> database::impl::abandon_batch() {
    // What the cache read and the ids handed out in the transaction were
    // never committed; whatever the database holds is the truth for the next
    // batch.
    duty.clear();
    next_id_known = false;
    if (writer.autocommit()) return {};  // SQLite rolled it back itself
    return run_cached(writer, "ROLLBACK");
}

result<void> database::impl::begin_batch() {
    if (auto r = run_cached(writer, "BEGIN IMMEDIATE"); !r) return r;
    if (!next_id_known) return load_next_id();
    return {};
}

// Runs the writes of `batch` in the open transaction; `kept` counts those
// that succeeded. Without savepoints it stops at the first write that fails
// (a_write_failed: the caller rolls back); with them, it rolls that write back
// alone and goes on. An error: the transaction is lost (SQLite may have
// rolled it back itself: SQLITE_FULL, SQLITE_IOERR, ...).
result<database::impl::batch_run> database::impl::run_writes(std::vector<std::unique_ptr<write_task>>& batch,
                                                             bool savepoints, std::uint64_t& kept) {
    kept = 0;
    for (auto& t : batch) {
        if (savepoints) {
            if (auto r = run_cached(writer, "SAVEPOINT w"); !r) return std::move(r).err();
        }
        const bool ok = t->run(writer);
        if (writer.autocommit()) return failure("sqlite rolled the transaction back");
        if (ok) {
            ++kept;
        } else if (!savepoints) {
            return batch_run::a_write_failed;
        } else {
            duty.clear();
            if (auto r = run_cached(writer, "ROLLBACK TO w"); !r) return std::move(r).err();
        }
        if (savepoints) {
            if (auto r = run_cached(writer, "RELEASE w"); !r) return std::move(r).err();
        }
    }
    return batch_run::done;
}

// ---- checkpoints -------------------------------------------------------------

// Called by SQLite on the writer thread after each COMMIT with the number of
// frames now in the WAL. Registering it turns off SQLite's own automatic
// checkpoint, which would copy the whole WAL inside COMMIT, on the writer's
// time.
int database::impl::on_wal_commit(void* self, sqlite3*, const char*, int frames) {
    auto& s = *static_cast<impl*>(self);
    bool wake = false;
    {
        std::lock_guard lock(s.checkpoint_mu);
        s.wal_frames = frames;
        if (frames < s.wal_copied) s.wal_copied = 0;  // the WAL started over
        wake = s.checkpoint_due();
    }
    if (wake) s.checkpoint_cv.notify_one();
    return SQLITE_OK;
}

// Past the threshold, the checkpoint thread copies again whenever an eighth
// of it has been added since its last copy: then what is left for the
// writer's share (finish_checkpoint) stays small.
bool database::impl::checkpoint_due() const {
    const int threshold = opts.checkpoint_frames;
    return wal_frames >= threshold && wal_frames - wal_copied >= std::max(threshold / 8, 1);
}

void database::impl::checkpoint_loop() {
    for (;;) {
        {
            std::unique_lock lock(checkpoint_mu);
            checkpoint_cv.wait(lock, [&] { return checkpoints_closed || checkpoint_due(); });
            if (checkpoints_closed) return;  // closing the last connection checkpoints
            wal_copied = wal_frames;  // not to be woken again for the same frames
        }
        checkpoint_with(checkpointer);
    }
}

// A PASSIVE checkpoint over `c`, counted. SQLITE_BUSY only says that the
// other side (the checkpoint thread or the writer) was checkpointing at that
// moment; the WAL is still copied, by it.
void database::impl::checkpoint_with(connection& c) {
    const int rc = sqlite3_wal_checkpoint_v2(c.native_handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc == SQLITE_BUSY) return;
    checkpoints.fetch_add(1, std::memory_order_relaxed);
    if (rc != SQLITE_OK) checkpoint_failures.fetch_add(1, std::memory_order_relaxed);
}

// The writer's share, after a commit: once the WAL is half again past the
// threshold, it copies what the checkpoint thread has not copied yet (little,
// by then), so that the WAL is fully copied when the next batch begins and
// SQLite starts it over. Without this a steady stream of commits would keep
// the WAL from ever being reset, and it would grow without end.
void database::impl::finish_checkpoint() {
    int frames = 0;
    {
        std::lock_guard lock(checkpoint_mu);
        frames = wal_frames;
    }
    if (frames < opts.checkpoint_frames + opts.checkpoint_frames / 2) return;
    checkpoint_with(writer);
}

// ---- the readers ---------------------------------------------------------------

void database::impl::reader_loop(connection& c) {
    for (;;) {
        read_task task;
        {
            std::unique_lock lock(read_mu);
            read_cv.wait(lock, [&] { return reads_closed || !read_queue.empty(); });
            if (read_queue.empty()) return;  // closed and drained
            task = std::move(read_queue.front());
            read_queue.pop_front();
        }
        try {
            task(&c);
        } catch (...) {
            // As for the writer: a throwing completion must not end the reader.
        }
        // A transaction left open would pin an old snapshot, and later reads
        // on this connection would not see newly committed reports.
        if (!c.autocommit()) (void)c.exec("ROLLBACK");
    }
}

// ---- database --------------------------------------------------------------------

database::database(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

result<std::unique_ptr<database>> database::open(const options& opts, const intake::tracking_codec& codec) {
    auto w = open_writer(opts.path, opts.busy_timeout);
    if (!w) return std::move(w).err();
    if (auto v = detail::apply_migrations(*w); !v) return std::move(v).err();

    auto p = std::make_unique<impl>(opts, codec);
    p->writer = std::move(*w);
    {
        auto k = connection::open(opts.path, open_mode::read_write);
        if (!k) return std::move(k).err();
        if (auto r = k->busy_timeout(opts.busy_timeout); !r) return std::move(r).err();
        // The database file is synced after each checkpoint, before the WAL
        // frames it copied may be overwritten.
        if (auto r = k->exec("PRAGMA synchronous = FULL"); !r) return std::move(r).err();
        p->checkpointer = std::move(*k);
    }
    if (auto r = p->load_next_id(); !r) return std::move(r).err();
    const int n = std::max(opts.read_connections, 1);
    for (int i = 0; i < n; ++i) {
        auto r = open_reader(opts.path, opts.busy_timeout);
        if (!r) return std::move(r).err();
        p->readers.push_back(std::move(*r));
    }

    // From here the destructor joins whatever threads were started.
    std::unique_ptr<database> db(new database(std::move(p)));
    impl& s = *db->impl_;
    s.checkpoint_thread = std::thread([&s] { s.checkpoint_loop(); });
    sqlite3_wal_hook(s.writer.native_handle(), &impl::on_wal_commit, &s);
    s.writer_thread = std::thread([&s] { s.writer_loop(); });
    for (auto& c : s.readers) s.reader_threads.emplace_back([&s, &c] { s.reader_loop(c); });
    return db;
}

database::~database() {
    {
        std::lock_guard lock(impl_->write_mu);
        impl_->writes_closed = true;
    }
    impl_->write_cv.notify_all();
    {
        std::lock_guard lock(impl_->read_mu);
        impl_->reads_closed = true;
    }
    impl_->read_cv.notify_all();
    if (impl_->writer_thread.joinable()) impl_->writer_thread.join();
    for (auto& t : impl_->reader_threads)
        if (t.joinable()) t.join();
    {
        std::lock_guard lock(impl_->checkpoint_mu);
        impl_->checkpoints_closed = true;
    }
    impl_->checkpoint_cv.notify_all();
    if (impl_->checkpoint_thread.joinable()) impl_->checkpoint_thread.join();
}

error database::shutting_down_error() {
    return make_error("shutting_down", "the database is shutting down");
}

void database::enqueue_write(std::unique_ptr<write_task> task) {
    {
        std::lock_guard lock(impl_->write_mu);
        if (!impl_->writes_closed) {
            impl_->write_queue.push_back(std::move(task));
            task = nullptr;
        }
    }
    if (task) return task->finish(shutting_down_error());
    impl_->write_cv.notify_one();
}

void database::enqueue_read(read_task task) {
    {
        std::lock_guard lock(impl_->read_mu);
        if (!impl_->reads_closed) {
            impl_->read_queue.push_back(std::move(task));
            task = nullptr;
        }
    }
    if (task) return task(nullptr);
    impl_->read_cv.notify_one();
}

std::uint64_t database::commits() const noexcept { return impl_->commits.load(std::memory_order_relaxed); }

std::uint64_t database::writes_committed() const noexcept {
    return impl_->writes_committed.load(std::memory_order_relaxed);
}

std::uint64_t database::checkpoints() const noexcept {
    return impl_->checkpoints.load(std::memory_order_relaxed);
}

std::uint64_t database::checkpoint_failures() const noexcept {
    return impl_->checkpoint_failures.load(std::memory_order_relaxed);
}

// ---- the operations ---------------------------------------------------------------

void database::insert_report(new_report r, completion<receipt> done) {
    impl* self = impl_.get();
    std::string classified = r.classification ? classified_data(*r.classification) : std::string();
    write<receipt>([self, r = std::move(r), classified = std::move(classified)](
                       connection& c) { return self->insert(c, r, classified); },
                   std::move(done));
}

void database::receive_sms(inbound_sms m, sms_options o, completion<sms_outcome> done) {
    receive_sms(std::move(m), std::move(o), std::nullopt, std::move(done));
}

void database::receive_sms(inbound_sms m, sms_options o, std::optional<classification_event> classification,
                           completion<sms_outcome> done) {
    receive_sms(std::move(m), std::move(o), std::move(classification), std::nullopt, std::move(done));
}

void database::receive_sms(inbound_sms m, sms_options o, std::optional<classification_event> classification,
                           std::optional<routing_request> routing, completion<sms_outcome> done) {
    impl* self = impl_.get();
    // What depends on the message alone is worked out here, off the writer.
    std::string classified = classification ? classified_data(*classification) : std::string();
    intake::sms_command command = intake::parse_sms_command(m.body);
    write<sms_outcome>(
        [self, m = std::move(m), command = std::move(command), o = std::move(o), cls = std::move(classification),
         classified = std::move(classified), routing = std::move(routing)](connection& c) {
            const impl::report_extras extras{cls ? &*cls : nullptr, classified, routing ? &*routing : nullptr};
            return detail::receive_sms(c, m, command, o, self->codec, extras.routing,
                                       [self, &c, &extras](const new_report& r) { return self->insert_row(c, r, extras); });
        },
        std::move(done));
}

void database::override_classification(classification_override o, completion<std::uint64_t> done) {
    write<std::uint64_t>(
        [o = std::move(o)](connection& c) -> result<std::uint64_t> {
            if (o.report_id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return make_error("not_found", "no such report");
            const auto id = static_cast<std::int64_t>(o.report_id);
            auto st = prepare_bound(c, "SELECT 1 FROM reports WHERE id = ?1", id);
            if (!st) return std::move(st).err();
            auto row = (*st)->step();
            if (!row) return std::move(row).err();
            if (*row != step_result::row) return make_error("not_found", "no such report");
            if (auto x = detail::run_bound(c,
                                           "INSERT INTO events (report_id, at, kind, actor, data) "
                                           "VALUES (?1, ?2, 'classification_overridden', ?3, ?4)",
                                           id, to_unix_ms(o.at), o.by, override_data(o));
                !x)
                return std::move(x).err();
            const auto event_id = static_cast<std::uint64_t>(c.last_insert_rowid());
            if (o.deadlines) {
                if (auto x = reapply_deadlines(c, id, o.level, o.track, *o.deadlines, o.at); !x)
                    return std::move(x).err();
            }
            return event_id;
        },
        std::move(done));
}

void database::classification_history(std::uint64_t report_id,
                                      completion<std::optional<std::vector<classification_entry>>> done) {
    using out = std::optional<std::vector<classification_entry>>;
    read<out>(
        [report_id](connection& c) -> result<out> {
            if (report_id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return out{};
            const auto id = static_cast<std::int64_t>(report_id);
            {
                auto st = prepare_bound(c, "SELECT 1 FROM reports WHERE id = ?1", id);
                if (!st) return std::move(st).err();
                auto row = (*st)->step();
                if (!row) return std::move(row).err();
                if (*row != step_result::row) return out{};
            }
            auto st = prepare_bound(c,
                                    "SELECT id, kind, actor, at, data FROM events WHERE report_id = ?1 AND "
                                    "kind IN ('classified', 'classification_overridden') ORDER BY id",
                                    id);
            if (!st) return std::move(st).err();
            std::vector<classification_entry> entries;
            for (;;) {
                auto row = (*st)->step();
                if (!row) return std::move(row).err();
                if (*row != step_result::row) break;
                classification_entry e;
                e.event_id = static_cast<std::uint64_t>((*st)->column_int64(0));
                e.kind = (*st)->column_text(1);
                e.actor = (*st)->column_text(2);
                e.at = from_unix_ms((*st)->column_int64(3));
                e.data = (*st)->column_is_null(4) ? std::string("{}") : (*st)->column_text(4);
                entries.push_back(std::move(e));
            }
            return out{std::move(entries)};
        },
        std::move(done));
}

void database::find_report(std::uint64_t id, completion<std::optional<report_record>> done) {
    using out = std::optional<report_record>;
    read<out>(
        [id](connection& c) -> result<out> {
            if (id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return out{};
            std::string sql = "SELECT ";
            sql += report_columns;
            sql += " FROM reports WHERE id = ?1";
            auto st = prepare_bound(c, sql, static_cast<std::int64_t>(id));
            if (!st) return std::move(st).err();
            auto row = (*st)->step();
            if (!row) return std::move(row).err();
            if (*row == step_result::done) return out{};
            auto rec = read_report_row(**st);
            if (!rec) return std::move(rec).err();
            return out{std::move(*rec)};
        },
        std::move(done));
}

void database::report_status_of(std::uint64_t id, completion<std::optional<report_status>> done) {
    using out = std::optional<report_status>;
    read<out>(
        [id](connection& c) -> result<out> {
            if (id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return out{};
            auto st = prepare_bound(
                c,
                "SELECT state, received_at, "
                "EXISTS (SELECT 1 FROM assignments WHERE report_id = r.id AND contact_id IS NOT NULL AND "
                "role IN ('commune_child_protection', 'commune_police', 'commune_chair')), "
                "EXISTS (SELECT 1 FROM events WHERE report_id = r.id AND kind = 'acknowledged') "
                "FROM reports AS r WHERE id = ?1",
                static_cast<std::int64_t>(id));
            if (!st) return std::move(st).err();
            auto row = (*st)->step();
            if (!row) return std::move(row).err();
            if (*row == step_result::done) return out{};
            auto state = parse_state((*st)->column_text_view(0));
            if (!state) return failure("report " + std::to_string(id) + " has an unknown state");
            report_status s;
            s.state = *state;
            s.received_at = from_unix_ms((*st)->column_int64(1));
            s.forwarded = (*st)->column_int64(2) != 0;
            s.acknowledged = (*st)->column_int64(3) != 0;
            return out{s};
        },
        std::move(done));
}

void database::check_writable(completion<void> done) {
    write<void>(
        [](connection& c) -> result<void> {
            return c.exec(
                "INSERT INTO write_probe (id, writes) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET writes = writes + 1");
        },
        std::move(done));
}

}  // namespace hotline::storage
