#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/e2e_channel.h"
#include "crypto/random.h"
#include "crypto/x25519.h"

namespace tether::crypto {

enum class E2eRole { kSupporter, kCustomer };

// What both apps must agree on besides the keys; bound into the transcript,
// so a peer (or relay) that disagrees ends with different keys and SAS.
struct E2eContext {
  uint32_t protocol_version = 0;
  std::string session_code;
};

// The E2E key agreement between supporter and customer (DESIGN.md promise
// 4), a ZRTP-style commit-then-reveal X25519 exchange. Messages travel
// through the relay; the relay can drop or alter them but learns nothing,
// and if it substitutes keys the two SAS differ (except with probability
// 10^-6):
//
//   1. supporter -> customer: commitment = SHA-256("tether-e2e commit v1"
//      || pk_s)                                        (SupporterCommit)
//   2. customer -> supporter: pk_c                     (CustomerRespond)
//   3. supporter -> customer: pk_s; supporter derives  (SupporterReveal)
//   4. customer checks the commitment, derives         (CustomerVerify)
//
// Because the supporter is bound to pk_s before it sees pk_c, and the
// customer reveals pk_c before it sees pk_s, nobody in the middle can try
// many keys to make the two SAS match: each side's SAS depends on a value
// the middle party learns only after it has fixed its own keys. The
// check is human: both apps show sas(), the technician reads it out, and
// the customer confirms it before any screen, input or file data moves.
//
// Transcript: every field as a 4-byte big-endian length then its bytes:
//   "tether-e2e v1", protocol_version (4 bytes, big-endian), session_code,
//   commitment, pk_s, pk_c.
// Key schedule, with Z = X25519(own private, peer public) (all-zero Z is
// rejected):
//   PRK = HKDF-Extract(salt = SHA-256(transcript), IKM = Z)
//   customer->supporter key = HKDF-Expand(PRK, "customer->supporter key", 32)
//   supporter->customer key = HKDF-Expand(PRK, "supporter->customer key", 32)
//   SAS = big-endian uint64 of HKDF-Expand(PRK, "sas", 8) mod 10^6, as six
//         digits with leading zeros (modulo bias <= 10^6 / 2^64).
// Z, PRK and the ephemeral private key are wiped once the keys exist.
//
// Both sides use this class with their role. Each step is valid once, for
// one role, in order; anything else, a wrong-sized input, or a failed
// check returns an error and fails the handshake for good (every later
// call errors). Not thread-safe.
class E2eHandshake {
 public:
  static constexpr size_t kCommitmentSize = 32;
  static constexpr size_t kPublicKeySize = X25519KeyPair::kKeySize;
  static constexpr size_t kSasDigits = 6;

  static Result<std::unique_ptr<E2eHandshake>> Create(E2eRole role,
                                                      E2eContext context,
                                                      RandomGenerator& random);
  // With a given ephemeral key pair: for known-answer and deterministic
  // tests only.
  static Result<std::unique_ptr<E2eHandshake>>
  CreateWithKeyPair(E2eRole role, E2eContext context, X25519KeyPair key_pair);

  ~E2eHandshake();
  E2eHandshake(const E2eHandshake&) = delete;
  E2eHandshake& operator=(const E2eHandshake&) = delete;

  // Supporter, step 1: the 32-byte commitment to pk_s.
  Result<Bytes> SupporterCommit();
  // Customer, step 2: takes the commitment, returns pk_c (32 bytes).
  Result<Bytes> CustomerRespond(ByteSpan commitment);
  // Supporter, step 3: takes pk_c, returns pk_s (32 bytes); the supporter
  // is complete afterwards.
  Result<Bytes> SupporterReveal(ByteSpan customer_public);
  // Customer, step 4: takes pk_s, checks it against the commitment (error
  // "commitment mismatch"); the customer is complete afterwards.
  Result<void> CustomerVerify(ByteSpan supporter_public);

  E2eRole role() const { return role_; }
  bool complete() const { return state_ == State::kComplete; }
  bool failed() const { return state_ == State::kFailed; }
  // The 6-digit short authentication string, e.g. "048213"; empty until
  // complete. Not secret: the users read it to each other.
  std::string sas() const { return sas_; }
  // The record channel with this side's send and receive keys; once, after
  // complete.
  Result<std::unique_ptr<E2eChannel>> TakeChannel();

 private:
  enum class State { kStart, kCommitted, kResponded, kComplete, kFailed };

  E2eHandshake(E2eRole role, E2eContext context, X25519KeyPair key_pair);

  // Checks role and state; on mismatch fails the handshake.
  Result<void> Expect(const char* step, E2eRole role, State state);
  Unexpected<Error> Fail(std::string message);
  Result<void> DeriveKeys(ByteSpan supporter_public,
                          ByteSpan customer_public,
                          ByteSpan peer_public);

  const E2eRole role_;
  const E2eContext context_;
  State state_ = State::kStart;
  std::optional<X25519KeyPair> key_pair_;  // Reset once keys are derived.
  Bytes commitment_;
  std::string sas_;
  std::unique_ptr<E2eChannel> channel_;
};

}  // namespace tether::crypto
