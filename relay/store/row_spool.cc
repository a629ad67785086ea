#include "relay/store/row_spool.h"

#include <sqlite3.h>

#include <utility>
#include <variant>

#include "base/bytes.h"
#include "crypto/random.h"
#include "relay/store/sqlite_statement.h"
#include "relay/store/unix_millis.h"

namespace tether::relay {

namespace {

// "TSPL": not a Tether store (sqlite_schema.h's id), so neither opens the
// other's file.
constexpr int64_t kSpoolApplicationId = 0x5453504c;
constexpr int64_t kSpoolVersion = 1;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS spool_meta (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  spool_id TEXT NOT NULL
) STRICT;
-- One row per spooled row, in order. An event fills the event columns, an
-- audit row actor..detail; time_ms is the event's start or the audit time.
CREATE TABLE IF NOT EXISTS spooled_rows (
  number INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('event', 'audit')),
  time_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  account TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT '',
  source_address TEXT NOT NULL DEFAULT '',
  code_hmac TEXT NOT NULL DEFAULT '',
  bytes_in INTEGER NOT NULL DEFAULT 0,
  bytes_out INTEGER NOT NULL DEFAULT 0,
  end_reason TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
) STRICT;
)sql";

Result<int64_t> ReadInteger(sqlite3* db, std::string_view sql) {
  TETHER_TRY(statement, SqliteStatement::Prepare(db, sql));
  TETHER_TRY(row, statement->Step());
  return *row ? statement->Int64(0) : 0;
}

// Makes the schema and the spool's id, or checks a file made before.
Result<std::string> Prepare(sqlite3* db, const std::string& name) {
  TETHER_TRY(transaction, SqliteTransaction::BeginImmediate(db));
  TETHER_TRY(application, ReadInteger(db, "PRAGMA application_id"));
  TETHER_TRY(version, ReadInteger(db, "PRAGMA user_version"));
  if (*application == 0) {
    TETHER_TRY(objects, ReadInteger(db, "SELECT count(*) FROM sqlite_schema"));
    if (*objects != 0)
      return MakeError(name + " is not a Tether spool: it holds other tables");
    TETHER_RETURN_IF_ERROR(SqliteExec(db, kSchema));
    TETHER_RETURN_IF_ERROR(SqliteExec(
        db, "PRAGMA application_id = " + std::to_string(kSpoolApplicationId) +
                ";\nPRAGMA user_version = " + std::to_string(kSpoolVersion) +
                ";"));
    Bytes random(16);
    TETHER_RETURN_IF_ERROR(crypto::RandomGenerator::Default().Fill(random));
    TETHER_TRY(
        insert,
        SqliteStatement::Prepare(
            db, "INSERT INTO spool_meta (one, spool_id) VALUES (1, ?1)"));
    insert->Bind(1, ToHex(random));
    TETHER_RETURN_IF_ERROR(insert->Run());
  } else if (*application != kSpoolApplicationId) {
    return MakeError(name + " is not a Tether spool");
  } else if (*version != kSpoolVersion) {
    return MakeError(name + " is a spool of another tether-relay version (" +
                     std::to_string(*version) + ")");
  }
  TETHER_TRY(select, SqliteStatement::Prepare(
                         db, "SELECT spool_id FROM spool_meta WHERE one = 1"));
  TETHER_TRY(row, select->Step());
  if (!*row)
    return MakeError(name + " is a damaged spool: it has no id");
  std::string id = select->Text(0);
  TETHER_RETURN_IF_ERROR(transaction->Commit());
  return id;
}

}  // namespace

Result<std::unique_ptr<RowSpool>> RowSpool::Open(
    const std::filesystem::path& path,
    const Clock& clock,
    std::size_t max_rows) {
  const std::string name = path.string();
  TETHER_RETURN_IF_ERROR(CreateOwnerOnlyFile(name));
  TETHER_TRY(
      db, OpenSqliteFile(name, SQLITE_OPEN_READWRITE, std::chrono::seconds(5)));
  // Each append is committed to disk before the relay counts it written:
  // the point of the spool is to survive a crash.
  TETHER_RETURN_IF_ERROR(SqliteExec(db->get(),
                                    "PRAGMA journal_mode = WAL;"
                                    "PRAGMA synchronous = FULL;"));
  TETHER_TRY(id, Prepare(db->get(), name));
  return std::unique_ptr<RowSpool>(
      new RowSpool(std::move(*db), std::move(*id), clock, max_rows));
}

RowSpool::RowSpool(ScopedSqlite db,
                   std::string id,
                   const Clock& clock,
                   std::size_t max_rows)
    : db_(std::move(db)),
      id_(std::move(id)),
      clock_(clock),
      max_rows_(max_rows) {}

RowSpool::~RowSpool() = default;

Result<void> RowSpool::Append(std::span<const LogRow> rows) {
  std::lock_guard lock(mutex_);
  TETHER_TRY(transaction, SqliteTransaction::BeginImmediate(db_.get()));
  TETHER_TRY(count,
             ReadInteger(db_.get(), "SELECT count(*) FROM spooled_rows"));
  if (static_cast<std::size_t>(*count) + rows.size() > max_rows_) {
    return MakeError("the spool is full (" + std::to_string(max_rows_) +
                     " rows wait for PostgreSQL)");
  }
  const int64_t now = ToUnixMillis(clock_.WallNow());
  for (const LogRow& row : rows) {
    if (const auto* event = std::get_if<ConnectionEvent>(&row)) {
      TETHER_TRY(insert,
                 SqliteStatement::Prepare(
                     db_.get(),
                     "INSERT INTO spooled_rows (kind, time_ms, duration_ms,"
                     " account, role, source_address, code_hmac, bytes_in,"
                     " bytes_out, end_reason) VALUES ('event', ?1, ?2, ?3,"
                     " ?4, ?5, ?6, ?7, ?8, ?9)"));
      insert->Bind(1, ToUnixMillis(event->started_at))
          .Bind(2, static_cast<int64_t>(event->duration.count()))
          .Bind(3, event->account)
          .Bind(4, event->role)
          .Bind(5, event->source_address)
          .Bind(6, event->code_hmac)
          .Bind(7, ClampToInt64(event->bytes_in))
          .Bind(8, ClampToInt64(event->bytes_out))
          .Bind(9, event->end_reason);
      TETHER_RETURN_IF_ERROR(insert->Run());
    } else {
      const auto& audit = std::get<AuditEntry>(row);
      TETHER_TRY(insert,
                 SqliteStatement::Prepare(
                     db_.get(),
                     "INSERT INTO spooled_rows (kind, time_ms, actor, action,"
                     " subject, detail) VALUES ('audit', ?1, ?2, ?3, ?4, ?5)"));
      insert->Bind(1, audit.time ? ToUnixMillis(*audit.time) : now)
          .Bind(2, audit.actor)
          .Bind(3, audit.action)
          .Bind(4, audit.subject)
          .Bind(5, audit.detail);
      TETHER_RETURN_IF_ERROR(insert->Run());
    }
  }
  return transaction->Commit();
}

Result<RowSpool::Batch> RowSpool::Oldest(std::size_t max) {
  std::lock_guard lock(mutex_);
  TETHER_TRY(select,
             SqliteStatement::Prepare(
                 db_.get(),
                 "SELECT number, kind, time_ms, duration_ms, account, role,"
                 " source_address, code_hmac, bytes_in, bytes_out, end_reason,"
                 " actor, action, subject, detail FROM spooled_rows"
                 " ORDER BY number LIMIT ?1"));
  select->Bind(1, static_cast<int64_t>(max));
  Batch batch;
  for (;;) {
    TETHER_TRY(row, select->Step());
    if (!*row)
      return batch;
    batch.numbers.push_back(select->Int64(0));
    if (select->Text(1) == "event") {
      ConnectionEvent event;
      event.started_at = FromUnixMillis(select->Int64(2));
      event.duration = std::chrono::milliseconds(select->Int64(3));
      event.account = select->Text(4);
      event.role = select->Text(5);
      event.source_address = select->Text(6);
      event.code_hmac = select->Text(7);
      event.bytes_in = static_cast<uint64_t>(select->Int64(8));
      event.bytes_out = static_cast<uint64_t>(select->Int64(9));
      event.end_reason = select->Text(10);
      batch.rows.emplace_back(std::move(event));
    } else {
      batch.rows.emplace_back(AuditEntry{select->Text(11), select->Text(12),
                                         select->Text(13), select->Text(14),
                                         FromUnixMillis(select->Int64(2))});
    }
  }
}

Result<void> RowSpool::Remove(int64_t number) {
  std::lock_guard lock(mutex_);
  TETHER_TRY(remove,
             SqliteStatement::Prepare(
                 db_.get(), "DELETE FROM spooled_rows WHERE number <= ?1"));
  remove->Bind(1, number);
  return remove->Run();
}

Result<std::size_t> RowSpool::Count() {
  std::lock_guard lock(mutex_);
  TETHER_TRY(count,
             ReadInteger(db_.get(), "SELECT count(*) FROM spooled_rows"));
  return static_cast<std::size_t>(*count);
}

}  // namespace tether::relay
