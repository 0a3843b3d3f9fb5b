#pragma once
// The application: routes HTTP requests of citizens and API clients to
// intake and storage, and renders the answers.
//
//   GET  /healthz                       process alive (touches no storage)
//   GET  /readyz                        database writable
//   POST /api/v1/reports                new report (JSON), Idempotency-Key honoured
//   GET  /api/v1/reports/{code}         reporter's status view (X-Access-Secret)
//   GET  /api/v1/reports/{id}           an officer's view (Authorization: Bearer; server/officer_api.hpp)
//   GET  /api/v1/assignments            the officer's assignments (server/officer_api.hpp)
//   GET  /metrics                       Prometheus text format (server/metrics.hpp)
//   GET  /api/v1/reports/{code}/classification   current classification and history (operator bearer token)
//   POST /api/v1/reports/{code}/classification   human override, a new event (operator bearer token)
//   GET  /                              report form (HTML)
//   POST /report                        form submission -> receipt page
//   GET  /status, POST /status          status look-up form and page
//   GET  /static/site.css               stylesheet
//   GET  /static/place.js               the place field's type-ahead script
//   GET  /api/v1/units?q=               place type-ahead (server/units_api.hpp)
//   /api/v1/contacts…, /api/v1/directory/…, GET /api/v1/on-duty
//                                       the directory's admin API (server/directory_api.hpp)
//   POST /webhooks/sms/twilio           Twilio inbound SMS (X-Twilio-Signature), TwiML reply
//   POST /webhooks/sms/twilio/status    Twilio delivery reports (StatusCallback, X-Twilio-Signature)
//   POST /webhooks/sms/android          SMS Gateway for Android (X-Signature, X-Timestamp):
//                                       sms:received, and sms:delivered / sms:failed reports
//   POST /webhooks/sms/generic          other gateways (X-Hotline-Signature, X-Hotline-Timestamp)
//
// Owns nothing it is given; everything passed in must outlive it.
// Thread-safe: handle() may run concurrently on many strands.

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>

#include "intake/clock.hpp"
#include "intake/tracking_code.hpp"
#include "routing/locate.hpp"
#include "routing/units.hpp"
#include "server/config.hpp"
#include "server/http_server.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/triage.hpp"
#include "storage/database.hpp"
#include "storage/sms.hpp"

namespace hotline::server {

// Called after a committed SMS "OK <code>" / "XN <code>" from a known
// contact (not for a replay): the outcome says what came of it
// (decision.reply, acknowledged_assignment when an assignment was
// acknowledged in that write, storage/sms.hpp). Acknowledgements by API and
// link (server/ack_api.hpp) call `report_stored` instead.
using acknowledgement_handler = std::function<void(const storage::sms_outcome&)>;

class app {
public:
    // `outbox_written` is called after a committed write put a message in
    // the outbox (the dispatcher's notify()). Every new report is classified
    // with `triage` and its `classified` event stored with it. `units` answers
    // the place type-ahead and checks the location_code of every report.
    // Every new report (web, API or SMS) is located with `locator` and
    // routed by cfg.routing in the write that stores it, with the deadlines
    // of `deadlines` (none when null; borrowed, it must outlive the app).
    // `report_stored` is called after a committed write that stored a
    // report or routed one, or recorded a delivery report that made an
    // assignment due (the deadline scheduler's notify()). A new report (web
    // form, API or SMS) calls `deadline_set` instead, when given, with the
    // earliest deadline its write set (none set: no call; the scheduler's
    // notify_due()), and `outbox_written` only when it queued a message.
    app(const config& cfg, logger& log, const hotline::clock& clock, storage::database& db,
        const intake::tracking_codec& codec, const intake::secret_key& master_key, const triage& triage,
        const routing::unit_catalog& units, const routing::locator& locator, std::function<void()> outbox_written,
        acknowledgement_handler on_acknowledgement, const storage::deadline_policy* deadlines = nullptr,
        std::function<void()> report_stored = {}, std::function<void(time_point)> deadline_set = {});
    ~app();

    boost::asio::awaitable<response> handle(request& req, request_context& ctx);

    // Adds in-process values to GET /metrics (dispatcher_metrics,
    // scheduler_metrics); before the server serves.
    void add_metrics(std::vector<process_metric> more);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace hotline::server
