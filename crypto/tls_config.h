#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

// mbedTLS types stay out of this header: engines reach them through the
// friend declaration below, everyone else never sees them.
struct mbedtls_ssl_config;
struct mbedtls_x509_crt;

namespace tether::crypto {

class RandomGenerator;

// The oldest version a side accepts; every side offers TLS 1.3.
enum class TlsVersion { kTls12, kTls13 };

// The TLS 1.3 cipher suites (all AEAD), by their IANA names.
enum class Tls13Suite {
  kAes256GcmSha384,         // TLS_AES_256_GCM_SHA384
  kChacha20Poly1305Sha256,  // TLS_CHACHA20_POLY1305_SHA256
  kAes128GcmSha256,         // TLS_AES_128_GCM_SHA256
};
std::string_view Tls13SuiteName(Tls13Suite suite);
Result<Tls13Suite> ParseTls13Suite(std::string_view name);

// "3.6.6": the mbedTLS this binary carries (linked statically), for
// --version, so IT can tell when a security release needs a rebuild.
std::string_view MbedtlsVersion();

// ALPN protocol ids (RFC 7301). Tether's apps offer kAlpnTether; browsers
// offer kAlpnHttp11. The relay serves both on one port and tells them apart
// by what the handshake agreed (an app before 0.3 offers nothing: a relay
// client too).
inline constexpr std::string_view kAlpnTether = "tether/1";
inline constexpr std::string_view kAlpnHttp11 = "http/1.1";

struct TlsServerOptions {
  std::string certificate_pem;  // leaf first, then any intermediates
  std::string private_key_pem;  // must match the leaf's public key
  TlsVersion min_version = TlsVersion::kTls13;
  // In the server's order of preference; at least one. Under TLS 1.2 (when
  // allowed) the ECDHE + AEAD suites apply instead.
  std::vector<Tls13Suite> tls13_suites = {Tls13Suite::kAes256GcmSha384};
  // Accepted ALPN ids, preferred first. A client that offers ids but none
  // of these fails the handshake (no_application_protocol); a client that
  // offers none is served.
  std::vector<std::string> alpn = {std::string(kAlpnTether)};
  // Empty (apps and browsers): no client certificate is asked for; clients
  // authenticate inside the protocol. Otherwise (links between the relays
  // of one cluster) every client must present a certificate whose key is
  // one of these, "sha256:<64 hex>" of its SubjectPublicKeyInfo DER (see
  // PublicKeyFingerprint in certificate.h); its chain and names are not
  // checked (self-signed relay certificates), its validity period is. A
  // client without a certificate, or with another key, fails the
  // handshake. Needs `min_version` TLS 1.3.
  std::vector<std::string> client_pins = {};
};

// Exactly one of `ca_file` and `pinned_fingerprint` is set.
struct TlsClientOptions {
  // Verify the server's chain against these CAs, and its name against
  // `server_name` (required in this mode).
  std::string ca_file;
  // Or trust exactly one server key: "sha256:<64 hex>" of the server's
  // SubjectPublicKeyInfo DER (see PublicKeyFingerprint in certificate.h).
  std::string pinned_fingerprint;
  // Sent as SNI; checked against the certificate when `ca_file` is used.
  std::string server_name;
  TlsVersion min_version = TlsVersion::kTls13;
  // kTls12 plays an old client (benches and tests compare the two versions
  // and check that the relay refuses 1.2); the apps leave it at 1.3.
  TlsVersion max_version = TlsVersion::kTls13;
  // Offered in the handshake (empty: no ALPN extension, as apps before 0.3).
  std::vector<std::string> alpn = {std::string(kAlpnTether)};
  // Both or neither: this side's certificate (leaf first) and its private
  // key, presented when a server asks for one (a relay whose
  // TlsServerOptions::client_pins hold this key). Without them the client
  // answers such a request with no certificate and the server refuses it.
  std::string certificate_pem = {};
  std::string private_key_pem = {};
};

// The TLS policy of one side: versions, AEAD-only suites, groups,
// certificates and how the peer is verified. Immutable once created and
// shared by every TlsEngine of that side, possibly across threads.
//
// The RandomGenerator passed to Create*() must outlive the config and every
// engine made from it (mbedTLS keeps a pointer to it); in practice it is
// RandomGenerator::Default(), which lives as long as the process.
class TlsConfig {
 public:
  static Result<std::shared_ptr<const TlsConfig>> CreateServer(
      const TlsServerOptions& options,
      RandomGenerator& random);
  static Result<std::shared_ptr<const TlsConfig>> CreateClient(
      const TlsClientOptions& options,
      RandomGenerator& random);

  ~TlsConfig();
  TlsConfig(const TlsConfig&) = delete;
  TlsConfig& operator=(const TlsConfig&) = delete;

  bool is_server() const;

 private:
  friend class TlsEngine;
  struct Contexts;

  TlsConfig();

  const mbedtls_ssl_config* ssl_config() const;
  // The peer's key is checked against pins: a client's server pin, or a
  // server's client_pins.
  bool pinned() const;
  // Empty for servers and for pinned clients without a name.
  const std::string& server_name() const;

  // Makes the handshake require a peer certificate that only the pin check
  // can accept (used by both sides once the pins are set).
  void RequirePinnedPeer();

  // The pin check of both sides, shaped like mbedTLS's verify callback:
  // leaves a trust failure flag set (and explains it in `*detail`) unless
  // the leaf's key matches one of the pins. On a match, sets `*matched` and
  // the matching pin in `*matched_fingerprint` ("sha256:<64 hex>").
  int CheckPinnedCertificate(mbedtls_x509_crt* certificate,
                             int depth,
                             uint32_t* flags,
                             std::string* detail,
                             bool* matched,
                             std::string* matched_fingerprint) const;

  std::unique_ptr<Contexts> contexts_;
};

}  // namespace tether::crypto
