#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

struct mbedtls_pk_context;

namespace tether::crypto {

class RandomGenerator;

// PEM files we read (certificates, keys, CA bundles) are small; anything
// larger is a wrong path, not a certificate.
inline constexpr size_t kMaxPemFileBytes = 1 << 20;

// A key fingerprint is "sha256:" followed by 64 lower- or upper-case hex
// digits: SHA-256 of the SubjectPublicKeyInfo DER. Pinning the key rather
// than the certificate lets the relay renew its certificate with the same
// key without breaking clients.
inline constexpr std::string_view kFingerprintPrefix = "sha256:";
using FingerprintDigest = std::array<uint8_t, 32>;

// Writes a self-signed certificate for a relay: ECDSA P-256 key, SHA-256
// signature, valid from an hour ago for ten years, subject CN and
// subjectAltName dNSName both `common_name` (a host name: letters, digits,
// '-', '.', '_'). The key file is created with mode 0600 from the start
// (never widened and narrowed later) and the certificate with 0644, both
// subject to the umask. Refuses to overwrite either file: an existing key
// is someone's identity.
Result<void> CreateSelfSignedCertificate(const std::filesystem::path& cert_path,
                                         const std::filesystem::path& key_path,
                                         std::string_view common_name,
                                         RandomGenerator& random);

// "sha256:<64 lower-case hex>" of the first certificate's public key.
Result<std::string> PublicKeyFingerprint(std::string_view certificate_pem);

// When the first certificate stops being valid: "2036-12-06T23:00:00Z".
Result<std::string> CertificateNotAfter(std::string_view certificate_pem);

// The fingerprint of a public key held by mbedTLS (the TLS layer uses this
// on the peer's leaf certificate). Non-const: mbedTLS hands the peer's
// certificate to the verify callback as non-const.
Result<FingerprintDigest> PublicKeyDigest(mbedtls_pk_context* key);
std::string FormatFingerprint(const FingerprintDigest& digest);

// Checks the "sha256:<64 hex>" form; the error says what is wrong.
Result<void> CheckFingerprintFormat(std::string_view fingerprint);
Result<FingerprintDigest> ParseFingerprint(std::string_view fingerprint);

// Reads a PEM file of at most kMaxPemFileBytes that contains a PEM block.
Result<std::string> ReadPemFile(const std::filesystem::path& path);

}  // namespace tether::crypto
