#pragma once
// The directory's command line, dispatched from main:
//
//   hotline import contacts FILE [--config FILE] [--db PATH]
//   hotline import rosters  FILE [--config FILE] [--db PATH]
//   hotline export contacts|rosters [--config FILE] [--db PATH]      (to stdout)
//
// The flags are main's (see its usage). FILE "-" is standard input. The
// formats are routing/directory.hpp's. An import is all or nothing: when any
// row is bad, every bad row is listed on
// `err` with its line number, nothing is written and the exit code is 1. A
// good import writes one transaction (creating and migrating the database
// when needed) and prints one summary line on `out` ("contacts: 3 added, 1
// updated, 280 unchanged"); running it again with the same file changes
// nothing. Rosters name contacts by id: import the contacts first. Export
// needs an existing database.
//
// Exit codes: 0 done, 1 refused or failed, 2 usage or configuration error.
// Not thread-safe (one call at a time per process).

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace hotline::server {

// The usage lines of these commands.
extern const std::string_view directory_usage;

// `words` are the words after "import" or "export" without the flags, which
// main has turned into the configuration: "contacts FILE", "rosters FILE"
// (import) or "contacts", "rosters" (export). `db_path` is the database.
int run_import(const std::vector<std::string>& words, const std::string& db_path, std::ostream& out,
               std::ostream& err);
int run_export(const std::vector<std::string>& words, const std::string& db_path, std::ostream& out,
               std::ostream& err);

}  // namespace hotline::server
