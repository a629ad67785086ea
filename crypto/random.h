#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "base/result.h"

namespace tether::crypto {

// A CSPRNG: mbedTLS CTR-DRBG (AES-256) seeded from the OS entropy source.
// Thread-safe (mbedTLS is built with MBEDTLS_THREADING_PTHREAD, and the DRBG
// locks its own mutex). Non-copyable, non-movable: mbedTLS contexts keep
// pointers to it.
class RandomGenerator {
 public:
  // `personalization` separates the streams of different users (RFC 8937
  // style); it is not secret.
  static Result<std::unique_ptr<RandomGenerator>> Create(
      std::string_view personalization);

  // The same stream on every run, from `seed` instead of the OS: for tests
  // whose statistics must not fail by chance (a correct generator fails a
  // p = 0.0001 check once in 10,000 runs). Never for keys or codes.
  static Result<std::unique_ptr<RandomGenerator>> CreateReproducible(
      std::string_view seed);

  // One generator for the whole process, created on first use. Aborts if the
  // OS has no entropy source: nothing in Tether can run safely without one.
  static RandomGenerator& Default();

  ~RandomGenerator();
  RandomGenerator(const RandomGenerator&) = delete;
  RandomGenerator& operator=(const RandomGenerator&) = delete;

  Result<void> Fill(std::span<uint8_t> out);

  // For mbedTLS APIs taking (f_rng, p_rng): pass
  // (&RandomGenerator::MbedtlsCallback, &generator).
  static int MbedtlsCallback(void* generator, unsigned char* out, size_t len);

 private:
  RandomGenerator();
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
};

}  // namespace tether::crypto
