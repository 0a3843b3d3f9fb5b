#include "server/log.hpp"

#include <boost/json/serialize.hpp>

#include "routing/time.hpp"

namespace hotline::server {

logger::logger(log_level min, const hotline::clock& clock, std::ostream& out)
    : min_(min), clock_(clock), out_(out) {}

void logger::write(log_level l, std::string_view event, boost::json::object fields) {
    if (!enabled(l)) return;
    boost::json::object line;
    line.reserve(fields.size() + 3);
    line["time"] = routing::format_rfc3339_utc(clock_.now());
    line["level"] = to_string(l);
    line["event"] = event;
    for (auto& kv : fields) line[kv.key()] = std::move(kv.value());
    std::string text = boost::json::serialize(line);
    text.push_back('\n');
    std::lock_guard lock(mutex_);
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
    out_.flush();
}

}  // namespace hotline::server
