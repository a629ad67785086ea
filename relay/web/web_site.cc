#include "relay/web/web_site.h"

#include "config/config_file.h"
#include "crypto/digest.h"

namespace tether::relay::web {

namespace fs = std::filesystem;

std::string_view ContentTypeOf(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".html")
    return "text/html; charset=utf-8";
  if (ext == ".css")
    return "text/css; charset=utf-8";
  if (ext == ".js" || ext == ".mjs")
    return "text/javascript; charset=utf-8";
  if (ext == ".json")
    return "application/json";
  if (ext == ".svg")
    return "image/svg+xml";
  if (ext == ".png")
    return "image/png";
  if (ext == ".ico")
    return "image/x-icon";
  if (ext == ".toml" || ext == ".txt" || ext == ".sig" || ext == ".asc")
    return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

Result<WebSite> WebSite::Load(const fs::path& folder) {
  WebSite site;
  size_t total = 0;
  auto add = [&](const std::string& url, const fs::path& path) -> Result<void> {
    if (site.files_.size() >= kMaxFiles)
      return MakeError("the web site in " + folder.string() +
                       " has more than " + std::to_string(kMaxFiles) +
                       " files");
    TETHER_TRY(body, config::ReadSmallFile(path, kMaxBytes - total,
                                           "the web site's file"));
    total += body->size();
    const auto digest = crypto::Sha256(
        ByteSpan(reinterpret_cast<const uint8_t*>(body->data()), body->size()));
    site.files_[url] = SiteFile{std::string(ContentTypeOf(path)),
                                std::move(*body), ToHex(digest)};
    return {};
  };
  for (const auto& [url, name] :
       {std::pair{"/", "index.html"}, std::pair{"/share", "share.html"},
        std::pair{"/console", "console.html"}}) {
    TETHER_RETURN_IF_ERROR(add(url, folder / name));
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder / "static", ec)) {
    // Regular files only: a symlink could point out of the folder.
    if (!entry.is_regular_file() || entry.is_symlink())
      continue;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.')
      continue;
    TETHER_RETURN_IF_ERROR(add("/static/" + name, entry.path()));
  }
  if (ec) {
    return MakeError("cannot list " + (folder / "static").string() + ": " +
                     ec.message());
  }
  return site;
}

const SiteFile* WebSite::Find(std::string_view url_path) const {
  auto it = files_.find(url_path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace tether::relay::web
