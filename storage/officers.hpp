#pragma once
// Officers in the database: their API tokens, who may acknowledge what, and
// the single-use acknowledgement links sent in notifications.
//
// Tokens: 32 random bytes shown once as 43 characters of base64url; only
// their BLAKE2b-256 hash is stored (table officer_tokens, migration 7). A
// token is a high-entropy secret, so a fast hash is enough; comparisons are
// by hash lookup, never by the token itself. Tokens never appear in logs.
//
// Acknowledgement links (table ack_links): a link is a row (assignment,
// contact, expiry, used) and its token is the row id with a MAC under the
// link key (derived from the server key, purpose "ack-link"), in the
// tracking code's alphabet, so it cannot be forged or guessed and needs no
// other secret in the database. It works once, until it expires.
//
// Who may acknowledge an assignment (one rule for API, SMS and links):
// its assignee; or, for an assignment whose unit is a unit the contact
// belongs to (same unit_code), any active contact of that unit who is on
// duty at that moment (the roster); for a queue assignment, an active
// contact of that unit whose role is province_coordinator (queue
// "province") or hotline (queue "hotline") on duty.
//
// Functions run on the caller's connection (database::read or write; those
// that change rows in a write). Thread-safety: that of the connection.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "intake/tracking_code.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage {

// ---- tokens -----------------------------------------------------------------

struct issued_token {
    std::int64_t id = 0;
    std::string token;  // shown once
};

// A new token for the active contact `contact_key`. Errors: `not_found` (no
// such contact), `inactive_contact`.
result<issued_token> create_officer_token(connection& c, std::string_view contact_key, std::string label,
                                          time_point now);

// Revokes every token of the contact; returns how many were live.
result<std::size_t> revoke_officer_tokens(connection& c, std::string_view contact_key, time_point now);

// The active contact a live token belongs to, or none (unknown, revoked,
// contact inactive, or a malformed token).
result<std::optional<std::int64_t>> contact_for_token(connection& c, std::string_view token);

// ---- who may acknowledge ------------------------------------------------------

enum class ack_permission { assignee, colleague_on_duty, refused };

// Errors: `not_found` (no such assignment or contact).
result<ack_permission> may_acknowledge(connection& c, std::int64_t assignment_id, std::int64_t contact_id,
                                       time_point now);

// ---- acknowledgement links -----------------------------------------------------

// A link for `contact_id` to acknowledge `assignment_id`, valid until
// `expires`. Returns the token (URL-safe, about 20 characters).
result<std::string> create_ack_link(connection& c, std::int64_t assignment_id, std::int64_t contact_id,
                                    time_point now, time_point expires, const intake::secret_key& link_key);

struct ack_link {
    std::int64_t id = 0;
    std::int64_t assignment_id = 0;
    std::int64_t contact_id = 0;
    time_point expires_at;
    std::optional<time_point> used_at;
};

// The link a token names, or none for a token that is malformed, forged or
// names no row. Expiry and use are for the caller to judge (the page says
// which).
result<std::optional<ack_link>> find_ack_link(connection& c, std::string_view token,
                                              const intake::secret_key& link_key);

// Marks the link used at `now`, only if unused and not expired (a guarded
// UPDATE). Errors: `link_expired`, `link_used`, `not_found`.
result<void> use_ack_link(connection& c, std::int64_t link_id, time_point now);

}  // namespace hotline::storage
