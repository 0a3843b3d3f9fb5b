#pragma once
// What an officer reads with their bearer token (`hotline token create
// --contact KEY`; storage/officers.hpp): their assignments and the reports
// they may see (storage/views.hpp says who may see what).
//
//   GET /api/v1/assignments[?state=open|acknowledged|all]
//       200 {"contact": key, "state": filter, "assignments": [assignment...]}
//       the token's contact's assignments, by ack_due_at (none last), then
//       id; `state` defaults to open; any other value: 400 `invalid_value`
//       naming "state". assignment: {"id", "report_id", "tracking_code"
//       (grouped), "urgency" (null: unclassified), "categories",
//       "commune_code", "commune_name", "province_code", "province_name",
//       "role", "step", "state", "created_at", "ack_due_at" (null: none),
//       "overdue"}; times RFC 3339 UTC. No report text, no names.
//   GET /api/v1/reports/{id}   (numeric report id, Authorization: Bearer)
//       200 the Mẫu 01 record (see report_json in the source): text and the
//       SMS additions, location (typed, picked, resolved, with unit names),
//       child, condition, perpetrator relation, reporter (identity only when
//       the reporter allowed contact and did not ask for secrecy; otherwise
//       "withheld" with the reason), classification, legal clocks, ladder
//       position, assignments (contact keys, roles, states, deadlines) and
//       the event timeline (kind, time, actor; data only for kinds that name
//       no person). 400 `invalid_value` (field "id") for an id that is not
//       a number, 403 `forbidden` for a report the contact may not see, 404
//       for no such report. Every 200 is preceded by a committed `viewed`
//       event {"contact", "via": "api", "as"}: the answer is only sent once
//       the view is on record (DESIGN.md rule 5).
//   POST /api/v1/reports/{id}/action   the emergency measures were taken
//   POST /api/v1/reports/{id}/plan     the support plan was made
//       (storage/legal_clocks.hpp record_milestone) by anyone who may read
//       the report (the same rule as GET). Body empty or `{}`. 200
//       {"report_id", "milestone", "recorded_at", "in_time", "due_at" (or
//       null), "plan_due_at" (the plan clock an action started, or null)};
//       409 `already_recorded` or `report_closed`; 403, 404 and 400 as for
//       GET; 400 `unknown_field` for a body with fields.
// All: 401 `unauthorized` (with WWW-Authenticate) without a token or with
// one that is unknown, revoked or of an inactive contact.
//
// The reads run on a reader (database::read), the `viewed` event in a
// database::write; nothing touches SQLite on an I/O thread. Logs carry ids
// only, never a token, a name or a phone number.
// Thread-safety: the handlers may run concurrently; the members are const.

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string_view>

#include "intake/clock.hpp"
#include "routing/units.hpp"
#include "server/http_server.hpp"
#include "server/log.hpp"
#include "storage/database.hpp"
#include "storage/legal_clocks.hpp"

namespace hotline::server {

class officer_api {
public:
    // Everything given must outlive the object. Without `deadlines` the
    // milestone routes answer 503; `clocks_changed` is called after a
    // milestone committed (the scheduler's notify()).
    officer_api(storage::database& db, const routing::unit_catalog& units, const hotline::clock& clock, logger& log,
                const storage::deadline_policy* deadlines = nullptr, std::function<void()> clocks_changed = {}) noexcept
        : db_(db), units_(units), clock_(clock), log_(log), deadlines_(deadlines),
          clocks_changed_(std::move(clocks_changed)) {}

    static constexpr std::string_view assignments_path = "/api/v1/assignments";

    // Whether a GET /api/v1/reports/{x} is an officer's (it carries
    // "Authorization: Bearer ...") rather than a reporter's status look-up.
    static bool is_officer_request(const request& req) noexcept;

    // GET /api/v1/assignments. Sets ctx.route.
    boost::asio::awaitable<response> assignments(request& req, request_context& ctx) const;

    // GET /api/v1/reports/{id} and POST /api/v1/reports/{id}/action|plan;
    // `rest` is the path after /api/v1/reports/. Sets ctx.route.
    boost::asio::awaitable<response> report(request& req, request_context& ctx, std::string_view rest) const;

private:
    storage::database& db_;
    const routing::unit_catalog& units_;
    const hotline::clock& clock_;
    logger& log_;
    const storage::deadline_policy* deadlines_;
    std::function<void()> clocks_changed_;

    boost::asio::awaitable<response> milestone(request& req, request_context& ctx, std::int64_t report_id,
                                               storage::milestone m) const;
};

}  // namespace hotline::server
