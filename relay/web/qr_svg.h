#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::relay::web {

// `text` as a QR code (libqrencode, error correction M) drawn as one SVG
// path with a 4-module quiet zone: what the console shows for a TOTP
// enrolment, so the authenticator app can scan it off the screen.
Result<std::string> QrCodeSvg(std::string_view text);

}  // namespace tether::relay::web
