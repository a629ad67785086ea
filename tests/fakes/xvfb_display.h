#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace tether::test {

struct XvfbOptions {
  int width = 1024;
  int height = 768;
  // More Xvfb arguments, e.g. {"-extension", "MIT-SHM"} to turn one off.
  std::vector<std::string> extra_args;
};

// A private Xvfb server for one test (or suite). The server picks a free
// display number itself (-displayfd), so parallel tests never race for one;
// Start() returns once it accepts connections, the destructor stops it.
// Every wait is bounded.
class XvfbDisplay {
 public:
  // Whether an Xvfb binary is on PATH (tests skip without it).
  static bool Available();
  static Result<std::unique_ptr<XvfbDisplay>> Start(
      const XvfbOptions& options = {});

  ~XvfbDisplay();
  XvfbDisplay(const XvfbDisplay&) = delete;
  XvfbDisplay& operator=(const XvfbDisplay&) = delete;

  // ":N", for DISPLAY or the capture options.
  const std::string& name() const { return name_; }

 private:
  XvfbDisplay(pid_t pid, std::string name)
      : pid_(pid), name_(std::move(name)) {}

  pid_t pid_;
  std::string name_;
};

}  // namespace tether::test
