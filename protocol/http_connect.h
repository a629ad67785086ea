#pragma once

// The HTTP CONNECT exchange that opens a tunnel to the relay through a web
// proxy (RFC 9110 §9.3.6): the request we send, and a parser for the head of
// the proxy's answer. Pure functions over bytes, so tests and the fuzzer
// (tests/fuzz/http_connect_fuzzer.cc) drive them without sockets.
//
// The proxy is not trusted with anything: TLS to the relay runs inside the
// tunnel, so a hostile proxy can only refuse or cut the connection. The
// parser's job is to never read past its input, never buffer more than
// kMaxConnectResponseHead bytes, and hand back exactly the bytes that
// follow the head (the start of the relay's TLS stream).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace tether::protocol {

// A proxy answer whose head (status line and headers) is longer than this
// is refused: real ones are a few hundred bytes.
inline constexpr size_t kMaxConnectResponseHead = 8 * 1024;

// "CONNECT host:port HTTP/1.1\r\nHost: host:port\r\n\r\n"; an IPv6 literal
// host is put in brackets.
std::string BuildConnectRequest(std::string_view host, uint16_t port);

struct ConnectResponse {
  int status = 0;      // 100..599
  std::string reason;  // the reason phrase, printable ASCII, at most 64 chars
  // Bytes of the head including its empty line; whatever follows in the
  // input is already tunnel data.
  size_t head_size = 0;

  bool success() const { return status >= 200 && status <= 299; }
};

// Parses the head of a proxy's answer to CONNECT from the bytes received so
// far. Returns nullopt while the head is incomplete (call again with more
// bytes), the response once the empty line has arrived, or an error when
// the bytes are not an HTTP/1.x response or the head is over
// kMaxConnectResponseHead. Lines may end in CRLF or a bare LF.
Result<std::optional<ConnectResponse>> ParseConnectResponse(ByteSpan received);

}  // namespace tether::protocol
