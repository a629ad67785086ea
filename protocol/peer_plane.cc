#include "protocol/peer_plane.h"

#include "base/log.h"
#include "crypto/e2e_channel.h"
#include "protocol/messages.h"

namespace tether::protocol {
namespace {

// What the user reads when the peer plane fails. The technical detail goes
// to the log only (it never holds keys or content either).
constexpr char kSetupFailed[] =
    "The encrypted connection to the other side could not be set up.";
constexpr char kUnreadable[] = "The other side sent data this app cannot read.";
constexpr char kCommitmentMismatch[] =
    "The security check of the connection failed: the other side's key "
    "does not match the one it announced. Somebody may be interfering with "
    "the connection.";
constexpr char kRestartedExchange[] =
    "The other side tried to restart the key exchange during the session. "
    "Somebody may be interfering with the connection.";
constexpr char kRecordTooEarly[] =
    "The other side sent encrypted data before the connection was secured.";
constexpr char kRecordRejected[] =
    "A message from the other side failed its integrity check (altered, "
    "replayed or lost on the way).";

std::string AsString(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

Bytes EnvelopeOf(proto::KeyExchange step) {
  proto::PeerEnvelope envelope;
  *envelope.mutable_key_exchange() = std::move(step);
  return SerializeMessage(envelope);
}

}  // namespace

Result<std::unique_ptr<PeerPlane>> PeerPlane::Create(
    crypto::E2eRole role,
    crypto::E2eContext context,
    crypto::RandomGenerator& random) {
  TETHER_TRY(handshake,
             crypto::E2eHandshake::Create(role, std::move(context), random));
  return std::unique_ptr<PeerPlane>(new PeerPlane(std::move(*handshake)));
}

PeerPlane::PeerPlane(std::unique_ptr<crypto::E2eHandshake> handshake)
    : handshake_(std::move(handshake)) {}

PeerPlane::~PeerPlane() = default;

Unexpected<Error> PeerPlane::Fail(std::string message,
                                  const std::string& detail) {
  failed_ = true;
  channel_.reset();
  log::Warn("peer plane failed: {}", detail);
  return MakeError(std::move(message));
}

Result<Bytes> PeerPlane::Begin() {
  if (failed_)
    return MakeError(kSetupFailed);
  auto commitment = handshake_->SupporterCommit();
  if (!commitment)
    return Fail(kSetupFailed, commitment.error().message);
  proto::KeyExchange step;
  step.set_commitment(AsString(*commitment));
  return EnvelopeOf(std::move(step));
}

Result<PeerPlane::Received> PeerPlane::Receive(ByteSpan envelope) {
  if (failed_)
    return MakeError(kUnreadable);
  proto::PeerEnvelope parsed;
  if (auto ok = ParsePayload(envelope, parsed); !ok) {
    return Fail(kUnreadable, ok.error().message);
  }
  switch (parsed.body_case()) {
    case proto::PeerEnvelope::kKeyExchange:
      return OnKeyExchange(parsed.key_exchange());
    case proto::PeerEnvelope::kRecord:
      return OnRecord(parsed.record());
    case proto::PeerEnvelope::BODY_NOT_SET:
      break;
  }
  return Fail(kUnreadable, "empty peer envelope");
}

Result<PeerPlane::Received> PeerPlane::OnKeyExchange(
    const proto::KeyExchange& step) {
  if (channel_ != nullptr) {
    return Fail(kRestartedExchange,
                "key exchange step after the channel is up");
  }
  Received received;
  proto::KeyExchange reply;
  switch (step.step_case()) {
    case proto::KeyExchange::kCommitment: {
      auto key = handshake_->CustomerRespond(AsBytes(step.commitment()));
      if (!key)
        return Fail(kSetupFailed, key.error().message);
      reply.set_customer_public_key(AsString(*key));
      received.reply = EnvelopeOf(std::move(reply));
      return received;
    }
    case proto::KeyExchange::kCustomerPublicKey: {
      auto key =
          handshake_->SupporterReveal(AsBytes(step.customer_public_key()));
      if (!key)
        return Fail(kSetupFailed, key.error().message);
      reply.set_supporter_public_key(AsString(*key));
      received.reply = EnvelopeOf(std::move(reply));
      break;
    }
    case proto::KeyExchange::kSupporterPublicKey: {
      // Any failure here (mismatch, wrong size) means the revealed key is
      // not the one committed to: the relay or the peer is cheating.
      auto verified =
          handshake_->CustomerVerify(AsBytes(step.supporter_public_key()));
      if (!verified)
        return Fail(kCommitmentMismatch, verified.error().message);
      break;
    }
    case proto::KeyExchange::STEP_NOT_SET:
      return Fail(kUnreadable, "empty key exchange step");
  }
  if (auto taken = TakeChannel(); !taken)
    return Unexpected(taken.error());
  received.secured = true;
  return received;
}

Result<void> PeerPlane::TakeChannel() {
  auto channel = handshake_->TakeChannel();
  if (!channel)
    return Fail(kSetupFailed, channel.error().message);
  channel_ = std::move(*channel);
  sas_ = handshake_->sas();
  return {};
}

Result<PeerPlane::Received> PeerPlane::OnRecord(const std::string& record) {
  if (channel_ == nullptr) {
    return Fail(kRecordTooEarly, "record before the key exchange completed");
  }
  auto plaintext = channel_->Open(AsBytes(record));
  if (!plaintext)
    return Fail(kRecordRejected, plaintext.error().message);
  Received received;
  received.message.emplace();
  if (auto ok = ParsePayload(*plaintext, *received.message); !ok) {
    return Fail(kUnreadable, ok.error().message);
  }
  return received;
}

Result<Bytes> PeerPlane::Seal(const proto::PeerMessage& message) {
  if (!secured())
    return MakeError("the session is not secured");
  const size_t size = message.ByteSizeLong();
  if (size > crypto::E2eChannel::kMaxPlaintextSize) {
    return MakeTemporaryError(
        "message of " + std::to_string(size) + " bytes is over the limit of " +
        std::to_string(crypto::E2eChannel::kMaxPlaintextSize) + " bytes");
  }
  auto record = channel_->Seal(SerializeMessage(message));
  if (!record) {
    return Fail(kSetupFailed, "sealing failed: " + record.error().message);
  }
  proto::PeerEnvelope envelope;
  envelope.set_record(record->data(), record->size());
  return SerializeMessage(envelope);
}

}  // namespace tether::protocol
