#include "storage/outbox.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "storage/detail/json_text.hpp"
#include "storage/detail/phone_column.hpp"
#include "storage/detail/sql.hpp"
#include "storage/notify.hpp"

namespace hotline::storage {

namespace {

using detail::failure;
using detail::prepare_bound;
using detail::run_bound;

// When a live message is due: exactly the expression of the partial index
// `outbox_due` (migration 7), so that "claim due" and "next due" are index
// searches, not table scans.
#define HOTLINE_OUTBOX_DUE "(CASE state WHEN 'sending' THEN lease_until ELSE next_attempt_at END)"
#define HOTLINE_OUTBOX_LIVE "(state = 'pending' OR state = 'sending')"

// last_error is for logs and operators: never the text of a message, never
// a phone number, and bounded.
constexpr std::size_t max_error_bytes = 500;
// Texts shorter than this are not searched for: they say nothing about
// anyone, and replacing every "ok" or "+84" would garble the error itself.
constexpr std::size_t min_redacted_bytes = 8;

std::optional<outbox_state> parse_outbox_state(std::string_view s) noexcept {
    if (s == "pending") return outbox_state::pending;
    if (s == "sending") return outbox_state::sending;
    if (s == "sent") return outbox_state::sent;
    if (s == "failed") return outbox_state::failed;
    return std::nullopt;
}

bool terminal(outbox_state s) noexcept { return s == outbox_state::sent || s == outbox_state::failed; }

void replace_all(std::string& s, std::string_view what, std::string_view with) {
    if (what.size() < min_redacted_bytes) return;
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
        s.replace(at, what.size(), with);
}

// `text` as it appears inside a JSON string (gateways often echo what they
// were sent in a JSON error document).
std::string json_escaped(std::string_view text) {
    std::string out;
    detail::append_json_escaped(out, text);
    return out;
}

// The error as stored: the message body and the destination (as sent, and as
// a JSON string would carry them) replaced by placeholders, cut to a bounded
// length on a UTF-8 character boundary.
std::string safe_error(std::string e, std::string_view body, std::string_view destination) {
    replace_all(e, body, "[message text]");
    if (auto j = json_escaped(body); j != body) replace_all(e, j, "[message text]");
    replace_all(e, destination, "[destination]");
    if (e.size() > max_error_bytes) {
        std::size_t cut = max_error_bytes;
        while (cut > 0 && (static_cast<unsigned char>(e[cut]) & 0xC0) == 0x80) --cut;
        e.resize(cut);
        e += "…";
    }
    return e;
}

struct stored_message {
    outbox_state state = outbox_state::pending;
    std::string channel;
    std::string destination;  // decoded
    std::string body;
    std::optional<std::int64_t> report_id;
    std::optional<std::int64_t> assignment_id;
};

result<std::optional<stored_message>> load(connection& c, std::uint64_t id) {
    using out = std::optional<stored_message>;
    if (id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return out{};
    auto st = prepare_bound(c, "SELECT state, channel, destination, body, report_id, assignment_id FROM outbox WHERE id = ?1",
                            static_cast<std::int64_t>(id));
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row == step_result::done) return out{};
    stored_message m;
    auto state = parse_outbox_state((*st)->column_text_view(0));
    if (!state) return failure("outbox message " + std::to_string(id) + " has an unknown state");
    m.state = *state;
    m.channel = (*st)->column_text(1);
    m.destination = detail::is_sms_channel(m.channel) ? detail::decode_phone((*st)->column_text_view(2))
                                                      : (*st)->column_text(2);
    m.body = (*st)->column_text(3);
    m.report_id = (*st)->column_optional_int64(4);
    m.assignment_id = (*st)->column_optional_int64(5);
    return out{std::move(m)};
}

error not_found(std::uint64_t id) {
    return make_error("not_found", "no outbox message " + std::to_string(id));
}

}  // namespace

result<std::uint64_t> enqueue_outbox(connection& c, const new_outbox_message& m) {
    if (m.channel.empty()) return make_error("invalid_value", "an outbox message needs a channel", "channel");
    if (m.destination.empty())
        return make_error("invalid_value", "an outbox message needs a destination", "destination");
    if (m.segments < 0) return make_error("invalid_value", "segments cannot be negative", "segments");
    std::optional<std::int64_t> report;
    if (m.report_id) {
        if (*m.report_id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return make_error("invalid_value", "report id out of range", "report_id");
        report = static_cast<std::int64_t>(*m.report_id);
    }
    const std::string destination =
        detail::is_sms_channel(m.channel) ? detail::encode_phone(m.destination) : m.destination;
    const std::int64_t at = to_unix_ms(m.created_at);
    if (auto r = run_bound(c,
                           "INSERT INTO outbox (channel, destination, body, segments, report_id, state, attempts, "
                           "created_at, next_attempt_at, assignment_id) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6, ?7)",
                           m.channel, destination, m.body, m.segments, report, at, m.assignment_id);
        !r)
        return std::move(r).err();
    return static_cast<std::uint64_t>(c.last_insert_rowid());
}

result<std::vector<outbox_message>> claim_due_outbox(connection& c, time_point now, std::size_t max,
                                                     std::chrono::milliseconds lease) {
    std::vector<outbox_message> claimed;
    if (max == 0) return claimed;
    const std::int64_t limit =
        static_cast<std::int64_t>(std::min<std::size_t>(max, std::numeric_limits<std::int32_t>::max()));
    const std::int64_t at = to_unix_ms(now);
    const std::int64_t until = at + std::max<std::int64_t>(lease.count(), 0);
    {
        auto st = prepare_bound(c,
                                "SELECT id, channel, destination, body, segments, attempts, report_id, created_at, "
                                "next_attempt_at, assignment_id FROM outbox WHERE " HOTLINE_OUTBOX_LIVE " AND " HOTLINE_OUTBOX_DUE
                                " <= ?1 ORDER BY " HOTLINE_OUTBOX_DUE ", id LIMIT ?2",
                                at, limit);
        if (!st) return std::move(st).err();
        for (;;) {
            auto row = (*st)->step();
            if (!row) return std::move(row).err();
            if (*row == step_result::done) break;
            const statement& s = **st;
            outbox_message m;
            m.id = static_cast<std::uint64_t>(s.column_int64(0));
            m.channel = s.column_text(1);
            m.destination = detail::is_sms_channel(m.channel) ? detail::decode_phone(s.column_text_view(2))
                                                              : s.column_text(2);
            m.body = s.column_text(3);
            m.segments = static_cast<int>(s.column_int64(4));
            m.attempts = static_cast<int>(s.column_int64(5));
            if (auto r = s.column_optional_int64(6)) m.report_id = static_cast<std::uint64_t>(*r);
            m.created_at = from_unix_ms(s.column_int64(7));
            m.next_attempt_at = from_unix_ms(s.column_int64(8));
            m.assignment_id = s.column_optional_int64(9);
            claimed.push_back(std::move(m));
        }
    }
    // The whole claim runs in the caller's write transaction: nobody else can
    // claim the same rows between the SELECT and these UPDATEs.
    for (const auto& m : claimed) {
        if (auto r = run_bound(c,
                               "UPDATE outbox SET state = 'sending', lease_until = ?2, attempts = attempts + 1 "
                               "WHERE id = ?1",
                               static_cast<std::int64_t>(m.id), until);
            !r)
            return std::move(r).err();
    }
    return claimed;
}

result<void> mark_outbox_sent(connection& c, std::uint64_t id, time_point now,
                              std::string_view provider_message_id) {
    auto m = load(c, id);
    if (!m) return std::move(m).err();
    if (!*m) return not_found(id);
    if (terminal((*m)->state)) return {};
    const std::int64_t at = to_unix_ms(now);
    const auto row_id = static_cast<std::int64_t>(id);
    std::optional<std::string_view> provider;
    if (!provider_message_id.empty()) provider = provider_message_id;
    // The gateway's id is unique per channel (index outbox_by_provider_id). A
    // gateway that hands out an id twice must not make this verdict fail:
    // the row would stay claimed and be sent again and again. The second
    // message then simply has no id, and no delivery report can name it.
    if (auto r = run_bound(c,
                           "UPDATE outbox SET state = 'sent', sent_at = ?2, lease_until = NULL, "
                           "provider_message_id = CASE WHEN ?3 IS NULL OR EXISTS (SELECT 1 FROM outbox "
                           "WHERE channel = ?4 AND provider_message_id = ?3) THEN NULL ELSE ?3 END WHERE id = ?1",
                           row_id, at, provider, (*m)->channel);
        !r)
        return r;
    if ((*m)->report_id) {
        if (auto r = run_bound(c,
                               "INSERT INTO events (report_id, at, kind, actor, data) VALUES "
                               "(?1, ?2, 'notified', 'outbox', json_object('outbox_id', ?3, 'channel', ?4))",
                               *(*m)->report_id, at, row_id, (*m)->channel);
            !r)
            return r;
    }
    return {};
}

result<void> retry_outbox(connection& c, std::uint64_t id, time_point next, const std::string& error) {
    auto m = load(c, id);
    if (!m) return std::move(m).err();
    if (!*m) return not_found(id);
    if (terminal((*m)->state)) return {};
    return run_bound(c,
                     "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, lease_until = NULL, "
                     "last_error = ?3 WHERE id = ?1",
                     static_cast<std::int64_t>(id), to_unix_ms(next),
                     safe_error(error, (*m)->body, (*m)->destination));
}

result<bool> fail_outbox(connection& c, std::uint64_t id, time_point now, const std::string& error) {
    auto m = load(c, id);
    if (!m) return std::move(m).err();
    if (!*m) return not_found(id);
    if (terminal((*m)->state)) return false;
    if (auto r = run_bound(c,
                           "UPDATE outbox SET state = 'failed', failed_at = ?2, lease_until = NULL, last_error = ?3 "
                           "WHERE id = ?1",
                           static_cast<std::int64_t>(id), to_unix_ms(now),
                           safe_error(error, (*m)->body, (*m)->destination));
        !r)
        return std::move(r).err();
    if (!(*m)->assignment_id) return false;
    return on_notification_failed(c, id, now);
}

std::string_view to_string(delivery_status s) noexcept {
    return s == delivery_status::delivered ? "delivered" : "undelivered";
}

result<std::optional<delivery_record>> record_delivery(connection& c, std::string_view channel,
                                                       std::string_view provider_message_id,
                                                       delivery_status status, time_point now,
                                                       const std::string& error) {
    using out = std::optional<delivery_record>;
    if (provider_message_id.empty()) return out{};
    delivery_record d;
    bool first = false;
    std::string body, destination;
    {
        auto st = prepare_bound(c,
                                "SELECT id, report_id, assignment_id, delivery, body, destination FROM outbox "
                                "WHERE channel = ?1 AND provider_message_id = ?2",
                                channel, provider_message_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row == step_result::done) return out{};
        const statement& s = **st;
        d.outbox_id = static_cast<std::uint64_t>(s.column_int64(0));
        if (auto r = s.column_optional_int64(1)) d.report_id = static_cast<std::uint64_t>(*r);
        d.assignment_id = s.column_optional_int64(2);
        first = s.column_is_null(3);
        if (first && status == delivery_status::undelivered && !error.empty()) {
            body = s.column_text(4);
            destination = detail::is_sms_channel(channel) ? detail::decode_phone(s.column_text_view(5))
                                                          : s.column_text(5);
        }
    }
    if (!first) return out{std::move(d)};
    const std::int64_t at = to_unix_ms(now);
    const auto row_id = static_cast<std::int64_t>(d.outbox_id);
    const std::string_view kind = to_string(status);
    std::optional<std::string> stored_error;
    if (status == delivery_status::undelivered && !error.empty()) stored_error = safe_error(error, body, destination);
    // Guarded by delivery IS NULL: the first report wins, whatever comes later.
    if (auto r = run_bound(c,
                           "UPDATE outbox SET delivery = ?2, delivery_at = ?3, last_error = COALESCE(?4, last_error) "
                           "WHERE id = ?1 AND delivery IS NULL",
                           row_id, kind, at, stored_error);
        !r)
        return std::move(r).err();
    if (c.changes() != 1) return out{std::move(d)};
    d.recorded = true;
    if (d.report_id) {
        if (auto r = run_bound(c,
                               "INSERT INTO events (report_id, at, kind, actor, data) VALUES "
                               "(?1, ?2, ?3, 'outbox', json_object('outbox_id', ?4, 'channel', ?5))",
                               static_cast<std::int64_t>(*d.report_id), at, kind, row_id, channel);
            !r)
            return std::move(r).err();
    }
    if (status == delivery_status::undelivered && d.assignment_id) {
        auto moved = on_notification_failed(c, d.outbox_id, now);
        if (!moved) return std::move(moved).err();
        d.deadline_moved = *moved;
    }
    return out{std::move(d)};
}

result<std::optional<time_point>> next_outbox_due(connection& c) {
    using out = std::optional<time_point>;
    auto st = c.cached("SELECT " HOTLINE_OUTBOX_DUE " FROM outbox WHERE " HOTLINE_OUTBOX_LIVE
                       " ORDER BY " HOTLINE_OUTBOX_DUE ", id LIMIT 1");
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row == step_result::done) return out{};
    return out{from_unix_ms((*st)->column_int64(0))};
}

result<outbox_counts> count_outbox(connection& c) {
    auto st = c.cached("SELECT state, count(*) FROM outbox GROUP BY state");
    if (!st) return std::move(st).err();
    outbox_counts n;
    for (;;) {
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row == step_result::done) break;
        const auto count = (*st)->column_int64(1);
        switch (parse_outbox_state((*st)->column_text_view(0)).value_or(outbox_state::failed)) {
        case outbox_state::pending: n.pending = count; break;
        case outbox_state::sending: n.sending = count; break;
        case outbox_state::sent: n.sent = count; break;
        case outbox_state::failed: n.failed = count; break;
        }
    }
    return n;
}

result<std::optional<outbox_status>> outbox_status_of(connection& c, std::uint64_t id) {
    using out = std::optional<outbox_status>;
    if (id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return out{};
    auto st = prepare_bound(c, "SELECT state, attempts, last_error FROM outbox WHERE id = ?1",
                            static_cast<std::int64_t>(id));
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row == step_result::done) return out{};
    auto state = parse_outbox_state((*st)->column_text_view(0));
    if (!state) return failure("outbox message " + std::to_string(id) + " has an unknown state");
    outbox_status s;
    s.state = *state;
    s.attempts = static_cast<int>((*st)->column_int64(1));
    s.last_error = (*st)->column_optional_text(2).value_or("");
    return out{std::move(s)};
}

#undef HOTLINE_OUTBOX_DUE
#undef HOTLINE_OUTBOX_LIVE

}  // namespace hotline::storage
