#include "relay/store/record_writer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <string_view>

#include "base/json_string.h"

namespace tether::relay {
namespace {

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

}  // namespace tether::relay
