#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "relay/store/store.h"

namespace tether::relay {

// Writes connection events and audit rows on a thread of its own, in the
// order they were posted, so the loop thread never waits for SQLite's fsync.
// Queued event and audit rows go to the store in batches (one transaction,
// one fsync): when the relay stops it ends every connection at once, and
// thousands of single commits would hold up its exit.
// Post from any thread. The destructor writes everything still queued.
class StoreWriter {
 public:
  // Past this many queued writes the store is hopelessly behind: further
  // writes are dropped and counted (and logged) rather than eat memory.
  static constexpr size_t kMaxQueued = 100'000;
  static constexpr size_t kMaxBatch = 1'000;

  explicit StoreWriter(Store& store);
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  void RecordEvent(ConnectionEvent event);
  void Audit(std::string actor,
             std::string action,
             std::string subject,
             std::string detail);
  // Deletes connection events older than `cutoff` (audited by the store).
  void PurgeEventsBefore(Clock::WallTime cutoff);

  // Blocks until everything posted before the call is written.
  void Flush();

  size_t dropped() const;
  size_t failed() const;

 private:
  // One queued write: a row (batched with the rows next to it), or a
  // maintenance job that runs alone.
  using Write = std::variant<LogRow, std::function<Result<void>(Store&)>>;
  void Post(Write write);
  // Takes the front job, or the run of rows at the front, off the queue and
  // writes it; called with the lock held, unlocks while writing.
  void WriteNext(std::unique_lock<std::mutex>& lock);
  // A batch the store refused as a whole is retried row by row, so one
  // bad row costs only itself.
  Result<void> WriteRows(const std::vector<LogRow>& rows);
  void Run();

  Store& store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Write> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  size_t dropped_ = 0;
  size_t failed_ = 0;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace tether::relay
