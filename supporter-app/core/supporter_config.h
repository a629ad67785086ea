#pragma once

// tether-supporter.toml: how the technician's console reaches the relay and
// where it keeps session logs. IT ships the file (beside the binary or
// in ~/.config/tether/). Strict: unknown keys, wrong types and bad values
// are errors that name the key and the line.
//
//   user_name = "tina"                    # pre-filled in the sign-in form
//   protocol_dir = "~/Documents/Tether sessions"
//   download_dir = "~/Downloads"          # files the customer sends
//
//   [relay]
//   host = "relay.example.com"
//   port = 8443
//   fingerprint = "sha256:<64 hex>"  # or ca_file = "ca.pem", not both
//   proxy = ""                       # "http://host:port"; empty: $https_proxy

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "supporter-app/core/supporter_session.h"

namespace tether::supporter {

inline constexpr size_t kMaxSupporterConfigBytes = 64 * 1024;
inline constexpr char kSupporterConfigName[] = "tether-supporter.toml";

// Parses the text of a config file. A relative ca_file is resolved against
// `folder`; "~" against $HOME. Pure apart from reading $HOME: the fuzz
// target's entry point.
Result<SupporterConfig> ParseSupporterConfig(
    std::string_view toml_text,
    std::string_view source_name,
    const std::filesystem::path& folder);

// ~/Documents/Tether sessions (the XDG documents folder when set).
std::filesystem::path DefaultProtocolDir();

// ~/Downloads (the XDG download folder when set).
std::filesystem::path DefaultDownloadDir();

// Where Load("") looks, in order: beside the program, then
// $XDG_CONFIG_HOME/tether (default ~/.config/tether).
std::vector<std::filesystem::path> SupporterConfigCandidates();

}  // namespace tether::supporter
