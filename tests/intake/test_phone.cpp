#include "intake/phone.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace hotline::intake;

TEST_CASE("normalize_vn_phone accepts the usual ways of writing a number") {
    struct {
        const char* in;
        const char* e164;
    } const cases[] = {
        // Mobile, every form from the contract.
        {"0912345678", "+84912345678"},
        {"0912 345 678", "+84912345678"},
        {"0912.345.678", "+84912345678"},
        {"0912-345-678", "+84912345678"},
        {"84912345678", "+84912345678"},
        {"+84912345678", "+84912345678"},
        {"+84 912 345 678", "+84912345678"},
        {"(+84) 912345678", "+84912345678"},
        {"(+84)912.345.678", "+84912345678"},
        {"0084912345678", "+84912345678"},
        {"0084 912 345 678", "+84912345678"},
        {"(0912) 345-678", "+84912345678"},
        {"  0912 345 678 \t", "+84912345678"},
        // The trunk 0 kept after the country code.
        {"+84 0912 345 678", "+84912345678"},
        {"(+84) 0912345678", "+84912345678"},
        {"0084 0912345678", "+84912345678"},
        // Each mobile prefix family.
        {"0321234567", "+84321234567"},
        {"0561234567", "+84561234567"},
        {"0701234567", "+84701234567"},
        {"0843456789", "+84843456789"},
        {"84843456789", "+84843456789"},
        {"0981234567", "+84981234567"},
        // Landlines: 0 + 2 + area code + subscriber, 11 digits with the 0.
        {"024 3826 4444", "+842438264444"},
        {"(024) 3826.4444", "+842438264444"},
        {"+84 24 3826 4444", "+842438264444"},
        {"842438264444", "+842438264444"},
        {"028 3829 5555", "+842838295555"},
        {"0236 382 1234", "+842363821234"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.in);
        const auto r = normalize_vn_phone(c.in);
        REQUIRE(r.has_value());
        CHECK(*r == c.e164);
    }
}

TEST_CASE("normalize_vn_phone refuses what is not a Vietnamese number") {
    const char* const cases[] = {
        "",
        "   ",
        "not a phone",
        "0912abc678",
        "0912 345 67O",           // letter O for zero
        "091234567",              // 9 digits with 0: too short
        "09123456789",            // 11 digits mobile: too long
        "+8491234567",            // too short after +84
        "+849123456789",          // too long after +84
        "0243826444",             // landline one digit short
        "024382644441",           // landline one digit long
        "01234567890",            // old 11-digit 01x mobile
        "0123456789",             // 01x, 10 digits
        "0412345678",             // 04x not in use
        "0612345678",             // 06x not in use
        "0012345678",             // 00 without 84
        "912345678",              // no prefix at all
        "+1 415 555 0100",        // another country
        "+33 6 12 34 56 78",
        "0044 20 7946 0958",
        "+84 +912345678",         // two pluses
        "0912+345678",            // plus in the middle
        "0912_345_678",           // unsupported separator
        "0912/345/678",
        "0912 345 678 ext 2",
        "＋84912345678",           // full-width plus
        "０９１２３４５６７８",     // full-width digits
        "1900 1234",              // service number
        "111",                    // the hotline itself
        "+84",
        "0",
        "0084",
        "+84 00 912 345 678",     // two trunk zeros
        "09123456780912345678",
    };
    for (const char* in : cases) {
        CAPTURE(in);
        const auto r = normalize_vn_phone(in);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.err().code == "invalid_phone");
        CHECK(r.err().field.empty());
        CHECK_FALSE(r.err().message.empty());
    }
}

TEST_CASE("normalize_vn_phone is stable on its own output") {
    for (const char* in : {"0912 345 678", "024 3826 4444", "0084 843 456 789"}) {
        CAPTURE(in);
        const auto once = normalize_vn_phone(in);
        REQUIRE(once.has_value());
        const auto twice = normalize_vn_phone(*once);
        REQUIRE(twice.has_value());
        CHECK(*twice == *once);
    }
}
