#pragma once
// Acknowledgement by officers over HTTP: the API and the link sent in
// notifications. One rule decides who may acknowledge what
// (storage/officers.hpp may_acknowledge); the record is storage::acknowledge.
//
//   POST /api/v1/assignments/{id}/ack    Authorization: Bearer <officer token>
//     200 {"assignment_id", "report_id", "state": "acknowledged", "in_time",
//          "acknowledged_at" (RFC 3339, UTC)}
//     401 `unauthorized` (no token, or a token that is unknown, revoked or
//         of an inactive contact), with WWW-Authenticate
//     403 `forbidden` (the contact may not acknowledge this assignment)
//     404 `not_found` (no such assignment)
//     409 `already_acknowledged` | `superseded`
//     Any body is ignored. Errors in the project's JSON error shape.
//
//   GET  /a/{token}   the confirmation page (short code, urgency, commune,
//                     deadline, one button); never changes anything, since
//                     phones and mail scanners prefetch links.
//   POST /a/{token}   uses the link and acknowledges (channel "link") in one
//                     write, then the done page.
//     Pages for a link that is forged or unknown (404), expired (410), used
//     (409, saying when when it was this contact's), an assignment already
//     acknowledged or superseded (409), a contact no longer allowed (403).
//     HTML, Vietnamese or English (?lang=, Accept-Language), no script.
//
// Database work goes through database::read/write; nothing here touches
// SQLite on an I/O thread. Tokens and links are never logged.
// Thread-safety: handle() may run concurrently; the members are const.

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string_view>

#include "intake/clock.hpp"
#include "intake/tracking_code.hpp"
#include "routing/units.hpp"
#include "server/http_server.hpp"
#include "server/log.hpp"
#include "server/pages.hpp"
#include "storage/database.hpp"

namespace hotline::server {

class ack_api {
public:
    // Everything given must outlive the object. `link_key` is the key the
    // links were made under (derive_key(master, "ack-link")).
    // `acknowledged` is called after a committed acknowledgement (the
    // scheduler's notify()); may be empty.
    ack_api(storage::database& db, const routing::unit_catalog& units, const hotline::clock& clock, logger& log,
            const intake::secret_key& link_key, std::function<void()> acknowledged)
        : db_(db), units_(units), clock_(clock), log_(log), link_key_(link_key),
          acknowledged_(std::move(acknowledged)) {}

    // Whether `path` (decoded, without the query) is one of the routes above.
    static bool handles(std::string_view path) noexcept;

    // Answers a request for such a path in language `l` (the pages). Sets
    // ctx.route.
    boost::asio::awaitable<response> handle(request& req, request_context& ctx, std::string_view path,
                                            lang l) const;

private:
    boost::asio::awaitable<response> post_ack(request& req, std::string_view id_text) const;
    boost::asio::awaitable<response> get_link(std::string token, lang l) const;
    boost::asio::awaitable<response> post_link(std::string token, lang l) const;

    storage::database& db_;
    const routing::unit_catalog& units_;
    const hotline::clock& clock_;
    logger& log_;
    intake::secret_key link_key_;
    std::function<void()> acknowledged_;
};

}  // namespace hotline::server
