#pragma once

// Thin helpers over the SQLite C API for the SQLite store: prepared
// statements with bound parameters (the store never formats values into
// SQL), and a transaction that rolls back unless committed. Internal to
// relay/store/; the caller serialises use of the connection.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"
#include "base/result.h"
#include "relay/store/scoped_sqlite.h"

namespace tether::relay {

// The connection's last error as a tether::Error: "<what>: <sqlite message>".
// Busy and locked databases are temporary failures.
Error SqliteError(sqlite3* db, std::string_view what);

// Runs constant SQL (schema, pragmas), possibly several statements. Never
// for values: those are bound through SqliteStatement.
Result<void> SqliteExec(sqlite3* db, std::string_view sql);

// Creates the file owner-only before SQLite opens it: SQLite would create
// it with the umask's mode (often 0644), and it gives the -wal and -shm
// files the database file's mode. An existing file readable by others is
// kept as IT made it, with a warning in the log.
Result<void> CreateOwnerOnlyFile(const std::string& name);

// Opens `name` with `mode` (SQLITE_OPEN_READWRITE or _READONLY), waiting
// up to `busy_timeout` for other processes' locks, in defensive mode (no
// writable_schema tricks or other ways for SQL to corrupt the file).
Result<ScopedSqlite> OpenSqliteFile(const std::string& name,
                                    int mode,
                                    std::chrono::milliseconds busy_timeout);

class SqliteStatement {
 public:
  static Result<SqliteStatement> Prepare(sqlite3* db, std::string_view sql);

  SqliteStatement(SqliteStatement&&) = default;
  SqliteStatement& operator=(SqliteStatement&&) = default;

  // Parameters count from 1, as in SQLite. A failed bind is reported by the
  // next Step() or Run().
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& BindBlob(int index, ByteSpan blob);
  SqliteStatement& BindNull(int index);
  template <typename T>
  SqliteStatement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // true: a row is ready to read; false: the statement is done.
  Result<bool> Step();
  // Steps to the end, ignoring rows.
  Result<void> Run();

  bool IsNull(int column) const;
  int64_t Int64(int column) const;
  std::optional<int64_t> OptionalInt64(int column) const;
  std::string Text(int column) const;  // NULL reads as ""
  Bytes Blob(int column) const;

  // The extended result code of the last failed step (for example
  // SQLITE_CONSTRAINT_UNIQUE), 0 when none failed.
  int failed_code() const { return failed_code_; }

 private:
  SqliteStatement(sqlite3* db, ScopedSqliteStatement statement)
      : db_(db), statement_(std::move(statement)) {}
  void NoteBind(int rc);

  sqlite3* db_;
  ScopedSqliteStatement statement_;
  int bind_error_ = 0;
  int failed_code_ = 0;
};

// BEGIN ... COMMIT. BeginImmediate takes the database's write lock at once,
// so a read-then-write (the audit chain's last hash, then the new row) can't
// interleave with another connection's, not even another process's.
// BeginRead gives several reads one snapshot.
class SqliteTransaction {
 public:
  static Result<SqliteTransaction> BeginImmediate(sqlite3* db);
  static Result<SqliteTransaction> BeginRead(sqlite3* db);

  SqliteTransaction(SqliteTransaction&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)) {}
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();  // rolls back unless committed

  Result<void> Commit();

 private:
  explicit SqliteTransaction(sqlite3* db) : db_(db) {}

  sqlite3* db_;  // null once committed or rolled back
};

}  // namespace tether::relay
