#include "server/ack_api.hpp"

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <string>
#include <utility>

#include "routing/time.hpp"
#include "server/detail/await.hpp"
#include "server/responses.hpp"
#include "storage/escalation.hpp"
#include "storage/officers.hpp"

namespace hotline::server {

namespace asio = boost::asio;
using asio::awaitable;
using detail::await_storage;
using storage::connection;
using storage::statement;
using storage::step_result;

namespace {

constexpr std::string_view ack_prefix = "/api/v1/assignments/";
constexpr std::string_view ack_suffix = "/ack";
constexpr std::string_view link_prefix = "/a/";

bool is_get(const request& req) { return req.method() == http::verb::get || req.method() == http::verb::head; }

std::optional<std::int64_t> parse_id(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
    return v;
}

// A link's token as it may appear in the path: the tracking alphabet in
// either case, about 20 characters. Anything else is not looked up at all.
bool plausible_link_token(std::string_view t) {
    if (t.empty() || t.size() > 64) return false;
    for (char ch : t)
        if (!std::isalnum(static_cast<unsigned char>(ch))) return false;
    return true;
}

std::string local_time(time_point t) { return routing::format_vietnam_datetime(t) + " (UTC+7)"; }

struct ack_done {
    std::int64_t assignment_id = 0;
    std::int64_t report_id = 0;
    bool in_time = false;
    time_point at;
};

// What a link's page needs to show, read on the same connection as the
// link itself.
struct link_view {
    enum class state { confirm, done, expired, used, not_found, not_allowed, already_acknowledged, superseded };
    state what = state::not_found;
    std::string tracking_code;
    std::string urgency;
    std::optional<std::string> commune_code;
    std::optional<time_point> deadline;
    std::optional<time_point> acknowledged_at;
    bool by_this_contact = false;
    bool in_time = false;
};

// The details of the link's assignment and its report; `what` is left to the caller.
result<void> read_details(connection& c, std::int64_t assignment_id, std::int64_t contact_id, link_view& v,
                          std::string& assignment_state) {
    auto st = c.cached(
        "SELECT a.state, a.ack_due_at, a.acknowledged_at, a.acknowledged_by, r.tracking_code, r.commune_code, "
        "(SELECT json_extract(e.data, '$.urgency') FROM events AS e WHERE e.report_id = r.id AND e.kind IN "
        "('classified', 'classification_overridden') ORDER BY e.id DESC LIMIT 1) "
        "FROM assignments AS a JOIN reports AS r ON r.id = a.report_id WHERE a.id = ?1");
    if (!st) return std::move(st).err();
    if (auto b = (*st)->bind(1, assignment_id); !b) return b;
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return make_error("not_found", "no such assignment");
    const statement& s = **st;
    assignment_state = s.column_text(0);
    if (auto d = s.column_optional_int64(1)) v.deadline = from_unix_ms(*d);
    if (auto a = s.column_optional_int64(2)) v.acknowledged_at = from_unix_ms(*a);
    v.by_this_contact = s.column_optional_int64(3) == contact_id;
    v.tracking_code = intake::tracking_codec::grouped(s.column_text_view(4));
    v.commune_code = s.column_optional_text(5);
    v.urgency = s.column_optional_text(6).value_or("");
    return {};
}

// Looks the link up and judges it; with `act`, uses it and acknowledges in
// the same write. Refusals are values (nothing written), so the page can
// say what it knows.
result<link_view> judge_link(connection& c, const std::string& token, const intake::secret_key& key, time_point now,
                             bool act) {
    link_view v;
    auto found = storage::find_ack_link(c, token, key);
    if (!found) return std::move(found).err();
    if (!*found) return v;  // not_found
    const storage::ack_link& link = **found;
    std::string state;
    if (auto r = read_details(c, link.assignment_id, link.contact_id, v, state); !r) {
        if (r.err().code == "not_found") return v;
        return std::move(r).err();
    }
    using s = link_view::state;
    if (link.used_at) {
        v.what = s::used;
        return v;
    }
    if (now >= link.expires_at) {
        v.what = s::expired;
        return v;
    }
    if (state == "acknowledged") {
        v.what = s::already_acknowledged;
        return v;
    }
    if (state != "open") {
        v.what = s::superseded;
        return v;
    }
    auto may = storage::may_acknowledge(c, link.assignment_id, link.contact_id, now);
    if (!may) return std::move(may).err();
    if (*may == storage::ack_permission::refused) {
        v.what = s::not_allowed;
        return v;
    }
    if (!act) {
        v.what = s::confirm;
        return v;
    }
    if (auto u = storage::use_ack_link(c, link.id, now); !u) return std::move(u).err();
    auto done = storage::acknowledge(c, storage::acknowledgement{link.assignment_id, link.contact_id, "link", now});
    if (!done) return std::move(done).err();
    v.what = s::done;
    v.in_time = done->in_time;
    v.acknowledged_at = now;
    v.by_this_contact = true;
    return v;
}

}  // namespace

bool ack_api::handles(std::string_view path) noexcept {
    if (path.starts_with(link_prefix) && path.size() > link_prefix.size()) return true;
    return path.starts_with(ack_prefix) && path.ends_with(ack_suffix) &&
           path.size() > ack_prefix.size() + ack_suffix.size();
}

awaitable<response> ack_api::handle(request& req, request_context& ctx, std::string_view path, lang l) const {
    if (path.starts_with(link_prefix)) {
        const bool get = is_get(req);
        const bool post = req.method() == http::verb::post;
        ctx.route = post ? "POST /a/{token}" : "GET /a/{token}";
        std::string token(path.substr(link_prefix.size()));
        if (get) co_return co_await get_link(std::move(token), l);
        if (post) co_return co_await post_link(std::move(token), l);
        co_return method_not_allowed(req.method_string(), "GET, POST");
    }
    ctx.route = "POST /api/v1/assignments/{id}/ack";
    if (req.method() != http::verb::post) co_return method_not_allowed(req.method_string(), "POST");
    const std::string_view id = path.substr(ack_prefix.size(), path.size() - ack_prefix.size() - ack_suffix.size());
    co_return co_await post_ack(req, id);
}

awaitable<response> ack_api::post_ack(request& req, std::string_view id_text) const {
    const std::string token(bearer_token(req[http::field::authorization]));
    if (token.empty()) co_return unauthorized(token_holder::officer);
    const auto id = parse_id(id_text);
    // The token is checked on a reader first: a request with a bad token
    // never reaches the writer.
    auto contact = co_await await_storage<std::optional<std::int64_t>>([&](auto done) {
        db_.read<std::optional<std::int64_t>>([token](connection& c) { return storage::contact_for_token(c, token); },
                                              std::move(done));
    });
    if (!contact) {
        log_.error("ack_failed", {{"code", contact.err().code}});
        co_return error_response(contact.err());
    }
    if (!*contact) co_return unauthorized(token_holder::officer, true);
    if (!id) co_return error_response(http::status::not_found, "not_found", "no such assignment");
    const std::int64_t who = **contact;
    const std::int64_t assignment = *id;
    const time_point now = clock_.now();
    auto done = co_await await_storage<ack_done>([&](auto complete) {
        db_.write<ack_done>(
            [who, assignment, now](connection& c) -> result<ack_done> {
                auto may = storage::may_acknowledge(c, assignment, who, now);
                if (!may) return std::move(may).err();
                if (*may == storage::ack_permission::refused)
                    return make_error("forbidden", "this contact may not acknowledge this assignment: it is neither "
                                                   "the assignee nor on duty in the assignment's unit");
                auto a = storage::acknowledge(c, storage::acknowledgement{assignment, who, "api", now});
                if (!a) return std::move(a).err();
                return ack_done{assignment, a->report_id, a->in_time, now};
            },
            std::move(complete));
    });
    if (!done) {
        const error& e = done.err();
        if (e.code == "storage_failure" || e.code == "shutting_down") log_.error("ack_failed", {{"code", e.code}});
        co_return error_response(e);
    }
    log_.info("acknowledged", {{"assignment_id", done->assignment_id},
                               {"report_id", done->report_id},
                               {"contact_id", who},
                               {"channel", "api"},
                               {"in_time", done->in_time}});
    if (acknowledged_) acknowledged_();
    boost::json::object body;
    body["assignment_id"] = done->assignment_id;
    body["report_id"] = done->report_id;
    body["state"] = "acknowledged";
    body["in_time"] = done->in_time;
    body["acknowledged_at"] = routing::format_rfc3339_utc(done->at);
    co_return json_response(http::status::ok, body);
}

namespace {

response link_page(const link_view& v, lang l, const std::string& token, const routing::unit_catalog& units) {
    ack_page p;
    p.tracking_code = v.tracking_code;
    p.urgency = v.urgency;
    if (v.commune_code) {
        if (const auto* c = units.find_commune(*v.commune_code)) p.commune = c->full_name;
    }
    if (v.deadline) p.deadline = local_time(*v.deadline);
    p.action = "/a/" + token + "?lang=" + std::string(to_string(l));
    if (v.acknowledged_at) p.acknowledged_at = local_time(*v.acknowledged_at);
    p.by_this_contact = v.by_this_contact;
    p.in_time = v.in_time;
    using s = link_view::state;
    switch (v.what) {
    case s::confirm: return html_response(http::status::ok, render_ack_confirm(l, p));
    case s::done: return html_response(http::status::ok, render_ack_done(l, p));
    case s::expired: return html_response(http::status::gone, render_ack_problem(l, ack_problem::expired, p));
    case s::used: return html_response(http::status::conflict, render_ack_problem(l, ack_problem::used, p));
    case s::not_allowed:
        return html_response(http::status::forbidden, render_ack_problem(l, ack_problem::not_allowed, p));
    case s::already_acknowledged:
        return html_response(http::status::conflict, render_ack_problem(l, ack_problem::already_acknowledged, p));
    case s::superseded:
        return html_response(http::status::conflict, render_ack_problem(l, ack_problem::superseded, p));
    case s::not_found: break;
    }
    return html_response(http::status::not_found, render_ack_problem(l, ack_problem::not_found, ack_page{}));
}

response unavailable_page(lang l) {
    auto r = html_response(http::status::service_unavailable,
                           render_error_page(l, 503,
                                             l == lang::vi ? "Hệ thống tạm thời không ghi được. Xin thử lại sau ít phút."
                                                           : "The system cannot record this right now. Please try "
                                                             "again in a few minutes."));
    r.set(http::field::retry_after, "5");
    return r;
}

}  // namespace

awaitable<response> ack_api::get_link(std::string token, lang l) const {
    if (!plausible_link_token(token)) co_return link_page(link_view{}, l, {}, units_);
    const time_point now = clock_.now();
    const intake::secret_key key = link_key_;
    auto v = co_await await_storage<link_view>([&](auto done) {
        db_.read<link_view>([token, key, now](connection& c) { return judge_link(c, token, key, now, false); },
                            std::move(done));
    });
    if (!v) {
        log_.error("ack_link_failed", {{"code", v.err().code}});
        co_return unavailable_page(l);
    }
    co_return link_page(*v, l, token, units_);
}

awaitable<response> ack_api::post_link(std::string token, lang l) const {
    if (!plausible_link_token(token)) co_return link_page(link_view{}, l, {}, units_);
    const time_point now = clock_.now();
    const intake::secret_key key = link_key_;
    auto v = co_await await_storage<link_view>([&](auto done) {
        db_.write<link_view>([token, key, now](connection& c) { return judge_link(c, token, key, now, true); },
                             std::move(done));
    });
    if (!v) {
        log_.error("ack_link_failed", {{"code", v.err().code}});
        co_return unavailable_page(l);
    }
    if (v->what == link_view::state::done) {
        log_.info("acknowledged", {{"channel", "link"}, {"in_time", v->in_time}});
        if (acknowledged_) acknowledged_();
    }
    co_return link_page(*v, l, token, units_);
}

}  // namespace hotline::server
