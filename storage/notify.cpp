#include "storage/notify.hpp"

#include <limits>
#include <optional>
#include <utility>

#include "routing/notify.hpp"
#include "routing/time.hpp"
#include "storage/detail/json_text.hpp"
#include "storage/detail/sql.hpp"
#include "storage/officers.hpp"
#include "storage/outbox.hpp"

namespace hotline::storage {

namespace {

using detail::failure;
using detail::prepare_bound;
using detail::run_bound;

// Everything a notification says, in one statement: the assignment, its
// report, its contact and the report's current classification (the last
// `classified` or `classification_overridden` event, found through
// events_by_report). Runs for every assignment made to a contact, so it is
// one indexed lookup per table.
constexpr std::string_view facts_sql =
    "SELECT a.report_id, a.contact_id, a.role, a.step, a.ack_due_at, a.state, "
    "r.tracking_code, r.commune_code, r.province_code, "
    "k.phone, k.channels, k.webhook_url, k.active, "
    "(SELECT json_extract(data, '$.urgency') FROM events WHERE report_id = a.report_id AND "
    "(kind = 'classified' OR kind = 'classification_overridden') ORDER BY id DESC LIMIT 1), "
    "(SELECT CASE WHEN json_type(data, '$.categories') = 'array' THEN json_extract(data, '$.categories') END "
    "FROM events WHERE report_id = a.report_id AND "
    "(kind = 'classified' OR kind = 'classification_overridden') ORDER BY id DESC LIMIT 1) "
    "FROM assignments AS a JOIN reports AS r ON r.id = a.report_id "
    "LEFT JOIN contacts AS k ON k.id = a.contact_id WHERE a.id = ?1";

struct facts {
    std::int64_t report_id = 0;
    std::int64_t contact_id = 0;
    std::optional<std::string> role;
    int step = 1;
    std::optional<time_point> ack_due;
    std::string tracking_code;
    std::optional<std::string> commune_code, province_code;
    std::string phone;
    bool sms = false;
    bool webhook = false;
    std::string webhook_url;
    intake::urgency level = intake::urgency::normal;
    std::string categories = "[]";  // a JSON array
};

// The facts of an open assignment to an active contact; none for anything
// else (a queue, an inactive contact, an assignment no longer open).
result<std::optional<facts>> load_facts(connection& c, std::int64_t assignment_id) {
    using out = std::optional<facts>;
    auto st = prepare_bound(c, facts_sql, assignment_id);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row)
        return make_error("not_found", "no assignment " + std::to_string(assignment_id) + " to notify");
    const statement& s = **st;
    if (s.column_is_null(1) || s.column_text_view(5) != "open" || s.column_int64(12) != 1) return out{};
    facts f;
    f.report_id = s.column_int64(0);
    f.contact_id = s.column_int64(1);
    f.role = s.column_optional_text(2);
    f.step = static_cast<int>(s.column_int64(3));
    if (auto due = s.column_optional_int64(4)) f.ack_due = from_unix_ms(*due);
    f.tracking_code = s.column_text(6);
    f.commune_code = s.column_optional_text(7);
    f.province_code = s.column_optional_text(8);
    f.phone = s.column_text(9);
    const std::string_view channels = s.column_text_view(10);
    f.sms = channels.find("sms") != std::string_view::npos;
    f.webhook = channels.find("webhook") != std::string_view::npos;
    f.webhook_url = s.column_optional_text(11).value_or("");
    if (auto u = intake::parse_urgency(s.column_text_view(13))) f.level = *u;
    if (!s.column_is_null(14)) f.categories = s.column_text(14);
    return out{std::move(f)};
}

// The SMS text: names from the catalog when there is one, codes otherwise.
routing::notification sms_text(const facts& f, const notification_policy& policy, std::string_view link,
                               bool reminder) {
    routing::notification_facts n;
    n.level = f.level;
    n.tracking_code = f.tracking_code;
    n.ack_due = f.ack_due;
    n.link = link;
    n.reminder = reminder;
    const routing::commune* commune = nullptr;
    const routing::province* province = nullptr;
    if (policy.units) {
        if (f.commune_code) commune = policy.units->find_commune(*f.commune_code);
        const std::string* pcode = commune ? &commune->province_code : (f.province_code ? &*f.province_code : nullptr);
        if (pcode) province = policy.units->find_province(*pcode);
    }
    if (commune) {
        n.commune_type = commune->type;
        n.commune_name = commune->name;
    } else if (f.commune_code) {
        n.commune_name = *f.commune_code;
    }
    if (province) {
        n.province_name = province->name;
        n.province_type = province->type;
    } else if (!f.commune_code && f.province_code) {
        n.province_name = *f.province_code;
    }
    return routing::notification_text(n);
}

void append_optional(std::string& out, const std::optional<std::string>& s) {
    if (s)
        detail::append_json_string(out, *s);
    else
        out += "null";
}

// The webhook document (storage/notify.hpp). Codes, keys and times only.
std::string webhook_body(std::int64_t assignment_id, const facts& f, const std::string& link, bool reminder) {
    std::string out;
    out.reserve(384 + f.categories.size());
    out += reminder ? "{\"type\":\"reminder\"" : "{\"type\":\"assignment\"";
    out += ",\"assignment_id\":" + std::to_string(assignment_id);
    out += ",\"report_id\":" + std::to_string(f.report_id);
    out += ",\"tracking_code\":";
    detail::append_json_string(out, f.tracking_code.size() == 8 ? intake::tracking_codec::grouped(f.tracking_code)
                                                                : f.tracking_code);
    out += ",\"urgency\":";
    detail::append_json_string(out, intake::to_string(f.level));
    out += ",\"categories\":";
    out += f.categories;
    out += ",\"commune_code\":";
    append_optional(out, f.commune_code);
    out += ",\"province_code\":";
    append_optional(out, f.province_code);
    out += ",\"role\":";
    append_optional(out, f.role);
    out += ",\"step\":" + std::to_string(f.step);
    out += ",\"ack_due_at\":";
    if (f.ack_due)
        detail::append_json_string(out, routing::format_rfc3339_utc(*f.ack_due));
    else
        out += "null";
    out += ",\"ack_url\":";
    if (link.empty())
        out += "null";
    else
        detail::append_json_string(out, link);
    out.push_back('}');
    return out;
}

std::string link_url(std::string_view base, std::string_view token) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    std::string out(base);
    out += "/a/";
    out += token;
    return out;
}

}  // namespace

result<std::vector<std::uint64_t>> notify_assignment(connection& c, std::int64_t assignment_id,
                                                     const notification_policy& policy, time_point now,
                                                     notification_kind kind) {
    std::vector<std::uint64_t> ids;
    // Nothing configured to send: no query at all (this runs in every
    // intake write that reaches a contact).
    if (policy.sms_channel.empty() && !policy.webhook_enabled) return ids;
    auto loaded = load_facts(c, assignment_id);
    if (!loaded) return std::move(loaded).err();
    if (!*loaded) return ids;
    const facts& f = **loaded;
    const bool by_sms = f.sms && !policy.sms_channel.empty() && !f.phone.empty();
    const bool by_webhook = f.webhook && policy.webhook_enabled && !f.webhook_url.empty();
    if (!by_sms && !by_webhook) return ids;
    const bool reminder = kind == notification_kind::reminder;

    // One link per notification, shared by its SMS and its webhook: it works
    // once, whichever way it travelled. Reminders point back to the first.
    std::string link;
    if (!reminder && !policy.public_base_url.empty()) {
        auto token = create_ack_link(c, assignment_id, f.contact_id, now, now + policy.link_lifetime, policy.link_key);
        if (!token) return std::move(token).err();
        link = link_url(policy.public_base_url, *token);
    }

    new_outbox_message m;
    m.report_id = static_cast<std::uint64_t>(f.report_id);
    m.assignment_id = assignment_id;
    m.created_at = now;
    if (by_sms) {
        auto text = sms_text(f, policy, link, reminder);
        m.channel = policy.sms_channel;
        m.destination = f.phone;
        m.body = std::move(text.text);
        m.segments = text.segments;
        auto id = enqueue_outbox(c, m);
        if (!id) return std::move(id).err();
        ids.push_back(*id);
    }
    if (by_webhook) {
        m.channel = "webhook";
        m.destination = f.webhook_url;
        m.body = webhook_body(assignment_id, f, link, reminder);
        m.segments = 0;
        auto id = enqueue_outbox(c, m);
        if (!id) return std::move(id).err();
        ids.push_back(*id);
    }
    return ids;
}

result<bool> on_notification_failed(connection& c, std::uint64_t outbox_id, time_point now) {
    if (outbox_id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    const auto row_id = static_cast<std::int64_t>(outbox_id);
    std::int64_t assignment_id = 0, report_id = 0;
    std::string channel;
    {
        auto st = prepare_bound(c,
                                "SELECT o.assignment_id, a.report_id, o.channel FROM outbox AS o "
                                "JOIN assignments AS a ON a.id = o.assignment_id "
                                "WHERE o.id = ?1 AND (o.state = 'failed' OR o.delivery = 'undelivered')",
                                row_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return false;  // not a failed notification of an assignment
        assignment_id = (*st)->column_int64(0);
        report_id = (*st)->column_int64(1);
        channel = (*st)->column_text(2);
    }
    const std::int64_t at = to_unix_ms(now);
    // Guarded by everything that must still hold: open, not breached, due
    // later than now, and no other notification of it still alive (waiting,
    // being sent, or sent without a report of non-delivery). A reminder still
    // to come is dropped with it: the deadline is now, the breach and the
    // next step follow at once.
    if (auto r = run_bound(c,
                           "UPDATE assignments SET ack_due_at = ?2, reminder_due_at = CASE WHEN reminded_at IS NULL "
                           "AND reminder_due_at > ?2 THEN NULL ELSE reminder_due_at END "
                           "WHERE id = ?1 AND state = 'open' AND breached_at IS NULL AND ack_due_at > ?2 "
                           "AND NOT EXISTS (SELECT 1 FROM outbox WHERE assignment_id = ?1 AND id <> ?3 AND "
                           "(state = 'pending' OR state = 'sending' OR (state = 'sent' AND "
                           "(delivery IS NULL OR delivery = 'delivered'))))",
                           assignment_id, at, row_id);
        !r)
        return std::move(r).err();
    if (c.changes() != 1) return false;
    if (auto r = run_bound(c,
                           "INSERT INTO events (report_id, at, kind, actor, data) VALUES (?1, ?2, "
                           "'notification_failed', 'outbox', json_object('assignment', ?3, 'outbox_id', ?4, "
                           "'channel', ?5))",
                           report_id, at, assignment_id, row_id, channel);
        !r)
        return std::move(r).err();
    return true;
}

}  // namespace hotline::storage
