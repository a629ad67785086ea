#pragma once

// The one logging facade (over spdlog). Rules: one line per event; never log
// keys, passwords, screen content, keystrokes, clipboard contents or session
// codes in clear (log a code only as an HMAC).

#include <spdlog/spdlog.h>

#include <string_view>
#include <utility>

#include "base/result.h"

namespace tether::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Sends log lines to stderr. Under systemd (JOURNAL_STREAM set) the time
// stamp is left to journald. Safe to call more than once.
void Init(std::string_view program, Level level);

Result<Level> ParseLevel(std::string_view name);

template <typename... Args>
void Debug(spdlog::format_string_t<Args...> format, Args&&... args) {
  spdlog::debug(format, std::forward<Args>(args)...);
}
template <typename... Args>
void Info(spdlog::format_string_t<Args...> format, Args&&... args) {
  spdlog::info(format, std::forward<Args>(args)...);
}
template <typename... Args>
void Warn(spdlog::format_string_t<Args...> format, Args&&... args) {
  spdlog::warn(format, std::forward<Args>(args)...);
}
template <typename... Args>
void Error(spdlog::format_string_t<Args...> format, Args&&... args) {
  spdlog::error(format, std::forward<Args>(args)...);
}

}  // namespace tether::log
