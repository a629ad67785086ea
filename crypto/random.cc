#include "crypto/random.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/mbedtls_error.h"

namespace tether::crypto {

// Declared in this order so they are freed in reverse: the DRBG refers to
// the entropy context.
struct RandomGenerator::Contexts {
  Contexts() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
  }
  ~Contexts() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;

  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  // CreateReproducible: what the DRBG is seeded (and reseeded) with.
  std::string fixed_seed;
};

namespace {

int FixedEntropy(void* seed, unsigned char* out, size_t len) {
  const std::string& bytes = *static_cast<const std::string*>(seed);
  for (size_t i = 0; i < len; ++i)
    out[i] = static_cast<unsigned char>(bytes[i % bytes.size()]);
  return 0;
}

}  // namespace

RandomGenerator::RandomGenerator() : contexts_(std::make_unique<Contexts>()) {}
RandomGenerator::~RandomGenerator() = default;

Result<std::unique_ptr<RandomGenerator>> RandomGenerator::Create(
    std::string_view personalization) {
  std::unique_ptr<RandomGenerator> generator(new RandomGenerator());
  Contexts& c = *generator->contexts_;
  int ret = mbedtls_ctr_drbg_seed(
      &c.drbg, mbedtls_entropy_func, &c.entropy,
      reinterpret_cast<const unsigned char*>(personalization.data()),
      personalization.size());
  if (ret != 0) {
    return MakeError("cannot seed the random generator: " +
                     MbedtlsErrorText(ret));
  }
  // The DRBG reseeds itself from the OS every MBEDTLS_CTR_DRBG_RESEED_INTERVAL
  // requests.
  return generator;
}

Result<std::unique_ptr<RandomGenerator>> RandomGenerator::CreateReproducible(
    std::string_view seed) {
  if (seed.empty())
    return MakeError("a reproducible random generator needs a seed");
  std::unique_ptr<RandomGenerator> generator(new RandomGenerator());
  Contexts& c = *generator->contexts_;
  c.fixed_seed = seed;
  int ret =
      mbedtls_ctr_drbg_seed(&c.drbg, FixedEntropy, &c.fixed_seed, nullptr, 0);
  if (ret != 0) {
    return MakeError("cannot seed the random generator: " +
                     MbedtlsErrorText(ret));
  }
  return generator;
}

RandomGenerator& RandomGenerator::Default() {
  static RandomGenerator* const instance = [] {
    auto created = Create("tether default");
    if (!created) {
      std::fprintf(stderr, "fatal: %s\n", created.error().message.c_str());
      std::abort();
    }
    return created->release();
  }();
  return *instance;
}

Result<void> RandomGenerator::Fill(std::span<uint8_t> out) {
  // mbedtls_ctr_drbg_random is limited to MBEDTLS_CTR_DRBG_MAX_REQUEST bytes.
  size_t done = 0;
  while (done < out.size()) {
    size_t chunk =
        std::min<size_t>(out.size() - done, MBEDTLS_CTR_DRBG_MAX_REQUEST);
    int ret =
        mbedtls_ctr_drbg_random(&contexts_->drbg, out.data() + done, chunk);
    if (ret != 0) {
      return MakeError("random generator failed: " + MbedtlsErrorText(ret));
    }
    done += chunk;
  }
  return {};
}

int RandomGenerator::MbedtlsCallback(void* generator,
                                     unsigned char* out,
                                     size_t len) {
  auto* self = static_cast<RandomGenerator*>(generator);
  return mbedtls_ctr_drbg_random(&self->contexts_->drbg, out, len);
}

}  // namespace tether::crypto
