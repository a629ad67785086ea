#include "protocol/network_thread.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <utility>

#include "base/log.h"

namespace tether::protocol {

NetworkThread::NetworkThread(std::function<void()> before_tasks,
                             std::function<void()> on_stop)
    : before_tasks_(std::move(before_tasks)), on_stop_(std::move(on_stop)) {
  // Initialised here, run by the network thread only from Start().
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &wake_, [](uv_async_t* async) {
    static_cast<NetworkThread*>(async->data)->OnWake();
  });
  wake_.data = this;
}

NetworkThread::~NetworkThread() {
  Stop();
  if (int ret = uv_loop_close(&loop_); ret != 0) {
    log::Error("network thread loop did not close: {}", uv_strerror(ret));
  }
}

void NetworkThread::Start(std::function<void()> first) {
  Post(std::move(first));
  thread_ = std::thread([this] {
    // A write to a connection the relay or proxy closed must fail with
    // EPIPE, not kill the app. Blocked for this thread only: the engine
    // does not change the process's signal dispositions.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
}

void NetworkThread::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  uv_async_send(&wake_);
}

void NetworkThread::Wake() {
  uv_async_send(&wake_);
}

void NetworkThread::Stop() {
  if (std::this_thread::get_id() == thread_.get_id()) {
    // It cannot join itself.
    log::Error("PeerSession destroyed on its own network thread");
    std::abort();
  }
  if (!thread_.joinable())
    return;
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  uv_async_send(&wake_);
  thread_.join();
}

void NetworkThread::OnWake() {
  std::deque<std::function<void()>> tasks;
  bool stop = false;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(tasks_);
    stop = stop_requested_;
  }
  if (before_tasks_)
    before_tasks_();
  for (auto& task : tasks) {
    if (stopped_)
      break;
    task();
  }
  if (stop && !stopped_) {
    stopped_ = true;
    on_stop_();
    uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  }
}

}  // namespace tether::protocol
