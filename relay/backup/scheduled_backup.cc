#include "relay/backup/scheduled_backup.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <system_error>
#include <vector>

#include "relay/backup/backup_command.h"
#include "relay/backup/backup_status.h"
#include "relay/store/open_store.h"
#include "relay/store/sqlite_backup.h"
#include "relay/store/sqlite_store.h"
#include "relay/store/unix_millis.h"

namespace tether::relay {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "relay-";
constexpr std::string_view kSuffix = "Z.db";
constexpr std::string_view kPartSuffix = ".part";  // BackupDatabase's
constexpr char kLockName[] = "backup.lock";

// How one run failed: `report` false when writing the status would be
// wrong (another run holds the lock and will report; the wrong user would
// leave a file the relay cannot read).
struct Failure {
  std::string message;
  bool report = true;
};

struct Done {
  fs::path file;
  uint64_t bytes = 0;
  int schema_version = 0;
  size_t accounts = 0;
  size_t audit_rows = 0;
  size_t kept = 0;
  size_t removed = 0;
  bool command_ran = false;
};

std::string UserName(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_name != nullptr) {
    return found->pw_name;
  }
  return "uid " + std::to_string(uid);
}

// The database exists and this process runs as its owner: files made by
// another user (root) would later stop the relay's own runs.
std::optional<Failure> CheckDatabase(const fs::path& database) {
  struct stat status {};
  if (::stat(database.c_str(), &status) != 0) {
    if (errno == ENOENT) {
      return Failure{"there is no database at " + database.string() +
                     " yet (the relay creates it when it first starts)"};
    }
    return Failure{"cannot read " + database.string() + ": " +
                   std::strerror(errno)};
  }
  if (status.st_uid != ::geteuid()) {
    return Failure{
        database.string() + " belongs to " + UserName(status.st_uid) +
            ", and this runs as " + UserName(::geteuid()) +
            ": run it as the relay's user (sudo -u " + UserName(status.st_uid) +
            " tether-relay backup --scheduled)",
        /*report=*/false};
  }
  return std::nullopt;
}

// Creates the folder 0700 when it is missing (its parent must exist) and
// refuses one that others may write to.
std::optional<Failure> PrepareFolder(const fs::path& folder) {
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    return Failure{"cannot create the backup folder " + folder.string() + ": " +
                   std::strerror(errno)};
  }
  struct stat status {};
  if (::stat(folder.c_str(), &status) != 0) {
    return Failure{"cannot read the backup folder " + folder.string() + ": " +
                   std::strerror(errno)};
  }
  if (!S_ISDIR(status.st_mode)) {
    return Failure{"the backup folder " + folder.string() + " is not a folder"};
  }
  if ((status.st_mode & 022) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", status.st_mode & 0777);
    return Failure{"the backup folder " + folder.string() +
                   " may be written by other users (mode " + mode +
                   "): chmod 700 it"};
  }
  return std::nullopt;
}

// The folder's entries named by ScheduledBackupName (+ `suffix`) that are
// regular files (a link is never followed, nor removed).
std::vector<std::string> OwnFiles(const fs::path& folder,
                                  std::string_view suffix) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(suffix))
      continue;
    if (!IsScheduledBackupName(
            std::string_view(name).substr(0, name.size() - suffix.size())))
      continue;
    std::error_code type_error;
    if (entry.symlink_status(type_error).type() != fs::file_type::regular)
      continue;
    names.push_back(std::move(name));
  }
  return names;
}

// Keeps the newest `keep` backups, `newest` among them whatever the names
// of the others (a clock set back must not delete the backup just made).
Result<std::pair<size_t, size_t>> Prune(const fs::path& folder,
                                        const std::string& newest,
                                        size_t keep) {
  std::vector<std::string> others = OwnFiles(folder, "");
  std::erase(others, newest);
  std::sort(others.rbegin(), others.rend());  // newest first
  size_t removed = 0;
  for (size_t i = keep - 1; i < others.size(); ++i) {
    std::error_code error;
    if (!fs::remove(folder / others[i], error) && error) {
      return MakeError("cannot remove the old backup " +
                       (folder / others[i]).string() + ": " + error.message());
    }
    ++removed;
  }
  if (removed > 0)
    TETHER_RETURN_IF_ERROR(SyncFile(folder));
  return std::make_pair(std::min(others.size(), keep - 1) + 1, removed);
}

// The copy as restore and `audit verify` see it: a store of this schema
// whose audit chain verifies.
Result<std::pair<size_t, size_t>> VerifyCopy(const fs::path& file,
                                             const Clock& clock) {
  TETHER_TRY(store, SqliteStore::OpenReadOnly(file, clock));
  TETHER_TRY(verified, (*store)->VerifyAudit());
  if (!verified->ok) {
    return MakeError("the copy's audit chain does not verify: " +
                     verified->problem);
  }
  TETHER_TRY(accounts, (*store)->ListAccounts());
  return std::make_pair(accounts->size(), verified->rows_checked);
}

Result<Done, Failure> Run(const RelayConfig& config,
                          const Clock& clock,
                          std::string_view actor) {
  const fs::path& database = config.store.database;
  const fs::path& folder = config.backup.folder;
  if (auto failed = CheckDatabase(database))
    return Unexpected(*failed);
  if (auto failed = PrepareFolder(folder))
    return Unexpected(*failed);
  auto lock = FileLock::Acquire(folder / kLockName,
                                "another backup is running (it holds " +
                                    (folder / kLockName).string() + ")");
  if (!lock) {
    // Busy: the run that holds it reports for both.
    return Unexpected(
        Failure{lock.error().message, /*report=*/!lock.error().temporary()});
  }
  // What an interrupted run (power loss, kill -9) left: no run but ours
  // writes these, and ours holds the lock.
  for (const std::string& part : OwnFiles(folder, kPartSuffix)) {
    std::error_code ignored;
    fs::remove(folder / part, ignored);
  }

  Done done;
  done.file = folder / ScheduledBackupName(clock.WallNow());
  {
    // Recorded first, so the backup holds the record of itself.
    auto store = SqliteStore::Open(database, clock);
    if (!store)
      return Unexpected(Failure{store.error().message});
    auto audited = (*store)->AppendAudit(actor, "database.backup",
                                         done.file.string(), "scheduled");
    if (!audited) {
      return Unexpected(Failure{"cannot record the backup in the audit log: " +
                                audited.error().message});
    }
  }
  auto copied = BackupDatabase(database, done.file);
  if (!copied)
    return Unexpected(Failure{copied.error().message});
  done.bytes = copied->bytes;
  done.schema_version = copied->schema_version;

  auto verified = VerifyCopy(done.file, clock);
  if (!verified) {
    std::error_code ignored;
    fs::remove(done.file, ignored);
    return Unexpected(Failure{verified.error().message + " (" +
                              done.file.string() + " deleted)"});
  }
  done.accounts = verified->first;
  done.audit_rows = verified->second;

  auto pruned =
      Prune(folder, done.file.filename().string(), config.backup.keep);
  if (!pruned)
    return Unexpected(Failure{pruned.error().message});
  done.kept = pruned->first;
  done.removed = pruned->second;

  if (!config.backup.command.empty()) {
    auto ran =
        RunBackupCommand(BackupCommandLine(config.backup.command, done.file),
                         config.backup.command_timeout);
    if (!ran) {
      return Unexpected(Failure{
          "the backup " + done.file.string() +
          " is good, but backup.command failed: " + ran.error().message});
    }
    done.command_ran = true;
  }
  return done;
}

std::string Seconds(std::chrono::steady_clock::duration duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f s",
                std::chrono::duration<double>(duration).count());
  return text;
}

int64_t UnixSeconds(Clock::WallTime time) {
  return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch())
      .count();
}

}  // namespace

std::string ScheduledBackupName(Clock::WallTime time) {
  const int64_t millis = ToUnixMillis(time);
  const std::time_t seconds = static_cast<std::time_t>(
      millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char name[64];
  std::snprintf(name, sizeof(name), "relay-%04d%02d%02dT%02d%02d%02d.%03dZ.db",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec,
                static_cast<int>(millis - int64_t{seconds} * 1000));
  return name;
}

bool IsScheduledBackupName(std::string_view name) {
  // relay-YYYYMMDDTHHMMSS.mmmZ.db
  constexpr std::string_view kShape = "########T######.###";
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix))
    return false;
  name.remove_prefix(kPrefix.size());
  name.remove_suffix(kSuffix.size());
  if (name.size() != kShape.size())
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const bool digit = name[i] >= '0' && name[i] <= '9';
    if (kShape[i] == '#' ? !digit : name[i] != kShape[i])
      return false;
  }
  return true;
}

ScheduledBackupResult RunScheduledBackup(const RelayConfig& config,
                                         const Clock& clock,
                                         std::string_view actor) {
  if (UsesPostgresql(config.store)) {
    // The timer is IT's to disable for such a relay; until then it says
    // plainly, once a day, that it backs nothing up.
    return {false, "backup failed: " + PostgresqlBackupAdvice() +
                       "; disable tether-relay-backup.timer"};
  }
  const auto started = clock.SteadyNow();
  auto done = Run(config, clock, actor);
  const std::string took = Seconds(clock.SteadyNow() - started);

  ScheduledBackupResult result;
  BackupStatus status;
  status.run_time = UnixSeconds(clock.WallNow());
  if (done) {
    result.ok = true;
    result.line = "backup ok: " + done->file.string() + ", " +
                  std::to_string(done->bytes) + " bytes, schema " +
                  std::to_string(done->schema_version) + ", " +
                  std::to_string(done->accounts) + " accounts, audit chain " +
                  "ok (" + std::to_string(done->audit_rows) + " rows), " +
                  std::to_string(done->kept) + " kept, " +
                  std::to_string(done->removed) + " removed, " +
                  (done->command_ran ? "command ok" : "no command") + ", " +
                  took;
    status.success_time = status.run_time;
    status.success_bytes = done->bytes;
    status.success_file = done->file.filename().string();
  } else {
    result.line =
        "backup failed: " + done.error().message + " (after " + took + ")";
    if (!done.error().report)
      return result;
    // The last success stays what it was.
    auto previous = ReadBackupStatus(config.store.database);
    if (previous && previous->has_value()) {
      status.success_time = (*previous)->success_time;
      status.success_bytes = (*previous)->success_bytes;
      status.success_file = (*previous)->success_file;
    }
  }
  status.ok = result.ok;
  status.message = result.line;
  if (auto written = WriteBackupStatus(config.store.database, status);
      !written) {
    // A good backup the relay cannot report is a failed run.
    result.line += result.ok ? "; but " : "; also ";
    result.line += written.error().message;
    result.ok = false;
  }
  return result;
}

}  // namespace tether::relay
