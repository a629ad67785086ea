#include "crypto/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

#include "crypto/mbedtls_error.h"
#include "crypto/secure_memory.h"

namespace tether::crypto {
namespace {

TEST(RandomGeneratorTest, FillsBuffersLargerThanOneDrbgRequest) {
  auto generator = RandomGenerator::Create("test");
  ASSERT_TRUE(generator.has_value()) << generator.error().message;
  Bytes big(100000, 0);
  ASSERT_TRUE((*generator)->Fill(big).has_value());
  // All-zero tail would mean a chunk was skipped.
  size_t zero_run = 0, longest = 0;
  for (uint8_t b : big) {
    zero_run = b == 0 ? zero_run + 1 : 0;
    longest = std::max(longest, zero_run);
  }
  EXPECT_LT(longest, 8u);
}

TEST(RandomGeneratorTest, TwoGeneratorsProduceDifferentStreams) {
  auto a = RandomGenerator::Create("same");
  auto b = RandomGenerator::Create("same");
  ASSERT_TRUE(a && b);
  std::array<uint8_t, 32> x{}, y{};
  ASSERT_TRUE((*a)->Fill(x).has_value());
  ASSERT_TRUE((*b)->Fill(y).has_value());
  EXPECT_NE(x, y);
}

TEST(RandomGeneratorTest, DefaultGeneratorIsUsable) {
  std::set<Bytes> seen;
  for (int i = 0; i < 100; ++i) {
    Bytes b(16);
    ASSERT_TRUE(RandomGenerator::Default().Fill(b).has_value());
    seen.insert(b);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(SecureMemoryTest, ConstantTimeEqualComparesContentAndLength) {
  const Bytes a = {1, 2, 3};
  EXPECT_TRUE(ConstantTimeEqual(a, Bytes{1, 2, 3}));
  EXPECT_FALSE(ConstantTimeEqual(a, Bytes{1, 2, 4}));
  EXPECT_FALSE(ConstantTimeEqual(a, Bytes{1, 2}));
  EXPECT_TRUE(ConstantTimeEqual(Bytes{}, Bytes{}));
}

TEST(SecureMemoryTest, SecureWipeZeroes) {
  Bytes secret = {9, 9, 9};
  SecureWipe(secret);
  EXPECT_EQ(secret, (Bytes{0, 0, 0}));
}

TEST(SecureMemoryTest, SecretBytesMoveLeavesTheSourceEmpty) {
  SecretBytes a(Bytes{1, 2, 3});
  SecretBytes b = std::move(a);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(
      a.empty());  // NOLINT(bugprone-use-after-move): checked on purpose
}

TEST(MbedtlsErrorTest, FormatsCodeAndText) {
  // -0x7780: MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE.
  EXPECT_EQ(MbedtlsErrorText(-0x7780).rfind("(-0x7780) SSL - ", 0), 0u);
}

}  // namespace
}  // namespace tether::crypto
