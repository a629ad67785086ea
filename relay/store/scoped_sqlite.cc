#include "relay/store/scoped_sqlite.h"

#include <sqlite3.h>

namespace tether::relay {

void SqliteCloseDeleter::operator()(sqlite3* db) const {
  // _v2 defers the close until the last statement is finalised instead of
  // failing with SQLITE_BUSY, so the handle is never leaked.
  sqlite3_close_v2(db);
}

void SqliteFinalizeDeleter::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

}  // namespace tether::relay
