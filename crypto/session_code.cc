#include "crypto/session_code.h"

#include <array>
#include <cstdint>

#include "crypto/secure_memory.h"

namespace tether::crypto {

namespace {

constexpr uint64_t kCodeSpace = 100'000'000;  // 10^kSessionCodeDigits
constexpr uint64_t kDrawSpace = uint64_t{1} << 32;
// Draws at or above this are thrown away: below it, every code is hit by
// exactly kDrawSpace / kCodeSpace draws, so `draw % kCodeSpace` is uniform.
// Taking the modulo of every draw would favour the lowest 94,967,296 codes.
constexpr uint64_t kAcceptBelow = kDrawSpace - kDrawSpace % kCodeSpace;
static_assert(kAcceptBelow == 4'200'000'000);

// A draw is rejected with probability ~2.2%; 64 rejections in a row happen
// with probability ~10^-106, i.e. only if the generator is broken.
constexpr int kMaxDraws = 64;

// Far longer than anything a person types for an 8-digit code, short enough
// that a paste of a whole e-mail is refused before we look at it.
constexpr size_t kMaxTypedLength = 64;

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

// Separators people and their software put between the two halves: ASCII
// space and hyphen, and the UTF-8 spaces and dashes that word processors and
// mail clients substitute for them. Returns the byte length of the separator
// at the start of `s`, or 0.
size_t SeparatorLength(std::string_view s) {
  if (IsAsciiSpace(s[0]) || s[0] == '-' || s[0] == '.')
    return 1;
  static constexpr std::array<std::string_view, 5> kUtf8Separators = {
      "\xC2\xA0",      // U+00A0 no-break space
      "\xE2\x80\x89",  // U+2009 thin space
      "\xE2\x80\xAF",  // U+202F narrow no-break space
      "\xE2\x80\x90",  // U+2010 hyphen
      "\xE2\x80\x93",  // U+2013 en dash
  };
  for (std::string_view sep : kUtf8Separators) {
    if (s.starts_with(sep))
      return sep.size();
  }
  return 0;
}

}  // namespace

Result<std::string> SessionCodeGenerator::Next() {
  for (int attempt = 0; attempt < kMaxDraws; ++attempt) {
    std::array<uint8_t, 4> bytes;
    auto filled = random_.Fill(bytes);
    if (!filled)
      return MakeError(std::move(filled).error().message);
    const uint64_t draw = uint64_t{bytes[0]} << 24 | uint64_t{bytes[1]} << 16 |
                          uint64_t{bytes[2]} << 8 | uint64_t{bytes[3]};
    if (draw >= kAcceptBelow)
      continue;
    uint64_t value = draw % kCodeSpace;
    std::string code(kSessionCodeDigits, '0');
    for (size_t i = kSessionCodeDigits; i-- > 0;) {
      code[i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
    return code;
  }
  return MakeError("random generator keeps returning out-of-range values");
}

std::string FormatSessionCode(std::string_view digits) {
  if (digits.size() != kSessionCodeDigits)
    return std::string(digits);
  for (char c : digits) {
    if (c < '0' || c > '9')
      return std::string(digits);
  }
  std::string out;
  out.reserve(kSessionCodeDigits + 1);
  out.append(digits.substr(0, kSessionCodeDigits / 2));
  out.push_back(' ');
  out.append(digits.substr(kSessionCodeDigits / 2));
  return out;
}

Result<std::string> NormalizeSessionCode(std::string_view typed) {
  if (typed.size() > kMaxTypedLength) {
    return MakeError(
        "That is too long for a session code. A session code has 8 digits, "
        "like 1234 5678.");
  }
  std::string digits;
  bool other_characters = false;
  while (!typed.empty()) {
    const char c = typed[0];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      typed.remove_prefix(1);
    } else if (size_t sep = SeparatorLength(typed); sep > 0) {
      typed.remove_prefix(sep);
    } else {
      other_characters = true;
      typed.remove_prefix(1);
    }
  }
  if (other_characters) {
    return MakeError(
        "A session code has only digits (0 to 9), like 1234 5678. Please "
        "check for letters or other characters.");
  }
  if (digits.empty()) {
    return MakeError(
        "Please type the 8-digit session code your supporter gave you.");
  }
  if (digits.size() != kSessionCodeDigits) {
    return MakeError("A session code has 8 digits; you typed " +
                     std::to_string(digits.size()) + ".");
  }
  return digits;
}

bool SessionCodesEqual(std::string_view a, std::string_view b) {
  return ConstantTimeEqual(AsBytes(a), AsBytes(b));
}

}  // namespace tether::crypto
