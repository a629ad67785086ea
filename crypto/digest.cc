#include "crypto/digest.h"

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include <cstdlib>

namespace tether::crypto {
namespace {

// mbedTLS 2.28 names the int-returning functions *_ret; 3.x drops the suffix.
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define TETHER_SHA256_STARTS mbedtls_sha256_starts
#define TETHER_SHA256_UPDATE mbedtls_sha256_update
#define TETHER_SHA256_FINISH mbedtls_sha256_finish
#else
#define TETHER_SHA256_STARTS mbedtls_sha256_starts_ret
#define TETHER_SHA256_UPDATE mbedtls_sha256_update_ret
#define TETHER_SHA256_FINISH mbedtls_sha256_finish_ret
#endif

// SHA-256 and HMAC over memory cannot fail; a failure is a broken build.
void Check(int ret) {
  if (ret != 0)
    std::abort();
}

}  // namespace

struct Sha256Hasher::Context {
  Context() {
    mbedtls_sha256_init(&sha);
    Check(TETHER_SHA256_STARTS(&sha, /*is224=*/0));
  }
  ~Context() { mbedtls_sha256_free(&sha); }
  mbedtls_sha256_context sha;
};

Sha256Hasher::Sha256Hasher() : context_(new Context()) {}
Sha256Hasher::~Sha256Hasher() {
  delete context_;
}

void Sha256Hasher::Update(ByteSpan data) {
  Check(TETHER_SHA256_UPDATE(&context_->sha, data.data(), data.size()));
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest digest;
  Check(TETHER_SHA256_FINISH(&context_->sha, digest.data()));
  Check(TETHER_SHA256_STARTS(&context_->sha, 0));
  return digest;
}

Sha256Digest Sha256(ByteSpan data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

Sha256Digest HmacSha256(ByteSpan key, ByteSpan data) {
  Sha256Digest digest;
  Check(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                        key.data(), key.size(), data.data(), data.size(),
                        digest.data()));
  return digest;
}

}  // namespace tether::crypto
