#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/random.h"

namespace tether::crypto {

// Argon2id cost parameters. The defaults are DESIGN.md's (m=64 MiB, t=3,
// p=1); a relay may raise them in its config, and NeedsRehash() then tells
// it which stored hashes to upgrade at the next successful login.
struct Argon2Params {
  uint32_t memory_kib = 65536;
  uint32_t iterations = 3;
  uint32_t parallelism = 1;
};

// Bounds on the parameters we accept, when hashing and, more importantly,
// when reading a stored hash: a tampered database row must not be able to
// make one login allocate gigabytes or run for minutes.
inline constexpr uint32_t kArgon2MaxMemoryKib = 1024 * 1024;  // 1 GiB
inline constexpr uint32_t kArgon2MaxIterations = 64;
inline constexpr uint32_t kArgon2MaxParallelism = 16;
// Longer passwords are refused before hashing (the policy allows far fewer).
inline constexpr size_t kMaxPasswordBytes = 4096;

// Hashes with argon2id, a fresh 16-byte salt and a 32-byte tag, and returns
// the PHC string libargon2 and others read:
//   $argon2id$v=19$m=65536,t=3,p=1$<salt base64>$<hash base64>
Result<std::string> HashPassword(std::string_view password,
                                 RandomGenerator& random,
                                 const Argon2Params& params = {});

// true: the password matches; false: it does not. An error means `phc` is
// not a hash we accept (malformed, not argon2id v19, parameters out of
// bounds) or hashing failed (out of memory: a temporary error).
Result<bool> VerifyPassword(std::string_view password, std::string_view phc);

// Whether `phc` should be replaced by a fresh hash with `params` (different
// cost, an old salt or tag size, or unreadable). Call after a successful
// VerifyPassword, while the password is at hand.
bool NeedsRehash(std::string_view phc, const Argon2Params& params);

namespace internal {
// Raw Argon2id (RFC 9106) with the optional secret and associated data that
// the PHC format has no room for. Exposed for the RFC 9106 test vector.
Result<Bytes> Argon2idRaw(ByteSpan password,
                          ByteSpan salt,
                          ByteSpan secret,
                          ByteSpan associated_data,
                          const Argon2Params& params,
                          size_t tag_length);
}  // namespace internal

}  // namespace tether::crypto
