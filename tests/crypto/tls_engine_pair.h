#pragma once

// Two TlsEngines talking through memory, as a socket pair would: the
// harness of the TLS tests (tls_engine_test, tls_mutual_test).

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "base/result.h"
#include "crypto/tls_engine.h"
#include "tests/support/text_files.h"

namespace tether::crypto::test {

// Moves ciphertext between two engines until neither has any to send.
inline void Shuttle(TlsEngine& a, TlsEngine& b) {
  while (a.HasOutgoing() || b.HasOutgoing()) {
    if (a.HasOutgoing())
      b.FeedIncoming(a.TakeOutgoing());
    if (b.HasOutgoing())
      a.FeedIncoming(b.TakeOutgoing());
  }
}

struct HandshakeOutcome {
  Result<bool> client = false;
  Result<bool> server = false;
};

inline bool Settled(const Result<bool>& r) {
  return !r.has_value() || *r;
}

// Drives both handshakes until each has completed or failed (a failure on
// one side reaches the other as an alert). Under TLS 1.3 the client is done
// once it sent its Finished, before the server has judged a client
// certificate: a refusal reaches it as an alert on its next Read.
inline HandshakeOutcome RunHandshake(TlsEngine& client, TlsEngine& server) {
  HandshakeOutcome outcome;
  for (int round = 0; round < 20; ++round) {
    outcome.client = client.Handshake();
    Shuttle(client, server);
    outcome.server = server.Handshake();
    Shuttle(client, server);
    if (Settled(outcome.client) && Settled(outcome.server))
      break;
  }
  return outcome;
}

// Reads until the engine has nothing more; fails the test on an error.
inline std::string ReadAvailable(TlsEngine& engine) {
  std::string out;
  uint8_t buffer[16384];
  for (;;) {
    auto n = engine.Read(buffer);
    if (!n) {
      ADD_FAILURE() << "Read failed: " << n.error().message;
      break;
    }
    if (*n == 0)
      break;
    out.append(reinterpret_cast<const char*>(buffer), *n);
  }
  return out;
}

using tether::test::Contains;

}  // namespace tether::crypto::test
