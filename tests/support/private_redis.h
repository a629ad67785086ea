#pragma once

// A private Redis server for one test: redis-server on 127.0.0.1 and a
// free port (never the system's 6379) and a Unix socket in a temporary
// folder of its own, keeping nothing on disk (no RDB, no AOF), so every
// start begins empty.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace tether::test {

class ChildProcess;

// One thread uses it (the one that started it: the server dies with it).
class PrivateRedis {
 public:
  static constexpr char kBinary[] = "redis-server";
  // False when redis-server is not installed: tests skip then.
  static bool Available();

  // Starts the server; ready once it answers PING.
  static Result<std::unique_ptr<PrivateRedis>> Start();
  ~PrivateRedis();  // stops it and removes its folder
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  // SIGTERM, and waits for it to exit.
  Result<void> Stop();
  // Starts the stopped server again on the same port: empty.
  Result<void> StartAgain();

  uint16_t port() const { return port_; }
  std::string url() const {
    return "redis://127.0.0.1:" + std::to_string(port_);
  }
  std::filesystem::path socket_path() const { return dir_ / "redis.sock"; }

  // One command on a connection of its own (for tests): a string or status
  // reply as is, an integer as decimal text, nil as "", an array as its
  // elements one per line; an error reply is an error.
  Result<std::string> Command(const std::vector<std::string>& argv);
  // What the server logged so far.
  std::string log() const;

 private:
  PrivateRedis() = default;

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> process_;
  uint16_t port_ = 0;
};

}  // namespace tether::test
