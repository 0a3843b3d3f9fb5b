#include "routing/escalation.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <string>

#include "routing/detail/by_urgency.hpp"

namespace hotline::routing {

namespace {

constexpr int max_repeat = 10;
constexpr auto longest_wait = std::chrono::hours(24 * 7);

error invalid(std::string field, std::string_view message) {
    std::string msg = field + ": ";
    msg += message;
    return make_error("invalid_escalation", std::move(msg), std::move(field));
}

result<void> validate_ladder(const escalation_ladder& ladder, std::string_view urgency) {
    const std::string prefix = fmt::format("escalation.{}.", urgency);
    if (ladder.steps.empty()) return invalid(prefix + "steps", "a ladder needs at least one step");
    for (std::size_t i = 0; i < ladder.steps.size(); ++i) {
        const auto& s = ladder.steps[i];
        const std::string step = fmt::format("{}steps[{}].", prefix, i);
        if (s.roles.empty()) return invalid(step + "roles", "a step needs at least one role");
        for (std::size_t a = 0; a < s.roles.size(); ++a)
            for (std::size_t b = 0; b < a; ++b)
                if (s.roles[a] == s.roles[b])
                    return invalid(step + "roles", fmt::format("{} is listed twice", to_string(s.roles[a])));
        if (s.wait) {
            if (*s.wait <= std::chrono::milliseconds::zero())
                return invalid(step + "wait_min", "must be more than zero");
            if (*s.wait > longest_wait) return invalid(step + "wait_min", "must be at most 7 days (10080 minutes)");
        }
    }
    if (ladder.repeat < 1 || ladder.repeat > max_repeat)
        return invalid(prefix + "repeat",
                       fmt::format("must be 1 (walk the ladder once) to {}, not {}", max_repeat, ladder.repeat));
    // The negated comparison also refuses NaN.
    if (!(ladder.reminder_fraction >= 0.0 && ladder.reminder_fraction < 1.0))
        return invalid(prefix + "reminder_fraction", "must be at least 0 (no reminder) and less than 1");
    return {};
}

}  // namespace

escalation_policy escalation_policy::defaults() {
    using r = role;
    escalation_policy p;
    p.emergency.steps = {
        {{r::commune_child_protection, r::commune_police}, std::nullopt},
        {{r::commune_chair, r::province_coordinator}, std::nullopt},
        {{r::province_police, r::hotline_supervisor}, std::nullopt},
    };
    p.emergency.repeat = 2;
    p.high.steps = {
        {{r::commune_child_protection}, std::nullopt},
        {{r::commune_chair, r::commune_police}, std::nullopt},
        {{r::province_coordinator, r::hotline_supervisor}, std::nullopt},
    };
    p.high.repeat = 2;
    p.normal.steps = {
        {{r::commune_child_protection}, std::nullopt},
        {{r::commune_chair}, std::nullopt},
        {{r::province_coordinator}, std::nullopt},
    };
    p.normal.repeat = 1;
    p.low.steps = {
        {{r::hotline_supervisor}, std::nullopt},
        {{r::province_coordinator}, std::nullopt},
    };
    p.low.repeat = 1;
    return p;
}

const escalation_ladder& escalation_policy::for_urgency(intake::urgency u) const noexcept {
    return detail::member_for(*this, u);
}

result<void> escalation_policy::validate() const {
    for (const auto u : detail::all_urgencies)
        if (auto r = validate_ladder(for_urgency(u), to_string(u)); !r) return r;
    return {};
}

std::optional<ladder_step> step_at(const escalation_ladder& ladder, ladder_position at) noexcept {
    if (at.step_index >= ladder.steps.size() || at.repeat_index < 0 || at.repeat_index >= ladder.repeat)
        return std::nullopt;
    return ladder_step{at, &ladder.steps[at.step_index]};
}

std::optional<ladder_step> next_step(const escalation_ladder& ladder, std::size_t step_index,
                                     int repeat_index) noexcept {
    if (!step_at(ladder, {step_index, repeat_index})) return std::nullopt;
    if (step_index + 1 < ladder.steps.size()) return step_at(ladder, {step_index + 1, repeat_index});
    return step_at(ladder, {0, repeat_index + 1});
}

std::chrono::milliseconds effective_wait(const escalation_step& step, std::chrono::milliseconds ack) noexcept {
    return step.wait ? *step.wait : ack;
}

time_point step_due(time_point start, std::chrono::milliseconds wait) noexcept { return start + wait; }

std::optional<time_point> reminder_at(time_point start, std::chrono::milliseconds wait, double fraction) noexcept {
    if (!(fraction > 0.0 && fraction < 1.0)) return std::nullopt;
    const auto offset = std::chrono::milliseconds(
        static_cast<std::chrono::milliseconds::rep>(std::floor(static_cast<double>(wait.count()) * fraction)));
    if (offset <= std::chrono::milliseconds::zero()) return std::nullopt;
    return start + offset;
}

}  // namespace hotline::routing
