#include "crypto/tls_config.h"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include <string_view>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/mbedtls_error.h"
#include "crypto/random.h"
#include "crypto/secure_memory.h"

namespace tether::crypto {
namespace {

constexpr struct {
  Tls13Suite suite;
  int id;
  std::string_view name;
} kTls13Suites[] = {
    {Tls13Suite::kAes256GcmSha384, MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
     "TLS_AES_256_GCM_SHA384"},
    {Tls13Suite::kChacha20Poly1305Sha256,
     MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256"},
    {Tls13Suite::kAes128GcmSha256, MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
     "TLS_AES_128_GCM_SHA256"},
};

// TLS 1.2, only when a side allows it: forward secrecy and AEAD only,
// strongest first. No CBC (Lucky 13 and friends), no static RSA key exchange
// (no forward secrecy), no PSK.
constexpr int kTls12Suites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

// Key exchange groups, preferred first. A TLS 1.3 server takes a key share
// the client sent for one of these; a client that sent none it can use is
// asked for one with a HelloRetryRequest. P-384 stays last because under
// TLS 1.2 this list also bounds the curves of the ECDSA certificates a
// client accepts, and IT's CA may issue P-384 keys.
constexpr uint16_t kGroups[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

// PEM parsers in mbedTLS only recognise PEM when the terminating NUL is
// part of the buffer they are given.
template <typename Buffer>
Buffer NulTerminated(std::string_view text) {
  Buffer buffer(text.size() + 1);
  std::copy(text.begin(), text.end(), buffer.data());
  buffer.data()[text.size()] = 0;
  return buffer;
}

Result<void> InitPsa() {
  // TLS 1.3 in mbedTLS 3 runs on PSA crypto, which must be initialised
  // first. Idempotent and cheap after the first call.
  psa_status_t status = psa_crypto_init();
  if (status != PSA_SUCCESS) {
    return MakeError("cannot initialise PSA crypto: status " +
                     std::to_string(static_cast<int>(status)));
  }
  return {};
}

// The suite list one side offers or accepts: the TLS 1.3 suites in order,
// then TLS 1.2's when 1.2 is allowed. 0-terminated for mbedTLS.
std::vector<int> SuiteList(const std::vector<Tls13Suite>& tls13,
                           TlsVersion min_version) {
  std::vector<int> ids;
  for (Tls13Suite suite : tls13) {
    for (const auto& known : kTls13Suites) {
      if (known.suite == suite)
        ids.push_back(known.id);
    }
  }
  if (min_version == TlsVersion::kTls12)
    ids.insert(ids.end(), std::begin(kTls12Suites), std::end(kTls12Suites));
  ids.push_back(0);
  return ids;
}

// The part of the policy both sides share. `suites` must outlive `conf`.
Result<void> ApplyCommonPolicy(mbedtls_ssl_config* conf,
                               int endpoint,
                               TlsVersion min_version,
                               TlsVersion max_version,
                               const std::vector<int>& suites,
                               RandomGenerator& random) {
  if (max_version < min_version)
    return MakeError("the highest TLS version is below the lowest");
  if (suites.size() < 2)
    return MakeError("no TLS cipher suite is enabled");
  int ret = mbedtls_ssl_config_defaults(
      conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (ret != 0) {
    return MakeError("cannot set TLS defaults: " + MbedtlsErrorText(ret));
  }
  mbedtls_ssl_conf_rng(conf, &RandomGenerator::MbedtlsCallback, &random);

  mbedtls_ssl_conf_min_tls_version(conf, min_version == TlsVersion::kTls13
                                             ? MBEDTLS_SSL_VERSION_TLS1_3
                                             : MBEDTLS_SSL_VERSION_TLS1_2);
  mbedtls_ssl_conf_max_tls_version(conf, max_version == TlsVersion::kTls13
                                             ? MBEDTLS_SSL_VERSION_TLS1_3
                                             : MBEDTLS_SSL_VERSION_TLS1_2);
  // Fresh (EC)DHE for every connection: no resumption PSKs, so no 0-RTT
  // either (Debian's build has no MBEDTLS_SSL_EARLY_DATA besides).
  mbedtls_ssl_conf_tls13_key_exchange_modes(
      conf, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL);
  mbedtls_ssl_conf_groups(conf, kGroups);
  mbedtls_ssl_conf_ciphersuites(conf, suites.data());

#if defined(MBEDTLS_SSL_RENEGOTIATION)
  // Renegotiation buys us nothing and has a history of attacks; a peer
  // that asks gets a no_renegotiation alert.
  mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
  // Peers without the renegotiation_info extension (RFC 5746) are accepted:
  // the attack it prevents needs a renegotiation, which never happens here.
  // Refusing them would only blind scanners such as sslscan, whose probes
  // omit it, to what the relay really offers.
  mbedtls_ssl_conf_legacy_renegotiation(conf,
                                        MBEDTLS_SSL_LEGACY_NO_RENEGOTIATION);
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
  // Connections are long-lived; resumption is not worth the ticket key.
  // (A server only issues tickets with mbedtls_ssl_conf_session_tickets_cb,
  // which we never call.)
  mbedtls_ssl_conf_session_tickets(conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
#endif
  // TLS compression (CRIME) does not exist in mbedTLS 3.
  return {};
}

// Keeps the ids in `kept` (mbedTLS holds pointers into them) and sets them
// as the ALPN list of `conf`; an empty list leaves ALPN off.
Result<void> ApplyAlpn(mbedtls_ssl_config* conf,
                       const std::vector<std::string>& ids,
                       std::vector<std::string>* kept,
                       std::vector<const char*>* list) {
  if (ids.empty())
    return {};
  *kept = ids;
  for (const std::string& id : *kept) {
    if (id.empty() || id.size() > 255)
      return MakeError("an ALPN id is 1 to 255 bytes: '" + id + "'");
    list->push_back(id.c_str());
  }
  list->push_back(nullptr);
  if (int ret = mbedtls_ssl_conf_alpn_protocols(conf, list->data()); ret != 0) {
    return MakeError("cannot set ALPN: " + MbedtlsErrorText(ret));
  }
  return {};
}

// Parses this side's certificate and key into `certificate` and `key` and
// checks that they belong together. `role` ("server", "client") names them
// in errors.
Result<void> LoadOwnCertificate(std::string_view certificate_pem,
                                std::string_view private_key_pem,
                                std::string_view role,
                                mbedtls_x509_crt* certificate,
                                mbedtls_pk_context* key,
                                RandomGenerator& random) {
  const std::string who(role);
  auto cert_pem = NulTerminated<Bytes>(certificate_pem);
  int ret =
      mbedtls_x509_crt_parse(certificate, cert_pem.data(), cert_pem.size());
  if (ret != 0) {
    return MakeError("cannot parse the " + who +
                     " certificate: " + MbedtlsErrorText(ret));
  }
  auto key_pem = NulTerminated<SecretBytes>(private_key_pem);
  ret = mbedtls_pk_parse_key(key, key_pem.data(), key_pem.size(), nullptr, 0,
                             &RandomGenerator::MbedtlsCallback, &random);
  if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
    return MakeError("the " + who +
                     " private key is encrypted; Tether needs it unencrypted "
                     "(protect it with file permissions instead)");
  }
  if (ret != 0) {
    return MakeError("cannot parse the " + who +
                     " private key: " + MbedtlsErrorText(ret));
  }
  ret = mbedtls_pk_check_pair(&certificate->pk, key,
                              &RandomGenerator::MbedtlsCallback, &random);
  if (ret != 0) {
    return MakeError("the " + who +
                     " private key does not belong to the certificate: " +
                     MbedtlsErrorText(ret));
  }
  return {};
}

}  // namespace

std::string_view Tls13SuiteName(Tls13Suite suite) {
  for (const auto& known : kTls13Suites) {
    if (known.suite == suite)
      return known.name;
  }
  return "?";
}

Result<Tls13Suite> ParseTls13Suite(std::string_view name) {
  for (const auto& known : kTls13Suites) {
    if (known.name == name)
      return known.suite;
  }
  return MakeError(
      "not a TLS 1.3 cipher suite: write TLS_AES_256_GCM_SHA384, "
      "TLS_CHACHA20_POLY1305_SHA256 or TLS_AES_128_GCM_SHA256");
}

std::string_view MbedtlsVersion() {
  return MBEDTLS_VERSION_STRING;
}

// Declared in this order so they are freed in reverse: the SSL config
// points at the certificates and the key.
struct TlsConfig::Contexts {
  Contexts() {
    mbedtls_x509_crt_init(&own_certificate);
    mbedtls_pk_init(&own_key);
    mbedtls_x509_crt_init(&ca_chain);
    mbedtls_ssl_config_init(&conf);
  }
  ~Contexts() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca_chain);
    mbedtls_pk_free(&own_key);
    mbedtls_x509_crt_free(&own_certificate);
  }
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;

  mbedtls_x509_crt own_certificate;
  mbedtls_pk_context own_key;
  // CA mode: the CAs from ca_file. Pin mode: empty, see RequirePinnedPeer.
  mbedtls_x509_crt ca_chain;
  mbedtls_ssl_config conf;
  // ALPN ids and the NULL-terminated list mbedTLS keeps a pointer to.
  std::vector<std::string> alpn;
  std::vector<const char*> alpn_list;
  // conf points at it.
  std::vector<int> suites;

  bool server = false;
  bool pinned = false;
  // The peer keys accepted in pin mode: one for a client, any number for a
  // server with client_pins.
  std::vector<FingerprintDigest> pins;
  std::string server_name;
};

TlsConfig::TlsConfig() : contexts_(std::make_unique<Contexts>()) {}
TlsConfig::~TlsConfig() = default;

bool TlsConfig::is_server() const {
  return contexts_->server;
}
const mbedtls_ssl_config* TlsConfig::ssl_config() const {
  return &contexts_->conf;
}
bool TlsConfig::pinned() const {
  return contexts_->pinned;
}
const std::string& TlsConfig::server_name() const {
  return contexts_->server_name;
}

Result<std::shared_ptr<const TlsConfig>> TlsConfig::CreateServer(
    const TlsServerOptions& options,
    RandomGenerator& random) {
  if (auto ok = InitPsa(); !ok) {
    return Unexpected(std::move(ok).error());
  }
  std::shared_ptr<TlsConfig> config(new TlsConfig());
  Contexts& c = *config->contexts_;
  c.server = true;

  TETHER_RETURN_IF_ERROR(
      LoadOwnCertificate(options.certificate_pem, options.private_key_pem,
                         "server", &c.own_certificate, &c.own_key, random));
  for (const std::string& pin : options.client_pins) {
    auto digest = ParseFingerprint(pin);
    if (!digest) {
      return MakeError("invalid client pin '" + pin +
                       "': " + digest.error().message);
    }
    c.pins.push_back(*digest);
  }
  c.pinned = !c.pins.empty();
  if (c.pinned && options.min_version != TlsVersion::kTls13) {
    // Client certificates are only exercised (and needed) under TLS 1.3.
    return MakeError("a server with client pins accepts TLS 1.3 only");
  }

  if (options.tls13_suites.empty())
    return MakeError("no TLS 1.3 cipher suite is enabled");
  c.suites = SuiteList(options.tls13_suites, options.min_version);
  if (auto ok =
          ApplyCommonPolicy(&c.conf, MBEDTLS_SSL_IS_SERVER, options.min_version,
                            TlsVersion::kTls13, c.suites, random);
      !ok) {
    return Unexpected(std::move(ok).error());
  }
  TETHER_RETURN_IF_ERROR(
      ApplyAlpn(&c.conf, options.alpn, &c.alpn, &c.alpn_list));
  if (c.pinned) {
    // Another relay of the cluster: it proves its key in the handshake.
    config->RequirePinnedPeer();
  } else {
    // Clients authenticate inside the protocol (password + TOTP, or session
    // code), not with certificates.
    mbedtls_ssl_conf_authmode(&c.conf, MBEDTLS_SSL_VERIFY_NONE);
  }
  int ret = mbedtls_ssl_conf_own_cert(&c.conf, &c.own_certificate, &c.own_key);
  if (ret != 0) {
    return MakeError("cannot use the server certificate: " +
                     MbedtlsErrorText(ret));
  }
  return std::shared_ptr<const TlsConfig>(std::move(config));
}

Result<std::shared_ptr<const TlsConfig>> TlsConfig::CreateClient(
    const TlsClientOptions& options,
    RandomGenerator& random) {
  bool has_ca = !options.ca_file.empty();
  bool has_pin = !options.pinned_fingerprint.empty();
  if (has_ca == has_pin) {
    return MakeError(
        "TLS client needs exactly one of a CA file and a pinned key "
        "fingerprint");
  }
  if (has_ca && options.server_name.empty()) {
    // Without a name, a CA-verified connection would trust any certificate
    // the CA ever issued.
    return MakeError("TLS client with a CA file needs the server name");
  }
  if (options.certificate_pem.empty() != options.private_key_pem.empty()) {
    return MakeError(
        "TLS client needs both a certificate and its private key, or "
        "neither");
  }
  if (auto ok = InitPsa(); !ok) {
    return Unexpected(std::move(ok).error());
  }

  std::shared_ptr<TlsConfig> config(new TlsConfig());
  Contexts& c = *config->contexts_;
  c.server_name = options.server_name;

  if (has_pin) {
    auto pin = ParseFingerprint(options.pinned_fingerprint);
    if (!pin) {
      return MakeError("invalid pinned fingerprint: " + pin.error().message);
    }
    c.pins.push_back(*pin);
    c.pinned = true;
  } else {
    auto pem = ReadPemFile(options.ca_file);
    if (!pem)
      return MakeError("CA file: " + pem.error().message);
    auto buffer = NulTerminated<Bytes>(*pem);
    int ret = mbedtls_x509_crt_parse(&c.ca_chain, buffer.data(), buffer.size());
    // A positive result counts certificates that failed to parse; a bundle
    // with some unsupported entries is still usable if any parsed.
    if (ret < 0 || c.ca_chain.raw.len == 0) {
      return MakeError("cannot parse CA file " + options.ca_file + ": " +
                       MbedtlsErrorText(ret));
    }
  }

  // A client offers every suite it accepts; the relay chooses.
  c.suites = SuiteList(
      {Tls13Suite::kAes256GcmSha384, Tls13Suite::kChacha20Poly1305Sha256,
       Tls13Suite::kAes128GcmSha256},
      options.min_version);
  if (auto ok =
          ApplyCommonPolicy(&c.conf, MBEDTLS_SSL_IS_CLIENT, options.min_version,
                            options.max_version, c.suites, random);
      !ok) {
    return Unexpected(std::move(ok).error());
  }
  TETHER_RETURN_IF_ERROR(
      ApplyAlpn(&c.conf, options.alpn, &c.alpn, &c.alpn_list));
  if (!options.certificate_pem.empty()) {
    TETHER_RETURN_IF_ERROR(
        LoadOwnCertificate(options.certificate_pem, options.private_key_pem,
                           "client", &c.own_certificate, &c.own_key, random));
    // Sent only when the server asks (a CertificateRequest).
    int ret =
        mbedtls_ssl_conf_own_cert(&c.conf, &c.own_certificate, &c.own_key);
    if (ret != 0) {
      return MakeError("cannot use the client certificate: " +
                       MbedtlsErrorText(ret));
    }
  }
  if (c.pinned) {
    config->RequirePinnedPeer();
  } else {
    // Required, so nothing but a successful chain and name check lets a
    // handshake finish.
    mbedtls_ssl_conf_authmode(&c.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&c.conf, &c.ca_chain, nullptr);
  }
  return std::shared_ptr<const TlsConfig>(std::move(config));
}

void TlsConfig::RequirePinnedPeer() {
  Contexts& c = *contexts_;
  // Required, so nothing but a successful pin check lets a handshake
  // finish; a server asks for a certificate and refuses a client without
  // one.
  mbedtls_ssl_conf_authmode(&c.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  // The chain is empty: mbedTLS refuses VERIFY_REQUIRED without any CA
  // chain, and an empty one anchors nothing, so every certificate comes out
  // "not trusted" and only the pin check below can clear that.
  mbedtls_ssl_conf_ca_chain(&c.conf, &c.ca_chain, nullptr);
  // Engines install their own callback (mbedtls_ssl_set_verify) to report
  // the mismatch; this one makes the config fail closed on its own.
  mbedtls_ssl_conf_verify(
      &c.conf,
      [](void* self, mbedtls_x509_crt* crt, int depth, uint32_t* flags) {
        std::string detail;
        std::string fingerprint;
        bool matched = false;
        return static_cast<const TlsConfig*>(self)->CheckPinnedCertificate(
            crt, depth, flags, &detail, &matched, &fingerprint);
      },
      this);
}

int TlsConfig::CheckPinnedCertificate(mbedtls_x509_crt* certificate,
                                      int depth,
                                      uint32_t* flags,
                                      std::string* detail,
                                      bool* matched,
                                      std::string* matched_fingerprint) const {
  if (depth > 0) {
    // With pinned keys, whatever chain the peer sends above its leaf
    // carries no meaning.
    *flags = 0;
    return 0;
  }
  const std::string peer = contexts_->server ? "client" : "server";
  auto digest = PublicKeyDigest(&certificate->pk);
  if (!digest) {
    *flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
    *detail = "cannot fingerprint the " + peer +
              " certificate: " + digest.error().message;
    return 0;
  }
  // Every pin is compared, so the time taken says nothing about which one
  // matched.
  const FingerprintDigest* found = nullptr;
  for (const FingerprintDigest& pin : contexts_->pins) {
    if (ConstantTimeEqual(*digest, pin) && found == nullptr)
      found = &pin;
  }
  if (found == nullptr) {
    *flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
    if (contexts_->pins.size() == 1) {
      *detail = peer + " certificate does not match the pinned fingerprint " +
                FormatFingerprint(contexts_->pins.front()) + "; got " +
                FormatFingerprint(*digest);
    } else {
      *detail = peer + " certificate does not match any of the " +
                std::to_string(contexts_->pins.size()) +
                " pinned fingerprints; got " + FormatFingerprint(*digest);
    }
    return 0;
  }
  // The pin replaces chain and name checks (a self-signed certificate is
  // the normal case); validity period and key strength still apply.
  *flags &= ~static_cast<uint32_t>(MBEDTLS_X509_BADCERT_NOT_TRUSTED |
                                   MBEDTLS_X509_BADCERT_CN_MISMATCH);
  *matched = true;
  *matched_fingerprint = FormatFingerprint(*found);
  return 0;
}

}  // namespace tether::crypto
