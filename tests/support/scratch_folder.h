#pragma once

// A new private folder (mkdtemp: mode 0700) for a server or a test's files:
// in /dev/shm when it is writable (nothing written to disk, no fsync cost),
// else in $TMPDIR or /tmp. Its owner removes it.

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::test {

// `prefix`: the start of the folder's name ("tether-redis").
inline Result<std::filesystem::path> MakeScratchFolder(
    std::string_view prefix) {
  std::string parent = "/dev/shm";
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    const char* tmpdir = std::getenv("TMPDIR");
    parent = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  std::string pattern = parent + "/" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    return MakeError("mkdtemp in " + parent + " failed");
  return std::filesystem::path(pattern);
}

}  // namespace tether::test
