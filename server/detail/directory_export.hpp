#pragma once
// The directory's CSV export, shared by `hotline export contacts|rosters`
// and GET /api/v1/directory/{contacts,rosters}.csv: the whole contacts table
// (by id) or every roster entry, in the formats the importers read back.
// Runs on a storage thread, with the connection of a database::read job.

#include <string>
#include <utility>
#include <vector>

#include "intake/result.hpp"
#include "routing/directory.hpp"
#include "storage/directory.hpp"

namespace hotline::server::detail {

inline result<std::string> export_directory_csv(storage::connection& c, bool contacts) {
    if (contacts) {
        auto all = storage::list_contacts(c);
        if (!all) return std::move(all).err();
        std::vector<routing::contact> cs;
        cs.reserve(all->size());
        for (auto& s : *all) cs.push_back(std::move(s.contact));
        return routing::format_contacts_csv(cs);
    }
    auto r = storage::load_roster(c);
    if (!r) return std::move(r).err();
    return routing::format_rosters_csv(*r);
}

}  // namespace hotline::server::detail
