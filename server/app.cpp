#include "server/detail/json_body.hpp"
#include "server/app.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>
#include <sodium.h>

#include <boost/json/parse.hpp>

#include "intake/phone.hpp"
#include "intake/report.hpp"
#include "intake/sms.hpp"
#include "intake/text.hpp"
#include "routing/time.hpp"
#include "server/csrf.hpp"
#include "server/ack_api.hpp"
#include "server/directory_api.hpp"
#include "server/metrics.hpp"
#include "server/officer_api.hpp"
#include "server/detail/await.hpp"
#include "server/pages.hpp"
#include "server/rate_limiter.hpp"
#include "server/report_decoding.hpp"
#include "server/responses.hpp"
#include "server/sms_webhooks.hpp"
#include "server/units.hpp"
#include "server/units_api.hpp"
#include "storage/outbox.hpp"

namespace hotline::server {

namespace asio = boost::asio;
using asio::awaitable;
using detail::await_storage;

namespace {

constexpr std::string_view route_healthz = "GET /healthz";

std::string hex_digest(std::string_view bytes) {
    unsigned char out[32];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       nullptr, 0);
    char hex[sizeof out * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, out, sizeof out);
    return hex;
}

// "application/json; charset=utf-8" -> "application/json"
std::string media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    std::string_view t = content_type.substr(0, semi);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    std::string out(t);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool valid_idempotency_key(std::string_view k) {
    if (k.empty() || k.size() > 255) return false;
    for (const char c : k)
        if (c < 0x21 || c > 0x7e) return false;
    return true;
}

response with_retry_after(response r, int seconds) {
    r.set(http::field::retry_after, std::to_string(std::max(1, seconds)));
    return r;
}

std::string form_value(const form_fields& f, const std::string& key) {
    const auto it = f.values.find(key);
    return it == f.values.end() ? std::string() : it->second;
}

using token_digest = std::array<unsigned char, crypto_generichash_BYTES>;

// Tokens are compared as keyed digests of equal length, with sodium_memcmp,
// against every configured token without stopping early: the time taken says
// nothing about how much of a guess was right.
token_digest digest_token(std::string_view token, const intake::secret_key& key) {
    token_digest d{};
    crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       key.data(), key.size());
    return d;
}

// The track an override gets when it names none, as the classifier derives
// it from the urgency alone.
intake::legal_track track_for(intake::urgency u) {
    switch (u) {
    case intake::urgency::emergency: return intake::legal_track::emergency_12h;
    case intake::urgency::low: return intake::legal_track::none;
    default: return intake::legal_track::standard_5wd;
    }
}

constexpr std::size_t override_by_limit = 100;       // code points
constexpr std::size_t override_reason_limit = 1000;  // code points

// The body of POST /api/v1/reports/{code}/classification: the request's own
// errors (400: not JSON, unknown field, wrong type) come alone; the values'
// errors (422) all together.
result<storage::classification_override> override_from_json(std::string_view body, std::vector<error>& invalid,
                                                            bool& track_given) {
    auto parsed = detail::parse_json_object(body);
    if (!parsed) return std::move(parsed).err();
    const auto& o = *parsed;
    for (const auto& kv : o) {
        const std::string_view k = kv.key();
        if (k != "by" && k != "reason" && k != "urgency" && k != "categories" && k != "track")
            return make_error("unknown_field", fmt::format("unknown field \"{}\"", k), std::string(k));
    }
    const auto string_of = [&](std::string_view name) -> result<std::optional<std::string>> {
        const auto* val = o.if_contains(name);
        if (!val || val->is_null()) return std::optional<std::string>();
        if (!val->is_string())
            return make_error("wrong_type", fmt::format("{} must be a string", name), std::string(name));
        return std::optional<std::string>(std::string(val->as_string()));
    };
    auto by = string_of("by");
    if (!by) return std::move(by).err();
    auto reason = string_of("reason");
    if (!reason) return std::move(reason).err();
    auto urgency = string_of("urgency");
    if (!urgency) return std::move(urgency).err();
    auto track = string_of("track");
    if (!track) return std::move(track).err();
    std::vector<std::string> categories;
    bool categories_given = false;
    if (const auto* cv = o.if_contains("categories"); cv && !cv->is_null()) {
        categories_given = true;
        if (!cv->is_array())
            return make_error("wrong_type", "categories must be an array of strings", "categories");
        for (const auto& item : cv->as_array()) {
            if (!item.is_string())
                return make_error("wrong_type", "categories must be an array of strings", "categories");
            categories.emplace_back(item.as_string());
        }
    }

    storage::classification_override out;
    // who: one line of text
    const auto cleaned = [](const std::optional<std::string>& s) {
        std::optional<std::string> c;
        if (s) c = intake::clean_text(*s);
        return c ? *c : std::string();
    };
    out.by = cleaned(*by);
    if (out.by.empty())
        invalid.push_back(make_error("required", "by must name who overrides the classification", "by"));
    else if (intake::count_code_points(out.by) > override_by_limit)
        invalid.push_back(make_error("too_long", fmt::format("by must be at most {} characters", override_by_limit), "by"));
    else if (out.by.find_first_of("\n\t") != std::string::npos)
        invalid.push_back(make_error("invalid_value", "by must be one line", "by"));
    out.reason = cleaned(*reason);
    if (out.reason.empty())
        invalid.push_back(make_error("required", "reason must say why the classification is overridden", "reason"));
    else if (intake::count_code_points(out.reason) > override_reason_limit)
        invalid.push_back(make_error(
            "too_long", fmt::format("reason must be at most {} characters", override_reason_limit), "reason"));
    const auto level = *urgency ? intake::parse_urgency(**urgency) : std::nullopt;
    if (!*urgency)
        invalid.push_back(make_error("required", "urgency is required", "urgency"));
    else if (!level)
        invalid.push_back(
            make_error("invalid_value", "urgency must be one of emergency, high, normal, low", "urgency"));
    if (level) out.level = *level;
    if (!categories_given) {
        invalid.push_back(make_error("required", "categories is required (an empty array for none)", "categories"));
    } else {
        // Known labels only, each once, in the order of the guidelines.
        for (const auto& c : categories) {
            bool known = false;
            for (const auto label : intake::category_labels) known = known || label == c;
            if (!known) {
                invalid.push_back(make_error("invalid_value",
                                             fmt::format("\"{}\" is not a known category", to_valid_utf8(c)),
                                             "categories"));
                break;
            }
        }
        for (const auto label : intake::category_labels)
            for (const auto& c : categories)
                if (c == label) {
                    out.categories.emplace_back(label);
                    break;
                }
    }
    track_given = track->has_value();
    if (*track) {
        if (const auto t = intake::parse_legal_track(**track))
            out.track = *t;
        else
            invalid.push_back(
                make_error("invalid_value", "track must be one of emergency_12h, standard_5wd, none", "track"));
    } else {
        out.track = track_for(out.level);
    }
    return out;
}

}  // namespace

struct app::impl {
    impl(const config& c, logger& l, const hotline::clock& k, storage::database& d,
         const intake::tracking_codec& tc, const intake::secret_key& master, const server::triage& t,
         const routing::unit_catalog& u, const routing::locator& loc, std::function<void()> outbox,
         acknowledgement_handler ack, const storage::deadline_policy* dl, std::function<void()> stored,
         std::function<void(time_point)> due)
        : outbox_written(std::move(outbox)),
          on_acknowledgement(std::move(ack)),
          report_stored(std::move(stored)),
          deadline_set(std::move(due)),
          deadlines(dl),
          cfg(c),
          log(l),
          clk(k),
          db(d),
          codec(tc),
          triage(t),
          units(u),
          directory(d, u, k, l),
          officers(d, u, k, l, dl,
                   [this] {
                       if (report_stored) report_stored();
                   }),
          metrics(d, l),
          acks(d, u, k, l, intake::derive_key(master, "ack-link"),
               [this] {
                   if (report_stored) report_stored();
               }),
          locator(loc),
          token_key(intake::derive_key(master, "operator-token")),
          hasher(intake::derive_key(master, "access-secret")),
          idempotency_key(intake::derive_key(master, "idempotent-secret")),
          csrf(intake::derive_key(master, "csrf"), std::chrono::hours(24)),
          report_limiter(c.reports_per_minute, std::chrono::minutes(1), k),
          status_failures(c.status_failures_per_hour, std::chrono::hours(1), k) {
        // The hash compared against when a code is unknown, so that a miss
        // costs the same as a wrong secret.
        dummy_hash = hasher.hash("00000000");
        for (const auto& t : cfg.operator_tokens) operator_tokens.push_back(digest_token(t, token_key));
    }

    std::function<void()> outbox_written;
    acknowledgement_handler on_acknowledgement;
    std::function<void()> report_stored;
    std::function<void(time_point)> deadline_set;

    // After a committed new report, whatever brought it: only what its write
    // changed is woken. At intake rates a wake-up per report for the scheduler
    // and the dispatcher would be a read (or a claim) per report.
    void new_report_committed(const std::optional<time_point>& earliest_due, bool queued_messages) const {
        if (queued_messages && outbox_written) outbox_written();
        if (deadline_set) {
            if (earliest_due) deadline_set(*earliest_due);
        } else if (report_stored) {
            report_stored();
        }
    }

    const storage::deadline_policy* deadlines;
    const config& cfg;
    logger& log;
    const hotline::clock& clk;
    storage::database& db;
    const intake::tracking_codec& codec;
    const server::triage& triage;
    const routing::unit_catalog& units;
    directory_api directory;  // the admin API of contacts and rosters
    officer_api officers;     // officers' assignments and reports, by their bearer token
    metrics_endpoint metrics; // GET /metrics
    ack_api acks;             // acknowledgement by API and by link
    const routing::locator& locator;
    intake::secret_key token_key;
    std::vector<token_digest> operator_tokens;  // digests of cfg.operator_tokens
    intake::secret_hasher hasher;
    intake::secret_key idempotency_key;
    csrf_guard csrf;
    rate_limiter report_limiter;
    rate_limiter status_failures;
    intake::report_limits limits;
    intake::secret_hash dummy_hash;

    // The per-request view every handler shares.
    struct call {
        request& req;
        request_context& ctx;
        std::string path;
        std::string query_lang;
    };

    awaitable<response> route(call& c);

    awaitable<response> readyz(call& c);
    awaitable<response> post_report_api(call& c);
    awaitable<response> get_report_api(call& c, std::string_view code);
    awaitable<response> get_classification(call& c, std::string_view code);
    awaitable<response> post_classification(call& c, std::string_view code);
    // Whether the request carries a configured operator's bearer token.
    bool operator_authorized(const call& c) const;
    // The classification of a report's fields, as stored with it.
    storage::classification_event classify_report(const intake::report& r) const;
    // Where a report happened, for routing: the place the reporter picked
    // or typed, then, when that names no commune, the report's text.
    routing::location_result locate_report(const intake::report& r) const;
    // The error for a validated report whose location_code is not a current
    // unit (the same check for the form and the API).
    std::optional<error> unknown_location(const intake::report& r) const {
        return r.location_code ? check_location_code(units, *r.location_code) : std::nullopt;
    }
    response get_form(call& c);
    awaitable<response> post_form(call& c);
    response get_status_form(call& c);
    awaitable<response> post_status_form(call& c);

    // SMS gateways' webhooks.
    awaitable<response> twilio_webhook(call& c);
    awaitable<response> android_webhook(call& c);
    awaitable<response> generic_webhook(call& c);
    // Delivery reports of messages we sent (Twilio's StatusCallback; the
    // Android gateway's sms:delivered / sms:failed on android_webhook).
    awaitable<response> twilio_status_webhook(call& c);
    // The form parameters of a request Twilio signed (inbound message or
    // status callback), or the refusal to answer with.
    result<std::vector<std::pair<std::string, std::string>>> twilio_params(const call& c) const;
    awaitable<response> record_delivery_report(std::string channel, delivery_report report);
    // Cleans and stores one gateway message; `outbox_channel` empty when the
    // reply is answered inline.
    awaitable<result<storage::sms_outcome>> receive_sms(const char* provider, gateway_message msg,
                                                        std::string outbox_channel);

    // Storage steps shared by the API and the web form.
    struct stored {
        storage::receipt receipt;
        std::string secret;
    };
    awaitable<result<stored>> store_report(intake::report r, intake::channel ch, std::optional<std::string> key,
                                           std::string request_hash);
    struct lookup {
        std::string tracking_code;
        storage::report_status status;
    };
    // Finds a report by typed code and secret; `not_found` for an unknown code
    // and for a wrong secret alike. Failures count against the address.
    awaitable<result<lookup>> find_for_reporter(call& c, std::string_view code, std::string_view secret);

    // The CSRF cookie of this browser, or a fresh one to set.
    struct browser_session {
        std::string cookie;
        bool is_new = false;
    };
    browser_session session_of(const request& req) const;
    response html(call& c, http::status s, std::string body, const browser_session& bs) const;
    // The decoded body of a citizen's form post; otherwise std::nullopt with
    // the page that refuses it (wrong encoding, broken or non-UTF-8 data) in `refusal`.
    std::optional<form_fields> read_form(call& c, const browser_session& bs, response& refusal) const;
    lang language(const call& c, std::string_view form_lang = {}) const;
};

app::app(const config& cfg, logger& log, const hotline::clock& clock, storage::database& db,
         const intake::tracking_codec& codec, const intake::secret_key& master_key, const triage& triage,
         const routing::unit_catalog& units, const routing::locator& locator, std::function<void()> outbox_written,
         acknowledgement_handler on_acknowledgement, const storage::deadline_policy* deadlines,
         std::function<void()> report_stored, std::function<void(time_point)> deadline_set)
    : impl_(std::make_unique<impl>(cfg, log, clock, db, codec, master_key, triage, units, locator,
                                   std::move(outbox_written), std::move(on_acknowledgement), deadlines,
                                   std::move(report_stored), std::move(deadline_set))) {}

app::~app() = default;

void app::add_metrics(std::vector<process_metric> more) { impl_->metrics.add(std::move(more)); }

awaitable<response> app::handle(request& req, request_context& ctx) {
    const auto parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) {
        ctx.route = "invalid";
        co_return error_response(http::status::bad_request, "bad_request", "the request target is not a valid path");
    }
    impl::call c{req, ctx, std::string(parsed->path()), {}};
    for (const auto& p : parsed->params())
        if (p.key == "lang") c.query_lang = p.value;
    co_return co_await impl_->route(c);
}

awaitable<response> app::impl::route(call& c) {
    const auto method = c.req.method();
    const bool get = method == http::verb::get || method == http::verb::head;
    const bool post = method == http::verb::post;
    const auto& path = c.path;
    auto& route = c.ctx.route;

    const auto not_allowed = [&](std::string_view allow) { return method_not_allowed(c.req.method_string(), allow); };

    if (path == "/healthz") {
        route = route_healthz;
        if (!get) co_return not_allowed("GET");
        co_return json_response(http::status::ok, {{"status", "ok"}});
    }
    if (path == "/metrics") co_return co_await metrics.handle(c.req, c.ctx);
    if (ack_api::handles(path)) {
        const lang l = language(c);
        co_return co_await acks.handle(c.req, c.ctx, path, l);
    }
    if (path == officer_api::assignments_path) co_return co_await officers.assignments(c.req, c.ctx);
    if (path == "/readyz") {
        route = "GET /readyz";
        if (!get) co_return not_allowed("GET");
        co_return co_await readyz(c);
    }
    if (path == "/api/v1/reports") {
        route = "POST /api/v1/reports";
        if (!post) co_return not_allowed("POST");
        co_return co_await post_report_api(c);
    }
    constexpr std::string_view report_prefix = "/api/v1/reports/";
    constexpr std::string_view classification_suffix = "/classification";
    if (path.starts_with(report_prefix) && path.ends_with(classification_suffix) &&
        path.size() > report_prefix.size() + classification_suffix.size()) {
        const std::string_view code = std::string_view(path).substr(
            report_prefix.size(), path.size() - report_prefix.size() - classification_suffix.size());
        route = get ? "GET /api/v1/reports/{code}/classification" : "POST /api/v1/reports/{code}/classification";
        if (get) co_return co_await get_classification(c, code);
        if (post) co_return co_await post_classification(c, code);
        co_return not_allowed("GET, POST");
    }
    // An officer's bearer token reads the report by its id (and records its
    // action and plan, which only officers do); without one it is the
    // reporter's status look-up by tracking code.
    if (path.starts_with(report_prefix) &&
        (officer_api::is_officer_request(c.req) || path.ends_with("/action") || path.ends_with("/plan"))) {
        const std::string_view id = std::string_view(path).substr(report_prefix.size());
        co_return co_await officers.report(c.req, c.ctx, id);
    }
    if (path.starts_with(report_prefix)) {
        route = "GET /api/v1/reports/{code}";
        if (!get) co_return not_allowed("GET");
        co_return co_await get_report_api(c, std::string_view(path).substr(report_prefix.size()));
    }
    if (path == "/") {
        route = "GET /";
        if (!get) co_return not_allowed("GET");
        co_return get_form(c);
    }
    if (path == "/report") {
        route = "POST /report";
        if (!post) co_return not_allowed("POST");
        co_return co_await post_form(c);
    }
    if (path == "/status") {
        route = get ? "GET /status" : "POST /status";
        if (get) co_return get_status_form(c);
        if (post) co_return co_await post_status_form(c);
        co_return not_allowed("GET, POST");
    }
    if (path == "/static/site.css") {
        route = "GET /static/site.css";
        if (!get) co_return not_allowed("GET");
        auto r = text_response(http::status::ok, std::string(site_css()), "text/css; charset=utf-8");
        r.set(http::field::cache_control, "public, max-age=3600");
        co_return r;
    }
    if (path == "/static/place.js") {
        route = "GET /static/place.js";
        if (!get) co_return not_allowed("GET");
        auto r = text_response(http::status::ok, std::string(place_js()), "text/javascript; charset=utf-8");
        r.set(http::field::cache_control, "public, max-age=3600");
        co_return r;
    }
    if (path == "/api/v1/units") {
        route = "GET /api/v1/units";
        if (!get) co_return not_allowed("GET");
        co_return units_api(units, c.req.target(), cfg.home_province);
    }
    if (directory_api::handles(path)) {
        const bool authorized = operator_authorized(c);
        co_return co_await directory.handle(c.req, c.ctx, path, authorized);
    }
    if (path == "/webhooks/sms/twilio/status") {
        route = "POST /webhooks/sms/twilio/status";
        if (!post) co_return not_allowed("POST");
        co_return co_await twilio_status_webhook(c);
    }
    if (path == "/webhooks/sms/twilio") {
        route = "POST /webhooks/sms/twilio";
        if (!post) co_return not_allowed("POST");
        co_return co_await twilio_webhook(c);
    }
    if (path == "/webhooks/sms/android") {
        route = "POST /webhooks/sms/android";
        if (!post) co_return not_allowed("POST");
        co_return co_await android_webhook(c);
    }
    if (path == "/webhooks/sms/generic") {
        route = "POST /webhooks/sms/generic";
        if (!post) co_return not_allowed("POST");
        co_return co_await generic_webhook(c);
    }
    route = "unknown";
    if (path.starts_with("/api/") || path.starts_with("/webhooks/"))
        co_return error_response(http::status::not_found, "not_found", "no such resource");
    const lang l = language(c);
    co_return html(c, http::status::not_found,
                   render_error_page(l, 404, l == lang::vi ? "Không tìm thấy trang này." : "This page does not exist."),
                   session_of(c.req));
}

awaitable<response> app::impl::readyz(call&) {
    auto r = co_await await_storage<void>([this](auto done) { db.check_writable(std::move(done)); });
    if (!r) {
        log.warn("not_ready", {{"code", r.err().code}});
        co_return error_response(http::status::service_unavailable, "not_ready", "the database is not writable");
    }
    co_return json_response(http::status::ok, {{"status", "ready"}});
}

awaitable<result<app::impl::stored>> app::impl::store_report(intake::report r, intake::channel ch,
                                                             std::optional<std::string> key,
                                                             std::string request_hash) {
    // With an idempotency key the secret is derived, not drawn, so that a
    // replay can answer with the same secret although only its hash is kept.
    std::string secret = key ? intake::derived_access_secret(idempotency_key, *key + "\n" + request_hash)
                             : intake::new_access_secret();
    storage::new_report nr;
    nr.data = std::move(r);
    nr.channel = ch;
    nr.received_at = clk.now();
    nr.secret = hasher.hash(secret);
    nr.idempotency_key = std::move(key);
    nr.request_hash = std::move(request_hash);
    // Pure CPU, microseconds: on this thread, and stored in the same write.
    nr.classification = classify_report(nr.data);
    // Located here; routed by the writer in the same transaction (the
    // policy lives in cfg, which outlives every write).
    nr.routing = storage::routing_request{locate_report(nr.data), &cfg.routing, deadlines};
    auto receipt = co_await await_storage<storage::receipt>(
        [&](auto done) { db.insert_report(std::move(nr), std::move(done)); });
    if (!receipt) {
        if (receipt.err().code != "idempotency_conflict")
            log.error("report_not_stored", {{"code", receipt.err().code}, {"message", receipt.err().message}});
        co_return std::move(receipt).err();
    }
    if (!receipt->replayed) new_report_committed(receipt->earliest_due, receipt->queued_messages);
    // Built only when written: at intake rates the fields are an allocation each.
    if (log.enabled(log_level::debug))
        log.debug("report_received", {{"report_id", receipt->id},
                                     {"channel", std::string(intake::to_string(ch))},
                                     {"replayed", receipt->replayed}});
    co_return stored{std::move(*receipt), std::move(secret)};
}

awaitable<response> app::impl::post_report_api(call& c) {
    if (media_type(c.req[http::field::content_type]) != "application/json")
        co_return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                 "Content-Type must be application/json");
    std::optional<std::string> key;
    if (const auto k = c.req["Idempotency-Key"]; !k.empty() || c.req.count("Idempotency-Key")) {
        if (!valid_idempotency_key(k))
            co_return error_response(http::status::bad_request, "invalid_header",
                                     "Idempotency-Key must be 1 to 255 visible ASCII characters", "Idempotency-Key");
        key = "api:" + std::string(k);
    }
    auto input = report_input_from_json(c.req.body());
    if (!input) co_return error_response(input.err());
    auto checked = intake::validate(*input, limits);
    if (!checked.ok()) co_return error_response(status_for(checked.errors().front()), checked.errors());
    if (auto unknown = unknown_location(checked.value())) {
        const auto status = status_for(*unknown);
        co_return error_response(status, {std::move(*unknown)});
    }
    if (!report_limiter.try_take(c.ctx.client_address))
        co_return with_retry_after(error_response(http::status::too_many_requests, "rate_limited",
                                                  "too many reports from this address; try again shortly"),
                                   report_limiter.retry_after_seconds(c.ctx.client_address));

    // Arguments are named before the co_await: g++ 12 mishandles temporaries
    // (here a conditional) in the operand of co_await.
    std::string request_hash;
    if (key) request_hash = hex_digest(c.req.body());
    auto s = co_await store_report(std::move(checked).value(), intake::channel::api, std::move(key),
                                   std::move(request_hash));
    if (!s) co_return error_response(s.err());
    const std::string code = intake::tracking_codec::grouped(s->receipt.tracking_code);
    const std::string status_url = fmt::format("{}/api/v1/reports/{}", cfg.public_base_url, code);
    auto r = json_response(http::status::created, {{"tracking_code", code},
                                                   {"access_secret", s->secret},
                                                   {"received_at", routing::format_rfc3339_utc(s->receipt.received_at)},
                                                   {"status_url", status_url}});
    r.set(http::field::location, status_url);
    if (s->receipt.replayed) r.set("Idempotent-Replayed", "true");
    co_return r;
}

awaitable<result<app::impl::lookup>> app::impl::find_for_reporter(call& c, std::string_view code,
                                                                  std::string_view typed_secret) {
    const auto& addr = c.ctx.client_address;
    const auto miss = [&]() -> error {
        status_failures.try_take(addr);
        return make_error("not_found", "no report with this tracking code and access secret");
    };
    const auto id = codec.decode(code);
    if (!id) {
        status_failures.try_take(addr);
        co_return make_error("invalid_code", "a tracking code is 8 letters and digits, like 7KQ2-M9XD",
                             "tracking_code");
    }
    const auto secret = intake::parse_access_secret(typed_secret);
    auto rec = co_await await_storage<std::optional<storage::report_record>>(
        [&](auto done) { db.find_report(*id, std::move(done)); });
    if (!rec) co_return std::move(rec).err();
    bool match = false;
    if (secret && *rec)
        match = hasher.verify(*secret, (*rec)->secret);
    else if (secret)
        (void)hasher.verify(*secret, dummy_hash);  // an unknown code costs what a wrong secret costs
    if (!match) co_return miss();
    auto st = co_await await_storage<std::optional<storage::report_status>>(
        [&](auto done) { db.report_status_of(*id, std::move(done)); });
    if (!st) co_return std::move(st).err();
    if (!*st) co_return miss();
    co_return lookup{intake::tracking_codec::grouped((*rec)->tracking_code), **st};
}

awaitable<response> app::impl::get_report_api(call& c, std::string_view code) {
    const auto& addr = c.ctx.client_address;
    if (!status_failures.allowed(addr))
        co_return with_retry_after(error_response(http::status::too_many_requests, "rate_limited",
                                                  "too many failed look-ups from this address; try again later"),
                                   status_failures.retry_after_seconds(addr));
    if (!c.req.count("X-Access-Secret"))
        co_return error_response(http::status::bad_request, "required",
                                 "the access secret must be sent in the X-Access-Secret header", "X-Access-Secret");
    auto found = co_await find_for_reporter(c, code, c.req["X-Access-Secret"]);
    if (!found) co_return error_response(found.err());
    const auto& st = found->status;
    co_return json_response(http::status::ok, {{"tracking_code", found->tracking_code},
                                               {"state", std::string(storage::to_string(st.state))},
                                               {"received_at", routing::format_rfc3339_utc(st.received_at)},
                                               {"forwarded", st.forwarded},
                                               {"acknowledged", st.acknowledged}});
}

// ---- location ---------------------------------------------------------------------

namespace {

// Whether `a` says more about where a report happened than `b`.
bool better_location(const routing::location_result& a, const routing::location_result& b) {
    if (a.commune_code.has_value() != b.commune_code.has_value()) return a.commune_code.has_value();
    if (a.province_code.has_value() != b.province_code.has_value()) return a.province_code.has_value();
    return a.confidence > b.confidence;
}

}  // namespace

routing::location_result app::impl::locate_report(const intake::report& r) const {
    routing::location_result place;
    const bool given = (r.location_code && !r.location_code->empty()) || (r.location_text && !r.location_text->empty());
    if (given) {
        routing::location_query q;
        if (r.location_code) q.unit_code = *r.location_code;
        if (r.location_text) q.text = *r.location_text;
        place = locator.locate(q);
        if (place.commune_code) return place;
    }
    // The story often names the place ("... ở xã Hải Yên"); within the
    // province already found, if any.
    routing::location_query q;
    q.text = r.text;
    if (place.province_code) q.province_code = *place.province_code;
    auto from_text = locator.locate(q);
    if (place.province_code && from_text.province_code != place.province_code) return place;
    return better_location(from_text, place) ? from_text : place;
}

// ---- classification ---------------------------------------------------------------

storage::classification_event app::impl::classify_report(const intake::report& r) const {
    // What the reporter said about the child's condition and who hurt the
    // child counts as much as the free text (a parent as perpetrator decides
    // the legal track), so those fields are read after it, one per line.
    if (!r.child_condition && !r.perpetrator_relation) return triage.classify(r.text);
    std::string all = r.text;
    for (const auto* part : {&r.child_condition, &r.perpetrator_relation})
        if (*part && !(*part)->empty()) {
            all += '\n';
            all += **part;
        }
    return triage.classify(all);
}

bool app::impl::operator_authorized(const call& c) const {
    const std::string_view token = bearer_token(c.req[http::field::authorization]);
    if (token.empty() || operator_tokens.empty()) return false;
    const token_digest presented = digest_token(token, token_key);
    int matched = 0;
    for (const auto& t : operator_tokens)
        matched |= sodium_memcmp(presented.data(), t.data(), t.size()) == 0 ? 1 : 0;
    return matched != 0;
}

namespace {

response unknown_report() {
    return error_response(http::status::not_found, "not_found", "no report with this tracking code");
}

// One stored classification event as the API shows it: kind, actor, time
// and the event's data fields.
boost::json::object classification_entry_json(const storage::classification_entry& e) {
    boost::json::object o;
    o["event_id"] = e.event_id;
    o["kind"] = e.kind;
    o["actor"] = e.actor;
    o["at"] = routing::format_rfc3339_utc(e.at);
    boost::system::error_code ec;
    auto data = boost::json::parse(e.data, ec);
    if (!ec && data.is_object())
        for (auto& kv : data.as_object()) o[kv.key()] = std::move(kv.value());
    return o;
}

}  // namespace

awaitable<response> app::impl::get_classification(call& c, std::string_view code) {
    if (!operator_authorized(c)) co_return unauthorized(token_holder::operator_);
    const auto id = codec.decode(code);
    if (!id) co_return unknown_report();
    const std::uint64_t report_id = *id;
    auto history = co_await await_storage<std::optional<std::vector<storage::classification_entry>>>(
        [&](auto done) { db.classification_history(report_id, std::move(done)); });
    if (!history) co_return error_response(history.err());
    if (!*history) co_return unknown_report();
    boost::json::array all;
    for (const auto& e : **history) all.push_back(classification_entry_json(e));
    boost::json::value current = nullptr;
    if (!all.empty()) current = all.back();
    co_return json_response(http::status::ok, {{"tracking_code", intake::tracking_codec::grouped(codec.encode(report_id))},
                                               {"current", std::move(current)},
                                               {"history", std::move(all)}});
}

awaitable<response> app::impl::post_classification(call& c, std::string_view code) {
    if (!operator_authorized(c)) co_return unauthorized(token_holder::operator_);
    const auto id = codec.decode(code);
    if (!id) co_return unknown_report();
    if (media_type(c.req[http::field::content_type]) != "application/json")
        co_return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                 "Content-Type must be application/json");
    std::vector<error> invalid;
    bool track_given = false;
    auto o = override_from_json(c.req.body(), invalid, track_given);
    if (!o) co_return error_response(o.err());
    if (!invalid.empty()) co_return error_response(http::status::unprocessable_entity, invalid);
    if (!track_given && o->track == intake::legal_track::standard_5wd) {
        // Leaving the track out never takes a report off the 12-hour track:
        // a parent or caregiver as perpetrator keeps it there whatever the
        // urgency (Decree 56 Art. 26(3)); only an explicit track does.
        const std::uint64_t report_id = *id;
        auto history = co_await await_storage<std::optional<std::vector<storage::classification_entry>>>(
            [&](auto done) { db.classification_history(report_id, std::move(done)); });
        if (!history) co_return error_response(history.err());
        if (*history && !(*history)->empty()) {
            boost::system::error_code ec;
            const auto data = boost::json::parse((*history)->back().data, ec);
            if (!ec && data.is_object() && data.as_object().contains("track") &&
                data.as_object().at("track") == "emergency_12h")
                o->track = intake::legal_track::emergency_12h;
        }
    }
    o->report_id = *id;
    o->at = clk.now();
    o->deadlines = deadlines;  // the deadlines follow the new urgency and track
    storage::classification_override ov = std::move(*o);
    const std::string level(intake::to_string(ov.level));
    const std::string track(intake::to_string(ov.track));
    boost::json::array categories;
    for (const auto& cat : ov.categories) categories.emplace_back(cat);
    auto written = co_await await_storage<std::uint64_t>(
        [&](auto done) { db.override_classification(std::move(ov), std::move(done)); });
    if (!written) {
        if (written.err().code == "not_found") co_return unknown_report();
        log.error("override_not_stored", {{"code", written.err().code}, {"message", written.err().message}});
        co_return error_response(written.err());
    }
    if (report_stored) report_stored();  // a deadline may now be earlier
    // Neither who nor why goes to the log: the event holds them.
    log.info("classification_overridden", {{"report_id", *id}, {"event_id", *written}, {"urgency", level}});
    co_return json_response(http::status::created, {{"tracking_code", intake::tracking_codec::grouped(codec.encode(*id))},
                                                    {"event_id", *written},
                                                    {"kind", "classification_overridden"},
                                                    {"urgency", level},
                                                    {"categories", std::move(categories)},
                                                    {"track", track}});
}

app::impl::browser_session app::impl::session_of(const request& req) const {
    if (auto v = csrf_guard::cookie_value(req[http::field::cookie], csrf_cookie_name); v && v->size() == 32)
        return {*v, false};
    return {csrf_guard::new_cookie(), true};
}

response app::impl::html(call&, http::status s, std::string body, const browser_session& bs) const {
    auto r = html_response(s, std::move(body));
    if (bs.is_new) {
        const bool https = cfg.public_base_url.starts_with("https://");
        r.set(http::field::set_cookie, fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", csrf_cookie_name,
                                                   bs.cookie, https ? "; Secure" : ""));
    }
    return r;
}

lang app::impl::language(const call& c, std::string_view form_lang) const {
    return pick_language(form_lang.empty() ? std::string_view(c.query_lang) : form_lang,
                         c.req[http::field::accept_language]);
}

response app::impl::get_form(call& c) {
    const auto bs = session_of(c.req);
    report_form f;
    f.csrf_token = csrf.token_for(bs.cookie, clk.now());
    return html(c, http::status::ok, render_report_form(language(c), f), bs);
}

std::optional<form_fields> app::impl::read_form(call& c, const browser_session& bs, response& refusal) const {
    const lang l = language(c);
    auto parsed = media_type(c.req[http::field::content_type]) == "application/x-www-form-urlencoded"
                      ? parse_form(c.req.body())
                      : result<form_fields>(make_error("unsupported_media_type",
                                                       "Content-Type must be application/x-www-form-urlencoded"));
    if (parsed) return std::move(*parsed);
    const auto status = status_for(parsed.err());
    refusal = html(c, status, render_error_page(l, static_cast<int>(status), error_message(l, parsed.err())), bs);
    return std::nullopt;
}

awaitable<response> app::impl::post_form(call& c) {
    auto bs = session_of(c.req);
    response refusal;
    const auto parsed = read_form(c, bs, refusal);
    if (!parsed) co_return refusal;
    const form_fields& form = *parsed;
    const lang l = language(c, form_value(form, "lang"));

    report_form again;
    again.values = form.values;
    again.values.erase("csrf");
    const auto show_again = [&](http::status s, std::vector<error> errors) {
        again.errors = std::move(errors);
        again.csrf_token = csrf.token_for(bs.cookie, clk.now());
        return html(c, s, render_report_form(l, again), bs);
    };

    const std::string token = form_value(form, "csrf");
    if (bs.is_new || !csrf.check(bs.cookie, token, clk.now()))
        co_return show_again(http::status::forbidden,
                             {make_error("csrf_failed", "the form expired; press Send again")});
    auto checked = intake::validate(report_input_from_form(form), limits);
    if (!checked.ok()) co_return show_again(http::status::unprocessable_entity, checked.errors());
    if (auto unknown = unknown_location(checked.value()))
        co_return show_again(http::status::unprocessable_entity, {std::move(*unknown)});
    if (!report_limiter.try_take(c.ctx.client_address))
        co_return with_retry_after(
            show_again(http::status::too_many_requests, {make_error("rate_limited", "too many reports")}),
            report_limiter.retry_after_seconds(c.ctx.client_address));

    // A double press sends the same token and body: the form token makes it
    // one report, and the receipt is shown again with the same secret.
    std::optional<std::string> key = "web:" + token;
    std::string request_hash = hex_digest(c.req.body());
    auto s = co_await store_report(std::move(checked).value(), intake::channel::web, std::move(key),
                                   std::move(request_hash));
    if (!s)
        co_return show_again(status_for(s.err()), {s.err()});
    receipt_page page;
    page.tracking_code = intake::tracking_codec::grouped(s->receipt.tracking_code);
    page.access_secret = intake::grouped_secret(s->secret);
    page.received_at = routing::format_vietnam_datetime(s->receipt.received_at) + " (UTC+7)";
    page.status_path = l == lang::en ? "/status?lang=en" : "/status";
    co_return html(c, http::status::ok, render_receipt(l, page), bs);
}

response app::impl::get_status_form(call& c) {
    const auto bs = session_of(c.req);
    status_form f;
    f.csrf_token = csrf.token_for(bs.cookie, clk.now());
    return html(c, http::status::ok, render_status_form(language(c), f), bs);
}

awaitable<response> app::impl::post_status_form(call& c) {
    auto bs = session_of(c.req);
    response refusal;
    const auto parsed = read_form(c, bs, refusal);
    if (!parsed) co_return refusal;
    const lang l = language(c, form_value(*parsed, "lang"));
    status_form again;
    again.tracking_code = form_value(*parsed, "tracking_code");
    const auto show_again = [&](http::status s, error e) {
        again.errors = {std::move(e)};
        again.csrf_token = csrf.token_for(bs.cookie, clk.now());
        return html(c, s, render_status_form(l, again), bs);
    };
    if (bs.is_new || !csrf.check(bs.cookie, form_value(*parsed, "csrf"), clk.now()))
        co_return show_again(http::status::forbidden, make_error("csrf_failed", "the form expired"));
    if (!status_failures.allowed(c.ctx.client_address))
        co_return with_retry_after(show_again(http::status::too_many_requests, make_error("rate_limited", "")),
                                   status_failures.retry_after_seconds(c.ctx.client_address));
    const std::string typed_secret = form_value(*parsed, "access_secret");
    auto found = co_await find_for_reporter(c, again.tracking_code, typed_secret);
    if (!found) co_return show_again(status_for(found.err()), found.err());
    status_page page;
    page.tracking_code = found->tracking_code;
    page.state = std::string(storage::to_string(found->status.state));
    page.received_at = routing::format_vietnam_datetime(found->status.received_at) + " (UTC+7)";
    page.forwarded = found->status.forwarded;
    page.acknowledged = found->status.acknowledged;
    co_return html(c, http::status::ok, render_status(l, page), bs);
}

// ---- SMS gateways ------------------------------------------------------------------

namespace {

error not_configured(std::string_view what) {
    return make_error("not_configured", fmt::format("the {} webhook is not configured on this server", what));
}

error refused_signature(signature_check c) {
    switch (c) {
    case signature_check::missing: return make_error("invalid_signature", "the signature headers are missing");
    case signature_check::malformed_timestamp:
        return make_error("invalid_signature", "the timestamp header is not a Unix time in seconds");
    case signature_check::stale_timestamp:
        return make_error("invalid_signature", "the timestamp is too far from the server's time");
    default: return make_error("invalid_signature", "the signature does not match");
    }
}

}  // namespace

awaitable<result<storage::sms_outcome>> app::impl::receive_sms(const char* provider, gateway_message msg,
                                                               std::string outbox_channel) {
    auto text = intake::clean_text(msg.text);
    if (!text) co_return make_error("invalid_utf8", "the message text is not valid UTF-8", "text");
    if (text->empty()) co_return make_error("empty_message", "the message has no text", "text");
    storage::inbound_sms in;
    in.provider = provider;
    in.provider_message_id = std::move(msg.id);
    // A Vietnamese number is stored in E.164 so that the same phone is the
    // same sender whichever way the gateway wrote it; others as received.
    auto phone = intake::normalize_vn_phone(msg.from);
    in.from = phone ? std::move(*phone) : std::move(msg.from);
    in.to = std::move(msg.to);
    in.body = std::move(*text);
    in.received_at = clk.now();
    in.secret = hasher.hash(intake::new_access_secret());
    // The body becomes the text of a new report; for a follow-up the
    // verdict is not used (details added later are not reclassified yet).
    std::optional<storage::classification_event> verdict = triage.classify(in.body);
    // Where the body places the report: used for a new report and for a
    // place sent in answer to "which commune?".
    routing::location_query where;
    where.text = in.body;
    std::optional<storage::routing_request> routing_input(
        storage::routing_request{locator.locate(where), &cfg.routing, deadlines});
    storage::sms_options opts;
    opts.policy.silent = cfg.sms_silent;
    opts.policy.follow_up_window = cfg.sms_follow_up_window;
    opts.policy.replies_per_hour = cfg.sms_replies_per_hour;
    opts.outbox_channel = std::move(outbox_channel);
    auto outcome = co_await await_storage<storage::sms_outcome>(
        [&](auto done) {
            db.receive_sms(std::move(in), std::move(opts), std::move(verdict), std::move(routing_input),
                           std::move(done));
        });
    if (!outcome) {
        log.error("sms_not_stored", {{"provider", provider}, {"code", outcome.err().code}});
        co_return outcome;
    }
    log.info("sms_received", {{"provider", provider},
                              {"sms_id", outcome->message_id},
                              {"action", static_cast<int>(outcome->decision.action)},
                              {"flagged", outcome->decision.flagged},
                              {"replayed", outcome->replayed}});
    if (!outcome->replayed) {
        // A new report wakes the scheduler only for an earlier deadline, as
        // from the form; a location or an acknowledgement may move anything.
        if (outcome->decision.action == intake::sms_action::new_report) {
            new_report_committed(outcome->earliest_due, outcome->queued_messages || outcome->outbox_id);
        } else {
            if (outcome->outbox_id && outbox_written) outbox_written();
            if (report_stored) report_stored();
        }
    }
    if (outcome->decision.action == intake::sms_action::officer_acknowledge && !outcome->replayed &&
        on_acknowledgement)
        on_acknowledgement(*outcome);
    co_return outcome;
}

result<std::vector<std::pair<std::string, std::string>>> app::impl::twilio_params(const call& c) const {
    if (cfg.twilio_auth_tokens.empty()) return not_configured("Twilio");
    if (media_type(c.req[http::field::content_type]) != "application/x-www-form-urlencoded")
        return make_error("unsupported_media_type", "Content-Type must be application/x-www-form-urlencoded");
    auto params = parse_form_list(c.req.body());
    if (!params) return std::move(params).err();
    // Twilio signs the URL it called: the public base URL (the server may sit
    // behind a proxy) followed by the request target as received (for a
    // status callback, the StatusCallback URL we gave it).
    const std::string url = cfg.public_base_url + std::string(c.req.target());
    if (!twilio_signature_valid(cfg.twilio_auth_tokens, url, *params, c.req["X-Twilio-Signature"]))
        return make_error("invalid_signature", "the X-Twilio-Signature does not match");
    return params;
}

awaitable<response> app::impl::twilio_webhook(call& c) {
    auto params = twilio_params(c);
    if (!params) co_return error_response(params.err());
    auto msg = twilio_message(*params);
    if (!msg) co_return error_response(msg.err());
    std::string inline_reply;  // named: see post_report_api on temporaries in co_await
    auto outcome = co_await receive_sms("twilio", std::move(*msg), std::move(inline_reply));
    if (!outcome) co_return error_response(outcome.err());
    co_return text_response(http::status::ok, twiml_response(outcome->reply_text), "text/xml; charset=utf-8");
}

awaitable<response> app::impl::android_webhook(call& c) {
    if (cfg.android_signing_key.empty()) co_return error_response(not_configured("Android SMS gateway"));
    const auto check = check_android_signature(cfg.android_signing_key, c.req.body(), c.req["X-Timestamp"],
                                               c.req["X-Signature"], clk.now(), cfg.android_timestamp_tolerance);
    if (check != signature_check::ok) co_return error_response(refused_signature(check));
    if (!intake::is_valid_utf8(c.req.body()))
        co_return error_response(make_error("invalid_utf8", "the request body is not valid UTF-8"));
    auto msg = android_message(c.req.body());
    if (!msg) co_return error_response(msg.err());
    if (!*msg) {
        // Not an incoming SMS: a delivery report of one we sent, or an event
        // this server does not use.
        auto report = android_delivery(c.req.body());
        if (!report) co_return error_response(report.err());
        if (!*report) co_return json_response(http::status::ok, {{"status", "ignored"}});
        std::string channel = "android_sms";  // named: see post_report_api on temporaries in co_await
        co_return co_await record_delivery_report(std::move(channel), std::move(**report));
    }
    // Replies leave through the gateway's send API, by the outbox.
    std::string channel;
    if (!cfg.android_send_url.empty()) channel = "android_sms";
    auto outcome = co_await receive_sms("android", std::move(**msg), std::move(channel));
    if (!outcome) co_return error_response(outcome.err());
    co_return json_response(http::status::ok, {{"status", outcome->replayed ? "duplicate" : "received"}});
}

awaitable<response> app::impl::generic_webhook(call& c) {
    if (cfg.generic_secret.empty()) co_return error_response(not_configured("generic SMS"));
    const auto check = check_generic_signature(cfg.generic_secret, c.req.body(), c.req["X-Hotline-Timestamp"],
                                               c.req["X-Hotline-Signature"], clk.now(),
                                               cfg.generic_timestamp_tolerance);
    if (check != signature_check::ok) co_return error_response(refused_signature(check));
    if (!intake::is_valid_utf8(c.req.body()))
        co_return error_response(make_error("invalid_utf8", "the request body is not valid UTF-8"));
    auto msg = generic_message(c.req.body());
    if (!msg) co_return error_response(msg.err());
    std::string inline_reply;
    auto outcome = co_await receive_sms("generic", std::move(*msg), std::move(inline_reply));
    if (!outcome) co_return error_response(outcome.err());
    // The gateway sends the reply itself, when there is one.
    boost::json::object body{{"status", outcome->replayed ? "duplicate" : "received"}};
    if (outcome->reply_text.empty())
        body["reply"] = nullptr;
    else
        body["reply"] = outcome->reply_text;
    body["reply_segments"] = outcome->reply_segments;
    co_return json_response(http::status::ok, body);
}

awaitable<response> app::impl::twilio_status_webhook(call& c) {
    auto params = twilio_params(c);
    if (!params) co_return error_response(params.err());
    auto report = twilio_delivery(*params);
    if (!report) co_return error_response(report.err());
    if (!*report) co_return json_response(http::status::ok, {{"status", "ignored"}});
    std::string channel = "twilio_sms";
    co_return co_await record_delivery_report(std::move(channel), std::move(**report));
}

awaitable<response> app::impl::record_delivery_report(std::string channel, delivery_report report) {
    const auto status = report.delivered ? storage::delivery_status::delivered : storage::delivery_status::undelivered;
    const time_point now = clk.now();
    auto written = co_await await_storage<std::optional<storage::delivery_record>>([&](auto done) {
        db.write<std::optional<storage::delivery_record>>(
            [channel, report, status, now](storage::connection& conn) {
                return storage::record_delivery(conn, channel, report.provider_message_id, status, now, report.error);
            },
            std::move(done));
    });
    if (!written) {
        // A 5xx: the gateway tries again later.
        log.error("delivery_not_stored", {{"channel", channel}, {"code", written.err().code}});
        co_return error_response(written.err());
    }
    // Unknown ids are answered 200 too: a gateway must not retry forever a
    // report of a message this server did not send (or no longer knows).
    const char* state = !*written ? "unknown" : (*written)->recorded ? "recorded" : "duplicate";
    boost::json::object fields{{"channel", channel},
                               {"delivery", std::string(storage::to_string(status))},
                               {"state", state}};
    if (*written) {
        fields["outbox_id"] = (*written)->outbox_id;
        fields["deadline_moved"] = (*written)->deadline_moved;
    }
    log.info("delivery_report", std::move(fields));
    // A notification that failed for good made its assignment due now: the
    // scheduler must look again (report_stored wakes it).
    if (*written && (*written)->deadline_moved && report_stored) report_stored();
    co_return json_response(http::status::ok, {{"status", state}});
}

}  // namespace hotline::server
