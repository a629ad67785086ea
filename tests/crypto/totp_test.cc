#include "crypto/totp.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "base/bytes.h"
#include "crypto/random.h"

namespace tether::crypto {
namespace {

// RFC 6238 Appendix B uses a different seed per hash, each the ASCII digits
// "1234567890" repeated to the hash's output size.
Bytes Seed(size_t size) {
  Bytes seed(size);
  for (size_t i = 0; i < size; ++i)
    seed[i] = '0' + (i + 1) % 10;
  return seed;
}
const Bytes kSha1Seed = Seed(20);

struct Rfc6238Row {
  int64_t time;
  TotpHash hash;
  const char* code;
};

class TotpAppendixBTest : public ::testing::TestWithParam<Rfc6238Row> {};

TEST_P(TotpAppendixBTest, MatchesAppendixB) {
  const Rfc6238Row& row = GetParam();
  const size_t seed_size = row.hash == TotpHash::kSha1     ? 20
                           : row.hash == TotpHash::kSha256 ? 32
                                                           : 64;
  auto code = GenerateTotp(Seed(seed_size), row.time, 8, row.hash, 30);
  ASSERT_TRUE(code.has_value()) << code.error().message;
  EXPECT_EQ(*code, row.code);
  // Fewer digits: the same value modulo a smaller power of ten.
  auto six = GenerateTotp(Seed(seed_size), row.time, 6, row.hash, 30);
  ASSERT_TRUE(six.has_value());
  EXPECT_EQ(*six, std::string(row.code).substr(2));
}

INSTANTIATE_TEST_SUITE_P(
    TotpRfc6238,
    TotpAppendixBTest,
    ::testing::Values(Rfc6238Row{59, TotpHash::kSha1, "94287082"},
                      Rfc6238Row{59, TotpHash::kSha256, "46119246"},
                      Rfc6238Row{59, TotpHash::kSha512, "90693936"},
                      Rfc6238Row{1111111109, TotpHash::kSha1, "07081804"},
                      Rfc6238Row{1111111109, TotpHash::kSha256, "68084774"},
                      Rfc6238Row{1111111109, TotpHash::kSha512, "25091201"},
                      Rfc6238Row{1111111111, TotpHash::kSha1, "14050471"},
                      Rfc6238Row{1111111111, TotpHash::kSha256, "67062674"},
                      Rfc6238Row{1111111111, TotpHash::kSha512, "99943326"},
                      Rfc6238Row{1234567890, TotpHash::kSha1, "89005924"},
                      Rfc6238Row{1234567890, TotpHash::kSha256, "91819424"},
                      Rfc6238Row{1234567890, TotpHash::kSha512, "93441116"},
                      Rfc6238Row{2000000000, TotpHash::kSha1, "69279037"},
                      Rfc6238Row{2000000000, TotpHash::kSha256, "90698825"},
                      Rfc6238Row{2000000000, TotpHash::kSha512, "38618901"},
                      Rfc6238Row{20000000000, TotpHash::kSha1, "65353130"},
                      Rfc6238Row{20000000000, TotpHash::kSha256, "77737706"},
                      Rfc6238Row{20000000000, TotpHash::kSha512, "47863826"}));

constexpr int64_t kNow = 1234567890;  // the first second of step 41152263
constexpr int64_t kNowStep = kNow / 30;

std::string CodeAt(int64_t time) {
  return GenerateTotp(kSha1Seed, time).value();
}

TEST(TotpTest, DefaultsAreSixDigitsSha1ThirtySeconds) {
  EXPECT_EQ(CodeAt(59), "287082");
  EXPECT_EQ(CodeAt(30), CodeAt(59));
  EXPECT_NE(CodeAt(29), CodeAt(30));
}

TEST(TotpTest, AcceptsCurrentAndAdjacentSteps) {
  for (int64_t offset : {-1, 0, 1}) {
    auto step =
        VerifyTotp(kSha1Seed, CodeAt(kNow + offset * 30), kNow, std::nullopt);
    ASSERT_TRUE(step.has_value()) << step.error().message;
    ASSERT_TRUE(step->has_value()) << "offset " << offset;
    EXPECT_EQ(**step, kNowStep + offset);
  }
}

TEST(TotpTest, RefusesCodesTwoStepsAway) {
  for (int64_t offset : {-3, -2, 2, 3}) {
    auto step =
        VerifyTotp(kSha1Seed, CodeAt(kNow + offset * 30), kNow, std::nullopt);
    ASSERT_TRUE(step.has_value()) << step.error().message;
    EXPECT_FALSE(step->has_value()) << "offset " << offset;
  }
}

TEST(TotpTest, RefusesReplayOfTheSameStep) {
  const std::string code = CodeAt(kNow);
  auto first = VerifyTotp(kSha1Seed, code, kNow, std::nullopt);
  ASSERT_TRUE(first.has_value() && first->has_value());
  const int64_t used = **first;
  // Same code again, a few seconds later, still inside its window.
  auto again = VerifyTotp(kSha1Seed, code, kNow + 5, used);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->has_value());
  // An older code that would be inside the window is refused too.
  auto older = VerifyTotp(kSha1Seed, CodeAt(kNow - 30), kNow, used);
  ASSERT_TRUE(older.has_value());
  EXPECT_FALSE(older->has_value());
  // The next step's code is fine.
  auto next = VerifyTotp(kSha1Seed, CodeAt(kNow + 30), kNow + 30, used);
  ASSERT_TRUE(next.has_value() && next->has_value());
  EXPECT_EQ(**next, used + 1);
}

TEST(TotpTest, WrongOrMalformedCodesAreNotMatchesNotErrors) {
  const std::string good = CodeAt(kNow);
  std::string wrong = good;
  wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
  for (const std::string& code :
       {wrong, std::string(""), good.substr(0, 5), good + "0",
        " " + good.substr(1), good.substr(0, 5) + "a", "-" + good.substr(1),
        CodeAt(kNow).substr(0, 3) + " " + good.substr(3, 2)}) {
    auto step = VerifyTotp(kSha1Seed, code, kNow, std::nullopt);
    ASSERT_TRUE(step.has_value()) << step.error().message;
    EXPECT_FALSE(step->has_value()) << "'" << code << "'";
  }
}

TEST(TotpTest, UnusableSecretOrClockIsAnError) {
  EXPECT_FALSE(VerifyTotp({}, "123456", kNow, std::nullopt).has_value());
  EXPECT_FALSE(
      VerifyTotp(Bytes(8, 1), "123456", kNow, std::nullopt).has_value());
  EXPECT_FALSE(VerifyTotp(kSha1Seed, "123456", -1, std::nullopt).has_value());
  EXPECT_FALSE(GenerateTotp(kSha1Seed, kNow, 5).has_value());
  EXPECT_FALSE(GenerateTotp(kSha1Seed, kNow, 9).has_value());
  EXPECT_FALSE(
      GenerateTotp(kSha1Seed, kNow, 6, TotpHash::kSha1, 0).has_value());
}

TEST(TotpTest, NearTheEpochOnlyRealStepsAreTried) {
  auto step = VerifyTotp(kSha1Seed, CodeAt(0), 10, std::nullopt);
  ASSERT_TRUE(step.has_value() && step->has_value());
  EXPECT_EQ(**step, 0);
}

TEST(TotpTest, GeneratedSecretsAreTwentyRandomBytes) {
  auto random = RandomGenerator::Create("totp_test");
  ASSERT_TRUE(random.has_value());
  const Bytes a = GenerateTotpSecret(**random);
  const Bytes b = GenerateTotpSecret(**random);
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
  // A fresh secret round-trips through generation and verification.
  auto code = GenerateTotp(a, kNow);
  ASSERT_TRUE(code.has_value());
  auto step = VerifyTotp(a, *code, kNow, std::nullopt);
  ASSERT_TRUE(step.has_value() && step->has_value());
}

TEST(TotpBase32Test, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base32Encode(AsBytes("")), "");
  EXPECT_EQ(Base32Encode(AsBytes("f")), "MY");
  EXPECT_EQ(Base32Encode(AsBytes("fo")), "MZXQ");
  EXPECT_EQ(Base32Encode(AsBytes("foo")), "MZXW6");
  EXPECT_EQ(Base32Encode(AsBytes("foob")), "MZXW6YQ");
  EXPECT_EQ(Base32Encode(AsBytes("fooba")), "MZXW6YTB");
  EXPECT_EQ(Base32Encode(AsBytes("foobar")), "MZXW6YTBOI");
  EXPECT_EQ(Base32Encode(kSha1Seed), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(TotpBase32Test, DecodesRfc4648VectorsWithOrWithoutPadding) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"MY======", "f"},
      {"MZXQ====", "fo"},
      {"MZXW6===", "foo"},
      {"MZXW6YQ=", "foob"},
      {"MZXW6YTB", "fooba"},
      {"MZXW6YTBOI======", "foobar"},
      {"MY", "f"},
      {"MZXW6YTBOI", "foobar"},
  };
  for (const auto& [encoded, plain] : vectors) {
    auto decoded = Base32Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);
  }
}

TEST(TotpBase32Test, DecodesWhatPeopleTypeOffAScreen) {
  auto decoded = Base32Decode("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, kSha1Seed);
}

TEST(TotpBase32Test, RejectsInvalidInput) {
  for (const char* bad : {"MZXW1", "MZXW8", "M", "MZX", "MZXW6Y", "MZ=XW",
                          "MZXW6YTB!", "MZ" /* 'Z' leaves non-zero bits */}) {
    EXPECT_FALSE(Base32Decode(bad).has_value()) << bad;
  }
  EXPECT_FALSE(Base32Decode(std::string(2000, 'A')).has_value());
}

// What the admin reads when a secret was mistyped: the same words whoever
// does the decoding.
TEST(TotpBase32Test, SaysWhatIsWrongWithABadSecret) {
  const std::string kAlphabet =
      "The secret may contain only the letters A to Z and the digits 2 to 7.";
  const std::string kIncomplete = "The secret is incomplete or mistyped.";
  const std::pair<std::string, std::string> cases[] = {
      {"MZXW1", kAlphabet},
      {"MZXW8", kAlphabet},
      {"MZXW6YTB!", kAlphabet},
      {"M!=", kAlphabet},
      {"MZ=XW", "The secret has characters after its '=' padding."},
      {"M", kIncomplete},
      {"MZX", kIncomplete},
      {"MZXW6Y", kIncomplete},
      {"MZXW6YTBM", kIncomplete},
      {"MZ", kIncomplete},
      {"MZXW6YR", kIncomplete},  // 'R' leaves a bit over
      {std::string(2000, 'A'), "The secret is too long."},
  };
  for (const auto& [bad, message] : cases) {
    auto decoded = Base32Decode(bad);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().message, message) << bad;
  }
  // Nothing but separators and padding is an empty secret, not an error
  // (the caller's length check refuses it).
  auto empty = Base32Decode(" - ==");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(TotpBase32Test, RoundTripsAllLengths) {
  auto random = RandomGenerator::Create("base32_test");
  ASSERT_TRUE(random.has_value());
  for (size_t size = 0; size <= 64; ++size) {
    Bytes bytes(size);
    ASSERT_TRUE((*random)->Fill(bytes).has_value());
    auto decoded = Base32Decode(Base32Encode(bytes));
    ASSERT_TRUE(decoded.has_value()) << size;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(TotpOtpauthUriTest, HasTheKeyUriFormatAuthenticatorsRead) {
  EXPECT_EQ(OtpauthUri("Tether", "alice", kSha1Seed),
            "otpauth://totp/Tether:alice?secret="
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tether&algorithm=SHA1&"
            "digits=6&period=30");
}

TEST(TotpOtpauthUriTest, PercentEncodesIssuerAndAccount) {
  EXPECT_EQ(OtpauthUri("Acme Co: IT", "bob@example.com", kSha1Seed),
            "otpauth://totp/Acme%20Co%3A%20IT:bob%40example.com?secret="
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Co%3A%20IT&"
            "algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(OtpauthUri("Tether", "jörg&co?x", kSha1Seed).substr(0, 40),
            "otpauth://totp/Tether:j%C3%B6rg%26co%3Fx");
}

}  // namespace
}  // namespace tether::crypto
