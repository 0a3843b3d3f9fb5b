#pragma once
// The scheduler's two queries (storage/escalation.cpp), here so that tests
// can check that they stay on the partial indexes.
//
// An open assignment waits in assignments_due (migration 12) under
// next_due_at, the earlier of its unrecorded reminder and its unbreached
// deadline; a report's legal clocks wait in reports_action_due and
// reports_plan_due (migration 5). Each WHERE below repeats its index's word
// for word: SQLite uses a partial index only when the query's WHERE implies
// the index's.

#include <string_view>

namespace hotline::storage::detail {

// The earliest instant anything is due, or NULL.
inline constexpr std::string_view next_due_sql =
    "SELECT MIN(t) FROM ("
    "SELECT MIN(next_due_at) AS t FROM assignments WHERE state = 'open' AND next_due_at IS NOT NULL "
    "UNION ALL SELECT MIN(action_due_at) FROM reports "
    "WHERE action_due_at IS NOT NULL AND action_met_at IS NULL AND action_breached_at IS NULL "
    "UNION ALL SELECT MIN(plan_due_at) FROM reports "
    "WHERE plan_due_at IS NOT NULL AND plan_met_at IS NULL AND plan_breached_at IS NULL)";

// What is due at ?1: rows (kind, id, due) with kind 0 a reminder, 1 an
// acknowledgement deadline (id: the assignment's), 2 an action clock, 3 a
// plan clock (id: the report's); by due time, kind, id; at most ?2 rows.
// An assignment with a reminder or deadline due at ?1 has next_due_at <= ?1,
// so reading the index up to ?1 finds both.
inline constexpr std::string_view due_items_sql =
    "SELECT k, id, due FROM ("
    "SELECT 1 AS k, id, ack_due_at AS due FROM assignments "
    "WHERE state = 'open' AND next_due_at IS NOT NULL AND next_due_at <= ?1 "
    "AND breached_at IS NULL AND ack_due_at <= ?1 "
    "UNION ALL SELECT 0, id, reminder_due_at FROM assignments "
    "WHERE state = 'open' AND next_due_at IS NOT NULL AND next_due_at <= ?1 "
    "AND reminded_at IS NULL AND reminder_due_at <= ?1 "
    "UNION ALL SELECT 2, id, action_due_at FROM reports "
    "WHERE action_due_at IS NOT NULL AND action_met_at IS NULL AND action_breached_at IS NULL "
    "AND action_due_at <= ?1 "
    "UNION ALL SELECT 3, id, plan_due_at FROM reports "
    "WHERE plan_due_at IS NOT NULL AND plan_met_at IS NULL AND plan_breached_at IS NULL AND plan_due_at <= ?1) "
    "ORDER BY due, k, id LIMIT ?2";

}  // namespace hotline::storage::detail
