#pragma once

// The store on PostgreSQL, for relays that share accounts and one audit
// chain (docs/relay.md, "Several relays"). Same contract as SqliteStore:
// the relay's logic does not know which one it runs on.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "relay/store/audit_chain.h"
#include "relay/store/pg_connection.h"
#include "relay/store/store.h"

namespace tether::relay {

// Thread-safe: a small pool of connections, each used by one call at a
// time, so worker threads do not wait for each other as they do on
// SQLite's one connection. Calls block on the network, so they run on
// worker threads and the StoreWriter's, never on a loop thread.
//
// When PostgreSQL cannot be reached, a call fails with a temporary error
// at once for kRetryAfter after the last failed connect, rather than each
// caller waiting out the connect timeout.
//
// Serialisation across relays: every account change takes one advisory
// lock (so the last-admin rule holds whatever two relays do at once), and
// every audit append locks the chain's one head row, so the chain never
// forks.
class PgStore final : public Store {
 public:
  static constexpr std::chrono::seconds kRetryAfter{2};
  static constexpr std::chrono::seconds kPoolWait{10};

  // Connects, checks the database is Tether's (or empty) and migrates it.
  static Result<std::unique_ptr<PgStore>> Open(const PgSettings& settings,
                                               const Clock& clock,
                                               std::size_t connections);
  // Checks without writing (no migration): `audit verify` and exports of a
  // database that must already have this code's schema.
  static Result<std::unique_ptr<PgStore>> OpenReadOnly(
      const PgSettings& settings,
      const Clock& clock);
  static int SchemaVersion();

  ~PgStore() override;

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
  // Rows from a relay's spool (relay/store/row_spool.h), numbered there:
  // appended like AppendRows, except those this spool had written before
  // (recorded with them), so a retried batch lands once.
  Result<void> AppendSpooledRows(std::string_view spool_id,
                                 std::span<const int64_t> numbers,
                                 std::span<const LogRow> rows);

  // PostgreSQL checkpoints by itself: nothing to do.
  Result<void> Checkpoint() override;
  // PostgreSQL checks its own pages; this says whether the database is
  // reachable and holds this relay's schema: "ok" or the problem.
  Result<std::string> IntegrityCheck() override;

 private:
  class Lease;
  using Work = std::function<Result<void>(PgConnection&)>;

  PgStore(PgSettings settings,
          const Clock& clock,
          std::size_t connections,
          std::unique_ptr<PgConnection> first);

  // Runs `work` on a pooled connection. A connection that broke while idle
  // (the server restarted) is found out by the first statement: the work
  // is then run once more on a new connection.
  Result<void> Run(const Work& work);
  Result<std::unique_ptr<PgConnection>> Acquire(bool& reused);
  void Release(std::unique_ptr<PgConnection> connection);

  // Callers are inside a transaction.
  Result<std::optional<Account>> AccountById(PgConnection& connection,
                                             int64_t id,
                                             bool for_update);
  Result<std::size_t> CountAdminsOn(PgConnection& connection);
  // Writes `rows` in one go per table (events, then the audit rows chained
  // onto the locked head); with `numbers`, skips those up to `written` (a
  // spool's rows PostgreSQL has already). The last audit row written, if
  // any. Callers are inside a transaction.
  Result<std::optional<AuditRecord>> WriteRows(PgConnection& connection,
                                               std::span<const LogRow> rows,
                                               std::span<const int64_t> numbers,
                                               int64_t written);

  const PgSettings settings_;
  const Clock& clock_;
  const std::size_t max_connections_;

  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mutex_
  std::size_t open_ = 0;  // idle and leased; guarded by mutex_
  std::optional<std::chrono::steady_clock::time_point> down_until_;
  std::string down_reason_;  // guarded by mutex_
};

}  // namespace tether::relay
