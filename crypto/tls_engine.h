#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/tls_config.h"

namespace tether::crypto {

// One TLS connection over memory buffers: the caller moves ciphertext
// between the engine and the network (FeedIncoming / TakeOutgoing), the
// engine never does I/O. This keeps it usable from a libuv loop, a blocking
// test server and a fuzzer alike.
//
// Single-threaded: all calls on one thread (the config may be shared).
//
// Errors are sticky: after the first failure every call returns that same
// error. A fatal error queues an alert for the peer when it can, so the
// caller should still flush TakeOutgoing() before closing the socket.
//
// Buffers: incoming ciphertext is buffered up to kMaxIncomingBytes; feeding
// more before Read()/Handshake() consumes it is an error (the caller stops
// reading from the socket when incoming_size() is high). Outgoing
// ciphertext grows only by what the caller wrote plus protocol overhead, so
// the caller bounds it by not writing while outgoing_size() is high.
class TlsEngine {
 public:
  // 1 MiB of records plus room for their headers and a partial record.
  static constexpr size_t kMaxIncomingBytes = (1 << 20) + (64 << 10);

  static Result<std::unique_ptr<TlsEngine>> Create(
      std::shared_ptr<const TlsConfig> config);

  ~TlsEngine();
  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;

  // Buffers ciphertext from the network. Ignored after an error.
  void FeedIncoming(ByteSpan ciphertext_from_network);
  // Ciphertext to send, in order; empty when there is none.
  Bytes TakeOutgoing();
  bool HasOutgoing() const;
  size_t incoming_size() const;
  size_t outgoing_size() const;

  // Advances the handshake with what has been fed so far. Returns true once
  // complete, false while it needs more input (send TakeOutgoing() first).
  Result<bool> Handshake();
  // Plaintext into `out`. Drives the handshake if it is not complete yet.
  // 0 means nothing available yet, or the peer closed (peer_closed()).
  // Call again until 0 after every FeedIncoming: one call returns at most
  // one record's worth.
  Result<size_t> Read(std::span<uint8_t> out);
  // Encrypts all of `plaintext` (split into records) into the outgoing
  // buffer. Only after the handshake and before Close().
  Result<size_t> Write(ByteSpan plaintext);
  // Queues close_notify (once the handshake is complete). Idempotent; after
  // it Write fails, Read still works until the peer's close_notify.
  void Close();

  bool handshake_complete() const { return handshake_complete_; }
  bool peer_closed() const { return peer_closed_; }
  bool failed() const { return failed_; }
  // True when the handshake failed because the peer's certificate was
  // refused, so the app can say so instead of reporting a generic TLS
  // failure. Client: the server's (pin mismatch, or chain/name verification
  // in CA mode). Server with client pins: the client's key is not pinned,
  // or the client presented no certificate.
  bool certificate_rejected() const { return certificate_rejected_; }
  // Pin mode (a client's server pin, a server's client_pins): the pin the
  // peer's key matched, "sha256:<64 hex>", so a relay knows which member of
  // its cluster connected. Empty otherwise and before the handshake
  // completes.
  std::string peer_fingerprint() const {
    return handshake_complete_ ? peer_fingerprint_ : std::string();
  }
  // Client side: the server refused the handshake (a fatal alert before it
  // completed) or chose a version this side does not accept. A client
  // offers every TLS 1.3 suite and group a server may ask for, so this means
  // the server does not speak TLS 1.3: an outdated relay, or not a relay.
  bool protocol_refused() const { return protocol_refused_; }
  // "TLSv1.2" or "TLSv1.3"; empty before the handshake completes.
  std::string protocol_version() const;
  // mbedTLS's name, e.g. "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384"; empty
  // before the handshake completes.
  std::string cipher_suite() const;
  // The ALPN id the handshake agreed on; empty when the client offered none
  // (and before the handshake completes).
  std::string alpn() const;

 private:
  struct Contexts;

  explicit TlsEngine(std::shared_ptr<const TlsConfig> config);

  static int SendCallback(void* self, const unsigned char* data, size_t len);
  static int ReceiveCallback(void* self, unsigned char* data, size_t len);
  static int VerifyCallback(void* self,
                            mbedtls_x509_crt* certificate,
                            int depth,
                            uint32_t* flags);

  // Records the first fatal error, queues an alert if mbedTLS did not, and
  // returns the error.
  Error Fail(int mbedtls_code, const std::string& what);
  Error FailWithMessage(std::string message, int alert);
  Unexpected<Error> StoredError() const;

  // Declared first so it is destroyed last: the SSL context points into it.
  std::shared_ptr<const TlsConfig> config_;
  std::unique_ptr<Contexts> contexts_;

  Bytes incoming_;
  size_t incoming_offset_ = 0;  // bytes of incoming_ already consumed
  Bytes outgoing_;
  // Content type of the last record mbedTLS sent, to tell whether it already
  // sent a fatal alert before returning an error.
  int last_record_type_ = -1;

  bool handshake_complete_ = false;
  bool peer_closed_ = false;
  bool close_sent_ = false;
  bool failed_ = false;
  bool certificate_rejected_ = false;
  bool protocol_refused_ = false;
  Error error_;

  // Pin mode: set by VerifyCallback.
  bool pin_matched_ = false;
  std::string verify_detail_;
  std::string peer_fingerprint_;
};

}  // namespace tether::crypto
