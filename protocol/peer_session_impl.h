#pragma once

// The engine behind PeerSession (peer_session.h), shared by the files that
// implement it: peer_session.cc (connecting, the peer plane, sending,
// timers, ending) and peer_session_relay_control.cc (the relay's control
// messages and the supporter's commands). Its thread is a NetworkThread.
// Internal to protocol/: the apps know only PeerSession.

#include <uv.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/tls_config.h"
#include "protocol/network_thread.h"
#include "protocol/observer_dispatch.h"
#include "protocol/peer_plane.h"
#include "protocol/peer_session.h"
#include "protocol/proxy_settings.h"
#include "protocol/relay_dialer.h"
#include "protocol/tls_connection.h"

namespace tether::protocol {

// One relay of the list, with what reaching and trusting it takes.
struct RelayRoute {
  HostPort address;
  std::optional<ProxyAddress> proxy;  // nullopt: connect directly
  // The shared pin or CA; the relay's own name for SNI and the name check.
  std::shared_ptr<const crypto::TlsConfig> tls_config;
};

class PeerSessionImpl final : public PeerSession,
                              private TlsConnection::Delegate {
 public:
  PeerSessionImpl(Options options,
                  Observer* observer,
                  std::vector<RelayRoute> routes,
                  std::string code);
  ~PeerSessionImpl() override;

  void StartThread();

  void Login(std::string user, std::string password, std::string totp) override;
  void ChangePassword(std::string current, std::string next) override;
  void CreateSession() override;
  void DecideJoin(bool accept) override;
  void CancelSession(std::string code) override;
  bool Send(proto::PeerMessage message) override;
  size_t pending_bytes() const override {
    return queued_bytes_.load() + output_bytes_.load();
  }
  void End(proto::EndReason reason, std::string message) override;

  // Any thread: runs `task` on the network thread.
  void Post(std::function<void()> task);
  // Network thread: the app took enough messages to read again.
  void ResumeReadingForApp();

 private:
  struct Outgoing {
    proto::PeerMessage message;
    size_t size = 0;
  };

  // Network thread from here on.
  void SendOutbox();
  void Shutdown();
  void BeginConnect();
  // Dials routes_[index], with a fresh connect timeout.
  void DialRoute(size_t index);
  // Gives up the current relay (dialer or connection) and dials the next
  // one of the list; false, with nothing changed, after the last one.
  bool TryNextRoute(const std::string& why);
  void OnConnectTimeout();
  std::string RouteName() const;  // "relay1.example.net:8443", for the log
  void OnDialed(Result<RelayDialer::Connected, RelayDialer::DialError> result);

  // TlsConnection::Delegate.
  void OnTlsReady(TlsConnection& connection) override;
  void OnFrame(TlsConnection& connection, Bytes payload) override;
  void OnDrained(TlsConnection& connection) override;
  void OnClosed(TlsConnection& connection, const std::string& reason) override;

  // The control plane (peer_session_relay_control.cc).
  void HandleHelloAck(const proto::HelloAck& ack);
  void HandleLoginResult(const proto::LoginResult& result);
  void HandleChangePasswordResult(const proto::ChangePasswordResult& result);
  void HandleSessionCreated(const proto::SessionCreated& created);
  void HandleJoinRequest(const proto::JoinRequest& request);
  void HandleEnd(const proto::End& end);
  void HandleError(const proto::ErrorReply& error);

  void DoLogin(std::string user, std::string password, std::string totp);
  void DoChangePassword(std::string current, std::string next);
  void DoCreateSession();
  void DoDecideJoin(bool accept);
  void DoCancelSession(std::string code);
  void DoEnd(proto::EndReason reason, std::string message);
  // Supporter commands wait until the relay can take them: anything for
  // HelloAck, Login and ChangePassword for the answer to the previous one,
  // CreateSession for a successful login (the relay ends a session that
  // asks out of turn). True when `command` was held.
  bool HoldUntilHello(std::function<void()> command);
  // Login and ChangePassword: held until HelloAck and until the previous
  // one was answered; when not held, the answer is awaited from now on.
  bool HoldUntilAnswered(std::function<void()> command);
  void RunHeld(std::vector<std::function<void()>>& held);
  bool IsSupporter(const char* what) const;

  // The peer plane.
  void BeginKeyExchange();
  void HandleRelayed(const std::string& data);
  void HandlePeerMessage(proto::PeerMessage message);

  void SendToRelay(const proto::ClientMessage& message);
  void SendRelayed(const Bytes& envelope);
  void SendPeerMessage(const proto::PeerMessage& message);
  void SendHeartbeat();

  // The relay talks to us (heartbeats, answers) from Login/Join on; only
  // then does silence mean the connection is dead.
  void ExpectTraffic(bool expect);
  void RestartLiveness();
  void StopTimers();

  void SetState(SessionState state);
  void Notify(std::function<void(Observer&)> call);
  void DeliverMessage(proto::PeerMessage message);
  void Finish(SessionEnd end);

  const Options options_;
  const std::vector<RelayRoute> routes_;  // at least one
  const std::string code_;  // customer: the normalized code it typed
  ObserverDispatch dispatch_;

  // Hand-over of Send() from other threads; the rest goes through
  // network_.Post().
  std::mutex outbox_mutex_;
  std::deque<Outgoing> outbox_;
  std::atomic<size_t> queued_bytes_{0};  // in outbox_
  std::atomic<size_t> output_bytes_{0};  // TLS output, as last seen
  std::atomic<bool> secured_{false};
  std::atomic<bool> ending_{false};

  NetworkThread network_;
  uv_timer_t connect_timer_{};
  uv_timer_t heartbeat_timer_{};
  uv_timer_t liveness_timer_{};

  // Network thread only.
  RelayDialer* dialer_ = nullptr;
  size_t route_ = 0;  // the relay of routes_ being tried or used
  TlsConnection* connection_ = nullptr;
  std::unique_ptr<PeerPlane> plane_;
  SessionState state_ = SessionState::kConnecting;
  bool hello_acked_ = false;
  bool signed_in_ = false;
  bool expecting_traffic_ = false;
  bool peer_stopped_ = false;  // the customer sent EmergencyStop
  bool ended_ = false;
  bool shut_down_ = false;
  bool awaiting_answer_ = false;  // a Login or ChangePassword is out
  std::vector<std::function<void()>> held_until_hello_;
  std::vector<std::function<void()>> held_until_answer_;
  std::vector<std::function<void()>> held_until_signed_in_;
  std::deque<std::string> unanswered_joins_;  // codes, oldest first
  std::vector<std::string> waiting_codes_;
  std::string accepted_code_;
  std::string last_error_text_;  // the relay's last ErrorReply, cleaned
};

}  // namespace tether::protocol
