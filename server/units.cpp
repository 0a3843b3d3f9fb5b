#include "server/units.hpp"

#include <fmt/format.h>

#include <cstddef>

namespace hotline::server {

namespace detail {
// server/cmake/embed_file.cmake writes these into builtin_<name>.cpp (hotline_embed in server/CMakeLists.txt).
extern const unsigned char builtin_provinces_bytes[];
extern const std::size_t builtin_provinces_size;
extern const unsigned char builtin_communes_bytes[];
extern const std::size_t builtin_communes_size;
extern const unsigned char builtin_legacy_provinces_bytes[];
extern const std::size_t builtin_legacy_provinces_size;
extern const unsigned char builtin_legacy_districts_bytes[];
extern const std::size_t builtin_legacy_districts_size;
extern const unsigned char builtin_legacy_communes_bytes[];
extern const std::size_t builtin_legacy_communes_size;
extern const unsigned char builtin_commune_mapping_bytes[];
extern const std::size_t builtin_commune_mapping_size;
}  // namespace detail

namespace {

std::string_view text_of(const unsigned char* bytes, std::size_t size) noexcept {
    return {reinterpret_cast<const char*>(bytes), size};
}

}  // namespace

result<routing::unit_catalog> load_builtin_units() {
    routing::unit_sources s;
    s.provinces = text_of(detail::builtin_provinces_bytes, detail::builtin_provinces_size);
    s.communes = text_of(detail::builtin_communes_bytes, detail::builtin_communes_size);
    s.legacy_provinces = text_of(detail::builtin_legacy_provinces_bytes, detail::builtin_legacy_provinces_size);
    s.legacy_districts = text_of(detail::builtin_legacy_districts_bytes, detail::builtin_legacy_districts_size);
    s.legacy_communes = text_of(detail::builtin_legacy_communes_bytes, detail::builtin_legacy_communes_size);
    s.commune_mapping = text_of(detail::builtin_commune_mapping_bytes, detail::builtin_commune_mapping_size);
    return routing::unit_catalog::load(s);
}

std::optional<error> check_location_code(const routing::unit_catalog& units, std::string_view code) {
    if (code.empty() || units.find_commune(code) || units.find_province(code)) return std::nullopt;
    // The code is digits only (validated), so it is safe to quote.
    return make_error("unknown_unit",
                      fmt::format("location_code \"{}\" is not the code of a current commune or province", code),
                      "location_code");
}

}  // namespace hotline::server
