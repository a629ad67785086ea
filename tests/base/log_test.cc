#include "base/log.h"

#include <gtest/gtest.h>

namespace tether::log {
namespace {

TEST(LogTest, ParsesEveryLevelName) {
  EXPECT_EQ(*ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("warning"), Level::kWarn);
  EXPECT_EQ(*ParseLevel("off"), Level::kOff);
}

TEST(LogTest, UnknownLevelNamesTheValidOnes) {
  auto level = ParseLevel("loud");
  ASSERT_FALSE(level.has_value());
  EXPECT_NE(level.error().message.find("trace, debug, info"),
            std::string::npos);
}

}  // namespace
}  // namespace tether::log
