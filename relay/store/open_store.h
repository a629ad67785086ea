#pragma once

// The one place that picks the store: PostgreSQL when relay.toml's
// [store] postgresql is set (relays sharing accounts and one audit chain),
// else the SQLite file [store] database. The relay's logic and the admin
// CLI see only Store.

#include <filesystem>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "relay/config/relay_config.h"
#include "relay/store/store.h"

namespace tether::relay {

bool UsesPostgresql(const StoreConfig& config);

// Who opens the store. The relay's PostgreSQL store keeps the rows it
// cannot write while PostgreSQL is out of reach in a spool beside
// [store] database (SpoolPath); the admin commands, which may run as
// another user, leave the spool to the relay.
enum class StoreUser { kRelay, kAdminCommand };

// Opens (creating or migrating) the store `config` names.
Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config,
                                         const Clock& clock,
                                         StoreUser user);

// "/var/lib/tether/relay.db.spool": where a relay on PostgreSQL queues rows.
std::filesystem::path SpoolPath(const StoreConfig& config);

// Why `tether-relay backup` and `restore` do not serve a PostgreSQL store:
// PostgreSQL's own tools do (docs/relay.md, "Backups of a PostgreSQL
// store").
std::string PostgresqlBackupAdvice();

// "PostgreSQL (host=db1 dbname=tether)" or "SQLite (/var/lib/...)", for the
// start-up line and messages; never holds a password.
std::string DescribeStore(const StoreConfig& config);

}  // namespace tether::relay
