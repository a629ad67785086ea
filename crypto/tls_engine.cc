#include "crypto/tls_engine.h"

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "crypto/mbedtls_error.h"

namespace tether::crypto {
namespace {

constexpr int kAlertRecordType = 21;  // TLS ContentType alert

bool WouldBlock(int ret) {
  return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

// mbedtls_x509_crt_verify_info writes one line per failure; one line reads
// better in an error message.
std::string VerifyFailureText(uint32_t flags) {
  char info[512];
  int len = mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
  std::string text = len > 0 ? std::string(info, static_cast<size_t>(len)) : "";
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ';');
  return text.empty() ? "unknown reason" : text;
}

}  // namespace

struct TlsEngine::Contexts {
  Contexts() { mbedtls_ssl_init(&ssl); }
  ~Contexts() { mbedtls_ssl_free(&ssl); }
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;

  mbedtls_ssl_context ssl;
};

TlsEngine::TlsEngine(std::shared_ptr<const TlsConfig> config)
    : config_(std::move(config)), contexts_(std::make_unique<Contexts>()) {}

TlsEngine::~TlsEngine() = default;

Result<std::unique_ptr<TlsEngine>> TlsEngine::Create(
    std::shared_ptr<const TlsConfig> config) {
  if (!config)
    return MakeError("TLS engine needs a config");
  std::unique_ptr<TlsEngine> engine(new TlsEngine(std::move(config)));
  const TlsConfig& c = *engine->config_;
  mbedtls_ssl_context* ssl = &engine->contexts_->ssl;

  int ret = mbedtls_ssl_setup(ssl, c.ssl_config());
  if (ret != 0) {
    return MakeError("cannot set up a TLS connection: " +
                     MbedtlsErrorText(ret));
  }
  if (!c.is_server()) {
    // With a name: SNI, and the certificate name check in CA mode. Without
    // one (pin mode only): an explicit NULL, which mbedTLS >= 3.6.3 demands
    // before it verifies a certificate without checking its name.
    ret = mbedtls_ssl_set_hostname(
        ssl, c.server_name().empty() ? nullptr : c.server_name().c_str());
    if (ret != 0) {
      return MakeError("cannot set the TLS server name: " +
                       MbedtlsErrorText(ret));
    }
  }
  if (c.pinned()) {
    // Same check as the config's callback, but this one can tell us why it
    // failed, and which pin matched.
    mbedtls_ssl_set_verify(ssl, &TlsEngine::VerifyCallback, engine.get());
  }
  mbedtls_ssl_set_bio(ssl, engine.get(), &TlsEngine::SendCallback,
                      &TlsEngine::ReceiveCallback, nullptr);
  return engine;
}

int TlsEngine::SendCallback(void* self, const unsigned char* data, size_t len) {
  auto* engine = static_cast<TlsEngine*>(self);
  // mbedTLS hands over whole records; remember the type of the last one.
  if (len > 0)
    engine->last_record_type_ = data[0];
  engine->outgoing_.insert(engine->outgoing_.end(), data, data + len);
  return static_cast<int>(len);
}

int TlsEngine::ReceiveCallback(void* self, unsigned char* data, size_t len) {
  auto* engine = static_cast<TlsEngine*>(self);
  size_t available = engine->incoming_.size() - engine->incoming_offset_;
  if (available == 0)
    return MBEDTLS_ERR_SSL_WANT_READ;
  size_t n = std::min(len, available);
  std::memcpy(data, engine->incoming_.data() + engine->incoming_offset_, n);
  engine->incoming_offset_ += n;
  if (engine->incoming_offset_ == engine->incoming_.size()) {
    ClearAndRelease(engine->incoming_);
    engine->incoming_offset_ = 0;
  }
  return static_cast<int>(n);
}

int TlsEngine::VerifyCallback(void* self,
                              mbedtls_x509_crt* certificate,
                              int depth,
                              uint32_t* flags) {
  auto* engine = static_cast<TlsEngine*>(self);
  return engine->config_->CheckPinnedCertificate(
      certificate, depth, flags, &engine->verify_detail_, &engine->pin_matched_,
      &engine->peer_fingerprint_);
}

void TlsEngine::FeedIncoming(ByteSpan ciphertext_from_network) {
  if (failed_ || ciphertext_from_network.empty())
    return;
  size_t buffered = incoming_size();
  last_record_type_ = -1;
  if (ciphertext_from_network.size() > kMaxIncomingBytes - buffered) {
    FailWithMessage("incoming TLS data exceeds the buffer limit of " +
                        std::to_string(kMaxIncomingBytes) +
                        " bytes (the reader is not keeping up)",
                    MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR);
    return;
  }
  // Drop what mbedTLS already consumed before growing the buffer.
  if (incoming_offset_ > 0) {
    incoming_.erase(
        incoming_.begin(),
        incoming_.begin() + static_cast<std::ptrdiff_t>(incoming_offset_));
    incoming_offset_ = 0;
  }
  incoming_.insert(incoming_.end(), ciphertext_from_network.begin(),
                   ciphertext_from_network.end());
}

Bytes TlsEngine::TakeOutgoing() {
  return std::exchange(outgoing_, Bytes());
}

bool TlsEngine::HasOutgoing() const {
  return !outgoing_.empty();
}

size_t TlsEngine::incoming_size() const {
  return incoming_.size() - incoming_offset_;
}

size_t TlsEngine::outgoing_size() const {
  return outgoing_.size();
}

Result<bool> TlsEngine::Handshake() {
  if (failed_)
    return StoredError();
  if (handshake_complete_)
    return true;
  last_record_type_ = -1;
  int ret = mbedtls_ssl_handshake(&contexts_->ssl);
  if (WouldBlock(ret))
    return false;
  if (ret != 0)
    return Unexpected(Fail(ret, "TLS handshake failed"));
  if (config_->pinned() && !pin_matched_) {
    // Unreachable while the verify callback runs for every leaf; if it ever
    // did not, we must not talk to an unchecked peer.
    return Unexpected(FailWithMessage(
        std::string(config_->is_server() ? "client" : "server") +
            " certificate was not checked against the pins",
        MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR));
  }
  handshake_complete_ = true;
  return true;
}

Result<size_t> TlsEngine::Read(std::span<uint8_t> out) {
  if (failed_)
    return StoredError();
  if (!handshake_complete_) {
    TETHER_TRY(done, Handshake());
    if (!*done)
      return size_t{0};
  }
  if (peer_closed_ || out.empty())
    return size_t{0};
  for (;;) {
    last_record_type_ = -1;
    int ret = mbedtls_ssl_read(&contexts_->ssl, out.data(), out.size());
    if (ret > 0)
      return static_cast<size_t>(ret);
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
      peer_closed_ = true;
      return size_t{0};
    }
    // 0 would mean the transport reported EOF, which ours never does.
    if (ret == 0 || WouldBlock(ret))
      return size_t{0};
    // A TLS 1.3 server may send tickets at any time; we do not resume, so
    // there is nothing to do but read on.
    if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
      continue;
    return Unexpected(Fail(ret, "TLS read failed"));
  }
}

Result<size_t> TlsEngine::Write(ByteSpan plaintext) {
  if (failed_)
    return StoredError();
  // Both are mistakes of the caller, not of the peer: report them without
  // breaking the connection.
  if (!handshake_complete_) {
    return MakeError("TLS write before the handshake completed");
  }
  if (close_sent_)
    return MakeError("TLS write after Close()");
  size_t done = 0;
  while (done < plaintext.size()) {
    last_record_type_ = -1;
    // Returns at most one record's worth (16 KiB) per call.
    int ret = mbedtls_ssl_write(&contexts_->ssl, plaintext.data() + done,
                                plaintext.size() - done);
    if (ret > 0) {
      done += static_cast<size_t>(ret);
      continue;
    }
    if (WouldBlock(ret)) {
      // Our send callback never blocks, so mbedTLS has no reason to.
      return Unexpected(FailWithMessage(
          "TLS write blocked unexpectedly: " + MbedtlsErrorText(ret),
          MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR));
    }
    return Unexpected(Fail(ret, "TLS write failed"));
  }
  return done;
}

void TlsEngine::Close() {
  if (failed_ || close_sent_)
    return;
  close_sent_ = true;
  // Before the handshake there is no session to close; the caller just
  // drops the connection.
  if (!handshake_complete_)
    return;
  last_record_type_ = -1;
  int ret = mbedtls_ssl_close_notify(&contexts_->ssl);
  if (ret != 0 && !WouldBlock(ret))
    Fail(ret, "TLS close failed");
}

std::string TlsEngine::protocol_version() const {
  if (!handshake_complete_)
    return "";
  return mbedtls_ssl_get_version(&contexts_->ssl);
}

std::string TlsEngine::cipher_suite() const {
  if (!handshake_complete_)
    return "";
  const char* name = mbedtls_ssl_get_ciphersuite(&contexts_->ssl);
  return name != nullptr ? name : "";
}

std::string TlsEngine::alpn() const {
  if (!handshake_complete_)
    return "";
  const char* id = mbedtls_ssl_get_alpn_protocol(&contexts_->ssl);
  return id != nullptr ? id : "";
}

Error TlsEngine::Fail(int mbedtls_code, const std::string& what) {
  std::string message;
  int alert = handshake_complete_ ? MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR
                                  : MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE;
  switch (mbedtls_code) {
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
      certificate_rejected_ = !failed_;
      message = !verify_detail_.empty()
                    ? verify_detail_
                    : std::string(config_->is_server() ? "client" : "server") +
                          " certificate verification failed: " +
                          VerifyFailureText(
                              mbedtls_ssl_get_verify_result(&contexts_->ssl));
      alert = MBEDTLS_SSL_ALERT_MSG_BAD_CERT;
      break;
    case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
      // Only a server with client pins asks for one.
      certificate_rejected_ = !failed_;
      message =
          "the client presented no certificate; this server accepts only "
          "clients with a pinned key";
      alert = MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED;
      break;
    case MBEDTLS_ERR_SSL_INVALID_RECORD:
      message =
          what + ": malformed TLS record " + MbedtlsErrorText(mbedtls_code);
      alert = MBEDTLS_SSL_ALERT_MSG_DECODE_ERROR;
      break;
    case MBEDTLS_ERR_SSL_INVALID_MAC:
      message = what + ": " + MbedtlsErrorText(mbedtls_code);
      alert = MBEDTLS_SSL_ALERT_MSG_BAD_RECORD_MAC;
      break;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
      protocol_refused_ =
          !failed_ && !handshake_complete_ && !config_->is_server();
      message = what + ": " + MbedtlsErrorText(mbedtls_code);
      alert = -1;  // the peer has given up already; answering is pointless
      break;
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
      protocol_refused_ = !failed_ && !config_->is_server();
      message = what + ": " + MbedtlsErrorText(mbedtls_code);
      alert = MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION;
      break;
    default:
      message = what + ": " + MbedtlsErrorText(mbedtls_code);
      break;
  }
  return FailWithMessage(std::move(message), alert);
}

Error TlsEngine::FailWithMessage(std::string message, int alert) {
  if (failed_)
    return error_;
  failed_ = true;
  error_ = Error{std::move(message), Error::Kind::kPermanent};
  // mbedTLS sends alerts for most handshake failures itself; one is enough.
  if (alert >= 0 && last_record_type_ != kAlertRecordType) {
    // Best effort: the state may be too broken to encrypt an alert.
    (void)mbedtls_ssl_send_alert_message(&contexts_->ssl,
                                         MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                         static_cast<unsigned char>(alert));
  }
  return error_;
}

Unexpected<Error> TlsEngine::StoredError() const {
  return Unexpected(error_);
}

}  // namespace tether::crypto
