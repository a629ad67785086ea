#pragma once

// Captures what the default spdlog logger writes while it lives, so tests
// can check that a refusal was logged and that no content was.

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <sstream>
#include <string>

namespace tether::test {

class LogCapture {
 public:
  LogCapture() {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
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
    logger_->flush();
    std::lock_guard lock(mutex_);
    return stream_.str();
  }
  bool Contains(const std::string& needle) {
    return text().find(needle) != std::string::npos;
  }

 private:
  std::mutex mutex_;
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> logger_;
  spdlog::level::level_enum level_;
};

}  // namespace tether::test
