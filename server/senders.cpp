#include "server/senders.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "server/http_client.hpp"
#include "server/sms_webhooks.hpp"

namespace hotline::server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

// The verdict of the statuses every gateway shares: 2xx sent; a timeout,
// throttling or a server error may pass; any other refusal will not.
send_verdict verdict_of_status(int status) {
    if (status >= 200 && status < 300) return send_verdict::sent;
    if (status == 408 || status == 429 || status >= 500) return send_verdict::retry;
    return send_verdict::permanent;
}

// The body as a JSON object, if it is one.
std::optional<boost::json::object> json_object_of(std::string_view body) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

// application/x-www-form-urlencoded: unreserved characters as they are,
// everything else (UTF-8 bytes included) percent-encoded.
void form_encode_into(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0x0f]);
        }
    }
}

std::string form_body(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty()) out.push_back('&');
        form_encode_into(out, name);
        out.push_back('=');
        form_encode_into(out, value);
    }
    return out;
}

// ---- SMS Gateway for Android ---------------------------------------------------------

class android_sender final : public outbox_sender {
public:
    android_sender(std::string url, std::string username, std::string password, asio::ssl::context& tls)
        : url_(std::move(url)), authorization_(basic_authorization(username, password)), tls_(tls) {}

    awaitable<send_result> send(const storage::outbox_message& m) override {
        outgoing_request req;
        req.method = "POST";
        req.url = url_;
        req.headers = {{"Content-Type", "application/json"}, {"Authorization", authorization_}};
        // The outbox id is the gateway's idempotency key: a message sent
        // twice (a lease ran out mid-send) is delivered once.
        const std::string id = "hotline-" + std::to_string(m.id);
        req.body = android_send_body(m.body, m.destination, id);
        auto res = co_await send_http(std::move(req), tls_);
        if (!res) co_return send_result{send_verdict::retry, res.err().message, {}};
        const int status = res->status;
        const send_verdict v = verdict_of_status(status);
        if (v != send_verdict::sent)
            co_return send_result{v, fmt::format("the gateway answered HTTP {}", status), {}};
        // The gateway answers with the message's state, "id" included: the
        // one we sent, unless it chose its own.
        std::string provider_id = id;
        if (auto o = json_object_of(res->body))
            if (const auto* v2 = o->if_contains("id"); v2 && v2->is_string() && !v2->as_string().empty())
                provider_id = std::string(v2->as_string());
        co_return send_result{send_verdict::sent, {}, std::move(provider_id)};
    }

private:
    std::string url_;
    std::string authorization_;
    asio::ssl::context& tls_;
};

// ---- Twilio ---------------------------------------------------------------------------

// Twilio error codes (https://www.twilio.com/docs/api/errors) that say the
// destination cannot get an SMS from us: resending will not help, the next
// person on the ladder should be called.
constexpr std::array<std::int64_t, 11> twilio_destination_codes{
    21211,  // invalid 'To' phone number
    21214,  // 'To' phone number cannot be reached
    21217,  // phone number does not appear to be valid
    21401,  // invalid phone number
    21407,  // this phone number type does not support SMS
    21408,  // permission to send an SMS has not been enabled for the region of 'To'
    21421,  // phone number is invalid
    21610,  // the recipient unsubscribed (replied STOP)
    21612,  // the 'To' number is not reachable by SMS from this sender
    21614,  // 'To' number is not a valid mobile number
    21635,  // 'To' number cannot be a landline
};

// Codes that say our own account or sender is wrong: a configuration
// problem (see make_twilio_sender).
constexpr std::array<std::int64_t, 14> twilio_configuration_codes{
    10001,  // account is not active
    20003,  // authentication failed
    20005,  // account not active
    20404,  // resource not found (a wrong account SID)
    21212,  // invalid 'From' phone number
    21603,  // 'From' phone number is required
    21606,  // 'From' is not a valid, SMS-capable phone number of this account
    21659,  // 'From' is not a Twilio phone number of this account
    21660,  // mismatch between 'From' and the account
    21701,  // Messaging Service SID does not exist
    21702,  // Messaging Service SID is invalid
    21703,  // Messaging Service has no phone numbers
    21704,  // Messaging Service has no senders for this channel
    21705,  // Messaging Service is invalid
};

template <std::size_t N>
bool contains(const std::array<std::int64_t, N>& codes, std::int64_t code) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

class twilio_sender final : public outbox_sender {
public:
    twilio_sender(twilio_sender_options o, asio::ssl::context& tls, logger& log)
        : url_(fmt::format("{}/2010-04-01/Accounts/{}/Messages.json", o.api_base_url, o.account_sid)),
          authorization_(basic_authorization(o.account_sid, o.auth_token)),
          from_(std::move(o.from)),
          from_is_service_(from_.starts_with("MG")),
          status_callback_(std::move(o.status_callback_url)),
          tls_(tls),
          log_(log) {}

    awaitable<send_result> send(const storage::outbox_message& m) override {
        outgoing_request req;
        req.method = "POST";
        req.url = url_;
        req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"},
                       {"Authorization", authorization_}};
        const std::string_view sender_field = from_is_service_ ? "MessagingServiceSid" : "From";
        if (status_callback_.empty())
            req.body = form_body({{"To", m.destination}, {sender_field, from_}, {"Body", m.body}});
        else
            req.body = form_body({{"To", m.destination},
                                  {sender_field, from_},
                                  {"Body", m.body},
                                  {"StatusCallback", status_callback_}});
        auto res = co_await send_http(std::move(req), tls_);
        if (!res) co_return send_result{send_verdict::retry, res.err().message, {}};
        co_return verdict(m, *res);
    }

private:
    send_result verdict(const storage::outbox_message& m, const incoming_response& res) {
        const int status = res.status;
        const auto body = json_object_of(res.body);
        if (status >= 200 && status < 300) {
            std::string sid;
            if (body)
                if (const auto* v = body->if_contains("sid"); v && v->is_string()) sid = std::string(v->as_string());
            if (sid.empty())
                log_.warn("twilio_answer_without_sid", {{"outbox_id", m.id}, {"status", status}});
            return send_result{send_verdict::sent, {}, std::move(sid)};
        }
        std::optional<std::int64_t> code;
        if (body)
            if (const auto* v = body->if_contains("code"); v && v->is_int64()) code = v->as_int64();
        // Twilio's own message may quote the number: only the code is kept.
        const std::string why = code ? fmt::format("Twilio answered HTTP {} (error {})", status, *code)
                                     : fmt::format("Twilio answered HTTP {}", status);
        if (status == 408 || status == 429 || status >= 500) return send_result{send_verdict::retry, why, {}};
        if (code && contains(twilio_destination_codes, *code))
            return send_result{send_verdict::permanent, why, {}};
        if (status == 401 || status == 403 || status == 404 || (code && contains(twilio_configuration_codes, *code))) {
            boost::json::object fields{{"outbox_id", m.id}, {"status", status}};
            fields["twilio_code"] = code ? boost::json::value(*code) : boost::json::value(nullptr);
            fields["hint"] = "check sms.twilio.account_sid, auth_tokens[0] and from";
            log_.error("twilio_configuration_refused", std::move(fields));
            return send_result{send_verdict::retry, why, {}};
        }
        return send_result{send_verdict::permanent, why, {}};
    }

    std::string url_;
    std::string authorization_;
    std::string from_;
    bool from_is_service_;
    std::string status_callback_;
    asio::ssl::context& tls_;
    logger& log_;
};

// ---- signed JSON webhooks ---------------------------------------------------------------

class webhook_sender final : public outbox_sender {
public:
    webhook_sender(std::string secret, const hotline::clock& clock, asio::ssl::context& tls)
        : secret_(std::move(secret)), clock_(clock), tls_(tls) {}

    awaitable<send_result> send(const storage::outbox_message& m) override {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch());
        const std::string timestamp = std::to_string(seconds.count());
        outgoing_request req;
        req.method = "POST";
        req.url = m.destination;
        req.headers = {{"Content-Type", "application/json"},
                       {"Idempotency-Key", std::to_string(m.id)},
                       {"X-Hotline-Timestamp", timestamp},
                       {"X-Hotline-Signature", generic_signature(secret_, timestamp, m.body)}};
        req.body = m.body;
        auto res = co_await send_http(std::move(req), tls_);
        if (!res) {
            // A destination that is not a usable URL will never become one.
            const send_verdict v = res.err().code == "invalid_url" || res.err().code == "invalid_request"
                                       ? send_verdict::permanent
                                       : send_verdict::retry;
            co_return send_result{v, res.err().message, {}};
        }
        const int status = res->status;
        const send_verdict v = verdict_of_status(status);
        if (v == send_verdict::sent) co_return send_result{};
        co_return send_result{v, fmt::format("the webhook answered HTTP {}", status), {}};
    }

private:
    std::string secret_;
    const hotline::clock& clock_;
    asio::ssl::context& tls_;
};

}  // namespace

std::unique_ptr<outbox_sender> make_android_sender(std::string url, std::string username, std::string password,
                                                   asio::ssl::context& tls) {
    return std::make_unique<android_sender>(std::move(url), std::move(username), std::move(password), tls);
}

std::unique_ptr<outbox_sender> make_twilio_sender(twilio_sender_options options, asio::ssl::context& tls,
                                                  logger& log) {
    return std::make_unique<twilio_sender>(std::move(options), tls, log);
}

std::unique_ptr<outbox_sender> make_webhook_sender(std::string secret, const hotline::clock& clock,
                                                   asio::ssl::context& tls) {
    return std::make_unique<webhook_sender>(std::move(secret), clock, tls);
}

}  // namespace hotline::server
