#include "storage/legal_clocks.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "routing/deadlines.hpp"
#include "routing/escalation.hpp"
#include "storage/detail/json_text.hpp"
#include "storage/detail/sql.hpp"

namespace hotline::storage {

namespace {

using detail::prepare_bound;
using detail::run_bound;

struct clocks_row {
    std::string state;
    std::int64_t received_at = 0;
    std::optional<std::int64_t> action_due, action_met, action_breached;
    std::optional<std::int64_t> plan_due, plan_met, plan_breached;
};

result<std::optional<clocks_row>> load_clocks(connection& c, std::int64_t report_id) {
    auto st = prepare_bound(c,
                            "SELECT state, received_at, action_due_at, action_met_at, action_breached_at, "
                            "plan_due_at, plan_met_at, plan_breached_at FROM reports WHERE id = ?1",
                            report_id);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return std::optional<clocks_row>{};
    const statement& s = **st;
    clocks_row r;
    r.state = s.column_text(0);
    r.received_at = s.column_int64(1);
    r.action_due = s.column_optional_int64(2);
    r.action_met = s.column_optional_int64(3);
    r.action_breached = s.column_optional_int64(4);
    r.plan_due = s.column_optional_int64(5);
    r.plan_met = s.column_optional_int64(6);
    r.plan_breached = s.column_optional_int64(7);
    return std::optional<clocks_row>(std::move(r));
}

void append_optional_time(std::string& out, const std::optional<std::int64_t>& t) {
    if (t)
        out += std::to_string(*t);
    else
        out += "null";
}

}  // namespace

result<milestone_recorded> record_milestone(connection& c, std::int64_t report_id, milestone m,
                                            std::int64_t contact_id, const deadline_policy& policy, time_point at) {
    auto loaded = load_clocks(c, report_id);
    if (!loaded) return std::move(loaded).err();
    if (!*loaded) return make_error("not_found", "no such report");
    const clocks_row& r = **loaded;
    if (r.state == "closed") return make_error("report_closed", "the report is closed");
    const bool action = m == milestone::action;
    if ((action ? r.action_met : r.plan_met).has_value())
        return make_error("already_recorded", action ? "the action on this report is already recorded"
                                                     : "the plan for this report is already recorded");
    const auto due = action ? r.action_due : r.plan_due;
    const auto now = to_unix_ms(at);

    milestone_recorded out;
    if (due) {
        out.due_at = from_unix_ms(*due);
        out.in_time = now <= *due;
    }
    // Guarded by the column it sets: a concurrent second recording changes nothing.
    if (action) {
        std::optional<std::int64_t> plan_due;
        // On the emergency track the plan's 5 working days start when the emergency measures end.
        if (!r.plan_due && !r.plan_met) {
            out.plan_due_at = routing::add_working_days(at, routing::plan_working_days, policy.calendar);
            plan_due = to_unix_ms(*out.plan_due_at);
        }
        if (auto x = run_bound(c,
                               "UPDATE reports SET action_met_at = ?2, plan_due_at = COALESCE(plan_due_at, ?3) "
                               "WHERE id = ?1 AND action_met_at IS NULL",
                               report_id, now, plan_due);
            !x)
            return std::move(x).err();
    } else if (auto x = run_bound(c, "UPDATE reports SET plan_met_at = ?2 WHERE id = ?1 AND plan_met_at IS NULL",
                                  report_id, now);
               !x) {
        return std::move(x).err();
    }
    if (auto x = run_bound(c,
                           "UPDATE reports SET state = 'in_progress' WHERE id = ?1 AND (state = 'received' OR "
                           "state = 'routed' OR state = 'unrouted' OR state = 'acknowledged')",
                           report_id);
        !x)
        return std::move(x).err();

    std::string data = "{\"contact\":" + std::to_string(contact_id) + ",\"in_time\":";
    data += out.in_time ? "true" : "false";
    data += ",\"due_at\":";
    append_optional_time(data, due);
    data += '}';
    const std::string actor = "contact:" + std::to_string(contact_id);
    const std::string_view kind = action ? "action_taken" : "plan_made";
    if (auto x = run_bound(c, "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, ?3, ?4, ?5)",
                           report_id, now, kind, actor, data);
        !x)
        return std::move(x).err();
    return out;
}

result<bool> reapply_deadlines(connection& c, std::int64_t report_id, intake::urgency level,
                               intake::legal_track track, const deadline_policy& policy, time_point now) {
    auto loaded = load_clocks(c, report_id);
    if (!loaded) return std::move(loaded).err();
    if (!*loaded) return make_error("not_found", "no such report");
    const clocks_row& r = **loaded;

    // The assignments still waiting for somebody: their deadlines follow the new urgency.
    struct waiting {
        std::int64_t id = 0;
        std::int64_t created_at = 0;
        int step = 1;
        int round = 0;
        std::optional<std::int64_t> ack_due, reminder_due, reminded;
    };
    std::vector<waiting> open;
    {
        auto st = prepare_bound(c,
                                "SELECT id, created_at, step, ladder_round, ack_due_at, reminder_due_at, reminded_at "
                                "FROM assignments WHERE report_id = ?1 AND state = 'open' AND breached_at IS NULL "
                                "ORDER BY id",
                                report_id);
        if (!st) return std::move(st).err();
        auto each = detail::for_each_row(**st, [&](const statement& s) -> result<void> {
            open.push_back({s.column_int64(0), s.column_int64(1), static_cast<int>(s.column_int64(2)),
                            static_cast<int>(s.column_int64(3)), s.column_optional_int64(4), s.column_optional_int64(5),
                            s.column_optional_int64(6)});
            return {};
        });
        if (!each) return std::move(each).err();
    }

    std::string changed_assignments;
    for (const auto& a : open) {
        const routing::ladder_position at{static_cast<std::size_t>(a.step > 0 ? a.step - 1 : 0), a.round};
        const auto d = detail::deadline_for(&policy, level, at, from_unix_ms(a.created_at));
        const std::optional<std::int64_t> due = d.ack_due ? std::optional(to_unix_ms(*d.ack_due)) : std::nullopt;
        // A reminder already sent stays sent; one not sent yet moves with the deadline.
        std::optional<std::int64_t> reminder = a.reminder_due;
        if (!a.reminded) reminder = d.reminder_due ? std::optional(to_unix_ms(*d.reminder_due)) : std::nullopt;
        if (due == a.ack_due && reminder == a.reminder_due) continue;
        if (auto x = run_bound(c,
                               "UPDATE assignments SET ack_due_at = ?2, reminder_due_at = ?3 "
                               "WHERE id = ?1 AND state = 'open' AND breached_at IS NULL",
                               a.id, due, reminder);
            !x)
            return std::move(x).err();
        if (!changed_assignments.empty()) changed_assignments += ',';
        changed_assignments += "{\"id\":" + std::to_string(a.id) + ",\"ack_due_at\":";
        append_optional_time(changed_assignments, due);
        changed_assignments += '}';
    }

    // The legal clocks of the new track; a pending clock the track does not have is cleared.
    const auto clocks = routing::legal_deadlines_for(track, from_unix_ms(r.received_at), policy.calendar);
    auto next_clock = [](const std::optional<std::int64_t>& due, const std::optional<std::int64_t>& met,
                         const std::optional<std::int64_t>& breached,
                         const std::optional<time_point>& wanted) -> std::optional<std::int64_t> {
        if (met || breached) return due;  // settled: history, not changed
        if (wanted) return due ? due : std::optional(to_unix_ms(*wanted));
        return std::nullopt;
    };
    auto action_due = next_clock(r.action_due, r.action_met, r.action_breached, clocks.action_by);
    auto plan_due = next_clock(r.plan_due, r.plan_met, r.plan_breached, clocks.plan_by);
    // A plan clock started by a recorded action belongs to that action, whatever the track.
    if (r.action_met && r.plan_due) plan_due = r.plan_due;
    const bool clocks_changed = action_due != r.action_due || plan_due != r.plan_due;
    if (clocks_changed) {
        if (auto x = run_bound(c, "UPDATE reports SET action_due_at = ?2, plan_due_at = ?3 WHERE id = ?1", report_id,
                               action_due, plan_due);
            !x)
            return std::move(x).err();
    }
    if (changed_assignments.empty() && !clocks_changed) return false;

    std::string data = "{\"urgency\":";
    detail::append_json_string(data, intake::to_string(level));
    data += ",\"track\":";
    detail::append_json_string(data, intake::to_string(track));
    data += ",\"assignments\":[" + changed_assignments + "],\"action_due_at\":";
    append_optional_time(data, action_due);
    data += ",\"plan_due_at\":";
    append_optional_time(data, plan_due);
    data += '}';
    if (auto x = run_bound(c,
                           "INSERT INTO events (report_id, at, kind, actor, data) "
                           "VALUES (?1, ?2, 'deadlines_changed', 'scheduler', ?3)",
                           report_id, to_unix_ms(now), data);
        !x)
        return std::move(x).err();
    return true;
}

}  // namespace hotline::storage
