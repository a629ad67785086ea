#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"

namespace tether::relay::web {

struct DownloadFile {
  std::string name;
  uint64_t size = 0;
  std::string sha256;     // hex
  std::string signature;  // the name of its .sig/.asc beside it, or empty
};

// The files the customer page offers (web.downloads): regular files with
// plain names (letters, digits, . _ - + ~), listed afresh on each look so
// IT can drop a new build in without a restart. Hashes are cached by name,
// size and modification time. Blocking (reads the files): call it off the
// loop. Thread-safe.
class DownloadsFolder {
 public:
  static constexpr size_t kMaxFiles = 64;

  explicit DownloadsFolder(std::filesystem::path folder);

  // Sorted by name; a missing folder is an empty list.
  Result<std::vector<DownloadFile>> List();
  // The path to stream for `name`, if the listing has it.
  Result<std::pair<std::filesystem::path, uint64_t>> Find(
      const std::string& name);

 private:
  struct Cached {
    uint64_t size = 0;
    std::filesystem::file_time_type modified;
    std::string sha256;
  };

  const std::filesystem::path folder_;
  std::mutex mutex_;
  std::map<std::string, Cached> hashes_;
};

// A name the folder may serve: 1 to 128 of A-Z a-z 0-9 . _ - + ~, not
// starting with '.'.
bool IsPlainFileName(std::string_view name);

}  // namespace tether::relay::web
