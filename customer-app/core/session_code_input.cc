// NormalizeSessionCode: what the customer typed or pasted -> 8 digits.

#include <string>
#include <string_view>
#include <vector>

#include "customer-app/core/customer_session.h"

namespace tether::customer {
namespace {

constexpr size_t kCodeDigits = 8;
// Typed text longer than this is not a code with some words around it.
constexpr size_t kMaxTypedBytes = 1000;
// Spaces between the groups of a pasted code ("1234  5678").
constexpr int kMaxSeparatorRun = 3;

enum class CharClass { kDigit, kSeparator, kOther };

// One character of `text` at `i`: its class, its digit value, its length.
// Full-width digits (as some input methods type them) count as digits;
// spaces, dashes and the Unicode spaces and dashes a paste brings along as
// separators.
CharClass Classify(std::string_view text,
                   size_t i,
                   int* digit,
                   size_t* length) {
  const auto byte = [&](size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  *length = 1;
  const unsigned char b0 = byte(0);
  if (b0 >= '0' && b0 <= '9') {
    *digit = b0 - '0';
    return CharClass::kDigit;
  }
  if (b0 == ' ' || b0 == '-' || b0 == '\t' || b0 == '.')
    return CharClass::kSeparator;
  if (b0 == 0xC2 && byte(1) == 0xA0) {  // no-break space
    *length = 2;
    return CharClass::kSeparator;
  }
  if (b0 == 0xEF && byte(1) == 0xBC && byte(2) >= 0x90 && byte(2) <= 0x99) {
    *length = 3;  // U+FF10..U+FF19
    *digit = byte(2) - 0x90;
    return CharClass::kDigit;
  }
  if (b0 == 0xE2 && byte(1) == 0x80) {
    const unsigned char b2 = byte(2);
    // U+2000..U+200A spaces, U+2010..U+2015 dashes, U+202F narrow no-break
    if ((b2 >= 0x80 && b2 <= 0x8A) || (b2 >= 0x90 && b2 <= 0x95) ||
        b2 == 0xAF) {
      *length = 3;
      return CharClass::kSeparator;
    }
  }
  return CharClass::kOther;
}

}  // namespace

Result<std::string> NormalizeSessionCode(std::string_view typed) {
  if (typed.size() > kMaxTypedBytes)
    return MakeError("That is too much text. Type only the 8-digit code.");
  // Runs of digits joined by a few separators; each is a code candidate.
  std::vector<std::string> runs;
  std::string run;
  int separators = 0;
  size_t total_digits = 0;
  const auto end_run = [&] {
    if (!run.empty())
      runs.push_back(run);
    run.clear();
    separators = 0;
  };
  for (size_t i = 0; i < typed.size();) {
    int digit = 0;
    size_t length = 1;
    switch (Classify(typed, i, &digit, &length)) {
      case CharClass::kDigit:
        run += static_cast<char>('0' + digit);
        separators = 0;
        ++total_digits;
        break;
      case CharClass::kSeparator:
        if (!run.empty() && ++separators > kMaxSeparatorRun)
          end_run();
        break;
      case CharClass::kOther:
        end_run();
        break;
    }
    i += length;
  }
  end_run();

  std::string code;
  for (const std::string& candidate : runs) {
    if (candidate.size() != kCodeDigits)
      continue;
    if (!code.empty() && code != candidate) {
      return MakeError(
          "This text holds more than one code. Type only the code your "
          "technician gave you.");
    }
    code = candidate;
  }
  if (!code.empty())
    return code;
  if (total_digits == 0)
    return MakeError("Type the 8-digit code your technician gave you.");
  if (total_digits < kCodeDigits) {
    return MakeError("The code has 8 digits; this has only " +
                     std::to_string(total_digits) + ".");
  }
  if (total_digits > kCodeDigits) {
    return MakeError("The code has 8 digits; this has " +
                     std::to_string(total_digits) + ".");
  }
  return MakeError(
      "The code is 8 digits without letters or other signs in between.");
}

}  // namespace tether::customer
