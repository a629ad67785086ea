#include "protocol/version.h"

#include "crypto/tls_config.h"

namespace tether::protocol {

std::string VersionLine(std::string_view program) {
  return std::string(program) + " " TETHER_VERSION " (mbedTLS " +
         std::string(crypto::MbedtlsVersion()) + ")";
}

std::string_view TetherVersion() {
  return TETHER_VERSION;
}

}  // namespace tether::protocol
