#pragma once

// The peer plane of one session, without I/O (protocol/peer.proto): the
// end-to-end key exchange (crypto::E2eHandshake) carried in PeerEnvelopes,
// then PeerMessages sealed into records (crypto::E2eChannel). What goes in
// and out are serialized PeerEnvelopes, the `data` of Relayed frames. The
// engine (peer_session.cc) uses one per session; the key-swapping test
// relay runs two.
//
// Every error except a refused Seal() is final: the plane refuses all later
// work and the caller ends the session with END_REASON_PROTOCOL_ERROR,
// showing the error's message (plain language) to the user. Errors never
// contain key material or message content.
//
// Single-threaded.

#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/e2e_handshake.h"
#include "protocol/peer.pb.h"

namespace tether::crypto {
class E2eChannel;
class RandomGenerator;
}  // namespace tether::crypto

namespace tether::protocol {

class PeerPlane {
 public:
  // What one envelope from the peer produced.
  struct Received {
    std::optional<Bytes> reply;  // the next key-exchange envelope to send
    bool secured = false;        // this envelope completed the exchange
    std::optional<proto::PeerMessage> message;  // one decrypted message
  };

  static Result<std::unique_ptr<PeerPlane>> Create(
      crypto::E2eRole role,
      crypto::E2eContext context,
      crypto::RandomGenerator& random);
  ~PeerPlane();
  PeerPlane(const PeerPlane&) = delete;
  PeerPlane& operator=(const PeerPlane&) = delete;

  // Supporter, once: the commitment envelope that opens the exchange.
  Result<Bytes> Begin();

  // One envelope from the peer.
  Result<Received> Receive(ByteSpan envelope);

  // Seals one message into an envelope, once secured. A message over the
  // E2E record limit is refused with a temporary error and the plane stays
  // usable (nothing was sent).
  Result<Bytes> Seal(const proto::PeerMessage& message);

  bool secured() const { return channel_ != nullptr && !failed_; }
  bool failed() const { return failed_; }
  // The 6-digit SAS once secured; empty before.
  const std::string& sas() const { return sas_; }

 private:
  explicit PeerPlane(std::unique_ptr<crypto::E2eHandshake> handshake);

  Result<Received> OnKeyExchange(const proto::KeyExchange& step);
  Result<Received> OnRecord(const std::string& record);
  Result<void> TakeChannel();
  Unexpected<Error> Fail(std::string message, const std::string& detail);

  std::unique_ptr<crypto::E2eHandshake> handshake_;
  std::unique_ptr<crypto::E2eChannel> channel_;
  std::string sas_;
  bool failed_ = false;
};

}  // namespace tether::protocol
