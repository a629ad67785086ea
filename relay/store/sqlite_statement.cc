#include "relay/store/sqlite_statement.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/log.h"

namespace tether::relay {

namespace {

bool IsTemporary(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

}  // namespace

Error SqliteError(sqlite3* db, std::string_view what) {
  int rc = sqlite3_extended_errcode(db);
  Error error{std::string(what) + ": " + sqlite3_errmsg(db),
              Error::Kind::kPermanent};
  if (IsTemporary(rc))
    error.kind = Error::Kind::kTemporary;
  return error;
}

Result<void> SqliteExec(sqlite3* db, std::string_view sql) {
  std::string terminated(sql);  // sqlite3_exec wants a C string
  if (sqlite3_exec(db, terminated.c_str(), nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    return Unexpected(SqliteError(db, "SQL failed"));
  }
  return {};
}

Result<SqliteStatement> SqliteStatement::Prepare(sqlite3* db,
                                                 std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), 0, &raw,
                         nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return Unexpected(SqliteError(db, "preparing SQL"));
  }
  return SqliteStatement(db, ScopedSqliteStatement(raw));
}

void SqliteStatement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0)
    bind_error_ = rc;
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(statement_.get(), index, value));
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies, so the caller's buffer may go away
  // before the statement runs.
  // A null data pointer would bind NULL; an empty string must stay "".
  const char* data = text.data() != nullptr ? text.data() : "";
  NoteBind(sqlite3_bind_text64(statement_.get(), index, data, text.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int index, ByteSpan blob) {
  // A zero-length blob must still bind as a blob, not as NULL.
  static constexpr uint8_t kEmpty = 0;
  NoteBind(sqlite3_bind_blob64(statement_.get(), index,
                               blob.empty() ? &kEmpty : blob.data(),
                               blob.size(), SQLITE_TRANSIENT));
  return *this;
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(statement_.get(), index));
  return *this;
}

Result<bool> SqliteStatement::Step() {
  if (bind_error_ != 0) {
    return MakeError(std::string("binding an SQL parameter: ") +
                     sqlite3_errstr(bind_error_));
  }
  int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  failed_code_ = sqlite3_extended_errcode(db_);
  return Unexpected(SqliteError(db_, "SQL step failed"));
}

Result<void> SqliteStatement::Run() {
  for (;;) {
    TETHER_TRY(row, Step());
    if (!*row)
      return {};
  }
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

int64_t SqliteStatement::Int64(int column) const {
  return sqlite3_column_int64(statement_.get(), column);
}

std::optional<int64_t> SqliteStatement::OptionalInt64(int column) const {
  if (IsNull(column))
    return std::nullopt;
  return Int64(column);
}

std::string SqliteStatement::Text(int column) const {
  // Text before bytes: sqlite3_column_bytes then reports the converted size.
  const unsigned char* text = sqlite3_column_text(statement_.get(), column);
  if (text == nullptr)
    return {};
  auto size =
      static_cast<size_t>(sqlite3_column_bytes(statement_.get(), column));
  return std::string(reinterpret_cast<const char*>(text), size);
}

Bytes SqliteStatement::Blob(int column) const {
  const void* blob = sqlite3_column_blob(statement_.get(), column);
  if (blob == nullptr)
    return {};
  auto size =
      static_cast<size_t>(sqlite3_column_bytes(statement_.get(), column));
  const auto* begin = static_cast<const uint8_t*>(blob);
  return Bytes(begin, begin + size);
}

Result<SqliteTransaction> SqliteTransaction::BeginImmediate(sqlite3* db) {
  TETHER_RETURN_IF_ERROR(SqliteExec(db, "BEGIN IMMEDIATE"));
  return SqliteTransaction(db);
}

Result<SqliteTransaction> SqliteTransaction::BeginRead(sqlite3* db) {
  TETHER_RETURN_IF_ERROR(SqliteExec(db, "BEGIN DEFERRED"));
  return SqliteTransaction(db);
}

SqliteTransaction::~SqliteTransaction() {
  // After some errors SQLite has already rolled back; ROLLBACK then fails
  // harmlessly with "no transaction is active".
  if (db_ != nullptr)
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<void> SqliteTransaction::Commit() {
  auto committed = SqliteExec(db_, "COMMIT");
  if (!committed)
    return committed;  // the destructor rolls back
  db_ = nullptr;
  return {};
}

Result<void> CreateOwnerOnlyFile(const std::string& name) {
  int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError("cannot open " + name + ": " + std::strerror(errno));
  }
  struct stat status {};
  int stat_result = ::fstat(fd, &status);
  ::close(fd);
  if (stat_result != 0) {
    return MakeError("cannot stat " + name + ": " + std::strerror(errno));
  }
  if (!S_ISREG(status.st_mode)) {
    return MakeError(name + " is not a regular file");
  }
  if ((status.st_mode & 077) != 0) {
    // An existing file keeps the mode IT gave it, but it should know.
    log::Warn("{} can be read by other users (mode {:o}): chmod 600 it", name,
              status.st_mode & 0777);
  }
  return {};
}

Result<ScopedSqlite> OpenSqliteFile(const std::string& name,
                                    int mode,
                                    std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      name.c_str(), &raw, mode | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  ScopedSqlite db(raw);  // owned even when opening failed
  if (rc != SQLITE_OK) {
    return MakeError("cannot open " + name + ": " +
                     (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_timeout.count()));
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  return db;
}

}  // namespace tether::relay
