#include "routing/notify.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "intake/sms.hpp"
#include "tests/routing/units_fixture.hpp"

using namespace hotline;
using namespace hotline::routing;
using hotline::routing::test::catalog;

namespace {

// 2026-07-01T04:00:00Z: 11:00 in Hanoi.
const time_point t0 = from_unix_ms(1782878400000);

// An acknowledgement link as the server makes them: a base URL of 24
// characters and a 20-character token.
constexpr std::string_view sample_link = "https://baocao111.gov.vn/a/2345678ABCDEFGHJKMNP";

notification_facts facts_for(const commune& c, std::string_view link_text = {},
                             intake::urgency level = intake::urgency::emergency) {
    notification_facts f;
    f.level = level;
    f.tracking_code = "7KQ2M9XD";
    f.commune_type = c.type;
    f.commune_name = c.name;
    if (const auto* p = catalog().find_province(c.province_code)) {
        f.province_name = p->name;
        f.province_type = p->type;
    }
    f.ack_due = t0 + std::chrono::minutes(15);
    f.link = link_text;
    return f;
}

bool plain_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= ' ' && c < '~' && c != '`' && c != '^'; });
}

const commune& ward() {
    const auto* c = catalog().find_commune("05983");
    REQUIRE(c != nullptr);
    return *c;
}

}  // namespace

TEST_CASE("notification text: every fact in one GSM-7 segment") {
    const auto n = notification_text(facts_for(ward(), sample_link));
    CHECK(n.text ==
          "KHAN CAP: Tin bao 7KQ2-M9XD tai Phuong Luong Van Tri. Han xac nhan 11:15 01/07. Tra loi OK 7KQ2M9XD "
          "hoac mo https://baocao111.gov.vn/a/2345678ABCDEFGHJKMNP");
    CHECK(n.segments == 1);
    CHECK(n.dropped == part_province);

    const auto plain = notification_text(facts_for(ward()));
    CHECK(plain.text ==
          "KHAN CAP: Tin bao 7KQ2-M9XD tai Phuong Luong Van Tri, Lang Son. Han xac nhan 11:15 01/07. "
          "Tra loi OK 7KQ2M9XD");
    CHECK(plain.dropped == 0);
    CHECK(plain.segments == 1);
    CHECK(intake::measure_sms(plain.text).encoding == intake::sms_encoding::gsm7);
}

TEST_CASE("notification text: every commune of the catalog fits one segment, with and without a link") {
    std::size_t longest = 0, longest_with_link = 0, dropped_province = 0, dropped_type = 0;
    std::string longest_name;
    for (const auto& c : catalog().communes()) {
        for (bool reminder : {false, true}) {
            auto f = facts_for(c);
            f.reminder = reminder;
            const auto n = notification_text(f);
            CAPTURE(n.text);
            REQUIRE(n.segments == 1);
            REQUIRE(n.dropped == 0);  // without a link everything fits, the province included
            REQUIRE(plain_ascii(n.text));
            if (n.text.size() > longest) {
                longest = n.text.size();
                longest_name = c.full_name;
            }
        }
        const auto w = notification_text(facts_for(c, sample_link));
        CAPTURE(w.text);
        REQUIRE(w.segments == 1);
        REQUIRE(plain_ascii(w.text));
        // The place itself, the link and the deadline are always there.
        REQUIRE((w.dropped & (part_place | part_link | part_deadline)) == 0);
        REQUIRE(w.text.find(sample_link) != std::string::npos);
        longest_with_link = std::max(longest_with_link, w.text.size());
        dropped_province += (w.dropped & part_province) != 0;
        dropped_type += (w.dropped & part_commune_type) != 0;
    }
    MESSAGE("longest text without a link: " << longest << " characters (" << longest_name
                                            << "); with a link: " << longest_with_link << "; the link cost the "
                                            << "province in " << dropped_province << " and the type word in "
                                            << dropped_type << " of " << catalog().communes().size() << " communes");
    CHECK(longest <= single_segment_chars);
    CHECK(longest_with_link <= single_segment_chars);
}

TEST_CASE("notification text: the longest commune name loses the province, then its type word, never the code") {
    const auto* c = catalog().find_commune("00226");  // Phường Văn Miếu - Quốc Tử Giám
    REQUIRE(c != nullptr);
    const auto n = notification_text(facts_for(*c, sample_link));
    CHECK(n.dropped == (part_province | part_commune_type));
    CHECK(n.text ==
          "KHAN CAP: Tin bao 7KQ2-M9XD tai Van Mieu - Quoc Tu Giam. Han xac nhan 11:15 01/07. Tra loi OK 7KQ2M9XD "
          "hoac mo https://baocao111.gov.vn/a/2345678ABCDEFGHJKMNP");
    CHECK(n.segments == 1);
}

TEST_CASE("notification text: parts are left out in the documented order, the essentials never") {
    const std::string long_base = "https://" + std::string(30, 'x') + ".example/a/2345678ABCDEFGHJKMNP";
    auto f = facts_for(ward(), long_base);
    auto n = notification_text(f);
    CHECK(n.dropped == (part_province | part_commune_type | part_place));
    CHECK(n.segments == 1);
    CHECK(n.text.find(long_base) != std::string::npos);
    CHECK(n.text.find("Han xac nhan 11:15 01/07") != std::string::npos);

    const std::string longer = "https://" + std::string(100, 'x') + ".example/a/2345678ABCDEFGHJKMNP";
    f.link = longer;
    n = notification_text(f);
    CHECK(n.dropped == (part_province | part_commune_type | part_place | part_link));
    CHECK(n.text == "KHAN CAP: Tin bao 7KQ2-M9XD. Han xac nhan 11:15 01/07. Tra loi OK 7KQ2M9XD");

    // A name nobody could fit: everything optional goes, the rest is sent
    // as it is.
    const std::string huge(400, 'a');
    f.link = {};
    f.commune_name = huge;
    f.ack_due.reset();
    n = notification_text(f);
    CHECK(n.text == "KHAN CAP: Tin bao 7KQ2-M9XD. Tra loi OK 7KQ2M9XD");
    CHECK(n.dropped == (part_province | part_commune_type | part_place));
}

TEST_CASE("notification text: every urgency, and the reminder") {
    const struct {
        intake::urgency level;
        const char* word;
    } cases[] = {{intake::urgency::emergency, "KHAN CAP"},
                 {intake::urgency::high, "CAO"},
                 {intake::urgency::normal, "THUONG"},
                 {intake::urgency::low, "THAP"}};
    for (const auto& k : cases) {
        CAPTURE(k.word);
        CHECK(urgency_word(k.level) == k.word);
        auto f = facts_for(ward(), {}, k.level);
        const auto n = notification_text(f);
        CHECK(n.text.rfind(std::string(k.word) + ": Tin bao 7KQ2-M9XD tai ", 0) == 0);
        f.reminder = true;
        const auto r = notification_text(f);
        CHECK(r.text == "NHAC LAI - " + n.text);
        CHECK(r.segments == 1);
    }
}

TEST_CASE("notification text: names are folded to plain ASCII") {
    CHECK(fold_for_sms("Phường Đồng  Xoài") == "Phuong Dong Xoai");
    CHECK(fold_for_sms("  Hoà Bình ") == "Hoa Binh");
    CHECK(fold_for_sms("H'Leo [x] {y} ~z| €") == "H'Leo x y z");
    CHECK(fold_for_sms("Bà Rịa – Vũng Tàu") == "Ba Ria Vung Tau");  // an en dash is not GSM-7
    CHECK(fold_for_sms("Đặc khu Côn Đảo") == "Dac khu Con Dao");

    notification_facts f;
    f.tracking_code = "7kq2-m9xd";  // grouped or not, as the caller has it
    f.commune_type = "đặc khu";
    f.commune_name = "Côn Đảo";
    f.province_name = "Thành phố Hồ Chí Minh";
    const auto n = notification_text(f);
    CHECK(n.text == "THUONG: Tin bao 7kq2-m9xd tai Dac khu Con Dao, Thanh pho Ho Chi Minh. Tra loi OK 7kq2m9xd");
    CHECK(intake::measure_sms(n.text).encoding == intake::sms_encoding::gsm7);
}

TEST_CASE("notification text: without a commune the province is the place, without either none") {
    notification_facts f;
    f.level = intake::urgency::high;
    f.tracking_code = "7KQ2M9XD";
    f.province_name = "Lạng Sơn";
    f.province_type = "tỉnh";
    CHECK(notification_text(f).text == "CAO: Tin bao 7KQ2-M9XD tai Tinh Lang Son. Tra loi OK 7KQ2M9XD");
    f.province_name = {};
    CHECK(notification_text(f).text == "CAO: Tin bao 7KQ2-M9XD. Tra loi OK 7KQ2M9XD");
    // Codes stand in for names when no catalog named them.
    f.commune_name = "05983";
    CHECK(notification_text(f).text == "CAO: Tin bao 7KQ2-M9XD tai 05983. Tra loi OK 7KQ2M9XD");
}

TEST_CASE("notification text: a link that is not plain ASCII is left out rather than changed") {
    auto f = facts_for(ward(), "https://báo.vn/a/X");
    const auto n = notification_text(f);
    CHECK(n.text.find("hoac mo") == std::string::npos);
    CHECK(n.dropped == 0);
}

TEST_CASE("notification deadline: Vietnam time across the UTC day and month boundary") {
    // 16:59 UTC is 23:59 the same day in Hanoi; 17:00 UTC is 00:00 the next.
    CHECK(format_notification_deadline(from_unix_ms(1782925140000)) == "23:59 01/07");  // 2026-07-01T16:59Z
    CHECK(format_notification_deadline(from_unix_ms(1782925200000)) == "00:00 02/07");  // 2026-07-01T17:00Z
    // 2026-06-30T20:30Z is 03:30 on 1 July in Hanoi: the month changes too.
    CHECK(format_notification_deadline(from_unix_ms(1782851400000)) == "03:30 01/07");
    // 2026-12-31T18:05Z: 01:05 on New Year's Day.
    CHECK(format_notification_deadline(from_unix_ms(1798740300000)) == "01:05 01/01");
    auto f = facts_for(ward());
    f.ack_due = from_unix_ms(1782925200000);
    CHECK(notification_text(f).text.find("Han xac nhan 00:00 02/07.") != std::string::npos);
}
