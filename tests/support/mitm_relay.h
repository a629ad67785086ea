#pragma once

// A hostile relay for tests: it terminates TLS for both apps itself (its own
// self-signed certificate, CN "localhost"), answers Hello, Login,
// CreateSession, Join and JoinDecision just enough to pair them, and then
// attacks the end-to-end channel in one of two ways.
//
// Key attacks substitute its own X25519 keys: it runs a protocol::PeerPlane
// as the customer toward the supporter and another as the supporter toward
// the customer. Both apps end up "secured" — with the relay — and the only
// thing that gives it away is that their SAS differ (DESIGN.md promise 4).
//
// Record attacks leave the key exchange alone (both sides share one key and
// one SAS) and bend the stream of sealed records from the supporter to the
// customer: the first record passes, the second is dropped, swapped with
// the third, sent twice, or preceded by a forged one.
//
// Runs its own libuv loop on its own thread, on 127.0.0.1 and a port the
// kernel picks. The accessors are thread-safe.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"

namespace tether::test {

class MitmRelay {
 public:
  // What it does to the customer once it has played the supporter's part
  // of the key exchange toward it.
  enum class Attack {
    // Key attacks.
    kSwapKeys,            // nothing more: both sides secured, SAS differ
    kBreakCommitment,     // reveals a key other than the one committed to
    kTamperRecord,        // then sends a record with one bit flipped
    kRestartKeyExchange,  // then starts the key exchange again
    // Record attacks, on the supporter's second record.
    kDropRecord,
    kReorderRecords,
    kReplayRecord,
    kInjectRecord,  // the expected counter, random ciphertext and tag
  };

  static Result<std::unique_ptr<MitmRelay>> Start(
      Attack attack = Attack::kSwapKeys);
  ~MitmRelay();
  MitmRelay(const MitmRelay&) = delete;
  MitmRelay& operator=(const MitmRelay&) = delete;

  uint16_t port() const;
  // The pin of its key, and its certificate as a CA file (CN "localhost").
  const std::string& fingerprint() const;
  std::filesystem::path certificate_path() const;

  // Frames received from clients after TLS, and Hellos among them.
  int frames_received() const;
  int hellos_received() const;
  // TLS handshakes that failed (e.g. a client that refused the certificate).
  int failed_handshakes() const;
  // The SAS the relay shares with each app once that side is secured; the
  // app shows the same one. Empty until then.
  std::string sas_with_supporter() const;
  std::string sas_with_customer() const;

  // The session code it hands out.
  static constexpr char kCode[] = "24681357";

 private:
  class Impl;
  explicit MitmRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::test
