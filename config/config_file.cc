#include "config/config_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/byte_size.h"
#include "base/user_dirs.h"

namespace tether::config {
namespace {

// fclose as the deleter. (Not decltype(&std::fclose): Debian 13's glibc
// declares fclose with attributes a template argument drops, a warning.)
struct CloseFile {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

Result<std::string> ReadSmallFile(const std::filesystem::path& path,
                                  size_t max_bytes,
                                  std::string_view what) {
  const std::string name = std::string(what) + " " + path.string();
  std::unique_ptr<std::FILE, CloseFile> file(std::fopen(path.c_str(), "rb"));
  if (!file)
    return MakeError("cannot open " + name + ": " + std::strerror(errno));
  std::string text;
  char buffer[16384];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    text.append(buffer, n);
    if (text.size() > max_bytes)
      return MakeError(TooLargeMessage(name, max_bytes));
    if (n < sizeof(buffer))
      break;
  }
  if (std::ferror(file.get()))
    return MakeError("cannot read " + name + ": " + std::strerror(errno));
  return text;
}

std::string TooLargeMessage(std::string_view name, size_t max_bytes) {
  return std::string(name) + " is larger than " + FormatByteSize(max_bytes) +
         "; is it the right file?";
}

std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7F) ? '?' : c;
  }
  if (text.size() > 64)
    out += "...";
  return out;
}

std::filesystem::path ExpandHome(std::string_view path) {
  if (path == "~" || path.starts_with("~/"))
    return HomeDir() / path.substr(std::min<size_t>(2, path.size()));
  return path;
}

std::filesystem::path ProgramFolder() {
  std::error_code error;
  const std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::current_path(error) : exe.parent_path();
}

}  // namespace tether::config
