#include "relay/cluster/redis_link.h"

#include <netdb.h>
#include <sys/socket.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <deque>
#include <optional>
#include <set>
#include <utility>

// hiredis's headers (0.14 on Debian 12, 1.2 on Debian 13) are not written for
// our warning flags; only the API both versions share is used below.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#pragma GCC diagnostic pop

#include "base/log.h"
#include "relay/cluster/heap_timer.h"

namespace tether::relay {

namespace {

constexpr size_t kMaxUrlLength = 1024;
constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxUnixPathLength = 107;  // sun_path, less its NUL
constexpr int kMaxReplyDepth = 16;
constexpr char kUnavailable[] = "Redis is unavailable";

const char* RoleName(bool commands) {
  return commands ? "command" : "subscriber";
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return c - 'A' + 10;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size())
      return MakeError("Redis URL has a bad %-escape in its user info");
    if (!IsHexDigit(text[i + 1]) || !IsHexDigit(text[i + 2]))
      return MakeError("Redis URL has a bad %-escape in its user info");
    out +=
        static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
    i += 2;
  }
  return out;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

// How much of the reply limits is left while copying one reply.
struct ReplyBudget {
  size_t max_string_bytes;
  size_t elements_left;
};

Result<RedisReply> CopyReply(const redisReply& reply,
                             ReplyBudget& budget,
                             int depth) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_NIL:
      return out;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply.integer;
      return out;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = reply.type == REDIS_REPLY_STRING   ? RedisReply::Type::kString
                 : reply.type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                    : RedisReply::Type::kError;
      if (reply.len > budget.max_string_bytes) {
        return MakeError("Redis reply refused: a string is larger than " +
                         std::to_string(budget.max_string_bytes) + " bytes");
      }
      if (reply.len > 0)
        out.text.assign(reply.str, reply.len);
      return out;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      if (depth >= kMaxReplyDepth)
        return MakeError("Redis reply refused: arrays nested too deeply");
      if (reply.elements > budget.elements_left) {
        return MakeError("Redis reply refused: more than " +
                         std::to_string(budget.elements_left) +
                         " array elements");
      }
      budget.elements_left -= reply.elements;
      out.array.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) {
        if (reply.element[i] == nullptr)
          return MakeError("Redis reply refused: an empty array element");
        auto element = CopyReply(*reply.element[i], budget, depth + 1);
        if (!element)
          return Unexpected(std::move(element).error());
        out.array.push_back(std::move(*element));
      }
      return out;
    default:
      return MakeError("Redis reply refused: an unexpected type (" +
                       std::to_string(reply.type) + ")");
  }
}

}  // namespace

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  // Errors never quote the URL: it may hold a password.
  if (url.empty())
    return MakeError("Redis URL is empty");
  if (url.size() > kMaxUrlLength) {
    return MakeError("Redis URL is longer than " +
                     std::to_string(kMaxUrlLength) + " characters");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return MakeError("Redis URL contains a space or a control character");
  }
  RedisEndpoint endpoint;
  constexpr std::string_view kUnix = "unix://";
  constexpr std::string_view kRedis = "redis://";
  if (url.starts_with(kUnix)) {
    std::string_view path = url.substr(kUnix.size());
    if (path.empty() || path.front() != '/') {
      return MakeError(
          "Redis URL unix:// needs an absolute path, like "
          "unix:///run/redis/redis-server.sock");
    }
    if (path.find_first_of("?#") != std::string_view::npos)
      return MakeError("Redis URL unix:// takes a path only (no ? or #)");
    if (path.size() > kMaxUnixPathLength) {
      return MakeError("Redis socket path is longer than " +
                       std::to_string(kMaxUnixPathLength) + " bytes");
    }
    endpoint.unix_path = std::string(path);
    return endpoint;
  }
  if (url.starts_with("rediss://")) {
    return MakeError(
        "Redis URL rediss:// (TLS) is not supported: use redis:// over a "
        "trusted network, stunnel or WireGuard");
  }
  if (!url.starts_with(kRedis)) {
    return MakeError(
        "Redis URL must start with redis:// (redis://host:6379/0) or "
        "unix:// (unix:///path/to/redis.sock)");
  }
  std::string_view rest = url.substr(kRedis.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash);

  size_t at = authority.rfind('@');
  std::string_view host_port = authority;
  if (at != std::string_view::npos) {
    std::string_view user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
    size_t colon = user_info.find(':');
    if (colon == std::string_view::npos) {
      return MakeError(
          "Redis URL user info needs a password: redis://:password@host or "
          "redis://user:password@host");
    }
    auto user = PercentDecode(user_info.substr(0, colon));
    if (!user)
      return Unexpected(std::move(user).error());
    auto password = PercentDecode(user_info.substr(colon + 1));
    if (!password)
      return Unexpected(std::move(password).error());
    if (password->empty())
      return MakeError("Redis URL has an empty password");
    endpoint.user = std::move(*user);
    endpoint.password = std::move(*password);
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (host_port.starts_with('[')) {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos)
      return MakeError("Redis URL has a '[' without a ']' around its host");
    host = host_port.substr(1, close - 1);
    std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return MakeError("Redis URL has text after its ']'");
      port = after.substr(1);
      has_port = true;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return IsHexDigit(c) || c == ':' || c == '.';
        })) {
      return MakeError("Redis URL has a bad IPv6 address in its brackets");
    }
  } else {
    size_t colon = host_port.find(':');
    host = host_port.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = host_port.substr(colon + 1);
      has_port = true;
      if (port.find(':') != std::string_view::npos) {
        return MakeError(
            "Redis URL has more than one ':' in its host (an IPv6 address "
            "goes in brackets: redis://[::1]:6379)");
      }
    }
    if (host.empty())
      return MakeError("Redis URL has no host");
    if (!std::all_of(host.begin(), host.end(), IsHostChar))
      return MakeError("Redis URL has a character not allowed in a host name");
  }
  if (host.size() > kMaxHostLength) {
    return MakeError("Redis URL host is longer than " +
                     std::to_string(kMaxHostLength) + " characters");
  }
  if (has_port) {
    if (!AllDigits(port) || port.size() > 5 ||
        std::stoi(std::string(port)) < 1 ||
        std::stoi(std::string(port)) > 65535) {
      return MakeError("Redis URL port must be a number from 1 to 65535");
    }
    endpoint.port = static_cast<uint16_t>(std::stoi(std::string(port)));
  }
  endpoint.host = std::string(host);

  if (path.size() > 1) {
    std::string_view db = path.substr(1);
    if (!AllDigits(db) || db.size() > 9) {
      return MakeError(
          "Redis URL database (after the '/') must be a number from 0 to "
          "999999999");
    }
    endpoint.db = std::stoi(std::string(db));
  }
  return endpoint;
}

// One hiredis connection. hiredis may call it after the link has let go of
// it (while freeing the context), so it lives until hiredis no longer can:
// until its disconnect callback, its failed connect callback, or the end of
// a redisAsyncFree() we call outside hiredis's callbacks. `link` is set
// exactly while it is its side's current connection.
struct RedisLink::Connection {
  struct Pending {
    DoneCallback done;  // a caller's command; empty for the handshake
    uint64_t sent_at = 0;
    bool handshake = false;
    bool last_handshake = false;
  };

  RedisLink* link = nullptr;
  redisAsyncContext* context = nullptr;  // null once hiredis frees it
  Role role = Role::kCommands;
  uint64_t started_at = 0;
  size_t max_string_bytes = 0;
  size_t max_elements = 0;
  bool self_freeing = false;  // redisAsyncFree() called outside callbacks
  int depth = 0;              // inside our reply callbacks
  std::string fail_reason = "Redis connection lost";
  std::deque<Pending> pending;  // in the order Redis answers
  std::set<std::string> subscribed;

  // Refuses what came from the network and drops the connection.
  void Drop(const std::string& why) {
    if (link != nullptr) {
      link->Abandon(link->SideOf(role), why);
    } else if (context != nullptr) {
      redisAsyncContext* c = context;
      context = nullptr;
      redisAsyncFree(c);  // in a callback: hiredis frees it afterwards
    }
  }

  static void OnConnect(const redisAsyncContext* context, int status) {
    auto* self = static_cast<Connection*>(context->data);
    if (status == REDIS_OK) {
      if (self->link != nullptr)
        self->link->OnConnected(self);
      return;
    }
    // hiredis frees the context when this returns, without a disconnect
    // callback; nothing was sent yet, so no reply callback follows.
    std::string why =
        context->errstr[0] != '\0' ? context->errstr : "cannot connect";
    auto [link, role] = Forget(self);
    if (link != nullptr)
      link->OnConnectFailed(role, why);
  }

  static void OnDisconnect(const redisAsyncContext* context, int status) {
    auto* self = static_cast<Connection*>(context->data);
    self->context = nullptr;
    if (self->self_freeing)
      return;  // whoever called redisAsyncFree() deletes it
    std::string why = status == REDIS_OK || context->errstr[0] == '\0'
                          ? "closed"
                          : context->errstr;
    auto [link, role] = Forget(self);
    if (link != nullptr)
      link->OnLost(role, why);
  }

  // Deletes a connection hiredis is done with, after taking it from its
  // link's side: the link (if it still has one) and the side, to tell.
  static std::pair<RedisLink*, Role> Forget(Connection* self) {
    RedisLink* link = self->link;
    const Role role = self->role;
    if (link != nullptr)
      link->SideOf(role).connection = nullptr;
    delete self;
    return {link, role};
  }

  static void OnReply(redisAsyncContext* context, void* raw, void* data) {
    (void)context;
    auto* self = static_cast<Connection*>(data);
    if (self->pending.empty())
      return;  // failed already by Close()
    Pending pending = std::move(self->pending.front());
    self->pending.pop_front();
    ++self->depth;
    Result<RedisReply> result = MakeTemporaryError(self->fail_reason);
    if (raw != nullptr) {
      ReplyBudget budget{self->max_string_bytes, self->max_elements};
      auto copied = CopyReply(*static_cast<redisReply*>(raw), budget, 0);
      if (!copied) {
        result = Unexpected(std::move(copied).error());
        self->Drop(result.error().message);
      } else if (copied->type == RedisReply::Type::kError) {
        result = MakeError("Redis: " + copied->text);
      } else {
        result = std::move(*copied);
      }
    }
    if (pending.handshake) {
      if (self->link != nullptr) {
        self->link->OnHandshakeDone(self, std::move(result),
                                    pending.last_handshake);
      }
    } else if (pending.done) {
      pending.done(std::move(result));
    }
    --self->depth;
    if (self->link != nullptr)
      self->link->ArmWatchdog();
  }

  // Every reply on a subscribed channel: confirmations and messages.
  static void OnMessage(redisAsyncContext* context, void* raw, void* data) {
    (void)context;
    auto* self = static_cast<Connection*>(data);
    if (raw == nullptr || self->link == nullptr)
      return;
    const auto& reply = *static_cast<redisReply*>(raw);
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements < 3)
      return;
    const redisReply* kind = reply.element[0];
    const redisReply* channel = reply.element[1];
    const redisReply* payload = reply.element[2];
    if (kind == nullptr || channel == nullptr || payload == nullptr ||
        kind->type != REDIS_REPLY_STRING ||
        channel->type != REDIS_REPLY_STRING) {
      return;
    }
    std::string_view what(kind->str, kind->len);
    std::string name(channel->str, std::min(channel->len, size_t{1024}));
    ++self->depth;
    if (what == "subscribe") {
      self->subscribed.insert(name);
    } else if (what == "message" && payload->type == REDIS_REPLY_STRING) {
      if (payload->len > self->max_string_bytes) {
        self->Drop("Redis message refused: larger than " +
                   std::to_string(self->max_string_bytes) + " bytes");
      } else {
        self->link->Deliver(name, std::string(payload->str, payload->len));
      }
    }
    --self->depth;
  }
};

// A name lookup (uv_getaddrinfo) in flight; let go of by Close().
struct RedisLink::Resolve {
  uv_getaddrinfo_t request;
  RedisLink* link = nullptr;
  Role role = Role::kCommands;
};

Result<std::unique_ptr<RedisLink>> RedisLink::Create(uv_loop_s* loop,
                                                     Options options) {
  auto endpoint = ParseRedisUrl(options.url);
  if (!endpoint)
    return Unexpected(std::move(endpoint).error());
  if (options.command_timeout.count() <= 0 ||
      options.connect_timeout.count() <= 0 ||
      options.reconnect_min.count() <= 0 ||
      options.reconnect_max < options.reconnect_min) {
    return MakeError("Redis link: timeouts must be positive");
  }
  if (!options.password.empty())
    endpoint->password = std::exchange(options.password, {});
  return std::unique_ptr<RedisLink>(
      new RedisLink(loop, std::move(options), std::move(*endpoint)));
}

RedisLink::RedisLink(uv_loop_s* loop, Options options, RedisEndpoint endpoint)
    : loop_(loop),
      options_(std::move(options)),
      endpoint_(std::move(endpoint)) {
  options_.url.clear();  // it may hold the password; endpoint_ has it all
  watchdog_ = NewHeapTimer(loop_, this);
  commands_.reconnect_timer = NewHeapTimer(loop_, this);
  subscriber_.reconnect_timer = NewHeapTimer(loop_, this);
}

RedisLink::~RedisLink() {
  Close();
}

uint64_t RedisLink::Now() const {
  return uv_now(loop_);
}

void RedisLink::Start(ReadyCallback on_ready, StateCallback on_state) {
  if (closed_ || started_)
    return;
  started_ = true;
  on_ready_ = std::move(on_ready);
  on_state_ = std::move(on_state);
  Connect(commands_);
  if (!subscriptions_.empty())
    Connect(subscriber_);
}

bool RedisLink::connected() const {
  return !closed_ && commands_.ready && commands_.connection != nullptr;
}

bool RedisLink::subscribed() const {
  if (closed_ || !subscriber_.ready || subscriber_.connection == nullptr)
    return false;
  for (const auto& [channel, callback] : subscriptions_) {
    if (!subscriber_.connection->subscribed.contains(channel))
      return false;
  }
  return true;
}

void RedisLink::Connect(Side& side) {
  if (closed_ || side.connection != nullptr || side.resolve != nullptr)
    return;
  if (endpoint_.is_unix()) {
    ConnectTo(side, {});
    return;
  }
  // hiredis would resolve the name with a blocking getaddrinfo() on the
  // loop: resolve it on libuv's thread pool, and give hiredis an address.
  auto* resolve = new Resolve;
  resolve->link = this;
  resolve->role = side.role;
  resolve->request.data = resolve;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(
      loop_, &resolve->request,
      [](uv_getaddrinfo_t* request, int status, addrinfo* result) {
        std::unique_ptr<Resolve> owned(static_cast<Resolve*>(request->data));
        Result<std::string> ip = MakeTemporaryError(
            std::string("cannot resolve the host: ") +
            (status != 0 ? uv_strerror(status) : "no IPv4 or IPv6 address"));
        if (status == 0) {
          for (addrinfo* a = result; a != nullptr; a = a->ai_next) {
            char name[INET6_ADDRSTRLEN] = {};
            if (a->ai_family == AF_INET &&
                uv_ip4_name(reinterpret_cast<sockaddr_in*>(a->ai_addr), name,
                            sizeof(name)) == 0) {
              ip = std::string(name);
              break;
            }
            if (a->ai_family == AF_INET6 &&
                uv_ip6_name(reinterpret_cast<sockaddr_in6*>(a->ai_addr), name,
                            sizeof(name)) == 0) {
              ip = std::string(name);
              break;
            }
          }
        }
        uv_freeaddrinfo(result);
        if (owned->link == nullptr)
          return;  // closed meanwhile
        Side& resolved = owned->link->SideOf(owned->role);
        resolved.resolve = nullptr;
        owned->link->OnResolved(resolved, std::move(ip));
      },
      endpoint_.host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete resolve;
    OnConnectFailed(side.role,
                    std::string("cannot resolve the host: ") + uv_strerror(rc));
    return;
  }
  side.resolve = resolve;
}

void RedisLink::OnResolved(Side& side, Result<std::string> ip) {
  if (!ip) {
    OnConnectFailed(side.role, ip.error().message);
    return;
  }
  ConnectTo(side, *ip);
}

void RedisLink::ConnectTo(Side& side, const std::string& ip) {
  if (closed_ || side.connection != nullptr)
    return;
  redisAsyncContext* context =
      endpoint_.is_unix() ? redisAsyncConnectUnix(endpoint_.unix_path.c_str())
                          : redisAsyncConnect(ip.c_str(), endpoint_.port);
  if (context == nullptr) {
    OnConnectFailed(side.role, "out of memory");
    return;
  }
  if (context->err != 0) {
    std::string why = context->errstr;
    redisAsyncFree(context);  // no callbacks set: none runs
    OnConnectFailed(side.role, why);
    return;
  }
  auto* connection = new Connection;
  connection->link = this;
  connection->context = context;
  connection->role = side.role;
  connection->started_at = Now();
  connection->max_string_bytes = options_.max_string_bytes;
  connection->max_elements = options_.max_elements;
  context->data = connection;
  // hiredis 0.14's libuv adapter ignores a poll error (libuv reports a
  // refused connect or a reset as UV_EBADF), so such a connection only ends
  // through the watchdog: `connect_timeout`, or `command_timeout` once a
  // command waits. 1.x's adapter handles them.
  if (redisLibuvAttach(context, loop_) != REDIS_OK) {
    // The adapter's cleanup hook would dereference its missing state.
    context->ev.cleanup = nullptr;
    redisAsyncFree(context);
    delete connection;
    OnConnectFailed(side.role, "cannot watch the socket");
    return;
  }
  // After attaching: hiredis 0.14 starts waiting for the connect here.
  redisAsyncSetConnectCallback(context, &Connection::OnConnect);
  redisAsyncSetDisconnectCallback(context, &Connection::OnDisconnect);
  side.connection = connection;
  ArmWatchdog();
}

void RedisLink::OnConnected(Connection* connection) {
  // Runs inside hiredis's connect callback: nothing here may free the
  // context or call the owner (the watchdog ends a hung handshake).
  std::vector<std::vector<std::string>> steps;
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty())
      steps.push_back({"AUTH", endpoint_.password});
    else
      steps.push_back({"AUTH", endpoint_.user, endpoint_.password});
  }
  if (endpoint_.db != 0)
    steps.push_back({"SELECT", std::to_string(endpoint_.db)});
  if (steps.empty())
    steps.push_back({"PING"});
  for (size_t i = 0; i < steps.size(); ++i) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& arg : steps[i]) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    connection->pending.push_back({{},
                                   Now(),
                                   /*handshake=*/true,
                                   /*last_handshake=*/i + 1 == steps.size()});
    if (redisAsyncCommandArgv(connection->context, &Connection::OnReply,
                              connection, static_cast<int>(argv.size()),
                              argv.data(), lengths.data()) != REDIS_OK) {
      connection->pending.pop_back();
      break;
    }
  }
  ArmWatchdog();
}

void RedisLink::OnHandshakeDone(Connection* connection,
                                Result<Reply> reply,
                                bool last) {
  Side& side = SideOf(connection->role);
  bool commands = side.role == Role::kCommands;
  if (!reply) {
    // A lost connection reports itself through the disconnect callback.
    if (!reply.error().temporary())
      Abandon(side, "handshake refused: " + reply.error().message);
    return;
  }
  if (!last)
    return;
  side.ready = true;
  side.backoff = std::chrono::milliseconds(0);
  side.failing = false;
  if (endpoint_.is_unix()) {
    log::Info("Redis {} connection ready ({})", RoleName(commands),
              endpoint_.unix_path);
  } else {
    log::Info("Redis {} connection ready ({}:{})", RoleName(commands),
              endpoint_.host, endpoint_.port);
  }
  ArmWatchdog();
  if (!commands) {
    for (const auto& [channel, callback] : subscriptions_)
      SendSubscribe(channel);
    return;
  }
  std::weak_ptr<int> alive = alive_;
  if (on_state_) {
    StateCallback on_state = on_state_;
    on_state(true);
    if (alive.expired() || closed_)
      return;
  }
  if (on_ready_) {
    ReadyCallback on_ready = on_ready_;
    on_ready();
  }
}

void RedisLink::OnConnectFailed(Role role, const std::string& why) {
  Side& side = SideOf(role);
  if (!side.failing) {
    log::Warn("Redis {} connection failed: {}; retrying",
              RoleName(role == Role::kCommands), why);
    side.failing = true;
  } else {
    log::Debug("Redis {} connection failed again: {}",
               RoleName(role == Role::kCommands), why);
  }
  ScheduleReconnect(side);
  ArmWatchdog();
}

void RedisLink::OnLost(Role role, const std::string& why) {
  Side& side = SideOf(role);
  bool was_ready = side.ready;
  side.ready = false;
  if (was_ready) {
    log::Warn("Redis {} connection lost: {}", RoleName(role == Role::kCommands),
              why);
    side.failing = true;
  } else if (!side.failing) {
    log::Warn("Redis {} connection failed: {}; retrying",
              RoleName(role == Role::kCommands), why);
    side.failing = true;
  }
  ScheduleReconnect(side);
  ArmWatchdog();
  if (was_ready && role == Role::kCommands)
    LostCommands();
}

void RedisLink::LostCommands() {
  // The subscriber connection sends nothing, so it would not notice a dead
  // server or network by itself: when the command connection is lost, it
  // starts again too.
  if (subscriber_.connection != nullptr)
    Abandon(subscriber_, "the command connection was lost");
  if (on_state_) {
    StateCallback on_state = on_state_;
    on_state(false);  // last: it may destroy this object
  }
}

void RedisLink::Abandon(Side& side, const std::string& why) {
  Connection* connection = side.connection;
  if (connection == nullptr)
    return;
  side.connection = nullptr;
  bool was_ready = side.ready;
  side.ready = false;
  connection->link = nullptr;
  connection->fail_reason = "Redis connection dropped: " + why;
  redisAsyncContext* context = connection->context;
  connection->context = nullptr;
  bool commands = side.role == Role::kCommands;
  if (was_ready || !side.failing) {
    log::Warn("Redis {} connection {}: {}", RoleName(commands),
              was_ready ? "lost" : "failed", why);
    side.failing = true;
  }
  ScheduleReconnect(side);
  ArmWatchdog();
  std::weak_ptr<int> alive = alive_;
  if (context != nullptr) {
    if (connection->depth == 0) {
      // Frees it now, failing every pending command (the owner's callbacks
      // run inside).
      connection->self_freeing = true;
      redisAsyncFree(context);
      delete connection;
    } else {
      // Inside one of its reply callbacks: hiredis frees it when that
      // returns, and its disconnect callback deletes `connection`.
      redisAsyncFree(context);
    }
  }
  if (alive.expired() || closed_)
    return;
  if (was_ready && commands)
    LostCommands();
}

void RedisLink::ScheduleReconnect(Side& side) {
  if (closed_ || side.reconnect_timer == nullptr)
    return;
  if (side.role == Role::kSubscriber && subscriptions_.empty())
    return;
  side.backoff = side.backoff.count() == 0
                     ? options_.reconnect_min
                     : std::min(side.backoff * 2, options_.reconnect_max);
  uv_timer_start(
      side.reconnect_timer,
      [](uv_timer_t* timer) {
        auto* link = static_cast<RedisLink*>(timer->data);
        link->Connect(timer == link->commands_.reconnect_timer
                          ? link->commands_
                          : link->subscriber_);
      },
      static_cast<uint64_t>(side.backoff.count()), 0);
}

void RedisLink::Command(std::vector<std::string> argv, DoneCallback done) {
  if (argv.empty()) {
    done(MakeError("Redis command is empty"));
    return;
  }
  std::string name = argv[0];
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  if (name == "SUBSCRIBE" || name == "PSUBSCRIBE" || name == "SSUBSCRIBE" ||
      name == "UNSUBSCRIBE" || name == "PUNSUBSCRIBE" ||
      name == "SUNSUBSCRIBE" || name == "MONITOR" || name == "RESET") {
    done(MakeError("Redis " + name +
                   " cannot go over the command connection: use Subscribe()"));
    return;
  }
  Connection* connection = commands_.connection;
  if (closed_ || !commands_.ready || connection == nullptr ||
      connection->context == nullptr) {
    done(MakeTemporaryError(kUnavailable));
    return;
  }
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const auto& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  connection->pending.push_back({std::move(done), Now()});
  if (redisAsyncCommandArgv(connection->context, &Connection::OnReply,
                            connection, static_cast<int>(args.size()),
                            args.data(), lengths.data()) != REDIS_OK) {
    DoneCallback failed = std::move(connection->pending.back().done);
    connection->pending.pop_back();
    failed(MakeTemporaryError(kUnavailable));
    return;
  }
  if (connection->pending.size() == 1)
    ArmWatchdog();
}

void RedisLink::Publish(std::string channel,
                        std::string payload,
                        DoneCallback done) {
  Command({"PUBLISH", std::move(channel), std::move(payload)}, std::move(done));
}

void RedisLink::Subscribe(std::string channel, MessageCallback on_message) {
  if (closed_)
    return;
  bool is_new = !subscriptions_.contains(channel);
  subscriptions_[channel] = std::move(on_message);
  if (!started_)
    return;  // Start() connects
  if (subscriber_.connection == nullptr && subscriber_.resolve == nullptr &&
      !uv_is_active(
          reinterpret_cast<uv_handle_t*>(subscriber_.reconnect_timer))) {
    Connect(subscriber_);
  } else if (is_new && subscriber_.ready) {
    SendSubscribe(channel);
  }
}

void RedisLink::SendSubscribe(const std::string& channel) {
  Connection* connection = subscriber_.connection;
  if (connection == nullptr || connection->context == nullptr)
    return;
  const char* argv[] = {"SUBSCRIBE", channel.data()};
  size_t lengths[] = {9, channel.size()};
  if (redisAsyncCommandArgv(connection->context, &Connection::OnMessage,
                            connection, 2, argv, lengths) != REDIS_OK) {
    Abandon(subscriber_, "cannot send SUBSCRIBE");
  }
}

void RedisLink::Deliver(const std::string& channel, std::string payload) {
  auto it = subscriptions_.find(channel);
  if (it == subscriptions_.end() || !it->second)
    return;
  MessageCallback on_message = it->second;  // it may replace itself
  on_message(std::move(payload));
}

void RedisLink::ArmWatchdog() {
  if (closed_ || watchdog_ == nullptr)
    return;
  std::optional<uint64_t> earliest;
  auto consider = [&earliest](uint64_t deadline) {
    if (!earliest || deadline < *earliest)
      earliest = deadline;
  };
  for (Side* side : {&commands_, &subscriber_}) {
    Connection* connection = side->connection;
    if (connection == nullptr)
      continue;
    if (!side->ready) {
      consider(connection->started_at +
               static_cast<uint64_t>(options_.connect_timeout.count()));
    }
    if (!connection->pending.empty()) {
      consider(connection->pending.front().sent_at +
               static_cast<uint64_t>(options_.command_timeout.count()));
    }
  }
  if (!earliest) {
    uv_timer_stop(watchdog_);
    return;
  }
  uint64_t now = Now();
  uv_timer_start(
      watchdog_,
      [](uv_timer_t* timer) {
        static_cast<RedisLink*>(timer->data)->OnWatchdog();
      },
      *earliest > now ? *earliest - now : 0, 0);
}

void RedisLink::OnWatchdog() {
  uint64_t now = Now();
  std::weak_ptr<int> alive = alive_;
  for (Side* side : {&commands_, &subscriber_}) {
    Connection* connection = side->connection;
    if (connection == nullptr)
      continue;
    if (!connection->pending.empty() &&
        now >= connection->pending.front().sent_at +
                   static_cast<uint64_t>(options_.command_timeout.count())) {
      Abandon(*side, "no reply within " +
                         std::to_string(options_.command_timeout.count()) +
                         " ms");
    } else if (!side->ready &&
               now >= connection->started_at +
                          static_cast<uint64_t>(
                              options_.connect_timeout.count())) {
      Abandon(*side, "not ready within " +
                         std::to_string(options_.connect_timeout.count()) +
                         " ms");
    }
    if (alive.expired() || closed_)
      return;
  }
  ArmWatchdog();
}

void RedisLink::Close() {
  if (closed_)
    return;
  closed_ = true;
  bool was_ready = commands_.ready;
  CloseHeapTimer(watchdog_);
  std::vector<DoneCallback> to_fail;
  for (Side* side : {&commands_, &subscriber_}) {
    CloseHeapTimer(side->reconnect_timer);
    if (side->resolve != nullptr) {
      side->resolve->link = nullptr;  // its callback frees it
      uv_cancel(reinterpret_cast<uv_req_t*>(&side->resolve->request));
      side->resolve = nullptr;
    }
    side->ready = false;
    Connection* connection = side->connection;
    if (connection == nullptr)
      continue;
    side->connection = nullptr;
    connection->link = nullptr;
    for (auto& pending : connection->pending) {
      if (pending.done)
        to_fail.push_back(std::move(pending.done));
    }
    connection->pending.clear();
    redisAsyncContext* context = connection->context;
    connection->context = nullptr;
    if (context == nullptr)
      continue;  // hiredis is freeing it; its disconnect callback deletes it
    if (connection->depth == 0) {
      connection->self_freeing = true;
      redisAsyncFree(context);
      delete connection;
    } else {
      redisAsyncFree(context);  // after the callback we are in returns
    }
  }
  if (was_ready)
    log::Info("Redis link closed");
  // Last: these may destroy this object.
  for (auto& done : to_fail)
    done(MakeTemporaryError("Redis link closed"));
}

}  // namespace tether::relay
