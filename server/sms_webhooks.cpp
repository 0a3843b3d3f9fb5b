#include "server/detail/json_body.hpp"
#include "server/sms_webhooks.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <boost/json.hpp>
#include <boost/url.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>

#include "intake/text.hpp"

namespace hotline::server {

namespace {

// An HMAC context keyed with `key` for `digest` ("SHA1", "SHA256"), kept per
// thread for the last few keys: fetching the algorithms and keying a context
// cost more than hashing a webhook. Each use works on a copy of it. Null when
// OpenSSL cannot provide it.
const EVP_MAC_CTX* keyed_hmac(const char* digest, std::string_view key) {
    struct entry {
        const char* digest;
        std::string key;
        std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx{nullptr, &EVP_MAC_CTX_free};
    };
    constexpr std::size_t max_entries = 8;
    thread_local std::vector<entry> cache;
    for (const auto& e : cache)
        if (e.digest == digest && e.key == key) return e.ctx.get();

    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return nullptr;
    entry e{digest, std::string(key)};
    e.ctx.reset(EVP_MAC_CTX_new(mac));
    if (!e.ctx) return nullptr;
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_end(),
    };
    // An empty key is passed as a valid pointer: OpenSSL treats a null key
    // with length 0 as "reuse the previous key" in some versions.
    static const unsigned char empty = 0;
    const auto* k = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(e.ctx.get(), k, key.size(), params) != 1) return nullptr;
    if (cache.size() >= max_entries) cache.erase(cache.begin());
    cache.push_back(std::move(e));
    return cache.back().ctx.get();
}

// HMAC of `data` under `key` with `digest` ("SHA1", "SHA256"); the raw digest
// bytes.
std::string hmac(const char* digest, std::string_view key, std::string_view data) {
    const EVP_MAC_CTX* keyed = keyed_hmac(digest, key);
    if (keyed == nullptr) return {};  // an empty digest never matches
    std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_dup(keyed), &EVP_MAC_CTX_free);
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t len = 0;
    if (!ctx || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1)
        return {};
    return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string to_base64(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');  // + the NUL EVP_EncodeBlock writes
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return out;
}

std::string to_hex(std::string_view raw) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(raw.size() * 2);
    for (const char c : raw) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0f]);
    }
    return out;
}

// Constant time in the contents (the lengths are public: every expected
// value has a fixed length).
bool equal_ct(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The URL as given, then with the scheme's default port added (when it has
// no port) or removed (when it has the default port): the variants Twilio's
// own validator accepts. A URL Boost.URL cannot parse is tried only as given.
std::vector<std::string> twilio_url_variants(std::string_view url) {
    std::vector<std::string> out{std::string(url)};
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return out;
    boost::urls::url u(*parsed);
    std::uint16_t default_port = 0;
    switch (u.scheme_id()) {
    case boost::urls::scheme::https: default_port = 443; break;
    case boost::urls::scheme::http: default_port = 80; break;
    default: return out;
    }
    if (!u.has_port()) {
        u.set_port_number(default_port);
        out.emplace_back(u.buffer());
    } else if (u.port().empty() || u.port_number() == default_port) {
        u.remove_port();
        out.emplace_back(u.buffer());
    }
    return out;
}

// Why a JSON payload is refused.
error invalid(std::string_view field, std::string_view what) {
    return make_error("invalid_value", fmt::format("{} {}", field, what), std::string(field));
}

// A member that must be a string (`non_empty`: and not ""). `path` names it in
// errors ("payload.sender").
result<std::string> required_string(const boost::json::object& o, std::string_view key, std::string_view path,
                                    bool non_empty) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return invalid(path, "is missing");
    if (!v->is_string()) return invalid(path, "must be a string");
    if (non_empty && v->as_string().empty()) return invalid(path, "must not be empty");
    return std::string(v->as_string());
}

// A member that may be absent or null; "" then.
result<std::string> optional_string(const boost::json::object& o, std::string_view key, std::string_view path) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::string();
    if (!v->is_string()) return invalid(path, "must be a string");
    return std::string(v->as_string());
}

// Unix seconds: ASCII digits only, no sign, no spaces.
std::optional<std::int64_t> parse_unix_seconds(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

template <class Sign>
signature_check check_signed(std::string_view body, std::string_view timestamp_header,
                             std::string_view signature_header, time_point now, std::chrono::seconds tolerance,
                             Sign sign) {
    if (timestamp_header.empty() || signature_header.empty()) return signature_check::missing;
    const auto ts = parse_unix_seconds(timestamp_header);
    if (!ts) return signature_check::malformed_timestamp;
    // Compared in milliseconds; a timestamp too large to convert is stale by
    // any measure, and `now` is a real time, far from the int64 limits.
    constexpr std::int64_t max_seconds = std::numeric_limits<std::int64_t>::max() / 1000;
    if (*ts > max_seconds) return signature_check::stale_timestamp;
    const std::int64_t now_ms = now.time_since_epoch().count();
    const std::int64_t ts_ms = *ts * 1000;
    const std::int64_t skew_ms = now_ms >= ts_ms ? now_ms - ts_ms : ts_ms - now_ms;
    if (skew_ms > std::chrono::duration_cast<std::chrono::milliseconds>(tolerance).count())
        return signature_check::stale_timestamp;
    return equal_ct(sign(body, timestamp_header), ascii_lower(signature_header)) ? signature_check::ok
                                                                               : signature_check::mismatch;
}

void xml_escape_into(std::string& out, std::string_view s) {
    for (const char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\t':
        case '\n':
        case '\r': out.push_back(c); break;
        default:
            // C0 controls are not allowed in XML 1.0 at all, not even escaped.
            if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
        }
    }
}

// ---- signatures ----------------------------------------------------------------

// The data Twilio signs after the URL: the parameters sorted by name (then
// value), each name followed by its value.
std::string twilio_signed_params(const form_params& params) {
    std::vector<const std::pair<std::string, std::string>*> sorted;
    sorted.reserve(params.size());
    std::size_t size = 0;
    for (const auto& p : params) {
        sorted.push_back(&p);
        size += p.first.size() + p.second.size();
    }
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });
    std::string data;
    data.reserve(size);
    for (const auto* p : sorted) {
        data += p->first;
        data += p->second;
    }
    return data;
}

// Base64 of the HMAC-SHA1 of `url` followed by `signed_params` under `token`.
std::string twilio_signature_of(std::string_view token, std::string_view url, std::string_view signed_params) {
    std::string data;
    data.reserve(url.size() + signed_params.size());
    data.append(url).append(signed_params);
    return to_base64(hmac("SHA1", token, data));
}

}  // namespace

std::string twilio_signature(std::string_view auth_token, std::string_view url, const form_params& params) {
    return twilio_signature_of(auth_token, url, twilio_signed_params(params));
}

bool twilio_signature_valid(const std::vector<std::string>& auth_tokens, std::string_view url,
                            const form_params& params, std::string_view signature_header) {
    if (signature_header.empty()) return false;
    // The parameters are sorted once; the URL variants are built and tried
    // only while none has matched (which variant matched is not secret).
    const std::string signed_params = twilio_signed_params(params);
    const auto matches = [&](std::string_view u) {
        for (const auto& token : auth_tokens) {
            if (token.empty()) continue;  // an unset token must never validate anything
            if (equal_ct(twilio_signature_of(token, u, signed_params), signature_header)) return true;
        }
        return false;
    };
    if (matches(url)) return true;
    const auto urls = twilio_url_variants(url);
    for (std::size_t i = 1; i < urls.size(); ++i)
        if (matches(urls[i])) return true;
    return false;
}

std::string android_signature(std::string_view signing_key, std::string_view body, std::string_view timestamp) {
    std::string data;
    data.reserve(body.size() + timestamp.size());
    data.append(body).append(timestamp);
    return to_hex(hmac("SHA256", signing_key, data));
}

std::string generic_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
    std::string data;
    data.reserve(timestamp.size() + 1 + body.size());
    data.append(timestamp).append(".").append(body);
    return "sha256=" + to_hex(hmac("SHA256", secret, data));
}

std::string_view to_string(signature_check c) noexcept {
    switch (c) {
    case signature_check::ok: return "ok";
    case signature_check::missing: return "missing";
    case signature_check::malformed_timestamp: return "malformed_timestamp";
    case signature_check::stale_timestamp: return "stale_timestamp";
    case signature_check::mismatch: return "mismatch";
    }
    return "unknown";
}

signature_check check_android_signature(std::string_view signing_key, std::string_view body,
                                        std::string_view timestamp_header, std::string_view signature_header,
                                        time_point now, std::chrono::seconds tolerance) {
    return check_signed(body, timestamp_header, signature_header, now, tolerance,
                        [&](std::string_view b, std::string_view ts) { return android_signature(signing_key, b, ts); });
}

signature_check check_generic_signature(std::string_view secret, std::string_view body,
                                        std::string_view timestamp_header, std::string_view signature_header,
                                        time_point now, std::chrono::seconds tolerance) {
    return check_signed(body, timestamp_header, signature_header, now, tolerance,
                        [&](std::string_view b, std::string_view ts) { return generic_signature(secret, ts, b); });
}

// ---- payloads ------------------------------------------------------------------

result<gateway_message> twilio_message(const form_params& params) {
    const auto get = [&](std::string_view name) -> const std::string* {
        for (const auto& p : params)
            if (p.first == name) return &p.second;
        return nullptr;
    };
    gateway_message m;
    struct field {
        std::string_view name;
        std::string gateway_message::*member;
        bool required;
    };
    static constexpr std::array<field, 4> fields{{
        {"MessageSid", &gateway_message::id, true},
        {"From", &gateway_message::from, true},
        {"To", &gateway_message::to, false},
        {"Body", &gateway_message::text, false},
    }};
    for (const auto& f : fields) {
        const std::string* v = get(f.name);
        if (v == nullptr || (f.required && v->empty())) {
            if (!f.required) continue;
            return make_error("invalid_value", fmt::format("{} is missing", f.name), std::string(f.name));
        }
        if (!intake::is_valid_utf8(*v))
            return make_error("invalid_utf8", fmt::format("{} is not valid UTF-8", f.name), std::string(f.name));
        m.*f.member = *v;
    }
    return m;
}

result<std::optional<gateway_message>> android_message(std::string_view body) {
    auto parsed = detail::parse_json_object(body);
    if (!parsed) return std::move(parsed).err();
    const boost::json::object& env = *parsed;

    auto event = required_string(env, "event", "event", false);
    if (!event) return std::move(event).err();
    if (*event != "sms:received") return std::optional<gateway_message>{};

    auto id = required_string(env, "id", "id", true);
    if (!id) return std::move(id).err();

    const auto* payload_v = env.if_contains("payload");
    if (payload_v == nullptr || payload_v->is_null()) return invalid("payload", "is missing");
    if (!payload_v->is_object()) return invalid("payload", "must be an object");
    const boost::json::object& payload = payload_v->as_object();

    gateway_message m;
    m.id = std::move(*id);

    // "sender" in current versions, "phoneNumber" in older ones.
    auto sender = optional_string(payload, "sender", "payload.sender");
    if (!sender) return std::move(sender).err();
    if (sender->empty()) {
        auto phone = optional_string(payload, "phoneNumber", "payload.phoneNumber");
        if (!phone) return std::move(phone).err();
        if (phone->empty()) return invalid("payload.sender", "is missing");
        m.from = std::move(*phone);
    } else {
        m.from = std::move(*sender);
    }

    auto to = optional_string(payload, "recipient", "payload.recipient");
    if (!to) return std::move(to).err();
    m.to = std::move(*to);

    auto text = required_string(payload, "message", "payload.message", false);
    if (!text) return std::move(text).err();
    m.text = std::move(*text);

    return std::optional<gateway_message>(std::move(m));
}

result<gateway_message> generic_message(std::string_view body) {
    auto parsed = detail::parse_json_object(body);
    if (!parsed) return std::move(parsed).err();
    const boost::json::object& o = *parsed;

    gateway_message m;
    auto id = required_string(o, "id", "id", true);
    if (!id) return std::move(id).err();
    m.id = std::move(*id);
    auto from = required_string(o, "from", "from", true);
    if (!from) return std::move(from).err();
    m.from = std::move(*from);
    auto to = optional_string(o, "to", "to");
    if (!to) return std::move(to).err();
    m.to = std::move(*to);
    auto text = required_string(o, "text", "text", false);
    if (!text) return std::move(text).err();
    m.text = std::move(*text);
    return m;
}

namespace {

// At most `max` bytes of `s`, cut at a UTF-8 character boundary; invalid
// UTF-8 replaced by '?'.
std::string bounded_reason(std::string_view s, std::size_t max = 200) {
    std::string out;
    out.reserve(std::min(s.size(), max));
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        out.push_back(c < 0x20 || c == 0x7f ? ' ' : ch);
    }
    if (!intake::is_valid_utf8(out))
        for (char& ch : out)
            if (static_cast<unsigned char>(ch) >= 0x80) ch = '?';
    if (out.size() > max) {
        std::size_t cut = max;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
    }
    return out;
}

}  // namespace

result<std::optional<delivery_report>> twilio_delivery(const form_params& params) {
    const auto get = [&](std::string_view name) -> std::string_view {
        for (const auto& p : params)
            if (p.first == name) return p.second;
        return {};
    };
    const std::string_view sid = get("MessageSid");
    if (sid.empty()) return make_error("invalid_value", "MessageSid is missing", "MessageSid");
    const std::string_view status = get("MessageStatus");
    if (status.empty()) return make_error("invalid_value", "MessageStatus is missing", "MessageStatus");
    if (!intake::is_valid_utf8(sid))
        return make_error("invalid_utf8", "MessageSid is not valid UTF-8", "MessageSid");
    delivery_report r;
    r.provider_message_id = std::string(sid);
    if (status == "delivered") {
        r.delivered = true;
        return std::optional<delivery_report>(std::move(r));
    }
    if (status != "undelivered" && status != "failed") return std::optional<delivery_report>{};
    const std::string_view code = get("ErrorCode");
    r.error = bounded_reason(code.empty() ? fmt::format("Twilio status {}", status)
                                          : fmt::format("Twilio error {}", code));
    return std::optional<delivery_report>(std::move(r));
}

result<std::optional<delivery_report>> android_delivery(std::string_view body) {
    auto parsed = detail::parse_json_object(body);
    if (!parsed) return std::move(parsed).err();
    const boost::json::object& env = *parsed;
    auto event = required_string(env, "event", "event", false);
    if (!event) return std::move(event).err();
    const bool delivered = *event == "sms:delivered";
    if (!delivered && *event != "sms:failed") return std::optional<delivery_report>{};

    const auto* payload_v = env.if_contains("payload");
    if (payload_v == nullptr || payload_v->is_null()) return invalid("payload", "is missing");
    if (!payload_v->is_object()) return invalid("payload", "must be an object");
    const boost::json::object& payload = payload_v->as_object();
    auto id = required_string(payload, "messageId", "payload.messageId", true);
    if (!id) return std::move(id).err();
    delivery_report r;
    r.provider_message_id = std::move(*id);
    r.delivered = delivered;
    if (!delivered) {
        auto reason = optional_string(payload, "reason", "payload.reason");
        if (!reason) return std::move(reason).err();
        r.error = bounded_reason(reason->empty() ? std::string("the gateway reported a failure")
                                                 : "the gateway reported: " + *reason);
    }
    return std::optional<delivery_report>(std::move(r));
}

std::string twiml_response(std::string_view reply) {
    constexpr std::string_view prolog = R"(<?xml version="1.0" encoding="UTF-8"?>)";
    std::string out(prolog);
    if (reply.empty()) {
        out += "<Response/>";
        return out;
    }
    out.reserve(prolog.size() + reply.size() + 64);
    out += "<Response><Message>";
    xml_escape_into(out, reply);
    out += "</Message></Response>";
    return out;
}

std::string android_send_body(std::string_view text, std::string_view phone, std::string_view id) {
    boost::json::object o;
    if (!id.empty()) o["id"] = id;
    o["textMessage"] = boost::json::object{{"text", text}};
    o["phoneNumbers"] = boost::json::array{boost::json::string(phone)};
    return boost::json::serialize(o);
}

}  // namespace hotline::server
