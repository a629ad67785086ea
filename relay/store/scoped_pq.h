#pragma once

// Owned libpq handles. Declared without libpq-fe.h so that headers holding
// them keep libpq out of their includers.

#include <memory>

struct pg_conn;
struct pg_result;

namespace tether::relay {

struct PqFinishDeleter {
  void operator()(pg_conn* connection) const;
};
struct PqClearDeleter {
  void operator()(pg_result* result) const;
};

using ScopedPgConn = std::unique_ptr<pg_conn, PqFinishDeleter>;
using ScopedPgResult = std::unique_ptr<pg_result, PqClearDeleter>;

}  // namespace tether::relay
