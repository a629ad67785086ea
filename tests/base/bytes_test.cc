#include "base/bytes.h"

#include <gtest/gtest.h>

namespace tether {
namespace {

TEST(BytesTest, HexRoundTrip) {
  const Bytes bytes = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(ToHex(bytes), "000fa5ff");
  auto parsed = FromHex("000FA5ff");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, bytes);
}

TEST(BytesTest, FromHexRejectsOddLengthAndNonHexDigits) {
  EXPECT_FALSE(FromHex("abc").has_value());
  EXPECT_FALSE(FromHex("zz").has_value());
}

}  // namespace
}  // namespace tether
