#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/random.h"

namespace tether::crypto {

// TOTP second factor (RFC 6238). Technician accounts use the defaults that
// every authenticator app understands: HMAC-SHA1, 6 digits, 30-second steps.

enum class TotpHash { kSha1, kSha256, kSha512 };

inline constexpr int kTotpDigits = 6;
inline constexpr int kTotpPeriodSeconds = 30;
// Codes of the previous and next step are accepted too, for clock drift and
// for the seconds it takes to type a code.
inline constexpr int64_t kTotpWindowSteps = 1;

// 20 random bytes (160 bits, the HMAC-SHA1 block-size recommendation of
// RFC 4226).
Bytes GenerateTotpSecret(RandomGenerator& random);

// RFC 4648 base32 (liboath's) without '=' padding, as otpauth:// URIs
// carry it.
std::string Base32Encode(ByteSpan bytes);
// Accepts upper or lower case, spaces and hyphens between groups (people
// type secrets off a screen) and optional trailing '=' padding; refuses a
// secret that does not encode back to what was typed (a symbol missing,
// or one that leaves bits over). Errors say what is wrong in plain words.
Result<Bytes> Base32Decode(std::string_view text);

// The URI an authenticator app reads from a QR code:
// otpauth://totp/Issuer:account?secret=...&issuer=Issuer&algorithm=SHA1&
// digits=6&period=30, with issuer and account percent-encoded.
std::string OtpauthUri(std::string_view issuer,
                       std::string_view account,
                       ByteSpan secret);

// The code for `unix_time`. digits: 6 to 8; period: seconds, > 0.
Result<std::string> GenerateTotp(ByteSpan secret,
                                 int64_t unix_time,
                                 int digits = kTotpDigits,
                                 TotpHash hash = TotpHash::kSha1,
                                 int period = kTotpPeriodSeconds);

// Checks a 6-digit SHA1 30-second code against the steps around `unix_time`
// (kTotpWindowSteps either side). Returns the matched time step, which the
// caller stores and passes back as `last_used_step` next time: a step at or
// before it is refused, so an observed code cannot be replayed.
// nullopt: wrong, replayed, or not 6 digits. Error: unusable secret or time.
Result<std::optional<int64_t>> VerifyTotp(
    ByteSpan secret,
    std::string_view code,
    int64_t unix_time,
    std::optional<int64_t> last_used_step);

}  // namespace tether::crypto
