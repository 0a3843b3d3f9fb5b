#pragma once
// Distinct strings numbered in the order first inserted, for the words the
// locator looks up for every word of a report: the words of the name index
// and the locator's own vocabulary. Internal to routing/.
//
// A boost::unordered_flat_map underneath: open addressing in one flat array,
// so a lookup is a hash and usually one group of adjacent slots, without the
// allocation per entry and the pointer chasing of std::unordered_map. Lookups
// take a std::string_view and build no std::string.
// Built once when the catalog loads, then only read. find() is const and
// touches nothing else, so any number of threads may read a table that is no
// longer being built.

#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace hotline::routing::detail {

// boost::hash for std::string and std::string_view alike, so that a
// std::string_view finds a std::string key.
struct string_hash {
    using is_transparent = void;
    // Boost declares boost::hash<std::string_view> avalanching: the table
    // then uses its bits as they are, without mixing them again.
    using is_avalanching = void;
    std::size_t operator()(std::string_view s) const noexcept { return boost::hash<std::string_view>{}(s); }
};

class string_ids {
public:
    static constexpr std::uint32_t absent = static_cast<std::uint32_t>(-1);

    // The id of `s`, or `absent`.
    std::uint32_t find(std::string_view s) const noexcept {
        const auto it = ids_.find(s);
        return it == ids_.end() ? absent : it->second;
    }

    // The id of `s`, inserting it with the next id (size()) when it is new.
    std::uint32_t insert(std::string_view s) {
        if (const auto id = find(s); id != absent) return id;
        const auto id = static_cast<std::uint32_t>(ids_.size());
        ids_.emplace(std::string(s), id);
        return id;
    }

    std::size_t size() const noexcept { return ids_.size(); }

private:
    boost::unordered_flat_map<std::string, std::uint32_t, string_hash, std::equal_to<>> ids_;
};

}  // namespace hotline::routing::detail
