#include "relay/store/record_writer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ostream>

#include "base/json_string.h"

namespace tether::relay {

std::string FormatIsoUtc(Clock::WallTime time) {
  using std::chrono::milliseconds;
  auto ms = std::chrono::floor<milliseconds>(time);
  auto day = std::chrono::floor<std::chrono::days>(ms);
  std::chrono::year_month_day date(day);
  std::chrono::hh_mm_ss<milliseconds> clock_time(ms - day);
  char text[40];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()),
                static_cast<int>(clock_time.hours().count()),
                static_cast<int>(clock_time.minutes().count()),
                static_cast<int>(clock_time.seconds().count()),
                static_cast<int>(clock_time.subseconds().count()));
  return text;
}

void AppendCsvField(std::string& out, std::string_view field) {
  bool guard = !field.empty() &&
               (field[0] == '=' || field[0] == '+' || field[0] == '-' ||
                field[0] == '@' || field[0] == '\t' || field[0] == '\r');
  bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos;
  if (quote)
    out.push_back('"');
  if (guard)
    out.push_back('\'');
  for (char c : field) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  if (quote)
    out.push_back('"');
}

RecordWriter::RecordWriter(ExportFormat format,
                           std::ostream& out,
                           std::initializer_list<std::string_view> columns)
    : format_(format), out_(out), columns_(columns) {
  if (format_ != ExportFormat::kCsv)
    return;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0)
      line_.push_back(',');
    AppendCsvField(line_, columns_[i]);
  }
  line_ += "\r\n";
  out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
  line_.clear();
}

void RecordWriter::StartField() {
  if (format_ == ExportFormat::kCsv) {
    if (field_ > 0)
      line_.push_back(',');
  } else {
    line_.push_back(field_ == 0 ? '{' : ',');
    AppendJsonString(line_, columns_[field_]);
    line_.push_back(':');
  }
  ++field_;
}

void RecordWriter::Text(std::string_view value) {
  StartField();
  if (format_ == ExportFormat::kCsv) {
    AppendCsvField(line_, value);
  } else {
    AppendJsonString(line_, value);
  }
}

void RecordWriter::Number(int64_t value) {
  // Numbers are ours, never user text: no formula guard, no quotes.
  StartField();
  line_ += std::to_string(value);
}

Result<void> RecordWriter::EndRecord() {
  if (field_ != columns_.size())
    std::abort();  // a bug in the caller
  line_ += format_ == ExportFormat::kCsv ? "\r\n" : "}\n";
  out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
  line_.clear();
  field_ = 0;
  if (!out_)
    return MakeError("writing the export failed");
  return {};
}

Result<void> RecordWriter::Finish() {
  out_.flush();
  if (!out_)
    return MakeError("writing the export failed");
  return {};
}

}  // namespace tether::relay
