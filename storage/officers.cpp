#include "storage/officers.hpp"

#include <sodium.h>

#include <array>
#include <cstring>
#include <utility>

#include "routing/directory.hpp"
#include "storage/detail/sql.hpp"
#include "storage/directory.hpp"

namespace hotline::storage {

namespace {

using detail::failure;
using detail::prepare_bound;
using detail::run_bound;

constexpr std::size_t token_bytes = 32;
constexpr std::size_t token_chars = 43;  // base64url of 32 bytes, no padding

// Link tokens: the row id in 8 symbols of the tracking alphabet, then the MAC
// in 12 (31^12 > 2^59: guessing one is hopeless, and a guess costs a request).
constexpr std::size_t link_id_chars = 8;
constexpr std::size_t link_mac_chars = 12;

void ensure_sodium() {
    // sodium_init is idempotent and thread-safe; a function-local static runs it once.
    static const int rc = sodium_init();
    (void)rc;
}

std::array<std::uint8_t, 32> token_hash(std::string_view token) {
    std::array<std::uint8_t, 32> out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       nullptr, 0);
    return out;
}

bool is_base64url(std::string_view s) {
    for (char ch : s) {
        const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                        ch == '-' || ch == '_';
        if (!ok) return false;
    }
    return true;
}

struct contact_row {
    std::int64_t id = 0;
    std::string key;
    std::string role;
    std::string unit_code;
    bool active = false;
};

result<std::optional<contact_row>> contact_by_id(connection& c, std::int64_t id) {
    auto st = prepare_bound(c, "SELECT id, key, role, unit_code, active FROM contacts WHERE id = ?1", id);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return std::optional<contact_row>();
    const statement& s = **st;
    return std::optional<contact_row>(
        contact_row{s.column_int64(0), s.column_text(1), s.column_text(2), s.column_text(3), s.column_int64(4) != 0});
}

result<std::optional<contact_row>> contact_by_key(connection& c, std::string_view key) {
    std::int64_t id = 0;
    {
        auto st = prepare_bound(c, "SELECT id FROM contacts WHERE key = ?1", key);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return std::optional<contact_row>();
        id = (*st)->column_int64(0);
    }
    return contact_by_id(c, id);
}

// The tracking alphabet as base 31, most significant symbol first, `width` symbols.
std::string base31(std::uint64_t v, std::size_t width) {
    std::string out(width, '2');
    for (std::size_t i = width; i-- > 0;) {
        out[i] = intake::tracking_alphabet[v % 31];
        v /= 31;
    }
    return out;
}

std::optional<std::uint64_t> parse_base31(std::string_view s) {
    std::uint64_t v = 0;
    for (char ch : s) {
        const auto pos = intake::tracking_alphabet.find(ch);
        if (pos == std::string_view::npos) return std::nullopt;
        v = v * 31 + pos;
    }
    return v;
}

std::string link_mac(std::uint64_t id, const intake::secret_key& key) {
    unsigned char in[8 + 8];
    std::memcpy(in, "ack-link", 8);
    for (int i = 0; i < 8; ++i) in[8 + i] = static_cast<unsigned char>(id >> (8 * i));
    unsigned char out[16];
    crypto_generichash(out, sizeof out, in, sizeof in, key.data(), key.size());
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(out[i]) << (8 * i);
    // 31^12 fits in 60 bits; the modulo's bias over 64 bits is negligible.
    std::uint64_t domain = 1;
    for (std::size_t i = 0; i < link_mac_chars; ++i) domain *= 31;
    return base31(v % domain, link_mac_chars);
}

}  // namespace

// ---- tokens -----------------------------------------------------------------

result<issued_token> create_officer_token(connection& c, std::string_view contact_key, std::string label,
                                          time_point now) {
    auto k = contact_by_key(c, contact_key);
    if (!k) return std::move(k).err();
    if (!*k) return make_error("not_found", "no contact with this key", "contact");
    if (!(*k)->active) return make_error("inactive_contact", "the contact is not active", "contact");
    ensure_sodium();
    unsigned char raw[token_bytes];
    randombytes_buf(raw, sizeof raw);
    char text[sodium_base64_ENCODED_LEN(token_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    issued_token out;
    out.token = text;
    sodium_memzero(text, sizeof text);
    const auto hash = token_hash(out.token);
    std::optional<std::string_view> lbl;
    if (!label.empty()) lbl = label;
    if (auto r = run_bound(c,
                           "INSERT INTO officer_tokens (contact_id, token_hash, label, created_at) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           (*k)->id, std::span<const std::uint8_t>(hash), lbl, to_unix_ms(now));
        !r)
        return std::move(r).err();
    out.id = c.last_insert_rowid();
    return out;
}

result<std::size_t> revoke_officer_tokens(connection& c, std::string_view contact_key, time_point now) {
    auto k = contact_by_key(c, contact_key);
    if (!k) return std::move(k).err();
    if (!*k) return make_error("not_found", "no contact with this key", "contact");
    if (auto r = run_bound(c,
                           "UPDATE officer_tokens SET revoked_at = ?2 WHERE contact_id = ?1 AND revoked_at IS NULL",
                           (*k)->id, to_unix_ms(now));
        !r)
        return std::move(r).err();
    return static_cast<std::size_t>(c.changes());
}

result<std::optional<std::int64_t>> contact_for_token(connection& c, std::string_view token) {
    if (token.size() != token_chars || !is_base64url(token)) return std::optional<std::int64_t>();
    ensure_sodium();
    const auto hash = token_hash(token);
    auto st = prepare_bound(c,
                            "SELECT t.contact_id FROM officer_tokens AS t JOIN contacts AS k ON k.id = t.contact_id "
                            "WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND k.active = 1",
                            std::span<const std::uint8_t>(hash));
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>((*st)->column_int64(0));
}

// ---- who may acknowledge ------------------------------------------------------

result<ack_permission> may_acknowledge(connection& c, std::int64_t assignment_id, std::int64_t contact_id,
                                       time_point now) {
    std::optional<std::int64_t> assignee;
    std::optional<std::string> queue, unit;
    {
        auto st = prepare_bound(c, "SELECT contact_id, queue, unit_code FROM assignments WHERE id = ?1",
                                assignment_id);
        if (!st) return std::move(st).err();
        auto row = (*st)->step();
        if (!row) return std::move(row).err();
        if (*row != step_result::row) return make_error("not_found", "no such assignment");
        const statement& s = **st;
        assignee = s.column_optional_int64(0);
        queue = s.column_optional_text(1);
        unit = s.column_optional_text(2);
    }
    auto k = contact_by_id(c, contact_id);
    if (!k) return std::move(k).err();
    if (!*k) return make_error("not_found", "no such contact");
    const contact_row& who = **k;
    if (assignee && *assignee == contact_id) return ack_permission::assignee;
    if (!who.active || !unit || *unit != who.unit_code) return ack_permission::refused;
    if (queue) {
        const bool fits = (*queue == "province" && who.role == routing::to_string(routing::role::province_coordinator)) ||
                          (*queue == "hotline" && who.role == routing::to_string(routing::role::hotline_supervisor));
        if (!fits) return ack_permission::refused;
    }
    auto roster = load_roster(c, who.key);
    if (!roster) return std::move(roster).err();
    if (!routing::on_duty(roster->shifts, roster->overrides, now)) return ack_permission::refused;
    return ack_permission::colleague_on_duty;
}

// ---- acknowledgement links -----------------------------------------------------

result<std::string> create_ack_link(connection& c, std::int64_t assignment_id, std::int64_t contact_id,
                                    time_point now, time_point expires, const intake::secret_key& link_key) {
    if (auto r = run_bound(c,
                           "INSERT INTO ack_links (assignment_id, contact_id, created_at, expires_at) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           assignment_id, contact_id, to_unix_ms(now), to_unix_ms(expires));
        !r)
        return std::move(r).err();
    const auto id = static_cast<std::uint64_t>(c.last_insert_rowid());
    if (id >= intake::tracking_domain) return failure("ack link ids are exhausted");
    ensure_sodium();
    return base31(id, link_id_chars) + link_mac(id, link_key);
}

result<std::optional<ack_link>> find_ack_link(connection& c, std::string_view token,
                                              const intake::secret_key& link_key) {
    if (token.size() != link_id_chars + link_mac_chars) return std::optional<ack_link>();
    std::string upper(token);
    for (char& ch : upper)
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    auto id = parse_base31(std::string_view(upper).substr(0, link_id_chars));
    if (!id || !parse_base31(std::string_view(upper).substr(link_id_chars))) return std::optional<ack_link>();
    ensure_sodium();
    const std::string expected = link_mac(*id, link_key);
    if (sodium_memcmp(expected.data(), upper.data() + link_id_chars, link_mac_chars) != 0)
        return std::optional<ack_link>();
    auto st = prepare_bound(c, "SELECT id, assignment_id, contact_id, expires_at, used_at FROM ack_links WHERE id = ?1",
                            static_cast<std::int64_t>(*id));
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return std::optional<ack_link>();
    const statement& s = **st;
    ack_link out;
    out.id = s.column_int64(0);
    out.assignment_id = s.column_int64(1);
    out.contact_id = s.column_int64(2);
    out.expires_at = from_unix_ms(s.column_int64(3));
    if (auto u = s.column_optional_int64(4)) out.used_at = from_unix_ms(*u);
    return std::optional<ack_link>(std::move(out));
}

result<void> use_ack_link(connection& c, std::int64_t link_id, time_point now) {
    const std::int64_t ms = to_unix_ms(now);
    if (auto r = run_bound(c, "UPDATE ack_links SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND expires_at > ?2",
                           link_id, ms);
        !r)
        return r;
    if (c.changes() == 1) return {};
    auto st = prepare_bound(c, "SELECT used_at FROM ack_links WHERE id = ?1", link_id);
    if (!st) return std::move(st).err();
    auto row = (*st)->step();
    if (!row) return std::move(row).err();
    if (*row != step_result::row) return make_error("not_found", "no such link");
    if (!(*st)->column_is_null(0)) return make_error("link_used", "this link was already used");
    return make_error("link_expired", "this link has expired");
}

}  // namespace hotline::storage
