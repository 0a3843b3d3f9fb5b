#pragma once
// The application: routes HTTP requests of citizens and API clients to
// intake and storage, and renders the answers.
//
//   GET  /healthz                       process alive (touches no storage)
//   GET  /readyz                        database writable
//   POST /api/v1/reports                new report (JSON), Idempotency-Key honoured
//   GET  /api/v1/reports/{code}         reporter's status view (X-Access-Secret)
//   GET  /                              report form (HTML)
//   POST /report                        form submission -> receipt page
//   GET  /status, POST /status          status look-up form and page
//   GET  /static/site.css               stylesheet
//
// Owns nothing it is given; everything passed in must outlive it.
// Thread-safe: handle() may run concurrently on many strands.

#include <boost/asio/awaitable.hpp>

#include <memory>

#include "intake/clock.hpp"
#include "intake/tracking_code.hpp"
#include "server/config.hpp"
#include "server/http_server.hpp"
#include "server/log.hpp"
#include "storage/database.hpp"

namespace hotline::server {

class app {
public:
    app(const config& cfg, logger& log, const hotline::clock& clock, storage::database& db,
        const intake::tracking_codec& codec, const intake::secret_key& master_key);
    ~app();

    boost::asio::awaitable<response> handle(request& req, request_context& ctx);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace hotline::server
