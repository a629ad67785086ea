#include "relay/web/downloads_folder.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include "crypto/digest.h"

namespace tether::relay::web {
namespace {

namespace fs = std::filesystem;

Result<std::string> Sha256OfFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return MakeError("cannot read " + path.filename().string());
  crypto::Sha256Hasher hasher;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = in.gcount();
    if (n > 0) {
      hasher.Update(ByteSpan(reinterpret_cast<const uint8_t*>(buffer.data()),
                             static_cast<size_t>(n)));
    }
  }
  if (!in.eof())
    return MakeError("cannot read " + path.filename().string());
  return ToHex(hasher.Finish());
}

}  // namespace

bool IsPlainFileName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
           c == '+' || c == '~';
  });
}

DownloadsFolder::DownloadsFolder(fs::path folder)
    : folder_(std::move(folder)) {}

Result<std::vector<DownloadFile>> DownloadsFolder::List() {
  std::vector<DownloadFile> files;
  std::error_code ec;
  if (folder_.empty() || !fs::is_directory(folder_, ec))
    return files;
  std::lock_guard lock(mutex_);
  std::map<std::string, Cached> seen;
  for (const auto& entry : fs::directory_iterator(folder_, ec)) {
    const std::string name = entry.path().filename().string();
    // No symlinks: a link could name any file the relay may read.
    if (entry.is_symlink() || !entry.is_regular_file() ||
        !IsPlainFileName(name)) {
      continue;
    }
    if (files.size() >= kMaxFiles)
      break;
    const uint64_t size = entry.file_size(ec);
    const auto modified = entry.last_write_time(ec);
    if (ec)
      continue;
    auto cached = hashes_.find(name);
    std::string sha256;
    if (cached != hashes_.end() && cached->second.size == size &&
        cached->second.modified == modified) {
      sha256 = cached->second.sha256;
    } else {
      auto hashed = Sha256OfFile(entry.path());
      if (!hashed)
        continue;
      sha256 = *hashed;
    }
    seen[name] = Cached{size, modified, sha256};
    files.push_back(DownloadFile{name, size, sha256, ""});
  }
  if (ec) {
    return MakeError("cannot list the downloads folder " + folder_.string() +
                     ": " + ec.message());
  }
  hashes_ = std::move(seen);
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (DownloadFile& file : files) {
    for (const char* ext : {".sig", ".asc"}) {
      const std::string signature = file.name + ext;
      if (std::any_of(files.begin(), files.end(),
                      [&](const auto& f) { return f.name == signature; })) {
        file.signature = signature;
      }
    }
  }
  return files;
}

Result<std::pair<fs::path, uint64_t>> DownloadsFolder::Find(
    const std::string& name) {
  TETHER_TRY(files, List());
  for (const DownloadFile& file : *files) {
    if (file.name == name)
      return std::pair{folder_ / name, file.size};
  }
  return MakeError("no such download");
}

}  // namespace tether::relay::web
