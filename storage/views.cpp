#include "storage/views.hpp"

#include <algorithm>
#include <utility>

#include "storage/detail/phone_column.hpp"
#include "storage/detail/sql.hpp"

namespace hotline::storage {

namespace {

using detail::failure;
using detail::for_each_row;
using detail::prepare_bound;

std::optional<time_point> optional_time(const statement& st, int col) {
    if (st.column_is_null(col)) return std::nullopt;
    return from_unix_ms(st.column_int64(col));
}

std::vector<std::string> split_commas(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        const auto comma = s.find(',');
        out.emplace_back(s.substr(0, comma));
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

// cdata: the current classification's data, the last `classified` or
// `classification_overridden` event of the report; events_by_report
// (report_id, id) walks the report's few events from the newest.
constexpr std::string_view list_sql =
    "SELECT x.id, x.report_id, x.tracking_code, json_extract(x.cdata, '$.urgency'), "
    "(SELECT group_concat(value, ',') FROM json_each(x.cdata, '$.categories')), "
    "x.commune_code, x.province_code, x.role, x.unit_code, x.step, x.ladder_round, x.state, x.created_at, "
    "x.ack_due_at "
    "FROM (SELECT a.id, a.report_id, r.tracking_code, r.commune_code, r.province_code, a.role, a.unit_code, "
    "a.step, a.ladder_round, a.state, a.created_at, a.ack_due_at, "
    "(SELECT e.data FROM events AS e WHERE e.report_id = a.report_id AND "
    "(e.kind = 'classified' OR e.kind = 'classification_overridden') ORDER BY e.id DESC LIMIT 1) AS cdata "
    "FROM assignments AS a JOIN reports AS r ON r.id = a.report_id "
    "WHERE a.contact_id = ?1 AND (?2 = 'all' OR a.state = ?2)) AS x "
    "ORDER BY x.ack_due_at IS NULL, x.ack_due_at, x.id";

constexpr std::string_view right_sql =
    "SELECT EXISTS (SELECT 1 FROM assignments AS a WHERE a.report_id = r.id AND a.contact_id = k.id), "
    "k.role = 'commune_chair' AND k.unit_code = r.commune_code, "
    "k.role = 'province_coordinator' AND (k.unit_code = r.province_code OR EXISTS (SELECT 1 FROM assignments "
    "AS a WHERE a.report_id = r.id AND a.queue = 'province' AND a.unit_code = k.unit_code)), "
    "k.role = 'hotline_supervisor' AND EXISTS (SELECT 1 FROM assignments AS a WHERE a.report_id = r.id AND "
    "a.queue = 'hotline') "
    "FROM reports AS r LEFT JOIN contacts AS k ON k.id = ?2 AND k.active = 1 WHERE r.id = ?1";

constexpr std::string_view report_sql =
    "SELECT tracking_code, channel, received_at, state, text, location_text, location_code, commune_code, "
    "province_code, child_name, child_age, child_age_estimated, child_sex, child_condition, perpetrator_relation, "
    "reporter_name, reporter_phone, reporter_address, contact_ok, keep_identity_secret, action_due_at, "
    "action_met_at, action_breached_at, plan_due_at, plan_met_at, plan_breached_at, ladder_step, ladder_round "
    "FROM reports WHERE id = ?1";

// An override's reason is free text written by a person and may name
// people: it is left out wherever the data is shown.
constexpr std::string_view classification_sql =
    "SELECT kind, at, CASE kind WHEN 'classification_overridden' THEN json_remove(data, '$.reason') ELSE data END "
    "FROM events WHERE report_id = ?1 AND (kind = 'classified' OR kind = 'classification_overridden') "
    "ORDER BY id DESC LIMIT 1";

constexpr std::string_view assignments_sql =
    "SELECT a.id, k.key, a.queue, a.role, a.unit_code, a.step, a.ladder_round, a.state, a.reason, a.created_at, "
    "a.ack_due_at, a.acknowledged_at, b.key, a.acknowledged_via, a.breached_at, a.escalated_at "
    "FROM assignments AS a LEFT JOIN contacts AS k ON k.id = a.contact_id "
    "LEFT JOIN contacts AS b ON b.id = a.acknowledged_by WHERE a.report_id = ?1 ORDER BY a.id";

constexpr std::string_view events_sql =
    "SELECT id, kind, actor, at, CASE kind WHEN 'classification_overridden' THEN json_remove(data, '$.reason') "
    "ELSE data END, CASE WHEN kind = 'location_added' OR kind = 'detail_added' THEN json_extract(data, '$.text') END "
    "FROM events WHERE report_id = ?1 ORDER BY id";

// Event kinds whose data holds only ids, directory keys, unit codes, times,
// channels and the classifier's verdict: never a person's name, a phone
// number or words a reporter wrote about people. Anything else (and any
// kind added later until it is listed here) is shown without its data.
constexpr std::string_view data_shown[] = {
    "received",      "classified",   "classification_overridden", "located",      "routed",
    "notified",      "delivered",    "notification_failed",       "ack_breached", "escalated",
    "reminder_due",  "acknowledged", "acknowledgement_received",  "linked",       "viewed",
    "action_breached", "plan_breached", "action_taken", "plan_made", "deadlines_changed",
};

bool shows_data(std::string_view kind) {
    return std::find(std::begin(data_shown), std::end(data_shown), kind) != std::end(data_shown);
}

}  // namespace

std::optional<assignment_filter> parse_assignment_filter(std::string_view s) noexcept {
    if (s == "open") return assignment_filter::open;
    if (s == "acknowledged") return assignment_filter::acknowledged;
    if (s == "all") return assignment_filter::all;
    return std::nullopt;
}

std::string_view to_string(view_right r) noexcept {
    switch (r) {
    case view_right::assignee: return "assignee";
    case view_right::commune_chair: return "commune_chair";
    case view_right::province_coordinator: return "province_coordinator";
    case view_right::hotline_supervisor: return "hotline_supervisor";
    }
    return "assignee";
}

result<std::vector<officer_assignment>> assignments_of(connection& c, std::int64_t contact_id,
                                                       assignment_filter filter, time_point now) {
    const std::string_view state = filter == assignment_filter::open           ? "open"
                                   : filter == assignment_filter::acknowledged ? "acknowledged"
                                                                               : "all";
    auto st = prepare_bound(c, list_sql, contact_id, state);
    if (!st) return std::move(st).err();
    std::vector<officer_assignment> out;
    auto each = for_each_row(**st, [&](const statement& s) -> result<void> {
        officer_assignment a;
        a.id = s.column_int64(0);
        a.report_id = s.column_int64(1);
        a.tracking_code = s.column_text(2);
        a.urgency = s.column_optional_text(3);
        if (!s.column_is_null(4)) a.categories = split_commas(s.column_text_view(4));
        a.commune_code = s.column_optional_text(5);
        a.province_code = s.column_optional_text(6);
        a.role = s.column_optional_text(7);
        a.unit_code = s.column_optional_text(8);
        a.step = static_cast<int>(s.column_int64(9));
        a.round = static_cast<int>(s.column_int64(10));
        a.state = s.column_text(11);
        a.created_at = from_unix_ms(s.column_int64(12));
        a.ack_due_at = optional_time(s, 13);
        a.overdue = a.state == "open" && a.ack_due_at && *a.ack_due_at <= now;
        out.push_back(std::move(a));
        return {};
    });
    if (!each) return std::move(each).err();
    return out;
}

result<std::optional<view_right>> view_right_of(connection& c, std::int64_t report_id, std::int64_t contact_id) {
    auto st = prepare_bound(c, right_sql, report_id, contact_id);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return make_error("not_found", "no such report");
    constexpr view_right order[] = {view_right::assignee, view_right::commune_chair,
                                    view_right::province_coordinator, view_right::hotline_supervisor};
    for (int i = 0; i < 4; ++i)
        if ((*st)->column_int64(i) != 0) return std::optional<view_right>(order[i]);
    return std::optional<view_right>();
}

result<report_view> read_report_view(connection& c, std::int64_t report_id, std::int64_t contact_id) {
    auto right = view_right_of(c, report_id, contact_id);
    if (!right) return std::move(right).err();
    if (!*right) return make_error("forbidden", "this report is neither assigned to you nor in your unit");
    report_view v;
    v.right = **right;
    v.id = report_id;
    {
        auto st = prepare_bound(c, report_sql, report_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return make_error("not_found", "no such report");
        const statement& s = **st;
        v.tracking_code = s.column_text(0);
        v.channel = s.column_text(1);
        v.received_at = from_unix_ms(s.column_int64(2));
        v.state = s.column_text(3);
        v.text = s.column_text(4);
        v.location_text = s.column_optional_text(5);
        v.location_code = s.column_optional_text(6);
        v.commune_code = s.column_optional_text(7);
        v.province_code = s.column_optional_text(8);
        v.child_name = s.column_optional_text(9);
        if (auto age = s.column_optional_int64(10)) v.child_age = static_cast<int>(*age);
        v.child_age_estimated = s.column_int64(11) != 0;
        v.child_sex = s.column_text(12);
        v.child_condition = s.column_optional_text(13);
        v.perpetrator_relation = s.column_optional_text(14);
        auto& who = v.reporter;
        who.contact_ok = s.column_int64(18) != 0;
        who.keep_identity_secret = s.column_int64(19) != 0;
        if (who.keep_identity_secret) {
            who.withheld_reason =
                "the reporter asked to keep their identity secret (Decree 56/2017/NĐ-CP Art. 33)";
        } else if (!who.contact_ok) {
            who.withheld_reason =
                "the reporter did not agree to be contacted; their identity is not shown (Decree 56/2017/NĐ-CP "
                "Art. 33)";
        } else {
            who.shown = true;
            who.name = s.column_optional_text(15);
            if (!s.column_is_null(16)) who.phone = detail::decode_phone(s.column_text_view(16));
            who.address = s.column_optional_text(17);
        }
        v.action = {optional_time(s, 20), optional_time(s, 21), optional_time(s, 22)};
        v.plan = {optional_time(s, 23), optional_time(s, 24), optional_time(s, 25)};
        v.ladder_step = static_cast<int>(s.column_int64(26));
        v.ladder_round = static_cast<int>(s.column_int64(27));
    }
    {
        auto st = prepare_bound(c, classification_sql, report_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row == step_result::row) {
            v.classification_kind = (*st)->column_text(0);
            v.classified_at = from_unix_ms((*st)->column_int64(1));
            v.classification = (*st)->column_optional_text(2);
        }
    }
    {
        auto st = prepare_bound(c, assignments_sql, report_id);
        if (!st) return std::move(st).err();
        auto each = for_each_row(**st, [&](const statement& s) -> result<void> {
            view_assignment a;
            a.id = s.column_int64(0);
            a.contact = s.column_optional_text(1);
            a.queue = s.column_optional_text(2);
            a.role = s.column_optional_text(3);
            a.unit_code = s.column_optional_text(4);
            a.step = static_cast<int>(s.column_int64(5));
            a.round = static_cast<int>(s.column_int64(6));
            a.state = s.column_text(7);
            a.reason = s.column_text(8);
            a.created_at = from_unix_ms(s.column_int64(9));
            a.ack_due_at = optional_time(s, 10);
            a.acknowledged_at = optional_time(s, 11);
            a.acknowledged_by = s.column_optional_text(12);
            a.acknowledged_via = s.column_optional_text(13);
            a.breached_at = optional_time(s, 14);
            a.escalated_at = optional_time(s, 15);
            v.assignments.push_back(std::move(a));
            return {};
        });
        if (!each) return std::move(each).err();
    }
    {
        auto st = prepare_bound(c, events_sql, report_id);
        if (!st) return std::move(st).err();
        auto each = for_each_row(**st, [&](const statement& s) -> result<void> {
            view_event e;
            e.id = s.column_int64(0);
            e.kind = s.column_text(1);
            e.actor = s.column_text(2);
            e.at = from_unix_ms(s.column_int64(3));
            if (shows_data(e.kind))
                e.data = s.column_optional_text(4);
            else
                e.withheld = !s.column_is_null(4);
            if (!s.column_is_null(5)) v.additions.push_back({e.kind, e.at, s.column_text(5)});
            v.events.push_back(std::move(e));
            return {};
        });
        if (!each) return std::move(each).err();
    }
    return v;
}

result<std::int64_t> record_view(connection& c, std::int64_t report_id, std::int64_t contact_id, view_right right,
                                 std::string_view via, time_point now) {
    std::string key;
    {
        auto st = prepare_bound(c, "SELECT key FROM contacts WHERE id = ?1", contact_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return make_error("not_found", "no such contact");
        key = (*st)->column_text(0);
    }
    {
        auto st = prepare_bound(c, "SELECT 1 FROM reports WHERE id = ?1", report_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return make_error("not_found", "no such report");
    }
    const std::string actor = "contact:" + std::to_string(contact_id);
    if (auto r = detail::run_bound(c,
                                   "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, 'viewed', ?3, "
                                   "json_object('contact', ?4, 'via', ?5, 'as', ?6))",
                                   report_id, to_unix_ms(now), actor, key, via, to_string(right));
        !r)
        return std::move(r).err();
    return c.last_insert_rowid();
}

namespace {

constexpr std::string_view channel_names[] = {"web", "api", "sms", "operator"};
constexpr std::string_view urgency_names[] = {"unclassified", "emergency", "high", "normal", "low"};

template <std::size_t N>
std::size_t index_of(const std::string_view (&names)[N], std::string_view s) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == s) return i;
    return N;
}

}  // namespace

result<void> metrics_tally::update(connection& c) {
    // By the primary key from the last event seen; a new report's channel
    // from its row, an acknowledgement's time from its assignment's.
    auto st = prepare_bound(
        c,
        "SELECT e.id, e.report_id, e.kind, "
        "CASE e.kind WHEN 'received' THEN (SELECT r.channel FROM reports AS r WHERE r.id = e.report_id) END, "
        "CASE WHEN e.kind = 'classified' OR e.kind = 'classification_overridden' "
        "THEN json_extract(e.data, '$.urgency') END, "
        "CASE e.kind WHEN 'acknowledged' THEN e.at - (SELECT a.created_at FROM assignments AS a "
        "WHERE a.id = json_extract(e.data, '$.assignment')) END "
        "FROM events AS e WHERE e.id > ?1 AND (e.kind = 'received' OR e.kind = 'classified' OR "
        "e.kind = 'classification_overridden' OR e.kind = 'acknowledged' OR e.kind = 'ack_breached' OR "
        "e.kind = 'escalated' OR e.kind = 'action_breached' OR e.kind = 'plan_breached') ORDER BY e.id",
        last_event_);
    if (!st) return std::move(st).err();
    std::int64_t last = last_event_;
    auto each = for_each_row(**st, [&](const statement& s) -> result<void> {
        last = s.column_int64(0);
        const auto kind = s.column_text_view(2);
        if (kind == "action_breached") {
            ++action_breaches_;
        } else if (kind == "plan_breached") {
            ++plan_breaches_;
        } else if (kind == "ack_breached") {
            ++ack_breaches_;
        } else if (kind == "escalated") {
            ++escalations_;
        } else if (kind == "acknowledged") {
            const auto ms = std::max<std::int64_t>(s.column_int64(5), 0);
            ++ack_count_;
            ack_ms_sum_ += ms;
            for (std::size_t i = 0; i < time_to_ack_bounds.size(); ++i)
                if (ms <= time_to_ack_bounds[i] * 1000) ++ack_buckets_[i];
        } else {
            const auto report = s.column_int64(1);
            if (report <= 0) return {};
            const auto slot = static_cast<std::size_t>(report);
            if (slot >= channel_.size()) {
                channel_.resize(slot + 1, 0);
                urgency_.resize(slot + 1, 0);
            }
            if (kind == "received") {
                const auto ch = index_of(channel_names, s.column_text_view(3));
                if (ch == channels || channel_[slot] != 0) return {};
                channel_[slot] = static_cast<std::uint8_t>(ch + 1);
                urgency_[slot] = 0;
                ++counts_[ch][0];
            } else if (channel_[slot] != 0) {
                auto u = index_of(urgency_names, s.column_text_view(4));
                if (u == urgencies) u = 0;  // an urgency this version does not know
                const std::size_t ch = channel_[slot] - 1u;
                --counts_[ch][urgency_[slot]];
                urgency_[slot] = static_cast<std::uint8_t>(u);
                ++counts_[ch][u];
            }
        }
        return {};
    });
    if (!each) return std::move(each).err();
    last_event_ = last;
    return {};
}

void metrics_tally::fill(metrics_counts& m) const {
    // By channel name, then urgency name, as a GROUP BY would give them.
    std::vector<metrics_counts::reports_by> rows;
    for (std::size_t ch = 0; ch < channels; ++ch)
        for (std::size_t u = 0; u < urgencies; ++u)
            if (counts_[ch][u] != 0)
                rows.push_back({std::string(channel_names[ch]), std::string(urgency_names[u]), counts_[ch][u]});
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.channel != b.channel ? a.channel < b.channel : a.urgency < b.urgency;
    });
    m.reports = std::move(rows);
    m.action_breaches = action_breaches_;
    m.plan_breaches = plan_breaches_;
    m.ack_breaches = ack_breaches_;
    m.escalations = escalations_;
    m.ack_buckets = ack_buckets_;
    m.ack_count = ack_count_;
    m.ack_seconds_sum = static_cast<double>(ack_ms_sum_) / 1000.0;
}

result<metrics_counts> read_metrics(connection& c) {
    metrics_tally fresh;
    return read_metrics(c, fresh);
}

namespace {

result<std::int64_t> count_of(connection& c, std::string_view sql) {
    auto st = c.cached(sql);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return failure("sqlite: an aggregate returned no row");
    return (*st)->column_int64(0);
}

}  // namespace

result<metrics_counts> read_metrics(connection& c, metrics_tally& tally) {
    metrics_counts m;
    if (auto r = tally.update(c); !r) return std::move(r).err();
    tally.fill(m);
    // Open assignments through the two covering partial indexes
    // (assignments_by_contact, assignments_queued), not the table.
    for (const auto sql : {"SELECT count(*) FROM assignments WHERE contact_id IS NOT NULL AND state = 'open'",
                           "SELECT count(*) FROM assignments WHERE queue IS NOT NULL AND state = 'open'"}) {
        auto n = count_of(c, sql);
        if (!n) return std::move(n).err();
        m.assignments_open += *n;
    }
    {
        // Live messages through outbox_due (its predicate spelt as there).
        auto st = c.cached("SELECT state, count(*) FROM outbox WHERE state = 'pending' OR state = 'sending' "
                           "GROUP BY state");
        if (!st) return std::move(st).err();
        auto each = for_each_row(**st, [&](const statement& s) -> result<void> {
            m.outbox[s.column_text_view(0) == "pending" ? 0 : 1] = s.column_int64(1);
            return {};
        });
        if (!each) return std::move(each).err();
    }
    {
        // Settled messages: one pass; `sent` is what is neither live nor failed.
        auto st = c.cached("SELECT count(*), count(*) FILTER (WHERE state = 'failed'), "
                           "count(*) FILTER (WHERE delivery = 'undelivered') FROM outbox");
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return failure("sqlite: an aggregate returned no row");
        const auto total = (*st)->column_int64(0);
        m.outbox[3] = (*st)->column_int64(1);
        m.outbox_undelivered = (*st)->column_int64(2);
        m.outbox[2] = total - m.outbox[0] - m.outbox[1] - m.outbox[3];
    }
    return m;
}

}  // namespace hotline::storage
