#pragma once

// The peer session engine's network thread: one libuv loop on a thread of
// its own, and the hand-over to it from other threads (a mutex-guarded
// task queue plus uv_async_send, which coalesces: each wake drains it all).
//
// Threads. Post(), Wake() and Stop() may be called from any thread but the
// network thread itself; everything else the owner does with loop() happens
// on the network thread, in posted tasks and in the loop's callbacks.
//
// Stopping. Stop() (and the destructor) asks the thread to stop: after the
// tasks posted before it, `on_stop` runs once on the network thread and
// must close every handle the owner opened on loop(), so that the loop runs
// out; then the thread is joined. Tasks posted after that never run.

#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <uv.h>

namespace tether::protocol {

class NetworkThread {
 public:
  // `before_tasks` (may be empty) runs on every wake on the network thread,
  // after the posted tasks were taken and before they run: work handed over
  // through the owner's own queue before a task was posted is done before
  // that task.
  NetworkThread(std::function<void()> before_tasks,
                std::function<void()> on_stop);
  ~NetworkThread();  // Stop(), then closes the loop
  NetworkThread(const NetworkThread&) = delete;
  NetworkThread& operator=(const NetworkThread&) = delete;

  // For the owner's handles; initialised from construction, run only once
  // Start() was called.
  uv_loop_t* loop() { return &loop_; }

  // Starts the thread; `first` is the first task it runs.
  void Start(std::function<void()> first);
  // Runs `task` on the network thread, after those posted before it.
  void Post(std::function<void()> task);
  // Runs `before_tasks` on the network thread soon.
  void Wake();
  // Stops and joins the thread (see above). Aborts when called on the
  // network thread itself, which cannot join itself. Idempotent.
  void Stop();

 private:
  void OnWake();  // network thread

  const std::function<void()> before_tasks_;
  const std::function<void()> on_stop_;

  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  bool stop_requested_ = false;

  uv_loop_t loop_{};
  uv_async_t wake_{};
  bool stopped_ = false;  // network thread: on_stop_ ran
  std::thread thread_;
};

}  // namespace tether::protocol
