#pragma once
// The schema history.
//
// `migrations()[i]` is the SQL that takes a database from `user_version` i to
// i + 1. Entries are only ever appended: a released migration is never edited,
// because databases in the field have already run it. A change to the schema
// is a new entry (ALTER TABLE ... ADD COLUMN, a new table, or the documented
// twelve-step table rebuild, which is safe here because foreign keys are
// switched off while migrating and checked before each commit).

#include <span>
#include <string_view>

#include "intake/result.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage::detail {

std::span<const std::string_view> migrations() noexcept;

// Applies every pending migration on `c`, an open read-write connection with
// no transaction in progress. Each migration runs in its own BEGIN IMMEDIATE
// transaction, re-reads `user_version` under the write lock (another process
// may have migrated meanwhile), ends with `PRAGMA foreign_key_check` and sets
// `user_version`. Refuses, with code `schema_too_new`, a database whose
// version is newer than this code knows. Leaves `foreign_keys` ON. Returns the
// resulting version.
result<int> apply_migrations(connection& c);

// The `user_version` of the database behind `c`.
result<int> schema_version(connection& c);

}  // namespace hotline::storage::detail
