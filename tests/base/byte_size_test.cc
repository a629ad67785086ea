#include "base/byte_size.h"

#include <gtest/gtest.h>

namespace tether {
namespace {

TEST(ByteSizeTest, ParsesEveryUnit) {
  EXPECT_EQ(ParseByteSize("512B"), 512u);
  EXPECT_EQ(ParseByteSize("64KiB"), 64 * kKiB);
  EXPECT_EQ(ParseByteSize("16MiB"), 16 * kMiB);
  EXPECT_EQ(ParseByteSize("2GiB"), 2 * kGiB);
  EXPECT_EQ(ParseByteSize("0B"), 0u);
}

TEST(ByteSizeTest, RefusesAnythingElse) {
  for (const char* text :
       {"", "KiB", "12", "12 KiB", " 12KiB", "12kib", "1.5GiB", "-1KiB", "12KB",
        "12KiBx", "9999999999999999GiB", "99999999999999GiB"}) {
    EXPECT_FALSE(ParseByteSize(text).has_value()) << text;
  }
}

TEST(ByteSizeTest, FormatsWithTheLargestExactUnitAndRoundTrips) {
  EXPECT_EQ(FormatByteSize(0), "0B");
  EXPECT_EQ(FormatByteSize(1536), "1536B");
  EXPECT_EQ(FormatByteSize(2 * kGiB), "2GiB");
  EXPECT_EQ(FormatByteSize(3 * kMiB), "3MiB");
  for (uint64_t bytes : {uint64_t{1}, kKiB + 1, 7 * kMiB, 1024 * kGiB})
    EXPECT_EQ(ParseByteSize(FormatByteSize(bytes)), bytes);
}

}  // namespace
}  // namespace tether
