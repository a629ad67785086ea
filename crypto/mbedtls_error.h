#pragma once

#include <string>

namespace tether::crypto {

// "(-0x7780) SSL - A fatal alert message was received from our peer": the
// form every mbedTLS failure takes in our errors and logs.
std::string MbedtlsErrorText(int code);

}  // namespace tether::crypto
