#include "routing/locate.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/routing/locate_set.hpp"
#include "tests/routing/units_fixture.hpp"

using namespace hotline::routing;
using hotline::routing::test::catalog;
using hotline::routing::test::correct;
using hotline::routing::test::labelled_place;

namespace {

struct expect {
    const char* text;
    std::optional<std::string> commune;
    std::optional<std::string> province;
    std::vector<std::string> candidates = {};  // all of these among the candidates (when commune is null)
};

location_result locate(std::string_view text, std::string_view home = "20") {
    const locator loc(catalog(), home);
    return loc.locate({{}, {}, text});
}

void check_all(const std::vector<expect>& cases, std::string_view home = "20") {
    for (const auto& e : cases) {
        const auto r = locate(e.text, home);
        INFO(e.text, " -> ", r.commune_code.value_or("null"), "/", r.province_code.value_or("null"), " [", r.matched,
             "]");
        CHECK(r.commune_code == e.commune);
        CHECK(r.province_code == e.province);
        if (r.commune_code) {
            CHECK(r.confidence >= 0.5);
            CHECK(r.candidates.empty());
        } else {
            CHECK(r.confidence < 0.5);
        }
        for (const auto& c : e.candidates)
            CHECK_MESSAGE(std::find(r.candidates.begin(), r.candidates.end(), c) != r.candidates.end(), c);
    }
}

}  // namespace

TEST_CASE("locate: names with or without diacritics, either tone placement, any case") {
    check_all({
        {"Xã Hải Yến, huyện Cao Lộc, tỉnh Lạng Sơn", "06220", "20"},
        {"xa hai yen cao loc lang son", "06220", "20"},
        {"XÃ HẢI YẾN, CAO LỘC", "06220", "20"},
        {"Xã Đàm Thủy, huyện Trùng Khánh, Cao Bằng", "01501", "04"},
        {"Xã Đàm Thuỷ, huyện Trùng Khánh, Cao Bằng", "01501", "04"},
        {"xa dam thuy trung khanh cao bang", "01501", "04"},
        {"phường Hoà Khánh Bắc, Liên Chiểu, Đà Nẵng", "20197", "48"},
    });
}

TEST_CASE("locate: unit words and their abbreviations") {
    check_all({
        {"x. Hải Yến, h. Cao Lộc", "06220", "20"},
        {"P. Đông Kinh, TP. Lạng Sơn", "05977", "20"},
        {"ph. Đông Kinh", "05977", "20"},
        {"tt Đồng Đăng", "06184", "20"},
        {"TT. Na Sầm, H. Văn Lãng, T. Lạng Sơn", "06124", "20"},
        {"tx Quảng Yên", std::nullopt, "22"},  // a former town: several communes
        {"Phường Phạm Ngũ Lão, Q.1, TP.HCM", "26743", "79"},
        {"đặc khu Côn Đảo", "26732", "79"},
    });
}

TEST_CASE("locate: numbered wards") {
    check_all({
        {"Phường 1, Quận 3, TP Hồ Chí Minh", "27154", "79"},
        {"p1 q3", "27154", "79"},
        {"P.1, Q.10", "27190", "79"},
        {"phường 01 quận Phú Nhuận", "27058", "79"},
        {"phuong 5 quan 11 sai gon", "27211", "79"},
        {"Phường 5, thành phố Cà Mau", "32025", "96"},
        {"phường 1 Bảo Lộc", "24823", "68"},
        {"Quận 1", std::nullopt, "79", {"26743", "26740"}},
        // Phường 1 of which district? Dozens of them.
        {"Phường 1", std::nullopt, std::nullopt, {"27154", "26890"}},
    });
}

TEST_CASE("locate: former units through the mapping, and former provinces") {
    check_all({
        {"phường Chi Lăng, TP Lạng Sơn", "05983", "20"},
        {"xã Gia Cát", "06187", "20"},
        {"Thị trấn Bình Gia", "06112", "20"},
        {"Xã Lũng Cú, Hà Giang", "00715", "08"},  // Hà Giang is now part of Tuyên Quang
        {"tỉnh Hà Giang", std::nullopt, "08"},
        {"Phường Phú Lợi, TP Thủ Dầu Một, Bình Dương", "25750", "79"},
        {"Xã Trần Phú, huyện Nam Sách, Hải Dương", "10633", "31"},
        {"huyện Côn Đảo, Bà Rịa - Vũng Tàu", "26732", "79"},  // the whole district became one unit
        {"huyện Cao Lộc", std::nullopt, "20", {"06187", "06220"}},
        {"thành phố Phú Quốc, Kiên Giang", std::nullopt, "91", {"31078", "31105"}},
    });
}

TEST_CASE("locate: a former district or city picks between former communes of the same name") {
    check_all({
        {"Xã Kim Đồng, huyện Tràng Định, Lạng Sơn", "06019", "20"},
        {"Xã Kim Đồng, huyện Thạch An, Cao Bằng", "01792", "04"},
        {"xã Hoàng Văn Thụ, huyện Bình Gia", "06112", "20"},
        {"Phường Hoàng Văn Thụ, thành phố Lạng Sơn", "06187", "20"},
        {"Phường Cửa Nam, thành phố Vinh, Nghệ An", "16681", "40"},
        {"Phường Cửa Nam, thành phố Nam Định", "13669", "37"},
        // The district written right after the name is its district: there is no phường 5 in quận 10.
        {"học ở Quận 3 nhưng nhà ở phường 5 quận 10", std::nullopt, std::nullopt},
    });
}

TEST_CASE("locate: a current unit of the exact type and name beats a former one") {
    check_all({
        {"Phường Đông Kinh", "05977", "20"},
        {"Phường Cửa Nam, Hà Nội", "00082", "01"},
        {"xã Chi Lăng", "06463", "20"},  // not the former xã Chi Lăng of Tràng Định (now 06040)
        {"Xã Hoàng Văn Thụ, Lạng Sơn", "06172", "20"},
        {"xã Chi Lăng, huyện Tràng Định", "06040", "20"},  // unless the district says otherwise
    });
}

TEST_CASE("locate: a former unit split among several communes gives them all") {
    check_all({
        {"Phường Tràng Tiền, Hoàn Kiếm, Hà Nội", std::nullopt, "01", {"00070", "00082"}},
        {"phường Láng Hạ, quận Đống Đa", std::nullopt, "01", {"00025", "00199", "00235"}},
        // Other words decide it.
        {"Phường Tràng Tiền cũ, nay là phường Cửa Nam, Hà Nội", "00082", "01"},
    });
}

TEST_CASE("locate: the home province is preferred, a province in the text always wins") {
    const auto ql = [](std::string_view text, std::string_view home) { return locate(text, home).commune_code; };
    // Xã Quảng Lạc was in Lạng Sơn (now 05983) and in Ninh Bình (now 14371).
    CHECK(ql("Xã Quảng Lạc", "20") == "05983");
    CHECK(ql("Xã Quảng Lạc", "37") == "14371");
    CHECK(ql("Xã Quảng Lạc", "") == std::nullopt);
    CHECK(ql("Xã Quảng Lạc, Ninh Bình", "20") == "14371");
    CHECK(ql("Xã Quảng Lạc, tỉnh Lạng Sơn", "37") == "05983");
    const auto unsure = locate("Xã Quảng Lạc", "");
    CHECK(unsure.candidates == std::vector<std::string>{"05983", "14371"});
    // Decided by the home province: lower confidence than with the province written.
    CHECK(locate("Xã Quảng Lạc", "20").confidence < locate("Xã Quảng Lạc, Lạng Sơn", "20").confidence);
    // Where someone comes from is not a province named for the place.
    CHECK(ql("Bé quê Nghệ An, đang ở với mẹ tại phường Đông Kinh", "20") == "05977");
}

TEST_CASE("locate: it never guesses between units") {
    check_all({
        // Current Cửa Nam (Hà Nội) and former ones in Nghệ An and Nam Định.
        {"phường Cửa Nam", std::nullopt, std::nullopt, {"00082", "16681", "13669"}},
        {"Phường Phú Lợi", std::nullopt, std::nullopt, {"25750", "31510"}},
        // xã Đông Kinh is in Hà Tĩnh; phường Đông Kinh in Lạng Sơn.
        {"xa dong kinh", std::nullopt, std::nullopt, {"05977", "18586"}},
        // Văn Lang and Văn Lăng are both in Thái Nguyên: without diacritics, either.
        {"xa van lang thai nguyen", std::nullopt, "19", {"02143", "05665"}},
        {"xã Văn Lăng, Thái Nguyên", "05665", "19"},
        {"tỉnh Cao Bằng, không rõ xã", std::nullopt, "04"},
        {"không biết ở đâu", std::nullopt, std::nullopt},
        {"", std::nullopt, std::nullopt},
    });
}

TEST_CASE("locate: words that only look like units") {
    check_all({
        {"Em muốn hỏi về các vấn đề xã hội liên quan đến trẻ em", std::nullopt, std::nullopt},
        {"phuong phap nao de bao ve tre em", std::nullopt, std::nullopt},
        {"Cơ quan chức năng địa phương không can thiệp", std::nullopt, std::nullopt},
        {"be song xa ba me tu nho", std::nullopt, std::nullopt},
        {"Sau khi tỉnh dậy, cháu kể bị đánh", std::nullopt, std::nullopt},
        {"Bé Hải Yến 7 tuổi bị bố đánh nhiều ngày", std::nullopt, std::nullopt},
        {"Gia đình bé rất khó khăn", std::nullopt, std::nullopt},
        {"Tôi là giáo viên trường tiểu học Kim Đồng", std::nullopt, std::nullopt},
        {"đường Quang Trung, Hà Nội", std::nullopt, "01"},
        {"Bé ở thôn Bản Xâm, xã Hải Yến", "06220", "20"},
    });
}

TEST_CASE("locate: bare names need something around them") {
    check_all({
        {"Hải Yến, Cao Lộc", "06220", "20"},
        {"nha o gan cho ky lua tp lang son", "06187", "20"},
        {"Kỳ Lừa", "06187", "20"},
        {"Bình Gia", std::nullopt, "20", {"06112"}},  // the former district
        // From the smallest unit to the largest: before a district, a province's name is a commune's.
        {"Hòa Bình, Hữu Lũng", "06391", "20"},
        {"Hòa Bình, Văn Quan, Lạng Sơn", "06253", "20"},
        {"Hòa Bình", std::nullopt, "25"},  // the former province, now part of Phú Thọ
        // Before a province, a province's name is its city: old phường Tân Thành of TP Thái Nguyên.
        {"Tân Thành - Thái Nguyên - Thái Nguyên", "05500", "19"},
        // Two former xã Mẫu Sơn in Lạng Sơn (Lộc Bình, Cao Lộc).
        {"Mẫu Sơn", std::nullopt, "20", {"06541", "06196"}},
        {"Thảo Điền, Thủ Đức, TP.HCM", "27094", "79"},
    });
}

TEST_CASE("locate: the place inside a long report") {
    check_all({
        {"Chao anh chi, em la hang xom, thay chau be bi me ke danh dap, nha o xa Dam Thuy huyen Trung Khanh Cao "
         "Bang, mong duoc giup do",
         "01501", "04"},
        {"Khẩn cấp!!! Bé gái 10 tuổi bị xâm hại ở phường Bãi Cháy, Hạ Long, Quảng Ninh. Gia đình chưa báo công an.",
         "06673", "22"},
        {"Kính gửi tổng đài 111, tôi là người dân xã Hồng Phong huyện Cao Lộc, tôi muốn phản ánh việc ông A thường "
         "xuyên đánh đập con riêng của vợ là cháu B, 9 tuổi",
         "06184", "20"},
        {"em bi bo danh hang ngay, nha em o p5 q11 tp hcm, em so lam", "27211", "79"},
    });
}

TEST_CASE("locate: a code the reporter picked, and a province from elsewhere") {
    const locator loc(catalog(), "20");
    const auto picked = loc.locate({"06220", {}, "something else entirely"});
    CHECK(picked.commune_code == "06220");
    CHECK(picked.province_code == "20");
    CHECK(picked.confidence == 1);
    // A province code narrows the text.
    CHECK(loc.locate({{}, "37", "Xã Quảng Lạc"}).commune_code == "14371");
    CHECK(loc.locate({"37", {}, "Xã Quảng Lạc"}).commune_code == "14371");
    const auto prov = loc.locate({{}, "04", ""});
    CHECK(prov.commune_code == std::nullopt);
    CHECK(prov.province_code == "04");
    // An unknown code is ignored; an old code is not a current one.
    CHECK(loc.locate({"99999", {}, "Kỳ Lừa"}).commune_code == "06187");
    CHECK(loc.locate({"05980", {}, ""}).commune_code == std::nullopt);
    // Bytes that are not UTF-8 are read as separators.
    CHECK(loc.locate({{}, {}, "x\xff\xfe Kỳ Lừa \xc3"}).commune_code == "06187");
}

namespace {

std::vector<labelled_place> read_set(const std::string& relative) {
    std::istringstream in(hotline::routing::test::read_source_file(relative));
    std::vector<labelled_place> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const auto v = boost::json::parse(line).as_object();
        labelled_place e;
        e.id = v.at("id").as_string().c_str();
        e.text = v.at("text").as_string().c_str();
        for (const auto& c : v.at("accept").as_array()) e.accept.emplace_back(c.as_string().c_str());
        if (const auto* p = v.if_contains("province"); p && p->is_string()) e.province = p->as_string().c_str();
        if (const auto* n = v.if_contains("null_ok")) e.null_ok = n->as_bool();
        out.push_back(std::move(e));
    }
    return out;
}

void check_set(const std::string& relative) {
    const auto set = read_set(relative);
    REQUIRE(set.size() >= 25);
    const locator loc(catalog(), "20");  // the sets' home province is Lạng Sơn
    int right = 0, confident_wrong_ambiguous = 0;
    for (const auto& e : set) {
        for (const auto& c : e.accept) CHECK_MESSAGE(catalog().find_commune(c) != nullptr, e.id, ": ", c);
        const auto r = loc.locate({{}, {}, e.text});
        if (correct(e, r)) {
            ++right;
        } else {
            MESSAGE(e.id, ": ", e.text, " -> ", r.commune_code.value_or("null"), "/", r.province_code.value_or("null"),
                    " [", r.matched, "]");
            if (r.commune_code && (e.accept.empty() || e.null_ok)) ++confident_wrong_ambiguous;
        }
        if (r.commune_code) CHECK(r.confidence >= 0.5);
    }
    const double accuracy = double(right) / double(set.size());
    MESSAGE(relative, ": ", right, "/", set.size(), " correct");
    CHECK(accuracy >= 0.95);
    CHECK(confident_wrong_ambiguous == 0);
}

}  // namespace

TEST_CASE("locate: the shared development set") { check_set("tests/routing/data/locate_dev.jsonl"); }

TEST_CASE("locate: the project's own labelled set") {
    REQUIRE(read_set("tests/routing/data/locate_extra.jsonl").size() >= 120);
    check_set("tests/routing/data/locate_extra.jsonl");
}

TEST_CASE("locate: one locator, several threads, the same answers") {
    const auto set = read_set("tests/routing/data/locate_extra.jsonl");
    const locator loc(catalog(), "20");
    std::vector<std::optional<std::string>> expected;
    for (const auto& e : set) expected.push_back(loc.locate({{}, {}, e.text}).commune_code);
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round)
                for (std::size_t i = 0; i < set.size(); ++i)
                    if (loc.locate({{}, {}, set[i].text}).commune_code != expected[i]) ++mismatches[t];
        });
    for (auto& th : threads) th.join();
    for (const int m : mismatches) CHECK(m == 0);
}

TEST_CASE("locate: an answer does not depend on the calls before it") {
    // Each thread reuses its working space from call to call: long texts
    // and short ones, in one order and in the other, give the same answers.
    const auto set = read_set("tests/routing/data/locate_extra.jsonl");
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < set.size(); ++i) {
        texts.push_back(set[i].text);
        if (i % 3 == 0 && i + 2 < set.size())
            texts.push_back("Báo tin: " + set[i].text + ". Bé ở với bà, " + set[i + 1].text + " - " + set[i + 2].text);
    }
    const locator loc(catalog(), "20");
    std::vector<location_result> forward;
    for (const auto& t : texts) forward.push_back(loc.locate({{}, {}, t}));
    for (std::size_t k = texts.size(); k-- > 0;) {
        const auto r = loc.locate({{}, {}, texts[k]});
        INFO(texts[k]);
        CHECK(r.commune_code == forward[k].commune_code);
        CHECK(r.province_code == forward[k].province_code);
        CHECK(r.confidence == forward[k].confidence);
        CHECK(r.matched == forward[k].matched);
        CHECK(r.candidates == forward[k].candidates);
    }
}

TEST_CASE("locate: any bytes give a well-formed answer") {
    const locator loc(catalog(), "20");
    // Fragments that steer the bytes towards unit words, names and separators.
    const std::vector<std::string> pieces = {"xã ", "x.", "phường ", "p", "q", "tp ", "huyện ", "Hải Yến", "Cao Lộc",
                                             "Lạng Sơn", "1", "01", " - ", ", ", ".", "\xff", "\xc3", "\xe1\xba",
                                             "\xcc\x80", "'", "Đ", " ", "Chi Lăng", "Hà Giang", "\n"};
    std::uint32_t seed = 12345;
    const auto next = [&] {
        seed = seed * 1664525u + 1013904223u;
        return seed >> 8;
    };
    for (int i = 0; i < 3000; ++i) {
        std::string text;
        const auto n = next() % 24;
        for (std::uint32_t k = 0; k < n; ++k) {
            if (next() % 3 == 0) text.push_back(static_cast<char>(next() & 0xFF));
            else text += pieces[next() % pieces.size()];
        }
        const auto r = loc.locate({{}, {}, text});
        if (r.commune_code) {
            CHECK(catalog().find_commune(*r.commune_code) != nullptr);
            CHECK(r.confidence >= 0.5);
            CHECK(r.candidates.empty());
        } else {
            CHECK(r.confidence < 0.5);
        }
        if (r.province_code) CHECK(catalog().find_province(*r.province_code) != nullptr);
        for (const auto& c : r.candidates) CHECK(catalog().find_commune(c) != nullptr);
    }
}
