#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace tether::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(ByteSpan data);

// HMAC-SHA256. Used, for example, to log a session code as an HMAC under a
// per-relay secret instead of the code itself.
Sha256Digest HmacSha256(ByteSpan key, ByteSpan data);

// SHA-1, only where a protocol names it without a security role (the
// WebSocket handshake's Sec-WebSocket-Accept, RFC 6455). Never for
// anything an attacker could choose to collide.
std::array<uint8_t, 20> Sha1(ByteSpan data);

// RFC 4648 base64 with padding.
std::string Base64Encode(ByteSpan data);

// Incremental SHA-256 for data that arrives in pieces (files, hash chains).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteSpan data);
  Sha256Digest Finish();  // the hasher starts over afterwards

 private:
  struct Context;
  Context* context_;
};

}  // namespace tether::crypto
