#pragma once

// The user's folders as the desktop names them: $HOME, $XDG_CONFIG_HOME and
// the xdg-user-dirs entries (Downloads, Documents, ...). Shared by both apps.

#include <filesystem>
#include <string_view>

namespace tether {

// $HOME, or "/" when unset or empty.
std::filesystem::path HomeDir();
// $XDG_CONFIG_HOME when absolute, else ~/.config.
std::filesystem::path ConfigHomeDir();
// One entry of user-dirs.dirs, e.g. UserDir("DOWNLOAD", "Downloads") for
// XDG_DOWNLOAD_DIR; ~/`fallback` when the file does not set it. Only the
// forms xdg-user-dirs-update writes are read ("$HOME/..." or an absolute
// path, in double quotes); as when the shell sources the file, the last
// assignment wins.
std::filesystem::path UserDir(std::string_view name, std::string_view fallback);

}  // namespace tether
