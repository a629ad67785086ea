// Two checks per input:
// 1. The input as a .jsonl file: ReadSessionLog never crashes, and what it
//    accepts has a well-formed time, a known event and at most kMaxFields
//    fields.
// 2. The input as an event to write: its first byte picks the event, the
//    rest are fields ([1-byte name length][name][2-byte value length]
//    [value], repeated). Write either refuses it (a bad field set, nothing
//    written) or ReadSessionLog reads back exactly what was written: the same
//    event, time and names, and values identical where they were valid
//    UTF-8 within the limit (else valid UTF-8 within the limit), and the
//    readable file holds exactly one line.

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "base/log.h"
#include "base/utf8.h"
#include "supporter-app/core/session_log.h"
#include "tests/fakes/manual_clock.h"

namespace {

using tether::supporter::kMaxFieldNameBytes;
using tether::supporter::kMaxFields;
using tether::supporter::kMaxFieldValueBytes;
using tether::supporter::ReadSessionLog;
using tether::supporter::SessionLog;
using tether::supporter::SessionLogEvent;

void Check(bool ok) {
  if (!ok)
    std::abort();
}

bool ValidUtf8(std::string_view s) {
  return tether::DecodeUtf8(s).has_value();
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A private folder for the files each round trip makes (and removes),
// itself removed at exit.
class TempDir {
 public:
  TempDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "tether_protocol_fuzz_XXXXXX")
            .string();
    Check(mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

const std::filesystem::path& Dir() {
  static const TempDir dir;
  return dir.path();
}

void CheckRead(std::string_view input) {
  auto entries = ReadSessionLog(input);
  if (!entries) {
    Check(entries.error().message.find("line") != std::string::npos);
    return;
  }
  for (const auto& entry : *entries) {
    Check(entry.time.size() == 24 && entry.time.back() == 'Z');
    Check(tether::supporter::SessionLogEventFromName(entry.event).has_value());
    Check(entry.fields.size() <= kMaxFields);
    for (const auto& [name, value] : entry.fields) {
      Check(ValidUtf8(name) && ValidUtf8(value));
      Check(value.size() <= kMaxFieldValueBytes);
    }
  }
}

void CheckRoundTrip(std::string_view input) {
  if (input.empty())
    return;
  const auto event =
      static_cast<SessionLogEvent>(static_cast<uint8_t>(input[0]) % 19);
  SessionLog::Fields fields;
  size_t pos = 1;
  while (pos < input.size()) {
    const size_t name_length = static_cast<uint8_t>(input[pos++]);
    const std::string name(input.substr(pos, name_length));
    pos += name.size();
    size_t value_length = 0;
    for (int i = 0; i < 2 && pos < input.size(); ++i)
      value_length = value_length << 8 | static_cast<uint8_t>(input[pos++]);
    const std::string value(input.substr(pos, value_length));
    pos += value.size();
    fields.emplace_back(name, value);
  }

  static uint64_t counter = 0;
  tether::test::ManualClock clock;
  auto protocol = SessionLog::Create(
      Dir(), "f" + std::to_string(getpid()) + "-" + std::to_string(++counter),
      clock);
  Check(protocol.has_value());
  const auto json_path = (*protocol)->json_path();
  const auto text_path = (*protocol)->text_path();
  auto written = (*protocol)->Write(event, fields);
  protocol->reset();
  const std::string json = ReadAll(json_path);
  const std::string text = ReadAll(text_path);
  std::filesystem::remove(json_path);
  std::filesystem::remove(text_path);

  if (!written) {
    // Only our own bad calls are refused here (the disk is fine).
    Check(!written.error().temporary());
    std::set<std::string> names;
    bool bad = fields.size() > kMaxFields;
    for (const auto& [name, value] : fields) {
      bad = bad || name == "time" || name == "event" ||
            name.size() > kMaxFieldNameBytes || !ValidUtf8(name) ||
            !names.insert(name).second;
    }
    Check(bad);
    Check(json.empty() && text.empty());
    return;
  }
  auto entries = ReadSessionLog(json);
  Check(entries.has_value());
  Check(entries->size() == 1);
  const auto& entry = (*entries)[0];
  Check(entry.time == "2026-11-23T00:00:00.000Z");
  Check(entry.event == tether::supporter::SessionLogEventName(event));
  Check(entry.fields.size() == fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    Check(entry.fields[i].first == fields[i].first);
    const std::string& in = fields[i].second;
    const std::string& out = entry.fields[i].second;
    if (ValidUtf8(in) && in.size() <= kMaxFieldValueBytes) {
      Check(out == in);
    } else {
      Check(ValidUtf8(out) && out.size() <= kMaxFieldValueBytes);
    }
  }
  Check(!text.empty() && text.back() == '\n' &&
        text.find('\n') == text.size() - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A log line per created protocol would cost more than the checks.
  static const bool quiet = [] {
    tether::log::Init("session_log_fuzzer", tether::log::Level::kOff);
    return true;
  }();
  (void)quiet;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckRead(input);
  CheckRoundTrip(input);
  return 0;
}
