#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tether {
namespace {

Result<int> ParsePositive(int value) {
  if (value <= 0)
    return MakeError("not positive");
  return value;
}

TEST(ResultTest, HoldsAValue) {
  Result<int> result = ParsePositive(7);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(*result, 7);
  EXPECT_EQ(result.value_or(0), 7);
}

TEST(ResultTest, HoldsAnError) {
  Result<int> result = ParsePositive(-1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "not positive");
  EXPECT_FALSE(result.error().temporary());
  EXPECT_EQ(result.value_or(42), 42);
}

TEST(ResultTest, TemporaryErrorsAreMarked) {
  Result<void> result = MakeTemporaryError("busy");
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().temporary());
}

TEST(ResultTest, MoveOnlyValuesMoveOut) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(3);
  std::unique_ptr<int> taken = std::move(result).value();
  EXPECT_EQ(*taken, 3);
}

TEST(ResultTest, VoidResultDefaultsToSuccess) {
  Result<void> ok;
  EXPECT_TRUE(ok.has_value());
}

TEST(ResultTest, CustomErrorTypes) {
  enum class Failure { kA, kB };
  Result<std::string, Failure> result = Unexpected(Failure::kB);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), Failure::kB);
}

TEST(ResultDeathTest, ReadingTheValueOfAnErrorAborts) {
  Result<int> result = MakeError("no");
  EXPECT_DEATH((void)result.value(), "");
}

}  // namespace
}  // namespace tether
