#include "crypto/e2e_channel.h"

#include <mbedtls/gcm.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string_view>
#include <utility>

#include "crypto/hkdf.h"
#include "crypto/mbedtls_error.h"
#include "crypto/scoped_mbedtls.h"

namespace tether::crypto {
namespace {

constexpr size_t kNonceSize = 12;
constexpr std::string_view kAadLabel = "tether-e2e record v1";
constexpr std::string_view kRekeyLabel = "tether-e2e rekey";
constexpr uint64_t kCounterLimit = std::numeric_limits<uint64_t>::max();

void PutBigEndian64(uint64_t value, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}

uint64_t GetBigEndian64(const uint8_t* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value = (value << 8) | in[i];
  return value;
}

}  // namespace

// One direction of the channel: its current key, the AES-GCM context keyed
// with it, and the counter of the next record.
class E2eChannel::Direction {
 public:
  static Result<std::unique_ptr<Direction>> Create(SecretBytes key,
                                                   uint64_t rekey_interval) {
    std::unique_ptr<Direction> direction(new Direction(rekey_interval));
    direction->key_ = std::move(key);
    TETHER_RETURN_IF_ERROR(direction->LoadKey());
    return direction;
  }

  Direction(const Direction&) = delete;
  Direction& operator=(const Direction&) = delete;

  uint64_t next_counter() const { return next_counter_; }
  void set_next_counter(uint64_t counter) { next_counter_ = counter; }

  Result<Bytes> SealNext(ByteSpan plaintext) {
    // The last counter value is never used, so the counter never wraps.
    if (next_counter_ == kCounterLimit) {
      return MakeError("E2E send counter exhausted");
    }
    const uint64_t counter = next_counter_;
    Bytes record(kRecordOverhead + plaintext.size());
    PutBigEndian64(counter, record.data());
    Nonce nonce = MakeNonce(counter);
    Aad aad = MakeAad(counter);
    uint8_t* ciphertext = record.data() + kCounterSize;
    uint8_t* tag = ciphertext + plaintext.size();
    int ret = mbedtls_gcm_crypt_and_tag(
        gcm_.get(), MBEDTLS_GCM_ENCRYPT, plaintext.size(), nonce.data(),
        nonce.size(), aad.data(), aad.size(), plaintext.data(), ciphertext,
        kTagSize, tag);
    if (ret != 0) {
      return MakeError("E2E encryption failed: " + MbedtlsErrorText(ret));
    }
    if (auto advanced = Advance(); !advanced) {
      return Unexpected(std::move(advanced).error());
    }
    return record;
  }

  // `record` is already checked to be within the size limits.
  Result<Bytes> OpenNext(ByteSpan record) {
    const uint64_t counter = GetBigEndian64(record.data());
    // Checked before the tag: an authentic record with a wrong counter
    // cannot exist, and the clearer error helps debugging.
    if (counter < next_counter_)
      return MakeError("replayed record");
    if (counter > next_counter_) {
      return MakeError("records missing or reordered");
    }
    if (counter == kCounterLimit) {
      return MakeError("E2E receive counter exhausted");
    }
    const size_t size = record.size() - kRecordOverhead;
    const uint8_t* ciphertext = record.data() + kCounterSize;
    const uint8_t* tag = ciphertext + size;
    Nonce nonce = MakeNonce(counter);
    Aad aad = MakeAad(counter);
    Bytes plaintext(size);
    int ret = mbedtls_gcm_auth_decrypt(
        gcm_.get(), size, nonce.data(), nonce.size(), aad.data(), aad.size(),
        tag, kTagSize, ciphertext, plaintext.data());
    if (ret == MBEDTLS_ERR_GCM_AUTH_FAILED) {
      return MakeError("record authentication failed");
    }
    if (ret != 0) {
      return MakeError("E2E decryption failed: " + MbedtlsErrorText(ret));
    }
    if (auto advanced = Advance(); !advanced) {
      return Unexpected(std::move(advanced).error());
    }
    return plaintext;
  }

 private:
  using Nonce = std::array<uint8_t, kNonceSize>;
  using Aad = std::array<uint8_t, kAadLabel.size() + kCounterSize>;

  explicit Direction(uint64_t rekey_interval)
      : rekey_interval_(rekey_interval) {}

  static Nonce MakeNonce(uint64_t counter) {
    Nonce nonce{};  // The first 4 bytes stay zero.
    PutBigEndian64(counter, nonce.data() + 4);
    return nonce;
  }

  static Aad MakeAad(uint64_t counter) {
    Aad aad{};
    std::copy(kAadLabel.begin(), kAadLabel.end(), aad.begin());
    PutBigEndian64(counter, aad.data() + kAadLabel.size());
    return aad;
  }

  Result<void> LoadKey() {
    int ret = mbedtls_gcm_setkey(gcm_.get(), MBEDTLS_CIPHER_ID_AES, key_.data(),
                                 static_cast<unsigned>(key_.size() * 8));
    if (ret != 0) {
      return MakeError("cannot set the E2E key: " + MbedtlsErrorText(ret));
    }
    return {};
  }

  // Called once a record has used `next_counter_`: moves to the next one,
  // and to the next key at every multiple of the interval. Both sides
  // count the same records, so they rekey at the same record.
  Result<void> Advance() {
    ++next_counter_;
    if (next_counter_ % rekey_interval_ != 0)
      return {};
    TETHER_TRY(next_key,
               HkdfSha256Expand(key_.span(), AsBytes(kRekeyLabel), kKeySize));
    key_ = std::move(*next_key);  // Wipes the old key.
    return LoadKey();
  }

  const uint64_t rekey_interval_;
  SecretBytes key_;
  ScopedGcm gcm_;
  uint64_t next_counter_ = 0;
};

E2eChannel::E2eChannel(std::unique_ptr<Direction> send,
                       std::unique_ptr<Direction> receive)
    : send_(std::move(send)), receive_(std::move(receive)) {}

E2eChannel::~E2eChannel() = default;

Result<std::unique_ptr<E2eChannel>> E2eChannel::Create(
    E2eKeys keys,
    uint64_t rekey_interval) {
  if (keys.send_key.size() != kKeySize || keys.receive_key.size() != kKeySize) {
    return MakeError("E2E keys must be 32 bytes");
  }
  if (ConstantTimeEqual(keys.send_key.span(), keys.receive_key.span())) {
    return MakeError("E2E send and receive keys must differ");
  }
  if (rekey_interval == 0) {
    return MakeError("E2E rekey interval must be at least 1");
  }
  TETHER_TRY(send, Direction::Create(std::move(keys.send_key), rekey_interval));
  TETHER_TRY(receive,
             Direction::Create(std::move(keys.receive_key), rekey_interval));
  return std::unique_ptr<E2eChannel>(
      new E2eChannel(std::move(*send), std::move(*receive)));
}

Result<Bytes> E2eChannel::Fail(std::string message) {
  failed_ = true;
  return MakeError(std::move(message));
}

Result<Bytes> E2eChannel::Seal(ByteSpan plaintext) {
  if (failed_)
    return MakeError("channel closed after an earlier error");
  if (plaintext.size() > kMaxPlaintextSize) {
    return MakeError(
        "E2E plaintext too large: " + std::to_string(plaintext.size()) +
        " bytes, limit " + std::to_string(kMaxPlaintextSize));
  }
  auto record = send_->SealNext(plaintext);
  if (!record)
    return Fail(std::move(record).error().message);
  return record;
}

Result<Bytes> E2eChannel::Open(ByteSpan record) {
  if (failed_)
    return MakeError("channel closed after an earlier error");
  if (record.size() < kRecordOverhead) {
    return Fail("E2E record too short: " + std::to_string(record.size()) +
                " bytes, minimum " + std::to_string(kRecordOverhead));
  }
  if (record.size() > kMaxRecordSize) {
    return Fail("E2E record too long: " + std::to_string(record.size()) +
                " bytes, limit " + std::to_string(kMaxRecordSize));
  }
  auto plaintext = receive_->OpenNext(record);
  if (!plaintext)
    return Fail(std::move(plaintext).error().message);
  return plaintext;
}

void E2eChannel::SetCountersForTesting(uint64_t next_send,
                                       uint64_t next_receive) {
  send_->set_next_counter(next_send);
  receive_->set_next_counter(next_receive);
}

}  // namespace tether::crypto
