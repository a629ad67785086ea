#include "relay/store/open_store.h"

#include <utility>

#include "relay/store/pg_connection.h"
#include "relay/store/pg_store.h"
#include "relay/store/row_spool.h"
#include "relay/store/spooling_store.h"
#include "relay/store/sqlite_store.h"

namespace tether::relay {

bool UsesPostgresql(const StoreConfig& config) {
  return !config.postgresql.empty();
}

std::filesystem::path SpoolPath(const StoreConfig& config) {
  return config.database.string() + ".spool";
}

Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config,
                                         const Clock& clock,
                                         StoreUser user) {
  if (UsesPostgresql(config)) {
    TETHER_TRY(store, PgStore::Open(
                          {config.postgresql, config.postgresql_password_file},
                          clock, config.postgresql_connections));
    if (user == StoreUser::kAdminCommand)
      return std::unique_ptr<Store>(std::move(*store));
    TETHER_TRY(spool, RowSpool::Open(SpoolPath(config), clock));
    return std::unique_ptr<Store>(
        new SpoolingStore(std::move(*store), std::move(*spool)));
  }
  TETHER_TRY(store, SqliteStore::Open(config.database, clock));
  return std::unique_ptr<Store>(std::move(*store));
}

std::string DescribeStore(const StoreConfig& config) {
  if (UsesPostgresql(config))
    return "PostgreSQL (" + DescribeDsn(config.postgresql) + ")";
  return "SQLite (" + config.database.string() + ")";
}

std::string PostgresqlBackupAdvice() {
  return "this relay's store is PostgreSQL: back it up with pg_dump "
         "--format=custom and restore it with pg_restore, then run "
         "'tether-relay audit verify' (docs/relay.md, \"Backups of a "
         "PostgreSQL store\")";
}

}  // namespace tether::relay
