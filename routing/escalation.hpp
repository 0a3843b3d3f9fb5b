#pragma once
// Escalation ladders: who is called next when nobody acknowledges.
//
// A ladder belongs to an urgency. It is an ordered list of steps; each step
// names roles (looked up like the routing rules' roles: commune roles in the
// report's commune, province roles in its province, hotline_supervisor
// nationally) and a wait. The ladder is walked `repeat` times in all.
//
// The walk. A report's first assignments are step 0 of round 0: the routing
// rules (routing/rules.hpp) choose them, since they may add roles by category;
// step 0's roles here are the ones a later round calls again. A step starts
// when its assignments are made. Its assignments are due (must be
// acknowledged) `wait` after that start; when that deadline passes with no
// acknowledgement from anyone assigned to the report, the next step
// (next_step) is assigned and the earlier assignments stay open (anyone
// assigned may still acknowledge). After the last step of a round the walk
// starts again at step 0 of the next round; after the last step of the last
// round there is no next step: the last assignments stay open and breached,
// and the report is shown in the coordinators' queues.
//
// A reminder goes to the step's assignees at `reminder_fraction` of the wait
// (0: no reminder).
//
// The wait of a step may be left out: it is then the acknowledgement deadline
// of the ladder's urgency (routing/deadlines.hpp ack_policy), so that changing
// that deadline changes the ladder's pace with it. The defaults leave it out.
//
// Configuration keys these map to (errors name them):
//   [escalation.emergency]            # also high, normal, low
//   repeat = 2
//   reminder_fraction = 0.5
//   [[escalation.emergency.steps]]
//   roles = ["commune_child_protection", "commune_police"]
//   wait_min = 15                     # optional
//
// Pure: no I/O, no clock. Thread-safe (values only).

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "intake/classify.hpp"
#include "intake/clock.hpp"
#include "intake/result.hpp"
#include "routing/directory.hpp"

namespace hotline::routing {

struct escalation_step {
    std::vector<role> roles;                         // at least one, each once
    std::optional<std::chrono::milliseconds> wait;   // none: the urgency's acknowledgement deadline

    friend bool operator==(const escalation_step&, const escalation_step&) = default;
};

struct escalation_ladder {
    std::vector<escalation_step> steps;  // at least one
    int repeat = 1;                      // times the whole ladder is walked, 1 (once) to 10
    double reminder_fraction = 0.5;      // of the wait, in [0, 1); 0: no reminder

    friend bool operator==(const escalation_ladder&, const escalation_ladder&) = default;
};

struct escalation_policy {
    escalation_ladder emergency, high, normal, low;

    // The defaults (every wait: the urgency's acknowledgement deadline,
    // reminders at half of it):
    //   emergency: commune_child_protection + commune_police
    //              -> commune_chair + province_coordinator
    //              -> province_police + hotline_supervisor; walked twice.
    //   high:      commune_child_protection
    //              -> commune_chair + commune_police
    //              -> province_coordinator + hotline_supervisor; walked twice.
    //   normal:    commune_child_protection -> commune_chair -> province_coordinator; once.
    //   low:       hotline_supervisor -> province_coordinator; once.
    static escalation_policy defaults();

    const escalation_ladder& for_urgency(intake::urgency u) const noexcept;

    // Errors (code `invalid_escalation`), the field naming the key:
    //   "escalation.<urgency>.steps"                a ladder without steps;
    //   "escalation.<urgency>.steps[i].roles"       a step without roles, or a role twice in it;
    //   "escalation.<urgency>.steps[i].wait_min"    a wait not above zero or above 7 days;
    //   "escalation.<urgency>.repeat"               not 1 to 10;
    //   "escalation.<urgency>.reminder_fraction"    not in [0, 1).
    // Step indices count from 0. The first problem found is returned.
    result<void> validate() const;

    friend bool operator==(const escalation_policy&, const escalation_policy&) = default;
};

// A place on a ladder: step `step_index` of round `repeat_index` (both from 0).
struct ladder_position {
    std::size_t step_index = 0;
    int repeat_index = 0;

    friend bool operator==(const ladder_position&, const ladder_position&) = default;
};

struct ladder_step {
    ladder_position position;
    const escalation_step* step = nullptr;  // into the ladder passed in: valid while it is
};

// The step after step `step_index` of round `repeat_index`: the next step of
// the round, else step 0 of the next round, else none (the end of the
// ladder). A position that is not on the ladder (index past the steps, round
// past `repeat`, negative round) has no next step either.
std::optional<ladder_step> next_step(const escalation_ladder& ladder, std::size_t step_index, int repeat_index) noexcept;

// The step at `at`, or none when `at` is not on the ladder.
std::optional<ladder_step> step_at(const escalation_ladder& ladder, ladder_position at) noexcept;

// The wait of `step`: its own, else `ack` (the acknowledgement deadline of
// the ladder's urgency).
std::chrono::milliseconds effective_wait(const escalation_step& step, std::chrono::milliseconds ack) noexcept;

// When the assignments of a step that started at `start` are due.
time_point step_due(time_point start, std::chrono::milliseconds wait) noexcept;

// When to remind them: `start` + `fraction` of `wait` (rounded down to the
// millisecond); none when `fraction` is not in (0, 1) or the reminder would
// fall at `start`.
std::optional<time_point> reminder_at(time_point start, std::chrono::milliseconds wait, double fraction) noexcept;

}  // namespace hotline::routing
