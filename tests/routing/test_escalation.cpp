#include "routing/escalation.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "routing/deadlines.hpp"

using namespace hotline;
using namespace hotline::routing;
using namespace std::chrono;
using intake::urgency;

namespace {

const hotline::time_point t0 = from_unix_ms(1772445600000);  // 2026-03-02T10:00:00Z, 17:00 in Hanoi

std::vector<ladder_position> walk(const escalation_ladder& ladder) {
    std::vector<ladder_position> out{{0, 0}};
    while (auto next = next_step(ladder, out.back().step_index, out.back().repeat_index)) {
        out.push_back(next->position);
        REQUIRE(out.size() < 100);
    }
    return out;
}

escalation_ladder ladder_of(std::vector<escalation_step> steps, int repeat) {
    escalation_ladder l;
    l.steps = std::move(steps);
    l.repeat = repeat;
    return l;
}

error invalid(const escalation_policy& p) {
    auto r = p.validate();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "invalid_escalation");
    CHECK(r.err().message.starts_with(r.err().field + ": "));
    return r.err();
}

}  // namespace

TEST_CASE("default ladders") {
    const auto p = escalation_policy::defaults();
    CHECK(p.validate().has_value());

    const auto& e = p.for_urgency(urgency::emergency);
    REQUIRE(e.steps.size() == 3);
    CHECK(e.steps[0].roles == std::vector<role>{role::commune_child_protection, role::commune_police});
    CHECK(e.steps[1].roles == std::vector<role>{role::commune_chair, role::province_coordinator});
    CHECK(e.steps[2].roles == std::vector<role>{role::province_police, role::hotline_supervisor});
    CHECK(e.repeat == 2);
    CHECK(e.reminder_fraction == 0.5);

    CHECK(p.for_urgency(urgency::high).steps.size() == 3);
    CHECK(p.for_urgency(urgency::high).repeat == 2);
    CHECK(p.for_urgency(urgency::normal).steps.size() == 3);
    CHECK(p.for_urgency(urgency::normal).repeat == 1);
    REQUIRE(p.for_urgency(urgency::low).steps.size() == 2);
    CHECK(p.for_urgency(urgency::low).steps[0].roles == std::vector<role>{role::hotline_supervisor});

    // No default wait of its own: each follows its urgency's acknowledgement deadline.
    for (const auto u : {urgency::emergency, urgency::high, urgency::normal, urgency::low})
        for (const auto& s : p.for_urgency(u).steps) CHECK_FALSE(s.wait.has_value());
}

TEST_CASE("each step of the emergency ladder, twice, then the end") {
    const auto& e = escalation_policy::defaults().emergency;
    const std::vector<ladder_position> expected = {{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1}, {2, 1}};
    CHECK(walk(e) == expected);

    auto s = next_step(e, 0, 0);
    REQUIRE(s);
    CHECK(s->position == ladder_position{1, 0});
    REQUIRE(s->step != nullptr);
    CHECK(s->step == &e.steps[1]);
    CHECK(s->step->roles == std::vector<role>{role::commune_chair, role::province_coordinator});

    s = next_step(e, 1, 0);
    REQUIRE(s);
    CHECK(s->step->roles == std::vector<role>{role::province_police, role::hotline_supervisor});

    // After the last step of round 0 the ladder starts again at step 0.
    s = next_step(e, 2, 0);
    REQUIRE(s);
    CHECK(s->position == ladder_position{0, 1});
    CHECK(s->step->roles == std::vector<role>{role::commune_child_protection, role::commune_police});

    // After the last step of the last round: nothing.
    CHECK_FALSE(next_step(e, 2, 1).has_value());
}

TEST_CASE("repeat counts the walks in all") {
    const escalation_step only{{role::hotline_supervisor}, std::nullopt};
    CHECK(walk(ladder_of({only}, 1)) == std::vector<ladder_position>{{0, 0}});
    CHECK(walk(ladder_of({only}, 3)) == std::vector<ladder_position>{{0, 0}, {0, 1}, {0, 2}});
    const escalation_step other{{role::province_coordinator}, std::nullopt};
    CHECK(walk(ladder_of({only, other}, 1)) == std::vector<ladder_position>{{0, 0}, {1, 0}});
    CHECK(walk(escalation_policy::defaults().normal).size() == 3);
    CHECK(walk(escalation_policy::defaults().high).size() == 6);
}

TEST_CASE("positions off the ladder have no next step") {
    const auto& e = escalation_policy::defaults().emergency;
    CHECK_FALSE(next_step(e, 3, 0).has_value());   // no step 3
    CHECK_FALSE(next_step(e, 0, 2).has_value());   // no round 2
    CHECK_FALSE(next_step(e, 0, -1).has_value());
    CHECK_FALSE(next_step(escalation_ladder{}, 0, 0).has_value());  // no steps at all

    REQUIRE(step_at(e, {2, 1}));
    CHECK(step_at(e, {2, 1})->step == &e.steps[2]);
    CHECK_FALSE(step_at(e, {3, 0}).has_value());
    CHECK_FALSE(step_at(e, {0, 2}).has_value());
}

TEST_CASE("the due time and the reminder of a step") {
    const auto p = escalation_policy::defaults();
    const ack_policy ack;
    const auto& e = p.emergency;

    // Step 0 starts at t0; no wait of its own, so the emergency ack deadline.
    const auto wait0 = effective_wait(e.steps[0], ack.for_urgency(urgency::emergency));
    CHECK(wait0 == minutes(15));
    CHECK(step_due(t0, wait0) == t0 + minutes(15));
    CHECK(reminder_at(t0, wait0, e.reminder_fraction) == t0 + seconds(450));

    // A step with its own wait keeps it.
    const escalation_step slow{{role::commune_chair}, minutes(40)};
    CHECK(effective_wait(slow, ack.for_urgency(urgency::emergency)) == minutes(40));

    // The whole walk of the emergency ladder: each step starts when the
    // previous one fell due; the last falls due 6 x 15 minutes after t0.
    hotline::time_point start = t0;
    ladder_position at{0, 0};
    int steps = 0;
    while (true) {
        ++steps;
        const auto here = step_at(e, at);
        REQUIRE(here);
        const auto due = step_due(start, effective_wait(*here->step, ack.emergency));
        CHECK(*reminder_at(start, effective_wait(*here->step, ack.emergency), e.reminder_fraction) ==
              start + seconds(450));
        const auto next = next_step(e, at.step_index, at.repeat_index);
        if (!next) {
            CHECK(due == t0 + minutes(90));
            break;
        }
        at = next->position;
        start = due;
    }
    CHECK(steps == 6);
}

TEST_CASE("reminders: fraction 0 means none, and other edges") {
    CHECK_FALSE(reminder_at(t0, minutes(15), 0.0).has_value());
    CHECK_FALSE(reminder_at(t0, minutes(15), 1.0).has_value());
    CHECK_FALSE(reminder_at(t0, minutes(15), -0.5).has_value());
    CHECK_FALSE(reminder_at(t0, minutes(15), std::nan("")).has_value());
    CHECK(reminder_at(t0, hours(1), 0.25) == t0 + minutes(15));
    CHECK(reminder_at(t0, hours(4), 0.75) == t0 + hours(3));
    CHECK(reminder_at(t0, milliseconds(3), 0.5) == t0 + milliseconds(1));  // rounded down
    CHECK_FALSE(reminder_at(t0, milliseconds(1), 0.5).has_value());        // would fall at the start
}

TEST_CASE("validation names the key") {
    {
        auto p = escalation_policy::defaults();
        p.high.steps.clear();
        CHECK(invalid(p).field == "escalation.high.steps");
    }
    {
        auto p = escalation_policy::defaults();
        p.emergency.steps[1].roles.clear();
        CHECK(invalid(p).field == "escalation.emergency.steps[1].roles");
    }
    {
        auto p = escalation_policy::defaults();
        p.normal.steps[2].roles = {role::commune_chair, role::commune_police, role::commune_chair};
        const auto e = invalid(p);
        CHECK(e.field == "escalation.normal.steps[2].roles");
        CHECK(e.message == "escalation.normal.steps[2].roles: commune_chair is listed twice");
    }
    {
        auto p = escalation_policy::defaults();
        p.normal.steps[0].wait = milliseconds(0);
        CHECK(invalid(p).field == "escalation.normal.steps[0].wait_min");
        p.normal.steps[0].wait = minutes(-5);
        CHECK(invalid(p).field == "escalation.normal.steps[0].wait_min");
        p.normal.steps[0].wait = hours(24 * 7) + milliseconds(1);
        CHECK(invalid(p).field == "escalation.normal.steps[0].wait_min");
        p.normal.steps[0].wait = hours(24 * 7);
        CHECK(p.validate().has_value());
    }
    {
        auto p = escalation_policy::defaults();
        p.low.repeat = 0;
        CHECK(invalid(p).field == "escalation.low.repeat");
        p.low.repeat = 11;
        CHECK(invalid(p).field == "escalation.low.repeat");
        p.low.repeat = 10;
        CHECK(p.validate().has_value());
    }
    {
        auto p = escalation_policy::defaults();
        p.emergency.reminder_fraction = 1.0;
        CHECK(invalid(p).field == "escalation.emergency.reminder_fraction");
        p.emergency.reminder_fraction = -0.1;
        CHECK(invalid(p).field == "escalation.emergency.reminder_fraction");
        p.emergency.reminder_fraction = std::numeric_limits<double>::quiet_NaN();
        CHECK(invalid(p).field == "escalation.emergency.reminder_fraction");
        p.emergency.reminder_fraction = 0.0;
        CHECK(p.validate().has_value());
    }
}
