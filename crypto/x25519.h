#pragma once

#include <cstddef>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/random.h"
#include "crypto/secure_memory.h"

namespace tether::crypto {

// X25519 Diffie-Hellman (RFC 7748), computed with mbedTLS's Curve25519.
//
// Keys travel in RFC 7748 form: 32 bytes, the little-endian u-coordinate.
// The private key is the 32-byte scalar; it is clamped (RFC 7748 §5,
// decodeScalar25519) when loaded, so any 32 bytes are a valid private key.
// When decoding a peer's u-coordinate the top bit is ignored, as RFC 7748
// requires.
//
// Ephemeral keys only: the E2E handshake makes a fresh pair per session and
// drops it as soon as the session keys are derived. Move-only; the private
// scalar lives in SecretBytes and is wiped on destruction.
class X25519KeyPair {
 public:
  static constexpr size_t kKeySize = 32;

  // A fresh key pair from `random`.
  static Result<X25519KeyPair> Generate(RandomGenerator& random);
  // A key pair from a given 32-byte private scalar: for known-answer tests,
  // never for production keys.
  static Result<X25519KeyPair> FromPrivateKey(ByteSpan private_key);

  X25519KeyPair(X25519KeyPair&&) noexcept = default;
  X25519KeyPair& operator=(X25519KeyPair&&) noexcept = default;
  X25519KeyPair(const X25519KeyPair&) = delete;
  X25519KeyPair& operator=(const X25519KeyPair&) = delete;

  // 32 bytes, RFC 7748 little-endian u-coordinate.
  Bytes public_key() const { return public_key_; }

  // X25519(private, peer_public): 32 bytes. A peer key that is not 32
  // bytes, that mbedTLS rejects, or that yields the all-zero secret (a
  // low-order point, RFC 7748 §6.1 "check") is an error: such a key would
  // let whoever sent it know the "shared" secret.
  Result<SecretBytes> SharedSecret(ByteSpan peer_public) const;

 private:
  X25519KeyPair(SecretBytes scalar, Bytes public_key);

  SecretBytes scalar_;  // Clamped.
  Bytes public_key_;
};

}  // namespace tether::crypto
