#pragma once

// The session log ("Fernwartungsprotokoll"): every event of a support
// session with a timestamp, written as it happens to two files in the folder
// the technician chose:
//   <dir>/<yyyy-mm-dd_hh-mm-ss>_<code>.jsonl  one JSON object per line
//   <dir>/<yyyy-mm-dd_hh-mm-ss>_<code>.txt    the same, readable
// The name's time is UTC, like the lines. Each line is flushed when written
// (one write(2) per line, no user-space buffer), so a crash loses at most
// the line in progress. Never contains keys, passwords, screen content,
// keystrokes or clipboard text (chat text is part of the record; the technician
// and the customer both see it).
//
// Threads: one owner thread.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace tether::supporter {

// Event kinds, in the spelling the JSON "event" field uses.
enum class SessionLogEvent {
  kSessionStarted,  // code, technician, relay
  kCustomerJoined,  // host, user, address
  kJoinAccepted,
  kJoinRejected,
  kSasShown,         // sas
  kTermsAnswered,    // agreed
  kConsentAsked,     // permission, detail
  kConsentAnswered,  // permission, granted
  kControlOn,
  kControlOff,  // by (customer / technician)
  kViewSwitch,  // on
  // Files the customer sends carry direction "from_customer" (and kFileDone
  // the saved path); without it a file went to the customer.
  kFileOffered,       // [direction], name, size, sha256
  kFileDone,          // [direction], name, size, result, [path]
  kChat,              // from, text
  kClipboardSent,     // bytes (never the text)
  kRecordingStarted,  // path
  kRecordingStopped,  // path, frames, duration
  kEmergencyStop,
  kSessionEnded,  // reason, message
};
// "session_started", ...; "unknown" for a value outside the enum.
const char* SessionLogEventName(SessionLogEvent event);
std::optional<SessionLogEvent> SessionLogEventFromName(std::string_view name);

// Limits of the format. Write() keeps every line within kMaxProtocolLineBytes
// (values are cut to kMaxFieldValueBytes, whatever their escaping), so
// ReadSessionLog() reads back whatever Write() produced.
inline constexpr size_t kMaxProtocolFileBytes = 16 << 20;
inline constexpr size_t kMaxProtocolLineBytes = 1 << 20;
inline constexpr size_t kMaxFieldValueBytes = 8 << 10;
inline constexpr size_t kMaxFieldNameBytes = 64;
inline constexpr size_t kMaxFields = 16;

class SessionLog {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // Creates both files (0600, O_EXCL: never replacing one, never following
  // a symlink). `code` becomes part of the names, so it must be 1-32
  // characters of [0-9A-Za-z-]. `clock` must outlive the protocol.
  static Result<std::unique_ptr<SessionLog>> Create(
      const std::filesystem::path& dir,
      const std::string& code,
      const Clock& clock = Clock::System());
  ~SessionLog();
  SessionLog(const SessionLog&) = delete;
  SessionLog& operator=(const SessionLog&) = delete;

  // Appends one event with its fields (strings; the writer escapes them,
  // replaces invalid UTF-8 with U+FFFD and cuts a value longer than
  // kMaxFieldValueBytes, marking it "[truncated]").
  // Errors:
  // - our own bad call (a field named "time" or "event", a name twice or
  //   too long, more than kMaxFields, an unknown event): permanent, nothing
  //   is written;
  // - the disk (full, I/O error): temporary; any part of the line already
  //   written is cut off again, so both files stay whole lines. Every
  //   failed Write returns its error, it is logged once per run of
  //   failures, and the next Write simply tries again.
  Result<void> Write(SessionLogEvent event, const Fields& fields = {});

  const std::filesystem::path& json_path() const;
  const std::filesystem::path& text_path() const;

 private:
  struct Impl;
  explicit SessionLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads a .jsonl protocol back (for tests and an audit viewer): events in
// order with their fields. Size-limited (kMaxProtocolFileBytes in all,
// kMaxProtocolLineBytes a line), strict: exactly the form Write() produces
// (no spaces, "time" then "event" then the fields, string values only,
// every line ends in '\n'), else an error naming the line; a fuzz target.
struct ProtocolEntry {
  std::string time;  // ISO 8601 UTC with milliseconds
  std::string event;
  SessionLog::Fields fields;
};
Result<std::vector<ProtocolEntry>> ReadSessionLog(std::string_view jsonl);

}  // namespace tether::supporter
