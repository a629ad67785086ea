#pragma once

// Rows the relay could not hand to PostgreSQL (connection events and audit
// rows written while it was unreachable), kept in order in a small SQLite
// file beside the relay until they can be: owner-only, bounded, and still
// there after a restart or a kill -9 of the relay.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "relay/store/scoped_sqlite.h"
#include "relay/store/store.h"

namespace tether::relay {

// Thread-safe.
class RowSpool {
 public:
  // Past this many rows the spool refuses more (the writes are counted as
  // failed): about 100 MB at the largest rows the store accepts.
  static constexpr std::size_t kMaxRows = 200'000;

  // Opens or creates the spool at `path`. Audit rows appended without a
  // time get `clock`'s: the time they happened, not the time they reach
  // PostgreSQL.
  static Result<std::unique_ptr<RowSpool>> Open(
      const std::filesystem::path& path,
      const Clock& clock,
      std::size_t max_rows = kMaxRows);
  ~RowSpool();
  RowSpool(const RowSpool&) = delete;
  RowSpool& operator=(const RowSpool&) = delete;

  // Random, made with the file: PostgreSQL records per spool how far it
  // has written, so a batch is never written twice.
  const std::string& id() const { return id_; }

  // All or nothing, in order.
  Result<void> Append(std::span<const LogRow> rows);

  // The oldest rows, at most `max`, each with its number in the spool
  // (increasing).
  struct Batch {
    std::vector<int64_t> numbers;
    std::vector<LogRow> rows;
  };
  Result<Batch> Oldest(std::size_t max);
  // Forgets the rows up to `number` (written).
  Result<void> Remove(int64_t number);
  Result<std::size_t> Count();

 private:
  RowSpool(ScopedSqlite db,
           std::string id,
           const Clock& clock,
           std::size_t max_rows);

  std::mutex mutex_;
  ScopedSqlite db_;  // guarded by mutex_
  const std::string id_;
  const Clock& clock_;
  const std::size_t max_rows_;
};

}  // namespace tether::relay
