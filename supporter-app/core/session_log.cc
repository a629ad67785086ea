#include "supporter-app/core/session_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/bytes.h"
#include "base/json_string.h"
#include "base/log.h"
#include "base/utf8.h"

namespace tether::supporter {

namespace {

constexpr std::array<std::pair<SessionLogEvent, const char*>, 19> kEventNames{{
    {SessionLogEvent::kSessionStarted, "session_started"},
    {SessionLogEvent::kCustomerJoined, "customer_joined"},
    {SessionLogEvent::kJoinAccepted, "join_accepted"},
    {SessionLogEvent::kJoinRejected, "join_rejected"},
    {SessionLogEvent::kSasShown, "sas_shown"},
    {SessionLogEvent::kTermsAnswered, "terms_answered"},
    {SessionLogEvent::kConsentAsked, "consent_asked"},
    {SessionLogEvent::kConsentAnswered, "consent_answered"},
    {SessionLogEvent::kControlOn, "control_on"},
    {SessionLogEvent::kControlOff, "control_off"},
    {SessionLogEvent::kViewSwitch, "view_switch"},
    {SessionLogEvent::kFileOffered, "file_offered"},
    {SessionLogEvent::kFileDone, "file_done"},
    {SessionLogEvent::kChat, "chat"},
    {SessionLogEvent::kClipboardSent, "clipboard_sent"},
    {SessionLogEvent::kRecordingStarted, "recording_started"},
    {SessionLogEvent::kRecordingStopped, "recording_stopped"},
    {SessionLogEvent::kEmergencyStop, "emergency_stop"},
    {SessionLogEvent::kSessionEnded, "session_ended"},
}};

constexpr std::string_view kTruncated = " [truncated]";
constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

// ---- UTF-8 ------------------------------------------------------------------

// Valid UTF-8: each invalid byte becomes U+FFFD. Then cut to `max_bytes`
// on a character boundary, marked, so a huge chat message cannot make a
// line the reader refuses.
std::string CleanValue(std::string_view in, size_t max_bytes) {
  std::string out = ToValidUtf8(in);
  if (out.size() <= max_bytes)
    return out;
  size_t cut = max_bytes - kTruncated.size();
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80)
    --cut;
  out.resize(cut);
  out += kTruncated;
  return out;
}

// ---- Writing ----------------------------------------------------------------

// For the readable file: one event stays one line, and nothing in a value
// can reorder what a viewer shows (bidirectional overrides).
std::string ReadableValue(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t length = ValidUtf8Length(std::string_view(s).substr(i));
    if (length == 0) {  // cleaned already; stays safe if not
      out += kReplacement;
      ++i;
      continue;
    }
    const char32_t cp =
        DecodeUtf8Sequence(std::string_view(s).substr(i), length);
    i += length;
    if (cp == U'\n') {
      out += "\\n";
    } else if (cp == U'\t') {
      out += "\\t";
    } else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
               (cp >= 0x202a && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029) {
      out += kReplacement;
    } else {
      AppendUtf8(cp, out);
    }
  }
  return out;
}

bool IsYes(std::string_view value) {
  return value == "yes" || value == "true" || value == "1";
}

// The readable line's text: a sentence for the event with its main
// fields, then every other field as "(name: value, ...)".
std::string Describe(SessionLogEvent event,
                     SessionLog::Fields fields /* cleaned */) {
  const auto take = [&fields](std::string_view name) -> std::string {
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const auto& f) { return f.first == name; });
    if (it == fields.end())
      return "?";
    std::string value = ReadableValue(it->second);
    fields.erase(it);
    return value;
  };
  std::string text;
  switch (event) {
    case SessionLogEvent::kSessionStarted:
      text = "Session started";
      break;
    case SessionLogEvent::kCustomerJoined:
      text = "Customer joined";
      break;
    case SessionLogEvent::kJoinAccepted:
      text = "Technician accepted the customer";
      break;
    case SessionLogEvent::kJoinRejected:
      text = "Technician turned the customer away";
      break;
    case SessionLogEvent::kSasShown:
      text = "Security code shown: " + take("sas");
      break;
    case SessionLogEvent::kTermsAnswered:
      text = IsYes(take("agreed")) ? "Customer agreed to the terms"
                                   : "Customer did not agree to the terms";
      break;
    case SessionLogEvent::kConsentAsked:
      text = "Asked the customer: " + take("permission");
      break;
    case SessionLogEvent::kConsentAnswered: {
      const std::string permission = take("permission");
      text = (IsYes(take("granted")) ? "Customer allowed: "
                                     : "Customer refused: ") +
             permission;
      break;
    }
    case SessionLogEvent::kControlOn:
      text = "Remote control on";
      break;
    case SessionLogEvent::kControlOff:
      text = "Remote control off";
      break;
    case SessionLogEvent::kViewSwitch:
      // "on" follows as a field: what it names is the session's to say.
      text = "View switch";
      break;
    case SessionLogEvent::kFileOffered:
      text = "File offered: " + take("name");
      break;
    case SessionLogEvent::kFileDone: {
      const std::string name = take("name");
      text = "File " + name + ": " + take("result");
      break;
    }
    case SessionLogEvent::kChat: {
      const std::string from = take("from");
      text = "Chat from " + from + ": " + take("text");
      break;
    }
    case SessionLogEvent::kClipboardSent:
      text = "Clipboard sent";
      break;
    case SessionLogEvent::kRecordingStarted:
      text = "Recording started: " + take("path");
      break;
    case SessionLogEvent::kRecordingStopped:
      text = "Recording stopped: " + take("path");
      break;
    case SessionLogEvent::kEmergencyStop:
      text = "Customer pressed STOP";
      break;
    case SessionLogEvent::kSessionEnded:
      text = "Session ended";
      break;
  }
  if (!fields.empty()) {
    text += " (";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0)
        text += ", ";
      text += ReadableValue(fields[i].first) + ": " +
              ReadableValue(fields[i].second);
    }
    text += ")";
  }
  return text;
}

struct Timestamps {
  std::string iso;       // 2026-11-23T14:02:11.123Z
  std::string readable;  // 2026-11-23 14:02:11 UTC
  std::string file;      // 2026-11-23_14-02-11
};

Timestamps FormatTime(Clock::WallTime time) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day date(day);
  const hh_mm_ss clock_time(ms - day);
  const int y = static_cast<int>(date.year());
  const unsigned mo = static_cast<unsigned>(date.month());
  const unsigned d = static_cast<unsigned>(date.day());
  const auto h = static_cast<int>(clock_time.hours().count());
  const auto mi = static_cast<int>(clock_time.minutes().count());
  const auto s = static_cast<int>(clock_time.seconds().count());
  const auto milli = static_cast<int>(clock_time.subseconds().count());
  char iso[64], readable[64], file[64];
  std::snprintf(iso, sizeof(iso), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, mo,
                d, h, mi, s, milli);
  std::snprintf(readable, sizeof(readable), "%04d-%02u-%02u %02d:%02d:%02d UTC",
                y, mo, d, h, mi, s);
  std::snprintf(file, sizeof(file), "%04d-%02u-%02u_%02d-%02d-%02d", y, mo, d,
                h, mi, s);
  return {iso, readable, file};
}

bool IsValidCode(const std::string& code) {
  return !code.empty() && code.size() <= 32 &&
         std::all_of(code.begin(), code.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                  (c >= 'A' && c <= 'Z') || c == '-';
         });
}

// Appends `line` with as few write(2) calls as the kernel allows. A failed
// write leaves a partial line on disk: it is cut off again, so the file
// holds whole lines only and the next line starts clean. Returns 0 or an
// errno.
int AppendLine(int fd, off_t& size, std::string_view line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      if (done > 0 && ::ftruncate(fd, size) != 0) {
        log::Warn("session log: cannot cut off a partial line: {}",
                  std::strerror(errno));
      }
      return error;
    }
    done += static_cast<size_t>(n);
  }
  size += static_cast<off_t>(line.size());
  return 0;
}

}  // namespace

const char* SessionLogEventName(SessionLogEvent event) {
  for (const auto& [value, name] : kEventNames) {
    if (value == event)
      return name;
  }
  return "unknown";
}

std::optional<SessionLogEvent> SessionLogEventFromName(std::string_view name) {
  for (const auto& [value, event_name] : kEventNames) {
    if (name == event_name)
      return value;
  }
  return std::nullopt;
}

// Durability: each line goes to the kernel with write(2) at once, which
// survives a crash of this app. There is no fsync: it would protect only
// against a power cut, and costs the owner thread (the session's) a disk
// flush per event -- tens of milliseconds on a busy disk, seconds on NFS.
struct SessionLog::Impl {
  const Clock& clock;
  std::filesystem::path json_path;
  std::filesystem::path text_path;
  int json_fd = -1;
  int text_fd = -1;
  off_t json_size = 0;
  off_t text_size = 0;
  bool failing = false;  // the last Write failed on the disk

  explicit Impl(const Clock& c) : clock(c) {}
  ~Impl() {
    if (json_fd >= 0)
      ::close(json_fd);
    if (text_fd >= 0)
      ::close(text_fd);
  }
};

Result<std::unique_ptr<SessionLog>> SessionLog::Create(
    const std::filesystem::path& dir,
    const std::string& code,
    const Clock& clock) {
  if (!IsValidCode(code))
    return MakeError("the session code cannot be part of a file name");
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    return MakeError("the protocol folder " + dir.string() +
                     " cannot be opened: " + std::strerror(errno));
  }
  auto impl = std::make_unique<Impl>(clock);
  const std::string base = FormatTime(clock.WallNow()).file + "_" + code;
  const std::string json_name = base + ".jsonl";
  const std::string text_name = base + ".txt";
  impl->json_path = dir / json_name;
  impl->text_path = dir / text_name;
  constexpr int kFlags =
      O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
  impl->json_fd = ::openat(dir_fd, json_name.c_str(), kFlags, 0600);
  int error = errno;
  if (impl->json_fd >= 0) {
    impl->text_fd = ::openat(dir_fd, text_name.c_str(), kFlags, 0600);
    error = errno;
    if (impl->text_fd < 0) {
      // Only what we made goes again: the .txt name was taken or failed.
      ::close(impl->json_fd);
      impl->json_fd = -1;
      ::unlinkat(dir_fd, json_name.c_str(), 0);
    }
  }
  ::close(dir_fd);
  if (impl->text_fd < 0) {
    return MakeError("cannot create the session log " + base + " in " +
                     dir.string() + ": " + std::strerror(error));
  }
  // The folder only: the file names carry the session code, which logs
  // never show in clear.
  log::Info("session log: writing to {}", dir.string());
  return std::unique_ptr<SessionLog>(new SessionLog(std::move(impl)));
}

SessionLog::SessionLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SessionLog::~SessionLog() = default;

const std::filesystem::path& SessionLog::json_path() const {
  return impl_->json_path;
}

const std::filesystem::path& SessionLog::text_path() const {
  return impl_->text_path;
}

Result<void> SessionLog::Write(SessionLogEvent event, const Fields& fields) {
  const char* name = SessionLogEventName(event);
  if (!SessionLogEventFromName(name))
    return MakeError("session log: unknown event");
  if (fields.size() > kMaxFields)
    return MakeError("session log: too many fields");
  Fields clean;
  clean.reserve(fields.size());
  for (const auto& [key, value] : fields) {
    if (key == "time" || key == "event" || key.size() > kMaxFieldNameBytes ||
        CleanValue(key, kMaxFieldNameBytes) != key) {
      return MakeError("session log: bad field name");
    }
    const bool duplicate =
        std::any_of(clean.begin(), clean.end(),
                    [&](const auto& f) { return f.first == key; });
    if (duplicate)
      return MakeError("session log: field named twice");
    clean.emplace_back(key, CleanValue(value, kMaxFieldValueBytes));
  }

  const Timestamps time = FormatTime(impl_->clock.WallNow());
  std::string json =
      "{\"time\":\"" + time.iso + "\",\"event\":\"" + name + "\"";
  for (const auto& [key, value] : clean) {
    json += ',';
    AppendJsonString(json, key);
    json += ':';
    AppendJsonString(json, value);
  }
  json += "}\n";
  const std::string text =
      time.readable + "  " + Describe(event, std::move(clean)) + "\n";

  const char* failed_file = "";
  int error = AppendLine(impl_->json_fd, impl_->json_size, json);
  if (error != 0) {
    failed_file = "jsonl";
  } else {
    error = AppendLine(impl_->text_fd, impl_->text_size, text);
    failed_file = "txt";
  }
  if (error != 0) {
    if (!impl_->failing) {
      log::Warn("session log: cannot write the {} file: {}", failed_file,
                std::strerror(error));
    }
    impl_->failing = true;
    return MakeTemporaryError(std::string("the session log (") + failed_file +
                              ") cannot be written: " + std::strerror(error));
  }
  if (impl_->failing) {
    log::Info("session log: writing works again");
    impl_->failing = false;
  }
  return {};
}

// ---- Reading ----------------------------------------------------------------

namespace {

// A strict parser of one line as Write() makes it.
class LineParser {
 public:
  LineParser(std::string_view line, size_t line_number)
      : line_(line), number_(line_number) {}

  Result<ProtocolEntry> Parse() {
    ProtocolEntry entry;
    if (!Consume('{'))
      return Fail("does not start with '{'");
    size_t index = 0;
    while (true) {
      std::string key, value;
      TETHER_RETURN_IF_ERROR(ParseString(key, kMaxFieldNameBytes));
      if (!Consume(':'))
        return Fail("expected ':'");
      TETHER_RETURN_IF_ERROR(ParseString(value, kMaxFieldValueBytes));
      if (index == 0) {
        if (key != "time")
          return Fail("the first field is not \"time\"");
        if (!IsIsoTime(value))
          return Fail("bad time");
        entry.time = std::move(value);
      } else if (index == 1) {
        if (key != "event")
          return Fail("the second field is not \"event\"");
        if (!SessionLogEventFromName(value))
          return Fail("unknown event");
        entry.event = std::move(value);
      } else {
        if (key == "time" || key == "event")
          return Fail("field named twice");
        const bool duplicate =
            std::any_of(entry.fields.begin(), entry.fields.end(),
                        [&](const auto& f) { return f.first == key; });
        if (duplicate)
          return Fail("field named twice");
        if (entry.fields.size() == kMaxFields)
          return Fail("too many fields");
        entry.fields.emplace_back(std::move(key), std::move(value));
      }
      ++index;
      if (Consume('}'))
        break;
      if (!Consume(','))
        return Fail("expected ',' or '}'");
    }
    if (index < 2)
      return Fail("has no event");
    if (pos_ != line_.size())
      return Fail("has text after the object");
    return entry;
  }

 private:
  Unexpected<Error> Fail(const std::string& what) const {
    return MakeError("session log line " + std::to_string(number_) + ": " +
                     what);
  }

  bool Consume(char c) {
    if (pos_ < line_.size() && line_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Result<void> ParseString(std::string& out, size_t max_bytes) {
    if (!Consume('"'))
      return Fail("expected a string");
    while (true) {
      if (pos_ >= line_.size())
        return Fail("unterminated string");
      if (out.size() > max_bytes)
        return Fail("string too long");
      const auto c = static_cast<unsigned char>(line_[pos_]);
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c < 0x20)
        return Fail("control character in a string");
      if (c != '\\') {
        const size_t length =
            ValidUtf8Length(std::string_view(line_).substr(pos_));
        if (length == 0)
          return Fail("invalid UTF-8");
        out.append(line_.substr(pos_, length));
        pos_ += length;
        continue;
      }
      if (++pos_ >= line_.size())
        return Fail("unterminated escape");
      const char e = line_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (line_.size() - pos_ < 4)
            return Fail("short \\u escape");
          char32_t cp = 0;
          for (int k = 0; k < 4; ++k) {
            const int digit = HexDigitValue(line_[pos_++]);
            if (digit < 0)
              return Fail("bad \\u escape");
            cp = (cp << 4) | static_cast<char32_t>(digit);
          }
          // Write() never splits a character into surrogates.
          if (cp >= 0xd800 && cp <= 0xdfff)
            return Fail("surrogate in \\u escape");
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Fail("unknown escape");
      }
    }
    if (out.size() > max_bytes)
      return Fail("string too long");
    return {};
  }

  // yyyy-mm-ddThh:mm:ss.mmmZ
  static bool IsIsoTime(std::string_view t) {
    static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (t.size() != kPattern.size())
      return false;
    for (size_t i = 0; i < t.size(); ++i) {
      if (kPattern[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != kPattern[i])
        return false;
    }
    const auto number = [&](size_t at, size_t n) {
      int v = 0;
      for (size_t i = at; i < at + n; ++i)
        v = v * 10 + (t[i] - '0');
      return v;
    };
    const int month = number(5, 2), day = number(8, 2);
    return month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
           number(11, 2) <= 23 && number(14, 2) <= 59 && number(17, 2) <= 60;
  }

  std::string_view line_;
  size_t number_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<ProtocolEntry>> ReadSessionLog(std::string_view jsonl) {
  if (jsonl.size() > kMaxProtocolFileBytes)
    return MakeError("the session log is larger than 16 MiB");
  std::vector<ProtocolEntry> entries;
  size_t pos = 0;
  for (size_t number = 1; pos < jsonl.size(); ++number) {
    const size_t end = jsonl.find('\n', pos);
    const size_t length =
        (end == std::string_view::npos ? jsonl.size() : end) - pos;
    if (length > kMaxProtocolLineBytes) {
      return MakeError("session log line " + std::to_string(number) +
                       ": longer than 1 MiB");
    }
    if (end == std::string_view::npos) {
      return MakeError("session log line " + std::to_string(number) +
                       ": not terminated (cut off?)");
    }
    TETHER_TRY(entry, LineParser(jsonl.substr(pos, length), number).Parse());
    entries.push_back(*std::move(entry));
    pos = end + 1;
  }
  return entries;
}

}  // namespace tether::supporter
