#pragma once
// Tracking codes and access secrets.
//
// A tracking code is 8 characters from a 31-symbol alphabet without the
// look-alikes 0, O, 1, I and L ("23456789ABCDEFGHJKMNPQRSTUVWXYZ"), shown as
// two groups of four ("7KQ2-M9XD"). It is the report's row id passed through
// a keyed pseudo-random permutation of [0, 31^8): unique by construction (no
// random key in a UNIQUE index, no retry), and unpredictable to anyone without
// the server key. The permutation is a balanced Feistel network over 40 bits
// with SipHash-2-4 rounds (libsodium crypto_shorthash), cycle-walked into the
// domain; decoding inverts it, so a code maps back to its row id.
//
// The access secret is 8 decimal digits ("4821 0937" shown, spaces ignored on
// input). It is stored only as a keyed BLAKE2b hash (libsodium
// crypto_generichash) with a per-report random salt: a copy of the database
// alone does not let anyone test guesses.
//
// Thread-safety: all members are const and safe to share between threads.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hotline::intake {

inline constexpr std::string_view tracking_alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
inline constexpr std::uint64_t tracking_domain = 852891037441ULL;  // 31^8

// 32 bytes of key material; derive independent keys for each use.
using secret_key = std::array<std::uint8_t, 32>;

class tracking_codec {
public:
    explicit tracking_codec(const secret_key& key);

    // The 8-character code (no dash) of row id `id`; `id` must be < tracking_domain
    // (std::out_of_range otherwise).
    std::string encode(std::uint64_t id) const;

    // The row id of a code as a person typed it: case-insensitive, with or
    // without the dash (or a space in its place), surrounding spaces ignored. std::nullopt when it is not
    // a well-formed code.
    std::optional<std::uint64_t> decode(std::string_view typed) const;

    // "7KQ2M9XD" -> "7KQ2-M9XD".
    static std::string grouped(std::string_view code);

private:
    std::uint64_t permute(std::uint64_t x) const;
    std::uint64_t unpermute(std::uint64_t x) const;
    std::array<std::uint8_t, 16> round_key_;
};

// A new random access secret: 8 decimal digits, uniform.
std::string new_access_secret();

// "48210937" -> "4821 0937".
std::string grouped_secret(std::string_view secret);

// Digits of a secret as a person typed it (spaces, dashes and dots dropped);
// std::nullopt when anything else remains or the length is not 8.
std::optional<std::string> parse_access_secret(std::string_view typed);

struct secret_hash {
    std::array<std::uint8_t, 16> salt;
    std::array<std::uint8_t, 32> hash;
};

class secret_hasher {
public:
    explicit secret_hasher(const secret_key& key);
    // Hash of `secret` with a fresh random salt.
    secret_hash hash(std::string_view secret) const;
    // Hash of `secret` with the given salt (deterministic).
    secret_hash hash(std::string_view secret, const std::array<std::uint8_t, 16>& salt) const;
    // Constant-time check of `secret` against a stored hash.
    bool verify(std::string_view secret, const secret_hash& stored) const;

private:
    secret_key key_;
};

// Deterministic secret for a request that carries an Idempotency-Key: the
// replay of the same request must return the same secret without the server
// ever storing it. 8 digits derived from a keyed BLAKE2b of `material`.
std::string derived_access_secret(const secret_key& key, std::string_view material);

// Derives an independent 32-byte key for `purpose` ("tracking-code",
// "access-secret", "csrf", ...) from the server's master key.
secret_key derive_key(const secret_key& master, std::string_view purpose);

}  // namespace hotline::intake
