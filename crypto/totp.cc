#include "crypto/totp.h"

#include <liboath/oath.h>

#include <array>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "crypto/secure_memory.h"

namespace tether::crypto {

namespace {

static_assert(sizeof(time_t) >= 8, "TOTP needs a 64-bit time_t");

constexpr size_t kSecretBytes = 20;
// RFC 4226 asks for at least 128 bits; the upper bound only keeps a damaged
// database row from being fed to HMAC as a huge key.
constexpr size_t kMinSecretBytes = 16;
constexpr size_t kMaxSecretBytes = 128;
// Year 10000: beyond it something is wrong with the clock, and step
// arithmetic stays far from overflowing.
constexpr int64_t kMaxUnixTime = 253402300800;
constexpr size_t kMaxBase32Length = 1024;

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// A buffer liboath allocated (base32 of a secret, or the secret itself):
// wiped, then freed.
class OathBuffer {
 public:
  OathBuffer(char* data, size_t size) : data_(data), size_(size) {}
  ~OathBuffer() {
    if (data_ == nullptr)
      return;
    SecureWipe({reinterpret_cast<uint8_t*>(data_), size_});
    std::free(data_);
  }
  OathBuffer(const OathBuffer&) = delete;
  OathBuffer& operator=(const OathBuffer&) = delete;

 private:
  char* data_;
  size_t size_;
};

// liboath asks for oath_init() before first use; it only initialises its
// crypto backend, once per process.
Result<void> InitOath() {
  static std::once_flag once;
  static int rc = OATH_OK;
  std::call_once(once, [] { rc = oath_init(); });
  if (rc != OATH_OK) {
    return MakeError(std::string("liboath initialisation failed: ") +
                     oath_strerror(rc));
  }
  return {};
}

// RFC 3986 unreserved characters stay, everything else becomes %XX, so an
// issuer or account with ':', '&', '?', spaces or UTF-8 cannot break the URI.
std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
        (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' ||
        u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0F]);
    }
  }
  return out;
}

// The code for one time step; `secret` and the step have been checked.
Result<std::string> CodeForStep(ByteSpan secret,
                                int64_t step,
                                int period,
                                int digits,
                                TotpHash hash) {
  TETHER_RETURN_IF_ERROR(InitOath());
  int flags = 0;
  if (hash == TotpHash::kSha256)
    flags = OATH_TOTP_HMAC_SHA256;
  if (hash == TotpHash::kSha512)
    flags = OATH_TOTP_HMAC_SHA512;
  std::array<char, 16> out{};
  const int rc = oath_totp_generate2(
      reinterpret_cast<const char*>(secret.data()), secret.size(),
      static_cast<time_t>(step * period), static_cast<unsigned>(period),
      /*start_offset=*/0, static_cast<unsigned>(digits), flags, out.data());
  if (rc != OATH_OK) {
    return MakeError(std::string("TOTP generation failed: ") +
                     oath_strerror(rc));
  }
  return std::string(out.data(), static_cast<size_t>(digits));
}

Result<void> CheckSecretAndTime(ByteSpan secret, int64_t unix_time) {
  if (secret.size() < kMinSecretBytes || secret.size() > kMaxSecretBytes) {
    return MakeError("TOTP secret must be 16 to 128 bytes long");
  }
  if (unix_time < 0 || unix_time > kMaxUnixTime) {
    return MakeError("clock reading is out of range for TOTP");
  }
  return {};
}

}  // namespace

Bytes GenerateTotpSecret(RandomGenerator& random) {
  Bytes secret(kSecretBytes);
  // An account without a good secret must not be created; the process-wide
  // generator aborts on missing entropy in the same spirit.
  if (!random.Fill(secret))
    std::abort();
  return secret;
}

std::string Base32Encode(ByteSpan bytes) {
  if (bytes.empty())
    return "";
  char* encoded = nullptr;
  size_t length = 0;
  // Fails only when out of memory, like the std::string it goes into.
  if (oath_base32_encode(reinterpret_cast<const char*>(bytes.data()),
                         bytes.size(), &encoded, &length) != OATH_OK) {
    std::abort();
  }
  OathBuffer owned(encoded, length);
  std::string out(encoded, length);
  // otpauth:// URIs carry no padding.
  out.erase(out.find_last_not_of('=') + 1);
  return out;
}

Result<Bytes> Base32Decode(std::string_view text) {
  if (text.size() > kMaxBase32Length) {
    return MakeError("The secret is too long.");
  }
  // What people type off a screen, in the shape liboath reads: upper case,
  // no group separators; the padding goes, liboath adds what it needs.
  std::string symbols;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '-')
      continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) {
      return MakeError("The secret has characters after its '=' padding.");
    }
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
    if (kBase32Alphabet.find(c) == std::string_view::npos) {
      return MakeError(
          "The secret may contain only the letters A to Z and the digits "
          "2 to 7.");
    }
    symbols.push_back(c);
  }
  if (symbols.empty())
    return Bytes{};
  char* decoded = nullptr;
  size_t length = 0;
  const int rc =
      oath_base32_decode(symbols.data(), symbols.size(), &decoded, &length);
  if (rc == OATH_MALLOC_ERROR)
    std::abort();  // out of memory, as anywhere else
  if (rc != OATH_OK) {
    // A group of 1, 3 or 6 symbols cannot end a byte.
    return MakeError("The secret is incomplete or mistyped.");
  }
  OathBuffer owned(decoded, length);
  Bytes out(reinterpret_cast<const uint8_t*>(decoded),
            reinterpret_cast<const uint8_t*>(decoded) + length);
  // liboath ignores the bits left over after the last whole byte; in a
  // correctly encoded secret they are zero, so one that does not encode
  // back to what was typed was mistyped.
  if (Base32Encode(out) != symbols) {
    SecureWipe(out);
    return MakeError("The secret is incomplete or mistyped.");
  }
  return out;
}

std::string OtpauthUri(std::string_view issuer,
                       std::string_view account,
                       ByteSpan secret) {
  std::string uri = "otpauth://totp/";
  if (!issuer.empty())
    uri += PercentEncode(issuer) + ":";
  uri += PercentEncode(account);
  uri += "?secret=" + Base32Encode(secret);
  if (!issuer.empty())
    uri += "&issuer=" + PercentEncode(issuer);
  uri += "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpPeriodSeconds);
  return uri;
}

Result<std::string> GenerateTotp(ByteSpan secret,
                                 int64_t unix_time,
                                 int digits,
                                 TotpHash hash,
                                 int period) {
  if (auto ok = CheckSecretAndTime(secret, unix_time); !ok) {
    return Unexpected(std::move(ok).error());
  }
  if (digits < 6 || digits > 8) {
    return MakeError("TOTP codes have 6 to 8 digits");
  }
  if (period < 1 || period > 3600) {
    return MakeError("TOTP period must be 1 to 3600 seconds");
  }
  return CodeForStep(secret, unix_time / period, period, digits, hash);
}

Result<std::optional<int64_t>> VerifyTotp(
    ByteSpan secret,
    std::string_view code,
    int64_t unix_time,
    std::optional<int64_t> last_used_step) {
  if (auto ok = CheckSecretAndTime(secret, unix_time); !ok) {
    return Unexpected(std::move(ok).error());
  }
  if (code.size() != static_cast<size_t>(kTotpDigits)) {
    return std::optional<int64_t>();
  }
  for (char c : code) {
    if (c < '0' || c > '9')
      return std::optional<int64_t>();
  }

  const int64_t now_step = unix_time / kTotpPeriodSeconds;
  std::optional<int64_t> matched;
  // Every candidate is computed and compared, so the time taken does not
  // say which step (if any) matched.
  for (int64_t step = now_step - kTotpWindowSteps;
       step <= now_step + kTotpWindowSteps; ++step) {
    if (step < 0)
      continue;
    TETHER_TRY(expected, CodeForStep(secret, step, kTotpPeriodSeconds,
                                     kTotpDigits, TotpHash::kSha1));
    const bool equal = ConstantTimeEqual(AsBytes(*expected), AsBytes(code));
    SecureWipe(
        {reinterpret_cast<uint8_t*>(expected->data()), expected->size()});
    // A step already used is refused even if its code is right: that is
    // what stops a code seen over someone's shoulder from working twice.
    const bool fresh = !last_used_step.has_value() || step > *last_used_step;
    if (equal && fresh && !matched.has_value())
      matched = step;
  }
  return matched;
}

}  // namespace tether::crypto
