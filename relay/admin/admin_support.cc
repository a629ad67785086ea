#include "relay/admin/admin_support.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>
#include <vector>

#include "crypto/random.h"
#include "relay/store/sqlite_store.h"

namespace tether::relay::admin {
namespace {

// No i, l, o, 0 or 1: nothing to confuse when reading it off a screen.
constexpr std::string_view kPasswordAlphabet =
    "abcdefghjkmnpqrstuvwxyz23456789";
constexpr size_t kGroupLength = 5;
constexpr size_t kMinGroups = 4;

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// Turns terminal echo off for its lifetime.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0)
      return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_)
      tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

std::optional<std::string> ReadLine() {
  std::string line;
  if (!std::getline(std::cin, line))
    return std::nullopt;
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

std::optional<std::string> Prompt(const char* text) {
  std::fprintf(stderr, "%s", text);
  std::fflush(stderr);
  EchoOff echo_off(STDIN_FILENO);
  auto line = ReadLine();
  std::fprintf(stderr, "\n");
  return line;
}

// Reads `count` digits ("2026") at `pos`, advancing it.
std::optional<int> Digits(std::string_view text, size_t& pos, size_t count) {
  if (pos + count > text.size())
    return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += count;
  return value;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c)
    return false;
  ++pos;
  return true;
}

}  // namespace

int Fail(std::string_view message) {
  std::fprintf(stderr, "tether-relay: %.*s\n", static_cast<int>(message.size()),
               message.data());
  return kExitFailure;
}

std::string CliActor() {
  const uid_t uid = geteuid();
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_name != nullptr &&
      found->pw_name[0] != '\0') {
    return std::string("cli:") + found->pw_name;
  }
  return "cli:uid" + std::to_string(uid);
}

Result<std::unique_ptr<Store>> OpenStore(const RelayConfig& config) {
  TETHER_TRY(store, SqliteStore::Open(config.store.database, Clock::System()));
  return std::unique_ptr<Store>(std::move(*store));
}

Result<void> ValidateUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return MakeError("a user name has 1 to 64 characters");
  }
  if (!IsAsciiAlnum(name.front())) {
    return MakeError("a user name starts with a letter or a digit");
  }
  for (char c : name) {
    if (!IsAsciiAlnum(c) && c != '.' && c != '_' && c != '-' && c != '@') {
      return MakeError(
          "a user name may only hold letters A-Z, digits and . _ - @");
    }
  }
  std::string lower(name);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "system") {
    return MakeError("'system' is reserved for the relay's own audit rows");
  }
  return {};
}

Result<void> ValidateDisplayName(std::string_view name) {
  if (name.size() > 128) {
    return MakeError("a display name has at most 128 bytes");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return MakeError("a display name may not hold control characters");
    }
  }
  return {};
}

Result<std::string> ReadNewPassword(std::string_view user_name) {
  if (isatty(STDIN_FILENO)) {
    const std::string first_prompt =
        "New password for " + std::string(user_name) + ": ";
    auto first = Prompt(first_prompt.c_str());
    if (!first || first->empty())
      return MakeError("no password entered");
    auto second = Prompt("Repeat it: ");
    if (!second || *second != *first) {
      return MakeError("the two passwords differ");
    }
    return *first;
  }
  auto line = ReadLine();
  if (!line || line->empty()) {
    return MakeError(
        "no password on standard input (pipe one line, or use --generate)");
  }
  return *line;
}

Result<std::string> GeneratePassword(const crypto::PasswordPolicy& policy,
                                     std::string_view user_name) {
  // Enough groups for the minimum length ("xxxxx-" per group, less one '-').
  size_t groups = kMinGroups;
  while (groups * (kGroupLength + 1) - 1 < policy.min_length)
    ++groups;
  const size_t letters = groups * kGroupLength;
  // Rejection sampling: bytes at or above the largest multiple of the
  // alphabet's size are drawn again, so every letter is equally likely.
  const unsigned limit = 256 - 256 % kPasswordAlphabet.size();
  auto& random = crypto::RandomGenerator::Default();
  Error last_refusal{"no password generated"};
  for (int attempt = 0; attempt < 32; ++attempt) {
    std::string password;
    std::array<uint8_t, 64> pool{};
    size_t used = pool.size();
    while (password.size() < letters + groups - 1) {
      if (used == pool.size()) {
        if (auto filled = random.Fill(pool); !filled) {
          return Unexpected(std::move(filled).error());
        }
        used = 0;
      }
      const uint8_t byte = pool[used++];
      if (byte >= limit)
        continue;
      if (!password.empty() &&
          password.size() % (kGroupLength + 1) == kGroupLength) {
        password += '-';
      }
      password += kPasswordAlphabet[byte % kPasswordAlphabet.size()];
    }
    // Letters, digits and '-' make three classes; a policy that wants
    // all four gets the first letter in upper case.
    if (policy.min_character_classes >= 4) {
      for (char& c : password) {
        if (c >= 'a' && c <= 'z') {
          c = static_cast<char>(c - 'a' + 'A');
          break;
        }
      }
    }
    auto allowed = crypto::CheckPassword(policy, password, user_name, {});
    if (allowed)
      return password;
    last_refusal = allowed.error();
  }
  return MakeError("cannot generate a password this policy accepts: " +
                   last_refusal.message);
}

Result<Clock::WallTime> ParseSince(std::string_view text) {
  using namespace std::chrono;
  const auto bad = [&] {
    return MakeError("'" + std::string(text) +
                     "' is not a date (2026-11-01) or an ISO 8601 time "
                     "(2026-11-01T08:30:00Z)");
  };
  size_t pos = 0;
  auto y = Digits(text, pos, 4);
  if (!y || !Expect(text, pos, '-'))
    return bad();
  auto m = Digits(text, pos, 2);
  if (!m || !Expect(text, pos, '-'))
    return bad();
  auto d = Digits(text, pos, 2);
  if (!d)
    return bad();
  const year_month_day date{year(*y), month(static_cast<unsigned>(*m)),
                            day(static_cast<unsigned>(*d))};
  // Clock::WallTime counts nanoseconds in 64 bits: it ends in 2262.
  if (!date.ok() || *y < 1970 || *y > 2261)
    return bad();
  sys_time<milliseconds> time = sys_days(date);
  if (pos == text.size())
    return Clock::WallTime(time);

  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')
    return bad();
  ++pos;
  auto hh = Digits(text, pos, 2);
  if (!hh || *hh > 23 || !Expect(text, pos, ':'))
    return bad();
  auto mm = Digits(text, pos, 2);
  if (!mm || *mm > 59)
    return bad();
  int ss = 0;
  int ms = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    auto seconds_part = Digits(text, pos, 2);
    if (!seconds_part || *seconds_part > 59)
      return bad();
    ss = *seconds_part;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      size_t digits = 0;
      int scale = 100;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 3)
          ms += (text[pos] - '0') * scale;
        scale /= 10;
        ++digits;
        ++pos;
      }
      if (digits == 0)
        return bad();
    }
  }
  time += hours(*hh) + minutes(*mm) + seconds(ss) + milliseconds(ms);
  if (pos == text.size())
    return Clock::WallTime(time);
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    return Clock::WallTime(time);
  }
  if (text[pos] != '+' && text[pos] != '-')
    return bad();
  const int sign = text[pos] == '+' ? 1 : -1;
  ++pos;
  auto oh = Digits(text, pos, 2);
  if (!oh || *oh > 23)
    return bad();
  Expect(text, pos, ':');
  auto om = Digits(text, pos, 2);
  if (!om || *om > 59 || pos != text.size())
    return bad();
  // 08:30+02:00 is 06:30 UTC.
  time -= sign * (hours(*oh) + minutes(*om));
  return Clock::WallTime(time);
}

Result<void> WriteOutput(
    const std::filesystem::path& path,
    const std::function<Result<void>(std::ostream&)>& write) {
  if (path.empty()) {
    auto written = write(std::cout);
    std::cout.flush();
    if (written && !std::cout) {
      return MakeError("cannot write to standard output");
    }
    return written;
  }
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError("cannot create " + path.string() + ": " +
                     std::strerror(errno));
  }
  // An existing file keeps its mode on open(); exports stay owner-only.
  const bool private_mode = fchmod(fd, 0600) == 0;
  close(fd);
  if (!private_mode) {
    return MakeError("cannot make " + path.string() +
                     " owner-only: " + std::strerror(errno));
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return MakeError("cannot open " + path.string());
  auto written = write(out);
  out.close();
  if (written && !out)
    return MakeError("cannot write " + path.string());
  return written;
}

std::string PrintableText(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      c = '?';
  }
  return out;
}

}  // namespace tether::relay::admin
