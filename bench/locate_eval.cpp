// locate_eval DATA_DIR HOME FILE.jsonl...       (accuracy per set, load time, speed)
// locate_eval DATA_DIR HOME --explain TEXT...   (the answer for each text)
//
// Quality of the locator on labelled JSON lines
// ({"id","text","accept":[codes],"province"?,"null_ok"?}, scored as
// /work/shared/data/locate/README.md says: a commune in `accept`; or, when
// `accept` is empty, no commune and the right province; or, with `null_ok`,
// no commune), the time to load the unit tables of DATA_DIR (routing/data),
// and the speed on typical report texts: the labelled texts as typed in a
// place field, the same places inside SMS-length report bodies and inside
// long report bodies (300 to 800 bytes, what the server takes in), compared
// with a plain ASCII lower-casing pass over the same bytes. Lines starting
// with "locate_" repeat the figures for scripts (bench/run.sh):
//   locate_load_ms MS
//   locate_set FILE CORRECT TOTAL CONFIDENT_WRONG CONFIDENT_WRONG_ON_AMBIGUOUS
//   locate_rate BODIES_PER_S FIELDS_PER_S BASELINE_RATIO

#include "routing/locate.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "bench/eval_support.hpp"
#include "tests/routing/locate_set.hpp"

namespace json = boost::json;
using namespace hotline::routing;
using hotline::bench::read_file;
using hotline::routing::test::correct;
using example = hotline::routing::test::labelled_place;

namespace {

std::vector<example> load(const char* path, bool& ok) {
    std::vector<example> out;
    ok = hotline::bench::for_each_json_line(path, [&](const json::object& o, int) {
        example e;
        if (const char* s = hotline::bench::string_member(o, "id")) e.id = s;
        if (const char* s = hotline::bench::string_member(o, "text")) e.text = s;
        if (auto* p = o.if_contains("accept"); p && p->is_array())
            for (const auto& c : p->as_array())
                if (c.is_string()) e.accept.emplace_back(c.as_string().c_str());
        if (const char* s = hotline::bench::string_member(o, "province")) e.province = s;
        if (auto* p = o.if_contains("null_ok"); p && p->is_bool()) e.null_ok = p->as_bool();
        out.push_back(std::move(e));
        return true;
    });
    return out;
}

struct score {
    int n = 0, right = 0, confident_wrong = 0, confident_wrong_ambiguous = 0;
};

score evaluate(const locator& loc, const char* path, const std::vector<example>& ex) {
    score s;
    std::vector<std::string> wrong;
    for (const auto& e : ex) {
        const auto r = loc.locate({{}, {}, e.text});
        ++s.n;
        if (correct(e, r)) {
            ++s.right;
            continue;
        }
        if (r.commune_code) {
            ++s.confident_wrong;
            if (e.accept.empty() || e.null_ok) ++s.confident_wrong_ambiguous;
        }
        std::string want = e.accept.empty() ? "null/" + e.province.value_or("null") : "";
        for (const auto& a : e.accept) want += (want.empty() ? "" : "|") + a;
        if (e.null_ok) want += " (null ok)";
        wrong.push_back(e.id + ": got " + r.commune_code.value_or("null") + "/" + r.province_code.value_or("null") +
                        " want " + want + "  [" + r.matched + "]  " + e.text);
    }
    std::printf("== %s (%d examples)\n", path, s.n);
    std::printf("correct                 %d/%d = %.3f\n", s.right, s.n, s.n ? double(s.right) / s.n : 0.0);
    std::printf("confident wrong commune %d (on ambiguous texts: %d)\n", s.confident_wrong,
                s.confident_wrong_ambiguous);
    std::printf("wrong (%zu):", wrong.size());
    for (const auto& w : wrong) std::printf("\n  %s", w.c_str());
    std::printf("\nlocate_set %s %d %d %d %d\n\n", path, s.right, s.n, s.confident_wrong, s.confident_wrong_ambiguous);
    return s;
}

// Report bodies around a place, the way SMS and web reports read.
constexpr const char* templates[] = {
    "Tôi muốn báo tin: có một bé gái khoảng 8 tuổi thường xuyên bị bố dượng đánh đập, nhà ở {}, mong các cơ quan "
    "chức năng sớm can thiệp giúp cháu.",
    "Chao anh chi, em la hang xom, thay chau be bi me ke bo doi va nhot trong nha nhieu ngay roi, dia chi {}, xin "
    "hay den giup chau som.",
    "{}. Bé trai 6 tuổi bị bỏ rơi, không ai chăm sóc, hàng xóm cho ăn. Xin cảm ơn.",
    "Khẩn cấp: trẻ bị xâm hại tại {} tối qua, gia đình rất hoang mang, chưa báo công an.",
};

// Sentences around the place in long report bodies: with and without
// diacritics, SMS-style, with names of people, villages and everyday words
// that look like unit names, as real reports have them.
constexpr const char* fillers[] = {
    "Tôi là hàng xóm sát vách, tối nào cũng nghe tiếng bố dượng quát mắng và đánh con bé bằng roi mây.",
    "Cháu đến lớp với nhiều vết bầm tím ở tay và lưng, hỏi thì cháu nói bị ngã nhưng cứ né tránh.",
    "Hai đứa trẻ bị bỏ ở nhà một mình nhiều ngày, bố mẹ đi làm ăn xa, các cháu phải sang xin cơm hàng xóm.",
    "e thay chau be gay go, quan ao ban, ko dc di hoc, toi ngu ngoai hien vi bo khoa cua di uong ruou.",
    "Tôi đã nói với trưởng thôn Đồng Tâm từ tuần trước nhưng chưa thấy ai đến hỏi, gia đình rất hoang mang.",
    "Nhà đó ở cuối ngõ, cổng sắt màu xanh, cạnh cây hoa sữa, gần trường tiểu học Kim Đồng.",
    "Người đó khoảng bốn mươi tuổi, tên là Nguyễn Văn Hùng, hay đi xe máy Wave màu đỏ, nói giọng miền Trung.",
    "co nguoi la hay dung truoc cong truong cho xe may cho hs nu ve, hom nay 1 em lop 6 ko ve nha.",
    "Mẹ cháu quê ở Thái Bình, cũng bị đánh nên không bảo vệ được con, có lần phải bế con chạy sang nhà tôi.",
    "Xin các cô chú đến kiểm tra ngay, mong cơ quan chức năng xử lý sớm và giữ bí mật thông tin người báo.",
    "Chuyện này đã kéo dài khoảng ba tháng nay, mấy người hàng xóm đều biết nhưng không ai dám can thiệp.",
    "bao tin: o thon 5 co 2 chau nho bi bo mac, cac chau an uong thieu thon, chau lon moi 9t phai trong em 3t.",
};

// A long report body around `place`: fillers before and after the k-th
// template until a length of 300 to 800 bytes chosen by k.
std::string long_body(const std::string& place, std::size_t k) {
    std::string t = templates[k % std::size(templates)];
    t.replace(t.find("{}"), 2, place);
    const std::size_t target = 300 + (k * 97) % 500;
    for (std::size_t f = k * 5; t.size() < target; ++f) {
        const std::string filler = fillers[f % std::size(fillers)];
        if (t.size() + 1 + filler.size() > 800) break;
        t = f % 2 ? filler + " " + t : t + (k % 3 ? " " : "\n") + filler;
    }
    return t;
}

void speed(const locator& loc, const std::vector<example>& all) {
    if (all.empty()) return;
    std::vector<std::string> fields, bodies;
    for (const auto& e : all) fields.push_back(e.text);
    std::size_t k = 0;
    for (const auto& e : all) {
        std::string t = templates[k++ % std::size(templates)];
        t.replace(t.find("{}"), 2, e.text);
        bodies.push_back(std::move(t));
    }
    std::vector<std::string> long_bodies;
    for (std::size_t i = 0; i < all.size(); ++i) long_bodies.push_back(long_body(all[i].text, i));
    std::size_t sink = 0;
    const auto rate = [&](const std::vector<std::string>& texts) {
        return hotline::bench::texts_per_second(texts, 1.0, [&](const std::string& t) {
            const auto r = loc.locate({{}, {}, t});
            sink += r.candidates.size() + (r.commune_code ? 1 : 0);
        });
    };
    const auto baseline = [&](const std::vector<std::string>& texts) {
        return hotline::bench::lowercase_per_second(texts, 0.5, sink);
    };
    const auto avg_bytes = [](const std::vector<std::string>& v) {
        std::size_t b = 0;
        for (const auto& s : v) b += s.size();
        return double(b) / v.size();
    };
    const double f = rate(fields), fb = baseline(fields);
    const double b = rate(bodies), bb = baseline(bodies);
    const double l = rate(long_bodies), lb = baseline(long_bodies);
    std::printf("== speed (one core; %zu texts)\n", fields.size());
    std::printf("place fields (%.0f bytes avg)   %8.0f locations/s; lower-casing %9.0f/s, ratio %.0fx\n",
                avg_bytes(fields), f, fb, fb / f);
    std::printf("report bodies (%.0f bytes avg) %8.0f locations/s; lower-casing %9.0f/s, ratio %.0fx\n",
                avg_bytes(bodies), b, bb, bb / b);
    std::printf("long report bodies (%.0f bytes avg) %8.0f locations/s; lower-casing %9.0f/s, ratio %.0fx\n",
                avg_bytes(long_bodies), l, lb, lb / l);
    std::printf("target >= 20000 locations/s on report bodies: %s\n", b >= 20000 ? "PASS" : "MISS");
    std::printf("locate_rate %.0f %.0f %.1f\n", b, f, bb / b);
    std::printf("(sink %zu)\n", sink % 10);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s DATA_DIR HOME_PROVINCE FILE.jsonl...\n"
                             "       %s DATA_DIR HOME_PROVINCE --explain TEXT...\n", argv[0], argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const std::string texts[6] = {read_file(dir + "/provinces.csv"),        read_file(dir + "/communes.csv"),
                                  read_file(dir + "/legacy_provinces.csv"), read_file(dir + "/legacy_districts.csv"),
                                  read_file(dir + "/legacy_communes.csv"),  read_file(dir + "/commune_mapping.csv")};
    const unit_sources src{texts[0], texts[1], texts[2], texts[3], texts[4], texts[5]};
    using clock = std::chrono::steady_clock;
    auto loaded = unit_catalog::load(src);
    if (!loaded) {
        std::fprintf(stderr, "%s\n", loaded.err().message.c_str());
        return 1;
    }
    double best_ms = 1e9;
    for (int i = 0; i < 5; ++i) {
        const auto t0 = clock::now();
        auto again = unit_catalog::load(src);
        best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(clock::now() - t0).count());
        if (!again) return 1;
    }
    const unit_catalog& units = *loaded;
    const locator loc(units, argv[2]);
    if (std::string_view(argv[3]) == "--explain") {
        for (int i = 4; i < argc; ++i) {
            const auto r = loc.locate({{}, {}, argv[i]});
            std::printf("%s\n  commune %s province %s confidence %.2f\n  matched: %s\n  candidates:", argv[i],
                        r.commune_code.value_or("null").c_str(), r.province_code.value_or("null").c_str(), r.confidence,
                        r.matched.c_str());
            for (const auto& c : r.candidates) std::printf(" %s", c.c_str());
            std::printf("\n");
        }
        return 0;
    }
    std::printf("catalog load            %.1f ms (best of 5; %zu communes, %zu old communes, %zu mapping rows)\n",
                best_ms, units.communes().size(), units.legacy_commune_count(), units.mapping_count());
    std::printf("locate_load_ms %.1f\n\n", best_ms);
    std::vector<example> all;
    int rc = 0;
    for (int i = 3; i < argc; ++i) {
        bool ok = false;
        auto ex = load(argv[i], ok);
        if (!ok) rc = 1;
        evaluate(loc, argv[i], ex);
        all.insert(all.end(), ex.begin(), ex.end());
    }
    speed(loc, all);
    return rc;
}
