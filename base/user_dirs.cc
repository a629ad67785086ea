#include "base/user_dirs.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace tether {

std::filesystem::path HomeDir() {
  const char* home = std::getenv("HOME");
  return home != nullptr && home[0] != '\0' ? std::filesystem::path(home)
                                            : std::filesystem::path("/");
}

std::filesystem::path ConfigHomeDir() {
  const char* config = std::getenv("XDG_CONFIG_HOME");
  return config != nullptr && config[0] == '/' ? std::filesystem::path(config)
                                               : HomeDir() / ".config";
}

std::filesystem::path UserDir(std::string_view name,
                              std::string_view fallback) {
  const std::filesystem::path home = HomeDir();
  std::filesystem::path dir = home / fallback;
  const std::string key = "XDG_" + std::string(name) + "_DIR=\"";
  std::ifstream dirs(ConfigHomeDir() / "user-dirs.dirs");
  std::string line;
  while (dirs && std::getline(dirs, line)) {
    if (!line.starts_with(key) || line.size() < key.size() + 1 ||
        line.back() != '"') {
      continue;
    }
    const std::string value =
        line.substr(key.size(), line.size() - key.size() - 1);
    if (value.starts_with("$HOME/"))
      dir = home / value.substr(6);
    else if (value.starts_with("/"))
      dir = value;
  }
  return dir;
}

}  // namespace tether
