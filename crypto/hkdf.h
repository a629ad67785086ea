#pragma once

#include <cstddef>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/secure_memory.h"

namespace tether::crypto {

// HKDF with HMAC-SHA256 (RFC 5869), over mbedTLS's hkdf.c. Outputs are key
// material, so they come back in SecretBytes.

inline constexpr size_t kHkdfSha256PrkSize = 32;
// RFC 5869 §2.3: L <= 255 * HashLen.
inline constexpr size_t kHkdfSha256MaxOutputSize = 255 * 32;

// HKDF-Extract(salt, IKM) -> PRK (32 bytes). An empty salt means HashLen
// zero bytes, as in the RFC.
Result<SecretBytes> HkdfSha256Extract(ByteSpan salt, ByteSpan ikm);

// HKDF-Expand(PRK, info, L) -> OKM. `prk` must be at least 32 bytes and
// `length` at most kHkdfSha256MaxOutputSize.
Result<SecretBytes> HkdfSha256Expand(ByteSpan prk,
                                     ByteSpan info,
                                     size_t length);

// Extract then Expand.
Result<SecretBytes> HkdfSha256(ByteSpan salt,
                               ByteSpan ikm,
                               ByteSpan info,
                               size_t length);

}  // namespace tether::crypto
