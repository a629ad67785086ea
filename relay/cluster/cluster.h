#pragma once

// This relay as one of several ([cluster] in relay.toml; docs/relay.md,
// "Several relays"). What the relays share lives in Redis, as an index each
// relay rebuilds after Redis comes back (it may restart empty):
//
//   tether:code:<tag>   "<relay id> <cluster address> <key fingerprint>",
//                       with the code's remaining life as its TTL. A code
//                       is known only by its tag, an HMAC under the key all
//                       relays share (cluster.secret_file), never in clear.
//   tether:relays       a sorted set: each relay and when it last said it
//                       was alive (every 2 s; gone after 15 s).
//   tether:sessions:<relay id>
//                       that relay's live sessions as its web console lists
//                       them (JSON), so any relay's console lists them all.
//   tether:events       a channel: wrong session codes tried anywhere, and
//                       failed sign-ins of names with no account (by their
//                       HMAC), so that every relay counts them and guessing
//                       spread over relays meets one cap; and IT ending a
//                       session from another relay's console.
//
// A customer whose code another relay holds is handed over to it
// (forward_link.h) over mutual TLS 1.3: the cluster listener accepts only
// relays whose key is pinned (this relay's own, and peer_fingerprints).
//
// Nothing waits for Redis: while it is down, calls fail at once and running
// sessions never notice. Loop thread only.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "relay/cluster/forward_link.h"
#include "relay/cluster/redis_link.h"
#include "relay/config/relay_config.h"

struct uv_loop_s;
struct uv_timer_s;

namespace tether::crypto {
class TlsConfig;
}

namespace tether::relay {

// What relays offer each other in the TLS handshake (ALPN).
inline constexpr std::string_view kAlpnCluster = "tether-cluster/1";

class Cluster {
 public:
  // The relay that holds a code.
  struct Holder {
    std::string relay_id;
    std::string address;      // its cluster listener, "ip:port"
    std::string fingerprint;  // its certificate's key
  };

  struct Parts {
    const ClusterConfig* config = nullptr;
    // This relay's certificate and key: presented to the other relays.
    std::string certificate_pem;
    std::string private_key_pem;
    std::string fingerprint;
    // The cluster listener's address as bound (for advertise = "").
    std::string listening_address;
    std::chrono::milliseconds redis_timeout{1000};
  };

  // Reads the cluster's key and the Redis password, makes the TLS configs.
  // Fails on anything IT must fix (files, keys, the URL).
  static Result<std::unique_ptr<Cluster>> Create(uv_loop_s* loop, Parts parts);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  struct Events {
    // The waiting codes of this relay and how long each has left: put into
    // Redis again whenever it (re)connects.
    std::function<
        std::vector<std::pair<std::string, std::chrono::milliseconds>>()>
        waiting_codes;
    // A wrong session code was tried at another relay from `source_key`.
    std::function<void(const std::string& source_key)> on_join_failure;
    // A sign-in failed at another relay for a name with no account (its
    // HMAC: LoginOutcome::unknown_name_key).
    std::function<void(const std::string& key)> on_unknown_name;
    // An account was changed through another relay's web console.
    std::function<void()> on_accounts_changed;
    // This relay's live sessions, as JSON (web::LiveSessionsJson), for the
    // other relays' consoles; asked for every 2 s.
    std::function<std::string()> sessions_json;
    // IT ended this relay's session `id` from another relay's console.
    std::function<
        void(uint64_t id, const std::string& actor, const std::string& detail)>
        on_end_session;
  };
  // Connects to Redis and starts saying this relay is alive.
  void Start(Events events);
  // Stops the timers and Redis (pending callbacks fail). Idempotent.
  void Close();
  // The same once Redis has done what was sent so far (at most the command
  // timeout): a relay stopping withdraws its codes first.
  void CloseAfterPending();

  // Publishes a code this relay issued. `done(true)`: published; (false):
  // another relay holds a code with the same tag (issue another); an error:
  // Redis is unavailable.
  void PublishCode(const std::string& tag,
                   std::chrono::milliseconds ttl,
                   std::function<void(Result<bool>)> done);
  // Forgets a code this relay held (paired, cancelled, expired).
  void WithdrawCode(const std::string& tag);
  // Which relay holds the code tagged `tag`; nullopt: none. An error: Redis
  // is unavailable, or the holder's key is not one this relay trusts.
  void FindCode(const std::string& tag,
                std::function<void(Result<std::optional<Holder>>)> done);

  // Tells the other relays (fire and forget).
  void ShareJoinFailure(const std::string& source_key);
  void ShareUnknownName(const std::string& key);
  // An account was changed here (disabled, new role or password): the
  // other relays check their sign-ins now, not at their next turn.
  void ShareAccountsChanged();

  // The live sessions of every relay alive, (relay id, JSON) as each last
  // published them, this relay's included. An error: Redis is unavailable.
  using RelaySessions = std::vector<std::pair<std::string, std::string>>;
  void FetchSessions(std::function<void(Result<RelaySessions>)> done);
  // Asks `relay_id` to end its session `id`, as `actor` (IT's action in
  // this relay's console; the other relay writes the audit row).
  void EndSessionElsewhere(const std::string& relay_id,
                           uint64_t id,
                           const std::string& actor,
                           const std::string& detail);

  // Hands a customer over to `holder`: dials its cluster listener, which
  // gets `hello` (a serialized ClusterHello) first.
  Result<ForwardLink*> Forward(const Holder& holder,
                               const ForwardLink::Options& options,
                               ForwardLink::Callbacks callbacks,
                               Bytes hello);
  // TLS for the cluster listener: pinned relays only.
  std::shared_ptr<const crypto::TlsConfig> server_tls() const {
    return server_tls_;
  }

  const std::string& relay_id() const { return config_.relay_id; }
  const Bytes& tag_key() const { return tag_key_; }
  bool redis_up() const { return redis_ && redis_->connected(); }
  // Relays that said they were alive within the last 15 s (this one too),
  // as of the last heartbeat.
  size_t relays_alive() const { return relays_alive_; }

 private:
  Cluster(uv_loop_s* loop, Parts parts);
  void Heartbeat();
  void Republish();
  void OnEvent(const std::string& payload);
  // "<kind> <this relay's id>[ <rest>]" on the events channel (OnEvent
  // reads it at the other relays).
  void PublishEvent(std::string_view kind, const std::string& rest);
  // TLS for dialing `holder` (a relay whose key this relay trusts).
  Result<std::shared_ptr<const crypto::TlsConfig>> ClientTls(
      const Holder& holder);

  uv_loop_s* loop_;
  ClusterConfig config_;
  Parts parts_;
  std::string advertised_;  // "<relay id> <address> <fingerprint>"
  Bytes tag_key_;
  std::vector<std::string> trusted_;  // key fingerprints
  std::shared_ptr<const crypto::TlsConfig> server_tls_;
  std::map<std::string, std::shared_ptr<const crypto::TlsConfig>> client_tls_;
  std::unique_ptr<RedisLink> redis_;
  uv_timer_s* heartbeat_ = nullptr;
  Events events_;
  size_t relays_alive_ = 0;
};

}  // namespace tether::relay
