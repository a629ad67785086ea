#pragma once

// Helpers for the store's tests: a scratch directory, an "attacker" SQLite
// connection that bypasses the store, and independent CSV / JSON parsers
// that read exports back (written apart from relay/store/record_writer.cc
// so a shared misunderstanding can't hide).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay/store/store.h"

namespace tether::relay::test {

// A fresh directory, removed with its contents at the end of the test.
// Prefers /dev/shm: the store commits with synchronous=FULL, an fsync that
// costs milliseconds per commit on a disk but nothing on tmpfs, so tests
// run the production configuration and stay fast.
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code error;
    std::filesystem::path base = "/dev/shm";
    if (!std::filesystem::is_directory(base, error) ||
        ::access(base.c_str(), W_OK) != 0) {
      base = ::testing::TempDir();
    }
    std::string pattern = (base / "tether_store_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed under " << base;
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A technician account as CreateAccount takes it.
inline Account Technician(std::string name) {
  Account account;
  account.user_name = std::move(name);
  account.display_name = "Test Technician";
  account.role = AccountRole::kTechnician;
  account.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
  return account;
}

// The records at or after `since`.
inline RecordQuery Since(Clock::WallTime since) {
  RecordQuery query;
  query.since = since;
  return query;
}

// A supporter's connection that ended normally.
inline ConnectionEvent SupporterEvent(Clock::WallTime started_at) {
  ConnectionEvent event;
  event.started_at = started_at;
  event.duration = std::chrono::milliseconds(90'500);
  event.account = "alice";
  event.role = "supporter";
  event.source_address = "203.0.113.7:51234";
  event.code_hmac = std::string(64, 'a');
  event.bytes_in = 1'000'000;
  event.bytes_out = 5'000'000'000;
  event.end_reason = "peer closed";
  return event;
}

// Runs SQL on the database file through a connection of its own, as someone
// with access to the file would. Returns SQLite's error message, or "" on
// success.
inline std::string RawExec(const std::filesystem::path& db_path,
                           const std::string& sql) {
  sqlite3* db = nullptr;
  std::string error;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
  } else {
    sqlite3_busy_timeout(db, 5000);
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) !=
        SQLITE_OK) {
      error = message != nullptr ? message : "unknown error";
    }
    sqlite3_free(message);
  }
  sqlite3_close(db);
  return error;
}

// First column of the first row, as text ("" when none).
inline std::string RawQuery(const std::filesystem::path& db_path,
                            const std::string& sql) {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open(db_path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW &&
        sqlite3_column_text(statement, 0) != nullptr) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

// RFC 4180: CRLF between records, "" for a quote inside a quoted field.
// Returns nothing on malformed input.
inline std::optional<std::vector<std::vector<std::string>>> ParseCsv(
    std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      ++i;
      for (;;) {
        if (i >= text.size())
          return std::nullopt;  // unterminated
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(text[i++]);
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\r' &&
             text[i] != '\n') {
        if (text[i] == '"')
          return std::nullopt;  // quote in a bare field
        field.push_back(text[i++]);
      }
    }
    record.push_back(std::move(field));
    field.clear();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (text.substr(i, 2) != "\r\n")
      return std::nullopt;
    i += 2;
    records.push_back(std::move(record));
    record.clear();
  }
  return records;
}

// One JSON object whose values are strings or integers; integers come back
// as their digits. Returns nothing on malformed input.
inline std::optional<std::map<std::string, std::string>> ParseJsonObject(
    std::string_view text) {
  std::size_t i = 0;
  auto hex4 = [&](uint32_t& out) {
    if (i + 4 > text.size())
      return false;
    out = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  };
  auto put_utf8 = [](std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  };
  auto string = [&](std::string& out) {
    if (i >= text.size() || text[i] != '"')
      return false;
    ++i;
    while (i < text.size() && text[i] != '"') {
      auto c = static_cast<unsigned char>(text[i]);
      if (c < 0x20)
        return false;  // raw control characters are invalid
      if (c != '\\') {
        out.push_back(text[i++]);
        continue;
      }
      if (++i >= text.size())
        return false;
      char e = text[i++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp))
            return false;
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low = 0;
            if (text.substr(i, 2) != "\\u")
              return false;
            i += 2;
            if (!hex4(low) || low < 0xdc00 || low > 0xdfff)
              return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          put_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    if (i >= text.size())
      return false;
    ++i;
    return true;
  };

  std::map<std::string, std::string> object;
  if (text.empty() || text[i++] != '{')
    return std::nullopt;
  while (i < text.size() && text[i] != '}') {
    std::string key;
    std::string value;
    if (!string(key) || i >= text.size() || text[i++] != ':') {
      return std::nullopt;
    }
    if (i < text.size() && text[i] == '"') {
      if (!string(value))
        return std::nullopt;
    } else {
      while (i < text.size() &&
             (text[i] == '-' || (text[i] >= '0' && text[i] <= '9'))) {
        value.push_back(text[i++]);
      }
      if (value.empty())
        return std::nullopt;
    }
    object[key] = value;
    if (i < text.size() && text[i] == ',')
      ++i;
  }
  if (i + 1 != text.size())
    return std::nullopt;  // '}' must end the line
  return object;
}

// Splits JSON Lines output; every line must end with '\n'.
inline std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != text.npos;
       start = end + 1) {
    lines.emplace_back(text.substr(start, end - start));
  }
  EXPECT_EQ(start, text.size()) << "output does not end with a newline";
  return lines;
}

}  // namespace tether::relay::test
