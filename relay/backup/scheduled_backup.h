#pragma once

// `tether-relay backup --scheduled`, what tether-relay-backup.timer runs
// daily (docs/relay.md, "Backups"). One run:
//
//   1. takes `<backup.folder>/backup.lock` (a second run at the same time
//      is refused and changes nothing);
//   2. records "database.backup" in the audit log, then copies the live
//      database with BackupDatabase into relay-<UTC time>.db (temporary
//      name, checked, renamed, synced: never a half file);
//   3. checks the copy the way restore and `audit verify` do: opened read
//      only as a store, schema this relay's, audit chain verified;
//   4. removes the oldest backups beyond backup.keep (only files named
//      relay-<UTC time>.db, never the new one);
//   5. runs backup.command with the backup's path, within its timeout;
//   6. writes the result to <database>.backup-status for /metrics.
//
// Any failure fails the run; a copy that does not verify is deleted.

#include <string>
#include <string_view>

#include "base/clock.h"
#include "relay/config/relay_config.h"

namespace tether::relay {

// "relay-20261123T031500.123Z.db": UTC, to the millisecond, sorting in
// time order by name.
std::string ScheduledBackupName(Clock::WallTime time);
// Whether `name` is one ScheduledBackupName made: the only files a run
// ever removes.
bool IsScheduledBackupName(std::string_view name);

struct ScheduledBackupResult {
  bool ok = false;
  // The run's one log line: "backup ok: <file>, ..." or "backup failed:
  // <why> ...".
  std::string line;
};

// `actor` is who the audit row names ("cli:tether"). Blocking; runs in the
// short-lived CLI process.
ScheduledBackupResult RunScheduledBackup(const RelayConfig& config,
                                         const Clock& clock,
                                         std::string_view actor);

}  // namespace tether::relay
