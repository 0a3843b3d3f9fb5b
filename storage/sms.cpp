#include "storage/sms.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "intake/sms.hpp"
#include "storage/detail/phone_column.hpp"
#include "storage/detail/sms_receive.hpp"
#include "storage/detail/sql.hpp"
#include "storage/escalation.hpp"
#include "storage/officers.hpp"
#include "storage/outbox.hpp"

namespace hotline::storage {

namespace {

using detail::failure;
using detail::prepare_bound;
using detail::run_bound;

constexpr std::chrono::milliseconds rate_window = std::chrono::hours(1);
// sms_senders.recent_at holds at most this many times, whatever
// sms.replies_per_hour says (see recent_after).
constexpr std::size_t recent_limit = 1000;

// sms_senders.recent_at (migration 11): the receive times, Unix ms, of the
// number's latest messages, comma-separated, oldest first.
result<std::vector<std::int64_t>> parse_recent(std::string_view s) {
    std::vector<std::int64_t> out;
    while (!s.empty()) {
        const auto comma = s.find(',');
        const std::string_view one = s.substr(0, comma);
        std::int64_t t = 0;
        const auto [end, ec] = std::from_chars(one.data(), one.data() + one.size(), t);
        if (ec != std::errc() || end != one.data() + one.size())
            return failure("an SMS sender has a malformed recent_at");
        out.push_back(t);
        s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    }
    return out;
}

std::string format_recent(const std::vector<std::int64_t>& times) {
    std::string out;
    for (const auto t : times) {
        if (!out.empty()) out.push_back(',');
        out += std::to_string(t);
    }
    return out;
}

// The times to keep after a message received at `at`: `at` among the
// others, none an hour or more before the newest, and only the newest
// `keep` (the limit: whether a number reached it needs no more).
std::vector<std::int64_t> recent_after(std::vector<std::int64_t> times, std::int64_t at, int keep) {
    times.insert(std::upper_bound(times.begin(), times.end(), at), at);
    const std::int64_t newest = times.back();
    times.erase(times.begin(), std::upper_bound(times.begin(), times.end(), newest - rate_window.count()));
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(std::max(keep, 1)), recent_limit);
    if (times.size() > n) times.erase(times.begin(), times.end() - static_cast<std::ptrdiff_t>(n));
    return times;
}

std::string_view to_name(intake::sms_action a) noexcept {
    switch (a) {
    case intake::sms_action::new_report: return "new_report";
    case intake::sms_action::add_location: return "add_location";
    case intake::sms_action::add_detail: return "add_detail";
    case intake::sms_action::opt_out: return "opt_out";
    case intake::sms_action::officer_acknowledge: return "officer_acknowledge";
    }
    return "new_report";
}

std::optional<intake::sms_action> parse_action(std::string_view s) noexcept {
    for (auto a : {intake::sms_action::new_report, intake::sms_action::add_location, intake::sms_action::add_detail,
                   intake::sms_action::opt_out, intake::sms_action::officer_acknowledge})
        if (to_name(a) == s) return a;
    return std::nullopt;
}

std::string_view to_name(intake::sms_reply r) noexcept {
    switch (r) {
    case intake::sms_reply::none: return "none";
    case intake::sms_reply::received_ask_location: return "received_ask_location";
    case intake::sms_reply::received: return "received";
    case intake::sms_reply::location_added: return "location_added";
    case intake::sms_reply::detail_added: return "detail_added";
    case intake::sms_reply::opted_out: return "opted_out";
    case intake::sms_reply::ack_done: return "ack_done";
    case intake::sms_reply::ack_already: return "ack_already";
    case intake::sms_reply::ack_superseded: return "ack_superseded";
    case intake::sms_reply::ack_not_allowed: return "ack_not_allowed";
    case intake::sms_reply::ack_unknown_code: return "ack_unknown_code";
    }
    return "none";
}

std::optional<intake::sms_reply> parse_reply(std::string_view s) noexcept {
    for (auto r : {intake::sms_reply::none, intake::sms_reply::received_ask_location, intake::sms_reply::received,
                   intake::sms_reply::location_added, intake::sms_reply::detail_added, intake::sms_reply::opted_out,
                   intake::sms_reply::ack_done, intake::sms_reply::ack_already, intake::sms_reply::ack_superseded,
                   intake::sms_reply::ack_not_allowed, intake::sms_reply::ack_unknown_code})
        if (to_name(r) == s) return r;
    return std::nullopt;
}

std::optional<std::uint64_t> as_id(std::optional<std::int64_t> v) {
    if (!v) return std::nullopt;
    return static_cast<std::uint64_t>(*v);
}

// The stored outcome of a message already received under this provider id.
result<std::optional<sms_outcome>> stored_outcome(connection& c, const inbound_sms& m) {
    using out = std::optional<sms_outcome>;
    auto st = prepare_bound(c,
                            "SELECT s.id, s.action, s.reply_kind, s.flagged, s.report_id, r.tracking_code, s.reply, "
                            "s.reply_segments, s.outbox_id, s.contact_id "
                            "FROM sms_messages AS s LEFT JOIN reports AS r ON r.id = s.report_id "
                            "WHERE s.provider = ?1 AND s.provider_message_id = ?2",
                            m.provider, m.provider_message_id);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row == step_result::done) return out{};
    const statement& s = **st;
    sms_outcome o;
    o.message_id = static_cast<std::uint64_t>(s.column_int64(0));
    auto action = parse_action(s.column_text_view(1));
    auto reply = parse_reply(s.column_text_view(2));
    if (!action || !reply) return failure("sms message " + std::to_string(o.message_id) + " has a malformed row");
    o.decision.action = *action;
    o.decision.reply = *reply;
    o.decision.flagged = s.column_int64(3) != 0;
    o.report_id = as_id(s.column_optional_int64(4));
    if (!s.column_is_null(5)) o.tracking_code = intake::tracking_codec::grouped(s.column_text_view(5));
    o.reply_text = s.column_optional_text(6).value_or("");
    o.reply_segments = static_cast<int>(s.column_int64(7));
    o.outbox_id = as_id(s.column_optional_int64(8));
    o.contact_id = as_id(s.column_optional_int64(9));
    o.replayed = true;
    return out{std::move(o)};
}

// What the store knows about the number `phone` (stored form) at `at`, and
// whether `contact_phone` (as the directory stores it) is an active contact:
// one statement, one row whether or not the number is known.
struct sender_lookup {
    intake::sms_sender_state state;
    std::optional<std::int64_t> contact_id;
    std::vector<std::int64_t> recent;  // sms_senders.recent_at, sorted
};

result<sender_lookup> sender_state(connection& c, const std::string& phone, std::int64_t at,
                                   const std::string& contact_phone) {
    auto st = prepare_bound(c,
                            "SELECT s.opted_out, s.open_report_id, s.open_report_at, s.needs_location, s.recent_at, "
                            "(SELECT id FROM contacts WHERE phone = ?2 AND active = 1 ORDER BY id LIMIT 1) "
                            "FROM (SELECT 1) LEFT JOIN sms_senders AS s ON s.phone = ?1",
                            phone, contact_phone);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return failure("sqlite: the sender lookup returned no row");
    const statement& r = **st;
    sender_lookup out;
    intake::sms_sender_state& s = out.state;
    if (!r.column_is_null(0)) {  // the number has a sms_senders row
        s.opted_out = r.column_int64(0) != 0;
        s.open_report = as_id(r.column_optional_int64(1));
        if (auto t = r.column_optional_int64(2)) s.open_report_at = from_unix_ms(*t);
        s.open_report_needs_location = r.column_int64(3) != 0;
        auto recent = parse_recent(r.column_text_view(4));
        if (!recent) return std::move(recent).err();
        out.recent = std::move(*recent);
        std::sort(out.recent.begin(), out.recent.end());
    }
    // Counted from the newest replies_per_hour messages at most: enough to
    // tell whether the number reached that limit.
    const std::int64_t since = at - rate_window.count();
    s.messages_last_hour = static_cast<int>(
        std::count_if(out.recent.begin(), out.recent.end(), [since](std::int64_t t) { return t > since; }));
    out.contact_id = r.column_optional_int64(5);
    s.known_contact = out.contact_id.has_value();
    return out;
}

// The stored (ungrouped) tracking code of report `id`, or std::nullopt when
// there is no such report.
result<std::optional<std::string>> tracking_code_of(connection& c, std::uint64_t id) {
    using out = std::optional<std::string>;
    if (id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return out{};
    auto st = prepare_bound(c, "SELECT tracking_code FROM reports WHERE id = ?1", static_cast<std::int64_t>(id));
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row == step_result::done) return out{};
    return out{(*st)->column_text(0)};
}

// What an officer's "OK <code>" for report `report_id` comes to: the
// assignment to acknowledge (see sms.hpp), or why there is none.
struct ack_plan {
    intake::sms_reply reply = intake::sms_reply::ack_not_allowed;
    std::optional<std::int64_t> assignment;
};

result<ack_plan> plan_acknowledgement(connection& c, std::int64_t report_id, std::int64_t contact_id,
                                      time_point at) {
    struct row {
        std::int64_t id = 0;
        std::optional<std::int64_t> contact;
        std::string state;
    };
    std::vector<row> rows;
    {
        auto st = prepare_bound(c,
                                "SELECT id, contact_id, state FROM assignments WHERE report_id = ?1 "
                                "ORDER BY created_at, id",
                                report_id);
        if (!st) return std::move(st).err();
        auto walked = detail::for_each_row(**st, [&](const statement& s) -> result<void> {
            rows.push_back(row{s.column_int64(0), s.column_optional_int64(1), s.column_text(2)});
            return {};
        });
        if (!walked) return std::move(walked).err();
    }
    // Open ones first; otherwise what became of the contact's own
    // assignment, else of one it could have acknowledged as a colleague.
    std::optional<std::int64_t> own, colleague;
    std::optional<std::string> own_closed, colleague_closed;
    for (const auto& r : rows) {
        ack_permission p = ack_permission::assignee;
        if (r.contact != contact_id) {
            auto may = may_acknowledge(c, r.id, contact_id, at);
            if (!may) return std::move(may).err();
            p = *may;
        }
        if (p == ack_permission::refused) continue;
        const bool mine = p == ack_permission::assignee;
        if (r.state == "open") {
            if (mine && !own) own = r.id;
            if (!mine && !colleague) colleague = r.id;
        } else if (mine && !own_closed) {
            own_closed = r.state;
        } else if (!mine && (!colleague_closed || r.state == "acknowledged")) {
            colleague_closed = r.state;
        }
    }
    ack_plan out;
    const auto closed_reply = [](const std::string& state) {
        return state == "acknowledged" ? intake::sms_reply::ack_already : intake::sms_reply::ack_superseded;
    };
    if (own || colleague) {
        out.reply = intake::sms_reply::ack_done;
        out.assignment = own ? own : colleague;
    } else if (own_closed) {
        out.reply = closed_reply(*own_closed);
    } else if (colleague_closed) {
        out.reply = closed_reply(*colleague_closed);
    }
    return out;
}

std::string upper_ascii(std::string_view s) {
    std::string out(s);
    for (char& ch : out)
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    return out;
}

}  // namespace

namespace detail {

result<sms_outcome> receive_sms(connection& c, const inbound_sms& m, const intake::sms_command& command,
                                const sms_options& o, const intake::tracking_codec& codec,
                                const routing_request* routing, const report_inserter& insert_report) {
    // A gateway retry: the first answer, nothing new.
    {
        auto replay = stored_outcome(c, m);
        if (!replay) return std::move(replay).err();
        if (*replay) return std::move(**replay);
    }

    const std::string phone = encode_phone(m.from);
    const std::int64_t at = to_unix_ms(m.received_at);
    // Officers' numbers are directory data, stored as they are.
    auto lookup = sender_state(c, phone, at, m.from);
    if (!lookup) return std::move(lookup).err();
    const intake::sms_sender_state& sender = lookup->state;

    // A body that names a commune needs no "which commune?" reply.
    const bool names_place = routing && routing->location.commune_code.has_value();
    intake::sms_decision decision = intake::decide_sms(sender, command, names_place, o.policy, m.received_at);
    using intake::sms_action;
    using intake::sms_reply;
    if ((decision.action == sms_action::add_location || decision.action == sms_action::add_detail) &&
        !sender.open_report) {
        // Nothing to extend: never drop the message, file it.
        decision.action = sms_action::new_report;
        if (decision.reply == sms_reply::location_added || decision.reply == sms_reply::detail_added)
            decision.reply = sms_reply::received_ask_location;
    }

    sms_outcome out;
    out.decision = decision;
    std::optional<std::int64_t> report_id;
    std::string code;  // ungrouped
    std::optional<std::int64_t> contact_id;
    std::optional<std::int64_t> ack_assignment;     // officer_acknowledge: what to acknowledge
    sms_reply ack_reply = sms_reply::none;          // and what came of it, replied or not

    switch (decision.action) {
    case sms_action::new_report: {
        new_report r;
        r.channel = intake::channel::sms;
        r.received_at = m.received_at;
        r.data.text = m.body;
        if (!m.from.empty()) r.data.reporter_phone = m.from;
        r.secret = m.secret;
        auto rec = insert_report(r);
        if (!rec) return std::move(rec).err();
        report_id = static_cast<std::int64_t>(rec->id);
        code = std::move(rec->tracking_code);
        out.earliest_due = rec->earliest_due;
        out.queued_messages = rec->queued_messages;
        break;
    }
    case sms_action::add_location:
    case sms_action::add_detail: {
        auto known = tracking_code_of(c, *sender.open_report);
        if (!known) return std::move(known).err();
        if (!*known) return failure("the open report of an SMS sender does not exist");
        report_id = static_cast<std::int64_t>(*sender.open_report);
        code = std::move(**known);
        break;
    }
    case sms_action::officer_acknowledge: {
        // From a number that is no active contact: stored, nothing more.
        contact_id = lookup->contact_id;
        if (!contact_id) break;
        ack_plan plan;
        plan.reply = sms_reply::ack_unknown_code;
        if (auto id = codec.decode(command.code)) {
            auto known = tracking_code_of(c, *id);
            if (!known) return std::move(known).err();
            if (*known) {
                report_id = static_cast<std::int64_t>(*id);
                code = std::move(**known);
                auto p = plan_acknowledgement(c, *report_id, *contact_id, m.received_at);
                if (!p) return std::move(p).err();
                plan = *p;
            }
        }
        ack_assignment = plan.assignment;
        ack_reply = plan.reply;
        if (decision.reply != sms_reply::none) decision.reply = plan.reply;
        out.decision = decision;
        break;
    }
    case sms_action::opt_out: break;
    }

    if (!code.empty()) out.tracking_code = intake::tracking_codec::grouped(code);
    if (decision.reply != sms_reply::none) {
        const std::string shown =
            decision.reply == sms_reply::ack_unknown_code ? upper_ascii(command.code) : out.tracking_code;
        out.reply_text = intake::sms_reply_text(decision.reply, shown);
        out.reply_segments = intake::measure_sms(out.reply_text).segments;
    }
    if (!o.outbox_channel.empty() && !out.reply_text.empty()) {
        new_outbox_message reply;
        reply.channel = o.outbox_channel;
        reply.destination = m.from;
        reply.body = out.reply_text;
        reply.segments = out.reply_segments;
        if (report_id) reply.report_id = static_cast<std::uint64_t>(*report_id);
        reply.created_at = m.received_at;
        auto id = enqueue_outbox(c, reply);
        if (!id) return std::move(id).err();
        out.outbox_id = *id;
    }

    std::optional<std::string> reply_column;
    if (!out.reply_text.empty()) reply_column = out.reply_text;
    std::optional<std::int64_t> outbox_column;
    if (out.outbox_id) outbox_column = static_cast<std::int64_t>(*out.outbox_id);
    std::optional<std::string> recipient;
    if (!m.to.empty()) recipient = m.to;
    if (auto r = run_bound(c,
                           "INSERT INTO sms_messages (provider, provider_message_id, sender, recipient, body, "
                           "received_at, action, report_id, contact_id, flagged, reply, reply_kind, reply_segments, "
                           "outbox_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                           m.provider, m.provider_message_id, phone, recipient, m.body, at, to_name(decision.action),
                           report_id, contact_id, decision.flagged, reply_column, to_name(decision.reply),
                           out.reply_segments, outbox_column);
        !r)
        return std::move(r).err();
    const std::int64_t message_id = c.last_insert_rowid();
    out.message_id = static_cast<std::uint64_t>(message_id);
    // Every message counts toward its number's limit, whatever it was: each
    // action below writes the number's row with these times.
    const std::string recent = format_recent(recent_after(lookup->recent, at, o.policy.replies_per_hour));
    if (report_id) out.report_id = static_cast<std::uint64_t>(*report_id);
    if (contact_id) out.contact_id = static_cast<std::uint64_t>(*contact_id);

    switch (decision.action) {
    case sms_action::new_report: {
        if (sender.open_report) {
            if (auto r = run_bound(c,
                                   "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, 'linked', "
                                   "'sms', json_object('previous_report_id', ?3))",
                                   *report_id, at, static_cast<std::int64_t>(*sender.open_report));
                !r)
                return std::move(r).err();
        }
        const bool ask = decision.reply == sms_reply::received_ask_location;
        if (auto r = run_bound(c,
                               "INSERT INTO sms_senders (phone, open_report_id, open_report_at, needs_location, "
                               "recent_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (phone) DO UPDATE SET "
                               "open_report_id = excluded.open_report_id, open_report_at = excluded.open_report_at, "
                               "needs_location = excluded.needs_location, recent_at = excluded.recent_at",
                               phone, *report_id, at, ask, recent);
            !r)
            return std::move(r).err();
        break;
    }
    case sms_action::add_location: {
        if (auto r = run_bound(c,
                               "UPDATE reports SET location_text = CASE WHEN location_text IS NULL OR "
                               "location_text = '' THEN ?2 ELSE location_text || '; ' || ?2 END WHERE id = ?1",
                               *report_id, m.body);
            !r)
            return std::move(r).err();
        if (auto r = run_bound(c,
                               "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, "
                               "'location_added', 'sms', json_object('text', ?3, 'sms_message_id', ?4))",
                               *report_id, at, m.body, message_id);
            !r)
            return std::move(r).err();
        if (auto r = run_bound(c,
                               "UPDATE sms_senders SET open_report_at = ?2, needs_location = 0, recent_at = ?3 "
                               "WHERE phone = ?1",
                               phone, at, recent);
            !r)
            return std::move(r).err();
        if (routing) {
            if (auto r = route_late_location(c, *report_id, *routing, m.received_at); !r) return std::move(r).err();
        }
        break;
    }
    case sms_action::add_detail: {
        // The report's text stays as received; details are its history.
        if (auto r = run_bound(c,
                               "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, "
                               "'detail_added', 'sms', json_object('text', ?3, 'sms_message_id', ?4))",
                               *report_id, at, m.body, message_id);
            !r)
            return std::move(r).err();
        if (auto r = run_bound(c, "UPDATE sms_senders SET open_report_at = ?2, recent_at = ?3 WHERE phone = ?1",
                               phone, at, recent);
            !r)
            return std::move(r).err();
        break;
    }
    case sms_action::opt_out: {
        if (auto r = run_bound(c,
                               "INSERT INTO sms_senders (phone, opted_out, recent_at) VALUES (?1, 1, ?2) "
                               "ON CONFLICT (phone) DO UPDATE SET opted_out = 1, recent_at = excluded.recent_at",
                               phone, recent);
            !r)
            return std::move(r).err();
        break;
    }
    case sms_action::officer_acknowledge: {
        if (auto r = run_bound(c,
                               "INSERT INTO sms_senders (phone, recent_at) VALUES (?1, ?2) "
                               "ON CONFLICT (phone) DO UPDATE SET recent_at = excluded.recent_at",
                               phone, recent);
            !r)
            return std::move(r).err();
        if (report_id && contact_id) {
            if (auto r = run_bound(c,
                                   "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, "
                                   "'acknowledgement_received', ?3, "
                                   "json_object('contact_id', ?4, 'sms_message_id', ?5, 'outcome', ?6))",
                                   *report_id, at, "contact:" + std::to_string(*contact_id), *contact_id,
                                   message_id, to_name(ack_reply));
                !r)
                return std::move(r).err();
        }
        if (ack_assignment) {
            auto done = acknowledge(c, acknowledgement{*ack_assignment, *contact_id, "sms", m.received_at});
            // The plan read the assignment in this same transaction: any
            // refusal now is a broken invariant, and fails the write.
            if (!done) return failure("sms acknowledgement failed: " + done.err().message);
            out.acknowledged_assignment = static_cast<std::uint64_t>(*ack_assignment);
            out.in_time = done->in_time;
        }
        break;
    }
    }
    return out;
}

}  // namespace detail

}  // namespace hotline::storage
