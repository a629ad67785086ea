#pragma once

// Reading what `openssl s_client` printed, for the TLS policy tests of the
// engine (tests/crypto) and of a real relay (tests/relay).

#include <gtest/gtest.h>

#include <string>

#include "tests/support/shell.h"

namespace tether::test {

inline size_t CountOf(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size())) {
    ++n;
  }
  return n;
}

// The handshake failed because our server said no: an alert came from it
// (`alert_number`, e.g. "70" protocol_version), and the client did not
// refuse on its own.
inline void ExpectServerRefused(const ShellResult& result,
                                const std::string& alert_number) {
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_EQ(CountOf(result.output, "SSL alert number " + alert_number), 1u)
      << result.output;
  EXPECT_EQ(CountOf(result.output, "no protocols available"), 0u)
      << result.output;
  EXPECT_EQ(CountOf(result.output, "no ciphers available"), 0u)
      << result.output;
}

}  // namespace tether::test
