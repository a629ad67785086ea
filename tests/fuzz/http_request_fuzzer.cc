// The relay's HTTP boundary: arbitrary bytes, cut into pieces of a size the
// first byte picks, fed to the request parser as a browser's TLS stream
// would deliver them; each finished request's target and query go through
// the decoders the router uses. Besides never crashing, checks the
// contract: consumed bytes never exceed what was fed, a finished request
// stays within the limits, and every refusal carries an HTTP status the
// connection answers with.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "relay/web/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether::relay::web;
  if (size == 0)
    return 0;
  HttpLimits limits;
  limits.max_target = 256;
  limits.max_header_bytes = 1024;
  limits.max_headers = 16;
  limits.max_body = 512;
  HttpRequestParser parser(limits);
  const size_t piece = 1 + data[0] % 64;
  ++data;
  --size;
  size_t offset = 0;
  int requests = 0;
  while (offset < size) {
    const size_t n = std::min(piece, size - offset);
    tether::ByteSpan bytes(data + offset, n);
    auto used = parser.Feed(bytes);
    if (!used) {
      const int status = parser.error_status();
      if (status != 400 && status != 413 && status != 414 && status != 431 &&
          status != 501) {
        std::abort();
      }
      return 0;
    }
    if (*used > n)
      std::abort();
    offset += *used;
    if (parser.complete()) {
      HttpRequest request = parser.Take();
      if (request.target.size() > limits.max_target ||
          request.body.size() > limits.max_body ||
          request.headers.size() > limits.max_headers) {
        std::abort();
      }
      (void)PercentDecode(request.path());
      (void)QueryValue(request.query(), "since");
      if (request.upgrade || ++requests > 64)
        return 0;
    } else if (*used < n) {
      std::abort();  // stopped early without a request or an error
    }
  }
  return 0;
}
