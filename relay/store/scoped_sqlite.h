#pragma once

// Owned SQLite handles. Declared without sqlite3.h so that headers holding
// them keep SQLite out of their includers.

#include <memory>

struct sqlite3;
struct sqlite3_stmt;

namespace tether::relay {

struct SqliteCloseDeleter {
  void operator()(sqlite3* db) const;
};
struct SqliteFinalizeDeleter {
  void operator()(sqlite3_stmt* statement) const;
};

using ScopedSqlite = std::unique_ptr<sqlite3, SqliteCloseDeleter>;
using ScopedSqliteStatement =
    std::unique_ptr<sqlite3_stmt, SqliteFinalizeDeleter>;

}  // namespace tether::relay
