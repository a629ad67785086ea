#pragma once

// A real HTTP proxy for tests: tinyproxy (Debian package tinyproxy-bin) in
// the foreground with a generated config, on 127.0.0.1 and a free port,
// accepting clients from 127.0.0.1 and CONNECT to one port only. CONNECT
// to any other port gets tinyproxy's own "403 Access violation".

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"

namespace tether::test {

class ChildProcess;

class TinyproxyProcess {
 public:
  static constexpr char kBinary[] = "/usr/bin/tinyproxy";
  // False when tinyproxy is not installed: tests skip then.
  static bool Available();

  static Result<std::unique_ptr<TinyproxyProcess>> Start(uint16_t connect_port);
  ~TinyproxyProcess();  // stops it and removes its directory
  TinyproxyProcess(const TinyproxyProcess&) = delete;
  TinyproxyProcess& operator=(const TinyproxyProcess&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  // What tinyproxy logged so far (it logs every CONNECT request).
  std::string log() const;

 private:
  TinyproxyProcess() = default;

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> process_;
  uint16_t port_ = 0;
};

}  // namespace tether::test
