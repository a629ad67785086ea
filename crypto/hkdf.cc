#include "crypto/hkdf.h"

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>

#include <string>

#include "crypto/mbedtls_error.h"

namespace tether::crypto {
namespace {

const mbedtls_md_info_t* Sha256Info() {
  return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
}

}  // namespace

Result<SecretBytes> HkdfSha256Extract(ByteSpan salt, ByteSpan ikm) {
  SecretBytes prk(kHkdfSha256PrkSize);
  int ret = mbedtls_hkdf_extract(Sha256Info(), salt.data(), salt.size(),
                                 ikm.data(), ikm.size(), prk.data());
  if (ret != 0) {
    return MakeError("HKDF-Extract failed: " + MbedtlsErrorText(ret));
  }
  return prk;
}

Result<SecretBytes> HkdfSha256Expand(ByteSpan prk,
                                     ByteSpan info,
                                     size_t length) {
  // mbedTLS checks these too; checking here gives a readable message.
  if (prk.size() < kHkdfSha256PrkSize) {
    return MakeError("HKDF-Expand: the PRK must be at least 32 bytes");
  }
  if (length == 0 || length > kHkdfSha256MaxOutputSize) {
    return MakeError("HKDF-Expand: output length must be 1.." +
                     std::to_string(kHkdfSha256MaxOutputSize));
  }
  SecretBytes okm(length);
  int ret =
      mbedtls_hkdf_expand(Sha256Info(), prk.data(), prk.size(), info.data(),
                          info.size(), okm.data(), okm.size());
  if (ret != 0) {
    return MakeError("HKDF-Expand failed: " + MbedtlsErrorText(ret));
  }
  return okm;
}

Result<SecretBytes> HkdfSha256(ByteSpan salt,
                               ByteSpan ikm,
                               ByteSpan info,
                               size_t length) {
  auto prk = HkdfSha256Extract(salt, ikm);
  if (!prk)
    return prk;
  return HkdfSha256Expand(prk->span(), info, length);
}

}  // namespace tether::crypto
