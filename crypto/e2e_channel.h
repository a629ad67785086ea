#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/secure_memory.h"

namespace tether::crypto {

// The two directional keys of an E2E session, 32 bytes each. The handshake
// derives them; the supporter's send_key is the customer's receive_key and
// vice versa.
struct E2eKeys {
  SecretBytes send_key;
  SecretBytes receive_key;
};

// The end-to-end record layer between the two apps (DESIGN.md promise 4):
// AES-256-GCM with a key per direction, a counter per direction, and no
// plaintext mode. The relay forwards records it cannot read or forge.
//
// Record: counter (8 bytes, big-endian) || ciphertext || tag (16 bytes).
//  - Nonce = 4 zero bytes || counter (8 bytes, big-endian). The counter
//    starts at 0 and never repeats under one key (a key per direction, and
//    rekeying only moves forward), so a nonce is never reused.
//  - AAD = "tether-e2e record v1" || counter: the clear counter is
//    authenticated, so it cannot be altered without failing the tag.
//  - Open accepts only the next expected counter: a lower one is a replay,
//    a higher one means records were dropped or reordered. The transport
//    below (TLS over TCP through the relay) is reliable and ordered, so
//    either can only be an attack or a bug.
//  - Any Open failure fails the channel for good: every later Seal and
//    Open returns an error, and the caller closes the session. There is no
//    resynchronisation an attacker could steer.
//  - Rekey: after every `rekey_interval` records in a direction, both sides
//    replace that direction's key with HKDF-Expand(key, "tether-e2e rekey",
//    32) and wipe the old one. It is deterministic, so no message is
//    needed; it bounds how much data one key protects and gives forward
//    secrecy within the session.
//  - A counter never wraps: at 2^64 - 1 the direction is exhausted.
//
// Not thread-safe: one thread seals and opens (the session's loop thread).
class E2eChannel {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kCounterSize = 8;
  static constexpr size_t kTagSize = 16;
  static constexpr size_t kRecordOverhead = kCounterSize + kTagSize;
  static constexpr size_t kMaxPlaintextSize = 4 * 1024 * 1024;
  static constexpr size_t kMaxRecordSize = kMaxPlaintextSize + kRecordOverhead;
  static constexpr uint64_t kDefaultRekeyInterval = uint64_t{1} << 24;

  // Both keys must be 32 bytes and differ (equal keys would let a relay
  // reflect a peer's own records back to it); `rekey_interval` >= 1 and the
  // same on both sides.
  static Result<std::unique_ptr<E2eChannel>> Create(
      E2eKeys keys,
      uint64_t rekey_interval = kDefaultRekeyInterval);

  ~E2eChannel();
  E2eChannel(const E2eChannel&) = delete;
  E2eChannel& operator=(const E2eChannel&) = delete;

  // Encrypts one record. A plaintext over kMaxPlaintextSize is refused
  // without harming the channel (nothing was sent); an exhausted counter or
  // an internal failure fails the channel.
  Result<Bytes> Seal(ByteSpan plaintext);

  // Authenticates and decrypts the next record from the peer. Any failure
  // fails the channel.
  Result<Bytes> Open(ByteSpan record);

  // True once the channel refuses all further work.
  bool failed() const { return failed_; }

  // Moves both counters, so tests can reach the end of the counter space.
  // Rekey points stay at multiples of the interval.
  void SetCountersForTesting(uint64_t next_send, uint64_t next_receive);

 private:
  class Direction;

  E2eChannel(std::unique_ptr<Direction> send,
             std::unique_ptr<Direction> receive);
  Result<Bytes> Fail(std::string message);

  std::unique_ptr<Direction> send_;
  std::unique_ptr<Direction> receive_;
  bool failed_ = false;
};

}  // namespace tether::crypto
