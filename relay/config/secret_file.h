#pragma once

// Secrets that relay.toml names but does not hold: the PostgreSQL and Redis
// passwords, the cluster's key. Each lives in a file of its own that only
// the relay (and its group) may read.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::relay {

struct SecretFile {
  std::filesystem::path path;
  std::string_view what;  // for messages: "the Redis password file"
  size_t min_bytes = 1;
  size_t max_bytes = 1024;
  // A password: one line, its line ending dropped, no NUL. Otherwise raw
  // bytes (a key), taken as they are.
  bool text = true;
};

// The file's content. Refused, with a message that names the file and
// never quotes it: a file others can read, too short, too long, unreadable.
Result<std::string> ReadSecretFile(const SecretFile& file);

}  // namespace tether::relay
