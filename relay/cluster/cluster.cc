#include "relay/cluster/cluster.h"

#include <uv.h>

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "base/utf8.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "relay/cluster/heap_timer.h"
#include "relay/config/secret_file.h"
#include "relay/limits/source_key.h"

namespace tether::relay {
namespace {

using std::chrono::milliseconds;

constexpr char kCodePrefix[] = "tether:code:";
constexpr char kRelaysKey[] = "tether:relays";
constexpr char kSessionsPrefix[] = "tether:sessions:";
constexpr char kEventsChannel[] = "tether:events";
constexpr uint64_t kHeartbeatMs = 2000;
constexpr int64_t kAliveWithinMs = 15000;
constexpr size_t kMinKeyBytes = 32;
constexpr size_t kMaxKeyBytes = 4096;
constexpr size_t kMaxRedisPasswordBytes = 1024;
constexpr size_t kMaxDetailBytes = 512;

// Deletes a code's key only while it still names this relay: one that
// expired may have been taken by another relay since.
constexpr char kWithdrawScript[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";

// Event payloads: "<kind> <relay id> <argument>".
constexpr std::string_view kJoinFailure = "join-failure";
constexpr std::string_view kUnknownName = "unknown-name";
constexpr std::string_view kAccountsChanged = "accounts-changed";
// "end-session <relay id> <target relay id> <session id> <actor> <detail>".
constexpr std::string_view kEndSession = "end-session";

std::vector<std::string> Words(std::string_view text, size_t max_words) {
  std::vector<std::string> words;
  while (!text.empty() && words.size() < max_words) {
    const size_t space = text.find(' ');
    if (words.size() + 1 == max_words || space == std::string_view::npos) {
      words.emplace_back(text);
      break;
    }
    words.emplace_back(text.substr(0, space));
    text.remove_prefix(space + 1);
  }
  return words;
}

// What other relays publish is checked like any input: a Redis writer must
// not get text into logs and audit rows, or fill a table, with it.
bool IsSourceKeyText(const std::string& text) {
  const size_t slash = text.rfind('/');
  if (slash == std::string::npos)
    return false;
  auto canonical = SourceKey(std::string_view(text).substr(0, slash));
  return canonical && *canonical == text;
}

bool IsHexKey(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// "web:<user>", as the web console names its actors.
bool IsWebActor(const std::string& text) {
  return text.starts_with("web:") && text.size() > 4 && text.size() <= 68 &&
         std::all_of(text.begin() + 4, text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
                  c == '@';
         });
}

int64_t WallMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<Cluster>> Cluster::Create(uv_loop_s* loop, Parts parts) {
  const ClusterConfig& config = *parts.config;
  TETHER_TRY(key, ReadSecretFile({config.secret_file, "the cluster key file",
                                  kMinKeyBytes, kMaxKeyBytes,
                                  /*text=*/false}));
  std::string redis_password;
  if (!config.redis_password_file.empty()) {
    TETHER_TRY(password, ReadSecretFile({config.redis_password_file,
                                         "the Redis password file", 1,
                                         kMaxRedisPasswordBytes,
                                         /*text=*/true}));
    redis_password = std::move(*password);
  }

  auto cluster = std::unique_ptr<Cluster>(new Cluster(loop, std::move(parts)));
  cluster->tag_key_ = Bytes(key->begin(), key->end());

  RedisLink::Options redis_options;
  redis_options.url = config.redis;
  redis_options.password = std::move(redis_password);
  redis_options.command_timeout = cluster->parts_.redis_timeout;
  redis_options.connect_timeout = cluster->parts_.redis_timeout;
  TETHER_TRY(redis, RedisLink::Create(loop, std::move(redis_options)));
  cluster->redis_ = std::move(*redis);

  crypto::TlsServerOptions server;
  server.certificate_pem = cluster->parts_.certificate_pem;
  server.private_key_pem = cluster->parts_.private_key_pem;
  server.alpn = {std::string(kAlpnCluster)};
  server.client_pins = cluster->trusted_;
  TETHER_TRY(server_tls, crypto::TlsConfig::CreateServer(
                             server, crypto::RandomGenerator::Default()));
  cluster->server_tls_ = *server_tls;
  return cluster;
}

Cluster::Cluster(uv_loop_s* loop, Parts parts)
    : loop_(loop), config_(*parts.config), parts_(std::move(parts)) {
  parts_.config = &config_;
  const std::string address = config_.advertise.host.empty()
                                  ? parts_.listening_address
                                  : config_.advertise.ToString();
  advertised_ = config_.relay_id + " " + address + " " + parts_.fingerprint;
  trusted_ = config_.peer_fingerprints;
  if (std::find(trusted_.begin(), trusted_.end(), parts_.fingerprint) ==
      trusted_.end()) {
    trusted_.push_back(parts_.fingerprint);
  }
  heartbeat_ = NewHeapTimer(loop_, this);
}

Cluster::~Cluster() {
  Close();
}

void Cluster::Start(Events events) {
  events_ = std::move(events);
  redis_->Subscribe(kEventsChannel,
                    [this](std::string payload) { OnEvent(payload); });
  redis_->Start([this] {
    log::Info("cluster: Redis is reachable; publishing this relay's codes");
    Heartbeat();
    Republish();
  });
  uv_timer_start(
      heartbeat_,
      [](uv_timer_t* timer) {
        static_cast<Cluster*>(timer->data)->Heartbeat();
      },
      kHeartbeatMs, kHeartbeatMs);
}

void Cluster::CloseAfterPending() {
  if (!redis_up()) {
    Close();
    return;
  }
  // Replies come in order: once PING's is in, what was sent before it (the
  // codes withdrawn at shutdown) was done. Bounded by the command timeout.
  redis_->Command({"PING"}, [this](Result<RedisReply>) { Close(); });
}

void Cluster::Close() {
  CloseHeapTimer(heartbeat_);
  if (redis_)
    redis_->Close();
}

void Cluster::Heartbeat() {
  if (!redis_up())
    return;
  const int64_t now = WallMs();
  redis_->Command({"ZADD", kRelaysKey, std::to_string(now), config_.relay_id},
                  [](Result<RedisReply>) {});
  redis_->Command({"ZREMRANGEBYSCORE", kRelaysKey, "-inf",
                   "(" + std::to_string(now - kAliveWithinMs)},
                  [](Result<RedisReply>) {});
  redis_->Command({"ZCARD", kRelaysKey}, [this](Result<RedisReply> reply) {
    if (reply && reply->type == RedisReply::Type::kInteger)
      relays_alive_ = static_cast<size_t>(std::max(0LL, reply->integer));
  });
  if (events_.sessions_json) {
    redis_->Command(
        {"SET", kSessionsPrefix + config_.relay_id, events_.sessions_json(),
         "PX", std::to_string(kAliveWithinMs)},
        [](Result<RedisReply>) {});
  }
}

void Cluster::ShareAccountsChanged() {
  PublishEvent(kAccountsChanged, "");
}

void Cluster::FetchSessions(std::function<void(Result<RelaySessions>)> done) {
  redis_->Command(
      {"ZRANGE", kRelaysKey, "0", "-1"},
      [this, done = std::move(done)](Result<RedisReply> relays) mutable {
        if (!relays) {
          done(Unexpected(relays.error()));
          return;
        }
        std::vector<std::string> ids;
        std::vector<std::string> argv = {"MGET"};
        for (const RedisReply& id : relays->array) {
          if (id.type != RedisReply::Type::kString || !IsRelayId(id.text))
            continue;
          ids.push_back(id.text);
          argv.push_back(kSessionsPrefix + id.text);
        }
        if (ids.empty()) {
          done(RelaySessions());
          return;
        }
        redis_->Command(std::move(argv), [ids = std::move(ids),
                                          done = std::move(done)](
                                             Result<RedisReply> lists) {
          if (!lists) {
            done(Unexpected(lists.error()));
            return;
          }
          RelaySessions all;
          for (size_t i = 0; i < ids.size() && i < lists->array.size(); ++i) {
            if (lists->array[i].type == RedisReply::Type::kString)
              all.emplace_back(ids[i], lists->array[i].text);
          }
          done(std::move(all));
        });
      });
}

void Cluster::EndSessionElsewhere(const std::string& relay_id,
                                  uint64_t id,
                                  const std::string& actor,
                                  const std::string& detail) {
  PublishEvent(kEndSession, relay_id + " " + std::to_string(id) + " " + actor +
                                " " + detail);
}

void Cluster::Republish() {
  if (!events_.waiting_codes)
    return;
  for (const auto& [tag, left] : events_.waiting_codes()) {
    PublishCode(tag, left, [tag](Result<bool> published) {
      if (published && !*published) {
        log::Warn(
            "cluster: code:{} is held by another relay too; only "
            "customers who reach this relay can use it",
            tag);
      }
    });
  }
}

void Cluster::PublishCode(const std::string& tag,
                          milliseconds ttl,
                          std::function<void(Result<bool>)> done) {
  redis_->Command({"SET", kCodePrefix + tag, advertised_, "PX",
                   std::to_string(std::max<int64_t>(ttl.count(), 1)), "NX"},
                  [done = std::move(done)](Result<RedisReply> reply) {
                    if (!reply) {
                      done(Unexpected(reply.error()));
                      return;
                    }
                    done(!reply->is_nil());
                  });
}

void Cluster::WithdrawCode(const std::string& tag) {
  if (!redis_up())
    return;  // it expires by itself
  redis_->Command(
      {"EVAL", kWithdrawScript, "1", kCodePrefix + tag, advertised_},
      [](Result<RedisReply>) {});
}

void Cluster::FindCode(
    const std::string& tag,
    std::function<void(Result<std::optional<Holder>>)> done) {
  redis_->Command({"GET", kCodePrefix + tag}, [this, done = std::move(done)](
                                                  Result<RedisReply> reply) {
    if (!reply) {
      done(Unexpected(reply.error()));
      return;
    }
    if (reply->is_nil()) {
      done(std::optional<Holder>());
      return;
    }
    const std::vector<std::string> words = Words(reply->text, 3);
    if (reply->type != RedisReply::Type::kString || words.size() != 3 ||
        !IsRelayId(words[0])) {
      done(MakeError("Redis holds a code entry this relay cannot read"));
      return;
    }
    if (std::find(trusted_.begin(), trusted_.end(), words[2]) ==
        trusted_.end()) {
      done(MakeError("relay " + words[0] + "'s key " + words[2] +
                     " is not in cluster.peer_fingerprints"));
      return;
    }
    done(std::optional<Holder>(Holder{words[0], words[1], words[2]}));
  });
}

void Cluster::ShareJoinFailure(const std::string& source_key) {
  PublishEvent(kJoinFailure, source_key);
}

void Cluster::ShareUnknownName(const std::string& key) {
  PublishEvent(kUnknownName, key);
}

void Cluster::PublishEvent(std::string_view kind, const std::string& rest) {
  if (!redis_up())
    return;  // fire and forget: nobody waits for Redis
  std::string payload = std::string(kind) + " " + config_.relay_id;
  if (!rest.empty())
    payload += " " + rest;
  redis_->Publish(kEventsChannel, std::move(payload),
                  [](Result<RedisReply>) {});
}

void Cluster::OnEvent(const std::string& payload) {
  const std::vector<std::string> words = Words(payload, 3);
  if (words.size() < 2 || words[1] == config_.relay_id || !IsRelayId(words[1]))
    return;  // our own, or not ours to read
  if (words[0] == kEndSession) {
    const std::vector<std::string> end = Words(payload, 6);
    uint64_t id = 0;
    if (end.size() < 5 || end[2] != config_.relay_id || !IsWebActor(end[4]) ||
        !events_.on_end_session) {
      return;
    }
    const auto [last, error] =
        std::from_chars(end[3].data(), end[3].data() + end[3].size(), id);
    if (error != std::errc() || last != end[3].data() + end[3].size())
      return;
    events_.on_end_session(
        id, end[4],
        ToValidUtf8(CutUtf8(end.size() > 5 ? end[5] : "", kMaxDetailBytes)));
    return;
  }
  if (words[0] == kJoinFailure && words.size() == 3 &&
      IsSourceKeyText(words[2]) && events_.on_join_failure) {
    events_.on_join_failure(words[2]);
  } else if (words[0] == kAccountsChanged && events_.on_accounts_changed) {
    events_.on_accounts_changed();
  } else if (words[0] == kUnknownName && words.size() == 3 &&
             IsHexKey(words[2]) && events_.on_unknown_name) {
    events_.on_unknown_name(words[2]);
  }
}

Result<ForwardLink*> Cluster::Forward(const Holder& holder,
                                      const ForwardLink::Options& options,
                                      ForwardLink::Callbacks callbacks,
                                      Bytes hello) {
  TETHER_TRY(tls, ClientTls(holder));
  return ForwardLink::Open(loop_, holder.address, *tls, options,
                           std::move(callbacks), std::move(hello));
}

Result<std::shared_ptr<const crypto::TlsConfig>> Cluster::ClientTls(
    const Holder& holder) {
  if (auto it = client_tls_.find(holder.fingerprint); it != client_tls_.end())
    return it->second;
  crypto::TlsClientOptions options;
  options.pinned_fingerprint = holder.fingerprint;
  options.alpn = {std::string(kAlpnCluster)};
  options.certificate_pem = parts_.certificate_pem;
  options.private_key_pem = parts_.private_key_pem;
  TETHER_TRY(tls, crypto::TlsConfig::CreateClient(
                      options, crypto::RandomGenerator::Default()));
  client_tls_[holder.fingerprint] = *tls;
  return *tls;
}

}  // namespace tether::relay
