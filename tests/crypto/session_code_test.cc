#include "crypto/session_code.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/random.h"

namespace tether::crypto {
namespace {

RandomGenerator& CodeRandom() {
  static auto random = RandomGenerator::Create("session_code_test");
  if (!random)
    std::abort();
  return **random;
}

// The statistical tests draw from a fixed stream: a correct generator must
// not fail them by chance, and a broken one (lost leading zeros, a stuck
// digit, modulo bias) fails them whatever the stream.
RandomGenerator& ReproducibleRandom() {
  static auto random =
      RandomGenerator::CreateReproducible("session_code_test statistics");
  if (!random)
    std::abort();
  return **random;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
  }
  return true;
}

TEST(SessionCodeGeneratorTest,
     MillionCodesAreEightDigitsAndUniformPerPosition) {
  SessionCodeGenerator generator(ReproducibleRandom());
  constexpr int kDraws = 1'000'000;
  std::array<std::array<int, 10>, kSessionCodeDigits> counts{};
  for (int i = 0; i < kDraws; ++i) {
    auto code = generator.Next();
    ASSERT_TRUE(code.has_value()) << code.error().message;
    ASSERT_EQ(code->size(), kSessionCodeDigits) << *code;
    ASSERT_TRUE(AllDigits(*code)) << *code;
    for (size_t pos = 0; pos < kSessionCodeDigits; ++pos) {
      ++counts[pos][static_cast<size_t>((*code)[pos] - '0')];
    }
  }
  // Chi-square with 9 degrees of freedom; 33.72 is the p = 0.0001 critical
  // value (on a fresh stream a correct generator would fail about once in
  // 1250 runs, hence the fixed one). It catches lost leading zeros, stuck or
  // skewed positions; modulo bias is too subtle for it and has its own test
  // below.
  constexpr double kExpected = kDraws / 10.0;
  for (size_t pos = 0; pos < kSessionCodeDigits; ++pos) {
    double chi_square = 0;
    for (int count : counts[pos]) {
      const double diff = count - kExpected;
      chi_square += diff * diff / kExpected;
    }
    EXPECT_LT(chi_square, 33.72) << "digit position " << pos;
  }
}

// `draw % 10^8` on 32-bit draws would hit codes below 2^32 mod 10^8 =
// 94,967,296 43 times out of 2^32 instead of 42: 95.078% of codes would fall
// below that bound instead of 94.967%. With 3 million draws that is 8.7
// standard deviations; the test fails beyond 5 (p ~ 6e-7 for a correct
// generator).
TEST(SessionCodeGeneratorTest, NoModuloBias) {
  SessionCodeGenerator generator(ReproducibleRandom());
  constexpr int kDraws = 3'000'000;
  constexpr double kBiasedRegion = 94'967'296 / 1e8;
  int in_region = 0;
  for (int i = 0; i < kDraws; ++i) {
    auto code = generator.Next();
    ASSERT_TRUE(code.has_value());
    if (std::stoul(*code) < 94'967'296)
      ++in_region;
  }
  const double observed = static_cast<double>(in_region) / kDraws;
  const double sigma = std::sqrt(kBiasedRegion * (1 - kBiasedRegion) / kDraws);
  EXPECT_LT(std::abs(observed - kBiasedRegion) / sigma, 5.0)
      << "share of codes below 94967296: " << observed;
}

TEST(SessionCodeGeneratorTest, ReproducibleStreamRepeatsAndDiffersBySeed) {
  auto a = RandomGenerator::CreateReproducible("seed one");
  auto b = RandomGenerator::CreateReproducible("seed one");
  auto c = RandomGenerator::CreateReproducible("seed two");
  ASSERT_TRUE(a && b && c);
  std::array<uint8_t, 64> x{}, y{}, z{};
  ASSERT_TRUE((*a)->Fill(x) && (*b)->Fill(y) && (*c)->Fill(z));
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  EXPECT_FALSE(RandomGenerator::CreateReproducible("").has_value());
}

// The CSPRNG itself, from the OS: a smoke test that cannot fail by chance.
TEST(SessionCodeGeneratorTest, CodesDifferBetweenDraws) {
  SessionCodeGenerator generator(CodeRandom());
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i)
    seen.insert(generator.Next().value());
  // 1000 draws from 10^8: a collision has probability ~0.5%; two or more
  // would mean something is wrong.
  EXPECT_GE(seen.size(), 998u);
}

TEST(SessionCodeGeneratorTest, CanBeUsedFromSeveralThreads) {
  SessionCodeGenerator generator(CodeRandom());
  std::vector<std::thread> threads;
  std::array<bool, 4> ok{};
  for (size_t t = 0; t < ok.size(); ++t) {
    threads.emplace_back([&generator, &ok, t] {
      bool all_ok = true;
      for (int i = 0; i < 2000; ++i) {
        auto code = generator.Next();
        all_ok =
            all_ok && code.has_value() && code->size() == 8 && AllDigits(*code);
      }
      ok[t] = all_ok;
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (bool thread_ok : ok)
    EXPECT_TRUE(thread_ok);
}

TEST(SessionCodeFormatTest, SplitsIntoTwoGroupsOfFour) {
  EXPECT_EQ(FormatSessionCode("12345678"), "1234 5678");
  EXPECT_EQ(FormatSessionCode("00412345"), "0041 2345");
}

TEST(SessionCodeFormatTest, LeavesAnythingElseUnchanged) {
  EXPECT_EQ(FormatSessionCode("1234567"), "1234567");
  EXPECT_EQ(FormatSessionCode("1234567a"), "1234567a");
  EXPECT_EQ(FormatSessionCode(""), "");
}

TEST(SessionCodeNormalizeTest, AcceptsTheWaysPeopleTypeAndPasteCodes) {
  const char* inputs[] = {
      "12345678",
      "1234 5678",
      "1234-5678",
      "  1234 5678  ",
      "\t1234\t5678\n",
      "1 2 3 4 5 6 7 8",
      "1234\r\n5678",
      "1234.5678",
      "1234\xC2\xA0"
      "5678",
      "1234\xE2\x80\x93"
      "5678",
      "1234\xE2\x80\xAF"
      "5678",
  };
  for (const char* input : inputs) {
    auto normalized = NormalizeSessionCode(input);
    ASSERT_TRUE(normalized.has_value())
        << "input: " << input << " error: " << normalized.error().message;
    EXPECT_EQ(*normalized, "12345678") << input;
  }
}

TEST(SessionCodeNormalizeTest, KeepsLeadingZeros) {
  EXPECT_EQ(NormalizeSessionCode("0041 2345").value(), "00412345");
  EXPECT_EQ(NormalizeSessionCode("0000 0000").value(), "00000000");
}

TEST(SessionCodeNormalizeTest, TooFewOrTooManyDigitsSaysHowManyWereTyped) {
  auto seven = NormalizeSessionCode("1234 567");
  ASSERT_FALSE(seven.has_value());
  EXPECT_EQ(seven.error().message, "A session code has 8 digits; you typed 7.");
  auto nine = NormalizeSessionCode("1234 56789");
  ASSERT_FALSE(nine.has_value());
  EXPECT_EQ(nine.error().message, "A session code has 8 digits; you typed 9.");
}

TEST(SessionCodeNormalizeTest, RejectsLettersAndSymbols) {
  for (const char* input :
       {"1234 567O", "abcd efgh", "1234+5678", "1234/5678", "#12345678",
        "１２３４５６７８" /* full-width digits */}) {
    auto normalized = NormalizeSessionCode(input);
    ASSERT_FALSE(normalized.has_value()) << input;
    EXPECT_NE(normalized.error().message.find("only digits"), std::string::npos)
        << normalized.error().message;
  }
}

TEST(SessionCodeNormalizeTest, RejectsEmptyInput) {
  for (const char* input : {"", "   ", "\n", "-"}) {
    auto normalized = NormalizeSessionCode(input);
    ASSERT_FALSE(normalized.has_value()) << input;
    EXPECT_NE(normalized.error().message.find("8-digit"), std::string::npos);
  }
}

TEST(SessionCodeNormalizeTest, RejectsOverLongInputBeforeLookingAtIt) {
  const std::string padded = std::string(60, ' ') + "12345678";
  auto normalized = NormalizeSessionCode(padded);
  ASSERT_FALSE(normalized.has_value());
  EXPECT_NE(normalized.error().message.find("too long"), std::string::npos);
  EXPECT_TRUE(NormalizeSessionCode(std::string(28, ' ') + "1234 5678" +
                                   std::string(27, ' '))
                  .has_value());
}

TEST(SessionCodeEqualTest, ComparesWholeCodes) {
  EXPECT_TRUE(SessionCodesEqual("12345678", "12345678"));
  EXPECT_FALSE(SessionCodesEqual("12345678", "12345679"));
  EXPECT_FALSE(SessionCodesEqual("12345678", "02345678"));
  EXPECT_FALSE(SessionCodesEqual("12345678", "1234567"));
  EXPECT_FALSE(SessionCodesEqual("12345678", ""));
  EXPECT_TRUE(SessionCodesEqual("", ""));
}

}  // namespace
}  // namespace tether::crypto
