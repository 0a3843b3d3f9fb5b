#include "server/locate_cli.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <istream>
#include <optional>
#include <ostream>

#include "routing/locate.hpp"
#include "server/units.hpp"

namespace hotline::server {

namespace json = boost::json;

const std::string_view locate_usage =
    "       hotline locate [--home-province CODE]   < JSON lines {\"id\",\"text\"}\n";

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// The answer for one line, written by hand: the confidence with two
// decimals rather than Boost.JSON's exponent notation.
void write_result(std::string& line, const json::value& id, const routing::location_result& r) {
    const auto str = [](const std::optional<std::string>& s) {
        return s ? json::serialize(json::string(*s)) : std::string("null");
    };
    line = fmt::format("{{\"id\":{},\"commune_code\":{},\"province_code\":{},\"confidence\":{:.2f},\"candidates\":[",
                       json::serialize(id), str(r.commune_code), str(r.province_code), r.confidence);
    for (std::size_t i = 0; i < r.candidates.size(); ++i) {
        if (i) line += ',';
        line += json::serialize(json::string(r.candidates[i]));
    }
    line += "]}\n";
}

void write_error(std::string& line, const json::value& id, std::string_view message) {
    line = fmt::format("{{\"id\":{},\"error\":{}}}\n", json::serialize(id), json::serialize(json::string(message)));
}

// A string member of `o`: absent is empty, anything else than a string is an error.
bool string_member(const json::object& o, std::string_view key, std::string& out) {
    const auto* v = o.if_contains(key);
    if (!v) return true;
    if (!v->is_string()) return false;
    out = std::string(v->as_string());
    return true;
}

}  // namespace

int run_locate(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
    std::string home;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--home-province" && i + 1 < args.size()) {
            home = args[++i];
            continue;
        }
        err << fmt::format("hotline: {} {}\n", args[i] == "--home-province" ? "missing value for" : "unknown option",
                           args[i])
            << "usage:" << locate_usage.substr(std::string_view("      ").size());
        return exit_usage;
    }
    const auto units = load_builtin_units();
    if (!units) {
        err << fmt::format("hotline: the built-in administrative units do not load: {}\n", units.err().message);
        return exit_failure;
    }
    if (!home.empty() && !units->find_province(home)) {
        err << fmt::format("hotline: --home-province \"{}\" is not the code of a current province\n", home);
        return exit_usage;
    }
    const routing::locator locator(*units, home);

    std::string line, answer, text, unit_code, province_code;
    std::uint64_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        json::value id = static_cast<std::int64_t>(number);
        boost::system::error_code ec;
        const auto v = json::parse(line, ec);
        if (ec || !v.is_object()) {
            write_error(answer, id, ec ? "not valid JSON" : "not a JSON object");
        } else {
            const auto& o = v.as_object();
            if (const auto* i = o.if_contains("id")) id = *i;
            text.clear();
            unit_code.clear();
            province_code.clear();
            const auto* t = o.if_contains("text");
            if (t && !t->is_string()) {
                write_error(answer, id, "\"text\" must be a string");
            } else if (!string_member(o, "unit_code", unit_code) || !string_member(o, "province_code", province_code)) {
                write_error(answer, id, "\"unit_code\" and \"province_code\" must be strings");
            } else if (!t && unit_code.empty() && province_code.empty()) {
                write_error(answer, id, "no \"text\"");
            } else {
                if (t) text = std::string(t->as_string());
                write_result(answer, id, locator.locate({unit_code, province_code, text}));
            }
        }
        out << answer;
    }
    out.flush();
    return out ? exit_ok : exit_failure;
}

}  // namespace hotline::server
