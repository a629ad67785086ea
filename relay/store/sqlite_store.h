#pragma once

// The embedded store: one SQLite file (WAL, synchronous=FULL), created
// owner-only (0600) because it holds password hashes and TOTP secrets.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "relay/store/scoped_sqlite.h"
#include "relay/store/store.h"

namespace tether::relay {

// Thread-safe: one SQLite connection behind a mutex, so calls from any
// thread run one at a time (a long export or verification holds the others
// up; the admin CLI runs those in its own process, which WAL lets read
// while the relay writes). Other processes on the same file are waited for
// up to kBusyTimeout, then a call fails with a temporary error.
class SqliteStore final : public Store {
 public:
  static constexpr std::chrono::milliseconds kBusyTimeout{5000};

  // Opens or creates the store at `path`; the directory must exist. Refuses
  // a file that is not a Tether store, or one written by a newer relay.
  // `clock` stamps audit rows and accounts and must outlive the store.
  static Result<std::unique_ptr<SqliteStore>> Open(
      const std::filesystem::path& path,
      const Clock& clock);

  // Opens an existing store file for reading only, e.g. a backup being
  // checked: nothing is written to it (no WAL mode, no migration), so it
  // must have this code's schema version. Writing calls fail.
  static Result<std::unique_ptr<SqliteStore>> OpenReadOnly(
      const std::filesystem::path& path,
      const Clock& clock);

  // The schema version this code writes (PRAGMA user_version).
  static int SchemaVersion();

  ~SqliteStore() override;

  Result<Account> CreateAccount(const Account& account) override;
  Result<std::optional<Account>> FindAccount(
      std::string_view user_name) override;
  Result<Account> ChangeAccount(int64_t id,
                                const AccountChange& change) override;
  Result<std::vector<Account>> ListAccounts() override;
  Result<std::size_t> CountAdmins() override;
  Result<std::vector<std::string>> PasswordHistory(
      int64_t account_id,
      std::size_t newest_n) override;

  Result<void> AppendRows(std::span<const LogRow> rows) override;
  Result<std::size_t> PurgeEventsBefore(Clock::WallTime cutoff,
                                        std::string_view actor) override;
  Result<void> ExportEvents(const RecordQuery& query,
                            ExportFormat format,
                            std::ostream& out) override;

  Result<AuditRecord> AppendAudit(std::string_view actor,
                                  std::string_view action,
                                  std::string_view subject,
                                  std::string_view detail) override;
  Result<AuditVerification> VerifyAudit() override;
  Result<void> ExportAudit(const RecordQuery& query,
                           ExportFormat format,
                           std::ostream& out) override;

  Result<void> Checkpoint() override;
  Result<std::string> IntegrityCheck() override;

 private:
  SqliteStore(ScopedSqlite db, std::string name, const Clock& clock);

  // Callers hold mutex_.
  Result<std::optional<Account>> AccountByIdLocked(int64_t id);
  Result<std::size_t> CountAdminsLocked();
  // Callers hold mutex_ and an open write transaction.
  Result<void> InsertEventLocked(const ConnectionEvent& event);
  Result<AuditRecord> AppendAuditLocked(const AuditEntry& entry);

  std::mutex mutex_;
  ScopedSqlite db_;         // guarded by mutex_
  const std::string name_;  // the file's path, for messages
  const Clock& clock_;
};

}  // namespace tether::relay
