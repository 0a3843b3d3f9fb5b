#include "server/detail/json_body.hpp"
#include "server/directory_api.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "intake/text.hpp"
#include "routing/directory.hpp"
#include "routing/time.hpp"
#include "server/detail/await.hpp"
#include "server/detail/directory_export.hpp"
#include "server/responses.hpp"
#include "server/triage.hpp"
#include "storage/directory.hpp"

namespace hotline::server {

namespace asio = boost::asio;
using asio::awaitable;
using detail::await_storage;

namespace {

constexpr std::string_view contacts_path = "/api/v1/contacts";
constexpr std::string_view contact_prefix = "/api/v1/contacts/";
constexpr std::string_view roster_suffix = "/roster";
constexpr std::string_view import_contacts_path = "/api/v1/directory/contacts";
constexpr std::string_view import_rosters_path = "/api/v1/directory/rosters";
constexpr std::string_view export_contacts_path = "/api/v1/directory/contacts.csv";
constexpr std::string_view export_rosters_path = "/api/v1/directory/rosters.csv";
constexpr std::string_view on_duty_path = "/api/v1/on-duty";

using job_connection = storage::connection;

// "text/csv; charset=utf-8" -> "text/csv"
std::string media_type(std::string_view content_type) {
    std::string_view t = content_type.substr(0, content_type.find(';'));
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    std::string out(t);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// `key` is quoted only when it is a valid key (plain ASCII).
response no_contact(std::string_view key) {
    if (key.empty()) return error_response(http::status::not_found, "not_found", "no such contact");
    return error_response(http::status::not_found, "not_found", fmt::format("no contact \"{}\"", key));
}

response csv_response(std::string body, std::string_view filename) {
    auto r = text_response(http::status::ok, std::move(body), "text/csv; charset=utf-8");
    r.set(http::field::content_disposition, fmt::format("attachment; filename=\"{}\"", filename));
    return r;
}

bool valid_key(std::string_view k) noexcept {
    if (k.empty() || k.size() > 64) return false;
    for (const char c : k)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    return true;
}

std::string unit_name(const routing::unit_catalog& units, routing::role r, std::string_view code) {
    switch (routing::level_of(r)) {
    case routing::role_level::commune:
        if (const auto* c = units.find_commune(code)) return c->full_name;
        break;
    case routing::role_level::province:
        if (const auto* p = units.find_province(code)) return p->full_name;
        break;
    case routing::role_level::national: return "Việt Nam";
    }
    return {};
}

boost::json::object contact_json(const routing::unit_catalog& units, const storage::stored_contact& s) {
    const auto& c = s.contact;
    boost::json::object o;
    o["key"] = c.key;
    o["name"] = c.name;
    o["role"] = routing::to_string(c.role);
    o["unit_code"] = c.unit_code;
    o["unit_name"] = unit_name(units, c.role, c.unit_code);
    o["phone"] = c.phone;
    boost::json::array channels;
    if (c.sms) channels.emplace_back("sms");
    if (c.webhook) channels.emplace_back("webhook");
    o["channels"] = std::move(channels);
    if (c.webhook_url.empty())
        o["webhook_url"] = nullptr;
    else
        o["webhook_url"] = c.webhook_url;
    o["active"] = c.active;
    o["updated_at"] = routing::format_rfc3339_utc(s.updated_at);
    return o;
}

boost::json::array entries_json(const routing::roster& r) {
    boost::json::array out;
    for (const auto& s : r.shifts)
        out.push_back(boost::json::object{{"kind", "weekly"},
                                          {"days", routing::format_days(s.days)},
                                          {"start", routing::format_clock(s.start_minute)},
                                          {"end", routing::format_clock(s.end_minute)}});
    for (const auto& o : r.overrides) {
        boost::json::object e{{"kind", o.on_duty ? "on" : "off"},
                              {"from", routing::format_date(o.from)},
                              {"to", routing::format_date(o.to)}};
        if (o.start_minute && o.end_minute) {
            e["start"] = routing::format_clock(*o.start_minute);
            e["end"] = routing::format_clock(*o.end_minute);
        }
        if (!o.note.empty()) e["note"] = o.note;
        out.push_back(std::move(e));
    }
    return out;
}

// The body of PUT /api/v1/contacts/{key}: the request's own errors come
// back as the error; the values' errors go to `invalid`, all of them.
result<routing::contact> contact_from_json(std::string_view body, std::string_view key,
                                           const routing::unit_catalog& units, std::vector<error>& invalid) {
    auto parsed = detail::parse_json_object(body);
    if (!parsed) return std::move(parsed).err();
    const auto& o = *parsed;
    for (const auto& kv : o) {
        const std::string_view k = kv.key();
        if (k != "key" && k != "name" && k != "role" && k != "unit_code" && k != "phone" && k != "channels" &&
            k != "webhook_url" && k != "active")
            return make_error("unknown_field", fmt::format("unknown field \"{}\"", to_valid_utf8(k)), std::string(k));
    }
    const auto string_of = [&](std::string_view name) -> result<std::optional<std::string>> {
        const auto* v = o.if_contains(name);
        if (!v || v->is_null()) return std::optional<std::string>();
        if (!v->is_string()) return make_error("wrong_type", fmt::format("{} must be a string", name), std::string(name));
        return std::optional<std::string>(std::string(v->as_string()));
    };
    routing::contact c;
    c.key = std::string(key);
    auto given_key = string_of("key");
    if (!given_key) return std::move(given_key).err();
    if (*given_key && **given_key != key)
        invalid.push_back(make_error("invalid_value", "key must be the key of the path (or left out)", "key"));

    bool role_ok = false;
    for (const std::string_view name : {"name", "role", "unit_code", "phone"}) {
        auto v = string_of(name);
        if (!v) return std::move(v).err();
        if (!*v) {
            invalid.push_back(make_error("required", fmt::format("{} is required", name), std::string(name)));
            continue;
        }
        if (name == "name") c.name = std::move(**v);
        if (name == "unit_code") c.unit_code = std::move(**v);
        if (name == "phone") c.phone = std::move(**v);
        if (name == "role") {
            if (const auto r = routing::parse_role(**v)) {
                c.role = *r;
                role_ok = true;
            } else {
                invalid.push_back(make_error("invalid_value",
                                             "role must be one of commune_child_protection, commune_police, "
                                             "commune_chair, province_coordinator, province_police, "
                                             "hotline_supervisor",
                                             "role"));
            }
        }
    }
    auto url = string_of("webhook_url");
    if (!url) return std::move(url).err();
    if (*url) c.webhook_url = std::move(**url);
    if (const auto* v = o.if_contains("active"); v && !v->is_null()) {
        if (!v->is_bool()) return make_error("wrong_type", "active must be true or false", "active");
        c.active = v->as_bool();
    }
    if (const auto* v = o.if_contains("channels"); v && !v->is_null()) {
        if (!v->is_array()) return make_error("wrong_type", "channels must be an array of strings", "channels");
        c.sms = c.webhook = false;
        for (const auto& item : v->as_array()) {
            if (!item.is_string()) return make_error("wrong_type", "channels must be an array of strings", "channels");
            if (item.as_string() == "sms")
                c.sms = true;
            else if (item.as_string() == "webhook")
                c.webhook = true;
            else {
                invalid.push_back(make_error("invalid_value", "channels are \"sms\" and \"webhook\"", "channels"));
                break;
            }
        }
    }
    const auto given = [&](std::string_view f) {
        for (const auto& e : invalid)
            if (e.field == f) return true;
        return false;
    };
    for (auto& e : routing::check_contact(c, units)) {
        if (e.field == "id") e.field = "key";
        if (e.field == "unit_code" && !role_ok) continue;  // meaningless without a role
        if (given(e.field)) continue;                       // already reported
        invalid.push_back(std::move(e));
    }
    return c;
}

// The body of PUT /api/v1/contacts/{key}/roster.
result<routing::roster> roster_from_json(std::string_view body, std::string_view key, std::vector<error>& invalid) {
    auto parsed = detail::parse_json_object(body);
    if (!parsed) return std::move(parsed).err();
    for (const auto& kv : *parsed)
        if (kv.key() != "entries")
            return make_error("unknown_field", fmt::format("unknown field \"{}\"", to_valid_utf8(kv.key())),
                              std::string(kv.key()));
    const auto* entries = parsed->if_contains("entries");
    if (!entries) {
        invalid.push_back(make_error("required", "entries is required ([] for no duty)", "entries"));
        return routing::roster{};
    }
    if (!entries->is_array()) return make_error("wrong_type", "entries must be an array of objects", "entries");
    routing::roster out;
    std::size_t i = 0;
    for (const auto& e : entries->as_array()) {
        const std::string at = fmt::format("entries[{}]", i++);
        if (!e.is_object()) return make_error("wrong_type", fmt::format("{} must be an object", at), at);
        std::optional<std::string_view> fields[8];
        constexpr std::string_view names[8] = {"contact", "kind", "days", "from", "to", "start", "end", "note"};
        for (const auto& kv : e.as_object()) {
            std::size_t n = 0;
            while (n < 8 && names[n] != kv.key()) ++n;
            if (n == 8)
                return make_error("unknown_field", fmt::format("{}: unknown field \"{}\"", at, to_valid_utf8(kv.key())),
                                  at + "." + std::string(kv.key()));
            if (kv.value().is_null()) continue;
            if (!kv.value().is_string())
                return make_error("wrong_type", fmt::format("{}.{} must be a string", at, names[n]),
                                  at + "." + std::string(names[n]));
            fields[n] = std::string_view(kv.value().as_string());
        }
        if (fields[0] && *fields[0] != key) {
            invalid.push_back(make_error("invalid_value", "an entry's contact must be the path's (or left out)",
                                         at + ".contact"));
            continue;
        }
        routing::roster_row row;
        row.contact = key;
        row.kind = fields[1].value_or("");
        row.days = fields[2].value_or("");
        row.from = fields[3].value_or("");
        row.to = fields[4].value_or("");
        row.start = fields[5].value_or("");
        row.end = fields[6].value_or("");
        row.note = fields[7].value_or("");
        for (auto& err : routing::add_roster_row(row, out)) {
            err.field = at + "." + err.field;
            invalid.push_back(std::move(err));
        }
    }
    return out;
}


}  // namespace

bool directory_api::handles(std::string_view path) noexcept {
    return path == contacts_path || path.starts_with(contact_prefix) || path == import_contacts_path ||
           path == import_rosters_path || path == export_contacts_path || path == export_rosters_path ||
           path == on_duty_path;
}

awaitable<response> directory_api::handle(request& req, request_context& ctx, std::string_view path,
                                          bool authorized) const {
    const auto method = req.method();
    const bool get = method == http::verb::get || method == http::verb::head;
    const bool post = method == http::verb::post;
    const bool put = method == http::verb::put;
    auto& route = ctx.route;

    // The route first, so that the access log names it even when refused.
    enum class what { list, one, put_one, roster, put_roster, import_contacts, import_rosters, export_contacts,
                      export_rosters, on_duty, wrong_method };
    what w = what::wrong_method;
    std::string_view allow;
    std::string_view key;
    if (path == contacts_path) {
        route = "GET /api/v1/contacts";
        allow = "GET";
        if (get) w = what::list;
    } else if (path.starts_with(contact_prefix) && path.ends_with(roster_suffix) &&
               path.size() > contact_prefix.size() + roster_suffix.size()) {
        key = path.substr(contact_prefix.size(), path.size() - contact_prefix.size() - roster_suffix.size());
        route = put ? "PUT /api/v1/contacts/{key}/roster" : "GET /api/v1/contacts/{key}/roster";
        allow = "GET, PUT";
        if (get) w = what::roster;
        if (put) w = what::put_roster;
    } else if (path.starts_with(contact_prefix)) {
        key = path.substr(contact_prefix.size());
        route = put ? "PUT /api/v1/contacts/{key}" : "GET /api/v1/contacts/{key}";
        allow = "GET, PUT";
        if (get) w = what::one;
        if (put) w = what::put_one;
    } else if (path == import_contacts_path) {
        route = "POST /api/v1/directory/contacts";
        allow = "POST";
        if (post) w = what::import_contacts;
    } else if (path == import_rosters_path) {
        route = "POST /api/v1/directory/rosters";
        allow = "POST";
        if (post) w = what::import_rosters;
    } else if (path == export_contacts_path) {
        route = "GET /api/v1/directory/contacts.csv";
        allow = "GET";
        if (get) w = what::export_contacts;
    } else if (path == export_rosters_path) {
        route = "GET /api/v1/directory/rosters.csv";
        allow = "GET";
        if (get) w = what::export_rosters;
    } else {
        route = "GET /api/v1/on-duty";
        allow = "GET";
        if (get) w = what::on_duty;
    }
    if (!authorized) co_return unauthorized(token_holder::operator_);
    if (w == what::wrong_method) co_return method_not_allowed(req.method_string(), allow);

    const hotline::time_point now = clock_.now();
    switch (w) {
    case what::list: {
        std::function<result<std::vector<storage::stored_contact>>(job_connection&)> job =
            [](job_connection& c) { return storage::list_contacts(c); };
        auto all = co_await await_storage<std::vector<storage::stored_contact>>(
            [&](auto done) { db_.read<std::vector<storage::stored_contact>>(std::move(job), std::move(done)); });
        if (!all) co_return error_response(all.err());
        boost::json::array out;
        for (const auto& s : *all) out.push_back(contact_json(units_, s));
        co_return json_response(http::status::ok, {{"contacts", std::move(out)}});
    }

    case what::one: {
        if (!valid_key(key)) co_return no_contact("");
        const std::string k(key);
        std::function<result<std::optional<storage::stored_contact>>(job_connection&)> job =
            [k](job_connection& c) { return storage::find_contact(c, k); };
        auto found = co_await await_storage<std::optional<storage::stored_contact>>(
            [&](auto done) { db_.read<std::optional<storage::stored_contact>>(std::move(job), std::move(done)); });
        if (!found) co_return error_response(found.err());
        if (!*found) co_return no_contact(k);
        co_return json_response(http::status::ok, contact_json(units_, **found));
    }

    case what::put_one: {
        if (media_type(req[http::field::content_type]) != "application/json")
            co_return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                     "Content-Type must be application/json");
        if (!valid_key(key))
            co_return error_response(http::status::unprocessable_entity, "invalid_value",
                                     "a key is 1 to 64 letters, digits, '.', '_' or '-'", "key");
        std::vector<error> invalid;
        auto parsed = contact_from_json(req.body(), key, units_, invalid);
        if (!parsed) co_return error_response(status_for(parsed.err()), {parsed.err()});
        if (!invalid.empty()) co_return error_response(http::status::unprocessable_entity, invalid);
        struct stored {
            storage::import_summary summary;
            storage::stored_contact contact;
        };
        std::function<result<stored>(job_connection&)> job = [c = std::move(*parsed), now](job_connection& conn)
            -> result<stored> {
            const routing::contact one[] = {c};
            auto s = storage::import_contacts(conn, one, now);
            if (!s) return std::move(s).err();
            auto found = storage::find_contact(conn, c.key);
            if (!found) return std::move(found).err();
            if (!*found) return make_error("storage_failure", "the contact was not stored");
            return stored{*s, std::move(**found)};
        };
        auto written = co_await await_storage<stored>(
            [&](auto done) { db_.write<stored>(std::move(job), std::move(done)); });
        if (!written) {
            log_.error("contact_not_stored", {{"code", written.err().code}});
            co_return error_response(written.err());
        }
        const bool added = written->summary.added == 1;
        log_.info("contact_saved", {{"contact_id", written->contact.id}, {"added", added},
                                    {"changed", written->summary.unchanged == 0}});
        co_return json_response(added ? http::status::created : http::status::ok,
                                contact_json(units_, written->contact));
    }

    case what::roster: {
        if (!valid_key(key)) co_return no_contact("");
        const std::string k(key);
        struct found_roster {
            bool exists = false;
            bool active = false;
            routing::roster roster;
        };
        std::function<result<found_roster>(job_connection&)> job = [k](job_connection& c) -> result<found_roster> {
            auto contact = storage::find_contact(c, k);
            if (!contact) return std::move(contact).err();
            if (!*contact) return found_roster{};
            auto r = storage::load_roster(c, k);
            if (!r) return std::move(r).err();
            return found_roster{true, (*contact)->contact.active, std::move(*r)};
        };
        auto found = co_await await_storage<found_roster>(
            [&](auto done) { db_.read<found_roster>(std::move(job), std::move(done)); });
        if (!found) co_return error_response(found.err());
        if (!found->exists) co_return no_contact(k);
        const bool now_on = found->active && routing::on_duty(found->roster.shifts, found->roster.overrides, now);
        co_return json_response(http::status::ok, {{"contact", k},
                                                   {"entries", entries_json(found->roster)},
                                                   {"on_duty_now", now_on}});
    }

    case what::put_roster: {
        if (!valid_key(key)) co_return no_contact("");
        if (media_type(req[http::field::content_type]) != "application/json")
            co_return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                     "Content-Type must be application/json");
        const std::string k(key);
        std::vector<error> invalid;
        auto parsed = roster_from_json(req.body(), k, invalid);
        if (!parsed) co_return error_response(status_for(parsed.err()), {parsed.err()});
        if (!invalid.empty()) co_return error_response(http::status::unprocessable_entity, invalid);
        std::function<result<bool>(job_connection&)> job = [k, r = std::move(*parsed)](job_connection& c) {
            return storage::replace_roster(c, k, r);
        };
        auto changed = co_await await_storage<bool>(
            [&](auto done) { db_.write<bool>(std::move(job), std::move(done)); });
        if (!changed) {
            if (changed.err().code == "not_found") co_return no_contact(k);
            log_.error("roster_not_stored", {{"code", changed.err().code}});
            co_return error_response(changed.err());
        }
        log_.info("roster_saved", {{"changed", *changed}});
        co_return json_response(http::status::ok, {{"contact", k}, {"changed", *changed}});
    }

    case what::import_contacts:
    case what::import_rosters: {
        if (media_type(req[http::field::content_type]) != "text/csv")
            co_return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                     "Content-Type must be text/csv");
        const bool contacts = w == what::import_contacts;
        std::function<result<storage::import_summary>(job_connection&)> job;
        if (contacts) {
            // Pure CPU on this thread: the writer only stores.
            auto parsed = routing::parse_contacts_csv(req.body(), units_);
            if (!parsed) co_return error_response(parsed.err());
            job = [cs = std::move(*parsed), now](job_connection& c) { return storage::import_contacts(c, cs, now); };
        } else {
            // The rows are checked against the directory as it is now; the
            // write checks again, in case a contact went meanwhile.
            std::function<result<std::unordered_set<std::string>>(job_connection&)> keys_job =
                [](job_connection& c) -> result<std::unordered_set<std::string>> {
                auto all = storage::list_contacts(c);
                if (!all) return std::move(all).err();
                std::unordered_set<std::string> keys;
                for (const auto& s : *all) keys.insert(s.contact.key);
                return keys;
            };
            auto keys = co_await await_storage<std::unordered_set<std::string>>([&](auto done) {
                db_.read<std::unordered_set<std::string>>(std::move(keys_job), std::move(done));
            });
            if (!keys) co_return error_response(keys.err());
            auto parsed = routing::parse_rosters_csv(
                req.body(), [&keys](std::string_view k) { return keys->contains(std::string(k)); });
            if (!parsed) co_return error_response(parsed.err());
            job = [r = std::move(*parsed)](job_connection& c) { return storage::import_roster(c, r); };
        }
        auto summary = co_await await_storage<storage::import_summary>(
            [&](auto done) { db_.write<storage::import_summary>(std::move(job), std::move(done)); });
        if (!summary) {
            if (summary.err().code == "unknown_contact") co_return error_response(summary.err());
            log_.error("directory_not_imported", {{"code", summary.err().code}});
            co_return error_response(summary.err());
        }
        log_.info("directory_imported", {{"what", contacts ? "contacts" : "rosters"},
                                         {"added", summary->added},
                                         {"updated", summary->updated},
                                         {"unchanged", summary->unchanged}});
        co_return json_response(http::status::ok, {{"added", summary->added},
                                                   {"updated", summary->updated},
                                                   {"unchanged", summary->unchanged}});
    }

    case what::export_contacts:
    case what::export_rosters: {
        const bool contacts = w == what::export_contacts;
        std::function<result<std::string>(job_connection&)> job = [contacts](job_connection& c) {
            return detail::export_directory_csv(c, contacts);
        };
        auto text = co_await await_storage<std::string>(
            [&](auto done) { db_.read<std::string>(std::move(job), std::move(done)); });
        if (!text) co_return error_response(text.err());
        co_return csv_response(std::move(*text), contacts ? "contacts.csv" : "rosters.csv");
    }

    case what::on_duty: {
        std::optional<std::string> unit, role_text, at_text;
        if (const auto target = boost::urls::parse_origin_form(req.target()))
            for (const auto& p : target->params()) {
                if (p.key == "unit") unit = p.value;
                else if (p.key == "role") role_text = p.value;
                else if (p.key == "at") at_text = p.value;
            }
        std::vector<error> invalid;
        std::optional<routing::role> r;
        if (!role_text || role_text->empty())
            invalid.push_back(make_error("required", "role is required", "role"));
        else if (!(r = routing::parse_role(*role_text)))
            invalid.push_back(make_error("invalid_value", "role is not a known role", "role"));
        if (!unit || unit->empty()) {
            invalid.push_back(make_error("required", "unit is required (a commune or province code, or VN)", "unit"));
        } else if (r) {
            bool known = *unit == routing::national_unit;
            if (routing::level_of(*r) == routing::role_level::commune) known = units_.find_commune(*unit) != nullptr;
            if (routing::level_of(*r) == routing::role_level::province) known = units_.find_province(*unit) != nullptr;
            if (!known)
                invalid.push_back(make_error("invalid_value",
                                             fmt::format("unit is not a current unit for the role {}",
                                                         routing::to_string(*r)),
                                             "unit"));
        }
        hotline::time_point at = now;
        if (at_text) {
            if (const auto t = routing::parse_rfc3339(*at_text))
                at = *t;
            else
                invalid.push_back(make_error("invalid_value", "at must be an RFC 3339 time, like 2026-01-05T03:00:00Z",
                                             "at"));
        }
        if (!invalid.empty()) co_return error_response(http::status::unprocessable_entity, invalid);
        const routing::role wanted = *r;
        const std::string code = *unit;
        std::function<result<std::vector<storage::stored_contact>>(job_connection&)> job =
            [wanted, code, at](job_connection& c) -> result<std::vector<storage::stored_contact>> {
            storage::sql_directory directory(c);
            auto found = directory.on_duty(wanted, code, at);
            if (!found) return std::move(found).err();
            std::vector<storage::stored_contact> out;
            for (const auto& d : *found) {
                auto s = storage::find_contact(c, d.key);
                if (!s) return std::move(s).err();
                if (*s) out.push_back(std::move(**s));
            }
            return out;
        };
        auto found = co_await await_storage<std::vector<storage::stored_contact>>(
            [&](auto done) { db_.read<std::vector<storage::stored_contact>>(std::move(job), std::move(done)); });
        if (!found) co_return error_response(found.err());
        boost::json::array out;
        for (const auto& s : *found) out.push_back(contact_json(units_, s));
        co_return json_response(http::status::ok, {{"unit", code},
                                                   {"unit_name", unit_name(units_, wanted, code)},
                                                   {"role", routing::to_string(wanted)},
                                                   {"at", routing::format_rfc3339_utc(at)},
                                                   {"contacts", std::move(out)}});
    }

    case what::wrong_method: break;
    }
    co_return method_not_allowed(req.method_string(), allow);
}

}  // namespace hotline::server
