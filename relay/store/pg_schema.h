#pragma once

// The PostgreSQL store's schema: versioned, append-only migrations like
// SQLite's (sqlite_schema.h), recorded in tether_meta instead of
// PRAGMA user_version, applied under an advisory lock so that relays
// starting together migrate once.

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "relay/store/pg_connection.h"

namespace tether::relay {

// The version this code writes.
int LatestPgSchemaVersion();

// Refuses a database that holds someone else's tables or a newer schema,
// then applies the missing steps.
Result<void> MigratePgSchema(PgConnection& connection);

// The schema must be this code's version exactly (read-only checks).
Result<void> CheckPgSchemaIsCurrent(PgConnection& connection);

// Advisory lock keys (pg_advisory_xact_lock), one per kind of writer:
// taken inside a transaction, freed by its end.
inline constexpr int64_t kPgMigrationLock = 0x7465746865720001;  // "tether"..
inline constexpr int64_t kPgAccountsLock = 0x7465746865720002;

}  // namespace tether::relay
