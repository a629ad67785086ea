#include "crypto/digest.h"

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

#include <cstdlib>

namespace tether::crypto {
namespace {

// SHA-256 and HMAC over memory cannot fail; a failure is a broken build.
void Check(int ret) {
  if (ret != 0)
    std::abort();
}

}  // namespace

struct Sha256Hasher::Context {
  Context() {
    mbedtls_sha256_init(&sha);
    Check(mbedtls_sha256_starts(&sha, /*is224=*/0));
  }
  ~Context() { mbedtls_sha256_free(&sha); }
  mbedtls_sha256_context sha;
};

Sha256Hasher::Sha256Hasher() : context_(new Context()) {}
Sha256Hasher::~Sha256Hasher() {
  delete context_;
}

void Sha256Hasher::Update(ByteSpan data) {
  Check(mbedtls_sha256_update(&context_->sha, data.data(), data.size()));
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest digest;
  Check(mbedtls_sha256_finish(&context_->sha, digest.data()));
  Check(mbedtls_sha256_starts(&context_->sha, 0));
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

std::array<uint8_t, 20> Sha1(ByteSpan data) {
  std::array<uint8_t, 20> digest{};
  Check(mbedtls_sha1(data.data(), data.size(), digest.data()));
  return digest;
}

std::string Base64Encode(ByteSpan data) {
  size_t needed = 0;
  // The first call only measures (and "fails" with BUFFER_TOO_SMALL).
  (void)mbedtls_base64_encode(nullptr, 0, &needed, data.data(), data.size());
  std::string out(needed, '\0');
  size_t written = 0;
  Check(mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()),
                              out.size(), &written, data.data(), data.size()));
  out.resize(written);
  return out;
}

}  // namespace tether::crypto
