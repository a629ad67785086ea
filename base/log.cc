#include "base/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace tether::log {
namespace {

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kTrace:
      return spdlog::level::trace;
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
    case Level::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void Init(std::string_view program, Level level) {
  auto logger = std::make_shared<spdlog::logger>(
      std::string(program), std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // journald stamps every line itself; elsewhere the time is part of it.
  const bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
  logger->set_pattern(journald ? "%l: %v" : "%Y-%m-%dT%H:%M:%S.%e %l %n: %v");
  logger->set_level(ToSpdlog(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

Result<Level> ParseLevel(std::string_view name) {
  if (name == "trace")
    return Level::kTrace;
  if (name == "debug")
    return Level::kDebug;
  if (name == "info")
    return Level::kInfo;
  if (name == "warn" || name == "warning")
    return Level::kWarn;
  if (name == "error")
    return Level::kError;
  if (name == "off")
    return Level::kOff;
  return MakeError("unknown log level '" + std::string(name) +
                   "' (expected trace, debug, info, warn, error or off)");
}

}  // namespace tether::log
