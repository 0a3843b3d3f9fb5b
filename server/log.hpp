#pragma once
// Structured logs: one JSON object per line on stderr.
//
// Privacy rule: callers never pass report text, names, phone numbers, access
// secrets or tracking codes (a route pattern, not the path, goes in request
// logs). The logger cannot tell; the rule is checked by the end-to-end tests,
// which scan the server's whole log for what they submitted.
//
// Thread-safe: each line is written with one call under a mutex.

#include <boost/json/object.hpp>

#include <mutex>
#include <ostream>
#include <string_view>

#include "intake/clock.hpp"
#include "server/config.hpp"

namespace hotline::server {

class logger {
public:
    logger(log_level min, const hotline::clock& clock, std::ostream& out);

    bool enabled(log_level l) const noexcept { return l >= min_; }

    // Writes {"time":…,"level":…,"event":event, …fields} when `l` is enabled.
    void write(log_level l, std::string_view event, boost::json::object fields = {});

    void info(std::string_view event, boost::json::object fields = {}) { write(log_level::info, event, std::move(fields)); }
    void warn(std::string_view event, boost::json::object fields = {}) { write(log_level::warn, event, std::move(fields)); }
    void error(std::string_view event, boost::json::object fields = {}) { write(log_level::error, event, std::move(fields)); }
    void debug(std::string_view event, boost::json::object fields = {}) { write(log_level::debug, event, std::move(fields)); }

private:
    log_level min_;
    const hotline::clock& clock_;
    std::ostream& out_;
    std::mutex mutex_;
};

}  // namespace hotline::server
