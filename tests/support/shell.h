#pragma once

// Running a command-line tool from a test (openssl, sslscan, ffprobe...).

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace tether::test {

struct ShellResult {
  int exit_code = -1;  // -1 when it could not run or was killed
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh and waits for it. Bound long-running tools
// with `timeout N` in the command.
inline ShellResult RunShell(const std::string& command) {
  ShellResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline bool HaveCommand(const std::string& name) {
  return RunShell("command -v " + name).exit_code == 0;
}

}  // namespace tether::test
