#pragma once
// Server-rendered HTML pages for citizens: the report form, the receipt, the
// status look-up. Mobile first, usable without JavaScript, Vietnamese by
// default and English on request. Pure functions: they only build strings.
//
// Every page links only to the site's own stylesheet (/static/site.css) and
// has no inline script or style, so the strict Content-Security-Policy the
// server sends holds. The report form also loads the site's own
// /static/place.js, which adds suggestions to the place field; every page
// works the same without it. Every page shows a "quick exit" link that leaves the
// site at once and the emergency numbers 111, 113 and 115.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "intake/result.hpp"

namespace hotline::server {

enum class lang { vi, en };
std::string_view to_string(lang l) noexcept;  // "vi", "en"

// `?lang=` wins when it is "vi" or "en"; otherwise the first of vi/en in
// Accept-Language by q-value; otherwise Vietnamese.
lang pick_language(std::string_view query_lang, std::string_view accept_language);

// Escapes & < > " ' for text and attribute values.
std::string html_escape(std::string_view s);

// The message shown next to a field for a validation error (code + field of
// intake::validate, or the form-level codes `csrf_failed`, `rate_limited`,
// `not_found`, `invalid_code`).
std::string error_message(lang l, const error& e);

// The place is free text (`location_text`) plus the hidden `location_code`
// of a commune picked from the suggestions; an error naming either is shown
// next to the place field.
struct report_form {
    std::map<std::string, std::string> values;  // field name -> what was typed (kept on errors)
    std::vector<error> errors;                  // shown next to their fields; field "" on top
    std::string csrf_token;
};
std::string render_report_form(lang l, const report_form& f);

struct receipt_page {
    std::string tracking_code;   // grouped, "7KQ2-M9XD"
    std::string access_secret;   // grouped, "4821 0937"
    std::string received_at;     // local time, "29/11/2026 09:05 (UTC+7)"
    std::string status_path;     // "/status" (the form to come back to)
};
std::string render_receipt(lang l, const receipt_page& r);

struct status_form {
    std::string tracking_code;   // kept on errors
    std::vector<error> errors;
    std::string csrf_token;
};
std::string render_status_form(lang l, const status_form& f);

struct status_page {
    std::string tracking_code;   // grouped
    std::string state;           // received|routed|acknowledged|in_progress|closed|unrouted
    std::string received_at;     // local time
    bool forwarded = false;
    bool acknowledged = false;
};
std::string render_status(lang l, const status_page& s);

// ---- acknowledgement links (/a/{token}), for officers ----------------------
//
// What an officer's link shows: the report's short code, urgency, commune
// and deadline, never the reporter or the child. The confirmation page has
// one button, a form that posts back to `action`; nothing changes on GET.
struct ack_page {
    std::string tracking_code;    // grouped
    std::string urgency;          // emergency|high|normal|low, empty when unknown
    std::string commune;          // the commune's name, empty when unknown
    std::string deadline;         // acknowledgement deadline, local time, empty when none
    std::string action;           // where the form posts: "/a/<token>"
    std::string acknowledged_at;  // done / used: local time of the acknowledgement
    bool by_this_contact = false; // used: the acknowledgement was this link's contact's
    bool in_time = false;         // done: before the deadline
};
std::string render_ack_confirm(lang l, const ack_page& p);
std::string render_ack_done(lang l, const ack_page& p);

enum class ack_problem {
    expired,               // 410
    used,                  // 409: says who/when when it was this contact
    not_found,             // 404: forged or unknown link
    not_allowed,           // 403
    already_acknowledged,  // 409
    superseded,            // 409
};
std::string render_ack_problem(lang l, ack_problem why, const ack_page& p);

// A plain page for 404 / 405 / 413 / 429 / 500 and the like.
std::string render_error_page(lang l, int http_status, std::string_view message);

// The stylesheet served at /static/site.css.
std::string_view site_css() noexcept;

// The script served at /static/place.js (server/static/place.js, built in):
// the place field's type-ahead.
std::string_view place_js() noexcept;

}  // namespace hotline::server
