#pragma once

// The peer session engine both apps share: one connection to the relay on a
// network thread of its own (one libuv loop), the control-plane opening for
// the app's role, then the E2E key exchange and the encrypted peer plane
// inside Relayed frames.
//
//   supporter: Hello -> Login -> CreateSession -> (JoinRequest, Decide) ->
//              PeerJoined -> key exchange -> secured
//   customer:  Hello -> Join -> Joined -> key exchange -> secured
//
// Threads. The engine owns its thread and everything on it (socket, TLS,
// E2E channel). Every public method may be called from any thread; it posts
// the work to the network thread and returns at once. Every Observer call
// is made through Options::deliver, so the app chooses the thread (Qt: the
// UI thread; tests: a queue they drain, or the network thread itself).
// Incoming messages are bounded too: while more than
// Options::max_undelivered_bytes of them wait in the app's thread, the
// engine stops reading from the relay, which in turn slows the sender.
//
// Ending. A session ends exactly once, with one OnEnded() as the last
// observer call: by End() here, by the peer, by the relay, by a lost
// connection (no frame for Options::peer_timeout, a TCP error) or by a
// protocol error. There is no silent end. After OnEnded() the engine may be
// destroyed; destroying it earlier ends the session (no OnEnded() then) and
// joins the thread.
//
// With an empty Options::deliver, observer calls run on the network thread:
// do not destroy the engine from inside one then (it cannot join its own
// thread; it aborts). With a deliver function, the engine may be destroyed
// from an observer call, and calls still queued in the app's thread after
// destruction do nothing.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocol/host_port.h"
#include "protocol/peer.pb.h"
#include "protocol/relay.pb.h"

namespace tether::protocol {

// How to reach the relay. Exactly one of `fingerprint` and `ca_file` is set:
// the relay's key is pinned ("sha256:<64 hex>") or its certificate chain is
// verified against the CA file (and each relay's name against the
// certificate). The same pin or CA trusts every relay of the list.
//
// One relay (`host`, `port`) or several (`hosts`, tried in order until one
// answers; an entry's port 0 means `port`). With a list, `host` holds its
// first entry's host, for whoever shows "the relay".
struct RelayEndpoint {
  std::string host;
  uint16_t port = 8443;
  std::string fingerprint;
  std::string ca_file;
  // "http://host:port" of an HTTP proxy that allows CONNECT. Empty: the
  // `https_proxy` / `HTTPS_PROXY` environment variable, if set (and the
  // relay host is not in `no_proxy`).
  std::string proxy;
  // Several relays, in the order to try them; empty: `host` and `port`.
  std::vector<HostPort> hosts = {};
};

// At most this many relays in RelayEndpoint::hosts.
inline constexpr size_t kMaxRelayHosts = 16;

// The relays to try, in order: `hosts` with their ports filled in, or
// `host` and `port` alone. Empty when no relay is set. (Inline: the
// supporter's UI shows them and links none of protocol/.)
inline std::vector<HostPort> RelayAddresses(const RelayEndpoint& relay) {
  std::vector<HostPort> out;
  if (relay.hosts.empty()) {
    if (!relay.host.empty() && relay.port != 0)
      out.push_back({relay.host, relay.port});
    return out;
  }
  for (const HostPort& entry : relay.hosts) {
    const uint16_t port = entry.port != 0 ? entry.port : relay.port;
    if (!entry.host.empty() && port != 0)
      out.push_back({entry.host, port});
  }
  return out;
}

// Why a session ended, for the UI ("connection lost") and the receipt.
struct SessionEnd {
  proto::EndReason reason = proto::END_REASON_UNSPECIFIED;
  // One plain-language sentence for the user, e.g. "The connection to the
  // relay was lost." or "This code is wrong or has expired."
  std::string message;
  // True when this side's user (or app) ended it with End().
  bool local = false;
  // The relay's certificate or key is not the one IT configured (pinned
  // fingerprint or CA): the app warns "not your company's server".
  bool server_untrusted = false;
  // The relay does not speak TLS 1.3: it needs an update, not a retry.
  bool relay_outdated = false;
};

enum class SessionState {
  kConnecting,      // TCP (through the proxy), TLS, Hello
  kSignedIn,        // supporter: login accepted, may CreateSession()
  kWaitingForPeer,  // supporter: code issued; customer: waiting for accept
  kKeyExchange,     // paired; E2E handshake running
  kSecured,         // E2E channel up; PeerMessages flow
  kEnded,
};

class PeerSession {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnStateChanged(SessionState /*state*/) {}
    // The relay answered Hello: its organisation and the support terms the
    // customer's first prompt shows.
    virtual void OnRelayHello(const proto::HelloAck& /*hello*/) {}
    // Supporter: the answer to Login (any status; kSignedIn follows OK).
    virtual void OnLoginResult(const proto::LoginResult& /*result*/) {}
    // Supporter: the answer to ChangePassword (on success, an OK
    // LoginResult follows when the change was the forced first one).
    virtual void OnChangePasswordResult(
        const proto::ChangePasswordResult& /*result*/) {}
    // Supporter: the code to read to the customer.
    virtual void OnSessionCreated(const proto::SessionCreated& /*created*/) {}
    // Supporter: somebody typed the code; answer with DecideJoin().
    virtual void OnJoinRequest(const proto::JoinRequest& /*request*/) {}
    // Supporter: the relay refused a request (too many codes waiting, an
    // auditor account, no such customer). When the refusal also ends the
    // session, OnEnded() follows with the same explanation.
    virtual void OnRelayError(const proto::ErrorReply& /*error*/) {}
    // Customer: the technician accepted (name, organisation from the relay).
    virtual void OnJoined(const proto::Joined& /*joined*/) {}
    // Both: the channel is up; `sas` is the 6-digit string both apps show.
    virtual void OnSecured(const std::string& /*sas*/) {}
    // One decrypted message from the peer, in order.
    virtual void OnMessage(proto::PeerMessage message) = 0;
    virtual void OnEnded(const SessionEnd& end) = 0;
  };

  struct Options {
    RelayEndpoint relay;
    proto::Role role = proto::ROLE_UNSPECIFIED;
    std::string app_version;  // "tether-customer 0.1.0"
    // Customer: what to send in Join (host and user shown to the technician).
    std::string code;
    std::string host_name;
    std::string user_name;
    // Where observer calls run. Empty: on the network thread.
    std::function<void(std::function<void()>)> deliver;
    // From the first TCP connect to the relay's Hello answer, per relay
    // of the list: the next relay gets this much again.
    std::chrono::milliseconds connect_timeout{10000};
    // Each TCP connect (and a proxy's CONNECT answer) to one relay address;
    // past it the next address, then the next relay, is tried.
    std::chrono::milliseconds relay_attempt_timeout{3000};
    std::chrono::milliseconds heartbeat_interval{5000};
    // No frame from the relay for this long: "connection lost". Runs while
    // the relay has reason to talk (from Login/Join on), since the relay
    // heartbeats only signed-in and joining clients.
    std::chrono::milliseconds peer_timeout{20000};
    // Send() refuses a message while this many bytes are pending (see
    // pending_bytes()); a message of any legal size is accepted when
    // nothing is pending.
    size_t max_pending_bytes = 8 << 20;
    // Decrypted messages handed to `deliver` but not yet taken by the app:
    // above this the engine stops reading from the relay, and reads again
    // once the app is down to a quarter of it.
    size_t max_undelivered_bytes = 16 << 20;
  };

  // Starts the network thread and connects. Errors here are only those that
  // happen before any I/O (bad options, CA file unreadable); everything later
  // arrives as OnEnded().
  static Result<std::unique_ptr<PeerSession>> Start(Options options,
                                                    Observer* observer);
  virtual ~PeerSession() = default;
  PeerSession(const PeerSession&) = delete;
  PeerSession& operator=(const PeerSession&) = delete;

  // Supporter control plane. Calls are held until the relay can take them
  // and then sent in order: all until it answered Hello, Login and
  // ChangePassword until the previous one was answered, CreateSession until
  // a login succeeded.
  virtual void Login(std::string user,
                     std::string password,
                     std::string totp) = 0;
  virtual void ChangePassword(std::string current, std::string next) = 0;
  virtual void CreateSession() = 0;
  // Answers the oldest JoinRequest not answered yet.
  virtual void DecideJoin(bool accept) = 0;
  // Withdraws a code this console was given and nobody was accepted on
  // yet (CancelSession): the relay forgets it and ends a customer waiting
  // on it. The state returns to kSignedIn once no code waits. Unknown
  // codes are ignored here; the relay answers them with an ErrorReply.
  // Not pure, so that test doubles written before it need no change.
  virtual void CancelSession(std::string /*code*/) {}

  // Seals and sends one message to the peer once secured (queued in order
  // before that is an error: dropped and logged). Returns false when the
  // send queue is over its bound, so the caller drops (video) or waits;
  // also (logged) when the message is over the E2E record limit, before
  // kSecured, and once the session is ending.
  virtual bool Send(proto::PeerMessage message) = 0;
  // Bytes accepted by Send() but not yet handed to the kernel (waiting to
  // be sealed, or sealed and queued in TLS): the pacer's view of the link.
  virtual size_t pending_bytes() const = 0;

  // Sends what is queued (up to a short bound), then EndSession to the peer
  // and End to the relay, and closes. OnEnded() follows with local = true
  // and `message` (empty: "You ended the session.").
  virtual void End(proto::EndReason reason, std::string message) = 0;

 protected:
  PeerSession() = default;
};

}  // namespace tether::protocol
