#include "intake/classify.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "intake/text.hpp"

using namespace hotline::intake;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream o;
    o << in.rdbuf();
    return o.str();
}

const std::string lexicon_path = HOTLINE_SOURCE_DIR "/intake/lexicon/vi.toml";

const classifier& shared() {
    static const classifier c = [] {
        auto lex = lexicon::parse(read_file(lexicon_path), lexicon_path);
        REQUIRE_MESSAGE(lex.has_value(), (lex ? std::string() : lex.err().message));
        return classifier(std::move(*lex));
    }();
    return c;
}

bool has_rule(const classification& c, std::string_view prefix) {
    return std::any_of(c.evidence.begin(), c.evidence.end(),
                       [&](const evidence& e) { return e.rule.rfind(prefix, 0) == 0; });
}

bool has_cat(const classification& c, std::string_view cat) {
    return std::find(c.categories.begin(), c.categories.end(), cat) != c.categories.end();
}

// A minimal JSON-lines reader for the labelled sets ({"id","text","urgency","categories"}).
std::string json_string(const std::string& line, const std::string& key, std::size_t& pos) {
    const auto k = line.find("\"" + key + "\"", pos);
    if (k == std::string::npos) return {};
    auto i = line.find('"', line.find(':', k) + 1);
    std::string out;
    for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
            ++i;
            out.push_back(line[i] == 'n' ? '\n' : line[i]);
        } else {
            out.push_back(line[i]);
        }
    }
    pos = i;
    return out;
}

struct labelled {
    std::string id, text;
    urgency level;
    std::set<std::string> cats;
};

std::vector<labelled> load(const std::string& path) {
    std::vector<labelled> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::size_t p = 0;
        labelled l;
        l.id = json_string(line, "id", p);
        l.text = json_string(line, "text", p);
        l.level = parse_urgency(json_string(line, "urgency", p)).value_or(urgency::normal);
        const auto c = line.find("\"categories\"");
        const auto b = line.find('[', c), e = line.find(']', b);
        std::size_t q = b;
        while (true) {
            const auto s = line.find('"', q + 1);
            if (s == std::string::npos || s > e) break;
            const auto t = line.find('"', s + 1);
            l.cats.insert(line.substr(s + 1, t - s - 1));
            q = t;
        }
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace

TEST_CASE("classify: enum strings round-trip") {
    for (auto u : {urgency::emergency, urgency::high, urgency::normal, urgency::low})
        CHECK(parse_urgency(to_string(u)) == u);
    for (auto t : {legal_track::emergency_12h, legal_track::standard_5wd, legal_track::none})
        CHECK(parse_legal_track(to_string(t)) == t);
    CHECK_FALSE(parse_urgency("urgent").has_value());
    CHECK_FALSE(parse_legal_track("").has_value());
}

TEST_CASE("classify: normalisation folds diacritics, case and teen code") {
    struct row { const char* in; const char* out; };
    const row rows[] = {
        {"Bố đánh con", "bo danh con"},
        {"bỏ bộ BỐ", "bo bo bo"},
        {"ĐÃ ĐẾN", "da den"},
        {"ko dc j", "khong duoc gi"},
        {"đc k", "duoc khong"},
        {"hok bj", "khong bao gio"},
        {"ng ta vs e", "nguoi ta voi em"},
        {"ck vk bme", "chong vo bo me"},
        {"Ngươi ƯỚC", "nguoi uoc"},
        {"e\xCC\x81m", "em"},                  // decomposed é
        {"  hello,   WORLD!! ", "hello world"},
        {"12t bé", "12 t be"},
    };
    for (const auto& r : rows) {
        INFO(std::string(r.in));
        CHECK(normalize_for_matching(r.in) == r.out);
    }
}

TEST_CASE("classify: old and new tone placement match the same phrases") {
    const auto& c = shared();
    CHECK(c.classify("nó doạ giết con tôi").level == urgency::emergency);  // old style "doạ"
    CHECK(c.classify("nó dọa giết con tôi").level == urgency::emergency);  // new style "dọa"
}

TEST_CASE("classify: normalisation keeps qu syllables") {
    struct row { const char* in; const char* out; };
    const row rows[] = {
        {"Quý", "quy"},
    };
    for (const auto& r : rows) {
        INFO(std::string(r.in));
        CHECK(normalize_for_matching(r.in) == r.out);
    }
}

TEST_CASE("classify: accented phrases match only the accented form, folded ones both") {
    const auto& c = shared();
    // "bố" is a caregiver relation; "bỏ" folds to the same "bo" but is not.
    const auto a = c.classify("Bố dượng hay đánh cháu 8 tuổi, cháu bị bầm tím");
    CHECK(a.track == legal_track::emergency_12h);
    // "xam hai" written without diacritics matches "xâm hại" and "xam hai".
    CHECK(has_cat(c.classify("Bé 9 tuổi bị xâm hại nhiều lần"), "sexual_abuse"));
    CHECK(has_cat(c.classify("be 9 tuoi bi xam hai nhieu lan"), "sexual_abuse"));
    CHECK(has_cat(c.classify("BÉ 9 TUỔI BỊ XÂM HẠI NHIỀU LẦN"), "sexual_abuse"));
}

TEST_CASE("classify: each cue family") {
    const auto& c = shared();
    struct row { const char* text; const char* rule; };
    const row rows[] = {
        {"Bé đang chảy máu đầu", "severity.bleeding"},
        {"thằng bé bất tỉnh rồi", "severity.unconscious"},
        {"em bé không thở nữa", "severity.not_breathing"},
        {"ông ta cầm dao đuổi cháu", "severity.weapon"},
        {"nó dọa giết con tôi", "severity.threat_to_kill"},
        {"em 14 tuổi muốn tự tử", "severity.suicide"},
        {"có người bắt cóc bé", "severity.abduction"},
        {"đưa trẻ em sang Trung Quốc", "severity.border"},
        {"trẻ sơ sinh bị bỏ rơi", "severity.newborn"},
        {"bé bị dâm ô", "sexual.molestation"},
        {"chau bi ep lam gai bao", "sexual.prostitution"},
        {"trẻ ăn xin ở chợ", "exploitation.begging"},
        {"cháu bị mẹ chửi mắng", "emotional.insults"},
        {"trẻ bị bỏ đói", "neglect.starvation"},
        {"bé đang khóc", "time.now"},
        {"bé vừa bị đánh", "time.just"},
        {"bé hay bị đánh", "time.habitual"},
        {"năm ngoái bé bị đánh", "time.past"},
        {"bé không bị sao", "time.over_safe"},
        {"không khẩn cấp, bé bị mắng", "deescalate.not_urgent"},
        {"bé bị bố đánh", "relation.parent"},
        {"bé bị mẹ kế đánh", "relation.step_parent"},
        {"cô giáo đánh học sinh", "relation.other"},
        {"cháu bé bị đánh", "child.word"},
        {"cho hỏi thủ tục", "nonreport.question"},
        {"cảm ơn tổng đài", "nonreport.thanks"},
        {"alo test", "nonreport.test"},
        {"vay tiền nhanh", "nonreport.advertising"},
    };
    for (const auto& r : rows) {
        INFO(std::string(r.text));
        CHECK(has_rule(c.classify(r.text), r.rule));
    }
}

TEST_CASE("classify: evidence quotes the text as written") {
    const auto r = shared().classify("Bé BỊ ĐÁNH chảy  máu");
    bool found = false;
    for (const auto& e : r.evidence)
        if (e.rule == "severity.bleeding") {
            CHECK(e.match == "chảy  máu");
            found = true;
        }
    CHECK(found);
    const auto s = shared().classify("be bi DANH CHAY MAU");
    CHECK(std::any_of(s.evidence.begin(), s.evidence.end(), [](const evidence& e) { return e.match == "CHAY MAU"; }));
}

TEST_CASE("classify: evidence from a text that is not valid UTF-8 is sanitised, piece by piece") {
    const auto& c = shared();
    auto match_of = [](const classification& r, std::string_view rule) {
        for (const auto& e : r.evidence)
            if (e.rule == rule) return e.match;
        return std::string("(none)");
    };
    const std::string nul(1, '\0');
    const std::string quoted = "chảy" + nul + "máu";
    // Valid text: quoted as written, NUL included.
    CHECK(match_of(c.classify("bé bị đánh " + quoted), "severity.bleeding") == quoted);
    // Invalid byte elsewhere: the quoted piece is valid and kept as written.
    CHECK(match_of(c.classify("bé bị đánh " + quoted + " \xff"), "severity.bleeding") == quoted);
    // Invalid byte inside the piece: replaced by U+FFFD (and NUL by a space).
    CHECK(match_of(c.classify("bé bị đánh chảy\xffmáu"), "severity.bleeding") == "chảy\xef\xbf\xbdmáu");
    CHECK(match_of(c.classify("bé bị đánh chảy" + nul + "\xffmáu"), "severity.bleeding") ==
          "chảy \xef\xbf\xbdmáu");
}

TEST_CASE("classify: vocabulary keys of every length match exactly") {
    // Tokens around the 8- and 16-byte marks, differing only in their last
    // byte, accented and folded.
    const char* toml = R"([[act]]
id = "a8"
level = "high"
categories = { neglect = 1.0 }
phrases = ["abcdefgh"]
[[act]]
id = "a9"
level = "high"
categories = { neglect = 1.0 }
phrases = ["abcdefghi"]
[[act]]
id = "a16"
level = "high"
categories = { neglect = 1.0 }
phrases = ["abcdefghijklmnop"]
[[act]]
id = "a17"
level = "high"
categories = { neglect = 1.0 }
phrases = ["abcdefghijklmnopq", "abcdefghijklmnopq abcdefghijklmnopqrstuvwxyz"]
[[act]]
id = "acc"
level = "high"
categories = { neglect = 1.0 }
phrases = ["nghiêng", "trường", "khuyếnkhích"]
)";
    auto lex = lexicon::parse(toml, "keys.toml");
    REQUIRE_MESSAGE(lex.has_value(), (lex ? std::string() : lex.err().message));
    const classifier c(std::move(*lex));
    auto rules = [&](std::string_view text) {
        std::vector<std::string> out;
        for (const auto& e : c.classify(text).evidence) out.push_back(e.rule + "=" + e.match);
        return out;
    };
    using v = std::vector<std::string>;
    CHECK(rules("abcdefgh abcdefghi") == v{"a8=abcdefgh", "a9=abcdefghi"});
    CHECK(rules("abcdefgi abcdefghj abcdefghijklmnoq abcdefghijklmnopr").empty());
    CHECK(rules("ABCDEFGHIJKLMNOP, abcdefghijklmnopq") == v{"a16=ABCDEFGHIJKLMNOP", "a17=abcdefghijklmnopq"});
    CHECK(rules("abcdefghijklmnopq abcdefghijklmnopqrstuvwxyz") ==
          v{"a17=abcdefghijklmnopq abcdefghijklmnopqrstuvwxyz"});
    CHECK(rules("abcdefghijklmnopq abcdefghijklmnopqrstuvwxyy") == v{"a17=abcdefghijklmnopq"});
    CHECK(rules("Nghiêng trường khuyếnkhích") == v{"acc=Nghiêng", "acc=trường", "acc=khuyếnkhích"});
    CHECK(rules("nghieng truong nghiềng trưởng khuyếnkhich").empty());
}

TEST_CASE("classify: negation scope") {
    const auto& c = shared();
    struct row { const char* text; urgency level; };
    const row rows[] = {
        {"Con tôi không bị đánh, không bị gì cả, tôi chỉ muốn hỏi cách dạy con", urgency::low},
        {"bố không đánh cháu nhưng chửi mắng suốt", urgency::normal},
        // the scope ends at punctuation: the beating still counts
        {"tôi không biết làm sao, bố đang đánh cháu", urgency::emergency},
        {"cháu không sao, chỉ bị bạn đấm một cái hôm qua", urgency::normal},
    };
    for (const auto& r : rows) {
        INFO(std::string(r.text));
        CHECK(c.classify(r.text).level == r.level);
    }
    CHECK_FALSE(has_cat(c.classify("bé không bị xâm hại, chỉ bị bạn trêu chọc"), "sexual_abuse"));
    // a negation inside a longer cue is part of the cue
    CHECK(has_rule(c.classify("em bé không thở"), "severity.not_breathing"));
}

TEST_CASE("classify: time words decide between emergency, high and normal") {
    const auto& c = shared();
    struct row { const char* text; urgency level; };
    const row rows[] = {
        {"Bố đang đánh con ở sân", urgency::emergency},
        {"bo dang danh con o san", urgency::emergency},
        {"Bố hay đánh con, tuần nào cũng có", urgency::high},
        {"Năm ngoái bố đánh con, giờ cháu đã an toàn ở với bà", urgency::normal},
        {"Bé vừa bị hàng xóm xâm hại tối qua", urgency::emergency},
        {"Bé bị xâm hại nhiều lần, kẻ đó vẫn ở cùng nhà", urgency::high},
        {"Năm ngoái bé bị xâm hại, vụ án đã xử xong, cần tư vấn tâm lý", urgency::normal},
        {"the father is beating the boy right now", urgency::emergency},
        {"the boy is beaten at home every week", urgency::high},
    };
    for (const auto& r : rows) {
        INFO(std::string(r.text));
        CHECK(to_string(c.classify(r.text).level) == to_string(r.level));
    }
}

TEST_CASE("classify: legal track") {
    const auto& c = shared();
    struct row { const char* text; legal_track track; };
    const row rows[] = {
        {"Bố hay đánh con 8 tuổi, người cháu đầy vết bầm", legal_track::emergency_12h},  // parent, high
        {"Mẹ kế thường xuyên đánh bé", legal_track::emergency_12h},
        {"Hàng xóm hay đánh con bé nhà bên", legal_track::standard_5wd},
        {"Bạn cùng lớp hay trêu chọc cháu", legal_track::standard_5wd},
        {"Có người đang bắt cóc trẻ em ở chợ", legal_track::emergency_12h},  // emergency
        {"Cho hỏi thủ tục khai sinh", legal_track::none},
    };
    for (const auto& r : rows) {
        INFO(std::string(r.text));
        CHECK(to_string(c.classify(r.text).track) == to_string(r.track));
    }
}

TEST_CASE("classify: English") {
    const auto& c = shared();
    auto a = c.classify("My neighbour is beating his 6 year old son right now, the boy is bleeding");
    CHECK(a.level == urgency::emergency);
    CHECK(has_cat(a, "physical_violence"));
    auto b = c.classify("A man on Instagram keeps asking my 13 year old daughter for nude photos");
    CHECK(b.level == urgency::high);
    CHECK(has_cat(b, "sexual_abuse"));
    CHECK(has_cat(b, "online_abuse"));
    CHECK(c.classify("Thank you, the family is doing fine now").level == urgency::low);
}

TEST_CASE("classify: de-escalation lowers one level at most, never below the facts") {
    const auto& c = shared();
    // sexual abuse with continued access stays high
    CHECK(c.classify("Không khẩn cấp lắm: thầy giáo hay ôm hôn các bạn nữ lớp 5").level == urgency::high);
    // an emergency becomes high, never normal or low
    CHECK(c.classify("không phải khẩn cấp nhưng bé đang chảy máu").level == urgency::high);
    // a mild concern stays a report
    CHECK(c.classify("không khẩn cấp, cô giáo hay mắng các cháu").level == urgency::normal);
}

TEST_CASE("classify: non-report cues only when no risk cue fires") {
    const auto& c = shared();
    struct row { const char* text; urgency level; };
    const row rows[] = {
        {"Cho hỏi thủ tục nhận con nuôi", urgency::low},
        {"alo alo thu tin nhan", urgency::low},
        {"Khuyến mãi nạp thẻ 50%", urgency::low},
        {"nhầm số ạ", urgency::low},
        {"ok", urgency::low},
        {"", urgency::low},
        // a question about child abuse material for sale is a report
        {"Cho hỏi báo ở đâu, có trang web bán video xâm hại trẻ em", urgency::high},
        {"Cảm ơn tổng đài, nhưng bố cháu lại đang đánh cháu", urgency::emergency},
    };
    for (const auto& r : rows) {
        INFO(std::string(r.text));
        const auto x = c.classify(r.text);
        CHECK(to_string(x.level) == to_string(r.level));
        if (r.level == urgency::low) {
            CHECK(x.track == legal_track::none);
            CHECK(x.categories.empty());
        }
    }
}

TEST_CASE("classify: malformed lexicons are refused with file:line") {
    struct row { const char* name; const char* toml; const char* expect; };
    const row rows[] = {
        {"syntax", "[meta]\nversion = 1\n[[act]\nid = \"x\"\n", "bad.toml:3:"},
        {"unknown category",
         "[[act]]\nid = \"a\"\nlevel = \"high\"\nphrases = [\"đánh\"]\ncategories = { beating = 1.0 }\n",
         "bad.toml:5:"},
        {"bad weight",
         "[[act]]\nid = \"a\"\nlevel = \"high\"\nphrases = [\"đánh\"]\ncategories = { physical_violence = 42.0 }\n",
         "bad.toml:5:"},
        {"weight not a number",
         "[[act]]\nid = \"a\"\nlevel = \"high\"\nphrases = [\"đánh\"]\ncategories = { physical_violence = \"x\" }\n",
         "bad.toml:5:"},
        {"unknown level", "[[act]]\nid = \"a\"\nlevel = \"urgent\"\nphrases = [\"đánh\"]\n", "bad.toml:3:"},
        {"empty phrase", "[[act]]\nid = \"a\"\nlevel = \"high\"\nphrases = [\"đánh\", \" ,, \"]\n", "bad.toml:4:"},
        {"missing id", "[[act]]\nlevel = \"high\"\nphrases = [\"đánh\"]\n", "bad.toml:"},
        {"unknown key", "[[act]]\nid = \"a\"\nlevel = \"high\"\nphrase = [\"đánh\"]\n", "bad.toml:4:"},
        {"unknown section", "[[acts]]\nid = \"a\"\n", "bad.toml:1:"},
        {"duplicate id", "[[child]]\nid = \"a\"\nphrases = [\"bé\"]\n[[child]]\nid = \"a\"\nphrases = [\"cháu\"]\n",
         "bad.toml:4:"},
        {"bad time kind", "[[time]]\nid = \"t\"\nkind = \"soon\"\nphrases = [\"đang\"]\n", "bad.toml:3:"},
        {"not UTF-8", "[[child]]\nid = \"a\"\nphrases = [\"b\xff\"]\n", "bad.toml:"},
        {"empty", "", "bad.toml:"},
    };
    for (const auto& r : rows) {
        INFO(std::string(r.name));
        auto lex = lexicon::parse(r.toml, "bad.toml");
        REQUIRE_FALSE(lex.has_value());
        CHECK(lex.err().code == "invalid_lexicon");
        CHECK_MESSAGE(lex.err().message.rfind(r.expect, 0) == 0, lex.err().message);
    }
}

TEST_CASE("classify: the repository lexicon parses") {
    auto lex = lexicon::parse(read_file(lexicon_path), lexicon_path);
    REQUIRE(lex.has_value());
    CHECK(lex->phrase_count() > 500);
}

TEST_CASE("classify: arbitrary bytes never crash") {
    const auto& c = shared();
    std::vector<std::string> inputs = {
        std::string("\xff\xfe\xfd", 3),
        std::string("b\xc3\xa9\x00 \xe1\xba", 6),
        std::string(1000, '\0'),
        std::string("\xcc\x81\xcc\x81\xcc\x81"),             // marks without a base
        std::string("\xf4\x90\x80\x80 \xed\xa0\x80 \xc0\xaf"),  // out of range, surrogate, overlong
        std::string("bé bị đánh \xe1\xba chảy máu \xff"),
    };
    std::string huge;
    for (int i = 0; i < 20000; ++i) huge += "bố đang đánh bé không ";
    inputs.push_back(huge);
    std::mt19937 rng(42);
    for (int i = 0; i < 300; ++i) {
        std::string s(rng() % 200, '\0');
        for (auto& ch : s) ch = static_cast<char>(rng());
        inputs.push_back(s);
    }
    for (const auto& in : inputs) {
        const auto r = c.classify(in);
        for (const auto& e : r.evidence) CHECK(is_valid_utf8(e.match));
    }
    CHECK(c.classify(huge).level == urgency::emergency);
    CHECK(normalize_for_matching(std::string("\xff\x00x", 3)) == "x");
}

TEST_CASE("classify: accuracy targets on the labelled sets") {
    const auto& c = shared();
    const std::filesystem::path dir = HOTLINE_SOURCE_DIR "/tests/intake/data";
    int files = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
        if (f.path().extension() != ".jsonl") continue;
        ++files;
        const auto ex = load(f.path().string());
        REQUIRE(ex.size() >= 50);
        int correct = 0, em = 0, em_hit = 0, em_dismissed = 0, low_pred = 0, low_ok = 0, tp = 0, fp = 0, fn = 0;
        for (const auto& e : ex) {
            const auto r = c.classify(e.text);
            if (r.level == e.level) ++correct;
            if (e.level == urgency::emergency) {
                ++em;
                if (r.level == urgency::emergency) ++em_hit;
                if (r.level == urgency::normal || r.level == urgency::low) ++em_dismissed;
            }
            if (r.level == urgency::low) {
                ++low_pred;
                if (e.level == urgency::low) ++low_ok;
            }
            std::set<std::string> pred(r.categories.begin(), r.categories.end());
            for (const auto& p : pred) (e.cats.count(p) ? tp : fp)++;
            for (const auto& g : e.cats) if (!pred.count(g)) ++fn;
        }
        const double acc = double(correct) / ex.size();
        const double recall = em ? double(em_hit) / em : 1.0;
        const double low_prec = low_pred ? double(low_ok) / low_pred : 1.0;
        const double p = tp + fp ? double(tp) / (tp + fp) : 1.0, rc = tp + fn ? double(tp) / (tp + fn) : 1.0;
        const double f1 = 2 * p * rc / (p + rc);
        INFO(f.path().filename().string(), ": accuracy ", acc, ", emergency recall ", recall, ", low precision ",
             low_prec, ", micro-F1 ", f1);
        CHECK(acc >= 0.85);
        CHECK(recall >= 0.95);
        CHECK(em_dismissed == 0);
        CHECK(low_prec >= 0.9);
        CHECK(f1 >= 0.8);
    }
    CHECK(files >= 2);
}
