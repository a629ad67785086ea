#include "crypto/secure_memory.h"

#include <mbedtls/platform_util.h>

namespace tether::crypto {

void SecureWipe(std::span<uint8_t> bytes) {
  mbedtls_platform_zeroize(bytes.data(), bytes.size());
}

bool ConstantTimeEqual(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size())
    return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= a[i] ^ b[i];
  // Reading through volatile keeps the compiler from short-circuiting.
  volatile uint8_t result = diff;
  return result == 0;
}

}  // namespace tether::crypto
