#include "routing/rules.hpp"

#include <algorithm>
#include <utility>

namespace hotline::routing {

namespace {

int rank(role_level l) noexcept {
    switch (l) {
    case role_level::commune: return 0;
    case role_level::province: return 1;
    case role_level::national: return 2;
    }
    return 0;
}

bool known_category(std::string_view c) noexcept {
    return std::find(std::begin(intake::category_labels), std::end(intake::category_labels), c) !=
           std::end(intake::category_labels);
}

bool matches(const routing_rule& rule, const route_input& in) {
    if (!rule.urgencies.empty() &&
        std::find(rule.urgencies.begin(), rule.urgencies.end(), in.level) == rule.urgencies.end())
        return false;
    if (rule.categories.empty()) return true;
    return std::any_of(rule.categories.begin(), rule.categories.end(), [&](const std::string& c) {
        return std::find(in.categories.begin(), in.categories.end(), c) != in.categories.end();
    });
}

// One role asked for, with the rule that asked first.
struct wanted_role {
    role r;
    const routing_rule* rule;
};

// Builds one plan. Every directory answer is checked; the first error ends
// the walk and is returned as it is.
class planner {
public:
    planner(const routing_policy& p, const route_input& in, directory_view& d) : policy_(p), in_(in), dir_(d) {}

    result<route_plan> run() {
        std::vector<wanted_role> roles;
        const routing_rule* queue_rule = nullptr;
        for (const auto& rule : policy_.rules) {
            if (!matches(rule, in_)) continue;
            plan_.rules_fired.push_back(rule.name);
            for (const role r : rule.roles)
                if (std::none_of(roles.begin(), roles.end(), [&](const wanted_role& w) { return w.r == r; }))
                    roles.push_back({r, &rule});
            if (rule.hotline_queue && !queue_rule) queue_rule = &rule;
            if (rule.stop) break;
        }

        bool unlocated_done = false;
        for (const auto& w : roles) {
            const std::string reason = "rule:" + w.rule->name;
            const auto unit = unit_of(w.r);
            if (!unit) {
                // The place the role belongs to is unknown: one fallback for
                // all such roles, not one per role.
                if (unlocated_done) continue;
                unlocated_done = true;
                if (auto r = route_unlocated(w.r); !r) return std::move(r).err();
                continue;
            }
            auto found = try_role(w.r, *unit, reason);
            if (!found) return std::move(found).err();
            if (*found) continue;
            auto fell = walk_fallback(w.r);
            if (!fell) return std::move(fell).err();
            if (!*fell) add_queue_for_unreached("nobody on duty for " + std::string(to_string(w.r)));
        }
        if (queue_rule) add_queue("hotline", std::string(national_unit), "rule:" + queue_rule->name);
        if (plan_.assignments.empty()) add_queue_for_unreached("no rule matched");
        return std::move(plan_);
    }

private:
    // The unit a role is looked up in for this report, or none when the
    // locator did not find it.
    std::optional<std::string_view> unit_of(role r) const {
        switch (level_of(r)) {
        case role_level::commune:
            if (in_.commune_code && !in_.commune_code->empty()) return std::string_view(*in_.commune_code);
            return std::nullopt;
        case role_level::province:
            if (in_.province_code && !in_.province_code->empty()) return std::string_view(*in_.province_code);
            return std::nullopt;
        case role_level::national: return national_unit;
        }
        return std::nullopt;
    }

    bool has_contact(std::int64_t id) const {
        return std::any_of(plan_.assignments.begin(), plan_.assignments.end(),
                           [&](const planned_assignment& a) { return a.contact && a.contact->id == id; });
    }

    // Asks who is on duty for `r` in `unit`. True when somebody is: the first
    // of them not yet in the plan gets it, or, when all of them already have
    // the report (a fallback reached the same person twice), it is covered.
    result<bool> try_role(role r, std::string_view unit, const std::string& reason) {
        auto people = dir_.on_duty(r, unit, in_.at);
        if (!people) return std::move(people).err();
        if (people->empty()) return false;
        for (auto& p : *people) {
            if (has_contact(p.id)) continue;
            planned_assignment a;
            a.role = r;
            a.unit_code = std::string(unit);
            a.reason = reason;
            a.contact = std::move(p);
            plan_.assignments.push_back(std::move(a));
            break;
        }
        return true;
    }

    // The fallback chain after `r`: the roles listed after it (all of them
    // when it is not listed), none below its level, none whose unit is unknown.
    result<bool> walk_fallback(role r) {
        const auto& chain = policy_.fallback;
        auto from = std::find(chain.begin(), chain.end(), r);
        from = from == chain.end() ? chain.begin() : from + 1;
        for (auto it = from; it != chain.end(); ++it) {
            if (*it == r || rank(level_of(*it)) < rank(level_of(r))) continue;
            const auto unit = unit_of(*it);
            if (!unit) continue;
            std::string reason = "fallback:";
            reason += to_string(*it);
            reason += " for ";
            reason += to_string(r);
            auto found = try_role(*it, *unit, reason);
            if (!found) return found;
            if (*found) return true;
        }
        return false;
    }

    // No commune (or, for a province role, no province): the province
    // coordinator when the province is known, then the hotline supervisor,
    // then a queue.
    result<void> route_unlocated(role asked) {
        const std::string reason = level_of(asked) == role_level::commune ? "no commune" : "no province";
        if (const auto p = unit_of(role::province_coordinator)) {
            auto found = try_role(role::province_coordinator, *p, reason);
            if (!found) return std::move(found).err();
            if (*found) return {};
        }
        auto found = try_role(role::hotline_supervisor, national_unit, reason);
        if (!found) return std::move(found).err();
        if (!*found) add_queue_for_unreached(reason + "; nobody on duty");
        return {};
    }

    // The queue of the report's province when it is known, else the hotline's.
    void add_queue_for_unreached(std::string reason) {
        if (const auto p = unit_of(role::province_coordinator))
            add_queue("province", std::string(*p), std::move(reason));
        else
            add_queue("hotline", std::string(national_unit), std::move(reason));
    }

    void add_queue(std::string queue, std::string unit, std::string reason) {
        for (const auto& a : plan_.assignments)
            if (!a.contact && a.queue == queue && a.unit_code == unit) return;
        planned_assignment a;
        a.queue = std::move(queue);
        a.unit_code = std::move(unit);
        a.reason = std::move(reason);
        plan_.assignments.push_back(std::move(a));
    }

    const routing_policy& policy_;
    const route_input& in_;
    directory_view& dir_;
    route_plan plan_;
};

error invalid(std::size_t i, std::string_view key, std::string message) {
    std::string field = "routing.rules[" + std::to_string(i) + "].";
    field += key;
    return make_error("invalid_routing", field + ": " + message, field);
}

}  // namespace

routing_policy routing_policy::defaults() {
    routing_policy p;
    p.rules = {
        {"emergency", {intake::urgency::emergency}, {}, {role::commune_child_protection, role::commune_police}},
        {"standard", {intake::urgency::high, intake::urgency::normal}, {}, {role::commune_child_protection}},
        {"police-always", {}, {"sexual_abuse", "trafficking"}, {role::commune_police}},
        {"low", {intake::urgency::low}, {}, {}, true, true},
    };
    return p;
}

result<void> routing_policy::validate() const {
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto& r = rules[i];
        if (r.name.empty()) return invalid(i, "name", "a rule needs a name");
        for (std::size_t j = 0; j < i; ++j)
            if (rules[j].name == r.name)
                return invalid(i, "name", "\"" + r.name + "\" is already the name of rule " + std::to_string(j));
        if (r.roles.empty() && !r.hotline_queue)
            return invalid(i, "roles", "a rule needs roles or hotline_queue = true");
        for (const auto& c : r.categories)
            if (!known_category(c)) {
                std::string known;
                for (const auto l : intake::category_labels) {
                    if (!known.empty()) known += ", ";
                    known += l;
                }
                return invalid(i, "categories", "unknown category \"" + c + "\" (known: " + known + ")");
            }
    }
    for (std::size_t i = 0; i < fallback.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (fallback[i] == fallback[j])
                return make_error("invalid_routing",
                                  "routing.fallback: " + std::string(to_string(fallback[i])) + " is listed twice",
                                  "routing.fallback");
    return {};
}

result<route_plan> route(const routing_policy& policy, const route_input& in, directory_view& directory) {
    return planner(policy, in, directory).run();
}

}  // namespace hotline::routing
