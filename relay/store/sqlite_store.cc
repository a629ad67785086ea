#include "relay/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

#include "base/log.h"
#include "relay/store/account_columns.h"
#include "relay/store/audit_chain.h"
#include "relay/store/record_writer.h"
#include "relay/store/sqlite_schema.h"
#include "relay/store/sqlite_statement.h"
#include "relay/store/store_checks.h"
#include "relay/store/unix_millis.h"

namespace tether::relay {

namespace {

// Every SELECT that reads an Account (columns: account_columns.h).
std::string SelectAccount() {
  return "SELECT " + std::string(kAccountColumns) + " FROM accounts";
}

// INSERT and UPDATE bind the same ?1..?13; ?14 is created_at_ms for INSERT
// and the id for UPDATE.
std::string InsertAccount() {
  return "INSERT INTO accounts (" + std::string(kAccountWrittenColumns) +
         ", created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
         "?11, ?12, ?13, ?14)";
}

constexpr std::string_view kUpdateAccount =
    "UPDATE accounts SET user_name = ?1, display_name = ?2, role = ?3,"
    " password_hash = ?4, must_change_password = ?5, disabled = ?6,"
    " failed_logins = ?7, locked_until_ms = ?8, locked = ?9,"
    " totp_secret = ?10, totp_last_step = ?11, password_changed_at_ms = ?12,"
    " last_login_at_ms = ?13 WHERE id = ?14";

void BindAccountFields(SqliteStatement& statement, const Account& account) {
  statement.Bind(1, account.user_name)
      .Bind(2, account.display_name)
      .Bind(3, ToString(account.role))
      .Bind(4, account.password_hash)
      .Bind(5, int64_t{account.must_change_password})
      .Bind(6, int64_t{account.disabled})
      .Bind(7, int64_t{account.failed_logins})
      .Bind(8, ToUnixMillis(account.locked_until))
      .Bind(9, int64_t{account.locked})
      .Bind(11, account.totp_last_step)
      .Bind(12, ToUnixMillis(account.password_changed_at))
      .Bind(13, ToUnixMillis(account.last_login_at));
  if (account.totp_secret) {
    statement.BindBlob(10, *account.totp_secret);
  } else {
    statement.BindNull(10);
  }
}

Result<Account> ReadAccount(const SqliteStatement& row) {
  Account account;
  account.id = row.Int64(0);
  account.user_name = row.Text(1);
  account.display_name = row.Text(2);
  TETHER_TRY(role, ParseAccountRole(row.Text(3)));
  account.role = *role;
  account.password_hash = row.Text(4);
  account.must_change_password = row.Int64(5) != 0;
  account.disabled = row.Int64(6) != 0;
  account.failed_logins = static_cast<uint32_t>(row.Int64(7));
  account.locked_until = FromUnixMillis(row.OptionalInt64(8));
  account.locked = row.Int64(9) != 0;
  if (!row.IsNull(10))
    account.totp_secret = row.Blob(10);
  account.totp_last_step = row.OptionalInt64(11);
  account.created_at = FromUnixMillis(row.Int64(12));
  account.password_changed_at = FromUnixMillis(row.Int64(13));
  account.last_login_at = FromUnixMillis(row.OptionalInt64(14));
  return account;
}

// Steps a bound SelectAccount() that matches at most one row.
Result<std::optional<Account>> ReadOneAccount(SqliteStatement& select) {
  TETHER_TRY(row, select.Step());
  if (!*row)
    return std::optional<Account>();
  TETHER_TRY(account, ReadAccount(select));
  return std::optional<Account>(std::move(*account));
}

// One column of sqlite_sequence: the highest audit id ever inserted.
Result<int64_t> HighestAuditIdEver(sqlite3* db) {
  TETHER_TRY(
      statement,
      SqliteStatement::Prepare(
          db, "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'"));
  TETHER_TRY(row, statement->Step());
  return *row ? statement->Int64(0) : 0;
}

// The triggers that make the audit log append-only (sqlite_schema.cc).
Result<int64_t> CountAuditGuards(sqlite3* db) {
  TETHER_TRY(statement, SqliteStatement::Prepare(
                            db,
                            "SELECT count(*) FROM sqlite_schema WHERE type = "
                            "'trigger' AND name IN"
                            " ('audit_log_no_update', 'audit_log_no_delete')"));
  TETHER_RETURN_IF_ERROR(statement->Step());
  return statement->Int64(0);
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::filesystem::path& path,
    const Clock& clock) {
  std::string name = path.string();
  std::filesystem::path directory = path.parent_path();
  if (directory.empty())
    directory = ".";
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    return MakeError("cannot open " + name + ": the directory " +
                     directory.string() + " does not exist");
  }
  TETHER_RETURN_IF_ERROR(CreateOwnerOnlyFile(name));

  TETHER_TRY(opened, OpenSqliteFile(name, SQLITE_OPEN_READWRITE, kBusyTimeout));
  ScopedSqlite db = std::move(*opened);

  TETHER_RETURN_IF_ERROR(CheckSchema(db.get(), name));

  {
    // WAL: readers (the admin CLI) never block the relay's writes.
    TETHER_TRY(mode,
               SqliteStatement::Prepare(db.get(), "PRAGMA journal_mode = WAL"));
    TETHER_TRY(row, mode->Step());
    if (!*row || mode->Text(0) != "wal") {
      return MakeError("cannot open " + name + ": WAL mode refused");
    }
  }
  // FULL: a committed audit row survives power loss, not just a crash.
  // secure_delete: purged events are overwritten, not left in free pages.
  auto configured = SqliteExec(db.get(),
                               "PRAGMA synchronous = FULL;"
                               "PRAGMA foreign_keys = ON;"
                               "PRAGMA secure_delete = ON;");
  if (!configured) {
    return MakeError("cannot open " + name + ": " + configured.error().message);
  }
  TETHER_RETURN_IF_ERROR(MigrateSchema(db.get(), name));

  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(db), std::move(name), clock));
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenReadOnly(
    const std::filesystem::path& path,
    const Clock& clock) {
  std::string name = path.string();
  TETHER_TRY(opened, OpenSqliteFile(name, SQLITE_OPEN_READONLY, kBusyTimeout));
  ScopedSqlite db = std::move(*opened);
  TETHER_RETURN_IF_ERROR(CheckSchemaIsCurrent(db.get(), name));
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(db), std::move(name), clock));
}

int SqliteStore::SchemaVersion() {
  return LatestSchemaVersion();
}

SqliteStore::SqliteStore(ScopedSqlite db, std::string name, const Clock& clock)
    : db_(std::move(db)), name_(std::move(name)), clock_(clock) {}

SqliteStore::~SqliteStore() = default;

Result<Account> SqliteStore::CreateAccount(const Account& account) {
  TETHER_RETURN_IF_ERROR(CheckAccount(account));
  Account stored = account;
  stored.created_at = FromUnixMillis(ToUnixMillis(clock_.WallNow()));
  stored.password_changed_at = stored.created_at;

  std::lock_guard lock(mutex_);
  TETHER_TRY(insert, SqliteStatement::Prepare(db_.get(), InsertAccount()));
  BindAccountFields(*insert, stored);
  insert->Bind(14, ToUnixMillis(stored.created_at));
  auto done = insert->Run();
  if (!done) {
    if (insert->failed_code() == SQLITE_CONSTRAINT_UNIQUE) {
      return MakeError("account '" + account.user_name + "' already exists");
    }
    return Unexpected(std::move(done).error());
  }
  // Read back what was stored, so the caller holds exactly what a later
  // FindAccount returns (times floored to milliseconds).
  TETHER_TRY(created, AccountByIdLocked(sqlite3_last_insert_rowid(db_.get())));
  if (!created->has_value())
    return MakeError("account '" + account.user_name + "' vanished");
  return std::move(**created);
}

Result<std::optional<Account>> SqliteStore::FindAccount(
    std::string_view user_name) {
  std::lock_guard lock(mutex_);
  TETHER_TRY(select, SqliteStatement::Prepare(
                         db_.get(), SelectAccount() + " WHERE user_name = ?1"));
  select->Bind(1, user_name);
  return ReadOneAccount(*select);
}

Result<std::optional<Account>> SqliteStore::AccountByIdLocked(int64_t id) {
  TETHER_TRY(select, SqliteStatement::Prepare(
                         db_.get(), SelectAccount() + " WHERE id = ?1"));
  select->Bind(1, id);
  return ReadOneAccount(*select);
}

Result<Account> SqliteStore::ChangeAccount(int64_t id,
                                           const AccountChange& change) {
  std::lock_guard lock(mutex_);
  // The write lock first, then the read: whatever `change` sees is what
  // every other writer left, and nobody writes in between.
  TETHER_TRY(transaction, SqliteTransaction::BeginImmediate(db_.get()));
  TETHER_TRY(current, AccountByIdLocked(id));
  if (!current->has_value())
    return MakeError("no account with id " + std::to_string(id));
  const Account& before = **current;
  Account after = before;
  if (!change(after))
    return before;  // nothing to write; the transaction rolls back
  after.id = before.id;
  after.created_at = before.created_at;
  TETHER_RETURN_IF_ERROR(CheckAccount(after));

  if (RemovesAnAdmin(before, after)) {
    TETHER_TRY(admins, CountAdminsLocked());
    if (*admins <= 1)
      return LastAdminError(before);
  }
  if (IsNewPassword(before, after)) {
    TETHER_TRY(insert,
               SqliteStatement::Prepare(
                   db_.get(),
                   "INSERT INTO password_history (account_id, phc, added_at_ms)"
                   " VALUES (?1, ?2, ?3)"));
    insert->Bind(1, id)
        .Bind(2, before.password_hash)
        .Bind(3, ToUnixMillis(clock_.WallNow()));
    TETHER_RETURN_IF_ERROR(insert->Run());
  }

  TETHER_TRY(update, SqliteStatement::Prepare(db_.get(), kUpdateAccount));
  BindAccountFields(*update, after);
  update->Bind(14, id);
  if (auto done = update->Run(); !done) {
    if (update->failed_code() == SQLITE_CONSTRAINT_UNIQUE) {
      return MakeError("account '" + after.user_name + "' already exists");
    }
    return Unexpected(std::move(done).error());
  }
  // Read back, so the caller holds exactly what a later FindAccount returns
  // (times floored to milliseconds).
  TETHER_TRY(stored, AccountByIdLocked(id));
  TETHER_RETURN_IF_ERROR(transaction->Commit());
  return std::move(**stored);
}

Result<std::vector<Account>> SqliteStore::ListAccounts() {
  std::lock_guard lock(mutex_);
  TETHER_TRY(select, SqliteStatement::Prepare(
                         db_.get(), SelectAccount() + " ORDER BY id"));
  std::vector<Account> accounts;
  for (;;) {
    TETHER_TRY(row, select->Step());
    if (!*row)
      return accounts;
    TETHER_TRY(account, ReadAccount(*select));
    accounts.push_back(std::move(*account));
  }
}

Result<std::size_t> SqliteStore::CountAdmins() {
  std::lock_guard lock(mutex_);
  return CountAdminsLocked();
}

Result<std::size_t> SqliteStore::CountAdminsLocked() {
  TETHER_TRY(count,
             SqliteStatement::Prepare(db_.get(),
                                      "SELECT count(*) FROM accounts WHERE "
                                      "role = 'admin' AND disabled = 0"));
  TETHER_RETURN_IF_ERROR(count->Step());
  return static_cast<std::size_t>(count->Int64(0));
}

Result<std::vector<std::string>> SqliteStore::PasswordHistory(
    int64_t account_id,
    std::size_t newest_n) {
  std::lock_guard lock(mutex_);
  TETHER_TRY(select,
             SqliteStatement::Prepare(
                 db_.get(),
                 "SELECT phc FROM password_history WHERE account_id = ?1"
                 " ORDER BY id DESC LIMIT ?2"));
  constexpr auto kMax =
      static_cast<std::size_t>(std::numeric_limits<int64_t>::max());
  select->Bind(1, account_id)
      .Bind(2, static_cast<int64_t>(newest_n > kMax ? kMax : newest_n));
  std::vector<std::string> history;
  for (;;) {
    TETHER_TRY(row, select->Step());
    if (!*row)
      return history;
    history.push_back(select->Text(0));
  }
}

Result<void> SqliteStore::AppendRows(std::span<const LogRow> rows) {
  TETHER_RETURN_IF_ERROR(CheckRows(rows));
  std::lock_guard lock(mutex_);
  TETHER_TRY(transaction, SqliteTransaction::BeginImmediate(db_.get()));
  for (const LogRow& row : rows) {
    Result<void> written;
    if (const auto* event = std::get_if<ConnectionEvent>(&row)) {
      written = InsertEventLocked(*event);
    } else {
      auto record = AppendAuditLocked(std::get<AuditEntry>(row));
      if (!record)
        written = Unexpected(std::move(record).error());
    }
    if (!written)
      return written;  // the transaction rolls back
  }
  return transaction->Commit();
}

Result<void> SqliteStore::InsertEventLocked(const ConnectionEvent& event) {
  TETHER_TRY(
      insert,
      SqliteStatement::Prepare(
          db_.get(),
          "INSERT INTO connection_events (started_at_ms, duration_ms, account,"
          " role, source_address, code_hmac, bytes_in, bytes_out, end_reason)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  insert->Bind(1, ToUnixMillis(event.started_at))
      .Bind(2, static_cast<int64_t>(event.duration.count()))
      .Bind(3, event.account)
      .Bind(4, event.role)
      .Bind(5, event.source_address)
      .Bind(6, event.code_hmac)
      .Bind(7, ClampToInt64(event.bytes_in))
      .Bind(8, ClampToInt64(event.bytes_out))
      .Bind(9, event.end_reason);
  return insert->Run();
}

Result<std::size_t> SqliteStore::PurgeEventsBefore(Clock::WallTime cutoff,
                                                   std::string_view actor) {
  std::lock_guard lock(mutex_);
  // One transaction: the events are gone exactly when the audit row saying
  // so exists.
  TETHER_TRY(transaction, SqliteTransaction::BeginImmediate(db_.get()));
  TETHER_TRY(
      purge,
      SqliteStatement::Prepare(
          db_.get(), "DELETE FROM connection_events WHERE started_at_ms < ?1"));
  purge->Bind(1, ToUnixMillis(cutoff));
  TETHER_RETURN_IF_ERROR(purge->Run());
  auto count = static_cast<std::size_t>(sqlite3_changes64(db_.get()));
  TETHER_RETURN_IF_ERROR(
      AppendAuditLocked(PurgeAuditEntry(actor, count, cutoff)));
  TETHER_RETURN_IF_ERROR(transaction->Commit());
  return count;
}

namespace {

// ?1 since, ?2 until, ?3 who, ?4 limit, ?5 offset (RecordQuery).
void BindQuery(SqliteStatement& select, const RecordQuery& query) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  select.Bind(1, query.since ? ToUnixMillis(*query.since) : kMin);
  select.Bind(2, query.until ? ToUnixMillis(*query.until) : kMax);
  select.Bind(3, query.who);
  // SQLite: a negative LIMIT is no limit.
  select.Bind(4,
              query.limit ? static_cast<int64_t>(*query.limit) : int64_t{-1});
  select.Bind(5,
              static_cast<int64_t>(std::min<std::size_t>(query.offset, kMax)));
}

}  // namespace

Result<void> SqliteStore::ExportEvents(const RecordQuery& query,
                                       ExportFormat format,
                                       std::ostream& out) {
  std::lock_guard lock(mutex_);
  TETHER_TRY(
      select,
      SqliteStatement::Prepare(
          db_.get(),
          "SELECT started_at_ms, duration_ms, account, role, source_address,"
          " code_hmac, bytes_in, bytes_out, end_reason FROM connection_events"
          " WHERE started_at_ms >= ?1 AND started_at_ms < ?2"
          " AND (?3 = '' OR account = ?3 COLLATE NOCASE)"
          " ORDER BY started_at_ms, id LIMIT ?4 OFFSET ?5"));
  BindQuery(*select, query);
  RecordWriter writer(
      format, out,
      {"started_at", "duration_ms", "account", "role", "source_address",
       "code_hmac", "bytes_in", "bytes_out", "end_reason"});
  for (;;) {
    TETHER_TRY(row, select->Step());
    if (!*row)
      break;
    writer.Time(FromUnixMillis(select->Int64(0)));
    writer.Number(select->Int64(1));
    writer.Text(select->Text(2));
    writer.Text(select->Text(3));
    writer.Text(select->Text(4));
    writer.Text(select->Text(5));
    writer.Number(select->Int64(6));
    writer.Number(select->Int64(7));
    writer.Text(select->Text(8));
    auto written = writer.EndRecord();
    if (!written)
      return written;
  }
  return writer.Finish();
}

Result<AuditRecord> SqliteStore::AppendAudit(std::string_view actor,
                                             std::string_view action,
                                             std::string_view subject,
                                             std::string_view detail) {
  const LogRow row = AuditEntry{std::string(actor), std::string(action),
                                std::string(subject), std::string(detail)};
  TETHER_RETURN_IF_ERROR(CheckRows({&row, 1}));
  std::lock_guard lock(mutex_);
  TETHER_TRY(transaction, SqliteTransaction::BeginImmediate(db_.get()));
  auto record = AppendAuditLocked(std::get<AuditEntry>(row));
  if (!record)
    return record;
  TETHER_RETURN_IF_ERROR(transaction->Commit());
  return record;
}

Result<AuditRecord> SqliteStore::AppendAuditLocked(const AuditEntry& entry) {
  // The write lock is held (BEGIN IMMEDIATE), so the last row read here is
  // still the last row when ours goes in: the chain can't fork.
  TETHER_TRY(last,
             SqliteStatement::Prepare(
                 db_.get(),
                 "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"));
  TETHER_TRY(row, last->Step());
  std::optional<AuditChainEnd> end;
  if (*row)
    end = AuditChainEnd{last->Int64(0), last->Text(1)};
  TETHER_TRY(record, ChainAuditRow(end, entry, clock_.WallNow()));

  TETHER_TRY(
      insert,
      SqliteStatement::Prepare(
          db_.get(),
          "INSERT INTO audit_log (id, time_ms, actor, action, subject, detail,"
          " prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  insert->Bind(1, record->id)
      .Bind(2, ToUnixMillis(record->time))
      .Bind(3, record->actor)
      .Bind(4, record->action)
      .Bind(5, record->subject)
      .Bind(6, record->detail)
      .Bind(7, record->prev_hash)
      .Bind(8, record->hash);
  TETHER_RETURN_IF_ERROR(insert->Run());
  return std::move(*record);
}

Result<AuditVerification> SqliteStore::VerifyAudit() {
  std::lock_guard lock(mutex_);
  // One snapshot for the rows and the highest id ever used.
  TETHER_RETURN_IF_ERROR(SqliteTransaction::BeginRead(db_.get()));
  TETHER_TRY(
      select,
      SqliteStatement::Prepare(
          db_.get(),
          "SELECT id, time_ms, actor, action, subject, detail, prev_hash, hash"
          " FROM audit_log ORDER BY id"));

  AuditChainWalk walk;
  for (;;) {
    TETHER_TRY(row, select->Step());
    if (!*row)
      break;
    AuditRecord record;
    record.id = select->Int64(0);
    record.time = FromUnixMillis(select->Int64(1));
    record.actor = select->Text(2);
    record.action = select->Text(3);
    record.subject = select->Text(4);
    record.detail = select->Text(5);
    record.prev_hash = select->Text(6);
    record.hash = select->Text(7);
    if (!walk.Next(record))
      break;
  }
  TETHER_TRY(highest, HighestAuditIdEver(db_.get()));
  TETHER_TRY(guards, CountAuditGuards(db_.get()));
  return walk.Finish(*highest, *guards == 2 ? "" : kAuditGuardMissing);
}

Result<void> SqliteStore::ExportAudit(const RecordQuery& query,
                                      ExportFormat format,
                                      std::ostream& out) {
  std::lock_guard lock(mutex_);
  TETHER_TRY(
      select,
      SqliteStatement::Prepare(
          db_.get(),
          "SELECT id, time_ms, actor, action, subject, detail, prev_hash, hash"
          " FROM audit_log WHERE time_ms >= ?1 AND time_ms < ?2"
          " AND (?3 = '' OR actor = ?3 COLLATE NOCASE)"
          " AND (?6 = '' OR substr(action, 1, length(?6)) = ?6)"
          " ORDER BY id LIMIT ?4 OFFSET ?5"));
  BindQuery(*select, query);
  select->Bind(6, query.action_prefix);
  RecordWriter writer(format, out,
                      {"id", "time", "actor", "action", "subject", "detail",
                       "prev_hash", "hash"});
  for (;;) {
    TETHER_TRY(row, select->Step());
    if (!*row)
      break;
    writer.Number(select->Int64(0));
    writer.Time(FromUnixMillis(select->Int64(1)));
    for (int column = 2; column <= 7; ++column) {
      writer.Text(select->Text(column));
    }
    auto written = writer.EndRecord();
    if (!written)
      return written;
  }
  return writer.Finish();
}

Result<void> SqliteStore::Checkpoint() {
  std::lock_guard lock(mutex_);
  // TRUNCATE also empties the -wal file, so a copy of the database file
  // alone is complete after a clean shutdown.
  if (sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                nullptr, nullptr) != SQLITE_OK) {
    return Unexpected(SqliteError(db_.get(), "checkpoint of " + name_));
  }
  return {};
}

Result<std::string> SqliteStore::IntegrityCheck() {
  std::lock_guard lock(mutex_);
  TETHER_TRY(check,
             SqliteStatement::Prepare(db_.get(), "PRAGMA integrity_check"));
  std::string result;
  for (;;) {
    TETHER_TRY(row, check->Step());
    if (!*row)
      return result;
    if (!result.empty())
      result.push_back('\n');
    result += check->Text(0);
  }
}

}  // namespace tether::relay
