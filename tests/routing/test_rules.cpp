#include "routing/rules.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

using namespace hotline;
using namespace hotline::routing;

namespace {

using intake::urgency;

const time_point noon = from_unix_ms(1782878400000);  // 2026-07-01T04:00:00Z, 11:00 in Hanoi

// A directory that knows who is on duty, per (role, unit), and remembers what
// it was asked.
class fake_directory final : public directory_view {
public:
    void put(role r, std::string unit, std::int64_t id, std::string key) {
        people_[{r, unit}].push_back(duty_contact{id, std::move(key), r, unit});
    }
    void fail_on(role r) { fail_ = r; }

    result<std::vector<duty_contact>> on_duty(role r, std::string_view unit, time_point t) override {
        asked.push_back(std::string(to_string(r)) + "@" + std::string(unit));
        CHECK(t == noon);
        if (fail_ && *fail_ == r) return make_error("storage_failure", "disk on fire");
        const auto it = people_.find({r, std::string(unit)});
        if (it == people_.end()) return std::vector<duty_contact>{};
        return it->second;
    }

    std::vector<std::string> asked;

private:
    std::map<std::tuple<role, std::string>, std::vector<duty_contact>> people_;
    std::optional<role> fail_;
};

// Lạng Sơn (20), ward Lương Văn Tri (05983): everybody there, plus the hotline.
fake_directory full_directory() {
    fake_directory d;
    d.put(role::commune_child_protection, "05983", 1, "ls-cp");
    d.put(role::commune_police, "05983", 2, "ls-police");
    d.put(role::commune_chair, "05983", 3, "ls-chair");
    d.put(role::province_coordinator, "20", 4, "ls-coord");
    d.put(role::province_police, "20", 5, "ls-ppolice");
    d.put(role::hotline_supervisor, "VN", 6, "hotline-sup");
    return d;
}

route_input input(urgency u, std::vector<std::string> categories = {}, std::optional<std::string> commune = "05983",
                  std::optional<std::string> province = "20") {
    route_input in;
    in.level = u;
    in.categories = std::move(categories);
    in.commune_code = std::move(commune);
    in.province_code = std::move(province);
    in.at = noon;
    return in;
}

// "key/role/unit/reason" for contacts, "queue:Q/unit/reason" for queues.
std::vector<std::string> summary(const route_plan& p) {
    std::vector<std::string> out;
    for (const auto& a : p.assignments) {
        if (a.contact) {
            CHECK(a.role == a.contact->role);
            out.push_back(a.contact->key + "/" + std::string(to_string(*a.role)) + "/" + a.unit_code + "/" + a.reason);
        } else {
            CHECK_FALSE(a.role.has_value());
            out.push_back("queue:" + a.queue + "/" + a.unit_code + "/" + a.reason);
        }
    }
    return out;
}

route_plan plan(fake_directory& d, const route_input& in, const routing_policy& p = routing_policy::defaults()) {
    auto r = route(p, in, d);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().message));
    CHECK_FALSE(r->assignments.empty());
    return std::move(*r);
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("rules: the default rules with everybody on duty") {
    struct {
        const char* name;
        urgency level;
        strings categories;
        strings fired;
        strings assignments;
    } const cases[] = {
        {"emergency: child protection and police", urgency::emergency, {"physical_violence"}, {"emergency"},
         {"ls-cp/commune_child_protection/05983/rule:emergency", "ls-police/commune_police/05983/rule:emergency"}},
        {"high: child protection", urgency::high, {"neglect"}, {"standard"},
         {"ls-cp/commune_child_protection/05983/rule:standard"}},
        {"normal: child protection", urgency::normal, {}, {"standard"},
         {"ls-cp/commune_child_protection/05983/rule:standard"}},
        {"sexual abuse: police too", urgency::normal, {"sexual_abuse"}, {"standard", "police-always"},
         {"ls-cp/commune_child_protection/05983/rule:standard", "ls-police/commune_police/05983/rule:police-always"}},
        {"trafficking: police too", urgency::high, {"exploitation", "trafficking"}, {"standard", "police-always"},
         {"ls-cp/commune_child_protection/05983/rule:standard", "ls-police/commune_police/05983/rule:police-always"}},
        {"emergency sexual abuse: police once", urgency::emergency, {"sexual_abuse"}, {"emergency", "police-always"},
         {"ls-cp/commune_child_protection/05983/rule:emergency", "ls-police/commune_police/05983/rule:emergency"}},
        {"low: hotline queue only", urgency::low, {"neglect"}, {"low"}, {"queue:hotline/VN/rule:low"}},
        {"low sexual abuse: police whatever the urgency", urgency::low, {"sexual_abuse"}, {"police-always", "low"},
         {"ls-police/commune_police/05983/rule:police-always", "queue:hotline/VN/rule:low"}},
    };
    for (const auto& t : cases) {
        CAPTURE(t.name);
        auto d = full_directory();
        const auto p = plan(d, input(t.level, t.categories));
        CHECK(p.rules_fired == t.fired);
        CHECK(summary(p) == t.assignments);
    }
}

TEST_CASE("rules: the low rule asks the directory nothing") {
    auto d = full_directory();
    const auto p = plan(d, input(urgency::low));
    CHECK(d.asked.empty());
    CHECK(summary(p) == strings{"queue:hotline/VN/rule:low"});
}

TEST_CASE("rules: nobody on duty walks the fallback chain") {
    struct {
        const char* name;
        std::vector<std::tuple<role, const char*, std::int64_t, const char*>> people;
        strings assignments;
    } const cases[] = {
        {"child protection off: the commune chair",
         {{role::commune_chair, "05983", 3, "ls-chair"}, {role::province_coordinator, "20", 4, "ls-coord"}},
         {"ls-chair/commune_chair/05983/fallback:commune_chair for commune_child_protection"}},
        {"commune empty: the province coordinator",
         {{role::province_coordinator, "20", 4, "ls-coord"}, {role::hotline_supervisor, "VN", 6, "hotline-sup"}},
         {"ls-coord/province_coordinator/20/fallback:province_coordinator for commune_child_protection"}},
        {"province empty too: the hotline supervisor",
         {{role::hotline_supervisor, "VN", 6, "hotline-sup"}},
         {"hotline-sup/hotline_supervisor/VN/fallback:hotline_supervisor for commune_child_protection"}},
        {"nobody anywhere: the province queue", {}, {"queue:province/20/nobody on duty for commune_child_protection"}},
        {"somebody elsewhere does not count",
         {{role::commune_child_protection, "05984", 9, "other-cp"}, {role::province_coordinator, "01", 8, "hn-coord"}},
         {"queue:province/20/nobody on duty for commune_child_protection"}},
    };
    for (const auto& t : cases) {
        CAPTURE(t.name);
        fake_directory d;
        for (const auto& [r, unit, id, key] : t.people) d.put(r, unit, id, key);
        const auto p = plan(d, input(urgency::normal));
        CHECK(p.rules_fired == strings{"standard"});
        CHECK(summary(p) == t.assignments);
    }
}

TEST_CASE("rules: the chain is asked in order and stops at the first role with somebody") {
    fake_directory d;
    d.put(role::province_coordinator, "20", 4, "ls-coord");
    d.put(role::hotline_supervisor, "VN", 6, "hotline-sup");
    (void)plan(d, input(urgency::normal));
    CHECK(d.asked == strings{"commune_child_protection@05983", "commune_chair@05983", "province_coordinator@20"});
}

TEST_CASE("rules: a contact is given the report once, even when a fallback reaches them twice") {
    fake_directory d;
    d.put(role::commune_chair, "05983", 3, "ls-chair");
    const auto p = plan(d, input(urgency::emergency));
    CHECK(summary(p) == strings{"ls-chair/commune_chair/05983/fallback:commune_chair for commune_child_protection"});
}

TEST_CASE("rules: one role, two on duty: the first of them, a second role of the same rule the next") {
    fake_directory d;
    d.put(role::commune_child_protection, "05983", 1, "cp-a");
    d.put(role::commune_child_protection, "05983", 7, "cp-b");
    d.put(role::commune_chair, "05983", 3, "ls-chair");
    const auto p = plan(d, input(urgency::emergency));
    CHECK(summary(p) == strings{"cp-a/commune_child_protection/05983/rule:emergency",
                                "ls-chair/commune_chair/05983/fallback:commune_chair for commune_police"});
}

TEST_CASE("rules: no commune") {
    struct {
        const char* name;
        std::optional<std::string> province;
        std::vector<std::tuple<role, const char*, std::int64_t, const char*>> people;
        strings assignments;
    } const cases[] = {
        {"province known: its coordinator", "20",
         {{role::province_coordinator, "20", 4, "ls-coord"}, {role::hotline_supervisor, "VN", 6, "hotline-sup"}},
         {"ls-coord/province_coordinator/20/no commune"}},
        {"province known, no coordinator on duty: the hotline supervisor", "20",
         {{role::hotline_supervisor, "VN", 6, "hotline-sup"}},
         {"hotline-sup/hotline_supervisor/VN/no commune"}},
        {"province known, nobody: the province queue", "20", {},
         {"queue:province/20/no commune; nobody on duty"}},
        {"no province: the hotline supervisor", std::nullopt,
         {{role::province_coordinator, "20", 4, "ls-coord"}, {role::hotline_supervisor, "VN", 6, "hotline-sup"}},
         {"hotline-sup/hotline_supervisor/VN/no commune"}},
        {"no province, nobody: the hotline queue", std::nullopt, {},
         {"queue:hotline/VN/no commune; nobody on duty"}},
    };
    for (const auto& t : cases) {
        CAPTURE(t.name);
        fake_directory d;
        for (const auto& [r, unit, id, key] : t.people) d.put(r, unit, id, key);
        // Emergency asks for two commune roles: the fallback runs once, not per role.
        const auto p = plan(d, input(urgency::emergency, {}, std::nullopt, t.province));
        CHECK(p.rules_fired == strings{"emergency"});
        CHECK(summary(p) == t.assignments);
    }
}

TEST_CASE("rules: an empty commune code counts as none") {
    auto d = full_directory();
    const auto p = plan(d, input(urgency::normal, {}, std::string(), "20"));
    CHECK(summary(p) == strings{"ls-coord/province_coordinator/20/no commune"});
}

TEST_CASE("rules: province roles look in the province and never fall back to a commune role") {
    routing_policy policy;
    policy.rules = {{"province", {}, {}, {role::province_police}}};
    {
        auto d = full_directory();
        const auto p = plan(d, input(urgency::normal), policy);
        CHECK(summary(p) == strings{"ls-ppolice/province_police/20/rule:province"});
    }
    {
        fake_directory d;
        d.put(role::commune_chair, "05983", 3, "ls-chair");
        d.put(role::province_coordinator, "20", 4, "ls-coord");
        const auto p = plan(d, input(urgency::normal), policy);
        CHECK(summary(p) ==
              strings{"ls-coord/province_coordinator/20/fallback:province_coordinator for province_police"});
        CHECK(d.asked == strings{"province_police@20", "province_coordinator@20"});
    }
    {
        // Neither commune nor province: the hotline supervisor.
        auto d = full_directory();
        const auto p = plan(d, input(urgency::normal, {}, std::nullopt, std::nullopt), policy);
        CHECK(summary(p) == strings{"hotline-sup/hotline_supervisor/VN/no province"});
    }
}

TEST_CASE("rules: the fallback chain is the policy's") {
    routing_policy policy = routing_policy::defaults();
    SUBCASE("without the chair") {
        policy.fallback = {role::province_coordinator};
        fake_directory partial;
        partial.put(role::commune_chair, "05983", 3, "ls-chair");
        partial.put(role::province_coordinator, "20", 4, "ls-coord");
        partial.put(role::hotline_supervisor, "VN", 6, "hotline-sup");
        const auto p = plan(partial, input(urgency::normal), policy);
        CHECK(summary(p) ==
              strings{"ls-coord/province_coordinator/20/fallback:province_coordinator for commune_child_protection"});
    }
    SUBCASE("empty: straight to the queue") {
        policy.fallback = {};
        fake_directory d;
        d.put(role::hotline_supervisor, "VN", 6, "hotline-sup");
        const auto p = plan(d, input(urgency::normal), policy);
        CHECK(summary(p) == strings{"queue:province/20/nobody on duty for commune_child_protection"});
    }
    SUBCASE("a chain role itself continues after its own place") {
        policy.rules = {{"chair", {}, {}, {role::commune_chair}}};
        fake_directory d;
        d.put(role::province_coordinator, "20", 4, "ls-coord");
        const auto p = plan(d, input(urgency::normal), policy);
        CHECK(summary(p) ==
              strings{"ls-coord/province_coordinator/20/fallback:province_coordinator for commune_chair"});
        CHECK(d.asked == strings{"commune_chair@05983", "province_coordinator@20"});
    }
}

TEST_CASE("rules: matching and stop") {
    routing_policy policy;
    policy.rules = {
        {"violence", {urgency::high}, {"physical_violence", "emotional_violence"}, {role::commune_police}},
        {"stopper", {urgency::high}, {}, {role::commune_child_protection}, false, true},
        {"after-stop", {}, {}, {role::commune_chair}},
    };
    struct {
        const char* name;
        urgency level;
        strings categories;
        strings fired;
    } const cases[] = {
        {"any listed category matches", urgency::high, {"neglect", "emotional_violence"},
         {"violence", "stopper"}},
        {"no listed category: no match", urgency::high, {"neglect"}, {"stopper"}},
        {"no categories at all: no match for a rule with categories", urgency::high, {}, {"stopper"}},
        {"other urgency: only the catch-all", urgency::normal, {"physical_violence"}, {"after-stop"}},
    };
    for (const auto& t : cases) {
        CAPTURE(t.name);
        auto d = full_directory();
        const auto p = plan(d, input(t.level, t.categories), policy);
        CHECK(p.rules_fired == t.fired);
    }
}

TEST_CASE("rules: a rule may add the hotline queue to its roles") {
    routing_policy policy;
    policy.rules = {{"both", {}, {}, {role::commune_child_protection}, true}};
    auto d = full_directory();
    const auto p = plan(d, input(urgency::normal), policy);
    CHECK(summary(p) == strings{"ls-cp/commune_child_protection/05983/rule:both", "queue:hotline/VN/rule:both"});
}

TEST_CASE("rules: when no rule matches, a queue") {
    routing_policy policy;
    policy.rules = {{"emergency-only", {urgency::emergency}, {}, {role::commune_police}}};
    {
        auto d = full_directory();
        const auto p = plan(d, input(urgency::normal), policy);
        CHECK(p.rules_fired.empty());
        CHECK(summary(p) == strings{"queue:province/20/no rule matched"});
        CHECK(d.asked.empty());
    }
    {
        auto d = full_directory();
        const auto p = plan(d, input(urgency::normal, {}, std::nullopt, std::nullopt), policy);
        CHECK(summary(p) == strings{"queue:hotline/VN/no rule matched"});
    }
    {
        policy.rules.clear();
        auto d = full_directory();
        const auto p = plan(d, input(urgency::emergency), policy);
        CHECK(summary(p) == strings{"queue:province/20/no rule matched"});
    }
}

TEST_CASE("rules: two roles that both end in the same queue give one queue entry") {
    fake_directory d;
    const auto p = plan(d, input(urgency::emergency));
    CHECK(summary(p) == strings{"queue:province/20/nobody on duty for commune_child_protection"});
}

TEST_CASE("rules: a directory error is passed on as it is") {
    auto d = full_directory();
    d.fail_on(role::commune_police);
    const auto r = route(routing_policy::defaults(), input(urgency::emergency), d);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "storage_failure");
    CHECK(r.err().message == "disk on fire");

    fake_directory fallback_fails;
    fallback_fails.fail_on(role::commune_chair);
    const auto f = route(routing_policy::defaults(), input(urgency::normal), fallback_fails);
    REQUIRE_FALSE(f.has_value());
    CHECK(f.err().code == "storage_failure");
}

TEST_CASE("rules: validate") {
    CHECK(routing_policy::defaults().validate().has_value());
    CHECK(routing_policy{}.validate().has_value());

    struct {
        const char* name;
        std::vector<routing_rule> rules;
        std::vector<role> fallback;
        std::string field;
    } const cases[] = {
        {"no name", {{"", {}, {}, {role::commune_police}}}, {}, "routing.rules[0].name"},
        {"duplicate name", {{"a", {}, {}, {role::commune_police}}, {"a", {}, {}, {role::commune_chair}}}, {},
         "routing.rules[1].name"},
        {"no roles, no queue", {{"a", {urgency::low}, {}, {}}}, {}, "routing.rules[0].roles"},
        {"unknown category",
         {{"ok", {}, {}, {role::commune_police}}, {"a", {}, {"neglect", "theft"}, {role::commune_police}}},
         {},
         "routing.rules[1].categories"},
        {"fallback twice", {}, {role::commune_chair, role::commune_chair}, "routing.fallback"},
    };
    for (const auto& t : cases) {
        CAPTURE(t.name);
        routing_policy p;
        p.rules = t.rules;
        p.fallback = t.fallback;
        const auto r = p.validate();
        REQUIRE_FALSE(r.has_value());
        CHECK(r.err().code == "invalid_routing");
        CHECK(r.err().field == t.field);
        CHECK(r.err().message.find(t.field) != std::string::npos);
    }
    routing_policy queue_only;
    queue_only.rules = {{"q", {}, {}, {}, true}};
    CHECK(queue_only.validate().has_value());
}

TEST_CASE("rules: the defaults as documented") {
    const auto p = routing_policy::defaults();
    REQUIRE(p.rules.size() == 4);
    CHECK(p.rules[0].roles == std::vector<role>{role::commune_child_protection, role::commune_police});
    CHECK(p.rules[1].urgencies == std::vector<urgency>{urgency::high, urgency::normal});
    CHECK(p.rules[2].categories == strings{"sexual_abuse", "trafficking"});
    CHECK(p.rules[2].urgencies.empty());
    CHECK(p.rules[3].roles.empty());
    CHECK(p.fallback == std::vector<role>{role::commune_chair, role::province_coordinator, role::hotline_supervisor});
}
