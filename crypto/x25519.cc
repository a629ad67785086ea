#include "crypto/x25519.h"

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include <array>
#include <cstdint>
#include <utility>

#include "crypto/mbedtls_error.h"
#include "crypto/scoped_mbedtls.h"

namespace tether::crypto {
namespace {

constexpr size_t kKeySize = X25519KeyPair::kKeySize;

// RFC 7748 §4.1: the base point has u = 9.
constexpr std::array<uint8_t, kKeySize> kBasePoint = {9};

// RFC 7748 §5 decodeScalar25519.
SecretBytes ClampScalar(ByteSpan private_key) {
  SecretBytes scalar(private_key);
  scalar.data()[0] &= 248;
  scalar.data()[kKeySize - 1] &= 127;
  scalar.data()[kKeySize - 1] |= 64;
  return scalar;
}

// X25519(scalar, u) with mbedTLS. Both inputs are RFC 7748 little-endian
// byte strings; `scalar` is already clamped. Only the group's public API
// is used (no struct fields, which mbedTLS 3 keeps private).
Result<SecretBytes> ScalarMult(ByteSpan scalar, ByteSpan u) {
  ScopedEcpGroup group;
  int ret = mbedtls_ecp_group_load(group.get(), MBEDTLS_ECP_DP_CURVE25519);
  if (ret != 0) {
    return MakeError("X25519: cannot load Curve25519: " +
                     MbedtlsErrorText(ret));
  }

  // mbedTLS reads Montgomery scalars and points little-endian, like RFC
  // 7748; mbedtls_mpi_read_binary (big-endian) would be wrong here.
  ScopedMpi d;
  ret = mbedtls_mpi_read_binary_le(d.get(), scalar.data(), scalar.size());
  if (ret != 0) {
    return MakeError("X25519: cannot read the private key: " +
                     MbedtlsErrorText(ret));
  }

  // RFC 7748 §5: implementations MUST mask the most significant bit of the
  // u-coordinate; not every mbedTLS version does, so do it here.
  std::array<uint8_t, kKeySize> masked_u;
  std::copy(u.begin(), u.end(), masked_u.begin());
  masked_u[kKeySize - 1] &= 127;
  ScopedEcpPoint point;
  ret = mbedtls_ecp_point_read_binary(group.get(), point.get(), masked_u.data(),
                                      masked_u.size());
  if (ret == 0)
    ret = mbedtls_ecp_check_pubkey(group.get(), point.get());
  if (ret != 0) {
    // mbedTLS rejects the known low-order points here.
    return MakeError("X25519: invalid or low-order public key: " +
                     MbedtlsErrorText(ret));
  }

  // The random generator only blinds the ladder's projective coordinates
  // (a side-channel countermeasure, mandatory in mbedTLS 3.x); the result
  // does not depend on it.
  ScopedEcpPoint result;
  ret = mbedtls_ecp_mul(group.get(), result.get(), d.get(), point.get(),
                        &RandomGenerator::MbedtlsCallback,
                        &RandomGenerator::Default());
  if (ret != 0) {
    return MakeError("X25519: scalar multiplication failed: " +
                     MbedtlsErrorText(ret));
  }

  SecretBytes out(kKeySize);
  size_t written = 0;
  // For Montgomery curves the format argument is ignored: the output is
  // always the 32-byte little-endian u-coordinate.
  ret = mbedtls_ecp_point_write_binary(group.get(), result.get(),
                                       MBEDTLS_ECP_PF_UNCOMPRESSED, &written,
                                       out.data(), out.size());
  if (ret != 0 || written != kKeySize) {
    return MakeError("X25519: cannot encode the result: " +
                     MbedtlsErrorText(ret));
  }
  return out;
}

bool IsAllZero(ByteSpan bytes) {
  uint8_t acc = 0;
  for (uint8_t b : bytes)
    acc |= b;
  // Through volatile so the loop is not turned into an early exit.
  volatile uint8_t result = acc;
  return result == 0;
}

}  // namespace

X25519KeyPair::X25519KeyPair(SecretBytes scalar, Bytes public_key)
    : scalar_(std::move(scalar)), public_key_(std::move(public_key)) {}

Result<X25519KeyPair> X25519KeyPair::Generate(RandomGenerator& random) {
  SecretBytes private_key(kKeySize);
  if (auto filled = random.Fill(private_key.span()); !filled) {
    return MakeError("X25519: " + filled.error().message);
  }
  return FromPrivateKey(private_key.span());
}

Result<X25519KeyPair> X25519KeyPair::FromPrivateKey(ByteSpan private_key) {
  if (private_key.size() != kKeySize) {
    return MakeError("X25519: a private key must be 32 bytes");
  }
  SecretBytes scalar = ClampScalar(private_key);
  TETHER_TRY(public_key, ScalarMult(scalar.span(), kBasePoint));
  ByteSpan public_bytes = public_key->span();
  return X25519KeyPair(std::move(scalar),
                       Bytes(public_bytes.begin(), public_bytes.end()));
}

Result<SecretBytes> X25519KeyPair::SharedSecret(ByteSpan peer_public) const {
  if (peer_public.size() != kKeySize) {
    return MakeError("X25519: a public key must be 32 bytes");
  }
  auto shared = ScalarMult(scalar_.span(), peer_public);
  if (!shared)
    return shared;
  // RFC 7748 §6.1: an all-zero output means the peer sent a low-order
  // point; older mbedTLS versions do not catch every such point above.
  if (IsAllZero(shared->span())) {
    return MakeError("X25519: low-order public key (all-zero shared secret)");
  }
  return shared;
}

}  // namespace tether::crypto
