#pragma once

// The relays' one way to Redis, for what a cluster shares that is short
// lived (the session directory, shared counters, IT's actions): an
// asynchronous hiredis connection on the relay's libuv loop, with our own
// command timeouts, reconnection with backoff, and a second connection for
// pub/sub. Redis is an index the relays rebuild after every reconnect, so a
// caller never waits for it: while it is down every command fails at once.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct uv_loop_s;
struct uv_timer_s;

namespace tether::relay {

// One Redis reply (RESP2), copied out of hiredis's.
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };

  Type type = Type::kNil;
  long long integer = 0;          // kInteger
  std::string text;               // kString, kStatus, kError
  std::vector<RedisReply> array;  // kArray

  bool is_nil() const { return type == Type::kNil; }
};

// Where Redis is: `redis://[[user]:password@]host[:port][/db]` (the
// password may be %-encoded; an IPv6 host in brackets) or `unix:///path`.
struct RedisEndpoint {
  std::string host;       // TCP: a name or an IP address
  uint16_t port = 6379;   // TCP
  std::string unix_path;  // set for unix:// (then host is empty)
  std::string user;       // AUTH user password (Redis 6 ACL), if set
  std::string password;   // AUTH [user] password, if not empty
  int db = 0;             // SELECT db, if not 0

  bool is_unix() const { return !unix_path.empty(); }
};

// Parses a Redis URL (a config value). The error never repeats the URL,
// which may hold a password.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

// Two hiredis connections to one Redis server: one for commands (and
// PUBLISH), and, from the first Subscribe(), one for SUBSCRIBE (in RESP2 a
// subscribed connection can do nothing else).
//
// On every (re)connect the command connection sends AUTH and SELECT (or
// PING) and then calls `on_ready`: Redis may have restarted empty, and the
// owner re-publishes its state there. A command that gets no reply within
// `command_timeout` drops the connection, which fails every pending command;
// the link then reconnects with a backoff from 250 ms to 5 s. Losing the
// command connection restarts the subscriber connection too (it sends
// nothing, so it would not notice a dead server by itself). Replies over
// the size limits are refused and drop the connection. Command arguments are
// never logged; Redis's error text (which may quote them) only goes to
// `done`.
//
// Loop thread only: every call, and every callback, happens on the thread
// running `loop`. Call Close() (or destroy it) before the loop ends, then run
// the loop until hiredis's handles are closed. No callback runs after
// Close() returns, and the object may be destroyed inside any of its own
// callbacks (the destructor calls Close()).
class RedisLink {
 public:
  using Reply = RedisReply;
  using DoneCallback = std::function<void(Result<Reply>)>;
  using ReadyCallback = std::function<void()>;
  // true: ready for commands; false: lost (commands fail until ready again).
  using StateCallback = std::function<void(bool connected)>;
  using MessageCallback = std::function<void(std::string payload)>;

  struct Options {
    std::string url;  // see ParseRedisUrl()
    // Read from a file of its own; when set, used instead of the URL's.
    std::string password = {};
    // A command without a reply this long drops the connection.
    std::chrono::milliseconds command_timeout{1000};
    // From connect() to the end of AUTH/SELECT (or PING).
    std::chrono::milliseconds connect_timeout{1000};
    // Between attempts: doubling from min to max, reset once ready.
    std::chrono::milliseconds reconnect_min{250};
    std::chrono::milliseconds reconnect_max{5000};
    // Replies beyond these are refused (the command fails) and the
    // connection closed: the input from the network is bounded.
    size_t max_string_bytes = 1 << 20;
    size_t max_elements = 10000;  // all arrays' elements in one reply
  };

  // Fails only on a bad URL or bad timeouts (a permanent error).
  static Result<std::unique_ptr<RedisLink>> Create(uv_loop_s* loop,
                                                   Options options);
  ~RedisLink();  // Close()
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Starts connecting. `on_ready` runs after every (re)connect, before any
  // other command can succeed; `on_state` on every change (either may be
  // empty).
  void Start(ReadyCallback on_ready, StateCallback on_state = {});

  // Sends one command (argv[0] is its name). `done` runs exactly once: with
  // the reply, or an error. An error reply from Redis is a permanent error
  // holding its text; Redis being unavailable, a lost connection or a
  // timeout is a temporary one. Never queued while not connected.
  void Command(std::vector<std::string> argv, DoneCallback done);
  // PUBLISH over the command connection; the reply is the receiver count.
  void Publish(std::string channel, std::string payload, DoneCallback done);
  // Calls `on_message` with every message published on `channel` from when
  // the subscriber connection is up, again after every reconnect (messages
  // published while it is down are lost). Replaces an earlier callback.
  void Subscribe(std::string channel, MessageCallback on_message);

  // Ready for commands (connected and past AUTH/SELECT).
  bool connected() const;
  // Ready and subscribed to every channel asked for (for tests and status).
  bool subscribed() const;

  // Stops the timers, closes both connections and fails every pending
  // command (each `done` once, with a temporary error). Idempotent.
  void Close();

 private:
  struct Connection;
  struct Resolve;
  enum class Role { kCommands, kSubscriber };
  // One of the two connections, as the link sees it.
  struct Side {
    Role role;
    Connection* connection = nullptr;  // the current one, if any
    Resolve* resolve = nullptr;        // a name lookup in flight
    uv_timer_s* reconnect_timer = nullptr;
    std::chrono::milliseconds backoff{0};
    bool ready = false;    // past the handshake
    bool failing = false;  // has logged that it is down
  };

  RedisLink(uv_loop_s* loop, Options options, RedisEndpoint endpoint);

  Side& SideOf(Role role) {
    return role == Role::kCommands ? commands_ : subscriber_;
  }
  void Connect(Side& side);
  void OnResolved(Side& side, Result<std::string> ip);
  void ConnectTo(Side& side, const std::string& ip);
  void OnConnected(Connection* connection);
  void OnConnectFailed(Role role, const std::string& why);
  void OnHandshakeDone(Connection* connection, Result<Reply> reply, bool last);
  void OnLost(Role role, const std::string& why);
  void Abandon(Side& side, const std::string& why);
  void LostCommands();
  void ScheduleReconnect(Side& side);
  void SendSubscribe(const std::string& channel);
  void Deliver(const std::string& channel, std::string payload);
  void ArmWatchdog();
  void OnWatchdog();
  uint64_t Now() const;

  uv_loop_s* loop_;
  Options options_;
  RedisEndpoint endpoint_;
  ReadyCallback on_ready_;
  StateCallback on_state_;
  std::map<std::string, MessageCallback> subscriptions_;
  Side commands_{Role::kCommands};
  Side subscriber_{Role::kSubscriber};
  uv_timer_s* watchdog_ = nullptr;
  bool started_ = false;
  bool closed_ = false;
  // Expires with the object: code that runs user callbacks in its middle
  // checks it before touching `this` again.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace tether::relay
