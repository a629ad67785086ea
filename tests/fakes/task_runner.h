#pragma once

// One thread that runs posted tasks in order: the "app thread" of tests
// that drive a session the way the UI would.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace tether::test {

class TaskRunner {
 public:
  TaskRunner() : thread_([this] { Run(); }) {}
  ~TaskRunner() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      if (quit_)
        return;
      tasks_.push_back(std::move(task));
    }
    wake_.notify_all();
  }

  // Runs `task` on the runner's thread and waits for it.
  template <typename F>
  auto RunSync(F task) -> decltype(task()) {
    std::packaged_task<decltype(task())()> packaged(std::move(task));
    auto result = packaged.get_future();
    Post([&packaged] { packaged(); });
    return result.get();
  }

  // For Options::deliver.
  std::function<void(std::function<void()>)> Deliver() {
    return [this](std::function<void()> task) { Post(std::move(task)); };
  }

  bool on_runner_thread() const {
    return std::this_thread::get_id() == thread_.get_id();
  }

 private:
  void Run() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return quit_ || !tasks_.empty(); });
        if (tasks_.empty())
          return;  // quit, and nothing left to run
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace tether::test
