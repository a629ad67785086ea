#pragma once

// The SQLite store's schema as numbered migration steps. The database's
// `PRAGMA user_version` is the number of steps applied; opening runs the
// missing ones, each in its own transaction, and refuses a database written
// by a newer relay (its schema might mean something this code can't know).

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "relay/store/scoped_sqlite.h"

namespace tether::relay {

// Written into the database header (PRAGMA application_id) so that another
// program's SQLite file is not mistaken for ours, nor ours for theirs.
inline constexpr int32_t kTetherApplicationId = 0x54544852;  // "TTHR"

// The schema version this code writes.
int LatestSchemaVersion();

// Fails unless the open database is empty or a Tether store no newer than
// this code. Reads only. `name` is the file name for errors.
Result<void> CheckSchema(sqlite3* db, std::string_view name);

// CheckSchema, and the database is a Tether store of exactly the version
// this code writes: what reading a file without migrating it needs.
Result<void> CheckSchemaIsCurrent(sqlite3* db, std::string_view name);

// Applies the missing steps, each in its own transaction.
Result<void> MigrateSchema(sqlite3* db, std::string_view name);

}  // namespace tether::relay
