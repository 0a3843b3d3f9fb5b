#pragma once
// Per-key token buckets (the key is a client address): `limit` events per
// `window`, refilled continuously, bursts up to `limit`. A limit of 0 means
// unlimited. Time comes from the injected clock. Idle buckets are pruned so
// memory stays bounded by the number of recently active keys.
//
// Thread-safe (one mutex; the critical section is a hash-map lookup).

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "intake/clock.hpp"

namespace hotline::server {

class rate_limiter {
public:
    rate_limiter(int limit, std::chrono::milliseconds window, const hotline::clock& clock);

    // True when `key` has a token left (does not take it).
    bool allowed(const std::string& key);
    // Takes a token; false (and nothing taken) when none is left.
    bool try_take(const std::string& key);
    // Seconds until `key` has a token again (0 when it has one now).
    int retry_after_seconds(const std::string& key);

private:
    struct bucket {
        double tokens;
        time_point updated;
    };
    bucket& refill(const std::string& key, time_point now);
    void prune(time_point now);

    int limit_;
    std::chrono::milliseconds window_;
    const hotline::clock& clock_;
    std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
    time_point last_prune_;
};

}  // namespace hotline::server
