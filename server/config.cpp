#include "server/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <toml++/toml.h>

namespace hotline::server {

namespace {

error config_error(std::string key, std::string message) {
    return make_error("config_error", std::move(message), std::move(key));
}

// One setter per known key. Each checks the TOML type and range itself so the
// message can say exactly what was expected.
using setter = std::function<result<void>(config&, const toml::node&, const std::string& key)>;

setter string_key(std::string config::*member, bool non_empty = true) {
    return [=](config& c, const toml::node& n, const std::string& key) -> result<void> {
        if (!n.is_string()) return config_error(key, fmt::format("{} must be a string", key));
        const std::string& v = n.as_string()->get();
        if (non_empty && v.empty()) return config_error(key, fmt::format("{} must not be empty", key));
        c.*member = v;
        return {};
    };
}

template <class T>
setter integer_key(T config::*member, std::int64_t lo, std::int64_t hi) {
    return [=](config& c, const toml::node& n, const std::string& key) -> result<void> {
        if (!n.is_integer())
            return config_error(key, fmt::format("{} must be an integer", key));
        const std::int64_t v = *n.value<std::int64_t>();
        if (v < lo || v > hi)
            return config_error(key, fmt::format("{} must be between {} and {}, not {}", key, lo, hi, v));
        c.*member = static_cast<T>(v);
        return {};
    };
}

// A duration given as an integer number of `unit`s ("seconds", ...).
template <class Duration>
setter duration_key(Duration config::*member, std::int64_t lo, std::int64_t hi, std::string_view unit) {
    return [=](config& c, const toml::node& n, const std::string& key) -> result<void> {
        if (!n.is_integer())
            return config_error(key, fmt::format("{} must be an integer number of {}", key, unit));
        const std::int64_t v = *n.value<std::int64_t>();
        if (v < lo || v > hi)
            return config_error(key, fmt::format("{} must be between {} and {} {}, not {}", key, lo, hi, unit, v));
        c.*member = Duration(v);
        return {};
    };
}

setter bool_key(bool config::*member) {
    return [=](config& c, const toml::node& n, const std::string& key) -> result<void> {
        if (!n.is_boolean()) return config_error(key, fmt::format("{} must be true or false", key));
        c.*member = *n.value<bool>();
        return {};
    };
}

setter string_list_key(std::vector<std::string> config::*member) {
    return [=](config& c, const toml::node& n, const std::string& key) -> result<void> {
        const auto* arr = n.as_array();
        if (!arr) return config_error(key, fmt::format("{} must be an array of strings", key));
        std::vector<std::string> out;
        for (const auto& item : *arr) {
            if (!item.is_string() || item.as_string()->get().empty())
                return config_error(key, fmt::format("{} must hold only non-empty strings", key));
            out.push_back(item.as_string()->get());
        }
        c.*member = std::move(out);
        return {};
    };
}

// Bearer tokens: long enough not to be guessed, and nothing a header cannot carry.
result<void> set_operator_tokens(config& c, const toml::node& n, const std::string& key) {
    const auto* arr = n.as_array();
    if (!arr) return config_error(key, fmt::format("{} must be an array of strings", key));
    std::vector<std::string> out;
    for (const auto& item : *arr) {
        if (!item.is_string()) return config_error(key, fmt::format("{} must hold only strings", key));
        const std::string& t = item.as_string()->get();
        if (t.size() < 16) return config_error(key, fmt::format("{} must hold tokens of at least 16 characters", key));
        for (const char ch : t)
            if (ch < 0x21 || ch > 0x7e)
                return config_error(key, fmt::format("{} must hold only visible ASCII characters", key));
        out.push_back(t);
    }
    c.operator_tokens = std::move(out);
    return {};
}

result<void> set_listen(config& c, const toml::node& n, const std::string& key) {
    if (!n.is_string()) return config_error(key, fmt::format("{} must be a string \"ADDR:PORT\"", key));
    auto r = apply_listen(c, n.as_string()->get());
    if (!r) return config_error(key, r.err().message);
    return {};
}

// An http:// or https:// URL that names a host; trailing slashes dropped
// (links append "/path").
setter set_url(std::string config::*member) {
    return [=](config& c, const toml::node& n, const std::string& key) -> result<void> {
        if (!n.is_string()) return config_error(key, fmt::format("{} must be a string", key));
        std::string v = n.as_string()->get();
        const std::size_t scheme = v.starts_with("https://") ? 8 : v.starts_with("http://") ? 7 : 0;
        if (scheme == 0)
            return config_error(key, fmt::format("{} must start with http:// or https://", key));
        while (v.size() > scheme && v.back() == '/') v.pop_back();
        if (v.size() == scheme || v[scheme] == '/')
            return config_error(key, fmt::format("{} must name a host after {}", key, v.substr(0, scheme)));
        c.*member = v;
        return {};
    };
}

// ---- [sms.twilio], [notifications] ----------------------------------------------------

result<void> set_twilio_account_sid(config& c, const toml::node& n, const std::string& key) {
    if (!n.is_string()) return config_error(key, fmt::format("{} must be a string (\"AC…\")", key));
    const std::string& v = n.as_string()->get();
    const bool alnum = std::all_of(v.begin(), v.end(), [](char ch) {
        return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    });
    if (!v.empty() && (!v.starts_with("AC") || v.size() < 3 || !alnum))
        return config_error(key, fmt::format("{} must be a Twilio account SID: \"AC\" followed by letters and digits",
                                             key));
    c.twilio_account_sid = v;
    return {};
}

// An E.164 number (+ and 8 to 15 digits) or a Messaging Service SID (MG…).
result<void> set_twilio_from(config& c, const toml::node& n, const std::string& key) {
    const auto refuse = [&] {
        return config_error(key, fmt::format("{} must be an E.164 number such as \"+84912345678\" or a Messaging "
                                             "Service SID (\"MG…\")",
                                             key));
    };
    if (!n.is_string()) return refuse();
    const std::string& v = n.as_string()->get();
    const auto all = [&](std::size_t from, auto pred) { return std::all_of(v.begin() + from, v.end(), pred); };
    const bool e164 = v.size() >= 9 && v.size() <= 16 && v[0] == '+' && v[1] != '0' &&
                      all(1, [](char ch) { return ch >= '0' && ch <= '9'; });
    const bool service = v.size() > 2 && v.starts_with("MG") && all(2, [](char ch) {
                             return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
                         });
    if (!v.empty() && !e164 && !service) return refuse();
    c.twilio_from = v;
    return {};
}

result<void> set_notify_sms_channel(config& c, const toml::node& n, const std::string& key) {
    if (!n.is_string() || (n.as_string()->get() != "" && n.as_string()->get() != "twilio_sms" &&
                           n.as_string()->get() != "android_sms"))
        return config_error(key, fmt::format("{} must be \"twilio_sms\", \"android_sms\" or \"\" (automatic)", key));
    c.notify_sms_channel = n.as_string()->get();
    return {};
}

// Keys that only make sense together: Twilio's sender needs its number and
// a token, and the SMS channel of notifications needs its sender.
result<void> check_senders(const config& c) {
    if (!c.twilio_account_sid.empty()) {
        if (c.twilio_from.empty())
            return config_error("sms.twilio.from",
                                "sms.twilio.from is missing: sending through Twilio (sms.twilio.account_sid) needs "
                                "the sender number or Messaging Service SID");
        if (c.twilio_auth_tokens.empty())
            return config_error("sms.twilio.auth_tokens",
                                "sms.twilio.auth_tokens is empty: sending through Twilio (sms.twilio.account_sid) "
                                "authenticates with the first token");
    }
    if (c.notify_sms_channel == "twilio_sms" && c.twilio_account_sid.empty())
        return config_error("notifications.sms_channel",
                            "notifications.sms_channel is \"twilio_sms\" but sms.twilio.account_sid is not set");
    if (c.notify_sms_channel == "android_sms" && c.android_send_url.empty())
        return config_error("notifications.sms_channel",
                            "notifications.sms_channel is \"android_sms\" but sms.android.send_url is not set");
    return {};
}

result<void> set_log_level(config& c, const toml::node& n, const std::string& key) {
    static const std::map<std::string, log_level> levels{
        {"debug", log_level::debug}, {"info", log_level::info},
        {"warn", log_level::warn}, {"error", log_level::error}};
    if (!n.is_string() || !levels.contains(n.as_string()->get()))
        return config_error(key, fmt::format("{} must be one of \"debug\", \"info\", \"warn\", \"error\"", key));
    c.level = levels.at(n.as_string()->get());
    return {};
}

// ---- [routing] ----------------------------------------------------------------

result<void> set_home_province(config& c, const toml::node& n, const std::string& key) {
    if (!n.is_string())
        return config_error(key, fmt::format("{} must be a string (a province code such as \"20\")", key));
    const std::string& v = n.as_string()->get();
    for (const char ch : v)
        if (ch < '0' || ch > '9')
            return config_error(key, fmt::format("{} must be a province code of digits such as \"20\", or empty", key));
    c.home_province = v;
    return {};
}

// An array of strings each of which `parse` accepts; `what` names the values
// in the message ("a role", "an urgency").
template <class T, class Parse>
result<std::vector<T>> parse_names(const toml::node& n, const std::string& key, std::string_view what, Parse parse) {
    const auto* arr = n.as_array();
    if (!arr) return config_error(key, fmt::format("{} must be an array of strings", key));
    std::vector<T> out;
    for (const auto& item : *arr) {
        if (!item.is_string()) return config_error(key, fmt::format("{} must hold only strings", key));
        const std::string& v = item.as_string()->get();
        const std::optional<T> parsed = parse(v);
        if (!parsed) return config_error(key, fmt::format("{}: \"{}\" is not {}", key, v, what));
        if (std::find(out.begin(), out.end(), *parsed) != out.end())
            return config_error(key, fmt::format("{}: \"{}\" is listed twice", key, v));
        out.push_back(*parsed);
    }
    return out;
}

constexpr std::string_view role_names =
    "a role (commune_child_protection, commune_police, commune_chair, province_coordinator, "
    "province_police, hotline_supervisor)";

result<std::vector<routing::role>> parse_roles(const toml::node& n, const std::string& key) {
    return parse_names<routing::role>(n, key, role_names, [](std::string_view v) { return routing::parse_role(v); });
}

result<routing::routing_rule> parse_rule(const toml::node& n, const std::string& prefix) {
    const auto* tbl = n.as_table();
    if (!tbl) return config_error(prefix, fmt::format("{} must be a table ([[routing.rules]])", prefix));
    routing::routing_rule rule;
    bool named = false;
    for (auto&& [k, node] : *tbl) {
        const std::string name(k.str());
        const std::string key = prefix + "." + name;
        if (name == "name") {
            if (!node.is_string() || node.as_string()->get().empty())
                return config_error(key, fmt::format("{} must be a non-empty string", key));
            rule.name = node.as_string()->get();
            named = true;
        } else if (name == "urgencies") {
            auto v = parse_names<intake::urgency>(node, key, "an urgency (emergency, high, normal, low)",
                                                  [](std::string_view s) { return intake::parse_urgency(s); });
            if (!v) return std::move(v).err();
            rule.urgencies = std::move(*v);
        } else if (name == "categories") {
            // Checked against the category labels by routing_policy::validate.
            auto v = parse_names<std::string>(node, key, "a category",
                                              [](std::string_view s) { return std::optional<std::string>(s); });
            if (!v) return std::move(v).err();
            rule.categories = std::move(*v);
        } else if (name == "roles") {
            auto v = parse_roles(node, key);
            if (!v) return std::move(v).err();
            rule.roles = std::move(*v);
        } else if (name == "hotline_queue" || name == "stop") {
            if (!node.is_boolean()) return config_error(key, fmt::format("{} must be true or false", key));
            (name == "stop" ? rule.stop : rule.hotline_queue) = *node.value<bool>();
        } else {
            return config_error(key, fmt::format("unknown key {}", key));
        }
    }
    if (!named)
        return config_error(prefix + ".name", fmt::format("{}.name is missing: every rule needs a name", prefix));
    return rule;
}

// [[routing.rules]]: the whole list replaces the default rules.
result<void> set_routing_rules(config& c, const toml::node& n, const std::string& key) {
    const auto* arr = n.as_array();
    if (!arr) return config_error(key, fmt::format("{} must be an array of tables ([[{}]])", key, key));
    routing::routing_policy p = c.routing;
    p.rules.clear();
    for (std::size_t i = 0; i < arr->size(); ++i) {
        auto rule = parse_rule((*arr)[i], fmt::format("{}[{}]", key, i));
        if (!rule) return std::move(rule).err();
        p.rules.push_back(std::move(*rule));
    }
    if (auto r = p.validate(); !r) {
        error e = std::move(r).err();
        return config_error(e.field.empty() ? key : e.field, e.message);
    }
    c.routing.rules = std::move(p.rules);
    return {};
}

result<void> set_routing_fallback(config& c, const toml::node& n, const std::string& key) {
    auto v = parse_roles(n, key);
    if (!v) return std::move(v).err();
    c.routing.fallback = std::move(*v);
    return {};
}

// ---- [deadlines], [escalation.<urgency>] ------------------------------------------

constexpr std::int64_t week_minutes = 7 * 24 * 60;

setter ack_key(std::chrono::milliseconds routing::ack_policy::*member) {
    return [=](config& c, const toml::node& n, const std::string& key) -> result<void> {
        if (!n.is_integer()) return config_error(key, fmt::format("{} must be an integer number of minutes", key));
        const std::int64_t v = *n.value<std::int64_t>();
        if (v < 1 || v > week_minutes)
            return config_error(key, fmt::format("{} must be between 1 and {} minutes, not {}", key, week_minutes, v));
        c.ack.*member = std::chrono::minutes(v);
        return {};
    };
}

result<routing::escalation_step> parse_step(const toml::node& n, const std::string& prefix) {
    const auto* tbl = n.as_table();
    if (!tbl) return config_error(prefix, fmt::format("{} must be a table", prefix));
    routing::escalation_step step;
    bool has_roles = false;
    for (auto&& [k, node] : *tbl) {
        const std::string name(k.str());
        const std::string key = prefix + "." + name;
        if (name == "roles") {
            auto v = parse_roles(node, key);
            if (!v) return std::move(v).err();
            step.roles = std::move(*v);
            has_roles = true;
        } else if (name == "wait_min") {
            if (!node.is_integer())
                return config_error(key, fmt::format("{} must be an integer number of minutes", key));
            const std::int64_t v = *node.value<std::int64_t>();
            if (v < 1 || v > week_minutes)
                return config_error(key,
                                    fmt::format("{} must be between 1 and {} minutes, not {}", key, week_minutes, v));
            step.wait = std::chrono::minutes(v);
        } else {
            return config_error(key, fmt::format("unknown key {}", key));
        }
    }
    if (!has_roles) return config_error(prefix + ".roles", fmt::format("{}.roles is missing", prefix));
    return step;
}

// [escalation.<urgency>]: the keys given replace the default ladder's;
// `steps` replaces its steps as a whole.
setter ladder_key(routing::escalation_ladder routing::escalation_policy::*member) {
    return [=](config& c, const toml::node& n, const std::string& key) -> result<void> {
        const auto* tbl = n.as_table();
        if (!tbl) return config_error(key, fmt::format("{} must be a table ([{}])", key, key));
        routing::escalation_ladder& ladder = c.escalation.*member;
        routing::escalation_ladder out = ladder;
        for (auto&& [k, node] : *tbl) {
            const std::string name(k.str());
            const std::string sub = key + "." + name;
            if (name == "repeat") {
                if (!node.is_integer() || *node.value<std::int64_t>() < 1 || *node.value<std::int64_t>() > 10)
                    return config_error(sub, fmt::format("{} must be an integer from 1 to 10", sub));
                out.repeat = static_cast<int>(*node.value<std::int64_t>());
            } else if (name == "reminder_fraction") {
                if (!node.is_number())
                    return config_error(sub, fmt::format("{} must be a number from 0 (no reminder) to below 1", sub));
                const double v = *node.value<double>();
                if (!(v >= 0.0 && v < 1.0))
                    return config_error(sub, fmt::format("{} must be a number from 0 (no reminder) to below 1", sub));
                out.reminder_fraction = v;
            } else if (name == "steps") {
                const auto* arr = node.as_array();
                if (!arr || arr->empty())
                    return config_error(sub, fmt::format("{} must be a non-empty array of tables ([[{}]])", sub, sub));
                out.steps.clear();
                for (std::size_t i = 0; i < arr->size(); ++i) {
                    auto step = parse_step((*arr)[i], fmt::format("{}[{}]", sub, i));
                    if (!step) return std::move(step).err();
                    out.steps.push_back(std::move(*step));
                }
            } else {
                return config_error(sub, fmt::format("unknown key {}", sub));
            }
        }
        ladder = std::move(out);
        return {};
    };
}

const std::map<std::string, setter>& setters() {
    static const std::map<std::string, setter> table{
        {"server.listen", set_listen},
        {"server.threads", integer_key(&config::threads, 1, 64)},
        {"server.public_base_url", set_url(&config::public_base_url)},
        {"server.trust_forwarded_for", bool_key(&config::trust_forwarded_for)},
        {"limits.header_bytes", integer_key(&config::header_limit, 1024, 1024 * 1024)},
        {"limits.body_bytes", integer_key(&config::body_limit, 1024, 16 * 1024 * 1024)},
        {"limits.pipeline", integer_key(&config::pipeline_limit, 1, 128)},
        {"limits.max_connections", integer_key(&config::max_connections, 1, 1000000)},
        {"limits.read_timeout_s", duration_key(&config::read_timeout, 1, 3600, "seconds")},
        {"limits.idle_timeout_s", duration_key(&config::idle_timeout, 1, 3600, "seconds")},
        {"limits.write_timeout_s", duration_key(&config::write_timeout, 1, 3600, "seconds")},
        {"limits.shutdown_timeout_s", duration_key(&config::shutdown_timeout, 1, 600, "seconds")},
        {"limits.reports_per_minute", integer_key(&config::reports_per_minute, 0, 1000000)},
        {"limits.status_failures_per_hour", integer_key(&config::status_failures_per_hour, 0, 1000000)},
        {"storage.path", string_key(&config::db_path)},
        {"storage.read_connections", integer_key(&config::read_connections, 1, 64)},
        {"storage.max_batch", integer_key(&config::max_batch, 1, 100000)},
        {"storage.checkpoint_frames", integer_key(&config::checkpoint_frames, 1, 1000000)},
        {"storage.key_file", string_key(&config::key_file)},
        {"sms.silent", bool_key(&config::sms_silent)},
        {"sms.follow_up_window_min", duration_key(&config::sms_follow_up_window, 1, 24 * 60, "minutes")},
        {"sms.replies_per_hour", integer_key(&config::sms_replies_per_hour, 1, 1000)},
        {"sms.twilio.auth_tokens", string_list_key(&config::twilio_auth_tokens)},
        {"sms.twilio.account_sid", set_twilio_account_sid},
        {"sms.twilio.from", set_twilio_from},
        {"sms.twilio.api_base_url", set_url(&config::twilio_api_base_url)},
        {"sms.android.signing_key", string_key(&config::android_signing_key)},
        {"sms.android.timestamp_tolerance_s", duration_key(&config::android_timestamp_tolerance, 1, 86400, "seconds")},
        {"sms.android.send_url", set_url(&config::android_send_url)},
        {"sms.android.username", string_key(&config::android_username, false)},
        {"sms.android.password", string_key(&config::android_password, false)},
        {"sms.generic.secret", string_key(&config::generic_secret)},
        {"sms.generic.timestamp_tolerance_s", duration_key(&config::generic_timestamp_tolerance, 1, 86400, "seconds")},
        {"outbox.backoff_base_ms", duration_key(&config::outbox_backoff_base, 1, 3600 * 1000, "milliseconds")},
        {"outbox.backoff_max_s", duration_key(&config::outbox_backoff_max, 1, 86400, "seconds")},
        {"outbox.max_attempts", integer_key(&config::outbox_max_attempts, 1, 1000)},
        {"notifications.sms_channel", set_notify_sms_channel},
        {"notifications.ack_link_lifetime_min", duration_key(&config::ack_link_lifetime, 1, 30 * 24 * 60, "minutes")},
        {"notifications.webhook_signing_secret", string_key(&config::webhook_signing_secret, false)},
        {"triage.lexicon", string_key(&config::triage_lexicon, false)},
        {"routing.home_province", set_home_province},
        {"routing.rules", set_routing_rules},
        {"routing.fallback", set_routing_fallback},
        {"deadlines.ack_emergency_min", ack_key(&routing::ack_policy::emergency)},
        {"deadlines.ack_high_min", ack_key(&routing::ack_policy::high)},
        {"deadlines.ack_normal_min", ack_key(&routing::ack_policy::normal)},
        {"deadlines.ack_low_min", ack_key(&routing::ack_policy::low)},
        {"deadlines.holidays_file", string_key(&config::holidays_file, false)},
        {"escalation.emergency", ladder_key(&routing::escalation_policy::emergency)},
        {"escalation.high", ladder_key(&routing::escalation_policy::high)},
        {"escalation.normal", ladder_key(&routing::escalation_policy::normal)},
        {"escalation.low", ladder_key(&routing::escalation_policy::low)},
        {"api.operator_tokens", set_operator_tokens},
        {"log.level", set_log_level},
    };
    return table;
}

result<void> apply_table(config& c, const toml::table& tbl, const std::string& prefix) {
    for (auto&& [k, node] : tbl) {
        const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        const auto it = setters().find(key);
        if (node.is_table() && it == setters().end()) {
            bool known = false;
            for (const auto& [name, _] : setters())
                if (name.starts_with(key + ".")) known = true;
            if (!known) return config_error(key, fmt::format("unknown section [{}]", key));
            if (auto r = apply_table(c, *node.as_table(), key); !r) return r;
            continue;
        }
        if (it == setters().end()) return config_error(key, fmt::format("unknown key {}", key));
        if (auto r = it->second(c, node, key); !r) return r;
    }
    return {};
}

}  // namespace

result<config> load_config(const std::string& path) {
    toml::table tbl;
    try {
        tbl = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        return config_error("", fmt::format("{}:{}:{}: {}", path, where.line, where.column, e.description()));
    }
    config c;
    if (auto r = apply_table(c, tbl, ""); !r) return std::move(r).err();
    // Checks that span keys (the emergency limit within the 12-hour clock,
    // a role twice in a step), each naming its key.
    if (auto r = c.ack.validate(); !r) {
        error e = std::move(r).err();
        return config_error(e.field, e.message);
    }
    if (auto r = c.escalation.validate(); !r) {
        error e = std::move(r).err();
        return config_error(e.field, e.message);
    }
    if (auto r = check_senders(c); !r) return std::move(r).err();
    return c;
}

result<void> apply_listen(config& c, std::string_view s) {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size())
        return config_error("listen", fmt::format("listen address must be ADDR:PORT, not \"{}\"", s));
    std::string_view addr = s.substr(0, colon);
    const std::string_view port = s.substr(colon + 1);
    // An IPv6 address comes in brackets: both of them, around something.
    const bool open = addr.front() == '[';
    const bool close = addr.back() == ']';
    if (open != close || (open && addr.size() <= 2))
        return config_error("listen", fmt::format("listen address must be ADDR:PORT or [IPV6]:PORT, not \"{}\"", s));
    if (open) addr = addr.substr(1, addr.size() - 2);
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc{} || p != port.data() + port.size() || v > 65535)
        return config_error("listen", fmt::format("port must be a number from 0 to 65535, not \"{}\"", port));
    c.listen_address = std::string(addr);
    c.listen_port = static_cast<std::uint16_t>(v);
    return {};
}

std::string_view to_string(log_level l) noexcept {
    switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    }
    return "info";
}

}  // namespace hotline::server
