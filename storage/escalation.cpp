#include "storage/escalation.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "routing/rules.hpp"
#include "storage/detail/due_sql.hpp"
#include "storage/detail/json_text.hpp"
#include "storage/detail/sql.hpp"
#include "storage/directory.hpp"
#include "storage/notify.hpp"

namespace hotline::storage {

namespace {

using detail::failure;
using detail::prepare_bound;
using detail::run_bound;

enum class due_kind : std::int64_t { reminder = 0, ack = 1, action = 2, plan = 3 };

struct due_item {
    due_kind kind = due_kind::ack;
    std::int64_t id = 0;  // assignment id (ack, reminder) or report id (action, plan)
    std::int64_t due = 0;
};

bool pending(std::string_view state) noexcept {
    return state == "received" || state == "routed" || state == "unrouted";
}

result<void> insert_event(connection& c, std::int64_t report_id, std::int64_t at, std::string_view kind,
                          std::string_view actor, const std::string& data) {
    return run_bound(c, "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, ?3, ?4, ?5)",
                     report_id, at, kind, actor, data);
}

std::string position_json(int step, int round) {
    return "{\"step\":" + std::to_string(step) + ",\"round\":" + std::to_string(round) + "}";
}

struct assignment_row {
    std::int64_t report_id = 0;
    int step = 1;
    int round = 0;
    std::int64_t ack_due = 0;
};

result<std::optional<assignment_row>> load_assignment(connection& c, std::int64_t id) {
    auto st = prepare_bound(c, "SELECT report_id, step, ladder_round, ack_due_at FROM assignments WHERE id = ?1", id);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return std::optional<assignment_row>();
    const statement& s = **st;
    return std::optional<assignment_row>(assignment_row{s.column_int64(0), static_cast<int>(s.column_int64(1)),
                                                        static_cast<int>(s.column_int64(2)), s.column_int64(3)});
}

struct report_row {
    std::string state;
    std::optional<std::string> commune_code, province_code;
};

result<report_row> load_report(connection& c, std::int64_t id) {
    auto st = prepare_bound(c, "SELECT state, commune_code, province_code FROM reports WHERE id = ?1", id);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return failure("an assignment's report does not exist");
    const statement& s = **st;
    return report_row{s.column_text(0), s.column_optional_text(1), s.column_optional_text(2)};
}

std::string escalated_data(int from_step, int from_round, int to_step, int to_round,
                           const std::vector<std::pair<std::int64_t, const routing::planned_assignment*>>& rows) {
    std::string out = "{\"from\":" + position_json(from_step, from_round) + ",\"to\":" +
                      position_json(to_step, to_round) + ",\"assignments\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& a = *rows[i].second;
        if (i) out.push_back(',');
        out += "{\"id\":" + std::to_string(rows[i].first) + ",\"contact\":";
        if (a.contact)
            detail::append_json_string(out, a.contact->key);
        else
            out += "null";
        out += ",\"role\":";
        if (a.role)
            detail::append_json_string(out, routing::to_string(*a.role));
        else
            out += "null";
        out += ",\"unit_code\":";
        detail::append_json_string(out, a.unit_code);
        out += ",\"queue\":";
        if (a.contact)
            out += "null";
        else
            detail::append_json_string(out, a.queue);
        out += ",\"reason\":";
        detail::append_json_string(out, a.reason);
        out.push_back('}');
    }
    out += "]}";
    return out;
}

// The next step of the ladder after the breached assignment's, when the
// report is still waiting on that step. Moves the report's position first,
// guarded by the old one, so that a step escalates once.
result<bool> escalate(connection& c, std::int64_t assignment_id, const assignment_row& a, const report_row& r,
                      time_point now, const deadline_policy& policy, due_outcome& out) {
    if (!pending(r.state)) return false;
    auto cls = detail::classification_of(c, a.report_id);
    if (!cls) return std::move(cls).err();
    const auto& ladder = policy.escalation.for_urgency(cls->level);
    const std::size_t from_index = static_cast<std::size_t>(std::max(a.step, 1) - 1);
    const auto next = routing::next_step(ladder, from_index, a.round);
    if (!next) return false;
    const std::int64_t ms = to_unix_ms(now);
    if (auto x = run_bound(c,
                           "UPDATE reports SET ladder_step = ?2, ladder_round = ?3 WHERE id = ?1 AND ladder_step = ?4 "
                           "AND ladder_round = ?5 AND state IN ('received', 'routed', 'unrouted')",
                           a.report_id, static_cast<std::int64_t>(next->position.step_index),
                           next->position.repeat_index, static_cast<std::int64_t>(from_index), a.round);
        !x)
        return std::move(x).err();
    if (c.changes() != 1) return false;

    // The step's roles, looked up like the routing rules' roles but without
    // a fallback chain: nobody on duty for a role puts the report in a queue,
    // and the ladder's next step is the fallback.
    routing::routing_policy step_policy;
    step_policy.fallback.clear();
    routing::routing_rule rule;
    rule.name = "escalation step " + std::to_string(next->position.step_index + 1);
    rule.roles = next->step->roles;
    step_policy.rules.push_back(std::move(rule));
    routing::route_input in;
    in.level = cls->level;
    in.categories = cls->categories;
    in.commune_code = r.commune_code;
    in.province_code = r.province_code;
    in.at = now;
    sql_directory directory(c);
    auto plan = routing::route(step_policy, in, directory);
    if (!plan) return std::move(plan).err();

    const auto d = detail::deadline_for(&policy, cls->level, next->position, now);
    std::vector<std::pair<std::int64_t, const routing::planned_assignment*>> rows;
    for (const auto& p : plan->assignments) {
        auto id = detail::insert_assignment(c, a.report_id, p, d, now);
        if (!id) return std::move(id).err();
        rows.emplace_back(*id, &p);
        if (p.contact)
            if (auto n = notify_assignment(c, *id, policy.notifications, now); !n) return std::move(n).err();
    }
    out.assignments += rows.size();
    if (auto x = run_bound(c, "UPDATE assignments SET escalated_at = ?2 WHERE id = ?1 AND escalated_at IS NULL",
                           assignment_id, ms);
        !x)
        return std::move(x).err();
    if (detail::reaches_contact(*plan) && r.state == "unrouted")
        if (auto x = run_bound(c, "UPDATE reports SET state = 'routed' WHERE id = ?1 AND state = 'unrouted'",
                               a.report_id);
            !x)
            return std::move(x).err();
    const std::string data = escalated_data(a.step, a.round, d.step, d.round, rows);
    if (auto x = insert_event(c, a.report_id, ms, "escalated", "scheduler", data); !x) return std::move(x).err();
    return true;
}

// Loads open assignment `id` and sets `update` (an UPDATE of it by ?1 = id,
// ?2 = ms, guarded by the column it sets): the row only when this call
// made the change, so every transition happens once.
result<std::optional<assignment_row>> claim_assignment(connection& c, std::int64_t id, std::string_view update,
                                                      std::int64_t ms) {
    auto a = load_assignment(c, id);
    if (!a || !*a) return a;
    if (auto x = run_bound(c, update, id, ms); !x) return std::move(x).err();
    if (c.changes() != 1) return std::optional<assignment_row>();
    return a;
}

result<void> handle_ack(connection& c, std::int64_t id, time_point now, const deadline_policy& policy,
                        due_outcome& out) {
    const std::int64_t ms = to_unix_ms(now);
    auto a = claim_assignment(
        c, id, "UPDATE assignments SET breached_at = ?2 WHERE id = ?1 AND state = 'open' AND breached_at IS NULL", ms);
    if (!a) return std::move(a).err();
    if (!*a) return {};
    ++out.ack_breaches;
    const auto& row = **a;
    std::string data = "{\"assignment\":" + std::to_string(id) + ",\"step\":" + std::to_string(row.step) +
                       ",\"round\":" + std::to_string(row.round) + ",\"due_at\":" + std::to_string(row.ack_due) + "}";
    if (auto x = insert_event(c, row.report_id, ms, "ack_breached", "scheduler", data); !x) return std::move(x).err();
    auto report = load_report(c, row.report_id);
    if (!report) return std::move(report).err();
    auto done = escalate(c, id, row, *report, now, policy, out);
    if (!done) return std::move(done).err();
    if (*done) ++out.escalations;
    return {};
}

result<void> handle_reminder(connection& c, std::int64_t id, time_point now, const deadline_policy& policy,
                             due_outcome& out) {
    const std::int64_t ms = to_unix_ms(now);
    auto a = claim_assignment(
        c, id, "UPDATE assignments SET reminded_at = ?2 WHERE id = ?1 AND state = 'open' AND reminded_at IS NULL", ms);
    if (!a) return std::move(a).err();
    if (!*a) return {};
    // A reminder that falls due with its deadline already past (the server was
    // down through both) would only arrive beside the breach: the escalation
    // speaks for it.
    if ((*a)->ack_due <= ms) {
        ++out.reminders_skipped;
        return {};
    }
    auto report = load_report(c, (*a)->report_id);
    if (!report) return std::move(report).err();
    if (!pending(report->state)) return {};
    ++out.reminders;
    std::string data = "{\"assignment\":" + std::to_string(id) + ",\"step\":" + std::to_string((*a)->step) +
                       ",\"round\":" + std::to_string((*a)->round) + "}";
    if (auto x = insert_event(c, (*a)->report_id, ms, "reminder_due", "scheduler", data); !x) return x;
    auto sent = notify_assignment(c, id, policy.notifications, now, notification_kind::reminder);
    if (!sent) return std::move(sent).err();
    return {};
}

result<void> handle_legal(connection& c, due_kind kind, std::int64_t report_id, std::int64_t due, time_point now,
                          due_outcome& out) {
    const std::int64_t ms = to_unix_ms(now);
    const bool action = kind == due_kind::action;
    const std::string_view sql = action ? "UPDATE reports SET action_breached_at = ?2 WHERE id = ?1 AND "
                                          "action_met_at IS NULL AND action_breached_at IS NULL"
                                        : "UPDATE reports SET plan_breached_at = ?2 WHERE id = ?1 AND "
                                          "plan_met_at IS NULL AND plan_breached_at IS NULL";
    if (auto x = run_bound(c, sql, report_id, ms); !x) return std::move(x).err();
    if (c.changes() != 1) return {};
    ++out.legal_breaches;
    const std::string data = "{\"due_at\":" + std::to_string(due) + "}";
    return insert_event(c, report_id, ms, action ? "action_breached" : "plan_breached", "scheduler", data);
}

}  // namespace

result<std::optional<time_point>> next_due(connection& c) {
    auto st = c.cached(detail::next_due_sql);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row || (*st)->column_is_null(0)) return std::optional<time_point>();
    return std::optional<time_point>(from_unix_ms((*st)->column_int64(0)));
}

result<due_outcome> run_due(connection& c, time_point now, const deadline_policy& policy, std::size_t limit) {
    // Collected first: handling an item runs other statements, and the
    // ones it changes must not move under an open cursor.
    std::vector<due_item> items;
    {
        auto st = prepare_bound(c, detail::due_items_sql, to_unix_ms(now), static_cast<std::int64_t>(limit));
        if (!st) return std::move(st).err();
        auto each = detail::for_each_row(**st, [&](const statement& s) -> result<void> {
            items.push_back({static_cast<due_kind>(s.column_int64(0)), s.column_int64(1), s.column_int64(2)});
            return {};
        });
        if (!each) return std::move(each).err();
    }
    due_outcome out;
    for (const auto& item : items) {
        result<void> r;
        switch (item.kind) {
        case due_kind::ack: r = handle_ack(c, item.id, now, policy, out); break;
        case due_kind::reminder: r = handle_reminder(c, item.id, now, policy, out); break;
        case due_kind::action:
        case due_kind::plan: r = handle_legal(c, item.kind, item.id, item.due, now, out); break;
        }
        if (!r) return std::move(r).err();
    }
    return out;
}

result<acknowledged> acknowledge(connection& c, const acknowledgement& a) {
    std::int64_t report_id = 0;
    std::optional<std::int64_t> due;
    {
        auto st = prepare_bound(c, "SELECT report_id, state, ack_due_at FROM assignments WHERE id = ?1",
                                a.assignment_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return make_error("not_found", "no such assignment");
        const statement& s = **st;
        const std::string_view state = s.column_text_view(1);
        if (state == "acknowledged")
            return make_error("already_acknowledged", "this assignment was already acknowledged");
        if (state != "open")
            return make_error("superseded", "the report was already acknowledged by somebody else, or the "
                                            "assignment was withdrawn");
        report_id = s.column_int64(0);
        due = s.column_optional_int64(2);
    }
    const std::int64_t ms = to_unix_ms(a.at);
    if (auto x = run_bound(c,
                           "UPDATE assignments SET state = 'acknowledged', acknowledged_at = ?2, acknowledged_by = ?3, "
                           "acknowledged_via = ?4 WHERE id = ?1 AND state = 'open'",
                           a.assignment_id, ms, a.contact_id, a.channel);
        !x)
        return std::move(x).err();
    if (c.changes() != 1) return failure("the assignment changed while it was acknowledged");
    if (auto x = run_bound(c, "UPDATE assignments SET state = 'superseded' WHERE report_id = ?1 AND state = 'open'",
                           report_id);
        !x)
        return std::move(x).err();
    if (auto x = run_bound(c,
                           "UPDATE reports SET state = 'acknowledged' WHERE id = ?1 AND state IN ('received', "
                           "'routed', 'unrouted')",
                           report_id);
        !x)
        return std::move(x).err();
    const bool in_time = !due || routing::deadline_state_at(from_unix_ms(*due), a.at, a.at) !=
                                     routing::deadline_state::breached;
    std::string data = "{\"assignment\":" + std::to_string(a.assignment_id) +
                       ",\"contact\":" + std::to_string(a.contact_id) + ",\"channel\":";
    detail::append_json_string(data, a.channel);
    data += in_time ? ",\"in_time\":true}" : ",\"in_time\":false}";
    const std::string actor = "contact:" + std::to_string(a.contact_id);
    if (auto x = insert_event(c, report_id, ms, "acknowledged", actor, data); !x) return std::move(x).err();
    return acknowledged{report_id, in_time};
}

}  // namespace hotline::storage
