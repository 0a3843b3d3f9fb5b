// classify_eval LEXICON FILE.jsonl...
// classify_eval LEXICON --explain TEXT...   (the decision and its evidence)
//
// Quality of the triage classifier on labelled JSON lines
// ({"id","text","urgency","categories":[...]}) and its speed on 300-character
// messages, compared with a plain ASCII-lowercase pass over the same bytes,
// and on reports of 300 to 800 bytes (the size the server's intake sees).

#include "intake/classify.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "bench/eval_support.hpp"

namespace json = boost::json;
using namespace hotline::intake;
using hotline::bench::read_file;

namespace {

struct example {
    std::string id, text;
    urgency level = urgency::normal;
    std::set<std::string> cats;
};

std::vector<example> load(const char* path, bool& ok) {
    std::vector<example> out;
    ok = hotline::bench::for_each_json_line(path, [&](const json::object& o, int n) {
        example e;
        if (const char* s = hotline::bench::string_member(o, "id")) e.id = s;
        if (const char* s = hotline::bench::string_member(o, "text")) e.text = s;
        if (auto* p = o.if_contains("urgency"); p && p->is_string()) {
            auto u = parse_urgency(std::string_view(p->as_string()));
            if (!u) {
                std::fprintf(stderr, "%s:%d: bad urgency\n", path, n);
                return false;
            }
            e.level = *u;
        }
        if (auto* p = o.if_contains("categories"); p && p->is_array())
            for (const auto& c : p->as_array())
                if (c.is_string()) e.cats.insert(std::string(c.as_string()));
        out.push_back(std::move(e));
        return true;
    });
    return out;
}

int idx(urgency u) { return static_cast<int>(u); }  // emergency, high, normal, low

void evaluate(const classifier& clf, const char* path, const std::vector<example>& ex) {
    std::array<std::array<int, 4>, 4> cm{};  // [gold][predicted]
    int tp = 0, fp = 0, fn = 0;
    std::vector<std::string> wrong;
    for (const auto& e : ex) {
        const auto r = clf.classify(e.text);
        ++cm[idx(e.level)][idx(r.level)];
        std::set<std::string> pred(r.categories.begin(), r.categories.end());
        bool cat_ok = pred == e.cats;
        for (const auto& c : pred) (e.cats.count(c) ? tp : fp)++;
        for (const auto& c : e.cats) if (!pred.count(c)) ++fn;
        if (r.level != e.level || !cat_ok) {
            std::string w = e.id + " (" + std::string(to_string(e.level)) + "->" + std::string(to_string(r.level));
            if (!cat_ok) {
                w += "; cats:";
                for (const auto& c : pred) if (!e.cats.count(c)) w += " +" + c;
                for (const auto& c : e.cats) if (!pred.count(c)) w += " -" + c;
            }
            wrong.push_back(w + ")");
        }
    }
    const int n = static_cast<int>(ex.size());
    int correct = 0;
    for (int i = 0; i < 4; ++i) correct += cm[i][i];
    const int em_total = cm[0][0] + cm[0][1] + cm[0][2] + cm[0][3];
    const int em_low = cm[0][2] + cm[0][3];
    int low_pred = 0;
    for (int i = 0; i < 4; ++i) low_pred += cm[i][3];
    const double acc = n ? double(correct) / n : 0;
    const double em_recall = em_total ? double(cm[0][0]) / em_total : 1;
    const double low_prec = low_pred ? double(cm[3][3]) / low_pred : 1;
    const double p = tp + fp ? double(tp) / (tp + fp) : 1, rc = tp + fn ? double(tp) / (tp + fn) : 1;
    const double f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
    std::printf("== %s (%d examples)\n", path, n);
    std::printf("urgency accuracy        %.3f\n", acc);
    std::printf("emergency recall        %.3f\n", em_recall);
    std::printf("emergency -> normal/low %d\n", em_low);
    std::printf("precision of low        %.3f\n", low_prec);
    std::printf("category micro-F1       %.3f (P %.3f R %.3f)\n", f1, p, rc);
    std::printf("confusion (rows gold, columns predicted)\n            emergency     high   normal      low\n");
    const char* names[] = {"emergency", "high", "normal", "low"};
    for (int i = 0; i < 4; ++i)
        std::printf("%-10s %10d %8d %8d %8d\n", names[i], cm[i][0], cm[i][1], cm[i][2], cm[i][3]);
    std::printf("misclassified (%zu):", wrong.size());
    for (const auto& w : wrong) std::printf("\n  %s", w.c_str());
    std::printf("\n\n");
}

void speed(const classifier& clf, const std::vector<example>& all) {
    // 300-character messages: examples concatenated until 300 code points.
    std::vector<std::string> msgs;
    std::string cur;
    std::size_t cps = 0;
    for (int round = 0; msgs.size() < 1000 && round < 1000; ++round)
        for (const auto& e : all) {
            for (unsigned char c : e.text + " ") {
                if (cps == 300 && (c & 0xC0) != 0x80) {
                    msgs.push_back(cur);
                    cur.clear();
                    cps = 0;
                }
                cur.push_back(static_cast<char>(c));
                if ((c & 0xC0) != 0x80) ++cps;
            }
        }
    if (msgs.empty()) return;
    std::size_t bytes = 0;
    for (const auto& m : msgs) bytes += m.size();
    std::size_t sink = 0;
    const double rate = hotline::bench::texts_per_second(msgs, 1.5, [&](const std::string& m) {
        const auto r = clf.classify(m);
        sink += r.evidence.size() + static_cast<std::size_t>(r.level);
    });
    const double brate = hotline::bench::lowercase_per_second(msgs, 1.0, sink);
    std::printf("== speed (%zu distinct messages of 300 characters, %.0f bytes on average)\n", msgs.size(),
                double(bytes) / msgs.size());
    std::printf("classify                %.0f messages/s (%.1f MB/s)\n", rate, rate * bytes / msgs.size() / 1e6);
    std::printf("ASCII lower-case pass   %.0f messages/s\n", brate);
    std::printf("ratio (lower / classify) %.1fx slower than lower-casing\n", brate / rate);

    // Reports of 300 to 800 bytes: examples concatenated until a target size
    // that steps through that range, cut at an example's end (so every
    // message ends on a character boundary).
    std::vector<std::string> reports;
    cur.clear();
    std::size_t target = 300;
    for (int round = 0; reports.size() < 1000 && round < 1000; ++round)
        for (const auto& e : all) {
            if (e.text.size() > 800) continue;
            if (cur.size() + 1 + e.text.size() > 800) cur.clear();  // would overshoot: start again
            if (!cur.empty()) cur.push_back(' ');
            cur += e.text;
            if (cur.size() >= target) {
                reports.push_back(cur);
                cur.clear();
                target = 300 + (target - 300 + 37) % 500;  // 300 .. 799
            }
        }
    if (!reports.empty()) {
        std::size_t rbytes = 0;
        for (const auto& m : reports) rbytes += m.size();
        const double rrate = hotline::bench::texts_per_second(reports, 1.5, [&](const std::string& m) {
            const auto r = clf.classify(m);
            sink += r.evidence.size() + static_cast<std::size_t>(r.level);
        });
        std::printf("classify 300-800 bytes  %.0f messages/s (%.1f MB/s, %zu messages, %.0f bytes on average, "
                    "%.1f us each)\n",
                    rrate, rrate * rbytes / reports.size() / 1e6, reports.size(), double(rbytes) / reports.size(),
                    1e6 / rrate);
    }
    std::printf("(sink %zu)\n", sink % 10);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s LEXICON FILE.jsonl...\n", argv[0]);
        return 2;
    }
    const std::string text = read_file(argv[1]);
    auto lex = lexicon::parse(text, argv[1]);
    if (!lex) {
        std::fprintf(stderr, "%s\n", lex.err().message.c_str());
        return 1;
    }
    std::printf("lexicon %s: %zu phrases\n\n", argv[1], lex->phrase_count());
    classifier clf(std::move(*lex));
    if (std::string_view(argv[2]) == "--explain") {
        for (int i = 3; i < argc; ++i) {
            const auto r = clf.classify(argv[i]);
            std::printf("%s\n  %s %s [", argv[i], std::string(to_string(r.level)).c_str(),
                        std::string(to_string(r.track)).c_str());
            for (const auto& c : r.categories) std::printf(" %s", c.c_str());
            std::printf(" ]\n  normalised: %s\n", normalize_for_matching(argv[i]).c_str());
            for (const auto& e : r.evidence) std::printf("  %-28s %s\n", e.rule.c_str(), e.match.c_str());
        }
        return 0;
    }
    std::vector<example> all;
    int rc = 0;
    for (int i = 2; i < argc; ++i) {
        bool ok = false;
        auto ex = load(argv[i], ok);
        if (!ok) rc = 1;
        evaluate(clf, argv[i], ex);
        all.insert(all.end(), ex.begin(), ex.end());
    }
    speed(clf, all);
    return rc;
}
