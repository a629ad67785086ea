#pragma once

// The PostgreSQL store as the relay uses it: connection events and audit
// rows that cannot reach PostgreSQL (restarting, failing over, the network
// between) wait in a spool on the relay's disk (relay/store/row_spool.h)
// and are written, in order and once, when it is back. Every other call
// goes to PostgreSQL as it is: sign-ins and admin changes need the real
// accounts, and fail plainly while it is out of reach.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>

#include "relay/store/pg_store.h"
#include "relay/store/row_spool.h"
#include "relay/store/store.h"

namespace tether::relay {

// Thread-safe. A thread of its own drains the spool: at start (rows a
// relay killed during an outage left behind), and whenever rows wait.
class SpoolingStore final : public Store {
 public:
  static constexpr std::size_t kDrainBatch = 1000;
  static constexpr std::chrono::seconds kRetryEvery{1};

  SpoolingStore(std::unique_ptr<PgStore> store,
                std::unique_ptr<RowSpool> spool);
  ~SpoolingStore() override;  // stops draining; waiting rows stay spooled

  // Rows waiting in the spool (for the metrics, tests and the log).
  std::size_t queued();

  // Written to PostgreSQL when it can be reached and nothing waits before
  // them; else appended to the spool (an error only when the spool is full
  // or the rows are invalid).
  Result<void> AppendRows(std::span<const LogRow> rows) override;

  Result<Account> CreateAccount(const Account& account) override {
    return store_->CreateAccount(account);
  }
  Result<std::optional<Account>> FindAccount(
      std::string_view user_name) override {
    return store_->FindAccount(user_name);
  }
  Result<Account> ChangeAccount(int64_t id,
                                const AccountChange& change) override {
    return store_->ChangeAccount(id, change);
  }
  Result<std::vector<Account>> ListAccounts() override {
    return store_->ListAccounts();
  }
  Result<std::size_t> CountAdmins() override { return store_->CountAdmins(); }
  Result<std::vector<std::string>> PasswordHistory(
      int64_t account_id,
      std::size_t newest_n) override {
    return store_->PasswordHistory(account_id, newest_n);
  }
  Result<std::size_t> PurgeEventsBefore(Clock::WallTime cutoff,
                                        std::string_view actor) override {
    return store_->PurgeEventsBefore(cutoff, actor);
  }
  Result<void> ExportEvents(const RecordQuery& query,
                            ExportFormat format,
                            std::ostream& out) override {
    return store_->ExportEvents(query, format, out);
  }
  Result<AuditRecord> AppendAudit(std::string_view actor,
                                  std::string_view action,
                                  std::string_view subject,
                                  std::string_view detail) override {
    return store_->AppendAudit(actor, action, subject, detail);
  }
  Result<AuditVerification> VerifyAudit() override {
    return store_->VerifyAudit();
  }
  Result<void> ExportAudit(const RecordQuery& query,
                           ExportFormat format,
                           std::ostream& out) override {
    return store_->ExportAudit(query, format, out);
  }
  Result<void> Checkpoint() override { return store_->Checkpoint(); }
  Result<std::string> IntegrityCheck() override {
    return store_->IntegrityCheck();
  }

 private:
  void Drain();
  // One batch from the spool to PostgreSQL: true when it went (or the
  // spool was empty), false to wait and retry.
  bool DrainOnce();

  const std::unique_ptr<PgStore> store_;
  const std::unique_ptr<RowSpool> spool_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool waiting_ = false;   // rows are (or may be) in the spool; mutex_
  bool stopping_ = false;  // mutex_
  std::thread drainer_;    // last: starts after everything above exists
};

}  // namespace tether::relay
