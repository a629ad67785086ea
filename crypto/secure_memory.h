#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"

namespace tether::crypto {

// Overwrites memory in a way the compiler may not optimise away.
void SecureWipe(std::span<uint8_t> bytes);

// Compares without leaking, through timing, where the first difference is.
// Different lengths compare unequal (the length itself is not secret).
bool ConstantTimeEqual(ByteSpan a, ByteSpan b);

// A byte buffer for key material: wiped when destroyed. Move-only.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size) {}
  explicit SecretBytes(ByteSpan bytes) : bytes_(bytes.begin(), bytes.end()) {}
  ~SecretBytes() { SecureWipe(bytes_); }
  SecretBytes(SecretBytes&& other) noexcept = default;
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    SecureWipe(bytes_);
    bytes_ = std::move(other.bytes_);
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::span<uint8_t> span() { return bytes_; }
  ByteSpan span() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace tether::crypto
