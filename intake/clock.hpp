#pragma once
// The source of "now". Code that needs the time takes a clock so that tests
// move time instead of sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hotline {

using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

class clock {
public:
    virtual ~clock() = default;
    // UTC, millisecond precision. Thread-safe in every implementation.
    virtual time_point now() const = 0;
};

// The real wall clock.
class system_clock final : public clock {
public:
    time_point now() const override {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now());
    }
};

// A clock that only moves when told to. Thread-safe.
class manual_clock final : public clock {
public:
    explicit manual_clock(time_point start) : ms_(start.time_since_epoch().count()) {}
    time_point now() const override {
        return time_point(std::chrono::milliseconds(ms_.load()));
    }
    void set(time_point t) { ms_.store(t.time_since_epoch().count()); }
    void advance(std::chrono::milliseconds d) { ms_.fetch_add(d.count()); }

private:
    std::atomic<std::int64_t> ms_;
};

// A clock that starts at a given instant and then runs at real speed: now()
// is `start` plus the time elapsed on the steady clock since construction.
// For tests and drills that run the real server at a chosen moment (`hotline
// serve --clock-start`); it never jumps when the system clock is set.
// Thread-safe (immutable after construction).
class started_clock final : public clock {
public:
    explicit started_clock(time_point start) : start_(start), origin_(std::chrono::steady_clock::now()) {}
    time_point now() const override {
        return start_ + std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                              origin_);
    }

private:
    time_point start_;
    std::chrono::steady_clock::time_point origin_;
};

inline std::int64_t to_unix_ms(time_point t) { return t.time_since_epoch().count(); }
inline time_point from_unix_ms(std::int64_t ms) { return time_point(std::chrono::milliseconds(ms)); }

}  // namespace hotline
