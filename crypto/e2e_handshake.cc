#include "crypto/e2e_handshake.h"

#include <cstdio>
#include <limits>
#include <string_view>
#include <utility>

#include "crypto/digest.h"
#include "crypto/hkdf.h"

namespace tether::crypto {
namespace {

constexpr std::string_view kCommitLabel = "tether-e2e commit v1";
constexpr std::string_view kTranscriptLabel = "tether-e2e v1";
constexpr std::string_view kCustomerToSupporterLabel =
    "customer->supporter key";
constexpr std::string_view kSupporterToCustomerLabel =
    "supporter->customer key";
constexpr std::string_view kSasLabel = "sas";
constexpr size_t kSasBytes = 8;
constexpr uint64_t kSasModulus = 1000000;

Bytes Sha256Bytes(ByteSpan data) {
  const Sha256Digest digest = Sha256(data);
  return Bytes(digest.begin(), digest.end());
}

Bytes Commitment(ByteSpan supporter_public) {
  Bytes input(AsBytes(kCommitLabel).begin(), AsBytes(kCommitLabel).end());
  input.insert(input.end(), supporter_public.begin(), supporter_public.end());
  return Sha256Bytes(input);
}

void AppendBigEndian32(uint32_t value, Bytes& out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(value >> shift));
  }
}

// Length-prefixed, so no two different field lists encode the same.
void AppendField(ByteSpan field, Bytes& out) {
  AppendBigEndian32(static_cast<uint32_t>(field.size()), out);
  out.insert(out.end(), field.begin(), field.end());
}

const char* RoleName(E2eRole role) {
  return role == E2eRole::kSupporter ? "supporter" : "customer";
}

}  // namespace

E2eHandshake::E2eHandshake(E2eRole role,
                           E2eContext context,
                           X25519KeyPair key_pair)
    : role_(role),
      context_(std::move(context)),
      key_pair_(std::move(key_pair)) {}

E2eHandshake::~E2eHandshake() = default;

Result<std::unique_ptr<E2eHandshake>> E2eHandshake::Create(
    E2eRole role,
    E2eContext context,
    RandomGenerator& random) {
  TETHER_TRY(key_pair, X25519KeyPair::Generate(random));
  return CreateWithKeyPair(role, std::move(context), std::move(*key_pair));
}

Result<std::unique_ptr<E2eHandshake>> E2eHandshake::CreateWithKeyPair(
    E2eRole role,
    E2eContext context,
    X25519KeyPair key_pair) {
  // The transcript's 4-byte length prefix must hold it.
  if (context.session_code.size() > std::numeric_limits<uint32_t>::max()) {
    return MakeError("E2E handshake: session code too long");
  }
  return std::unique_ptr<E2eHandshake>(
      new E2eHandshake(role, std::move(context), std::move(key_pair)));
}

Unexpected<Error> E2eHandshake::Fail(std::string message) {
  state_ = State::kFailed;
  key_pair_.reset();
  return MakeError("E2E handshake: " + std::move(message));
}

Result<void> E2eHandshake::Expect(const char* step, E2eRole role, State state) {
  if (state_ == State::kFailed)
    return Fail("already failed");
  if (role_ != role) {
    return Fail(std::string(step) + " called on the " + RoleName(role_) +
                " side");
  }
  if (state_ != state)
    return Fail(std::string(step) + " called out of order");
  return {};
}

Result<Bytes> E2eHandshake::SupporterCommit() {
  if (auto ok = Expect("SupporterCommit", E2eRole::kSupporter, State::kStart);
      !ok) {
    return Unexpected(std::move(ok).error());
  }
  commitment_ = Commitment(key_pair_->public_key());
  state_ = State::kCommitted;
  return commitment_;
}

Result<Bytes> E2eHandshake::CustomerRespond(ByteSpan commitment) {
  if (auto ok = Expect("CustomerRespond", E2eRole::kCustomer, State::kStart);
      !ok) {
    return Unexpected(std::move(ok).error());
  }
  if (commitment.size() != kCommitmentSize) {
    return Fail("commitment must be 32 bytes");
  }
  commitment_.assign(commitment.begin(), commitment.end());
  state_ = State::kResponded;
  return key_pair_->public_key();
}

Result<Bytes> E2eHandshake::SupporterReveal(ByteSpan customer_public) {
  if (auto ok =
          Expect("SupporterReveal", E2eRole::kSupporter, State::kCommitted);
      !ok) {
    return Unexpected(std::move(ok).error());
  }
  if (customer_public.size() != kPublicKeySize) {
    return Fail("customer public key must be 32 bytes");
  }
  Bytes supporter_public = key_pair_->public_key();
  if (auto derived =
          DeriveKeys(supporter_public, customer_public, customer_public);
      !derived) {
    return Fail(derived.error().message);
  }
  state_ = State::kComplete;
  return supporter_public;
}

Result<void> E2eHandshake::CustomerVerify(ByteSpan supporter_public) {
  if (auto ok = Expect("CustomerVerify", E2eRole::kCustomer, State::kResponded);
      !ok) {
    return ok;
  }
  if (supporter_public.size() != kPublicKeySize) {
    return Fail("supporter public key must be 32 bytes");
  }
  if (!ConstantTimeEqual(Commitment(supporter_public), commitment_)) {
    return Fail("commitment mismatch");
  }
  Bytes customer_public = key_pair_->public_key();
  if (auto derived =
          DeriveKeys(supporter_public, customer_public, supporter_public);
      !derived) {
    return Fail(derived.error().message);
  }
  state_ = State::kComplete;
  return {};
}

Result<void> E2eHandshake::DeriveKeys(ByteSpan supporter_public,
                                      ByteSpan customer_public,
                                      ByteSpan peer_public) {
  Bytes transcript;
  AppendField(AsBytes(kTranscriptLabel), transcript);
  Bytes version;
  AppendBigEndian32(context_.protocol_version, version);
  AppendField(version, transcript);
  AppendField(AsBytes(context_.session_code), transcript);
  AppendField(commitment_, transcript);
  AppendField(supporter_public, transcript);
  AppendField(customer_public, transcript);
  const Bytes salt = Sha256Bytes(transcript);

  // Scoped so Z and the PRK are wiped (SecretBytes) as soon as the keys
  // exist.
  E2eKeys keys;
  SecretBytes sas_bytes;
  {
    TETHER_TRY(shared, key_pair_->SharedSecret(peer_public));
    // The ephemeral private key has done its job; dropping it now means a
    // later memory disclosure cannot recover this session's keys.
    key_pair_.reset();
    TETHER_TRY(prk, HkdfSha256Extract(salt, shared->span()));
    auto c2s = HkdfSha256Expand(prk->span(), AsBytes(kCustomerToSupporterLabel),
                                E2eChannel::kKeySize);
    auto s2c = HkdfSha256Expand(prk->span(), AsBytes(kSupporterToCustomerLabel),
                                E2eChannel::kKeySize);
    auto sas = HkdfSha256Expand(prk->span(), AsBytes(kSasLabel), kSasBytes);
    if (!c2s)
      return Unexpected(std::move(c2s).error());
    if (!s2c)
      return Unexpected(std::move(s2c).error());
    if (!sas)
      return Unexpected(std::move(sas).error());
    sas_bytes = std::move(*sas);
    if (role_ == E2eRole::kSupporter) {
      keys.send_key = std::move(*s2c);
      keys.receive_key = std::move(*c2s);
    } else {
      keys.send_key = std::move(*c2s);
      keys.receive_key = std::move(*s2c);
    }
  }

  uint64_t sas_value = 0;
  for (uint8_t b : sas_bytes.span())
    sas_value = (sas_value << 8) | b;
  char digits[kSasDigits + 1];
  std::snprintf(digits, sizeof(digits), "%06u",
                static_cast<unsigned>(sas_value % kSasModulus));

  TETHER_TRY(channel, E2eChannel::Create(std::move(keys)));
  channel_ = std::move(*channel);
  sas_ = digits;
  return {};
}

Result<std::unique_ptr<E2eChannel>> E2eHandshake::TakeChannel() {
  if (state_ != State::kComplete) {
    return MakeError(
        "E2E handshake: no channel before the handshake is "
        "complete");
  }
  if (!channel_)
    return MakeError("E2E handshake: channel already taken");
  return std::move(channel_);
}

}  // namespace tether::crypto
