#pragma once
// The policies of routing keep one value per urgency in members named after
// the urgencies (emergency, high, normal, low); these pick and list them.

#include <array>

#include "intake/classify.hpp"

namespace hotline::routing::detail {

inline constexpr std::array<intake::urgency, 4> all_urgencies = {intake::urgency::emergency, intake::urgency::high,
                                                                 intake::urgency::normal, intake::urgency::low};

// The member of `policy` for `u` (normal for a value outside the enum).
template <class Policy>
constexpr auto& member_for(Policy& policy, intake::urgency u) noexcept {
    switch (u) {
    case intake::urgency::emergency: return policy.emergency;
    case intake::urgency::high: return policy.high;
    case intake::urgency::normal: return policy.normal;
    case intake::urgency::low: return policy.low;
    }
    return policy.normal;
}

}  // namespace hotline::routing::detail
