#include "server/units_api.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>

#include "intake/text.hpp"

namespace hotline::server {

namespace {

// Seconds a client or proxy may reuse an answer: the units change with a new
// release, not while the server runs.
constexpr int cache_seconds = 300;

}  // namespace

result<units_query> parse_units_query(std::string_view target, const routing::unit_catalog& units) {
    // Boost.URL 1.81 may read a view up to a NUL (boostorg/url#757): parse a
    // NUL-terminated copy.
    const std::string copy(target);
    const auto parsed = boost::urls::parse_origin_form(copy);
    if (!parsed) return make_error("bad_request", "the request target is not a valid path");
    boost::urls::encoding_opts opt;
    opt.space_as_plus = true;

    std::optional<std::string> q;
    std::optional<std::string> limit;
    std::optional<std::string> province;
    for (const auto& p : parsed->params(opt)) {  // the last of a repeated parameter wins
        std::optional<std::string>* slot = p.key == "q"         ? &q
                                           : p.key == "limit"    ? &limit
                                           : p.key == "province" ? &province
                                                                 : nullptr;
        if (!slot) continue;
        if (!intake::is_valid_utf8(p.value))
            return make_error("invalid_utf8", fmt::format("{} is not valid UTF-8", std::string(p.key)),
                              std::string(p.key));
        *slot = p.value;
    }

    units_query out;
    // Some keyboards send decomposed letters (o + U+0300); the catalog
    // compares composed ones.
    if (q) {
        auto composed = intake::to_nfc(intake::trim(*q));
        if (composed) out.q = std::move(*composed);
    }
    if (out.q.empty()) return make_error("required", "q must hold the start of a place name or a code", "q");
    if (out.q.size() > units_query_max_bytes)
        return make_error("too_long", fmt::format("q must be at most {} bytes", units_query_max_bytes), "q");

    if (limit) {
        const std::string_view l = *limit;
        std::size_t n = 0;
        bool digits = !l.empty() && l.size() <= 3;
        for (const char c : l) {
            if (c < '0' || c > '9') digits = false;
            else n = n * 10 + static_cast<std::size_t>(c - '0');
        }
        if (!digits || n < 1 || n > units_max_limit)
            return make_error("invalid_value", fmt::format("limit must be a whole number from 1 to {}", units_max_limit),
                              "limit");
        out.limit = n;
    }

    if (province && !province->empty()) {
        if (!units.find_province(*province))
            return make_error("invalid_value", "province must be the code of a current province, like 20", "province");
        out.province = std::move(*province);
    }
    return out;
}

response units_api(const routing::unit_catalog& units, std::string_view target, std::string_view home_province) {
    auto query = parse_units_query(target, units);
    if (!query) {
        const error& e = query.err();
        return error_response(http::status::bad_request, e.code, e.message, e.field);
    }
    const std::string_view prefer = query->province.empty() ? home_province : std::string_view(query->province);
    boost::json::array list;
    for (const auto& s : units.suggest(query->q, query->limit, prefer)) {
        if (!s.commune) continue;
        boost::json::object o;
        o["code"] = s.commune->code;
        o["name"] = s.commune->name;
        o["full_name"] = s.commune->full_name;
        o["type"] = s.commune->type;
        o["province_code"] = s.commune->province_code;
        o["province_name"] = s.province ? boost::json::string_view(s.province->name) : boost::json::string_view();
        list.emplace_back(std::move(o));
    }
    auto r = json_response(http::status::ok, boost::json::object{{"units", std::move(list)}});
    r.set(http::field::cache_control, fmt::format("public, max-age={}", cache_seconds));
    return r;
}

}  // namespace hotline::server
