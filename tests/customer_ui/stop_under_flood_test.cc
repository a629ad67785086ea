// STOP under a flood from the technician's side, with the real widgets on a
// private Xvfb and a real X click (the bench program does the driving; its
// figures are in bench/RESULTS.md). Asserted here: STOP takes effect under
// every flood, and before the chat flood has drained, i.e. it does not
// wait behind the technician's traffic.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>

#include "tests/fakes/xvfb_display.h"

namespace tether::customer::ui {
namespace {

std::string RunCommand(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr)
    return out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe))
    out.append(buffer, n);
  *status = pclose(pipe);
  return out;
}

TEST(StopUnderFloodTest, StopGetsInBeforeTheTechniciansFloodIsDone) {
  const char* bin_dir = std::getenv("TETHER_TEST_BIN_DIR");
  if (bin_dir == nullptr)
    GTEST_SKIP() << "TETHER_TEST_BIN_DIR not set";
  if (!tether::test::XvfbDisplay::Available())
    GTEST_SKIP() << "needs Xvfb";
  constexpr int kTasks = 400;
  int status = -1;
  const std::string out = RunCommand(
      "'" + std::string(bin_dir) + "/tether-bench-customer-stop' --tasks " +
          std::to_string(kTasks) + " 2>/dev/null",
      &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("STOP took effect in every run"), std::string::npos)
      << out;
  // "| chat (...) | 13 (18) | 479 (400) |": tasks run before STOP, sliced.
  std::smatch row;
  ASSERT_TRUE(std::regex_search(
      out, row, std::regex(R"(\| chat[^|]*\| [0-9]+ \(([0-9]+)\) \|)")))
      << out;
  EXPECT_LT(std::stoi(row[1]), kTasks)
      << "STOP waited for the whole chat flood\n"
      << out;
}

}  // namespace
}  // namespace tether::customer::ui
