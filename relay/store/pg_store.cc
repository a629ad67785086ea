#include "relay/store/pg_store.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <variant>

#include "base/log.h"
#include "base/utf8.h"
#include "relay/store/account_columns.h"
#include "relay/store/pg_schema.h"
#include "relay/store/record_writer.h"
#include "relay/store/store_checks.h"
#include "relay/store/unix_millis.h"

namespace tether::relay {

namespace {

// Every SELECT that reads an Account (columns: account_columns.h).
std::string SelectAccount() {
  return "SELECT " + std::string(kAccountColumns) + " FROM accounts";
}

// INSERT and UPDATE bind the same $1..$13; $14 is created_at_ms for INSERT
// and the id for UPDATE.
std::string InsertAccount() {
  return "INSERT INTO accounts (" + std::string(kAccountWrittenColumns) +
         ", created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
         "$11, $12, $13, $14)"
         " RETURNING id";
}

constexpr std::string_view kUpdateAccount =
    "UPDATE accounts SET user_name = $1, display_name = $2, role = $3,"
    " password_hash = $4, must_change_password = $5, disabled = $6,"
    " failed_logins = $7, locked_until_ms = $8, locked = $9,"
    " totp_secret = $10, totp_last_step = $11, password_changed_at_ms = $12,"
    " last_login_at_ms = $13 WHERE id = $14";

// SQLite's NOCASE: ASCII letters only, whatever the database's locale.
std::string Folded(std::string_view expression) {
  return "translate(" + std::string(expression) +
         ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";
}

// The SQLSTATE of a unique key already taken.
constexpr std::string_view kUniqueViolation = "23505";

// PostgreSQL text is UTF-8 without NUL (libpq would cut a parameter at
// the NUL). What a peer sent is stored like the session log stores it:
// each invalid byte, and each NUL, as U+FFFD. Audit hashes are computed
// over what is stored, so the chain verifies.
std::string PgText(std::string_view text) {
  std::string valid = ToValidUtf8(text);
  if (valid.find('\0') == std::string::npos)
    return valid;
  std::string out;
  for (char c : valid) {
    if (c == '\0') {
      out += "\xef\xbf\xbd";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<PgParam> AccountParams(const Account& account) {
  return {
      PgText(account.user_name),
      PgText(account.display_name),
      std::string(ToString(account.role)),
      PgText(account.password_hash),
      PgBool(account.must_change_password),
      PgBool(account.disabled),
      PgInt(account.failed_logins),
      PgInt(ToUnixMillis(account.locked_until)),
      PgBool(account.locked),
      account.totp_secret ? PgParam(PgBytea(*account.totp_secret))
                          : std::nullopt,
      PgInt(account.totp_last_step),
      PgInt(ToUnixMillis(account.password_changed_at)),
      PgInt(ToUnixMillis(account.last_login_at)),
  };
}

Result<Account> ReadAccount(const PgRows& rows, int row) {
  Account account;
  account.id = rows.Int64(row, 0);
  account.user_name = rows.Text(row, 1);
  account.display_name = rows.Text(row, 2);
  TETHER_TRY(role, ParseAccountRole(rows.Text(row, 3)));
  account.role = *role;
  account.password_hash = rows.Text(row, 4);
  account.must_change_password = rows.Bool(row, 5);
  account.disabled = rows.Bool(row, 6);
  account.failed_logins = static_cast<uint32_t>(rows.Int64(row, 7));
  account.locked_until = FromUnixMillis(rows.OptionalInt64(row, 8));
  account.locked = rows.Bool(row, 9);
  if (!rows.IsNull(row, 10)) {
    // An unreadable secret is an error, never an empty one written back.
    auto secret = rows.Bytea(row, 10);
    if (!secret) {
      return MakeError("account '" + account.user_name +
                       "' has an unreadable TOTP secret");
    }
    account.totp_secret = std::move(*secret);
  }
  account.totp_last_step = rows.OptionalInt64(row, 11);
  account.created_at = FromUnixMillis(rows.Int64(row, 12));
  account.password_changed_at = FromUnixMillis(rows.Int64(row, 13));
  account.last_login_at = FromUnixMillis(rows.OptionalInt64(row, 14));
  return account;
}

Result<std::optional<Account>> ReadOneAccount(const PgRows& rows) {
  if (rows.size() == 0)
    return std::optional<Account>();
  TETHER_TRY(account, ReadAccount(rows, 0));
  return std::optional<Account>(std::move(*account));
}

// $1 since, $2 until, $3 who, $4 limit (NULL: all), $5 offset.
std::vector<PgParam> QueryParams(const RecordQuery& query) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  return {
      PgInt(query.since ? ToUnixMillis(*query.since) : kMin),
      PgInt(query.until ? ToUnixMillis(*query.until) : kMax),
      PgText(query.who),
      query.limit ? PgParam(PgInt(static_cast<int64_t>(std::min<std::size_t>(
                        *query.limit, static_cast<std::size_t>(kMax)))))
                  : std::nullopt,
      PgInt(static_cast<int64_t>(
          std::min<std::size_t>(query.offset, static_cast<std::size_t>(kMax)))),
  };
}

// Rows of a long query come through a cursor, a batch at a time, so an
// export or a verification of millions of rows holds one batch in memory.
constexpr int kCursorBatch = 1000;

template <typename OnRow>
Result<void> StreamRows(PgConnection& connection,
                        std::string_view select,
                        const std::vector<PgParam>& params,
                        OnRow on_row) {
  TETHER_RETURN_IF_ERROR(connection.Exec(
      "DECLARE tether_rows NO SCROLL CURSOR FOR " + std::string(select),
      params));
  for (;;) {
    TETHER_TRY(batch, connection.Exec("FETCH " + std::to_string(kCursorBatch) +
                                      " FROM tether_rows"));
    for (int row = 0; row < batch->size(); ++row) {
      Result<bool> more = on_row(*batch, row);
      if (!more)
        return Unexpected(std::move(more).error());
      if (!*more)
        return connection.Exec("CLOSE tether_rows").has_value()
                   ? Result<void>()
                   : MakeTemporaryError("closing a cursor failed");
    }
    if (batch->size() < kCursorBatch)
      break;
  }
  TETHER_RETURN_IF_ERROR(connection.Exec("CLOSE tether_rows"));
  return {};
}

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::Open(const PgSettings& settings,
                                               const Clock& clock,
                                               std::size_t connections) {
  TETHER_TRY(connection, PgConnection::Connect(settings));
  auto encoding = (*connection)->Exec("SHOW server_encoding");
  if (!encoding)
    return Unexpected(std::move(encoding).error());
  if (encoding->Text(0, 0) != "UTF8") {
    return MakeError("the PostgreSQL database " + (*connection)->name() +
                     " has encoding " + encoding->Text(0, 0) +
                     ": create it with ENCODING 'UTF8'");
  }
  TETHER_RETURN_IF_ERROR(MigratePgSchema(**connection));
  return std::unique_ptr<PgStore>(
      new PgStore(settings, clock, std::max<std::size_t>(connections, 1),
                  std::move(*connection)));
}

Result<std::unique_ptr<PgStore>> PgStore::OpenReadOnly(
    const PgSettings& settings,
    const Clock& clock) {
  TETHER_TRY(connection, PgConnection::Connect(settings));
  TETHER_RETURN_IF_ERROR(CheckPgSchemaIsCurrent(**connection));
  return std::unique_ptr<PgStore>(
      new PgStore(settings, clock, 1, std::move(*connection)));
}

int PgStore::SchemaVersion() {
  return LatestPgSchemaVersion();
}

PgStore::PgStore(PgSettings settings,
                 const Clock& clock,
                 std::size_t connections,
                 std::unique_ptr<PgConnection> first)
    : settings_(std::move(settings)),
      clock_(clock),
      max_connections_(connections) {
  idle_.push_back(std::move(first));
  open_ = 1;
}

PgStore::~PgStore() = default;

Result<std::unique_ptr<PgConnection>> PgStore::Acquire(bool& reused) {
  std::unique_lock lock(mutex_);
  const bool got = released_.wait_for(lock, kPoolWait, [this] {
    return !idle_.empty() || open_ < max_connections_;
  });
  if (!got) {
    return MakeTemporaryError(
        "PostgreSQL is busy: no connection was free for " +
        std::to_string(kPoolWait.count()) + " s");
  }
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    reused = true;
    return connection;
  }
  const auto now = std::chrono::steady_clock::now();
  if (down_until_ && now < *down_until_)
    return MakeTemporaryError(down_reason_);
  ++open_;
  lock.unlock();

  reused = false;
  auto connection = PgConnection::Connect(settings_);
  lock.lock();
  if (!connection) {
    --open_;
    const bool was_up = !down_until_;
    down_until_ = std::chrono::steady_clock::now() + kRetryAfter;
    down_reason_ = "PostgreSQL is unavailable: " + connection.error().message;
    if (was_up)
      log::Error("{}", down_reason_);
    released_.notify_one();
    return connection;
  }
  if (down_until_) {
    log::Info("PostgreSQL is reachable again ({})", (*connection)->name());
    down_until_.reset();
  }
  return connection;
}

void PgStore::Release(std::unique_ptr<PgConnection> connection) {
  std::lock_guard lock(mutex_);
  if (connection->healthy()) {
    idle_.push_back(std::move(connection));
  } else {
    // One broken: the server went away, and the idle ones with it.
    open_ -= 1 + idle_.size();
    idle_.clear();
  }
  released_.notify_all();
}

Result<void> PgStore::Run(const Work& work) {
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    TETHER_TRY(connection, Acquire(reused));
    const uint64_t before = (*connection)->statements();
    Result<void> done = work(**connection);
    const bool broke = !(*connection)->healthy();
    const bool first_failed = (*connection)->statements() - before <= 1;
    Release(std::move(*connection));
    // A pooled connection the server dropped while it was idle (a restart,
    // a failover) fails its first statement: once more on a new one. Never
    // after that: rows may be out (an export) or a COMMIT sent.
    if (!done && broke && reused && first_failed && attempt == 0)
      continue;
    return done;
  }
}

Result<Account> PgStore::CreateAccount(const Account& account) {
  TETHER_RETURN_IF_ERROR(CheckAccount(account));
  Account stored = account;
  stored.created_at = FromUnixMillis(ToUnixMillis(clock_.WallNow()));
  stored.password_changed_at = stored.created_at;
  Account created;
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(transaction, PgTransaction::Begin(connection));
    std::vector<PgParam> params = AccountParams(stored);
    params.push_back(PgInt(ToUnixMillis(stored.created_at)));
    auto inserted = connection.Exec(InsertAccount(), params);
    if (!inserted) {
      if (connection.last_sqlstate() == kUniqueViolation) {
        return MakeError("account '" + account.user_name + "' already exists");
      }
      return Unexpected(std::move(inserted).error());
    }
    // Read back, so the caller holds exactly what a later FindAccount
    // returns (times floored to milliseconds).
    TETHER_TRY(read, AccountById(connection, inserted->Int64(0, 0), false));
    if (!read->has_value())
      return MakeError("account '" + account.user_name + "' vanished");
    created = std::move(**read);
    return transaction->Commit();
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return created;
}

Result<std::optional<Account>> PgStore::FindAccount(
    std::string_view user_name) {
  std::optional<Account> found;
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(rows, connection.Exec(
                         SelectAccount() + " WHERE user_key = " + Folded("$1"),
                         {PgText(user_name)}));
    TETHER_TRY(account, ReadOneAccount(*rows));
    found = std::move(*account);
    return {};
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return found;
}

Result<std::optional<Account>> PgStore::AccountById(PgConnection& connection,
                                                    int64_t id,
                                                    bool for_update) {
  TETHER_TRY(rows, connection.Exec(SelectAccount() + " WHERE id = $1" +
                                       (for_update ? " FOR UPDATE" : ""),
                                   {PgInt(id)}));
  return ReadOneAccount(*rows);
}

Result<Account> PgStore::ChangeAccount(int64_t id,
                                       const AccountChange& change) {
  Account result;
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(transaction, PgTransaction::Begin(connection));
    // The row stays locked until COMMIT: changes of one account, from any
    // relay or the CLI, take turns.
    TETHER_TRY(current, AccountById(connection, id, true));
    if (!current->has_value())
      return MakeError("no account with id " + std::to_string(id));
    const Account& before = **current;
    Account after = before;
    if (!change(after)) {
      result = before;
      return {};  // nothing to write; the transaction rolls back
    }
    after.id = before.id;
    after.created_at = before.created_at;
    TETHER_RETURN_IF_ERROR(CheckAccount(after));
    if (RemovesAnAdmin(before, after)) {
      // Changes that take an admin away take turns across every relay, and
      // count after the previous one committed: two admins disabling each
      // other at once cannot both succeed. Sign-ins never wait for this.
      TETHER_RETURN_IF_ERROR(connection.Exec("SELECT pg_advisory_xact_lock($1)",
                                             {PgInt(kPgAccountsLock)}));
      TETHER_TRY(admins, CountAdminsOn(connection));
      if (*admins <= 1)
        return LastAdminError(before);
    }
    if (IsNewPassword(before, after)) {
      TETHER_RETURN_IF_ERROR(connection.Exec(
          "INSERT INTO password_history (account_id, phc, added_at_ms)"
          " VALUES ($1, $2, $3)",
          {PgInt(id), PgText(before.password_hash),
           PgInt(ToUnixMillis(clock_.WallNow()))}));
    }
    std::vector<PgParam> params = AccountParams(after);
    params.push_back(PgInt(id));
    if (auto updated = connection.Exec(kUpdateAccount, params); !updated) {
      if (connection.last_sqlstate() == kUniqueViolation) {
        return MakeError("account '" + after.user_name + "' already exists");
      }
      return Unexpected(std::move(updated).error());
    }
    TETHER_TRY(stored, AccountById(connection, id, false));
    result = std::move(**stored);
    return transaction->Commit();
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return result;
}

Result<std::vector<Account>> PgStore::ListAccounts() {
  std::vector<Account> accounts;
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    accounts.clear();
    TETHER_TRY(rows, connection.Exec(SelectAccount() + " ORDER BY id"));
    for (int row = 0; row < rows->size(); ++row) {
      TETHER_TRY(account, ReadAccount(*rows, row));
      accounts.push_back(std::move(*account));
    }
    return {};
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return accounts;
}

Result<std::size_t> PgStore::CountAdmins() {
  std::size_t count = 0;
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(admins, CountAdminsOn(connection));
    count = *admins;
    return {};
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return count;
}

Result<std::size_t> PgStore::CountAdminsOn(PgConnection& connection) {
  TETHER_TRY(count, connection.Exec("SELECT count(*) FROM accounts WHERE"
                                    " role = 'admin' AND NOT disabled"));
  return static_cast<std::size_t>(count->Int64(0, 0));
}

Result<std::vector<std::string>> PgStore::PasswordHistory(
    int64_t account_id,
    std::size_t newest_n) {
  std::vector<std::string> history;
  constexpr auto kMax =
      static_cast<std::size_t>(std::numeric_limits<int64_t>::max());
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    history.clear();
    TETHER_TRY(rows,
               connection.Exec(
                   "SELECT phc FROM password_history WHERE account_id ="
                   " $1 ORDER BY id DESC LIMIT $2",
                   {PgInt(account_id),
                    PgInt(static_cast<int64_t>(std::min(newest_n, kMax)))}));
    for (int row = 0; row < rows->size(); ++row)
      history.push_back(rows->Text(row, 0));
    return {};
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return history;
}

namespace {

// The audit chain's end, its row locked until the transaction ends: every
// other relay's append waits here, then chains onto this one's rows.
Result<std::optional<AuditChainEnd>> LockChainHead(PgConnection& connection) {
  TETHER_TRY(rows, connection.Exec("SELECT last_id, last_hash FROM audit_head"
                                   " FOR UPDATE"));
  if (rows->size() != 1) {
    return MakeError(
        "the audit log's head row is missing; run 'tether-relay audit "
        "verify'");
  }
  if (rows->Int64(0, 0) == 0)
    return std::optional<AuditChainEnd>();  // an empty log
  return std::optional<AuditChainEnd>(
      AuditChainEnd{rows->Int64(0, 0), rows->Text(0, 1)});
}

// Rows per INSERT: a round trip per statement is what costs, and
// PostgreSQL takes at most 65,535 parameters in one.
constexpr std::size_t kRowsPerInsert = 500;

// One INSERT of `rows` (at most kRowsPerInsert) into `table`'s `columns`,
// `params` holding each row's `width` values in order.
Result<void> InsertMany(PgConnection& connection,
                        std::string_view table_and_columns,
                        std::size_t width,
                        const std::vector<PgParam>& params) {
  std::string sql =
      "INSERT INTO " + std::string(table_and_columns) + " VALUES ";
  for (std::size_t row = 0; row * width < params.size(); ++row) {
    sql += row == 0 ? "(" : ", (";
    for (std::size_t column = 0; column < width; ++column) {
      if (column > 0)
        sql += ", ";
      sql += "$" + std::to_string(row * width + column + 1);
    }
    sql += ")";
  }
  TETHER_RETURN_IF_ERROR(connection.Exec(sql, params));
  return {};
}

}  // namespace

Result<std::optional<AuditRecord>> PgStore::WriteRows(
    PgConnection& connection,
    std::span<const LogRow> rows,
    std::span<const int64_t> numbers,
    int64_t written) {
  std::vector<PgParam> events;
  std::vector<PgParam> audit;
  std::optional<AuditChainEnd> head;
  bool head_locked = false;
  std::optional<AuditRecord> last;
  const auto flush_events = [&]() -> Result<void> {
    if (events.empty())
      return {};
    TETHER_RETURN_IF_ERROR(InsertMany(
        connection,
        "connection_events (started_at_ms, duration_ms, account, role,"
        " source_address, code_hmac, bytes_in, bytes_out, end_reason)",
        9, events));
    events.clear();
    return {};
  };
  const auto flush_audit = [&]() -> Result<void> {
    if (audit.empty())
      return {};
    TETHER_RETURN_IF_ERROR(InsertMany(
        connection,
        "audit_log (id, time_ms, actor, action, subject, detail, prev_hash,"
        " hash)",
        8, audit));
    audit.clear();
    return {};
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!numbers.empty() && numbers[i] <= written)
      continue;  // a spooled row PostgreSQL has already
    if (const auto* event = std::get_if<ConnectionEvent>(&rows[i])) {
      events.insert(
          events.end(),
          {PgInt(ToUnixMillis(event->started_at)),
           PgInt(static_cast<int64_t>(event->duration.count())),
           PgText(event->account), PgText(event->role),
           PgText(event->source_address), PgText(event->code_hmac),
           PgInt(ClampToInt64(event->bytes_in)),
           PgInt(ClampToInt64(event->bytes_out)), PgText(event->end_reason)});
      if (events.size() == 9 * kRowsPerInsert)
        TETHER_RETURN_IF_ERROR(flush_events());
      continue;
    }
    if (!head_locked) {
      TETHER_TRY(locked, LockChainHead(connection));
      head = std::move(*locked);
      head_locked = true;
    }
    const auto& entry = std::get<AuditEntry>(rows[i]);
    // Hashed over what PostgreSQL will hold (PgText), so it verifies.
    const AuditEntry stored{PgText(entry.actor), PgText(entry.action),
                            PgText(entry.subject), PgText(entry.detail),
                            entry.time};
    TETHER_TRY(record, ChainAuditRow(head, stored, clock_.WallNow()));
    audit.insert(audit.end(),
                 {PgInt(record->id), PgInt(ToUnixMillis(record->time)),
                  record->actor, record->action, record->subject,
                  record->detail, record->prev_hash, record->hash});
    head = AuditChainEnd{record->id, record->hash};
    last = std::move(*record);
    if (audit.size() == 8 * kRowsPerInsert)
      TETHER_RETURN_IF_ERROR(flush_audit());
  }
  TETHER_RETURN_IF_ERROR(flush_events());
  TETHER_RETURN_IF_ERROR(flush_audit());
  if (last) {
    TETHER_RETURN_IF_ERROR(
        connection.Exec("UPDATE audit_head SET last_id = $1, last_hash = $2",
                        {PgInt(head->id), head->hash}));
  }
  return last;
}

Result<void> PgStore::AppendRows(std::span<const LogRow> rows) {
  TETHER_RETURN_IF_ERROR(CheckRows(rows));
  return Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(transaction, PgTransaction::Begin(connection));
    TETHER_RETURN_IF_ERROR(WriteRows(connection, rows, {}, 0));
    return transaction->Commit();
  });
}

Result<void> PgStore::AppendSpooledRows(std::string_view spool_id,
                                        std::span<const int64_t> numbers,
                                        std::span<const LogRow> rows) {
  if (numbers.size() != rows.size() || rows.empty())
    return MakeError("a spooled batch needs one number per row");
  for (std::size_t i = 1; i < numbers.size(); ++i) {
    if (numbers[i] <= numbers[i - 1])
      return MakeError("a spooled batch's numbers must increase");
  }
  TETHER_RETURN_IF_ERROR(CheckRows(rows));
  return Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(transaction, PgTransaction::Begin(connection));
    // Locked: two processes draining one spool take turns.
    TETHER_RETURN_IF_ERROR(connection.Exec(
        "INSERT INTO applied_spools (spool_id, last_number) VALUES ($1, 0)"
        " ON CONFLICT (spool_id) DO NOTHING",
        {std::string(spool_id)}));
    TETHER_TRY(applied,
               connection.Exec("SELECT last_number FROM applied_spools WHERE"
                               " spool_id = $1 FOR UPDATE",
                               {std::string(spool_id)}));
    const int64_t written = applied->Int64(0, 0);
    TETHER_RETURN_IF_ERROR(WriteRows(connection, rows, numbers, written));
    if (numbers.back() > written) {
      TETHER_RETURN_IF_ERROR(connection.Exec(
          "UPDATE applied_spools SET last_number = $2 WHERE spool_id = $1",
          {std::string(spool_id), PgInt(numbers.back())}));
    }
    return transaction->Commit();
  });
}

Result<std::size_t> PgStore::PurgeEventsBefore(Clock::WallTime cutoff,
                                               std::string_view actor) {
  std::size_t count = 0;
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(transaction, PgTransaction::Begin(connection));
    TETHER_TRY(deleted,
               connection.Exec(
                   "DELETE FROM connection_events WHERE started_at_ms < $1",
                   {PgInt(ToUnixMillis(cutoff))}));
    count = static_cast<std::size_t>(deleted->Affected());
    const LogRow row = PurgeAuditEntry(actor, count, cutoff);
    TETHER_RETURN_IF_ERROR(WriteRows(connection, {&row, 1}, {}, 0));
    return transaction->Commit();
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return count;
}

Result<void> PgStore::ExportEvents(const RecordQuery& query,
                                   ExportFormat format,
                                   std::ostream& out) {
  return Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(transaction, PgTransaction::Begin(connection, "READ ONLY"));
    RecordWriter writer(
        format, out,
        {"started_at", "duration_ms", "account", "role", "source_address",
         "code_hmac", "bytes_in", "bytes_out", "end_reason"});
    auto write_row = [&](const PgRows& rows, int row) -> Result<bool> {
      writer.Time(FromUnixMillis(rows.Int64(row, 0)));
      writer.Number(rows.Int64(row, 1));
      for (int column = 2; column <= 5; ++column)
        writer.Text(rows.Text(row, column));
      writer.Number(rows.Int64(row, 6));
      writer.Number(rows.Int64(row, 7));
      writer.Text(rows.Text(row, 8));
      TETHER_RETURN_IF_ERROR(writer.EndRecord());
      return true;
    };
    TETHER_RETURN_IF_ERROR(StreamRows(
        connection,
        "SELECT started_at_ms, duration_ms, account, role, source_address,"
        " code_hmac, bytes_in, bytes_out, end_reason FROM connection_events"
        " WHERE started_at_ms >= $1 AND started_at_ms < $2"
        " AND ($3 = '' OR " +
            Folded("account") + " = " + Folded("$3") +
            ") ORDER BY started_at_ms, id LIMIT $4 OFFSET $5",
        QueryParams(query), write_row));
    TETHER_RETURN_IF_ERROR(transaction->Commit());
    return writer.Finish();
  });
}

Result<AuditRecord> PgStore::AppendAudit(std::string_view actor,
                                         std::string_view action,
                                         std::string_view subject,
                                         std::string_view detail) {
  const LogRow row = AuditEntry{std::string(actor), std::string(action),
                                std::string(subject), std::string(detail)};
  TETHER_RETURN_IF_ERROR(CheckRows({&row, 1}));
  AuditRecord appended;
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(transaction, PgTransaction::Begin(connection));
    TETHER_TRY(record, WriteRows(connection, {&row, 1}, {}, 0));
    TETHER_RETURN_IF_ERROR(transaction->Commit());
    appended = std::move(**record);
    return {};
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return appended;
}

Result<AuditVerification> PgStore::VerifyAudit() {
  AuditVerification verification;
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    // One snapshot for the rows, the head and the guards.
    TETHER_TRY(transaction,
               PgTransaction::Begin(
                   connection, "ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    AuditChainWalk walk;
    TETHER_RETURN_IF_ERROR(StreamRows(
        connection,
        "SELECT id, time_ms, actor, action, subject, detail, prev_hash, hash"
        " FROM audit_log ORDER BY id",
        {}, [&](const PgRows& rows, int row) -> Result<bool> {
          AuditRecord record;
          record.id = rows.Int64(row, 0);
          record.time = FromUnixMillis(rows.Int64(row, 1));
          record.actor = rows.Text(row, 2);
          record.action = rows.Text(row, 3);
          record.subject = rows.Text(row, 4);
          record.detail = rows.Text(row, 5);
          record.prev_hash = rows.Text(row, 6);
          record.hash = rows.Text(row, 7);
          return walk.Next(record);
        }));
    TETHER_TRY(head, connection.Exec("SELECT last_id FROM audit_head"));
    // Both triggers, enabled (ALTER TABLE ... DISABLE TRIGGER would leave
    // them in pg_trigger with tgenabled 'D').
    TETHER_TRY(guards, connection.Exec(
                           "SELECT count(*) FROM pg_trigger WHERE tgrelid ="
                           " 'audit_log'::regclass AND tgname IN"
                           " ('audit_log_no_change', 'audit_log_no_truncate')"
                           " AND tgenabled <> 'D'"));
    TETHER_RETURN_IF_ERROR(transaction->Commit());
    const int64_t highest = head->size() == 1 ? head->Int64(0, 0) : 0;
    verification = walk.Finish(
        highest, head->size() != 1 ? "the audit log's head row is missing"
                 : guards->Int64(0, 0) != 2 ? kAuditGuardMissing
                                            : "");
    return {};
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return verification;
}

Result<void> PgStore::ExportAudit(const RecordQuery& query,
                                  ExportFormat format,
                                  std::ostream& out) {
  return Run([&](PgConnection& connection) -> Result<void> {
    TETHER_TRY(transaction, PgTransaction::Begin(connection, "READ ONLY"));
    RecordWriter writer(format, out,
                        {"id", "time", "actor", "action", "subject", "detail",
                         "prev_hash", "hash"});
    std::vector<PgParam> params = QueryParams(query);
    params.push_back(PgText(query.action_prefix));
    auto write_row = [&](const PgRows& rows, int row) -> Result<bool> {
      writer.Number(rows.Int64(row, 0));
      writer.Time(FromUnixMillis(rows.Int64(row, 1)));
      for (int column = 2; column <= 7; ++column)
        writer.Text(rows.Text(row, column));
      TETHER_RETURN_IF_ERROR(writer.EndRecord());
      return true;
    };
    TETHER_RETURN_IF_ERROR(StreamRows(
        connection,
        "SELECT id, time_ms, actor, action, subject, detail, prev_hash, hash"
        " FROM audit_log WHERE time_ms >= $1 AND time_ms < $2"
        " AND ($3 = '' OR " +
            Folded("actor") + " = " + Folded("$3") +
            ") AND ($6 = '' OR left(action, length($6)) = $6)"
            " ORDER BY id LIMIT $4 OFFSET $5",
        params, write_row));
    TETHER_RETURN_IF_ERROR(transaction->Commit());
    return writer.Finish();
  });
}

Result<void> PgStore::Checkpoint() {
  return {};
}

Result<std::string> PgStore::IntegrityCheck() {
  std::string result = "ok";
  Result<void> ran = Run([&](PgConnection& connection) -> Result<void> {
    if (auto current = CheckPgSchemaIsCurrent(connection); !current)
      result = current.error().message;
    return {};
  });
  if (!ran)
    return Unexpected(std::move(ran).error());
  return result;
}

}  // namespace tether::relay
