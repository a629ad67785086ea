#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/random.h"

namespace tether::crypto {

// Number of digits in a session code. 10^8 codes: with codes that expire
// after minutes and a relay that rate-limits wrong guesses, the chance of
// guessing a live one stays negligible (docs/security.md has the numbers).
inline constexpr size_t kSessionCodeDigits = 8;

// Draws session codes: exactly kSessionCodeDigits decimal digits, leading
// zeros included ("00412345"), uniform over all 10^8 codes.
// Thread-safe as long as the RandomGenerator is (ours is).
class SessionCodeGenerator {
 public:
  explicit SessionCodeGenerator(RandomGenerator& random) : random_(random) {}
  SessionCodeGenerator(const SessionCodeGenerator&) = delete;
  SessionCodeGenerator& operator=(const SessionCodeGenerator&) = delete;

  // Fails only if the random generator fails.
  Result<std::string> Next();

 private:
  RandomGenerator& random_;
};

// "12345678" -> "1234 5678", the way the customer reads it out. Anything
// that is not an 8-digit code is returned unchanged.
std::string FormatSessionCode(std::string_view digits);

// Turns what a person typed or pasted ("1234 5678", "1234-5678",
// " 12345678\n") into the 8 bare digits. The error message is meant to be
// shown to that person as is.
Result<std::string> NormalizeSessionCode(std::string_view typed);

// Compares two codes without leaking, through timing, how many leading
// digits of a guess were right.
bool SessionCodesEqual(std::string_view a, std::string_view b);

}  // namespace tether::crypto
