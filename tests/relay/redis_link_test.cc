#include "relay/cluster/redis_link.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/private_redis.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using Type = RedisReply::Type;

// A real redis-server and a real libuv loop run by the test thread.
class RedisLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tether::test::PrivateRedis::Available())
      GTEST_SKIP() << "redis-server is not installed";
    auto redis = tether::test::PrivateRedis::Start();
    ASSERT_TRUE(redis.has_value()) << redis.error().message;
    redis_ = std::move(*redis);
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    loop_ready_ = true;
    tick_ = new uv_timer_t;
    uv_timer_init(&loop_, tick_);
  }

  void TearDown() override {
    if (!loop_ready_)
      return;
    links_.clear();  // Close()
    uv_close(reinterpret_cast<uv_handle_t*>(tick_), [](uv_handle_t* handle) {
      delete reinterpret_cast<uv_timer_t*>(handle);
    });
    // hiredis's poll handles close on the next turns of the loop.
    auto deadline = SteadyClock::now() + 5s;
    while (uv_loop_alive(&loop_) && SteadyClock::now() < deadline)
      uv_run(&loop_, UV_RUN_ONCE);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }

  // Runs the loop until `done()`; false if `timeout` passed first.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = 10s) {
    // The tick bounds each turn of the loop, so the deadline is checked.
    uv_timer_start(
        tick_, [](uv_timer_t*) {}, 10, 10);
    auto deadline = SteadyClock::now() + timeout;
    bool ok = true;
    while (!done()) {
      if (SteadyClock::now() > deadline) {
        ok = false;
        break;
      }
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_timer_stop(tick_);
    return ok;
  }

  // A started link, counting its on_ready calls and state changes.
  struct Link {
    RedisLink* link = nullptr;
    int ready = 0;
    std::vector<bool> states;
  };

  std::unique_ptr<Link> NewLink(const std::string& url,
                                RedisLink::Options options = {}) {
    options.url = url;
    auto link = RedisLink::Create(&loop_, std::move(options));
    EXPECT_TRUE(link.has_value()) << link.error().message;
    if (!link)
      return nullptr;
    auto handle = std::make_unique<Link>();
    handle->link = link->get();
    Link* raw = handle.get();
    (*link)->Start([raw] { ++raw->ready; },
                   [raw](bool connected) { raw->states.push_back(connected); });
    links_.push_back(std::move(*link));
    return handle;
  }

  // Starts a link to the private server and waits until it is ready.
  std::unique_ptr<Link> ReadyLink(RedisLink::Options options = {}) {
    auto link = NewLink(redis_->url(), std::move(options));
    if (link == nullptr)
      return nullptr;
    EXPECT_TRUE(RunUntil([&] { return link->link->connected(); }))
        << "the link never became ready";
    return link;
  }

  Result<RedisReply> Run(RedisLink& link, std::vector<std::string> argv) {
    std::optional<Result<RedisReply>> got;
    link.Command(std::move(argv),
                 [&got](Result<RedisReply> reply) { got = std::move(reply); });
    if (!RunUntil([&] { return got.has_value(); }))
      return MakeError("test: no callback within the deadline");
    return std::move(*got);
  }

  std::unique_ptr<tether::test::PrivateRedis> redis_;
  uv_loop_t loop_;
  bool loop_ready_ = false;
  uv_timer_t* tick_ = nullptr;
  std::vector<std::unique_ptr<RedisLink>> links_;
};

TEST_F(RedisLinkTest, SetGetIncrAndExpire) {
  auto link = ReadyLink();
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->ready, 1);
  RedisLink& redis = *link->link;

  auto set = Run(redis, {"SET", "tether:k", "value"});
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->type, Type::kStatus);
  EXPECT_EQ(set->text, "OK");

  auto get = Run(redis, {"GET", "tether:k"});
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_EQ(get->type, Type::kString);
  EXPECT_EQ(get->text, "value");

  ASSERT_TRUE(Run(redis, {"INCR", "tether:n"}).has_value());
  auto incr = Run(redis, {"INCR", "tether:n"});
  ASSERT_TRUE(incr.has_value()) << incr.error().message;
  EXPECT_EQ(incr->type, Type::kInteger);
  EXPECT_EQ(incr->integer, 2);

  auto expire = Run(redis, {"EXPIRE", "tether:n", "100"});
  ASSERT_TRUE(expire.has_value()) << expire.error().message;
  EXPECT_EQ(expire->integer, 1);
  auto ttl = Run(redis, {"TTL", "tether:n"});
  ASSERT_TRUE(ttl.has_value()) << ttl.error().message;
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 100);

  // Binary-safe arguments and replies.
  std::string binary("a\0b\r\nc", 6);
  ASSERT_TRUE(Run(redis, {"SET", "tether:bin", binary}).has_value());
  auto back = Run(redis, {"GET", "tether:bin"});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->text, binary);

  auto list = Run(redis, {"RPUSH", "tether:l", "x", "y"});
  ASSERT_TRUE(list.has_value());
  auto range = Run(redis, {"LRANGE", "tether:l", "0", "-1"});
  ASSERT_TRUE(range.has_value()) << range.error().message;
  ASSERT_EQ(range->type, Type::kArray);
  ASSERT_EQ(range->array.size(), 2u);
  EXPECT_EQ(range->array[1].text, "y");
}

TEST_F(RedisLinkTest, MissingKeyIsNil) {
  auto link = ReadyLink();
  ASSERT_NE(link, nullptr);
  auto get = Run(*link->link, {"GET", "tether:absent"});
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_TRUE(get->is_nil());
}

TEST_F(RedisLinkTest, ErrorReplyIsAPermanentErrorAndTheLinkStaysUp) {
  auto link = ReadyLink();
  ASSERT_NE(link, nullptr);
  RedisLink& redis = *link->link;
  ASSERT_TRUE(Run(redis, {"SET", "tether:s", "text"}).has_value());
  auto wrong = Run(redis, {"LPUSH", "tether:s", "x"});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_FALSE(wrong.error().temporary());
  EXPECT_NE(wrong.error().message.find("WRONGTYPE"), std::string::npos)
      << wrong.error().message;
  EXPECT_TRUE(redis.connected());
  auto get = Run(redis, {"GET", "tether:s"});
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_EQ(get->text, "text");
}

TEST_F(RedisLinkTest, CommandsFailAtOnceWhileRedisIsDown) {
  ASSERT_TRUE(redis_->Stop().has_value());
  auto link = NewLink(redis_->url());
  ASSERT_NE(link, nullptr);
  // Let it try (and fail) to connect a few times.
  auto until = SteadyClock::now() + 300ms;
  RunUntil([&] { return SteadyClock::now() > until; });
  EXPECT_FALSE(link->link->connected());

  std::optional<Result<RedisReply>> got;
  link->link->Command({"GET", "tether:k"}, [&got](Result<RedisReply> reply) {
    got = std::move(reply);
  });
  ASSERT_TRUE(got.has_value())
      << "the callback must run before Command returns";
  ASSERT_FALSE(got->has_value());
  EXPECT_TRUE(got->error().temporary());
  EXPECT_EQ(got->error().message, "Redis is unavailable");
  EXPECT_EQ(link->ready, 0);
  EXPECT_TRUE(link->states.empty());

  // Refused connects end (hiredis 0.14 only notices through our connect
  // timeout) and the retries go on until Redis is back.
  ASSERT_TRUE(redis_->StartAgain().has_value());
  ASSERT_TRUE(RunUntil([&] { return link->link->connected(); }));
  EXPECT_EQ(link->ready, 1);
  EXPECT_EQ(link->states, std::vector<bool>{true});
}

TEST_F(RedisLinkTest, ReconnectsByItselfAfterARestartAndRunsOnReadyAgain) {
  auto link = ReadyLink();
  ASSERT_NE(link, nullptr);
  RedisLink& redis = *link->link;
  ASSERT_TRUE(Run(redis, {"SET", "tether:k", "before"}).has_value());

  ASSERT_TRUE(redis_->Stop().has_value());
  ASSERT_TRUE(RunUntil([&] { return !redis.connected(); }));
  auto down = Run(redis, {"GET", "tether:k"});
  ASSERT_FALSE(down.has_value());
  EXPECT_TRUE(down.error().temporary());

  ASSERT_TRUE(redis_->StartAgain().has_value());
  ASSERT_TRUE(RunUntil([&] { return redis.connected(); }))
      << "no reconnect after the restart";
  EXPECT_EQ(link->ready, 2);
  EXPECT_EQ(link->states, (std::vector<bool>{true, false, true}));
  // The restarted server is empty: the owner re-publishes in on_ready.
  auto get = Run(redis, {"GET", "tether:k"});
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_TRUE(get->is_nil());
}

TEST_F(RedisLinkTest, OnReadyCanRepublishStateAfterEveryConnect) {
  auto link = RedisLink::Create(&loop_, {.url = redis_->url()});
  ASSERT_TRUE(link.has_value()) << link.error().message;
  RedisLink* redis = link->get();
  std::vector<bool> published;
  redis->Start([&] {
    redis->Command({"SET", "tether:relay:1", "here", "PX", "15000"},
                   [&published](Result<RedisReply> reply) {
                     published.push_back(reply.has_value());
                   });
  });
  links_.push_back(std::move(*link));
  ASSERT_TRUE(RunUntil([&] { return published.size() == 1; }));
  ASSERT_TRUE(redis_->Stop().has_value());
  ASSERT_TRUE(RunUntil([&] { return !redis->connected(); }));
  ASSERT_TRUE(redis_->StartAgain().has_value());
  ASSERT_TRUE(RunUntil([&] { return published.size() == 2; }));
  EXPECT_EQ(published, (std::vector<bool>{true, true}));
  auto value = redis_->Command({"GET", "tether:relay:1"});
  ASSERT_TRUE(value.has_value()) << value.error().message;
  EXPECT_EQ(*value, "here");
}

TEST_F(RedisLinkTest, HungCommandTimesOutAndTheLinkRecovers) {
  RedisLink::Options options;
  options.command_timeout = 500ms;
  auto link = ReadyLink(options);
  ASSERT_NE(link, nullptr);
  RedisLink& redis = *link->link;

  // Another client pauses every client for 2 s: our GET gets no reply.
  ASSERT_TRUE(redis_->Command({"CLIENT", "PAUSE", "2000"}).has_value());
  auto sent = SteadyClock::now();
  auto get = Run(redis, {"GET", "tether:k"});
  auto waited = SteadyClock::now() - sent;
  ASSERT_FALSE(get.has_value());
  EXPECT_TRUE(get.error().temporary());
  EXPECT_NE(get.error().message.find("no reply within 500 ms"),
            std::string::npos)
      << get.error().message;
  EXPECT_LT(waited, 1500ms) << "the timeout did not end the wait";
  EXPECT_FALSE(redis.connected());

  ASSERT_TRUE(RunUntil([&] { return redis.connected(); }))
      << "the link did not recover after the pause";
  EXPECT_EQ(link->ready, 2);
  auto after = Run(redis, {"SET", "tether:k", "v"});
  ASSERT_TRUE(after.has_value()) << after.error().message;
}

TEST_F(RedisLinkTest, PubSubDeliversToASecondLinkAgainAfterARestart) {
  auto publisher = ReadyLink();
  ASSERT_NE(publisher, nullptr);
  auto subscriber = NewLink(redis_->url());
  ASSERT_NE(subscriber, nullptr);
  std::vector<std::string> received;
  subscriber->link->Subscribe("tether:actions",
                              [&received](std::string payload) {
                                received.push_back(std::move(payload));
                              });
  ASSERT_TRUE(RunUntil([&] { return subscriber->link->subscribed(); }));

  auto published = Run(*publisher->link, {"PUBLISH", "tether:other", "x"});
  ASSERT_TRUE(published.has_value());
  std::optional<Result<RedisReply>> got;
  publisher->link->Publish(
      "tether:actions", "hello",
      [&got](Result<RedisReply> r) { got = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return got.has_value() && !received.empty(); }));
  ASSERT_TRUE(got->has_value()) << got->error().message;
  EXPECT_EQ((*got)->integer, 1);
  EXPECT_EQ(received, (std::vector<std::string>{"hello"}));

  ASSERT_TRUE(redis_->Stop().has_value());
  ASSERT_TRUE(RunUntil([&] { return !subscriber->link->subscribed(); }));
  ASSERT_TRUE(redis_->StartAgain().has_value());
  ASSERT_TRUE(RunUntil([&] {
    return subscriber->link->subscribed() && publisher->link->connected();
  })) << "the subscriber did not subscribe again";

  got.reset();
  publisher->link->Publish(
      "tether:actions", "again",
      [&got](Result<RedisReply> r) { got = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return received.size() == 2; }));
  EXPECT_EQ(received[1], "again");
}

TEST_F(RedisLinkTest, CloseWithCommandsInFlightCallsEachCallbackOnce) {
  auto link = ReadyLink();
  ASSERT_NE(link, nullptr);
  std::vector<int> calls(5, 0);
  std::vector<std::string> errors(5);
  for (int i = 0; i < 5; ++i) {
    link->link->Command(
        {"INCR", "tether:n"}, [&calls, &errors, i](Result<RedisReply> reply) {
          ++calls[static_cast<size_t>(i)];
          if (!reply)
            errors[static_cast<size_t>(i)] = reply.error().message;
        });
  }
  link->link->Close();
  EXPECT_EQ(calls, std::vector<int>(5, 1));
  EXPECT_EQ(errors, std::vector<std::string>(5, "Redis link closed"));
  EXPECT_FALSE(link->link->connected());
  // Nothing more arrives: hiredis's late callbacks go nowhere.
  auto until = SteadyClock::now() + 200ms;
  RunUntil([&] { return SteadyClock::now() > until; });
  EXPECT_EQ(calls, std::vector<int>(5, 1));
  std::optional<Result<RedisReply>> late;
  link->link->Command({"PING"},
                      [&late](Result<RedisReply> r) { late = std::move(r); });
  ASSERT_TRUE(late.has_value());
  EXPECT_FALSE(late->has_value());
}

TEST_F(RedisLinkTest, DestroyedInsideItsOwnCallbackCallsTheOthersOnce) {
  auto link = ReadyLink();
  ASSERT_NE(link, nullptr);
  std::vector<int> calls(4, 0);
  for (int i = 0; i < 4; ++i) {
    link->link->Command(
        {"INCR", "tether:n"}, [this, &calls, i](Result<RedisReply>) {
          ++calls[static_cast<size_t>(i)];
          if (i == 0)
            links_.clear();  // destroys the link inside its reply callback
        });
  }
  ASSERT_TRUE(RunUntil([&] { return calls[0] == 1; }));
  EXPECT_EQ(calls, std::vector<int>(4, 1));
  auto until = SteadyClock::now() + 200ms;
  RunUntil([&] { return SteadyClock::now() > until; });
  EXPECT_EQ(calls, std::vector<int>(4, 1));
}

TEST_F(RedisLinkTest, OversizedReplyIsRefusedAndTheLinkReconnects) {
  RedisLink::Options options;
  options.max_string_bytes = 1000;
  options.max_elements = 10;
  auto link = ReadyLink(options);
  ASSERT_NE(link, nullptr);
  RedisLink& redis = *link->link;
  ASSERT_TRUE(
      Run(redis, {"SET", "tether:big", std::string(1001, 'x')}).has_value());
  auto big = Run(redis, {"GET", "tether:big"});
  ASSERT_FALSE(big.has_value());
  EXPECT_NE(big.error().message.find("larger than 1000 bytes"),
            std::string::npos)
      << big.error().message;
  ASSERT_TRUE(RunUntil([&] { return redis.connected() && link->ready == 2; }));

  std::vector<std::string> push = {"RPUSH", "tether:list"};
  for (int i = 0; i < 11; ++i)
    push.push_back(std::to_string(i));
  ASSERT_TRUE(Run(redis, push).has_value());
  auto range = Run(redis, {"LRANGE", "tether:list", "0", "-1"});
  ASSERT_FALSE(range.has_value());
  EXPECT_NE(range.error().message.find("array elements"), std::string::npos)
      << range.error().message;
  ASSERT_TRUE(RunUntil([&] { return redis.connected() && link->ready == 3; }));
}

TEST_F(RedisLinkTest, UnixSocketUrlWorks) {
  auto link = NewLink("unix://" + redis_->socket_path().string());
  ASSERT_NE(link, nullptr);
  ASSERT_TRUE(RunUntil([&] { return link->link->connected(); }));
  ASSERT_TRUE(Run(*link->link, {"SET", "tether:u", "1"}).has_value());
  auto get = Run(*link->link, {"GET", "tether:u"});
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_EQ(get->text, "1");
}

TEST_F(RedisLinkTest, AuthAndSelectRunBeforeReady) {
  ASSERT_TRUE(redis_->Command({"CONFIG", "SET", "requirepass", "s3cret/@"})
                  .has_value());
  std::string base =
      "redis://:s3cret%2F%40@127.0.0.1:" + std::to_string(redis_->port());
  auto db2 = NewLink(base + "/2");
  auto db0 = NewLink(base);
  auto wrong =
      NewLink("redis://:wrong@127.0.0.1:" + std::to_string(redis_->port()));
  ASSERT_NE(db2, nullptr);
  ASSERT_NE(db0, nullptr);
  ASSERT_NE(wrong, nullptr);
  ASSERT_TRUE(RunUntil(
      [&] { return db2->link->connected() && db0->link->connected(); }));
  ASSERT_TRUE(Run(*db2->link, {"SET", "tether:db", "two"}).has_value());
  auto in_db0 = Run(*db0->link, {"GET", "tether:db"});
  ASSERT_TRUE(in_db0.has_value()) << in_db0.error().message;
  EXPECT_TRUE(in_db0->is_nil());
  auto in_db2 = Run(*db2->link, {"GET", "tether:db"});
  ASSERT_TRUE(in_db2.has_value()) << in_db2.error().message;
  EXPECT_EQ(in_db2->text, "two");
  // A refused AUTH never makes a link ready.
  EXPECT_FALSE(wrong->link->connected());
  EXPECT_EQ(wrong->ready, 0);
  auto refused = Run(*wrong->link, {"GET", "tether:db"});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message, "Redis is unavailable");
}

TEST_F(RedisLinkTest, SubscribeCommandsAreRefusedOnTheCommandConnection) {
  auto link = ReadyLink();
  ASSERT_NE(link, nullptr);
  auto subscribe = Run(*link->link, {"subscribe", "tether:actions"});
  ASSERT_FALSE(subscribe.has_value());
  EXPECT_FALSE(subscribe.error().temporary());
  auto ping = Run(*link->link, {"PING"});
  ASSERT_TRUE(ping.has_value()) << ping.error().message;
  EXPECT_EQ(ping->text, "PONG");
}

TEST(RedisLinkUrlTest, ParsesTcpAndUnixUrls) {
  auto plain = ParseRedisUrl("redis://127.0.0.1:6380");
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6380);
  EXPECT_TRUE(plain->password.empty());
  EXPECT_EQ(plain->db, 0);
  EXPECT_FALSE(plain->is_unix());

  auto full = ParseRedisUrl("redis://:p%40ss:word@redis.internal/3");
  ASSERT_TRUE(full.has_value()) << full.error().message;
  EXPECT_EQ(full->host, "redis.internal");
  EXPECT_EQ(full->port, 6379);
  EXPECT_EQ(full->password, "p@ss:word");
  EXPECT_TRUE(full->user.empty());
  EXPECT_EQ(full->db, 3);

  auto acl = ParseRedisUrl("redis://relay:pw@[::1]:7000/");
  ASSERT_TRUE(acl.has_value()) << acl.error().message;
  EXPECT_EQ(acl->user, "relay");
  EXPECT_EQ(acl->password, "pw");
  EXPECT_EQ(acl->host, "::1");
  EXPECT_EQ(acl->port, 7000);

  auto unix_url = ParseRedisUrl("unix:///run/redis/redis-server.sock");
  ASSERT_TRUE(unix_url.has_value()) << unix_url.error().message;
  EXPECT_TRUE(unix_url->is_unix());
  EXPECT_EQ(unix_url->unix_path, "/run/redis/redis-server.sock");
}

TEST(RedisLinkUrlTest, BadUrlsGiveClearErrorsWithoutThePassword) {
  struct Case {
    std::string url;
    std::string error_part;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"http://host", "must start with redis://"},
      {"rediss://host", "TLS"},
      {"redis://", "no host"},
      {"redis://:secret@", "no host"},
      {"redis://host:0", "port"},
      {"redis://:secret@host:70000", "port"},
      {"redis://host:abc", "port"},
      {"redis://host:", "port"},
      {"redis://host/db", "database"},
      {"redis://host/-1", "database"},
      {"redis://::1:6379", "IPv6"},
      {"redis://[::1:6379", "']'"},
      {"redis://ho$t", "host name"},
      {"redis://secret@host", "needs a password"},
      {"redis://:@host", "empty password"},
      {"redis://:se%2cret%zz@host", "%-escape"},
      {"redis://:secret @host", "space"},
      {"unix://relative.sock", "absolute path"},
      {"unix:///" + std::string(200, 'a'), "longer than 107"},
      {"redis://" + std::string(2000, 'h'), "longer than 1024"},
      {"redis://" + std::string(300, 'h'), "host is longer"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseRedisUrl(c.url);
    ASSERT_FALSE(parsed.has_value()) << c.url;
    EXPECT_FALSE(parsed.error().temporary());
    EXPECT_NE(parsed.error().message.find(c.error_part), std::string::npos)
        << c.url << ": " << parsed.error().message;
    EXPECT_EQ(parsed.error().message.find("secret"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(RedisLinkUrlTest, CreateRefusesABadUrl) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  auto link = RedisLink::Create(&loop, {.url = "redis://host:99999"});
  ASSERT_FALSE(link.has_value());
  EXPECT_NE(link.error().message.find("port"), std::string::npos);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace tether::relay
