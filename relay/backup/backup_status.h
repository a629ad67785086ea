#pragma once

// What the last `tether-relay backup --scheduled` run left behind for the
// relay's /metrics: a small text file beside the database,
// `<database>.backup-status` (/var/lib/tether/relay.db.backup-status). The
// backup runs in its own process (the timer's unit); the relay reads the
// file when it is scraped, so no other channel between the two is needed.
// Beside the database rather than in the backup folder, so that a folder
// that cannot be written is still reported.
//
//   # tether-relay backup --scheduled: the last run (read by /metrics)
//   run_time=1795000000          Unix seconds, when the last run ended
//   ok=1                         1 when it succeeded, 0 when it failed
//   success_time=1795000000      the last run that succeeded (0: none)
//   success_bytes=123456         the size of its backup
//   success_file=relay-20261123T031500.123Z.db
//   message=backup ok: ...       the last run's log line
//
// Unknown keys are ignored, so a newer writer does not blind an older
// reader.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::relay {

struct BackupStatus {
  int64_t run_time = 0;  // Unix seconds
  bool ok = false;
  int64_t success_time = 0;  // 0: no run has succeeded yet
  uint64_t success_bytes = 0;
  std::string success_file;
  std::string message;  // one line

  bool operator==(const BackupStatus&) const = default;
};

// Larger files are not ours: refused unread.
inline constexpr size_t kMaxBackupStatusBytes = 4096;

// `<database>.backup-status`.
std::filesystem::path BackupStatusPath(const std::filesystem::path& database);

std::string FormatBackupStatus(const BackupStatus& status);
Result<BackupStatus> ParseBackupStatus(std::string_view text);

// Replaces the file in one rename (readers see the old or the new one,
// never a mix), owner-only, synced.
Result<void> WriteBackupStatus(const std::filesystem::path& database,
                               const BackupStatus& status);

// nullopt when no scheduled backup has run yet (no file). Reads at most
// kMaxBackupStatusBytes: cheap enough for the loop thread at scrape time.
Result<std::optional<BackupStatus>> ReadBackupStatus(
    const std::filesystem::path& database);

}  // namespace tether::relay
