#include "server/officer_api.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <cctype>
#include <optional>
#include <string>
#include <utility>

#include "intake/tracking_code.hpp"
#include "routing/time.hpp"
#include "server/detail/await.hpp"
#include "server/detail/json_body.hpp"
#include "server/responses.hpp"
#include "storage/officers.hpp"
#include "storage/views.hpp"

namespace hotline::server {

namespace asio = boost::asio;
using asio::awaitable;
using detail::await_storage;

namespace {

bool is_get(const request& req) { return req.method() == http::verb::get || req.method() == http::verb::head; }

boost::json::value optional_string(const std::optional<std::string>& s) {
    if (s) return boost::json::value(*s);
    return nullptr;
}

boost::json::value optional_time(const std::optional<time_point>& t) {
    if (t) return boost::json::value(routing::format_rfc3339_utc(*t));
    return nullptr;
}

boost::json::value commune_name(const routing::unit_catalog& units, const std::optional<std::string>& code) {
    if (code)
        if (const auto* c = units.find_commune(*code)) return boost::json::value(c->full_name);
    return nullptr;
}

boost::json::value province_name(const routing::unit_catalog& units, const std::optional<std::string>& code) {
    if (code)
        if (const auto* p = units.find_province(*code)) return boost::json::value(p->full_name);
    return nullptr;
}

// The name of a unit code of either level (a picked location_code, an
// assignment's unit).
boost::json::value unit_name(const routing::unit_catalog& units, const std::optional<std::string>& code) {
    if (!code) return nullptr;
    if (*code == "VN") return boost::json::value("Việt Nam");
    if (const auto* c = units.find_commune(*code)) return boost::json::value(c->full_name);
    if (const auto* p = units.find_province(*code)) return boost::json::value(p->full_name);
    return nullptr;
}

// A JSON text stored by the database as a value; null when absent or broken.
boost::json::value parsed(const std::optional<std::string>& text) {
    if (!text) return nullptr;
    boost::system::error_code ec;
    auto v = boost::json::parse(*text, ec);
    if (ec) return nullptr;
    return v;
}

boost::json::object assignment_json(const routing::unit_catalog& units, const storage::officer_assignment& a) {
    boost::json::array categories;
    for (const auto& c : a.categories) categories.emplace_back(c);
    return {
        {"id", a.id},
        {"report_id", a.report_id},
        {"tracking_code", intake::tracking_codec::grouped(a.tracking_code)},
        {"urgency", optional_string(a.urgency)},
        {"categories", std::move(categories)},
        {"commune_code", optional_string(a.commune_code)},
        {"commune_name", commune_name(units, a.commune_code)},
        {"province_code", optional_string(a.province_code)},
        {"province_name", province_name(units, a.province_code)},
        {"role", optional_string(a.role)},
        {"step", a.step},
        {"state", a.state},
        {"created_at", routing::format_rfc3339_utc(a.created_at)},
        {"ack_due_at", optional_time(a.ack_due_at)},
        {"overdue", a.overdue},
    };
}

boost::json::object clock_json(const storage::clock_state& c) {
    return {{"due_at", optional_time(c.due)}, {"met_at", optional_time(c.met)}, {"breached_at", optional_time(c.breached)}};
}

// The Mẫu 01 record as the officer API shows it.
boost::json::object report_json(const routing::unit_catalog& units, const storage::report_view& v) {
    boost::json::object o;
    o["id"] = v.id;
    o["tracking_code"] = intake::tracking_codec::grouped(v.tracking_code);
    o["channel"] = v.channel;
    o["received_at"] = routing::format_rfc3339_utc(v.received_at);
    o["state"] = v.state;
    o["viewed_as"] = std::string(storage::to_string(v.right));
    o["text"] = v.text;
    boost::json::array additions;
    for (const auto& a : v.additions)
        additions.push_back(
            boost::json::object{{"kind", a.kind}, {"at", routing::format_rfc3339_utc(a.at)}, {"text", a.text}});
    o["additions"] = std::move(additions);
    o["location"] = boost::json::object{
        {"text", optional_string(v.location_text)},
        {"code", optional_string(v.location_code)},
        {"code_name", unit_name(units, v.location_code)},
        {"commune_code", optional_string(v.commune_code)},
        {"commune_name", commune_name(units, v.commune_code)},
        {"province_code", optional_string(v.province_code)},
        {"province_name", province_name(units, v.province_code)},
    };
    boost::json::value age = nullptr;
    if (v.child_age) age = *v.child_age;
    o["child"] = boost::json::object{
        {"name", optional_string(v.child_name)},
        {"age", age},
        {"age_estimated", v.child_age_estimated},
        {"sex", v.child_sex},
        {"condition", optional_string(v.child_condition)},
    };
    o["perpetrator_relation"] = optional_string(v.perpetrator_relation);
    const auto& who = v.reporter;
    boost::json::object reporter{{"contact_ok", who.contact_ok}, {"keep_identity_secret", who.keep_identity_secret}};
    if (who.shown) {
        reporter["withheld"] = false;
        reporter["name"] = optional_string(who.name);
        reporter["phone"] = optional_string(who.phone);
        reporter["address"] = optional_string(who.address);
    } else {
        reporter["withheld"] = true;
        reporter["reason"] = who.withheld_reason;
    }
    o["reporter"] = std::move(reporter);
    if (v.classification) {
        auto data = parsed(v.classification);
        boost::json::object cls;
        if (data.is_object()) cls = std::move(data.as_object());
        cls["kind"] = optional_string(v.classification_kind);
        cls["at"] = optional_time(v.classified_at);
        o["classification"] = std::move(cls);
    } else {
        o["classification"] = nullptr;
    }
    o["legal_clocks"] = boost::json::object{{"action", clock_json(v.action)}, {"plan", clock_json(v.plan)}};
    o["ladder"] = boost::json::object{{"step", v.ladder_step}, {"round", v.ladder_round}};
    boost::json::array assignments;
    for (const auto& a : v.assignments)
        assignments.push_back(boost::json::object{
            {"id", a.id},
            {"contact", optional_string(a.contact)},
            {"queue", optional_string(a.queue)},
            {"role", optional_string(a.role)},
            {"unit_code", optional_string(a.unit_code)},
            {"unit_name", unit_name(units, a.unit_code)},
            {"step", a.step},
            {"round", a.round},
            {"state", a.state},
            {"reason", a.reason},
            {"created_at", routing::format_rfc3339_utc(a.created_at)},
            {"ack_due_at", optional_time(a.ack_due_at)},
            {"acknowledged_at", optional_time(a.acknowledged_at)},
            {"acknowledged_by", optional_string(a.acknowledged_by)},
            {"acknowledged_via", optional_string(a.acknowledged_via)},
            {"breached_at", optional_time(a.breached_at)},
            {"escalated_at", optional_time(a.escalated_at)},
        });
    o["assignments"] = std::move(assignments);
    boost::json::array events;
    for (const auto& e : v.events)
        events.push_back(boost::json::object{
            {"id", e.id},
            {"kind", e.kind},
            {"at", routing::format_rfc3339_utc(e.at)},
            {"actor", e.actor},
            {"data", parsed(e.data)},
            {"data_withheld", e.withheld},
        });
    o["events"] = std::move(events);
    return o;
}

// A report id as typed in the path: 1 to 18 decimal digits.
std::optional<std::int64_t> parse_report_id(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    if (v <= 0) return std::nullopt;
    return v;
}

struct listing {
    std::string contact;
    std::vector<storage::officer_assignment> rows;
};

struct viewing {
    std::int64_t contact_id = 0;
    storage::report_view view;
};

}  // namespace

bool officer_api::is_officer_request(const request& req) noexcept {
    return !bearer_token(req[http::field::authorization]).empty();
}

awaitable<response> officer_api::assignments(request& req, request_context& ctx) const {
    ctx.route = "GET /api/v1/assignments";
    if (!is_get(req)) co_return method_not_allowed(req.method_string(), "GET");
    const std::string token(bearer_token(req[http::field::authorization]));
    if (token.empty()) co_return unauthorized(token_holder::officer);
    std::string filter_text = "open";
    if (const auto target = boost::urls::parse_origin_form(req.target()); target) {
        for (const auto& p : target->params())
            if (p.key == "state") filter_text = p.value;
    }
    const auto filter = storage::parse_assignment_filter(filter_text);
    if (!filter)
        co_return error_response(http::status::bad_request, "invalid_value",
                                 "state must be one of open, acknowledged, all", "state");
    const time_point now = clock_.now();
    const storage::assignment_filter f = *filter;
    auto found = co_await await_storage<std::optional<listing>>([&](auto done) {
        db_.read<std::optional<listing>>(
            [token, f, now](storage::connection& c) -> result<std::optional<listing>> {
                auto contact = storage::contact_for_token(c, token);
                if (!contact) return std::move(contact).err();
                if (!*contact) return std::optional<listing>();
                auto key = c.prepare("SELECT key FROM contacts WHERE id = ?1");
                if (!key) return std::move(key).err();
                if (auto b = key->bind(1, **contact); !b) return std::move(b).err();
                auto row = key->step();
                if (!row) return std::move(row).err();
                listing out;
                if (*row == storage::step_result::row) out.contact = key->column_text(0);
                auto rows = storage::assignments_of(c, **contact, f, now);
                if (!rows) return std::move(rows).err();
                out.rows = std::move(*rows);
                return std::optional<listing>(std::move(out));
            },
            std::move(done));
    });
    if (!found) {
        log_.error("assignments_not_read", {{"code", found.err().code}, {"message", found.err().message}});
        co_return error_response(found.err());
    }
    if (!*found) co_return unauthorized(token_holder::officer, true);
    boost::json::array rows;
    for (const auto& a : (*found)->rows) rows.push_back(assignment_json(units_, a));
    co_return json_response(http::status::ok,
                            {{"contact", (*found)->contact}, {"state", filter_text}, {"assignments", std::move(rows)}});
}

awaitable<response> officer_api::report(request& req, request_context& ctx, std::string_view rest) const {
    std::string_view id_text = rest;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        id_text = rest.substr(0, slash);
        const std::string_view what = rest.substr(slash + 1);
        const auto id = parse_report_id(id_text);
        if (what != "action" && what != "plan") {
            ctx.route = "/api/v1/reports/{id}/…";
            co_return error_response(http::status::not_found, "not_found",
                                     "no such resource; a report has /action and /plan");
        }
        ctx.route = what == "action" ? "POST /api/v1/reports/{id}/action" : "POST /api/v1/reports/{id}/plan";
        if (!id)
            co_return error_response(http::status::bad_request, "invalid_value",
                                     "a report is named by its numeric id: /api/v1/reports/{id}/" + std::string(what),
                                     "id");
        co_return co_await milestone(req, ctx, *id,
                                     what == "action" ? storage::milestone::action : storage::milestone::plan);
    }
    ctx.route = "GET /api/v1/reports/{id}";
    if (!is_get(req)) co_return method_not_allowed(req.method_string(), "GET");
    const std::string token(bearer_token(req[http::field::authorization]));
    if (token.empty()) co_return unauthorized(token_holder::officer);
    const auto id = parse_report_id(id_text);
    if (!id)
        co_return error_response(http::status::bad_request, "invalid_value",
                                 "an officer reads a report by its numeric id: /api/v1/reports/{id}", "id");
    const std::int64_t report_id = *id;
    auto seen = co_await await_storage<std::optional<viewing>>([&](auto done) {
        db_.read<std::optional<viewing>>(
            [token, report_id](storage::connection& c) -> result<std::optional<viewing>> {
                auto contact = storage::contact_for_token(c, token);
                if (!contact) return std::move(contact).err();
                if (!*contact) return std::optional<viewing>();
                auto v = storage::read_report_view(c, report_id, **contact);
                if (!v) return std::move(v).err();
                return std::optional<viewing>(viewing{**contact, std::move(*v)});
            },
            std::move(done));
    });
    if (!seen) {
        const auto& e = seen.err();
        if (e.code == "forbidden") co_return error_response(http::status::forbidden, e.code, e.message);
        if (e.code == "not_found")
            co_return error_response(http::status::not_found, "not_found", "no report with this id");
        log_.error("report_not_read", {{"code", e.code}, {"message", e.message}});
        co_return error_response(e);
    }
    if (!*seen) co_return unauthorized(token_holder::officer, true);
    // The view goes on record before anything of the report leaves.
    const std::int64_t contact_id = (*seen)->contact_id;
    const storage::view_right right = (*seen)->view.right;
    const time_point now = clock_.now();
    auto recorded = co_await await_storage<std::int64_t>([&](auto done) {
        db_.write<std::int64_t>(
            [report_id, contact_id, right, now](storage::connection& c) {
                return storage::record_view(c, report_id, contact_id, right, "api", now);
            },
            std::move(done));
    });
    if (!recorded) {
        log_.error("view_not_recorded", {{"report_id", report_id}, {"code", recorded.err().code}});
        co_return error_response(http::status::service_unavailable, "unavailable",
                                 "the view could not be recorded; try again");
    }
    log_.info("report_viewed", {{"report_id", report_id},
                                {"contact_id", contact_id},
                                {"as", std::string(storage::to_string(right))},
                                {"event_id", *recorded}});
    co_return json_response(http::status::ok, report_json(units_, (*seen)->view));
}

awaitable<response> officer_api::milestone(request& req, request_context&, std::int64_t report_id,
                                           storage::milestone m) const {
    if (req.method() != http::verb::post) co_return method_not_allowed(req.method_string(), "POST");
    const std::string token(bearer_token(req[http::field::authorization]));
    if (token.empty()) co_return unauthorized(token_holder::officer);
    // Nothing to say but that it happened: an empty body or an empty object.
    if (const std::string_view body = req.body(); body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        auto o = detail::parse_json_object(body);
        if (!o) co_return error_response(http::status::bad_request, o.err().code, o.err().message);
        if (!o->empty()) {
            const std::string field(o->begin()->key());
            co_return error_response(http::status::bad_request, "unknown_field",
                                     fmt::format("unknown field \"{}\": this request takes no fields", field), field);
        }
    }
    if (!deadlines_)
        co_return error_response(http::status::service_unavailable, "unavailable",
                                 "legal clocks are not kept by this server");

    // Who asks, and may they: on a reader, so a bad token never reaches the writer.
    auto who = co_await await_storage<std::optional<std::int64_t>>([&](auto done) {
        db_.read<std::optional<std::int64_t>>(
            [token, report_id](storage::connection& c) -> result<std::optional<std::int64_t>> {
                auto contact = storage::contact_for_token(c, token);
                if (!contact) return std::move(contact).err();
                if (!*contact) return std::optional<std::int64_t>();
                auto right = storage::view_right_of(c, report_id, **contact);
                if (!right) return std::move(right).err();
                if (!*right) return make_error("forbidden", "this report is not yours to act on");
                return *contact;
            },
            std::move(done));
    });
    if (!who) {
        const auto& e = who.err();
        if (e.code == "forbidden") co_return error_response(http::status::forbidden, e.code, e.message);
        if (e.code == "not_found")
            co_return error_response(http::status::not_found, "not_found", "no report with this id");
        log_.error("milestone_not_checked", {{"code", e.code}, {"message", e.message}});
        co_return error_response(e);
    }
    if (!*who) co_return unauthorized(token_holder::officer, true);

    const std::int64_t contact_id = **who;
    const time_point now = clock_.now();
    const storage::deadline_policy& policy = *deadlines_;
    auto done = co_await await_storage<storage::milestone_recorded>([&](auto finish) {
        db_.write<storage::milestone_recorded>(
            [report_id, m, contact_id, &policy, now](storage::connection& c) {
                return storage::record_milestone(c, report_id, m, contact_id, policy, now);
            },
            std::move(finish));
    });
    const std::string_view name = m == storage::milestone::action ? "action" : "plan";
    if (!done) {
        const auto& e = done.err();
        if (e.code == "already_recorded" || e.code == "report_closed")
            co_return error_response(http::status::conflict, e.code, e.message);
        if (e.code == "not_found")
            co_return error_response(http::status::not_found, "not_found", "no report with this id");
        log_.error("milestone_not_recorded", {{"code", e.code}, {"message", e.message}});
        co_return error_response(e);
    }
    if (clocks_changed_) clocks_changed_();
    log_.info("milestone_recorded", {{"report_id", report_id},
                                     {"contact_id", contact_id},
                                     {"milestone", std::string(name)},
                                     {"in_time", done->in_time}});
    co_return json_response(http::status::ok, {{"report_id", report_id},
                                               {"milestone", name},
                                               {"recorded_at", routing::format_rfc3339_utc(now)},
                                               {"in_time", done->in_time},
                                               {"due_at", optional_time(done->due_at)},
                                               {"plan_due_at", optional_time(done->plan_due_at)}});
}

}  // namespace hotline::server
