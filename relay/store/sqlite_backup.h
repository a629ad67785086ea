#pragma once

// Online backup and offline restore of the relay's SQLite store.
//
// Backup uses SQLite's backup API on its own read-only connection, so it is
// consistent (one snapshot) while the relay keeps serving and writing (WAL).
// The copy is written beside the target as `<to>.part`, checked
// (integrity_check, Tether application id, schema no newer than this code)
// and renamed, then the file and its folder are synced: a backup file that
// exists is a whole one. It never replaces an existing file.
//
// Restore checks the backup the same way, copies it next to the database,
// removes the old WAL files and renames it into place. It must not run
// while a relay serves the database: ServingLock says whether one does.

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <utility>

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

// fsync() of a file, or of a folder (so the names in it are durable).
Result<void> SyncFile(const std::filesystem::path& path);

// An exclusive flock() on a lock file (created 0600 if need be), held for
// the object's lifetime; the kernel drops it when the process dies, so a
// crash never leaves it held.
class FileLock {
 public:
  // Fails at once while another process holds it: a temporary error with
  // `busy_message`.
  static Result<FileLock> Acquire(const std::filesystem::path& path,
                                  std::string_view busy_message);
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The FileLock on `<database>.lock`, held by `serve` for its lifetime and
// by `restore` while it runs: a second relay on the same database, or a
// restore under a running relay, is refused with a clear message.
class ServingLock {
 public:
  static Result<ServingLock> Acquire(const std::filesystem::path& database);

 private:
  explicit ServingLock(FileLock lock) : lock_(std::move(lock)) {}
  FileLock lock_;
};

}  // namespace tether::relay
