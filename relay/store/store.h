#pragma once

// What the relay keeps (DESIGN.md promise 6) and the accounts it serves
// (promise 7), behind an interface so that a PostgreSQL store can replace
// the embedded SQLite one when several relays share accounts and audit.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace tether::relay {

enum class AccountRole { kAdmin, kTechnician, kAuditor };

// "admin", "technician", "auditor": the names used in the database, the
// config and the admin CLI.
std::string_view ToString(AccountRole role);
Result<AccountRole> ParseAccountRole(std::string_view name);

// Times are kept with millisecond precision: a stored time reads back
// floored to the millisecond.
struct Account {
  int64_t id = 0;         // assigned by CreateAccount
  std::string user_name;  // unique, compared ASCII case-insensitively
  std::string display_name;
  AccountRole role = AccountRole::kTechnician;
  std::string password_hash;  // argon2id PHC string, never a password
  bool must_change_password = true;
  bool disabled = false;
  uint32_t failed_logins = 0;                   // consecutive
  std::optional<Clock::WallTime> locked_until;  // throttling delay
  bool locked = false;                          // an admin must unlock
  // Stored as given (see the report on wrapping it under a relay key).
  std::optional<Bytes> totp_secret;
  std::optional<int64_t> totp_last_step;  // refuses a replayed TOTP code
  Clock::WallTime created_at;             // set by CreateAccount
  Clock::WallTime password_changed_at;    // CreateAccount sets it to now
  std::optional<Clock::WallTime> last_login_at;

  friend bool operator==(const Account&, const Account&) = default;
};

// One per connection, written when it ends. Never holds a session code:
// only its HMAC.
struct ConnectionEvent {
  Clock::WallTime started_at;
  std::chrono::milliseconds duration{0};
  std::string account;         // empty for customers
  std::string role;            // "supporter", "customer" or "unknown"
  std::string source_address;  // "203.0.113.7:51234", "[2001:db8::1]:443"
  std::string code_hmac;       // hex; may be empty
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string end_reason;

  friend bool operator==(const ConnectionEvent&,
                         const ConnectionEvent&) = default;
};

// One row of the append-only audit log. `hash` is SHA-256 over the previous
// row's hash and this row's canonical encoding (relay/store/audit_chain.h);
// both hashes are lower-case hex.
struct AuditRecord {
  int64_t id = 0;  // 1, 2, 3, ... without gaps
  Clock::WallTime time;
  std::string actor;    // account name, "system" or "cli:<unix user>"
  std::string action;   // "login.ok", "account.create", "events.purge", ...
  std::string subject;  // what the action was about, may be empty
  std::string detail;   // free text, never a secret
  std::string prev_hash;
  std::string hash;

  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

// An audit row to append (the store adds the hashes).
struct AuditEntry {
  std::string actor;
  std::string action;
  std::string subject;
  std::string detail;
  // When it happened; unset: when the store appends it. Set for rows that
  // waited (PostgreSQL unreachable) before reaching the store.
  std::optional<Clock::WallTime> time = std::nullopt;

  friend bool operator==(const AuditEntry&, const AuditEntry&) = default;
};

// A row for one of the two append-only tables.
using LogRow = std::variant<ConnectionEvent, AuditEntry>;

struct AuditVerification {
  bool ok = false;
  std::size_t rows_checked = 0;  // rows that verified before a problem
  std::optional<int64_t> first_bad_id;
  std::string problem;  // empty when ok
};

// Which rows an export or a page of the web console holds. Rows come
// oldest first (events by start, audit rows by id).
struct RecordQuery {
  std::optional<Clock::WallTime> since;  // at or after; all when unset
  std::optional<Clock::WallTime> until;  // before; all when unset
  // Events: only this account's; audit rows: only this actor's (both
  // compared ASCII case-insensitively). Empty: everyone's.
  std::string who;
  // Audit rows only: actions starting with this ("account." matches
  // "account.create", ...).
  std::string action_prefix;
  std::size_t offset = 0;
  std::optional<std::size_t> limit;
};

// CSV (RFC 4180, for people and spreadsheets) or JSON Lines (one object a
// line, byte-faithful, for tools and for re-verifying the audit chain).
enum class ExportFormat { kCsv, kJsonLines };

// "csv" or "jsonl".
std::string_view ToString(ExportFormat format);
Result<ExportFormat> ParseExportFormat(std::string_view name);

// Thread-safe: every method may be called from any thread (the relay's loop
// thread and its worker threads) and calls are serialised. Several
// processes (the running relay and the admin CLI) may use the same store at
// once; writes wait for each other for a bounded time and then fail with a
// temporary error.
class Store {
 public:
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Accounts. CreateAccount ignores `id` and `created_at`, sets `created_at`
  // and `password_changed_at` to now and returns the stored account. A taken
  // user name is an error: "account 'x' already exists".
  virtual Result<Account> CreateAccount(const Account& account) = 0;
  virtual Result<std::optional<Account>> FindAccount(
      std::string_view user_name) = 0;
  // Changes the account with `id` atomically: re-reads it under the
  // store's write lock (held against other threads, the admin CLI and other
  // relays alike), lets `change` edit what is stored now, and writes it back
  // in the same transaction. So two changes at once never undo each other:
  // an admin's `user disable` during a login in flight stays. `change` edits
  // only the fields it means to and returns false to write nothing; it must
  // not call the store. Returns the account as stored afterwards.
  // In the same transaction, a replaced password hash is added to the
  // password history when password_changed_at moves too (a new password,
  // not a rehash of the same one), and a change that would leave no enabled
  // admin where one was is refused ("'x' is the last enabled admin; ...").
  // Every write to an existing account goes through here (docs/security.md,
  // "state shared between requests").
  using AccountChange = std::function<bool(Account&)>;
  virtual Result<Account> ChangeAccount(int64_t id,
                                        const AccountChange& change) = 0;
  virtual Result<std::vector<Account>> ListAccounts() = 0;  // by id
  // Admins that are not disabled: the CLI refuses to remove the last one.
  virtual Result<std::size_t> CountAdmins() = 0;
  // Hashes an account used before (ChangeAccount keeps each replaced one),
  // newest first, at most `newest_n`.
  virtual Result<std::vector<std::string>> PasswordHistory(
      int64_t account_id,
      std::size_t newest_n) = 0;

  // Connection events (promise 6).
  Result<void> RecordEvent(const ConnectionEvent& event) {
    const LogRow row = event;
    return AppendRows({&row, 1});
  }
  // Appends connection events and audit rows, in order, in one transaction:
  // one fsync for the batch, because the relay ends thousands of
  // connections at once when it stops. All or nothing: an invalid row
  // (unknown role, empty action, oversized field) or a database error
  // writes none of them.
  virtual Result<void> AppendRows(std::span<const LogRow> rows) = 0;
  // Deletes the events that started before `cutoff` and appends an
  // "events.purge" audit row by `actor`, in one transaction. Returns how
  // many events were deleted.
  virtual Result<std::size_t> PurgeEventsBefore(Clock::WallTime cutoff,
                                                std::string_view actor) = 0;
  // The events `query` selects.
  virtual Result<void> ExportEvents(const RecordQuery& query,
                                    ExportFormat format,
                                    std::ostream& out) = 0;

  // Audit log: append-only and hash chained. Appends are serialised (also
  // across processes), so the chain never forks.
  virtual Result<AuditRecord> AppendAudit(std::string_view actor,
                                          std::string_view action,
                                          std::string_view subject,
                                          std::string_view detail) = 0;
  // Walks the whole chain in id order and reports the first bad row. An
  // error means the walk itself failed (I/O), not that the chain is bad.
  virtual Result<AuditVerification> VerifyAudit() = 0;
  // The audit rows `query` selects.
  virtual Result<void> ExportAudit(const RecordQuery& query,
                                   ExportFormat format,
                                   std::ostream& out) = 0;

  // Maintenance.
  virtual Result<void> Checkpoint() = 0;  // moves the WAL into the database
  // The backend's own consistency check: "ok" or the problems found.
  virtual Result<std::string> IntegrityCheck() = 0;

 protected:
  Store() = default;
};

}  // namespace tether::relay
