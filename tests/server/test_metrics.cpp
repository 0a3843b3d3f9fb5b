#include "server/metrics.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/escalation.hpp"
#include "storage/views.hpp"
#include "tests/storage/directory_fixture.hpp"
#include "tests/storage/fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hotline;
using namespace hotline::server;
using namespace hotline::storage::test;
using hotline::test::temp_dir;
using namespace std::chrono_literals;

namespace {

// One sample of the exposition text.
struct parsed_sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct exposition {
    std::vector<parsed_sample> samples;
    std::map<std::string, std::string> types;  // family -> type
    std::set<std::string> helped;              // families with a HELP line
};

// A strict reader of the text format: every line is a comment (# HELP /
// # TYPE) or `name{label="value",...} number`; anything else fails the test.
exposition parse(const std::string& text) {
    exposition out;
    REQUIRE(!text.empty());
    REQUIRE(text.back() == '\n');
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto end = text.find('\n', pos);
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        REQUIRE_FALSE(line.empty());
        if (line.starts_with("# HELP ")) {
            const auto rest = line.substr(7);
            out.helped.insert(rest.substr(0, rest.find(' ')));
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            const auto rest = line.substr(7);
            const auto sp = rest.find(' ');
            REQUIRE(sp != std::string::npos);
            out.types[rest.substr(0, sp)] = rest.substr(sp + 1);
            continue;
        }
        REQUIRE_MESSAGE(line[0] != '#', line);
        parsed_sample s;
        std::size_t i = 0;
        while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ':'))
            ++i;
        s.name = line.substr(0, i);
        REQUIRE_MESSAGE(!s.name.empty(), line);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (line.at(i) != '}') {
                const auto eq = line.find('=', i);
                REQUIRE(eq != std::string::npos);
                const std::string key = line.substr(i, eq - i);
                REQUIRE(line.at(eq + 1) == '"');
                std::string value;
                std::size_t j = eq + 2;
                for (; line.at(j) != '"'; ++j) {
                    if (line[j] == '\\') {
                        ++j;
                        value.push_back(line.at(j) == 'n' ? '\n' : line[j]);
                    } else {
                        value.push_back(line[j]);
                    }
                }
                s.labels[key] = value;
                i = j + 1;
                if (line.at(i) == ',') ++i;
            }
            ++i;
        }
        REQUIRE_MESSAGE(line.at(i) == ' ', line);
        const std::string number = line.substr(i + 1);
        s.value = number == "+Inf" ? INFINITY : std::stod(number);
        out.samples.push_back(std::move(s));
    }
    return out;
}

const parsed_sample* find(const exposition& e, const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    for (const auto& s : e.samples)
        if (s.name == name && s.labels == labels) return &s;
    return nullptr;
}

double value_of(const exposition& e, const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    const auto* s = find(e, name, labels);
    REQUIRE_MESSAGE(s != nullptr, name);
    return s->value;
}

// The family a sample belongs to (a histogram's _bucket, _sum and _count).
std::string family_of(const exposition& e, const std::string& name) {
    if (e.types.contains(name)) return name;
    for (const char* suffix : {"_bucket", "_sum", "_count"})
        if (name.ends_with(suffix)) return name.substr(0, name.size() - std::string_view(suffix).size());
    return name;
}

// Every sample declared, histograms well formed: buckets ascending in le,
// counts never falling, +Inf equal to _count.
void check_well_formed(const exposition& e) {
    for (const auto& s : e.samples) {
        const auto family = family_of(e, s.name);
        CHECK_MESSAGE(e.types.contains(family), s.name);
        CHECK_MESSAGE(e.helped.contains(family), s.name);
    }
    for (const auto& [family, type] : e.types) {
        if (type != "histogram") continue;
        double last_le = -1, last_count = 0;
        bool inf = false;
        for (const auto& s : e.samples) {
            if (s.name != family + "_bucket") continue;
            const double le = s.labels.at("le") == "+Inf" ? INFINITY : std::stod(s.labels.at("le"));
            CHECK(le > last_le);
            CHECK(s.value >= last_count);
            last_le = le;
            last_count = s.value;
            inf = inf || s.labels.at("le") == "+Inf";
        }
        CHECK(inf);
        CHECK(last_count == value_of(e, family + "_count"));
    }
}

}  // namespace

TEST_CASE("render_metrics: every family declared, labels escaped, the histogram cumulative") {
    storage::metrics_counts m;
    m.reports = {{"web", "emergency", 3}, {"sms", "unclassified", 2}, {"we\"b\\", "x\ny", 1}};
    m.assignments_open = 7;
    m.ack_breaches = 2;
    m.escalations = 1;
    m.action_breaches = 4;
    m.plan_breaches = 5;
    m.ack_buckets = {1, 2, 2, 3, 5, 5, 6};
    m.ack_count = 6;
    m.ack_seconds_sum = 12345.5;
    m.outbox = {1, 0, 9, 2};
    m.outbox_undelivered = 1;
    int calls = 0;
    std::vector<process_metric> process = {{"hotline_test_total", "A test counter.", "counter", [&] {
                                                ++calls;
                                                return 42.0;
                                            }}};
    const auto text = render_metrics(m, 0.0125, process);
    const auto e = parse(text);
    check_well_formed(e);
    CHECK(calls == 1);
    CHECK(e.types.at("hotline_reports_total") == "gauge");
    CHECK(e.types.at("hotline_time_to_ack_seconds") == "histogram");
    CHECK(e.types.at("hotline_ack_breaches_total") == "counter");
    CHECK(value_of(e, "hotline_reports_total", {{"channel", "web"}, {"urgency", "emergency"}}) == 3);
    CHECK(value_of(e, "hotline_reports_total", {{"channel", "sms"}, {"urgency", "unclassified"}}) == 2);
    CHECK(value_of(e, "hotline_reports_total", {{"channel", "we\"b\\"}, {"urgency", "x\ny"}}) == 1);
    CHECK(value_of(e, "hotline_assignments_open") == 7);
    CHECK(value_of(e, "hotline_ack_breaches_total") == 2);
    CHECK(value_of(e, "hotline_escalations_total") == 1);
    CHECK(value_of(e, "hotline_legal_breaches_total", {{"clock", "action"}}) == 4);
    CHECK(value_of(e, "hotline_legal_breaches_total", {{"clock", "plan"}}) == 5);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_bucket", {{"le", "60"}}) == 1);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_bucket", {{"le", "86400"}}) == 6);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_bucket", {{"le", "+Inf"}}) == 6);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_sum") == doctest::Approx(12345.5));
    CHECK(value_of(e, "hotline_time_to_ack_seconds_count") == 6);
    CHECK(value_of(e, "hotline_outbox_messages", {{"state", "pending"}}) == 1);
    CHECK(value_of(e, "hotline_outbox_messages", {{"state", "sending"}}) == 0);
    CHECK(value_of(e, "hotline_outbox_messages", {{"state", "failed"}}) == 2);
    CHECK(value_of(e, "hotline_outbox_failures_total") == 2);
    CHECK(value_of(e, "hotline_outbox_undelivered_total") == 1);
    CHECK(value_of(e, "hotline_metrics_query_seconds") == doctest::Approx(0.0125));
    CHECK(value_of(e, "hotline_test_total") == 42);
    // Each family's HELP and TYPE once.
    std::size_t types = 0;
    for (std::size_t p = text.find("# TYPE hotline_reports_total"); p != std::string::npos;
         p = text.find("# TYPE hotline_reports_total", p + 1))
        ++types;
    CHECK(types == 1);
}

TEST_CASE("render_metrics over a real database: the histogram counts the acknowledged assignments") {
    using storage::connection;
    const time_point t0 = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z
    temp_dir dir;
    auto db = open_db(dir);
    add_staff(*db,
              {{"m-cp", routing::role::commune_child_protection, "05983"},
               {"m-police", routing::role::commune_police, "05983"}},
              t0);
    static const routing::routing_policy rules = routing::routing_policy::defaults();
    static const storage::deadline_policy deadlines;
    const auto insert = [&](intake::urgency level, intake::channel ch) {
        storage::new_report r;
        r.channel = ch;
        r.received_at = t0;
        r.data.text = "Hàng xóm đánh cháu bé";
        storage::classification_event e;
        e.result.level = level;
        e.lexicon = "test";
        r.classification = std::move(e);
        routing::location_result l;
        l.commune_code = "05983";
        l.province_code = "20";
        r.routing = storage::routing_request{l, &rules, &deadlines};
        return ok(await<storage::receipt>([&](auto done) { db->insert_report(std::move(r), done); }));
    };
    insert(intake::urgency::emergency, intake::channel::web);
    insert(intake::urgency::normal, intake::channel::sms);
    insert(intake::urgency::normal, intake::channel::sms);
    insert(intake::urgency::high, intake::channel::api);
    const auto cp = read_int(*db, "SELECT id FROM contacts WHERE key = 'm-cp'");
    // Three acknowledgements: 30 s, 10 min, 2 h after assignment.
    int n = 0;
    for (const auto after : {30s, 600s, 7200s}) {
        const auto id = read_int(*db, "SELECT id FROM assignments WHERE contact_id = " + std::to_string(cp) +
                                          " ORDER BY id LIMIT 1 OFFSET " + std::to_string(n++));
        ok(await<storage::acknowledged>([&](auto done) {
            db->write<storage::acknowledged>(
                [&](connection& c) { return storage::acknowledge(c, {id, cp, "api", t0 + after}); }, done);
        }));
    }
    const auto m = ok(await<storage::metrics_counts>(
        [&](auto done) {
            db->read<storage::metrics_counts>([](connection& c) { return storage::read_metrics(c); }, done);
        }));
    const auto e = parse(render_metrics(m, 0.001, {}));
    check_well_formed(e);
    const auto acknowledged = read_int(*db, "SELECT count(*) FROM assignments WHERE state = 'acknowledged'");
    CHECK(acknowledged == 3);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_count") == acknowledged);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_sum") == doctest::Approx(30 + 600 + 7200));
    CHECK(value_of(e, "hotline_time_to_ack_seconds_bucket", {{"le", "60"}}) == 1);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_bucket", {{"le", "900"}}) == 2);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_bucket", {{"le", "3600"}}) == 2);
    CHECK(value_of(e, "hotline_time_to_ack_seconds_bucket", {{"le", "14400"}}) == 3);
    CHECK(value_of(e, "hotline_reports_total", {{"channel", "sms"}, {"urgency", "normal"}}) == 2);
    CHECK(value_of(e, "hotline_reports_total", {{"channel", "web"}, {"urgency", "emergency"}}) == 1);
    CHECK(value_of(e, "hotline_reports_total", {{"channel", "api"}, {"urgency", "high"}}) == 1);
    CHECK(value_of(e, "hotline_assignments_open") ==
          read_int(*db, "SELECT count(*) FROM assignments WHERE state = 'open'"));
    // No personal data: no contact key, no text.
    const auto text = render_metrics(m, 0.001, {});
    CHECK(text.find("m-cp") == std::string::npos);
    CHECK(text.find("cháu") == std::string::npos);
}
