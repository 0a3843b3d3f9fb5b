#pragma once
// A small contact directory for the tests that route reports: the people
// given, as contacts with made-up phone numbers, each on a 24-hour daily
// shift unless said otherwise.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/clock.hpp"
#include "routing/directory.hpp"
#include "storage/database.hpp"
#include "storage/directory.hpp"
#include "tests/storage/fixture.hpp"

namespace hotline::storage::test {

// Where contacts on the webhook channel are reached.
inline constexpr const char* staff_webhook_url = "https://dispatch.example.vn/hook";

struct staff {
    const char* key;
    routing::role r;
    const char* unit;
    bool on_duty = true;           // a 24-hour daily shift, or no roster at all
    const char* channels = "sms";  // "sms", "webhook" (at staff_webhook_url), "sms;webhook"
    bool active = true;
};

// Imports `people` on `c` (named "Cán bộ KEY", phones +84900001000, +84900001001, ...
// in order), updated at `at`.
inline result<void> import_staff(connection& c, const std::vector<staff>& people, time_point at) {
    std::vector<routing::contact> contacts;
    routing::roster roster;
    int n = 0;
    for (const auto& p : people) {
        routing::contact k;
        k.key = p.key;
        k.name = std::string("Cán bộ ") + p.key;
        k.role = p.r;
        k.unit_code = p.unit;
        k.phone = "+8490000" + std::to_string(1000 + n++);
        const std::string_view ch = p.channels;
        k.sms = ch.find("sms") != std::string_view::npos;
        k.webhook = ch.find("webhook") != std::string_view::npos;
        if (k.webhook) k.webhook_url = staff_webhook_url;
        k.active = p.active;
        contacts.push_back(k);
        if (p.on_duty) roster.shifts.push_back(routing::weekly_shift{p.key, 0x7f, 0, 0});
    }
    if (auto r = import_contacts(c, contacts, at); !r) return std::move(r).err();
    if (roster.shifts.empty()) return {};
    if (auto r = import_roster(c, roster); !r) return std::move(r).err();
    return {};
}

// The same in one write batch of `db`; the test stops on an error.
inline void add_staff(database& db, std::vector<staff> people, time_point at) {
    ok(await<void>([&](auto done) {
        db.write<void>([people = std::move(people), at](connection& c) { return import_staff(c, people, at); },
                       done);
    }));
}

// The routing rules every routing test uses: the defaults.
inline const routing::routing_policy& default_rules() {
    static const routing::routing_policy p = routing::routing_policy::defaults();
    return p;
}

// A web report received at `at` ("Hàng xóm đánh cháu bé"), classified `level`
// (the emergency track for an emergency, the standard one otherwise),
// located in `commune` of `province` (Phường Lương Văn Tri, Lạng Sơn by
// default) and routed by the default rules with `deadlines` (none when null).
inline new_report routed_report_data(intake::urgency level, time_point at, const deadline_policy* deadlines,
                                     std::optional<std::string> commune = std::string("05983"),
                                     std::optional<std::string> province = std::string("20")) {
    new_report r;
    r.channel = intake::channel::web;
    r.received_at = at;
    r.data.text = "Hàng xóm đánh cháu bé";
    classification_event e;
    e.result.level = level;
    e.result.track = level == intake::urgency::emergency ? intake::legal_track::emergency_12h
                                                          : intake::legal_track::standard_5wd;
    e.lexicon = "test";
    r.classification = std::move(e);
    routing::location_result l;
    l.commune_code = std::move(commune);
    l.province_code = std::move(province);
    l.confidence = 0.9;
    r.routing = routing_request{l, &default_rules(), deadlines};
    return r;
}

// The same, stored; the test stops on an error.
inline receipt insert_routed(database& db, intake::urgency level, time_point at, const deadline_policy* deadlines) {
    return ok(await<receipt>(
        [&](auto done) { db.insert_report(routed_report_data(level, at, deadlines), done); }));
}

}  // namespace hotline::storage::test
