#pragma once

// The small files IT writes (relay.toml, tether-customer.toml,
// tether-supporter.toml and the files they name): reading them with a size
// limit, finding them, and quoting what is in them back safely.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::config {

// The whole file; refused once it grows past `max_bytes` (a config is
// small: a large file is the wrong one). `what` names it in errors:
// "cannot open config file /etc/tether/relay.toml: No such file ...".
Result<std::string> ReadSmallFile(const std::filesystem::path& path,
                                  size_t max_bytes,
                                  std::string_view what);

// "<name> is larger than 64KiB; is it the right file?"
std::string TooLargeMessage(std::string_view name, size_t max_bytes);

// User text quoted back in an error: control characters become '?' (a
// terminal or a window would misread them), and more than 64 bytes is cut.
std::string Printable(std::string_view text);

// "~" and "~/..." against $HOME; anything else as written.
std::filesystem::path ExpandHome(std::string_view path);

// The folder of the running program (where IT puts an app's config file);
// the working directory when /proc/self/exe cannot be read.
std::filesystem::path ProgramFolder();

}  // namespace tether::config
