#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "relay/store/store.h"

namespace tether::relay {

// Writes connection events and audit rows on a thread of its own, in the
// order they were posted, so the loop thread never waits for SQLite's fsync.
// Post from any thread. The destructor writes everything still queued.
class StoreWriter {
 public:
  // Past this many queued writes the store is hopelessly behind: further
  // writes are dropped and counted (and logged) rather than eat memory.
  static constexpr size_t kMaxQueued = 100'000;

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
  void Post(std::function<Result<void>(Store&)> write);
  void Run();

  Store& store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::function<Result<void>(Store&)>> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  size_t dropped_ = 0;
  size_t failed_ = 0;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace tether::relay
