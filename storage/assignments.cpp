#include "storage/assignments.hpp"

#include <algorithm>
#include <utility>

#include "storage/detail/json_text.hpp"
#include "storage/detail/sql.hpp"
#include "storage/directory.hpp"
#include "storage/notify.hpp"

namespace hotline::storage::detail {

namespace {

void append_json_optional(std::string& out, const std::optional<std::string>& s) {
    if (s)
        append_json_string(out, *s);
    else
        out += "null";
}

// The data of a `located` event.
std::string located_data(const routing::location_result& l) {
    std::string out;
    out.reserve(128 + 8 * l.candidates.size() + l.matched.size());
    out += "{\"commune_code\":";
    append_json_optional(out, l.commune_code);
    out += ",\"province_code\":";
    append_json_optional(out, l.province_code);
    out += ",\"confidence\":";
    append_json_number(out, l.confidence);
    out += ",\"matched\":";
    append_json_string(out, l.matched);
    out += ",\"candidates\":";
    append_json_string_array(out, l.candidates);
    out.push_back('}');
    return out;
}

// One assignment written, for the `routed` event.
struct written {
    std::int64_t id = 0;
    const routing::planned_assignment* a = nullptr;
};

std::string routed_data(const std::vector<std::string>& rules, const std::vector<written>& rows) {
    std::string out;
    out.reserve(64 + 128 * rows.size());
    out += "{\"rules\":";
    append_json_string_array(out, rules);
    out += ",\"assignments\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& a = *rows[i].a;
        if (i) out.push_back(',');
        out += "{\"id\":";
        out += std::to_string(rows[i].id);
        out += ",\"contact\":";
        if (a.contact)
            append_json_string(out, a.contact->key);
        else
            out += "null";
        out += ",\"role\":";
        if (a.role)
            append_json_string(out, routing::to_string(*a.role));
        else
            out += "null";
        out += ",\"unit_code\":";
        append_json_string(out, a.unit_code);
        out += ",\"queue\":";
        if (a.contact)
            out += "null";
        else
            append_json_string(out, a.queue);
        out += ",\"reason\":";
        append_json_string(out, a.reason);
        out.push_back('}');
    }
    out += "]}";
    return out;
}

result<void> insert_event(connection& c, std::int64_t report_id, std::int64_t at, std::string_view kind,
                          const std::string& data) {
    return run_bound(c,
                     "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, ?3, 'routing', ?4)",
                     report_id, at, kind, data);
}

// Writes `rows` (already filtered) with deadline `d` (step 1 of round 0), and
// the `routed` event; returns what it wrote.
result<std::vector<written>> write_assignments(connection& c, std::int64_t report_id, const routing::route_plan& plan,
                                               const std::vector<const routing::planned_assignment*>& rows,
                                               const assignment_deadline& d, time_point at) {
    std::vector<written> done;
    done.reserve(rows.size());
    for (const auto* a : rows) {
        auto id = insert_assignment(c, report_id, *a, d, at);
        if (!id) return std::move(id).err();
        done.push_back({*id, a});
    }
    if (auto r = insert_event(c, report_id, to_unix_ms(at), "routed", routed_data(plan.rules_fired, done)); !r)
        return std::move(r).err();
    return done;
}

// Each new assignment to a person is told in the same write
// (storage/notify.hpp); a queue is read, not told. Called once the report's
// row says where it happened: the text names the place. Returns how many
// messages it queued.
result<std::size_t> notify_written(connection& c, const std::vector<written>& done, const deadline_policy* deadlines,
                                   time_point at) {
    std::size_t queued = 0;
    if (!deadlines) return queued;
    for (const auto& w : done) {
        if (!w.a->contact) continue;
        auto r = notify_assignment(c, w.id, deadlines->notifications, at);
        if (!r) return std::move(r).err();
        queued += r->size();
    }
    return queued;
}

}  // namespace

result<current_class> classification_of(connection& c, std::int64_t report_id) {
    current_class out;
    std::optional<std::int64_t> event;
    {
        auto st = prepare_bound(c,
                                "SELECT id, json_extract(data, '$.urgency') FROM events WHERE report_id = ?1 AND "
                                "kind IN ('classified', 'classification_overridden') ORDER BY id DESC LIMIT 1",
                                report_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return out;
        event = (*st)->column_int64(0);
        if (auto u = intake::parse_urgency((*st)->column_text_view(1))) out.level = *u;
    }
    auto st = prepare_bound(c,
                            "SELECT value FROM json_each((SELECT data FROM events WHERE id = ?1), '$.categories')",
                            *event);
    if (!st) return std::move(st).err();
    auto each = detail::for_each_row(**st, [&](const statement& s) -> result<void> {
        out.categories.push_back(s.column_text(0));
        return {};
    });
    if (!each) return std::move(each).err();
    return out;
}

assignment_deadline deadline_for(const deadline_policy* policy, intake::urgency level,
                                 routing::ladder_position position, time_point at) noexcept {
    assignment_deadline d;
    d.step = static_cast<int>(position.step_index) + 1;
    d.round = position.repeat_index;
    if (!policy) return d;
    const auto ack = policy->ack.for_urgency(level);
    const auto& ladder = policy->escalation.for_urgency(level);
    const auto step = routing::step_at(ladder, position);
    const auto wait = step ? routing::effective_wait(*step->step, ack) : ack;
    d.ack_due = routing::step_due(at, wait);
    d.reminder_due = routing::reminder_at(at, wait, ladder.reminder_fraction);
    return d;
}

result<std::int64_t> insert_assignment(connection& c, std::int64_t report_id, const routing::planned_assignment& a,
                                       const assignment_deadline& d, time_point at) {
    std::optional<std::int64_t> contact;
    std::optional<std::string_view> queue, role;
    if (a.contact)
        contact = a.contact->id;
    else
        queue = a.queue;
    if (a.role) role = routing::to_string(*a.role);
    std::optional<std::int64_t> ack_due, reminder_due;
    if (d.ack_due) ack_due = to_unix_ms(*d.ack_due);
    if (d.reminder_due) reminder_due = to_unix_ms(*d.reminder_due);
    // One row per statement: SQLite runs a multi-row VALUES or a RETURNING
    // clause through a temporary table, several times slower here.
    if (auto r = run_bound(c,
                           "INSERT INTO assignments (report_id, contact_id, queue, role, unit_code, reason, "
                           "created_at, step, ladder_round, ack_due_at, reminder_due_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                           report_id, contact, queue, role, a.unit_code, a.reason, to_unix_ms(at), d.step, d.round,
                           ack_due, reminder_due);
        !r)
        return std::move(r).err();
    return c.last_insert_rowid();
}

result<routing::route_plan> plan_route(connection& c, const routing_request& req, intake::urgency level,
                                       const std::vector<std::string>& categories, time_point at,
                                       duty_cache* cache) {
    if (!req.policy) return failure("routing requested without a policy");
    routing::route_input in;
    in.level = level;
    in.categories = categories;
    in.commune_code = req.location.commune_code;
    in.province_code = req.location.province_code;
    in.at = at;
    sql_directory directory(c, cache);
    return routing::route(*req.policy, in, directory);
}

bool reaches_contact(const routing::route_plan& plan) noexcept {
    return std::any_of(plan.assignments.begin(), plan.assignments.end(),
                       [](const routing::planned_assignment& a) { return a.contact.has_value(); });
}

result<route_written> write_route(connection& c, std::int64_t report_id, const routing_request& req,
                                  const routing::route_plan& plan, intake::urgency level, time_point at) {
    std::vector<const routing::planned_assignment*> rows;
    rows.reserve(plan.assignments.size());
    for (const auto& a : plan.assignments) rows.push_back(&a);
    const std::int64_t ms = to_unix_ms(at);
    if (auto r = insert_event(c, report_id, ms, "located", located_data(req.location)); !r)
        return std::move(r).err();
    const assignment_deadline d = deadline_for(req.deadlines, level, {}, at);
    auto done = write_assignments(c, report_id, plan, rows, d, at);
    if (!done) return std::move(done).err();
    auto messages = notify_written(c, *done, req.deadlines, at);
    if (!messages) return std::move(messages).err();
    route_written out;
    out.queued_messages = *messages > 0;
    if (!done->empty()) {
        keep_earliest(out.earliest_due, d.ack_due);
        keep_earliest(out.earliest_due, d.reminder_due);
    }
    return out;
}

result<bool> route_late_location(connection& c, std::int64_t report_id, const routing_request& req, time_point at) {
    const std::int64_t ms = to_unix_ms(at);
    bool had_province = false;
    {
        auto st = prepare_bound(c, "SELECT commune_code, province_code FROM reports WHERE id = ?1", report_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return failure("the report to locate does not exist");
        if (!(*st)->column_is_null(0)) return false;  // already has its commune
        had_province = !(*st)->column_is_null(1);
    }
    if (auto r = insert_event(c, report_id, ms, "located", located_data(req.location)); !r) return std::move(r).err();
    const auto& loc = req.location;
    if (!loc.commune_code && !(loc.province_code && !had_province)) return false;

    auto cls = classification_of(c, report_id);
    if (!cls) return std::move(cls).err();
    auto plan = plan_route(c, req, cls->level, cls->categories, at);
    if (!plan) return std::move(plan).err();

    // What the report already has: a contact once, an open queue entry once.
    std::vector<std::int64_t> contacts;
    std::vector<std::pair<std::string, std::string>> queues;
    {
        auto st = prepare_bound(c, "SELECT contact_id, queue, unit_code, state FROM assignments WHERE report_id = ?1",
                                report_id);
        if (!st) return std::move(st).err();
        auto each = detail::for_each_row(**st, [&](const statement& s) -> result<void> {
            if (!s.column_is_null(0))
                contacts.push_back(s.column_int64(0));
            else if (s.column_text_view(3) == "open")
                queues.emplace_back(s.column_text(1), s.column_optional_text(2).value_or(""));
            return {};
        });
        if (!each) return std::move(each).err();
    }
    std::vector<const routing::planned_assignment*> rows;
    for (const auto& a : plan->assignments) {
        if (a.contact) {
            if (std::find(contacts.begin(), contacts.end(), a.contact->id) == contacts.end()) rows.push_back(&a);
        } else if (std::find(queues.begin(), queues.end(), std::pair(a.queue, a.unit_code)) == queues.end()) {
            rows.push_back(&a);
        }
    }
    auto done = write_assignments(c, report_id, *plan, rows, deadline_for(req.deadlines, cls->level, {}, at), at);
    if (!done) return std::move(done).err();

    if (reaches_contact(*plan)) {
        // Queue entries a fallback made were stand-ins for a person; a rule's
        // hotline queue stays what the rule wanted.
        if (auto r = run_bound(c,
                               "UPDATE assignments SET state = 'superseded' WHERE report_id = ?1 AND queue IS NOT NULL "
                               "AND state = 'open' AND reason NOT LIKE 'rule:%'",
                               report_id);
            !r)
            return std::move(r).err();
    }
    if (auto r = run_bound(c,
                           "UPDATE reports SET commune_code = ?2, province_code = COALESCE(?3, province_code), "
                           "state = CASE WHEN state NOT IN ('received', 'routed', 'unrouted') THEN state "
                           "WHEN EXISTS (SELECT 1 FROM assignments WHERE report_id = ?1 AND contact_id IS NOT NULL "
                           "AND state IN ('open', 'acknowledged')) THEN 'routed' ELSE 'unrouted' END "
                           "WHERE id = ?1",
                           report_id, loc.commune_code, loc.province_code);
        !r)
        return std::move(r).err();
    if (auto r = notify_written(c, *done, req.deadlines, at); !r) return std::move(r).err();
    return true;
}

}  // namespace hotline::storage::detail
