#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>

struct uv_loop_s;

namespace tether::relay {

// Blocking work (argon2id, SQLite reads, file hashing) run on libuv's
// thread pool, so the relay's loop never waits for it: at most
// `max_running` jobs at once, at most `max_queued` waiting, and Post()
// refuses beyond that so a flood cannot queue without bound. `done` runs
// on the loop thread, never after the pool is destroyed. Create, use and
// destroy on the loop thread; the loop keeps running until every started
// job has called back (queued libuv work keeps it alive).
class WorkerPool {
 public:
  WorkerPool(uv_loop_s* loop, size_t max_running, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False (and nothing runs) when the queue is full.
  bool Post(std::function<void()> work, std::function<void()> done);

  size_t queued() const { return queued_.size(); }
  size_t running() const { return running_; }

 private:
  struct Job;
  void StartNext();

  uv_loop_s* loop_;
  const size_t max_running_;
  const size_t max_queued_;
  size_t running_ = 0;
  std::deque<std::unique_ptr<Job>> queued_;
  // Shared with running jobs: cleared by the destructor so no callback runs
  // after it.
  std::shared_ptr<bool> alive_;
};

}  // namespace tether::relay
