#pragma once

// Captures what the default spdlog logger writes while it lives, so tests
// can check that a refusal was logged and that no content was, and wait
// (bounded) for a line another thread logs when it has done something.

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

namespace tether::test {

class LogCapture {
 public:
  LogCapture() {
    sink_ = std::make_shared<Sink>();
    sink_->set_pattern("%l %v");
    logger_ = spdlog::default_logger();
    logger_->sinks().push_back(sink_);
    level_ = logger_->level();
    logger_->set_level(spdlog::level::info);
  }
  ~LogCapture() {
    auto& sinks = logger_->sinks();
    std::erase(sinks, sink_);
    logger_->set_level(level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() {
    std::lock_guard lock(sink_->text_mutex);
    return sink_->text;
  }
  bool Contains(const std::string& needle) {
    return text().find(needle) != std::string::npos;
  }
  // True once `needle` was logged, false at the deadline.
  bool WaitFor(const std::string& needle,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(sink_->text_mutex);
    return sink_->logged.wait_for(lock, timeout, [&] {
      return sink_->text.find(needle) != std::string::npos;
    });
  }

 private:
  // Formats each line into `text` and wakes the waiters.
  struct Sink final : spdlog::sinks::base_sink<std::mutex> {
    std::mutex text_mutex;
    std::condition_variable logged;
    std::string text;

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      spdlog::memory_buf_t formatted;
      formatter_->format(msg, formatted);
      {
        std::lock_guard lock(text_mutex);
        text.append(formatted.data(), formatted.size());
      }
      logged.notify_all();
    }
    void flush_() override {}
  };

  std::shared_ptr<Sink> sink_;
  std::shared_ptr<spdlog::logger> logger_;
  spdlog::level::level_enum level_;
};

}  // namespace tether::test
