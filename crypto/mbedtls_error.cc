#include "crypto/mbedtls_error.h"

#include <mbedtls/error.h>

#include <cstdio>

namespace tether::crypto {

std::string MbedtlsErrorText(int code) {
  char text[160];
  mbedtls_strerror(code, text, sizeof(text));
  char out[200];
  std::snprintf(out, sizeof(out), "(-0x%04X) %s",
                static_cast<unsigned>(code < 0 ? -code : code), text);
  return out;
}

}  // namespace tether::crypto
