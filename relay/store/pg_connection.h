#pragma once

// One connection to PostgreSQL (libpq, synchronous): statements with text
// parameters, their rows, and errors that say whether retrying can help.
// Used only from worker threads and the admin CLI, never on a loop thread.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "relay/store/scoped_pq.h"

namespace tether::relay {

// Where the store is: a libpq connection string without a password
// ("host=db1 dbname=tether user=tether"), and the file the password is
// read from (empty: none, e.g. peer authentication over a Unix socket).
struct PgSettings {
  std::string dsn;
  std::filesystem::path password_file;
};

// A parameter: text, or SQL NULL.
using PgParam = std::optional<std::string>;

// The rows a statement returned.
class PgRows {
 public:
  explicit PgRows(ScopedPgResult result);

  int size() const;
  bool IsNull(int row, int column) const;
  std::string Text(int row, int column) const;
  int64_t Int64(int row, int column) const;
  std::optional<int64_t> OptionalInt64(int row, int column) const;
  bool Bool(int row, int column) const;
  // A bytea column (hex output, set for every session); nullopt when the
  // server sent something else.
  std::optional<Bytes> Bytea(int row, int column) const;
  // How many rows an UPDATE or DELETE touched.
  int64_t Affected() const;

 private:
  ScopedPgResult result_;
};

class PgConnection {
 public:
  // A statement that waits longer (for a lock, a disk) fails rather than
  // hold a worker thread: temporary, to be retried by whoever asked.
  static constexpr std::chrono::seconds kStatementTimeout{10};
  static constexpr std::chrono::seconds kConnectTimeout{3};

  // Checks the settings without connecting: the DSN parses and holds no
  // password, the password file is readable by its owner only.
  static Result<std::string> ReadPassword(const PgSettings& settings);
  static Result<std::unique_ptr<PgConnection>> Connect(
      const PgSettings& settings);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with $1, $2, ... bound to `params`.
  Result<PgRows> Exec(std::string_view sql,
                      const std::vector<PgParam>& params = {});

  // The SQLSTATE of the last failed statement ("23505": a unique key
  // taken), empty when it did not come from the server.
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // False once the connection broke: the owner drops it.
  bool healthy() const;
  // Statements sent so far (a retry is safe only while the first failed).
  uint64_t statements() const { return statements_; }
  // "db1:5432/tether", for messages; never holds the password.
  const std::string& name() const { return name_; }

 private:
  PgConnection(ScopedPgConn connection, std::string name);

  ScopedPgConn connection_;
  std::string name_;
  std::string last_sqlstate_;
  uint64_t statements_ = 0;
};

// "host=db1 port=5432 dbname=tether user=tether" from a connection string:
// only those four, whatever else it holds (sslpassword, ...), for logs.
std::string DescribeDsn(const std::string& dsn);

// BEGIN ... COMMIT on one connection; rolls back when destroyed without
// Commit() (a failed step returns early).
class PgTransaction {
 public:
  static Result<PgTransaction> Begin(PgConnection& connection,
                                     std::string_view mode = "");
  PgTransaction(PgTransaction&& other) noexcept;
  PgTransaction& operator=(PgTransaction&&) = delete;
  ~PgTransaction();

  Result<void> Commit();

 private:
  explicit PgTransaction(PgConnection& connection);

  PgConnection* connection_;  // null once committed or moved from
};

// Text forms PostgreSQL reads back exactly.
std::string PgInt(int64_t value);
PgParam PgInt(std::optional<int64_t> value);  // unset: SQL NULL
std::string PgBool(bool value);
std::string PgBytea(ByteSpan bytes);  // "\x..." hex input

}  // namespace tether::relay
