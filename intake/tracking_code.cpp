#include "intake/tracking_code.hpp"

#include <initializer_list>
#include <stdexcept>

#include <sodium.h>

#include "intake/text.hpp"

namespace hotline::intake {

namespace {

// sodium_init must run before randombytes_* and crypto_shorthash. A
// function-local static makes the first call thread-safe (and sodium_init is
// itself idempotent); every entry point that uses libsodium calls this.
void ensure_sodium() {
    static const int rc = sodium_init();
    if (rc < 0)
        throw std::runtime_error("hotline::intake: libsodium failed to initialise");
}

constexpr int feistel_rounds = 10;
constexpr unsigned half_bits = 20;
constexpr std::uint32_t half_mask = (1u << half_bits) - 1;
constexpr std::size_t code_length = 8;
constexpr std::uint32_t secret_modulus = 100'000'000;  // 10^8: eight digits
constexpr std::uint64_t radix = tracking_alphabet.size();

static_assert(radix == 31);
static_assert(tracking_domain == radix * radix * radix * radix * radix * radix * radix * radix);
static_assert(tracking_domain <= (std::uint64_t{1} << (2 * half_bits)));

void store_le32(std::uint8_t* p, std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t load_le64(const std::uint8_t* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

// Round function: SipHash-2-4 of (round index, half), both as little-endian
// 32-bit words, truncated to 20 bits. The round index in the input makes the
// rounds differ although they share one key.
std::uint32_t round_function(const std::array<std::uint8_t, 16>& key, int round,
                             std::uint32_t half) noexcept {
    std::uint8_t in[8];
    store_le32(in, static_cast<std::uint32_t>(round));
    store_le32(in + 4, half);
    std::uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, in, sizeof in, key.data());
    return static_cast<std::uint32_t>(load_le64(out)) & half_mask;
}

// Either direction of the balanced Feistel network over 40 bits.
std::uint64_t feistel(const std::array<std::uint8_t, 16>& key, std::uint64_t x) noexcept {
    std::uint32_t left = static_cast<std::uint32_t>(x >> half_bits) & half_mask;
    std::uint32_t right = static_cast<std::uint32_t>(x) & half_mask;
    for (int r = 0; r < feistel_rounds; ++r) {
        const std::uint32_t next = left ^ round_function(key, r, right);
        left = right;
        right = next;
    }
    return (std::uint64_t{left} << half_bits) | right;
}

std::uint64_t feistel_inverse(const std::array<std::uint8_t, 16>& key, std::uint64_t x) noexcept {
    std::uint32_t left = static_cast<std::uint32_t>(x >> half_bits) & half_mask;
    std::uint32_t right = static_cast<std::uint32_t>(x) & half_mask;
    for (int r = feistel_rounds - 1; r >= 0; --r) {
        const std::uint32_t prev = right ^ round_function(key, r, left);
        right = left;
        left = prev;
    }
    return (std::uint64_t{left} << half_bits) | right;
}

int alphabet_index(char c) noexcept {
    if (c >= 'a' && c <= 'z')
        c = static_cast<char>(c - 'a' + 'A');
    const auto pos = tracking_alphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Eight digits with leading zeros.
std::string eight_digits(std::uint32_t v) {
    std::string s(8, '0');
    for (std::size_t i = s.size(); i-- > 0; v /= 10)
        s[i] = static_cast<char>('0' + v % 10);
    return s;
}

// Keyed BLAKE2b of the concatenation of `parts`, into `out`.
template <std::size_t N>
void keyed_blake2b(std::array<std::uint8_t, N>& out, const secret_key& key,
                   std::initializer_list<std::string_view> parts) noexcept {
    static_assert(N >= crypto_generichash_BYTES_MIN && N <= crypto_generichash_BYTES_MAX);
    crypto_generichash_state state;
    crypto_generichash_init(&state, key.data(), key.size(), N);
    for (const std::string_view p : parts)
        crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(p.data()),
                                  p.size());
    crypto_generichash_final(&state, out.data(), N);
    sodium_memzero(&state, sizeof state);
}

std::string_view as_chars(const std::array<std::uint8_t, 16>& a) noexcept {
    return {reinterpret_cast<const char*>(a.data()), a.size()};
}

}  // namespace

// ---- tracking_codec ---------------------------------------------------------

// The 16-byte SipHash key is the first half of a keyed BLAKE2b of a fixed
// label, so the 32 bytes of `key` all count and the round key is not a raw
// slice of key material that might be used elsewhere.
tracking_codec::tracking_codec(const secret_key& key) {
    ensure_sodium();
    keyed_blake2b(round_key_, key, {"hotline tracking-code feistel v1"});
}

// Cycle walking: the Feistel network permutes [0, 2^40); applying it again
// until the value falls inside [0, 31^8) yields a permutation of that domain
// (each walk follows the cycle of x, and the inverse walks it back). About
// 78% of the 40-bit space is in the domain, so walks are short.
std::uint64_t tracking_codec::permute(std::uint64_t x) const {
    do
        x = feistel(round_key_, x);
    while (x >= tracking_domain);
    return x;
}

std::uint64_t tracking_codec::unpermute(std::uint64_t x) const {
    do
        x = feistel_inverse(round_key_, x);
    while (x >= tracking_domain);
    return x;
}

std::string tracking_codec::encode(std::uint64_t id) const {
    if (id >= tracking_domain)
        throw std::out_of_range("hotline::intake::tracking_codec::encode: id out of range");
    std::uint64_t v = permute(id);
    std::string code(code_length, tracking_alphabet.front());
    for (std::size_t i = code_length; i-- > 0; v /= radix)
        code[i] = tracking_alphabet[v % radix];
    return code;
}

std::optional<std::uint64_t> tracking_codec::decode(std::string_view typed) const {
    // Unicode trim so that a code pasted with a no-break space still reads;
    // anything that is not UTF-8 cannot be a code anyway.
    if (!is_valid_utf8(typed))
        return std::nullopt;
    typed = trim(typed);

    if (typed.size() == code_length + 1) {
        // People read the grouped form aloud or type it on a keypad: the
        // separator may come out as a space.
        if (typed[4] != '-' && typed[4] != ' ')
            return std::nullopt;
    } else if (typed.size() != code_length) {
        return std::nullopt;
    }

    std::uint64_t v = 0;
    for (std::size_t i = 0; i < typed.size(); ++i) {
        if (typed.size() == code_length + 1 && i == 4)
            continue;
        // No look-alike is mapped to its partner (O to 0, I to 1): a code
        // with one is refused rather than guessed at.
        const int d = alphabet_index(typed[i]);
        if (d < 0)
            return std::nullopt;
        v = v * radix + static_cast<std::uint64_t>(d);
    }
    return unpermute(v);
}

// Anything that is not an 8-character code is returned as it is: grouping is
// for display, and a display helper should not fail.
std::string tracking_codec::grouped(std::string_view code) {
    if (code.size() != code_length)
        return std::string(code);
    std::string out(code.substr(0, 4));
    out.push_back('-');
    out.append(code.substr(4));
    return out;
}

// ---- access secrets ---------------------------------------------------------

std::string new_access_secret() {
    ensure_sodium();
    return eight_digits(randombytes_uniform(secret_modulus));
}

// As for codes, anything but 8 characters is shown unchanged.
std::string grouped_secret(std::string_view secret) {
    if (secret.size() != 8)
        return std::string(secret);
    std::string out(secret.substr(0, 4));
    out.push_back(' ');
    out.append(secret.substr(4));
    return out;
}

std::optional<std::string> parse_access_secret(std::string_view typed) {
    std::string digits;
    for (const char c : typed) {
        if (c >= '0' && c <= '9') {
            if (digits.size() == 8)
                return std::nullopt;
            digits.push_back(c);
        } else if (c != ' ' && c != '\t' && c != '-' && c != '.') {
            return std::nullopt;
        }
    }
    if (digits.size() != 8)
        return std::nullopt;
    return digits;
}

secret_hasher::secret_hasher(const secret_key& key) : key_(key) { ensure_sodium(); }

secret_hash secret_hasher::hash(std::string_view secret) const {
    std::array<std::uint8_t, 16> salt;
    randombytes_buf(salt.data(), salt.size());
    return hash(secret, salt);
}

// BLAKE2b keyed with the server key over salt || secret. The key is what
// stops offline guessing (10^8 secrets are few); the salt makes equal
// secrets hash differently.
secret_hash secret_hasher::hash(std::string_view secret,
                                const std::array<std::uint8_t, 16>& salt) const {
    secret_hash out{salt, {}};
    keyed_blake2b(out.hash, key_, {as_chars(salt), secret});
    return out;
}

bool secret_hasher::verify(std::string_view secret, const secret_hash& stored) const {
    const secret_hash candidate = hash(secret, stored.salt);
    return sodium_memcmp(candidate.hash.data(), stored.hash.data(), stored.hash.size()) == 0;
}

// A 64-bit value from keyed BLAKE2b, reduced mod 10^8. The modulo bias is
// (2^64 mod 10^8) / 2^64 < 10^-11 per outcome, far below anything an
// attacker could use, so no rejection loop is needed.
std::string derived_access_secret(const secret_key& key, std::string_view material) {
    ensure_sodium();
    std::array<std::uint8_t, crypto_generichash_BYTES_MIN> out;
    keyed_blake2b(out, key, {material});
    return eight_digits(static_cast<std::uint32_t>(load_le64(out.data()) % secret_modulus));
}

// Keyed BLAKE2b (a PRF) of the purpose string under the master key. Chosen
// over crypto_kdf, whose contexts are limited to 8 bytes and would force
// purposes into short codes.
secret_key derive_key(const secret_key& master, std::string_view purpose) {
    ensure_sodium();
    secret_key out;
    keyed_blake2b(out, master, {purpose});
    return out;
}

}  // namespace hotline::intake
