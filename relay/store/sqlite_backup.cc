#include "relay/store/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "relay/store/sqlite_schema.h"
#include "relay/store/sqlite_statement.h"

namespace tether::relay {
namespace {

namespace fs = std::filesystem;

// Pages copied per step: small steps let the relay's writers in between.
constexpr int kPagesPerStep = 256;
// How long a step may keep finding the database busy before giving up.
constexpr std::chrono::seconds kBusyLimit{30};

Result<ScopedSqlite> OpenFile(const fs::path& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  ScopedSqlite db(raw);
  if (rc != SQLITE_OK) {
    return MakeError("cannot open " + path.string() + ": " +
                     (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

// A whole Tether store: SQLite's integrity check passes, the application
// id is ours and the schema is not newer than this code.
Result<int> CheckStoreFile(sqlite3* db, const std::string& name) {
  TETHER_RETURN_IF_ERROR(CheckSchema(db, name));
  TETHER_TRY(id, SqliteStatement::Prepare(db, "PRAGMA application_id"));
  if (auto row = id->Step();
      !row || !*row || id->Int64(0) != kTetherApplicationId) {
    return MakeError(name + " is not a Tether relay database");
  }
  TETHER_TRY(integrity, SqliteStatement::Prepare(db, "PRAGMA integrity_check"));
  TETHER_TRY(row, integrity->Step());
  if (!*row || integrity->Text(0) != "ok") {
    return MakeError(name + " is damaged (integrity check: " +
                     (*row ? integrity->Text(0) : std::string("no answer")) +
                     ")");
  }
  TETHER_TRY(version, SqliteStatement::Prepare(db, "PRAGMA user_version"));
  auto version_row = version->Step();
  if (!version_row || !*version_row)
    return MakeError("cannot read the schema version of " + name);
  return static_cast<int>(version->Int64(0));
}

// Copies every page of `from` into `to` with the backup API.
Result<void> CopyDatabase(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr)
    return Unexpected(SqliteError(to, what));
  const auto give_up = std::chrono::steady_clock::now() + kBusyLimit;
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
        std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      rc = SQLITE_OK;
    }
  } while (rc == SQLITE_OK);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    return MakeError(what + ": " + sqlite3_errstr(rc));
  return {};
}

// Copies `from` (checked first) into a new `<to>.part`, 0600, checked
// again and synced. Returns the part's path and the schema version.
Result<std::pair<fs::path, int>> CopyChecked(const fs::path& from,
                                             const fs::path& to,
                                             bool source_may_be_live) {
  TETHER_TRY(source, OpenFile(from, SQLITE_OPEN_READONLY));
  if (!source_may_be_live) {
    TETHER_RETURN_IF_ERROR(CheckStoreFile(source->get(), from.string()));
  }
  const fs::path part = fs::path(to.string() + ".part");
  std::error_code ignored;
  fs::remove(part, ignored);  // a leftover of an interrupted run
  const int fd =
      ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError("cannot create " + part.string() + ": " +
                     std::strerror(errno));
  }
  ::close(fd);
  TETHER_TRY(target, OpenFile(part, SQLITE_OPEN_READWRITE));
  auto copied =
      CopyDatabase(source->get(), target->get(), "copying " + from.string());
  if (!copied) {
    target->reset();
    fs::remove(part, ignored);
    return Unexpected(std::move(copied).error());
  }
  // A copy of a WAL database is in WAL mode too; a single file is what an
  // admin expects to move around.
  (void)SqliteExec(target->get(), "PRAGMA journal_mode = DELETE");
  auto version = CheckStoreFile(target->get(), part.string());
  target->reset();
  if (!version) {
    fs::remove(part, ignored);
    return Unexpected(std::move(version).error());
  }
  if (auto synced = SyncFile(part); !synced) {
    fs::remove(part, ignored);
    return Unexpected(std::move(synced).error());
  }
  return std::make_pair(part, *version);
}

}  // namespace

Result<void> SyncFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int error = errno;
    if (fd >= 0)
      ::close(fd);
    return MakeError("cannot sync " + path.string() + ": " +
                     std::strerror(error));
  }
  ::close(fd);
  return {};
}

Result<BackupSummary> BackupDatabase(const fs::path& database,
                                     const fs::path& to) {
  std::error_code error;
  if (fs::exists(to, error))
    return MakeError(to.string() + " exists; a backup never replaces a file");
  if (!fs::exists(database, error))
    return MakeError("there is no database at " + database.string());
  TETHER_TRY(part, CopyChecked(database, to, /*source_may_be_live=*/true));
  // link() rather than rename(): it fails instead of replacing a file that
  // appeared meanwhile.
  if (::link(part->first.c_str(), to.c_str()) != 0) {
    const int link_error = errno;
    fs::remove(part->first, error);
    return MakeError("cannot write " + to.string() + ": " +
                     std::strerror(link_error));
  }
  fs::remove(part->first, error);
  // The new name is durable only once its folder is.
  fs::path folder = to.parent_path();
  if (folder.empty())
    folder = ".";
  if (auto synced = SyncFile(folder); !synced) {
    fs::remove(to, error);
    return Unexpected(std::move(synced).error());
  }
  return BackupSummary{static_cast<uint64_t>(fs::file_size(to, error)),
                       part->second};
}

Result<BackupSummary> RestoreDatabase(const fs::path& backup,
                                      const fs::path& database) {
  std::error_code error;
  if (!fs::exists(backup, error))
    return MakeError("there is no backup at " + backup.string());
  TETHER_TRY(part, CopyChecked(backup, database, /*source_may_be_live=*/false));
  // The old WAL belongs to the old database: it must not be replayed into
  // the restored one.
  for (const char* suffix : {"-wal", "-shm", "-journal"})
    fs::remove(fs::path(database.string() + suffix), error);
  fs::rename(part->first, database, error);
  if (error) {
    fs::remove(part->first, error);
    return MakeError("cannot replace " + database.string() + ": " +
                     error.message());
  }
  TETHER_RETURN_IF_ERROR(SyncFile(database.parent_path()));
  return BackupSummary{static_cast<uint64_t>(fs::file_size(database, error)),
                       part->second};
}

Result<FileLock> FileLock::Acquire(const fs::path& path,
                                   std::string_view busy_message) {
  const int fd =
      ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return MakeError("cannot open " + path.string() + ": " +
                     std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int lock_error = errno;
    ::close(fd);
    if (lock_error == EWOULDBLOCK)
      return MakeTemporaryError(std::string(busy_message));
    return MakeError("cannot lock " + path.string() + ": " +
                     std::strerror(lock_error));
  }
  return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

FileLock::~FileLock() {
  if (fd_ >= 0)
    ::close(fd_);
}

Result<ServingLock> ServingLock::Acquire(const fs::path& database) {
  TETHER_TRY(lock, FileLock::Acquire(database.string() + ".lock",
                                     "a relay is serving " + database.string() +
                                         " (stop it first: systemctl stop "
                                         "tether-relay)"));
  return ServingLock(std::move(*lock));
}

}  // namespace tether::relay
