#pragma once
// The admin API of the contact directory and rosters. Every route needs an
// operator's bearer token (config [api] operator_tokens); without one: 401.
//
//   GET  /api/v1/contacts                      200 {"contacts": [contact...]}, by id
//   GET  /api/v1/contacts/{key}                200 contact | 404
//   PUT  /api/v1/contacts/{key}                add (201) or change (200) one contact
//   GET  /api/v1/contacts/{key}/roster         200 roster | 404
//   PUT  /api/v1/contacts/{key}/roster         replace its whole roster ({"entries": []} clears it)
//   POST /api/v1/directory/contacts            import a contacts CSV (Content-Type text/csv)
//   POST /api/v1/directory/rosters             import a rosters CSV (Content-Type text/csv)
//   GET  /api/v1/directory/contacts.csv        export, text/csv
//   GET  /api/v1/directory/rosters.csv         export, text/csv
//   GET  /api/v1/on-duty?unit=CODE&role=ROLE[&at=RFC3339]   who is on duty (now by default)
//
// contact: {"key", "name", "role", "unit_code", "unit_name", "phone" (E.164),
//           "channels": ["sms", "webhook"], "webhook_url" (string or null),
//           "active", "updated_at" (RFC 3339, UTC)}.
// PUT body: {"name", "role", "unit_code", "phone"} required; "channels"
// (default ["sms"]), "webhook_url", "active" (default true) optional; "key"
// optional and equal to the path's. The checks are those of the CSV files
// (routing::check_contact). Refusals: 400 for a body that is not a JSON
// object of those fields with the right types (`malformed_json`,
// `unknown_field`, `wrong_type`), 422 for values, every problem listed, each
// naming its field (`required`, `invalid_value`, `invalid_phone`, ...).
// roster: {"contact": key, "entries": [entry...], "on_duty_now": bool}; an
// entry is a rosters CSV row as an object of strings: {"kind": "weekly",
// "days": "mon-fri", "start": "07:30", "end": "17:00"} or {"kind": "off",
// "from": "2026-02-13", "to": "2026-02-22", "note": "..."} (optional
// "start"/"end"); errors name "entries[i].<column>".
// CSV imports are all or nothing, like `hotline import`: 200 {"added",
// "updated", "unchanged"}, or 422 `invalid_csv` whose message lists every
// bad row as "line N: column: problem" (one per line).
// on-duty: 200 {"unit", "unit_name", "role", "at", "contacts": [contact...]}
// in a stable order; `unit` must be a current unit of the role's level.
//
// Database work goes through database::read/write; nothing here touches
// SQLite on an I/O thread. Phone numbers are never logged.
// Thread-safety: handle() may run concurrently; the members are const.

#include <boost/asio/awaitable.hpp>

#include <string_view>

#include "intake/clock.hpp"
#include "routing/units.hpp"
#include "server/http_server.hpp"
#include "server/log.hpp"
#include "storage/database.hpp"

namespace hotline::server {

class directory_api {
public:
    // Everything given must outlive the object.
    directory_api(storage::database& db, const routing::unit_catalog& units, const hotline::clock& clock,
                  logger& log) noexcept
        : db_(db), units_(units), clock_(clock), log_(log) {}

    // Whether `path` (decoded, without the query) is one of the routes above.
    static bool handles(std::string_view path) noexcept;

    // Answers a request for such a path; `authorized` says whether it carries
    // an operator token. Sets ctx.route.
    boost::asio::awaitable<response> handle(request& req, request_context& ctx, std::string_view path,
                                            bool authorized) const;

private:
    storage::database& db_;
    const routing::unit_catalog& units_;
    const hotline::clock& clock_;
    logger& log_;
};

}  // namespace hotline::server
