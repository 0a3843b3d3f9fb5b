#include "server/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace hotline::server {

rate_limiter::rate_limiter(int limit, std::chrono::milliseconds window, const hotline::clock& clock)
    : limit_(limit), window_(window), clock_(clock), last_prune_(clock.now()) {}

rate_limiter::bucket& rate_limiter::refill(const std::string& key, time_point now) {
    auto [it, inserted] = buckets_.try_emplace(key, bucket{static_cast<double>(limit_), now});
    bucket& b = it->second;
    if (!inserted && now > b.updated) {
        const double per_ms = static_cast<double>(limit_) / static_cast<double>(window_.count());
        b.tokens = std::min<double>(limit_, b.tokens + per_ms * static_cast<double>((now - b.updated).count()));
        b.updated = now;
    }
    return b;
}

// A bucket that has been full for a whole window carries no information.
void rate_limiter::prune(time_point now) {
    if (now - last_prune_ < window_) return;
    last_prune_ = now;
    std::erase_if(buckets_, [&](const auto& kv) { return now - kv.second.updated >= window_; });
}

bool rate_limiter::allowed(const std::string& key) {
    if (limit_ <= 0) return true;
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    prune(now);
    return refill(key, now).tokens >= 1.0;
}

bool rate_limiter::try_take(const std::string& key) {
    if (limit_ <= 0) return true;
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    prune(now);
    bucket& b = refill(key, now);
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

int rate_limiter::retry_after_seconds(const std::string& key) {
    if (limit_ <= 0) return 0;
    std::lock_guard lock(mutex_);
    const bucket& b = refill(key, clock_.now());
    if (b.tokens >= 1.0) return 0;
    const double ms_per_token = static_cast<double>(window_.count()) / static_cast<double>(limit_);
    return static_cast<int>(std::ceil((1.0 - b.tokens) * ms_per_token / 1000.0));
}

}  // namespace hotline::server
