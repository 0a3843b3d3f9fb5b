#pragma once
// Routing rules: who gets a new report first.
//
// The policy is data (config [routing]). Each rule matches on urgency and
// category (an empty list matches anything; categories match when the report
// has any of them) and names roles. Every matching rule contributes its roles,
// in rule order, without repeats; a rule with `stop` ends the walk. A rule
// with `hotline_queue` puts the report in the national hotline queue.
//
// For each role the router asks the directory who is on duty in the
// responsible unit (the commune for commune roles, its province for province
// roles, "VN" for the hotline supervisor); the first of them the plan does
// not have yet gets the report. When nobody is on duty, it walks the
// fallback chain (default: commune_chair, province_coordinator,
// hotline_supervisor; the roles after the one asked for when it is in the
// chain, never one of a lower level, none whose unit is unknown) to the
// first role with somebody on duty. With no commune known (for a province
// role: no province), once for all such roles: the province coordinator of
// the province when the province is known, then the hotline supervisor.
// When even that finds nobody, and when no rule matches, the report goes to
// a queue (the province's when known, else the hotline's). A plan therefore
// always has at least one assignment: no report is routed to nowhere.
//
// Pure: the directory is an interface the caller implements (storage does,
// over the open transaction). Thread-safe as long as the directory is.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/classify.hpp"
#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "routing/directory.hpp"
#include "routing/locate.hpp"

namespace hotline::routing {

struct routing_rule {
    std::string name;                        // shown in events: "emergency", "police-always", ...
    std::vector<intake::urgency> urgencies;  // empty: any
    std::vector<std::string> categories;     // empty: any; else any of these (category_labels)
    std::vector<role> roles;
    bool hotline_queue = false;
    bool stop = false;

    friend bool operator==(const routing_rule&, const routing_rule&) = default;
};

struct routing_policy {
    std::vector<routing_rule> rules;
    std::vector<role> fallback = {role::commune_chair, role::province_coordinator, role::hotline_supervisor};

    // emergency -> commune child protection + commune police; high and normal
    // -> commune child protection; sexual_abuse or trafficking -> commune
    // police whatever the urgency; low -> hotline queue only (stop).
    static routing_policy defaults();

    // Errors (code `invalid_routing`, field "routing.rules[i].<key>"): a rule
    // with no roles and no queue, an unknown category, a duplicate name.
    result<void> validate() const;

    friend bool operator==(const routing_policy&, const routing_policy&) = default;
};

// A contact the directory found on duty.
struct duty_contact {
    std::int64_t id = 0;   // the directory's row id
    std::string key;
    routing::role role = role::commune_child_protection;
    std::string unit_code;
};

class directory_view {
public:
    virtual ~directory_view() = default;
    // The active contacts with role `r` in `unit_code` who are on duty at `t`
    // (routing::on_duty), in a stable order. Errors are passed on as they are.
    virtual result<std::vector<duty_contact>> on_duty(role r, std::string_view unit_code, time_point t) = 0;
};

struct route_input {
    intake::urgency level = intake::urgency::normal;
    std::vector<std::string> categories;
    std::optional<std::string> commune_code;   // from the locator
    std::optional<std::string> province_code;  // from the locator (or the commune's province)
    time_point at;
};

struct planned_assignment {
    std::optional<duty_contact> contact;   // set: given to this contact
    std::string queue;                     // "province" | "hotline" when no contact
    std::optional<routing::role> role;     // the role it was given for (none for a queue)
    std::string unit_code;                 // where: the contact's unit, the province of a province queue, "VN"
    // Why: "rule:emergency", "fallback:commune_chair for commune_police",
    // "no commune", "nobody on duty for commune_police", "no rule matched".
    std::string reason;
};

struct route_plan {
    std::vector<std::string> rules_fired;          // names, in order
    std::vector<planned_assignment> assignments;   // never empty; each contact at most once
};

// Errors only from the directory.
result<route_plan> route(const routing_policy& policy, const route_input& in, directory_view& directory);

}  // namespace hotline::routing
