#include "relay/backup/backup_status.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>

#include "config/config_file.h"

namespace tether::relay {
namespace {

namespace fs = std::filesystem;

// A message is one line of printable text; longer is cut.
constexpr size_t kMaxMessageBytes = 1024;

std::string OneLine(std::string_view text, size_t max_bytes) {
  std::string out(text.substr(0, max_bytes));
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      c = ' ';
  }
  return out;
}

template <typename Number>
Result<Number> ReadNumber(std::string_view key, std::string_view text) {
  Number value{};
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() ||
      end != text.data() + text.size()) {
    return MakeError("backup status: " + std::string(key) + " is not a number");
  }
  return value;
}

Result<void> WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return MakeError(std::strerror(errno));
    text.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

fs::path BackupStatusPath(const fs::path& database) {
  return fs::path(database.string() + ".backup-status");
}

std::string FormatBackupStatus(const BackupStatus& status) {
  std::string out =
      "# tether-relay backup --scheduled: the last run (read by /metrics)\n";
  out += "run_time=" + std::to_string(status.run_time) + "\n";
  out += std::string("ok=") + (status.ok ? "1" : "0") + "\n";
  out += "success_time=" + std::to_string(status.success_time) + "\n";
  out += "success_bytes=" + std::to_string(status.success_bytes) + "\n";
  out +=
      "success_file=" + OneLine(status.success_file, kMaxMessageBytes) + "\n";
  out += "message=" + OneLine(status.message, kMaxMessageBytes) + "\n";
  return out;
}

Result<BackupStatus> ParseBackupStatus(std::string_view text) {
  if (text.size() > kMaxBackupStatusBytes)
    return MakeError("backup status: larger than it can be");
  BackupStatus status;
  bool have_run_time = false;
  bool have_ok = false;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.empty() || line.front() == '#')
      continue;
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos)
      return MakeError("backup status: a line without '='");
    const std::string_view key = line.substr(0, equals);
    const std::string_view value = line.substr(equals + 1);
    if (key == "run_time") {
      TETHER_TRY(number, ReadNumber<int64_t>(key, value));
      status.run_time = *number;
      have_run_time = true;
    } else if (key == "ok") {
      if (value != "0" && value != "1")
        return MakeError("backup status: ok is neither 0 nor 1");
      status.ok = value == "1";
      have_ok = true;
    } else if (key == "success_time") {
      TETHER_TRY(number, ReadNumber<int64_t>(key, value));
      status.success_time = *number;
    } else if (key == "success_bytes") {
      TETHER_TRY(number, ReadNumber<uint64_t>(key, value));
      status.success_bytes = *number;
    } else if (key == "success_file") {
      status.success_file = OneLine(value, kMaxMessageBytes);
    } else if (key == "message") {
      status.message = OneLine(value, kMaxMessageBytes);
    }
  }
  if (!have_run_time || !have_ok)
    return MakeError("backup status: run_time or ok is missing");
  return status;
}

Result<void> WriteBackupStatus(const fs::path& database,
                               const BackupStatus& status) {
  const fs::path path = BackupStatusPath(database);
  // A name of its own per writer: two runs never write the same temp file.
  std::string temp = path.string() + ".XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // 0600
  if (fd < 0) {
    return MakeError("cannot write " + path.string() + ": " +
                     std::strerror(errno));
  }
  auto written = WriteAll(fd, FormatBackupStatus(status));
  if (written && ::fsync(fd) != 0)
    written = MakeError(std::strerror(errno));
  ::close(fd);
  std::error_code error;
  if (written)
    fs::rename(temp, path, error);
  if (!written || error) {
    const std::string why = written ? error.message() : written.error().message;
    fs::remove(temp, error);
    return MakeError("cannot write " + path.string() + ": " + why);
  }
  return {};
}

Result<std::optional<BackupStatus>> ReadBackupStatus(const fs::path& database) {
  const fs::path path = BackupStatusPath(database);
  std::error_code error;
  if (!fs::exists(path, error))
    return std::optional<BackupStatus>();
  TETHER_TRY(text, config::ReadSmallFile(path, kMaxBackupStatusBytes,
                                         "backup status"));
  TETHER_TRY(status, ParseBackupStatus(*text));
  return std::optional<BackupStatus>(std::move(*status));
}

}  // namespace tether::relay
