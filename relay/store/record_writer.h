#pragma once

// Writes exported records as CSV (RFC 4180) or JSON Lines, by hand: the
// formats are small, and an escaper we can read is easier to trust than a
// dependency (JSON strings: base/json_string.h).

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "relay/store/store.h"

namespace tether::relay {

// ISO 8601 in UTC with milliseconds: "2026-11-23T08:12:00.123Z".
std::string FormatIsoUtc(Clock::WallTime time);

// A time as --since and the web console's filters take it: "2026-11-01"
// (midnight UTC) or an ISO 8601 date and time "2026-11-01T08:30[:00[.123]]"
// with an optional "Z" or "+02:00"; a time without offset is UTC, like the
// times in every export.
Result<Clock::WallTime> ParseSince(std::string_view text);

// Appends one CSV text field. A field that a spreadsheet would run as a
// formula (first character = + - @, tab or carriage return) gets a leading
// single quote, so an exported "=HYPERLINK(...)" user name stays text
// (OWASP "CSV injection"); such a field therefore no longer reads back
// byte for byte, which is what JSON Lines is for. Fields holding a comma,
// quote, CR or LF are quoted, with quotes doubled.
void AppendCsvField(std::string& out, std::string_view field);

// One record at a time, fields in the order of `columns`:
//   RecordWriter w(format, out, {"id", "actor"});
//   w.Number(1); w.Text("alice"); w.EndRecord();
// CSV starts with a header row and ends lines with CRLF (RFC 4180); JSON
// Lines writes one object per line, keyed by column name, LF-terminated.
class RecordWriter {
 public:
  RecordWriter(ExportFormat format,
               std::ostream& out,
               std::initializer_list<std::string_view> columns);
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  void Text(std::string_view value);
  void Number(int64_t value);
  void Time(Clock::WallTime time) { Text(FormatIsoUtc(time)); }
  // Writes the record; fails once the stream has failed.
  Result<void> EndRecord();
  // Flushes; fails when anything could not be written.
  Result<void> Finish();

 private:
  void StartField();

  ExportFormat format_;
  std::ostream& out_;
  std::vector<std::string_view> columns_;
  std::string line_;
  std::size_t field_ = 0;
};

}  // namespace tether::relay
