#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace tether::test {

class ChildProcess;

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
  XvfbDisplay(std::unique_ptr<ChildProcess> process, std::string name);

  std::unique_ptr<ChildProcess> process_;
  std::string name_;
};

}  // namespace tether::test
