#include "crypto/hkdf.h"

#include <gtest/gtest.h>

#include <string_view>

#include "base/bytes.h"

namespace tether::crypto {
namespace {

Bytes Range(int first, int end) {
  Bytes out;
  for (int b = first; b < end; ++b)
    out.push_back(static_cast<uint8_t>(b));
  return out;
}

struct Rfc5869Case {
  const char* name;
  Bytes ikm;
  Bytes salt;
  Bytes info;
  size_t length;
  std::string_view prk;
  std::string_view okm;
};

void ExpectCase(const Rfc5869Case& c) {
  SCOPED_TRACE(c.name);
  auto prk = HkdfSha256Extract(c.salt, c.ikm);
  ASSERT_TRUE(prk.has_value()) << prk.error().message;
  EXPECT_EQ(ToHex(prk->span()), c.prk);
  auto okm = HkdfSha256Expand(prk->span(), c.info, c.length);
  ASSERT_TRUE(okm.has_value()) << okm.error().message;
  EXPECT_EQ(ToHex(okm->span()), c.okm);
  auto one_shot = HkdfSha256(c.salt, c.ikm, c.info, c.length);
  ASSERT_TRUE(one_shot.has_value()) << one_shot.error().message;
  EXPECT_EQ(ToHex(one_shot->span()), c.okm);
}

TEST(HkdfTest, Rfc5869A1BasicCaseMatches) {
  ExpectCase({"A.1", Bytes(22, 0x0b), Range(0x00, 0x0d), Range(0xf0, 0xfa), 42,
              "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3"
              "e5",
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5"
              "bf34007208d5b887185865"});
}

TEST(HkdfTest, Rfc5869A2LongInputsMatch) {
  ExpectCase({"A.2", Range(0x00, 0x50), Range(0x60, 0xb0), Range(0xb0, 0x100),
              82,
              "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc2"
              "44",
              "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa9"
              "7c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3"
              "db71cc30c58179ec3e87c14c01d5c1f3434f1d87"});
}

TEST(HkdfTest, Rfc5869A3EmptySaltAndInfoMatch) {
  ExpectCase({"A.3", Bytes(22, 0x0b), Bytes(), Bytes(), 42,
              "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb"
              "04",
              "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d"
              "2d9d201395faa4b61a96c8"});
}

TEST(HkdfTest, ExpandRejectsOutputLongerThan255Blocks) {
  Bytes prk(32, 1);
  EXPECT_TRUE(HkdfSha256Expand(prk, {}, kHkdfSha256MaxOutputSize).has_value());
  EXPECT_FALSE(
      HkdfSha256Expand(prk, {}, kHkdfSha256MaxOutputSize + 1).has_value());
  EXPECT_FALSE(HkdfSha256Expand(prk, {}, 0).has_value());
}

TEST(HkdfTest, ExpandRejectsPrkShorterThanHash) {
  EXPECT_FALSE(HkdfSha256Expand(Bytes(31, 1), {}, 32).has_value());
}

}  // namespace
}  // namespace tether::crypto
