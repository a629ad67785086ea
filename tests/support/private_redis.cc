#include "tests/support/private_redis.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/free_port.h"
#include "tests/support/scratch_folder.h"

namespace tether::test {
namespace {

namespace fs = std::filesystem;

constexpr auto kStartTimeout = std::chrono::seconds(10);

// hiredis 0.14 (Debian 12) and 1.x (Debian 13) both have these.
struct RedisContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct RedisReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ScopedRedisContext = std::unique_ptr<redisContext, RedisContextDeleter>;
using ScopedRedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

Result<ScopedRedisContext> Connect(uint16_t port) {
  timeval timeout{};
  timeout.tv_sec = 2;
  ScopedRedisContext context(
      redisConnectWithTimeout("127.0.0.1", port, timeout));
  if (!context)
    return MakeError("redisConnectWithTimeout: out of memory");
  if (context->err != 0) {
    return MakeTemporaryError("cannot connect to Redis on port " +
                              std::to_string(port) + ": " + context->errstr);
  }
  return context;
}

std::string ReplyText(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(reply.str, reply.len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(reply.integer);
    case REDIS_REPLY_ARRAY: {
      std::string text;
      for (size_t i = 0; i < reply.elements; ++i) {
        if (i > 0)
          text += "\n";
        text += ReplyText(*reply.element[i]);
      }
      return text;
    }
    default:  // nil
      return std::string();
  }
}

}  // namespace

bool PrivateRedis::Available() {
  return !ChildProcess::FindProgram(kBinary).empty();
}

Result<std::unique_ptr<PrivateRedis>> PrivateRedis::Start() {
  std::unique_ptr<PrivateRedis> server(new PrivateRedis());
  TETHER_TRY(dir, MakeScratchFolder("tether-redis"));
  server->dir_ = *dir;
  // Another process may take the free port before the server binds it.
  for (int attempt = 0;; ++attempt) {
    server->port_ = FreeLoopbackPort();
    if (server->port_ == 0)
      return MakeError("no free port");
    auto started = server->StartAgain();
    if (started)
      return server;
    if (attempt == 2 ||
        server->log().find("already in use") == std::string::npos) {
      return Unexpected(std::move(started).error());
    }
  }
}

PrivateRedis::~PrivateRedis() {
  process_.reset();  // stopped before its folder goes
  std::error_code ec;
  if (!dir_.empty())
    fs::remove_all(dir_, ec);
}

Result<void> PrivateRedis::StartAgain() {
  if (process_)
    return MakeError("redis-server is running");
  TETHER_TRY(process,
             ChildProcess::Start(
                 {.argv = {kBinary, "--port", std::to_string(port_), "--bind",
                           "127.0.0.1", "--save", "", "--appendonly", "no",
                           "--unixsocket", socket_path().string(),
                           "--unixsocketperm", "700", "--dir", dir_.string(),
                           "--logfile", (dir_ / "redis.log").string()},
                  .working_dir = dir_}));
  process_ = std::move(*process);
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto pong = Command({"PING"});
    if (pong && *pong == "PONG")
      return {};
    if (!process_->Running()) {
      process_.reset();
      return MakeError("redis-server exited during start-up:\n" + log());
    }
    // redis-server offers no start-up signal but its answers.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process_.reset();
  return MakeError("redis-server did not answer PING within 10 s:\n" + log());
}

Result<void> PrivateRedis::Stop() {
  if (!process_)
    return MakeError("redis-server is not running");
  const int status = process_->Kill();
  process_.reset();
  // Redis exits with 0 on SIGTERM; 128 + 9 means it had to be killed.
  if (status != 0)
    return MakeError("redis-server exited with status " +
                     std::to_string(status) + ":\n" + log());
  return {};
}

Result<std::string> PrivateRedis::Command(
    const std::vector<std::string>& argv) {
  TETHER_TRY(context, Connect(port_));
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const auto& argument : argv) {
    pointers.push_back(argument.data());
    lengths.push_back(argument.size());
  }
  ScopedRedisReply reply(static_cast<redisReply*>(
      redisCommandArgv(context->get(), static_cast<int>(argv.size()),
                       pointers.data(), lengths.data())));
  if (!reply) {
    return MakeError(std::string("Redis command failed: ") +
                     (*context)->errstr);
  }
  if (reply->type == REDIS_REPLY_ERROR)
    return MakeError("Redis: " + std::string(reply->str, reply->len));
  return ReplyText(*reply);
}

std::string PrivateRedis::log() const {
  std::ifstream in(dir_ / "redis.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tether::test
