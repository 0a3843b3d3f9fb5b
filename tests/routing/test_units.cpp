#include "routing/units.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>

#include "tests/routing/units_fixture.hpp"

using namespace hotline::routing;
using hotline::routing::test::catalog;
using hotline::routing::test::texts;

TEST_CASE("the built-in tables load with their documented counts") {
    const auto t0 = std::chrono::steady_clock::now();
    auto loaded = unit_catalog::load(texts().sources());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(loaded);
    MESSAGE("catalog load: " << ms << " ms");
    // Well under a second in an optimised build (bench/locate_eval prints the
    // figure); debug and sanitizer builds get more room.
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
    CHECK(ms < 5000);
#else
    CHECK(ms < 1000);
#endif
    const auto& c = *loaded;
    CHECK(c.provinces().size() == 34);
    CHECK(c.communes().size() == 3321);
    CHECK(c.legacy_province_count() == 63);
    CHECK(c.legacy_district_count() == 696);
    CHECK(c.legacy_commune_count() == 10035);
    CHECK(c.mapping_count() == 10604);
    std::size_t xa = 0, phuong = 0, dac_khu = 0;
    for (const auto& u : c.communes()) {
        xa += u.type == "xã";
        phuong += u.type == "phường";
        dac_khu += u.type == "đặc khu";
    }
    CHECK(xa == 2611);
    CHECK(phuong == 697);
    CHECK(dac_khu == 13);
}

TEST_CASE("units are sorted by code and found by code in the current list") {
    const auto& c = catalog();
    for (std::size_t i = 1; i < c.communes().size(); ++i) CHECK(c.communes()[i - 1].code < c.communes()[i].code);
    const auto* p = c.find_province("20");
    REQUIRE(p);
    CHECK(p->name == "Lạng Sơn");
    CHECK(p->type == "tỉnh");
    CHECK(p->name_ascii == "lang son");
    CHECK(p->full_name == "Tỉnh Lạng Sơn");
    CHECK(c.find_province("75")->full_name == "Thành phố Đồng Nai");
    const auto* w = c.find_commune("05983");
    REQUIRE(w);
    CHECK(w->name == "Lương Văn Tri");
    CHECK(w->type == "phường");
    CHECK(w->province_code == "20");
    CHECK(w->full_name == "Phường Lương Văn Tri");
    CHECK(c.find_commune("26732")->full_name == "Đặc khu Côn Đảo");
    // 05977 is old phường Vĩnh Trại but new phường Đông Kinh: the current list answers.
    CHECK(c.find_commune("05977")->name == "Đông Kinh");
    // A former code that no current commune reuses is not found.
    CHECK(c.find_commune("05980") == nullptr);
    CHECK(c.find_province("02") == nullptr);  // Hà Giang, now part of Tuyên Quang
    CHECK(c.find_commune("") == nullptr);
    CHECK(c.find_province("999") == nullptr);
}

TEST_CASE("suggest: type-ahead without diacritics, either tone placement, code") {
    const auto& c = catalog();
    const auto names = [](const std::vector<unit_suggestion>& v) {
        std::set<std::string> s;
        for (const auto& x : v) s.insert(x.commune->full_name);
        return s;
    };
    const auto a = c.suggest("hoa binh", 50);
    const auto b = c.suggest("Hoà Bình", 50);
    const auto e = c.suggest("HÒA BÌNH", 50);
    CHECK(!a.empty());
    CHECK(names(a) == names(b));
    CHECK(names(a) == names(e));
    CHECK(names(a).count("Xã Hòa Bình"));
    for (const auto& x : a) {
        REQUIRE(x.province != nullptr);
        CHECK(x.province->code == x.commune->province_code);
    }
    // A word being typed matches; the full name with its type matches too.
    const auto lvt = c.suggest("luong van t", 10);
    REQUIRE(lvt.size() >= 1);
    CHECK(lvt[0].commune->code == "05983");
    CHECK(c.suggest("phuong luong van", 10).at(0).commune->code == "05983");
    // Words must start where the name's words start.
    CHECK(c.suggest("uong van tri", 10).empty());
    // By code.
    const auto by_code = c.suggest("06220", 10);
    REQUIRE(by_code.size() == 1);
    CHECK(by_code[0].commune->name == "Công Sơn");
    // The preferred province first, then by name; the limit holds.
    const auto tt = c.suggest("tan thanh", 5, "80");
    REQUIRE(tt.size() == 5);
    CHECK(tt[0].commune->province_code == "80");
    const auto all = c.suggest("tan thanh", 100);
    for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].commune->name_ascii <= all[i].commune->name_ascii);
    CHECK(c.suggest("", 10).empty());
    CHECK(c.suggest("  ", 10).empty());
    CHECK(c.suggest("hoa", 0).empty());
}

namespace {

// A consistent miniature of the six files: one province, one district, two
// old communes merged into one new commune.
struct mini {
    std::string provinces = "code,name,type,name_ascii\r\n20,Lạng Sơn,tỉnh,lang son\r\n";
    std::string communes = "code,name,type,province_code,name_ascii\r\n05983,Lương Văn Tri,phường,20,luong van tri\r\n";
    std::string legacy_provinces = "code,name,type,name_ascii\r\n20,Lạng Sơn,tỉnh,lang son\r\n";
    std::string legacy_districts = "code,name,type,province_code,name_ascii\r\n178,Lạng Sơn,thành phố,20,lang son\r\n";
    std::string legacy_communes =
        "code,name,type,district_name,province_name,district_code,district_type,province_code,name_ascii\r\n"
        "05983,Chi Lăng,phường,Lạng Sơn,Lạng Sơn,178,thành phố,20,chi lang\r\n"
        "05989,Quảng Lạc,xã,Lạng Sơn,Lạng Sơn,178,thành phố,20,quang lac\r\n";
    std::string commune_mapping =
        "old_code,old_name,new_code,new_name,merge_type\r\n"
        "05983,Phường Chi Lăng,05983,Phường Lương Văn Tri,full\r\n"
        "05989,Xã Quảng Lạc,05983,Phường Lương Văn Tri,full\r\n";

    unit_sources sources() const {
        return {provinces, communes, legacy_provinces, legacy_districts, legacy_communes, commune_mapping};
    }
    std::string error() const {
        auto r = unit_catalog::load(sources());
        REQUIRE_FALSE(r);
        CHECK(r.err().code == "invalid_units");
        return r.err().message;
    }
};

}  // namespace

TEST_CASE("a minimal consistent set of tables loads") {
    mini m;
    auto r = unit_catalog::load(m.sources());
    REQUIRE(r);
    CHECK(r->communes().size() == 1);
    CHECK(r->legacy_commune_count() == 2);
    CHECK(r->mapping_count() == 2);
}

TEST_CASE("malformed tables are refused with the file and line") {
    mini m;
    SUBCASE("bad type") {
        m.provinces += "04,Cao Bằng,bang,cao bang\r\n";
        CHECK(m.error() == "provinces.csv: line 3: bad type \"bang\"");
    }
    SUBCASE("a commune type in the province list") {
        m.provinces += "04,Cao Bằng,xã,cao bang\r\n";
        CHECK(m.error() == "provinces.csv: line 3: bad type \"xã\"");
    }
    SUBCASE("unknown province") {
        m.communes += "01792,Kim Đồng,xã,04,kim dong\r\n";
        CHECK(m.error() == "communes.csv: line 3: unknown province_code \"04\"");
    }
    SUBCASE("short row") {
        m.communes += "01792,Kim Đồng,xã\r\n";
        CHECK(m.error() == "communes.csv: line 3: 3 fields, the header has 5");
    }
    SUBCASE("bad code") {
        m.legacy_districts += "17x,Cao Lộc,huyện,20,cao loc\r\n";
        CHECK(m.error() == "legacy_districts.csv: line 3: bad code \"17x\"");
    }
    SUBCASE("duplicate code") {
        m.communes += "05983,Lương Văn Tri,phường,20,luong van tri\r\n";
        CHECK(m.error() == "communes.csv: code 05983 appears twice");
    }
    SUBCASE("unknown district of an old commune") {
        m.legacy_communes += "06001,Khánh Long,xã,Tràng Định,Lạng Sơn,179,huyện,20,khanh long\r\n";
        CHECK(m.error() == "legacy_communes.csv: line 4: unknown district_code \"179\"");
    }
    SUBCASE("mapping to a commune that does not exist") {
        m.commune_mapping += "05989,Xã Quảng Lạc,99999,Phường X,full\r\n";
        CHECK(m.error() == "commune_mapping.csv: line 4: unknown new_code \"99999\"");
    }
    SUBCASE("mapping from an old commune that does not exist") {
        m.commune_mapping += "05990,Xã X,05983,Phường Lương Văn Tri,full\r\n";
        CHECK(m.error() == "commune_mapping.csv: line 4: unknown old commune \"05990\"");
    }
    SUBCASE("bad merge type") {
        m.commune_mapping += "05989,Xã Quảng Lạc,05983,Phường Lương Văn Tri,whole\r\n";
        CHECK(m.error() == "commune_mapping.csv: line 4: bad merge_type \"whole\"");
    }
    SUBCASE("CSV syntax error") {
        m.legacy_districts += "179,\"Tràng Định,huyện,20,trang dinh\r\n";
        CHECK(m.error() == "legacy_districts.csv: line 3: quote never closed");
    }
    SUBCASE("missing column") {
        m.legacy_provinces = "code,name,name_ascii\r\n20,Lạng Sơn,lang son\r\n";
        CHECK(m.error() == "legacy_provinces.csv: line 1: missing column \"type\"");
    }
    SUBCASE("empty file") {
        m.communes.clear();
        CHECK(m.error() == "communes.csv: line 1: no header row");
    }
}
