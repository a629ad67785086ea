#include "relay/store/sqlite_schema.h"

#include <sqlite3.h>

#include <iterator>
#include <string>

#include "relay/store/sqlite_statement.h"

namespace tether::relay {

namespace {

// Append only: a released step is never edited, a change is a new step.
// STRICT tables refuse values of the wrong type instead of storing them.
constexpr std::string_view kMigrations[] = {
    // 1: accounts, password history, connection events, audit log.
    R"sql(
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  -- NOCASE: "Admin" and "admin" are one account, not two look-alikes.
  user_name TEXT NOT NULL COLLATE NOCASE UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'technician', 'auditor')),
  password_hash TEXT NOT NULL,
  must_change_password INTEGER NOT NULL CHECK (must_change_password IN (0, 1)),
  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
  failed_logins INTEGER NOT NULL CHECK (failed_logins >= 0),
  locked_until_ms INTEGER,
  locked INTEGER NOT NULL CHECK (locked IN (0, 1)),
  totp_secret BLOB,
  totp_last_step INTEGER,
  created_at_ms INTEGER NOT NULL,
  password_changed_at_ms INTEGER NOT NULL,
  last_login_at_ms INTEGER
) STRICT;

CREATE TABLE password_history (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  phc TEXT NOT NULL,
  added_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX password_history_by_account ON password_history (account_id, id);

CREATE TABLE connection_events (
  id INTEGER PRIMARY KEY,
  started_at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  account TEXT NOT NULL,
  role TEXT NOT NULL,
  source_address TEXT NOT NULL,
  code_hmac TEXT NOT NULL,
  bytes_in INTEGER NOT NULL,
  bytes_out INTEGER NOT NULL,
  end_reason TEXT NOT NULL
) STRICT;
CREATE INDEX connection_events_by_start ON connection_events (started_at_ms);

-- AUTOINCREMENT keeps the highest id ever used in sqlite_sequence, so
-- rows cut off the end of the log show up as missing.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_by_time ON audit_log (time_ms);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
)sql",
};

Result<int64_t> ReadPragma(sqlite3* db, std::string_view pragma) {
  TETHER_TRY(statement, SqliteStatement::Prepare(db, pragma));
  TETHER_TRY(row, statement->Step());
  return *row ? statement->Int64(0) : 0;
}

std::string NotOurs(std::string_view name, std::string_view why) {
  return std::string(name) + " is not a Tether database: " + std::string(why);
}

std::string TooNew(std::string_view name, int64_t version) {
  return std::string(name) + " has schema version " + std::to_string(version) +
         ", newer than this tether-relay knows (" +
         std::to_string(LatestSchemaVersion()) +
         "): run a newer tether-relay, or restore a backup made by this one";
}

}  // namespace

int LatestSchemaVersion() {
  return static_cast<int>(std::size(kMigrations));
}

Result<void> CheckSchema(sqlite3* db, std::string_view name) {
  // The first read of the file: garbage fails here, with SQLite's "file is
  // not a database".
  // SQLite's own words say best what is wrong with the file.
  auto application_id = ReadPragma(db, "PRAGMA application_id");
  if (!application_id)
    return MakeError(NotOurs(name, sqlite3_errmsg(db)));
  auto version = ReadPragma(db, "PRAGMA user_version");
  if (!version)
    return MakeError(NotOurs(name, sqlite3_errmsg(db)));
  auto objects = ReadPragma(db, "SELECT count(*) FROM sqlite_schema");
  if (!objects)
    return MakeError(NotOurs(name, sqlite3_errmsg(db)));

  if (*application_id != kTetherApplicationId) {
    if (*application_id != 0) {
      return MakeError(NotOurs(name, "it belongs to another application"));
    }
    if (*objects != 0) {
      return MakeError(NotOurs(name, "it holds tables but no Tether schema"));
    }
  }
  if (*version > LatestSchemaVersion())
    return MakeError(TooNew(name, *version));
  return {};
}

Result<void> CheckSchemaIsCurrent(sqlite3* db, std::string_view name) {
  TETHER_RETURN_IF_ERROR(CheckSchema(db, name));
  TETHER_TRY(version, ReadPragma(db, "PRAGMA user_version"));
  if (*version != LatestSchemaVersion()) {
    return MakeError(std::string(name) + " has schema version " +
                     std::to_string(*version) + ", not this tether-relay's (" +
                     std::to_string(LatestSchemaVersion()) + ")");
  }
  return {};
}

Result<void> MigrateSchema(sqlite3* db, std::string_view name) {
  for (;;) {
    TETHER_TRY(transaction, SqliteTransaction::BeginImmediate(db));
    // Read again under the write lock: another process may have migrated
    // while we waited for it.
    TETHER_TRY(current, ReadPragma(db, "PRAGMA user_version"));
    if (*current > LatestSchemaVersion()) {
      return MakeError(TooNew(name, *current));
    }
    if (*current == LatestSchemaVersion())
      return {};

    int next = static_cast<int>(*current) + 1;
    std::string step(kMigrations[next - 1]);
    // PRAGMAs take no bound parameters; both values are our own integers.
    step +=
        "\nPRAGMA application_id = " + std::to_string(kTetherApplicationId) +
        ";\nPRAGMA user_version = " + std::to_string(next) + ";";
    auto applied = SqliteExec(db, step);
    if (!applied) {
      return MakeError("migrating " + std::string(name) + " to version " +
                       std::to_string(next) + ": " + applied.error().message);
    }
    auto committed = transaction->Commit();
    if (!committed)
      return committed;
  }
}

}  // namespace tether::relay
