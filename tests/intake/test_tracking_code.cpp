#include "intake/tracking_code.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

using namespace hotline::intake;

namespace {

secret_key key_from(std::uint8_t seed) {
    secret_key k;
    for (std::size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + 1);
    return k;
}

bool in_alphabet(char c) { return tracking_alphabet.find(c) != std::string_view::npos; }

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::size_t common_prefix(std::string_view a, std::string_view b) {
    std::size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n])
        ++n;
    return n;
}

}  // namespace

TEST_CASE("the alphabet has 31 distinct symbols without look-alikes") {
    CHECK(tracking_alphabet.size() == 31);
    const std::set<char> distinct(tracking_alphabet.begin(), tracking_alphabet.end());
    CHECK(distinct.size() == 31);
    for (const char c : {'0', 'O', '1', 'I', 'L'}) {
        CAPTURE(c);
        CHECK_FALSE(in_alphabet(c));
    }
    for (const char c : tracking_alphabet) {
        CAPTURE(c);
        CHECK(((c >= '2' && c <= '9') || (c >= 'A' && c <= 'Z')));
    }
    std::uint64_t d = 1;
    for (int i = 0; i < 8; ++i)
        d *= 31;
    CHECK(d == tracking_domain);
}

TEST_CASE("encode gives 8 alphabet characters and decode inverts it") {
    const tracking_codec codec(key_from(1));
    std::vector<std::uint64_t> ids = {0,
                                      1,
                                      2,
                                      41,
                                      1'000'000,
                                      (std::uint64_t{1} << 32) + 5,
                                      (std::uint64_t{1} << 39),
                                      tracking_domain / 2,
                                      tracking_domain - 2,
                                      tracking_domain - 1};
    std::mt19937_64 rng(20240611);
    std::uniform_int_distribution<std::uint64_t> any(0, tracking_domain - 1);
    for (int i = 0; i < 20'000; ++i)
        ids.push_back(any(rng));
    for (const std::uint64_t id : ids) {
        const std::string code = codec.encode(id);
        REQUIRE(code.size() == 8);
        for (const char c : code)
            REQUIRE(in_alphabet(c));
        const auto back = codec.decode(code);
        REQUIRE(back.has_value());
        REQUIRE(*back == id);
    }
}

TEST_CASE("encode refuses ids outside the domain") {
    const tracking_codec codec(key_from(1));
    CHECK_THROWS_AS((void)codec.encode(tracking_domain), std::out_of_range);
    CHECK_THROWS_AS((void)codec.encode(~std::uint64_t{0}), std::out_of_range);
}

TEST_CASE("codes of 200000 consecutive ids are unique") {
    const tracking_codec codec(key_from(2));
    std::unordered_set<std::string> seen;
    seen.reserve(200'000);
    for (std::uint64_t id = 1; id <= 200'000; ++id)
        REQUIRE(seen.insert(codec.encode(id)).second);
}

TEST_CASE("every code in the domain decodes to an id in the domain") {
    // decode is a bijection too: arbitrary well-formed codes map to ids that
    // encode back to the same code.
    const tracking_codec codec(key_from(3));
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::size_t> pick(0, tracking_alphabet.size() - 1);
    for (int i = 0; i < 5'000; ++i) {
        std::string code(8, ' ');
        for (char& c : code)
            c = tracking_alphabet[pick(rng)];
        const auto id = codec.decode(code);
        REQUIRE(id.has_value());
        REQUIRE(*id < tracking_domain);
        REQUIRE(codec.encode(*id) == code);
    }
    for (const std::string_view code : {"22222222", "ZZZZZZZZ"}) {
        const auto id = codec.decode(code);
        REQUIRE(id.has_value());
        CHECK(codec.encode(*id) == code);
    }
}

TEST_CASE("grouped inserts a dash between the two groups of four") {
    CHECK(tracking_codec::grouped("7KQ2M9XD") == "7KQ2-M9XD");
    const tracking_codec codec(key_from(1));
    const std::string code = codec.encode(12345);
    const std::string g = tracking_codec::grouped(code);
    CHECK(g.size() == 9);
    CHECK(g[4] == '-');
    CHECK(g.substr(0, 4) == code.substr(0, 4));
    CHECK(g.substr(5) == code.substr(4));
    CHECK(codec.decode(g) == 12345u);
}

TEST_CASE("decode accepts what people type") {
    const tracking_codec codec(key_from(4));
    const std::uint64_t id = 987654;
    const std::string code = codec.encode(id);
    const std::string g = tracking_codec::grouped(code);
    std::string lower = g;
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string mixed = code;
    for (std::size_t i = 0; i < mixed.size(); i += 2)
        mixed[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(mixed[i])));
    const std::string typed[] = {
        code,
        g,
        lower,
        mixed,
        "  " + g + "  ",
        "\t" + code + "\n",
        "\xC2\xA0" + g + "\xE3\x80\x80",  // no-break and ideographic spaces
        code.substr(0, 4) + " " + code.substr(4),    // a space where the dash goes
    };
    for (const auto& t : typed) {
        CAPTURE(t);
        CHECK(codec.decode(t) == id);
    }
}

TEST_CASE("decode refuses malformed codes") {
    const tracking_codec codec(key_from(4));
    const std::string code = codec.encode(42);
    const std::string g = tracking_codec::grouped(code);
    const std::string bad[] = {
        "",
        "   ",
        code.substr(0, 7),
        code + "2",
        g.substr(0, 8),
        g + "2",
        code.substr(0, 4) + "--" + code.substr(4),   // two dashes
        code.substr(0, 3) + "-" + code.substr(3),    // dash in the wrong place
        code.substr(0, 5) + "-" + code.substr(5),
        "-" + code,
        code + "-",
        code.substr(0, 4) + "_" + code.substr(4),
        "2222222O",  // letter O
        "22222220",  // digit zero
        "22222221",  // digit one
        "2222222I",  // letter I
        "2222222L",  // letter L
        "2222222l",  // lower-case L
        "2222222i",
        "2222222o",
        "2222222!",
        "22\xC3\x89" "22222",   // É
        "2222222\xC0",          // not UTF-8
        std::string("2222\0" "222", 8),
        std::string(1000, '2'),
    };
    for (const auto& b : bad) {
        CAPTURE(b);
        CHECK_FALSE(codec.decode(b).has_value());
    }
}

TEST_CASE("different keys give different codes") {
    const tracking_codec a(key_from(10));
    const tracking_codec b(key_from(11));
    int same = 0;
    for (std::uint64_t id = 0; id < 1000; ++id)
        same += a.encode(id) == b.encode(id);
    CHECK(same == 0);
    // And a code of one key does not decode to the same id under the other.
    CHECK(b.decode(a.encode(77)) != 77u);
    // The same key gives the same codes in another instance.
    const tracking_codec a2(key_from(10));
    CHECK(a2.encode(77) == a.encode(77));
}

TEST_CASE("consecutive ids give unrelated codes") {
    // Smoke check of unpredictability: with 31 symbols, two unrelated codes
    // share a first character about 1 time in 31 and a 3-character prefix
    // about 1 in 30000.
    const tracking_codec codec(key_from(5));
    int shared_first = 0;
    int shared_three = 0;
    int shared_suffix = 0;
    std::string prev = codec.encode(0);
    constexpr int n = 10'000;
    for (std::uint64_t id = 1; id <= n; ++id) {
        const std::string cur = codec.encode(id);
        const std::size_t p = common_prefix(prev, cur);
        shared_first += p >= 1;
        shared_three += p >= 3;
        // Nor a long suffix (about 1 in 900000 for unrelated codes).
        shared_suffix += cur.substr(4) == prev.substr(4);
        prev = cur;
    }
    CHECK(shared_first < n / 10);
    CHECK(shared_three < 10);
    CHECK(shared_suffix < 3);

    // Each position uses the whole alphabet over a run of consecutive ids.
    for (std::size_t pos = 0; pos < 8; ++pos) {
        std::set<char> used;
        for (std::uint64_t id = 0; id < 2000; ++id)
            used.insert(codec.encode(id)[pos]);
        CAPTURE(pos);
        CHECK(used.size() == 31);
    }
}

TEST_CASE("new_access_secret gives 8 random digits") {
    std::set<std::string> seen;
    std::vector<int> first_digit(10, 0);
    for (int i = 0; i < 2000; ++i) {
        const std::string s = new_access_secret();
        REQUIRE(s.size() == 8);
        REQUIRE(all_digits(s));
        seen.insert(s);
        ++first_digit[s[0] - '0'];
    }
    CHECK(seen.size() > 1990);
    // Leading zeros are kept: every first digit, 0 included, shows up.
    for (int d = 0; d < 10; ++d) {
        CAPTURE(d);
        CHECK(first_digit[d] > 0);
    }
}

TEST_CASE("grouped_secret and parse_access_secret") {
    CHECK(grouped_secret("48210937") == "4821 0937");
    CHECK(grouped_secret("00000001") == "0000 0001");

    struct {
        const char* typed;
        std::optional<std::string> digits;
    } const cases[] = {
        {"48210937", "48210937"},
        {"4821 0937", "48210937"},
        {"  4821 0937 ", "48210937"},
        {"4821-0937", "48210937"},
        {"4821.0937", "48210937"},
        {"48 21 09 37", "48210937"},
        {"\t4821\t0937", "48210937"},
        {"00000000", "00000000"},
        {"", std::nullopt},
        {"4821093", std::nullopt},
        {"482109371", std::nullopt},
        {"4821 093", std::nullopt},
        {"4821O937", std::nullopt},
        {"4821_0937", std::nullopt},
        {"+48210937", std::nullopt},
        {"4821\xC2\xA0" "0937", std::nullopt},
        {"４８２１０９３７", std::nullopt},
    };
    for (const auto& c : cases) {
        CAPTURE(c.typed);
        CHECK(parse_access_secret(c.typed) == c.digits);
    }
    const std::string s = new_access_secret();
    CHECK(parse_access_secret(grouped_secret(s)) == s);
}

TEST_CASE("secret_hasher verifies the right secret only") {
    const secret_hasher hasher(key_from(6));
    const std::string secret = "48210937";
    const secret_hash h = hasher.hash(secret);
    CHECK(hasher.verify(secret, h));
    CHECK_FALSE(hasher.verify("48210938", h));
    CHECK_FALSE(hasher.verify("4821 0937", h));
    CHECK_FALSE(hasher.verify("", h));

    // A different salt or hash byte breaks verification.
    secret_hash tampered = h;
    tampered.salt[0] ^= 1;
    CHECK_FALSE(hasher.verify(secret, tampered));
    tampered = h;
    tampered.hash[31] ^= 0x80;
    CHECK_FALSE(hasher.verify(secret, tampered));

    // Another key does not verify.
    const secret_hasher other(key_from(7));
    CHECK_FALSE(other.verify(secret, h));
}

TEST_CASE("secret_hasher salts are random and hashing is deterministic per salt") {
    const secret_hasher hasher(key_from(6));
    const secret_hash a = hasher.hash("12345678");
    const secret_hash b = hasher.hash("12345678");
    CHECK(a.salt != b.salt);
    CHECK(a.hash != b.hash);
    CHECK(hasher.verify("12345678", a));
    CHECK(hasher.verify("12345678", b));

    const std::array<std::uint8_t, 16> salt{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const secret_hash c = hasher.hash("12345678", salt);
    const secret_hash d = hasher.hash("12345678", salt);
    CHECK(c.salt == salt);
    CHECK(c.hash == d.hash);
    CHECK(hasher.hash("12345679", salt).hash != c.hash);
    CHECK(hasher.verify("12345678", c));
}

TEST_CASE("derived_access_secret is deterministic per material and key") {
    const secret_key k = key_from(8);
    const std::string a = derived_access_secret(k, "idem-key-1");
    CHECK(a.size() == 8);
    CHECK(all_digits(a));
    CHECK(derived_access_secret(k, "idem-key-1") == a);
    CHECK(derived_access_secret(k, "idem-key-2") != a);
    CHECK(derived_access_secret(key_from(9), "idem-key-1") != a);

    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string s = derived_access_secret(k, "material-" + std::to_string(i));
        REQUIRE(s.size() == 8);
        REQUIRE(all_digits(s));
        seen.insert(s);
    }
    CHECK(seen.size() > 990);
    CHECK(derived_access_secret(k, "").size() == 8);
}

TEST_CASE("derive_key gives independent keys per purpose") {
    const secret_key master = key_from(12);
    const secret_key t = derive_key(master, "tracking-code");
    const secret_key s = derive_key(master, "access-secret");
    const secret_key c = derive_key(master, "csrf");
    CHECK(t != s);
    CHECK(t != c);
    CHECK(s != c);
    CHECK(t != master);
    CHECK(derive_key(master, "tracking-code") == t);
    CHECK(derive_key(key_from(13), "tracking-code") != t);

    // Derived keys lead to different codes.
    const tracking_codec a(t);
    const tracking_codec b(s);
    CHECK(a.encode(1) != b.encode(1));
}
