#include "tests/support/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace tether::test {
namespace {

using namespace std::chrono_literals;

Result<std::unique_ptr<ChildProcess>> Shell(const std::string& script) {
  return ChildProcess::Start(
      {.argv = {"sh", "-c", script}, .output = ChildProcess::Output::kLines});
}

// Gone, or a zombie only its new parent still has to reap.
bool Gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line))
    return true;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() &&
         line[paren + 2] == 'Z';
}

bool GoneWithin(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Gone(pid)) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(ChildProcessTest, WaitGivesTheExitCodeOrTheSignalAsAShellDoes) {
  auto exits = Shell("exit 3");
  ASSERT_TRUE(exits.has_value()) << exits.error().message;
  EXPECT_EQ((*exits)->Wait(10s).value_or(-1), 3);
  auto killed = Shell("kill -TERM $$");
  ASSERT_TRUE(killed.has_value()) << killed.error().message;
  EXPECT_EQ((*killed)->Wait(10s).value_or(-1), 128 + SIGTERM);
}

TEST(ChildProcessTest, WaitForLineGivesTheRestOfTheLineStartingWithTheWord) {
  auto child = Shell("echo 'READY-NOT 1'; echo 'READY 42'; printf partial");
  ASSERT_TRUE(child.has_value()) << child.error().message;
  EXPECT_EQ((*child)->WaitForLine("READY", 10s), "42");
  EXPECT_EQ((*child)->Wait(10s).value_or(-1), 0);
  EXPECT_EQ((*child)->WaitForLine("MISSING", 1s), std::nullopt);
  EXPECT_EQ((*child)->output(), "READY-NOT 1\nREADY 42\npartial");
}

TEST(ChildProcessTest, EnvironmentAndWorkingFolderAreTheChildsOwn) {
  setenv("TETHER_CHILD_TEST_UNSET", "inherited", 1);
  setenv("TETHER_CHILD_TEST_SET", "inherited", 1);
  auto child = ChildProcess::Start(
      {.argv = {"sh", "-c",
                "echo \"UNSET ${TETHER_CHILD_TEST_UNSET-none}\"; "
                "echo \"SET $TETHER_CHILD_TEST_SET\"; echo \"DIR $(pwd)\""},
       .environment = {{"TETHER_CHILD_TEST_SET", "ours"}},
       .unset_environment = {"TETHER_CHILD_TEST_UNSET"},
       .working_dir = "/",
       .output = ChildProcess::Output::kLines});
  ASSERT_TRUE(child.has_value()) << child.error().message;
  EXPECT_EQ((*child)->WaitForLine("UNSET", 10s), "none");
  EXPECT_EQ((*child)->WaitForLine("SET", 10s), "ours");
  EXPECT_EQ((*child)->WaitForLine("DIR", 10s), "/");
}

TEST(ChildProcessTest, APassedDescriptorIsTheChildsUnderItsNumber) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  auto child = ChildProcess::Start(
      {.argv = {"sh", "-c", "echo ready >&3"}, .pass_fds = {{3, fds[1]}}});
  close(fds[1]);
  ASSERT_TRUE(child.has_value()) << child.error().message;
  char buffer[16] = {};
  EXPECT_EQ(read(fds[0], buffer, sizeof(buffer) - 1), 6);
  EXPECT_STREQ(buffer, "ready\n");
  close(fds[0]);
}

TEST(ChildProcessTest, WaitFailsTemporarilyWhileItRuns) {
  auto child = Shell("exec sleep 60");
  ASSERT_TRUE(child.has_value()) << child.error().message;
  auto waited = (*child)->Wait(50ms);
  ASSERT_FALSE(waited.has_value());
  EXPECT_TRUE(waited.error().temporary());
  EXPECT_TRUE((*child)->Running());
  EXPECT_EQ((*child)->Kill(), 128 + SIGTERM);
  EXPECT_FALSE((*child)->Running());
}

TEST(ChildProcessTest, KillStopsTheWholeGroupAndTheDestructorReapsIt) {
  // A grandchild that ignores SIGTERM: SIGKILL after the grace period.
  auto child = Shell("trap '' TERM; sleep 60 & echo \"GRANDCHILD $!\"; wait");
  ASSERT_TRUE(child.has_value()) << child.error().message;
  const pid_t pid = (*child)->pid();
  auto grandchild = (*child)->WaitForLine("GRANDCHILD", 10s);
  ASSERT_TRUE(grandchild.has_value());
  (*child)->Kill(100ms);
  child->reset();
  EXPECT_EQ(kill(pid, 0), -1) << "not reaped";
  EXPECT_TRUE(GoneWithin(std::stoi(*grandchild), 5s));
}

TEST(ChildProcessTest, AProgramThatIsNotInstalledIsAnError) {
  auto child = ChildProcess::Start({.argv = {"tether-no-such-program"}});
  ASSERT_FALSE(child.has_value());
  EXPECT_NE(child.error().message.find("tether-no-such-program"),
            std::string::npos);
}

}  // namespace
}  // namespace tether::test
