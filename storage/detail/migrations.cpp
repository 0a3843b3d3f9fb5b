#include "storage/detail/migrations.hpp"

#include <array>
#include <string>

#include "storage/database.hpp"

namespace hotline::storage {

namespace detail {

namespace {

// Tables are STRICT so a value of the wrong type is refused rather than stored
// as whatever SQLite's type affinity makes of it. Times are unix milliseconds
// UTC. Flags are 0/1 integers.
constexpr std::string_view migration_1 = R"sql(
CREATE TABLE reports (
    id                   INTEGER PRIMARY KEY,
    tracking_code        TEXT    NOT NULL,
    channel              TEXT    NOT NULL CHECK (channel IN ('web', 'api', 'sms', 'operator')),
    received_at          INTEGER NOT NULL,
    state                TEXT    NOT NULL DEFAULT 'received'
                         CHECK (state IN ('received', 'routed', 'acknowledged', 'in_progress', 'closed', 'unrouted')),
    text                 TEXT    NOT NULL,
    location_text        TEXT,
    location_code        TEXT,
    child_name           TEXT,
    child_age            INTEGER CHECK (child_age BETWEEN 0 AND 17),
    child_age_estimated  INTEGER NOT NULL DEFAULT 0 CHECK (child_age_estimated IN (0, 1)),
    child_sex            TEXT    NOT NULL DEFAULT 'unknown' CHECK (child_sex IN ('male', 'female', 'unknown')),
    child_condition      TEXT,
    perpetrator_relation TEXT,
    reporter_name        TEXT,
    reporter_phone       TEXT,
    reporter_address     TEXT,
    contact_ok           INTEGER NOT NULL DEFAULT 0 CHECK (contact_ok IN (0, 1)),
    keep_identity_secret INTEGER NOT NULL DEFAULT 0 CHECK (keep_identity_secret IN (0, 1)),
    secret_salt          BLOB    NOT NULL CHECK (length(secret_salt) = 16),
    secret_hash          BLOB    NOT NULL CHECK (length(secret_hash) = 32)
) STRICT;

-- The history of every report. Rows are only ever added: the triggers make
-- an UPDATE or DELETE fail whoever issues it.
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports (id),
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    data      TEXT    CHECK (data IS NULL OR json_valid(data))
) STRICT;

CREATE INDEX events_by_report ON events (report_id, id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- Keys of idempotent requests (already scoped by channel), so that a retry
-- gets the first answer instead of a second report.
CREATE TABLE idempotency_keys (
    key          TEXT    PRIMARY KEY,
    request_hash TEXT    NOT NULL,
    report_id    INTEGER NOT NULL REFERENCES reports (id),
    created_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One row that check_writable rewrites: an empty transaction writes nothing,
-- so only a real write proves that the disk still takes one.
CREATE TABLE write_probe (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    writes INTEGER NOT NULL
) STRICT;
)sql";

// SMS intake (issue 3): the contacts the SMS channel knows, every inbound
// message with what was decided about it, the state of each sending number,
// and the outbox of notifications sent after commit. Phone numbers of
// citizens (sms_messages.sender, sms_senders.phone, outbox.destination of SMS
// channels) hold whatever detail/phone_column.hpp stores.
constexpr std::string_view migration_2 = R"sql(
CREATE TABLE contacts (
    id        INTEGER PRIMARY KEY,
    name      TEXT    NOT NULL,
    role      TEXT    NOT NULL,
    unit_code TEXT    NOT NULL,
    phone     TEXT    NOT NULL UNIQUE,
    active    INTEGER NOT NULL CHECK (active IN (0, 1))
) STRICT;

-- Notifications to send. A row is written in the same transaction as the
-- change that caused it and moves pending -> sending (claimed until
-- lease_until) -> sent | failed, or back to pending (retry).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT    NOT NULL,
    destination     TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    segments        INTEGER NOT NULL CHECK (segments >= 0),
    report_id       INTEGER REFERENCES reports (id),
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER CHECK (state <> 'sending' OR lease_until IS NOT NULL),
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT
) STRICT;

-- When a live message is due: a pending one at next_attempt_at, a claimed one
-- when its lease runs out. Queries must spell the expression exactly so.
CREATE INDEX outbox_due ON outbox (
    (CASE state WHEN 'sending' THEN lease_until ELSE next_attempt_at END), id
) WHERE state IN ('pending', 'sending');

CREATE TABLE sms_messages (
    id                  INTEGER PRIMARY KEY,
    provider            TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    sender              TEXT    NOT NULL,
    recipient           TEXT,
    body                TEXT    NOT NULL,
    received_at         INTEGER NOT NULL,
    action              TEXT    NOT NULL
                        CHECK (action IN ('new_report', 'add_location', 'add_detail', 'opt_out',
                                          'officer_acknowledge')),
    report_id           INTEGER REFERENCES reports (id),
    contact_id          INTEGER REFERENCES contacts (id),
    flagged             INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    reply               TEXT,
    reply_kind          TEXT    NOT NULL,
    reply_segments      INTEGER NOT NULL DEFAULT 0,
    outbox_id           INTEGER,
    UNIQUE (provider, provider_message_id)
) STRICT;

CREATE INDEX sms_messages_by_sender ON sms_messages (sender, received_at);

-- What the conversation with each number needs to know.
CREATE TABLE sms_senders (
    phone          TEXT    PRIMARY KEY,
    opted_out      INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),
    open_report_id INTEGER REFERENCES reports (id),
    open_report_at INTEGER,
    needs_location INTEGER NOT NULL DEFAULT 0 CHECK (needs_location IN (0, 1))
) STRICT, WITHOUT ROWID;
)sql";

// The directory and routing (issue 5): contacts get a stable key (the id the
// directory's CSV files use), a checked role, notification channels and an
// update time; a number may belong to several contacts (one person can hold
// two roles), so it is indexed, not unique. Rosters are a weekly pattern of
// shifts in Vietnam's local time plus dated overrides; assignments give a
// report to a contact, or to a queue when nobody can take it.
constexpr std::string_view migration_3 = R"sql(
CREATE TABLE contacts_v3 (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 64),
    name        TEXT    NOT NULL CHECK (length(name) > 0),
    role        TEXT    NOT NULL
                CHECK (role IN ('commune_child_protection', 'commune_police', 'commune_chair',
                                'province_coordinator', 'province_police', 'hotline_supervisor')),
    unit_code   TEXT    NOT NULL,
    phone       TEXT    NOT NULL CHECK (phone GLOB '+[1-9]*'),
    channels    TEXT    NOT NULL DEFAULT 'sms',
    webhook_url TEXT,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_at  INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO contacts_v3 (id, key, name, role, unit_code, phone, active)
SELECT id, 'contact-' || id, name,
       CASE WHEN role IN ('commune_child_protection', 'commune_police', 'commune_chair',
                          'province_coordinator', 'province_police', 'hotline_supervisor')
            THEN role ELSE 'hotline_supervisor' END,
       unit_code, phone, active
FROM contacts;

DROP TABLE contacts;
ALTER TABLE contacts_v3 RENAME TO contacts;
CREATE INDEX contacts_by_phone ON contacts (phone);
CREATE INDEX contacts_by_unit_role ON contacts (unit_code, role) WHERE active = 1;

-- A weekly shift: `days` is a bit set of the days it starts on (bit 0 =
-- Monday ... bit 6 = Sunday); minutes since local midnight. A shift whose
-- end is not after its start runs past midnight into the next day; start =
-- end is 24 hours.
CREATE TABLE roster_shifts (
    id           INTEGER PRIMARY KEY,
    contact_id   INTEGER NOT NULL REFERENCES contacts (id),
    days         INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 0 AND 1439)
) STRICT;
CREATE INDEX roster_shifts_by_contact ON roster_shifts (contact_id);

-- A dated exception: `on` puts the contact on duty, `off` takes them off
-- (leave, a swap). Dates are local 'YYYY-MM-DD', both inclusive; without
-- minutes it covers whole days, with them the window applies on each date
-- (crossing midnight like a shift).
CREATE TABLE roster_overrides (
    id           INTEGER PRIMARY KEY,
    contact_id   INTEGER NOT NULL REFERENCES contacts (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('on', 'off')),
    from_date    TEXT    NOT NULL CHECK (from_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    to_date      TEXT    NOT NULL CHECK (to_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                                         AND to_date >= from_date),
    start_minute INTEGER CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER CHECK (end_minute BETWEEN 0 AND 1439),
    note         TEXT,
    CHECK ((start_minute IS NULL) = (end_minute IS NULL))
) STRICT;
CREATE INDEX roster_overrides_by_contact ON roster_overrides (contact_id, to_date);

-- A report given to a contact (contact_id) or, when nobody can take it, to a
-- visible queue: the coordinators of a province (unit_code = the province)
-- or the national hotline. Escalation adds assignments; none is deleted.
-- The CHECKs compare with = rather than IN (...): rows are written with
-- every report, and SQLite builds a temporary table for an IN list on each
-- INSERT, which doubled its cost.
CREATE TABLE assignments (
    id              INTEGER PRIMARY KEY,
    report_id       INTEGER NOT NULL REFERENCES reports (id),
    contact_id      INTEGER REFERENCES contacts (id),
    queue           TEXT    CHECK (queue = 'province' OR queue = 'hotline'),
    role            TEXT,
    unit_code       TEXT,
    step            INTEGER NOT NULL DEFAULT 1 CHECK (step >= 1),
    reason          TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'open'
                    CHECK (state = 'open' OR state = 'acknowledged' OR state = 'superseded' OR
                           state = 'cancelled'),
    created_at      INTEGER NOT NULL,
    ack_due_at      INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER REFERENCES contacts (id),
    acknowledged_via TEXT,
    CHECK ((contact_id IS NULL) <> (queue IS NULL))
) STRICT;
CREATE INDEX assignments_by_report ON assignments (report_id, id);
CREATE INDEX assignments_by_contact ON assignments (contact_id, state) WHERE contact_id IS NOT NULL;
CREATE INDEX assignments_queued ON assignments (queue, unit_code, state) WHERE queue IS NOT NULL;
)sql";

// Where a report was found to have happened (issue 5): the current commune
// and province the locator resolved, beside what the reporter typed
// (location_text) or picked (location_code). Null while unknown. Queues and
// the console select on them.
constexpr std::string_view migration_4 = R"sql(
ALTER TABLE reports ADD COLUMN commune_code TEXT;
ALTER TABLE reports ADD COLUMN province_code TEXT;
CREATE INDEX reports_by_commune ON reports (commune_code) WHERE commune_code IS NOT NULL;
)sql";

// Deadlines and escalation (issue 6). An assignment is due `ack_due_at`
// (already in migration 3) and reminded at `reminder_due_at`; it sits on step
// `step` (from 1) of round `ladder_round` (from 0) of its urgency's ladder.
// `breached_at` records that its deadline passed unacknowledged,
// `escalated_at` that the next step was assigned because of it, `reminded_at`
// that its reminder fell due. A report carries its legal clocks (action
// within 12 hours, plan within 5 working days: due, met, breached) and where
// it stands on the ladder (`ladder_step` from 0, `ladder_round` from 0): the
// escalation of a step is an UPDATE guarded by that position, so it happens
// once. The partial indexes hold only what is still pending, so the earliest
// due item is the first entry of one of them.
constexpr std::string_view migration_5 = R"sql(
ALTER TABLE assignments ADD COLUMN ladder_round INTEGER NOT NULL DEFAULT 0 CHECK (ladder_round >= 0);
ALTER TABLE assignments ADD COLUMN reminder_due_at INTEGER;
ALTER TABLE assignments ADD COLUMN reminded_at INTEGER;
ALTER TABLE assignments ADD COLUMN breached_at INTEGER;
ALTER TABLE assignments ADD COLUMN escalated_at INTEGER;
CREATE INDEX assignments_ack_due ON assignments (ack_due_at)
    WHERE state = 'open' AND breached_at IS NULL AND ack_due_at IS NOT NULL;
CREATE INDEX assignments_reminder_due ON assignments (reminder_due_at)
    WHERE state = 'open' AND reminded_at IS NULL AND reminder_due_at IS NOT NULL;

ALTER TABLE reports ADD COLUMN action_due_at INTEGER;
ALTER TABLE reports ADD COLUMN action_met_at INTEGER;
ALTER TABLE reports ADD COLUMN action_breached_at INTEGER;
ALTER TABLE reports ADD COLUMN plan_due_at INTEGER;
ALTER TABLE reports ADD COLUMN plan_met_at INTEGER;
ALTER TABLE reports ADD COLUMN plan_breached_at INTEGER;
ALTER TABLE reports ADD COLUMN ladder_step INTEGER NOT NULL DEFAULT 0 CHECK (ladder_step >= 0);
ALTER TABLE reports ADD COLUMN ladder_round INTEGER NOT NULL DEFAULT 0 CHECK (ladder_round >= 0);
CREATE INDEX reports_action_due ON reports (action_due_at)
    WHERE action_due_at IS NOT NULL AND action_met_at IS NULL AND action_breached_at IS NULL;
CREATE INDEX reports_plan_due ON reports (plan_due_at)
    WHERE plan_due_at IS NOT NULL AND plan_met_at IS NULL AND plan_breached_at IS NULL;
)sql";

// Speed of every insert into `reports`: SQLite evaluates `x IN (a, b, c)`
// in a CHECK by building a temporary index each time the statement runs,
// which cost more than the rest of the row. The table is rebuilt with the
// same columns, in the same order, and the same checks written as
// comparisons; its indexes are made again.
constexpr std::string_view migration_6 = R"sql(
CREATE TABLE reports_v6 (
    id                   INTEGER PRIMARY KEY,
    tracking_code        TEXT    NOT NULL,
    channel              TEXT    NOT NULL
                         CHECK (channel = 'web' OR channel = 'api' OR channel = 'sms' OR channel = 'operator'),
    received_at          INTEGER NOT NULL,
    state                TEXT    NOT NULL DEFAULT 'received'
                         CHECK (state = 'received' OR state = 'routed' OR state = 'acknowledged'
                                OR state = 'in_progress' OR state = 'closed' OR state = 'unrouted'),
    text                 TEXT    NOT NULL,
    location_text        TEXT,
    location_code        TEXT,
    child_name           TEXT,
    child_age            INTEGER CHECK (child_age BETWEEN 0 AND 17),
    child_age_estimated  INTEGER NOT NULL DEFAULT 0 CHECK (child_age_estimated = 0 OR child_age_estimated = 1),
    child_sex            TEXT    NOT NULL DEFAULT 'unknown'
                         CHECK (child_sex = 'male' OR child_sex = 'female' OR child_sex = 'unknown'),
    child_condition      TEXT,
    perpetrator_relation TEXT,
    reporter_name        TEXT,
    reporter_phone       TEXT,
    reporter_address     TEXT,
    contact_ok           INTEGER NOT NULL DEFAULT 0 CHECK (contact_ok = 0 OR contact_ok = 1),
    keep_identity_secret INTEGER NOT NULL DEFAULT 0 CHECK (keep_identity_secret = 0 OR keep_identity_secret = 1),
    secret_salt          BLOB    NOT NULL CHECK (length(secret_salt) = 16),
    secret_hash          BLOB    NOT NULL CHECK (length(secret_hash) = 32),
    commune_code         TEXT,
    province_code        TEXT,
    action_due_at        INTEGER,
    action_met_at        INTEGER,
    action_breached_at   INTEGER,
    plan_due_at          INTEGER,
    plan_met_at          INTEGER,
    plan_breached_at     INTEGER,
    ladder_step          INTEGER NOT NULL DEFAULT 0 CHECK (ladder_step >= 0),
    ladder_round         INTEGER NOT NULL DEFAULT 0 CHECK (ladder_round >= 0)
) STRICT;

INSERT INTO reports_v6 (id, tracking_code, channel, received_at, state, text, location_text, location_code,
                        child_name, child_age, child_age_estimated, child_sex, child_condition,
                        perpetrator_relation, reporter_name, reporter_phone, reporter_address, contact_ok,
                        keep_identity_secret, secret_salt, secret_hash, commune_code, province_code,
                        action_due_at, action_met_at, action_breached_at, plan_due_at, plan_met_at,
                        plan_breached_at, ladder_step, ladder_round)
SELECT id, tracking_code, channel, received_at, state, text, location_text, location_code,
       child_name, child_age, child_age_estimated, child_sex, child_condition,
       perpetrator_relation, reporter_name, reporter_phone, reporter_address, contact_ok,
       keep_identity_secret, secret_salt, secret_hash, commune_code, province_code,
       action_due_at, action_met_at, action_breached_at, plan_due_at, plan_met_at,
       plan_breached_at, ladder_step, ladder_round
FROM reports;

DROP TABLE reports;
ALTER TABLE reports_v6 RENAME TO reports;
CREATE INDEX reports_by_commune ON reports (commune_code) WHERE commune_code IS NOT NULL;
CREATE INDEX reports_action_due ON reports (action_due_at)
    WHERE action_due_at IS NOT NULL AND action_met_at IS NULL AND action_breached_at IS NULL;
CREATE INDEX reports_plan_due ON reports (plan_due_at)
    WHERE plan_due_at IS NOT NULL AND plan_met_at IS NULL AND plan_breached_at IS NULL;
)sql";

// Notifications and acknowledgement (issue 6). The outbox is rebuilt with
// its checks written as comparisons (every routed report now adds a row) and
// learns which assignment a message notifies, the gateway's id for the sent
// message (delivery reports name it) and what the gateway reported about
// delivery. The live-message predicate of `outbox_due` is spelt with OR;
// queries must spell it the same way for SQLite to use the index.
// Officers' API tokens are kept as hashes only; acknowledgement links are
// rows so that one can be used once and expire.
constexpr std::string_view migration_7 = R"sql(
CREATE TABLE outbox_v7 (
    id                  INTEGER PRIMARY KEY,
    channel             TEXT    NOT NULL,
    destination         TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    segments            INTEGER NOT NULL CHECK (segments >= 0),
    report_id           INTEGER REFERENCES reports (id),
    state               TEXT    NOT NULL
                        CHECK (state = 'pending' OR state = 'sending' OR state = 'sent' OR state = 'failed'),
    attempts            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    next_attempt_at     INTEGER NOT NULL,
    lease_until         INTEGER CHECK (state <> 'sending' OR lease_until IS NOT NULL),
    sent_at             INTEGER,
    failed_at           INTEGER,
    last_error          TEXT,
    assignment_id       INTEGER REFERENCES assignments (id),
    provider_message_id TEXT,
    delivery            TEXT    CHECK (delivery = 'delivered' OR delivery = 'undelivered'),
    delivery_at         INTEGER
) STRICT;

INSERT INTO outbox_v7 (id, channel, destination, body, segments, report_id, state, attempts, created_at,
                       next_attempt_at, lease_until, sent_at, failed_at, last_error)
SELECT id, channel, destination, body, segments, report_id, state, attempts, created_at,
       next_attempt_at, lease_until, sent_at, failed_at, last_error
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_v7 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (
    (CASE state WHEN 'sending' THEN lease_until ELSE next_attempt_at END), id
) WHERE state = 'pending' OR state = 'sending';
CREATE INDEX outbox_by_assignment ON outbox (assignment_id) WHERE assignment_id IS NOT NULL;
CREATE UNIQUE INDEX outbox_by_provider_id ON outbox (channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;

CREATE TABLE officer_tokens (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    label      TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

CREATE TABLE ack_links (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments (id),
    contact_id    INTEGER NOT NULL REFERENCES contacts (id),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
) STRICT;
CREATE INDEX ack_links_by_assignment ON ack_links (assignment_id);
)sql";

// No query looks reports up by commune, and the index cost every new report a
// write to a page at a random place in it (commune codes do not follow the
// order reports arrive in): a full page in the WAL, per report, for nothing.
constexpr std::string_view migration_8 = R"sql(
DROP INDEX reports_by_commune;
)sql";

// A number that every change to the directory (contacts and rosters) moves,
// whoever makes it: the writer keeps what it read of the directory to route
// reports (storage::duty_cache) for as long as this number stays the same.
constexpr std::string_view migration_9 = R"sql(
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO directory_version (id, version) VALUES (1, 0);
CREATE TRIGGER contacts_insert_moves_version AFTER INSERT ON contacts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER contacts_update_moves_version AFTER UPDATE ON contacts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER contacts_delete_moves_version AFTER DELETE ON contacts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER roster_shifts_insert_moves_version AFTER INSERT ON roster_shifts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER roster_shifts_update_moves_version AFTER UPDATE ON roster_shifts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER roster_shifts_delete_moves_version AFTER DELETE ON roster_shifts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER roster_overrides_insert_moves_version AFTER INSERT ON roster_overrides
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER roster_overrides_update_moves_version AFTER UPDATE ON roster_overrides
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER roster_overrides_delete_moves_version AFTER DELETE ON roster_overrides
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
)sql";

// assignments_queued was keyed by (queue, unit_code, state), but only the
// count of open queue entries reads it (/metrics). Queue entries arrive in
// units spread over the whole country, so each new one was written to a page
// at a random place in the index: in a group commit of reports that all went
// to a queue, that index was three tenths of the pages written. Keyed by
// state first, a new entry goes to the end of the `open` entries of its queue.
constexpr std::string_view migration_10 = R"sql(
DROP INDEX assignments_queued;
CREATE INDEX assignments_queued ON assignments (state, queue) WHERE queue IS NOT NULL;
)sql";

// How many messages a number sent in the last hour was counted through
// sms_messages_by_sender, keyed by sender: each new message wrote a page at a
// random place in it. Now each number's row in sms_senders keeps the receive
// times (Unix ms, comma-separated, oldest first) of its latest messages, at
// most sms.replies_per_hour of them (at most 1000) and none older than an
// hour before the newest (storage/sms.cpp), which is all the limit needs;
// this fills them in from the messages stored so far. sms_messages is
// rebuilt without the IN list in its CHECK, for which SQLite builds a
// temporary index at every insert (as migration 6 did for reports).
constexpr std::string_view migration_11 = R"sql(
ALTER TABLE sms_senders ADD COLUMN recent_at TEXT NOT NULL DEFAULT '';
INSERT INTO sms_senders (phone) SELECT DISTINCT sender FROM sms_messages WHERE true
    ON CONFLICT (phone) DO NOTHING;
UPDATE sms_senders SET recent_at = COALESCE((
    SELECT group_concat(received_at, ',') FROM (
        SELECT received_at FROM (
            SELECT m.received_at FROM sms_messages AS m
            WHERE m.sender = sms_senders.phone AND m.received_at >
                (SELECT max(received_at) FROM sms_messages WHERE sender = sms_senders.phone) - 3600000
            ORDER BY m.received_at DESC LIMIT 1000)
        ORDER BY received_at)), '');

CREATE TABLE sms_messages_v11 (
    id                  INTEGER PRIMARY KEY,
    provider            TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    sender              TEXT    NOT NULL,
    recipient           TEXT,
    body                TEXT    NOT NULL,
    received_at         INTEGER NOT NULL,
    action              TEXT    NOT NULL
                        CHECK (action = 'new_report' OR action = 'add_location' OR action = 'add_detail' OR
                               action = 'opt_out' OR action = 'officer_acknowledge'),
    report_id           INTEGER REFERENCES reports (id),
    contact_id          INTEGER REFERENCES contacts (id),
    flagged             INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    reply               TEXT,
    reply_kind          TEXT    NOT NULL,
    reply_segments      INTEGER NOT NULL DEFAULT 0,
    outbox_id           INTEGER,
    UNIQUE (provider, provider_message_id)
) STRICT;
INSERT INTO sms_messages_v11 (id, provider, provider_message_id, sender, recipient, body, received_at, action,
                              report_id, contact_id, flagged, reply, reply_kind, reply_segments, outbox_id)
SELECT id, provider, provider_message_id, sender, recipient, body, received_at, action, report_id, contact_id,
       flagged, reply, reply_kind, reply_segments, outbox_id
FROM sms_messages;
DROP TABLE sms_messages;
ALTER TABLE sms_messages_v11 RENAME TO sms_messages;
)sql";

// An open assignment was kept in two partial indexes, one per deadline
// (ack_due_at, reminder_due_at), and each new assignment wrote both: a
// quarter of the pages a report's commit wrote. One index now holds each
// open assignment once, under the earlier of what it still waits for:
// `next_due_at` is its reminder while that is not recorded (when it comes
// before an unbreached deadline), else its deadline while no breach is
// recorded, else null. The scheduler reads what is due from it
// (storage/detail/due_sql.hpp).
constexpr std::string_view migration_12 = R"sql(
ALTER TABLE assignments ADD COLUMN next_due_at INTEGER GENERATED ALWAYS AS (CASE
    WHEN reminded_at IS NULL AND reminder_due_at IS NOT NULL
         AND (breached_at IS NOT NULL OR ack_due_at IS NULL OR reminder_due_at < ack_due_at)
        THEN reminder_due_at
    WHEN breached_at IS NULL THEN ack_due_at
    END) VIRTUAL;
CREATE INDEX assignments_due ON assignments (next_due_at) WHERE state = 'open' AND next_due_at IS NOT NULL;
DROP INDEX assignments_ack_due;
DROP INDEX assignments_reminder_due;
)sql";

constexpr std::array<std::string_view, 12> all = {migration_1, migration_2,  migration_3,  migration_4,
                                                  migration_5, migration_6,  migration_7,  migration_8,
                                                  migration_9, migration_10, migration_11, migration_12};

result<std::int64_t> scalar(connection& c, std::string_view sql) {
    auto st = c.prepare(sql);
    if (!st) return std::move(st).err();
    auto r = st->step();
    if (!r) return std::move(r).err();
    if (*r != step_result::row) return make_error("storage_failure", "sqlite: query returned no row");
    return st->column_int64(0);
}

// Leaves the connection with no transaction open, whatever state a failure
// left it in.
void abandon(connection& c) {
    if (!c.autocommit()) (void)c.exec("ROLLBACK");
}

result<int> apply_pending(connection& c) {
    const int latest = static_cast<int>(all.size());
    for (;;) {
        if (auto r = c.exec("BEGIN IMMEDIATE"); !r) return std::move(r).err();
        auto v = schema_version(c);
        if (!v) {
            abandon(c);
            return std::move(v).err();
        }
        int version = *v;
        if (version > latest) {
            abandon(c);
            return make_error("schema_too_new",
                              "the database has schema version " + std::to_string(version) +
                                  " but this program knows versions up to " + std::to_string(latest) +
                                  "; run a newer release of the program against it");
        }
        if (version < 0) {
            abandon(c);
            return make_error("storage_failure",
                              "the database has a negative schema version: not a hotline database");
        }
        if (version == latest) {
            abandon(c);
            return version;
        }
        auto step = [&]() -> result<void> {
            if (auto r = c.exec(all[static_cast<std::size_t>(version)]); !r) return r;
            auto broken = scalar(c, "SELECT count(*) FROM pragma_foreign_key_check");
            if (!broken) return std::move(broken).err();
            if (*broken != 0)
                return make_error("storage_failure", "migration " + std::to_string(version + 1) +
                                                         " left rows that violate a foreign key");
            // PRAGMA takes no parameters; the value is our own integer.
            if (auto r = c.exec("PRAGMA user_version = " + std::to_string(version + 1)); !r) return r;
            return c.exec("COMMIT");
        };
        if (auto r = step(); !r) {
            abandon(c);
            error e = std::move(r).err();
            e.message = "migration " + std::to_string(version + 1) + " failed: " + e.message;
            return e;
        }
    }
}

}  // namespace

std::span<const std::string_view> migrations() noexcept { return all; }

result<int> schema_version(connection& c) {
    auto v = scalar(c, "PRAGMA user_version");
    if (!v) return std::move(v).err();
    return static_cast<int>(*v);
}

result<int> apply_migrations(connection& c) {
    // foreign_keys cannot change inside a transaction, and a table rebuild in
    // a later migration must not trip over (or cascade through) references
    // while it runs: off while migrating, checked before each commit.
    if (auto r = c.exec("PRAGMA foreign_keys = OFF"); !r) return std::move(r).err();
    auto v = apply_pending(c);
    if (auto r = c.exec("PRAGMA foreign_keys = ON"); !r) return std::move(r).err();
    return v;
}

}  // namespace detail

int latest_schema_version() noexcept { return static_cast<int>(detail::migrations().size()); }

}  // namespace hotline::storage
