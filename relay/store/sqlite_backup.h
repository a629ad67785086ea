#pragma once

// Online backup and offline restore of the relay's SQLite store.
//
// Backup uses SQLite's backup API on its own read-only connection, so it is
// consistent (one snapshot) while the relay keeps serving and writing (WAL).
// The copy is written beside the target as `<to>.part`, checked
// (integrity_check, Tether application id, schema no newer than this code)
// and renamed: a backup file that exists is a whole one. It never replaces
// an existing file.
//
// Restore checks the backup the same way, copies it next to the database,
// removes the old WAL files and renames it into place. It must not run
// while a relay serves the database: ServingLock says whether one does.

#include <cstdint>
#include <filesystem>

#include "base/result.h"

namespace tether::relay {

struct BackupSummary {
  uint64_t bytes = 0;
  int schema_version = 0;
};

Result<BackupSummary> BackupDatabase(const std::filesystem::path& database,
                                     const std::filesystem::path& to);

Result<BackupSummary> RestoreDatabase(const std::filesystem::path& backup,
                                      const std::filesystem::path& database);

// An exclusive lock on `<database>.lock`, held by `serve` for its lifetime
// and by `restore` while it runs: a second relay on the same database, or a
// restore under a running relay, is refused with a clear message.
class ServingLock {
 public:
  static Result<ServingLock> Acquire(const std::filesystem::path& database);
  ServingLock(ServingLock&& other) noexcept;
  ServingLock& operator=(ServingLock&&) = delete;
  ~ServingLock();

 private:
  explicit ServingLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tether::relay
