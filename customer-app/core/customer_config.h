#pragma once

// tether-customer.toml: how the customer app reaches the relay, and what it
// shows. IT ships the file beside the binary. Strict: unknown keys, wrong
// types and bad values are errors that name the key and the line.
//
//   organisation = "ACME IT"         # shown on the start window
//   logo_path = "logo.png"           # relative to this file
//   display = ""                     # X11 display; empty: $DISPLAY
//   download_dir = "~/Downloads"     # default: the XDG download folder
//   max_file_size = "2GiB"           # B, KiB, MiB, GiB
//
//   [relay]
//   host = "relay.example.com"
//   port = 8443
//   fingerprint = "sha256:<64 hex>"  # or ca_file = "ca.pem", not both
//   proxy = ""                       # "http://host:port"; empty: $https_proxy

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "customer-app/core/customer_session.h"

namespace tether::customer {

inline constexpr size_t kMaxCustomerConfigBytes = 64 * 1024;
inline constexpr char kCustomerConfigName[] = "tether-customer.toml";

// Parses the text of a config file. Relative paths (logo_path, ca_file)
// are resolved against `folder`; "~" against $HOME.
Result<CustomerConfig> ParseCustomerConfig(std::string_view toml_text,
                                           std::string_view source_name,
                                           const std::filesystem::path& folder);

// $XDG_DOWNLOAD_DIR from user-dirs.dirs when set, else ~/Downloads.
std::filesystem::path DefaultDownloadDir();

}  // namespace tether::customer
