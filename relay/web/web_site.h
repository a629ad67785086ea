#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tether::relay::web {

struct SiteFile {
  std::string content_type;
  std::string body;
  std::string sha256;  // hex, shown on the overview page
};

// The console's and the customer page's files, read once at start from
// the package's folder (/usr/share/tether-relay/web) into memory. Only the
// files found there are served, each at its fixed URL: "/" is index.html,
// "/share" share.html (a customer's session in the browser), "/console"
// console.html, "/static/<name>" the files of static/. Nothing
// a request names is ever looked up on disk, so no path can leave the
// folder. Immutable after Load(); read from the loop thread.
class WebSite {
 public:
  static constexpr size_t kMaxFiles = 64;
  static constexpr size_t kMaxBytes = 8 << 20;

  static Result<WebSite> Load(const std::filesystem::path& folder);

  const SiteFile* Find(std::string_view url_path) const;
  // URL path -> file, for the overview's list of hashes.
  const std::map<std::string, SiteFile, std::less<>>& files() const {
    return files_;
  }

 private:
  std::map<std::string, SiteFile, std::less<>> files_;
};

// By file name extension: "text/html; charset=utf-8", "text/css; ...",
// "text/javascript; ...", "image/svg+xml", "image/png", ...;
// "application/octet-stream" for anything else.
std::string_view ContentTypeOf(const std::filesystem::path& path);

}  // namespace tether::relay::web
