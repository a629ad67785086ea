#include "protocol/peer_session.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <uv.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "base/log.h"
#include "crypto/e2e_channel.h"
#include "crypto/random.h"
#include "crypto/session_code.h"
#include "crypto/tls_config.h"
#include "protocol/messages.h"
#include "protocol/observer_dispatch.h"
#include "protocol/peer_plane.h"
#include "protocol/proxy_settings.h"
#include "protocol/relay_dialer.h"
#include "protocol/session_end.h"
#include "protocol/tls_connection.h"

namespace tether::protocol {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// The relay allows this much around a relayed PeerEnvelope once paired.
constexpr size_t kRelayedFrameLimit = kDefaultRelayedFrameLimit + 64;

bool IsIpLiteral(const std::string& host) {
  in6_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

std::string ReasonName(proto::EndReason reason) {
  return proto::EndReason_Name(reason);
}

}  // namespace

class PeerSessionImpl final : public PeerSession,
                              private TlsConnection::Delegate {
 public:
  PeerSessionImpl(Options options,
                  Observer* observer,
                  std::shared_ptr<const crypto::TlsConfig> tls_config,
                  std::optional<ProxyAddress> proxy,
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
  void OnWake();
  void Shutdown();
  void BeginConnect();
  void OnDialed(Result<RelayDialer::Connected, RelayDialer::DialError> result);

  // TlsConnection::Delegate.
  void OnTlsReady(TlsConnection& connection) override;
  void OnFrame(TlsConnection& connection, Bytes payload) override;
  void OnDrained(TlsConnection& connection) override;
  void OnClosed(TlsConnection& connection, const std::string& reason) override;

  void HandleHelloAck(const proto::HelloAck& ack);
  void HandleLoginResult(const proto::LoginResult& result);
  void HandleChangePasswordResult(const proto::ChangePasswordResult& result);
  void HandleSessionCreated(const proto::SessionCreated& created);
  void HandleJoinRequest(const proto::JoinRequest& request);
  void HandleRelayed(const std::string& data);
  void HandlePeerMessage(proto::PeerMessage message);
  void HandleEnd(const proto::End& end);
  void HandleError(const proto::ErrorReply& error);
  void BeginKeyExchange();

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
  void RunHeld(std::vector<std::function<void()>>& held);
  bool IsSupporter(const char* what) const;

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
  const std::shared_ptr<const crypto::TlsConfig> tls_config_;
  const std::optional<ProxyAddress> proxy_;
  const std::string code_;  // customer: the normalized code it typed
  ObserverDispatch dispatch_;

  // Hand-over from other threads.
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  std::deque<Outgoing> outbox_;
  bool stop_requested_ = false;
  std::atomic<size_t> queued_bytes_{0};  // in outbox_
  std::atomic<size_t> output_bytes_{0};  // TLS output, as last seen
  std::atomic<bool> secured_{false};
  std::atomic<bool> ending_{false};

  std::thread thread_;
  uv_loop_t loop_{};
  uv_async_t wake_{};
  uv_timer_t connect_timer_{};
  uv_timer_t heartbeat_timer_{};
  uv_timer_t liveness_timer_{};

  // Network thread only.
  RelayDialer* dialer_ = nullptr;
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

// ---- construction, threads, hand-over ------------------------------------

PeerSessionImpl::PeerSessionImpl(
    Options options,
    Observer* observer,
    std::shared_ptr<const crypto::TlsConfig> tls_config,
    std::optional<ProxyAddress> proxy,
    std::string code)
    : options_(std::move(options)),
      tls_config_(std::move(tls_config)),
      proxy_(std::move(proxy)),
      code_(std::move(code)),
      dispatch_(observer,
                options_.deliver,
                options_.max_undelivered_bytes,
                [this] { Post([this] { ResumeReadingForApp(); }); }) {
  // Initialised here, run by the network thread only from StartThread().
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &wake_, [](uv_async_t* async) {
    static_cast<PeerSessionImpl*>(async->data)->OnWake();
  });
  wake_.data = this;
  for (uv_timer_t* timer :
       {&connect_timer_, &heartbeat_timer_, &liveness_timer_}) {
    uv_timer_init(&loop_, timer);
    timer->data = this;
  }
}

PeerSessionImpl::~PeerSessionImpl() {
  dispatch_.Close();
  if (std::this_thread::get_id() == thread_.get_id()) {
    log::Error("PeerSession destroyed on its own network thread");
    std::abort();
  }
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  uv_async_send(&wake_);
  thread_.join();
  if (int ret = uv_loop_close(&loop_); ret != 0) {
    log::Error("peer session loop did not close: {}", uv_strerror(ret));
  }
}

void PeerSessionImpl::StartThread() {
  Post([this] { BeginConnect(); });
  thread_ = std::thread([this] {
    // A write to a connection the relay or proxy closed must fail with
    // EPIPE, not kill the app. Blocked for this thread only: the engine
    // does not change the process's signal dispositions.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
}

void PeerSessionImpl::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  uv_async_send(&wake_);
}

void PeerSessionImpl::OnWake() {
  std::deque<Outgoing> outbox;
  std::deque<std::function<void()>> tasks;
  bool stop = false;
  {
    std::lock_guard lock(mutex_);
    outbox.swap(outbox_);
    tasks.swap(tasks_);
    stop = stop_requested_;
  }
  // Messages first: End() queued after them sends them before EndSession.
  for (Outgoing& out : outbox) {
    if (!ended_)
      SendPeerMessage(out.message);
    queued_bytes_ -= out.size;
  }
  for (auto& task : tasks) {
    if (shut_down_)
      break;
    task();
  }
  if (stop && !shut_down_)
    Shutdown();
}

void PeerSessionImpl::Shutdown() {
  shut_down_ = true;
  if (!ended_) {
    // Destroyed mid-session: tell the relay (and so the peer), quietly.
    ended_ = true;
    ending_ = true;
    if (dialer_ != nullptr)
      std::exchange(dialer_, nullptr)->Cancel();
    if (connection_ != nullptr && hello_acked_) {
      proto::ClientMessage end;
      end.mutable_end()->set_reason(proto::END_REASON_USER_ENDED);
      end.mutable_end()->set_message("The app was closed.");
      SendToRelay(end);
    }
  }
  if (connection_ != nullptr)
    connection_->Close("session closed by the app");
  plane_.reset();
  // The loop ends once these and the connection's handles have closed.
  for (uv_timer_t* timer :
       {&connect_timer_, &heartbeat_timer_, &liveness_timer_}) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
}

// ---- public methods (any thread) -----------------------------------------

void PeerSessionImpl::Login(std::string user,
                            std::string password,
                            std::string totp) {
  Post([this, user = std::move(user), password = std::move(password),
        totp = std::move(totp)]() mutable {
    DoLogin(std::move(user), std::move(password), std::move(totp));
  });
}

void PeerSessionImpl::ChangePassword(std::string current, std::string next) {
  Post([this, current = std::move(current), next = std::move(next)]() mutable {
    DoChangePassword(std::move(current), std::move(next));
  });
}

void PeerSessionImpl::CreateSession() {
  Post([this] { DoCreateSession(); });
}

void PeerSessionImpl::DecideJoin(bool accept) {
  Post([this, accept] { DoDecideJoin(accept); });
}

void PeerSessionImpl::CancelSession(std::string code) {
  Post([this, code = std::move(code)]() mutable {
    DoCancelSession(std::move(code));
  });
}

bool PeerSessionImpl::Send(proto::PeerMessage message) {
  if (ending_.load())
    return false;
  if (!secured_.load()) {
    log::Warn("peer message dropped: the session is not secured");
    return false;
  }
  const size_t size = message.ByteSizeLong();
  if (size > crypto::E2eChannel::kMaxPlaintextSize) {
    log::Warn("peer message of {} bytes refused: the limit is {} bytes", size,
              crypto::E2eChannel::kMaxPlaintextSize);
    return false;
  }
  const size_t pending = pending_bytes();
  if (pending > 0 && pending + size > options_.max_pending_bytes)
    return false;
  queued_bytes_ += size;
  {
    std::lock_guard lock(mutex_);
    outbox_.push_back(Outgoing{std::move(message), size});
  }
  uv_async_send(&wake_);
  return true;
}

void PeerSessionImpl::End(proto::EndReason reason, std::string message) {
  ending_ = true;
  Post([this, reason, message = std::move(message)]() mutable {
    DoEnd(reason, std::move(message));
  });
}

// ---- connecting -----------------------------------------------------------

void PeerSessionImpl::BeginConnect() {
  Notify([](Observer& o) { o.OnStateChanged(SessionState::kConnecting); });
  uv_timer_start(
      &connect_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<PeerSessionImpl*>(timer->data);
        log::Warn("no answer from the relay within {} ms",
                  self->options_.connect_timeout.count());
        self->Finish({proto::END_REASON_TIMEOUT, kNoAnswerText, false});
      },
      static_cast<uint64_t>(options_.connect_timeout.count()), 0);
  RelayDialer::Target target{options_.relay.host, options_.relay.port, proxy_};
  if (proxy_) {
    log::Info("connecting to the relay {}:{} through the proxy {}",
              options_.relay.host, options_.relay.port, proxy_->ToString());
  }
  std::string error;
  dialer_ = RelayDialer::Start(
      &loop_, std::move(target),
      [this](auto result) { OnDialed(std::move(result)); }, &error);
  if (dialer_ == nullptr) {
    log::Warn("{}", error);
    Finish({proto::END_REASON_PEER_LOST,
            "Could not look up the relay's address. Check the relay address "
            "and the network.",
            false});
  }
}

void PeerSessionImpl::OnDialed(
    Result<RelayDialer::Connected, RelayDialer::DialError> result) {
  dialer_ = nullptr;  // it deletes itself after this call
  if (!result) {
    log::Warn("cannot reach the relay: {}", result.error().detail);
    Finish(EndForDialFailure(result.error(), options_.relay, proxy_));
    return;
  }
  TlsConnection::Options tls_options;
  tls_options.max_frame_size = kDefaultControlFrameLimit;
  tls_options.handshake_timeout = options_.connect_timeout;
  std::string error;
  connection_ =
      TlsConnection::ConnectOver(result->tcp, std::move(result->received),
                                 tls_config_, tls_options, this, &error);
  if (connection_ == nullptr) {
    log::Warn("cannot start TLS to the relay: {}", error);
    Finish({proto::END_REASON_PROTOCOL_ERROR, kNoSecureConnectionText, false});
  }
}

void PeerSessionImpl::OnTlsReady(TlsConnection& connection) {
  log::Info("connected to the relay at {} ({})", connection.peer_address(),
            connection.tls_description());
  proto::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(proto::PROTOCOL_VERSION_CURRENT);
  hello.mutable_hello()->set_role(options_.role);
  hello.mutable_hello()->set_app_version(options_.app_version);
  SendToRelay(hello);
}

void PeerSessionImpl::OnClosed(TlsConnection& connection,
                               const std::string& reason) {
  connection_ = nullptr;  // it deletes itself after this call
  if (ended_)
    return;
  log::Warn("relay connection closed: {}", reason);
  ClosedConnection closed;
  closed.certificate_rejected = connection.certificate_rejected();
  closed.protocol_refused = connection.protocol_refused();
  closed.pinned = !options_.relay.fingerprint.empty();
  closed.tls_ready = connection.tls_ready();
  closed.idle_before_login = options_.role == proto::ROLE_SUPPORTER &&
                             hello_acked_ && !signed_in_ && !awaiting_answer_;
  Finish(EndForClosedConnection(closed));
}

void PeerSessionImpl::OnDrained(TlsConnection& connection) {
  output_bytes_ = connection.pending_output();
}

// ---- the control plane ----------------------------------------------------

void PeerSessionImpl::OnFrame(TlsConnection& /*connection*/, Bytes payload) {
  if (ended_)
    return;
  RestartLiveness();
  proto::RelayMessage message;
  if (auto parsed = ParsePayload(payload, message); !parsed) {
    log::Warn("from the relay: {}", parsed.error().message);
    Finish({proto::END_REASON_PROTOCOL_ERROR, kUnreadableRelayText, false});
    return;
  }
  switch (message.body_case()) {
    case proto::RelayMessage::kHelloAck:
      HandleHelloAck(message.hello_ack());
      break;
    case proto::RelayMessage::kLoginResult:
      HandleLoginResult(message.login_result());
      break;
    case proto::RelayMessage::kChangePasswordResult:
      HandleChangePasswordResult(message.change_password_result());
      break;
    case proto::RelayMessage::kSessionCreated:
      HandleSessionCreated(message.session_created());
      break;
    case proto::RelayMessage::kJoinRequest:
      HandleJoinRequest(message.join_request());
      break;
    case proto::RelayMessage::kJoined: {
      if (options_.role != proto::ROLE_CUSTOMER || plane_ != nullptr) {
        Finish({proto::END_REASON_PROTOCOL_ERROR, kUnreadableRelayText, false});
        return;
      }
      proto::Joined joined = message.joined();
      Notify([joined](Observer& o) { o.OnJoined(joined); });
      BeginKeyExchange();
      break;
    }
    case proto::RelayMessage::kPeerJoined:
      if (options_.role != proto::ROLE_SUPPORTER || plane_ != nullptr) {
        Finish({proto::END_REASON_PROTOCOL_ERROR, kUnreadableRelayText, false});
        return;
      }
      BeginKeyExchange();
      break;
    case proto::RelayMessage::kRelayed:
      HandleRelayed(message.relayed().data());
      break;
    case proto::RelayMessage::kHeartbeat:
      break;  // liveness was renewed above
    case proto::RelayMessage::kEnd:
      HandleEnd(message.end());
      break;
    case proto::RelayMessage::kError:
      HandleError(message.error());
      break;
    case proto::RelayMessage::BODY_NOT_SET:
      break;  // a message a newer relay knows; nothing to do with it
  }
}

void PeerSessionImpl::HandleHelloAck(const proto::HelloAck& ack) {
  if (hello_acked_)
    return;
  hello_acked_ = true;
  uv_timer_stop(&connect_timer_);
  proto::HelloAck copy = ack;
  Notify([copy](Observer& o) { o.OnRelayHello(copy); });
  if (options_.role == proto::ROLE_CUSTOMER) {
    proto::ClientMessage join;
    join.mutable_join()->set_code(code_);
    join.mutable_join()->set_host_name(options_.host_name);
    join.mutable_join()->set_user_name(options_.user_name);
    SendToRelay(join);
    ExpectTraffic(true);
    SetState(SessionState::kWaitingForPeer);
    return;
  }
  RunHeld(held_until_hello_);
}

void PeerSessionImpl::RunHeld(std::vector<std::function<void()>>& held) {
  auto commands = std::move(held);
  held.clear();
  for (auto& command : commands) {
    if (ended_)
      break;
    command();
  }
}

void PeerSessionImpl::HandleLoginResult(const proto::LoginResult& result) {
  proto::LoginResult copy = result;
  Notify([copy](Observer& o) { o.OnLoginResult(copy); });
  awaiting_answer_ = false;
  if (result.status() == proto::LoginResult::STATUS_OK) {
    signed_in_ = true;
    ExpectTraffic(true);
    if (state_ == SessionState::kConnecting)
      SetState(SessionState::kSignedIn);
    RunHeld(held_until_signed_in_);
  } else if (!signed_in_) {
    // The relay waits for the user's next try without heartbeats.
    ExpectTraffic(false);
  }
  RunHeld(held_until_answer_);
}

void PeerSessionImpl::HandleChangePasswordResult(
    const proto::ChangePasswordResult& result) {
  proto::ChangePasswordResult copy = result;
  Notify([copy](Observer& o) { o.OnChangePasswordResult(copy); });
  // A forced change that succeeded is followed by an OK LoginResult, which
  // is the answer to wait for.
  if (signed_in_ || !result.ok()) {
    if (!signed_in_)
      ExpectTraffic(false);
    awaiting_answer_ = false;
    RunHeld(held_until_answer_);
  }
}

void PeerSessionImpl::HandleSessionCreated(
    const proto::SessionCreated& created) {
  waiting_codes_.push_back(created.code());
  if (state_ == SessionState::kSignedIn) {
    SetState(SessionState::kWaitingForPeer);
  }
  proto::SessionCreated copy = created;
  Notify([copy](Observer& o) { o.OnSessionCreated(copy); });
}

void PeerSessionImpl::HandleJoinRequest(const proto::JoinRequest& request) {
  unanswered_joins_.push_back(request.code());
  proto::JoinRequest copy = request;
  Notify([copy](Observer& o) { o.OnJoinRequest(copy); });
}

void PeerSessionImpl::HandleEnd(const proto::End& end) {
  log::Info("the relay ended the session: {} ({})",
            CleanRelayText(end.message()), ReasonName(end.reason()));
  Finish(EndForRelayEnd(end, options_.role, last_error_text_));
}

void PeerSessionImpl::HandleError(const proto::ErrorReply& error) {
  last_error_text_ = CleanRelayText(error.message());
  log::Warn("the relay refused a request: {} ({})", last_error_text_,
            proto::ErrorReply::Code_Name(error.code()));
  if (options_.role == proto::ROLE_CUSTOMER) {
    // The customer app has one thing to ask; any refusal ends it.
    Finish(EndForJoinRefused(error));
    return;
  }
  if (error.code() == proto::ErrorReply::CODE_VERSION_MISMATCH) {
    Finish({proto::END_REASON_PROTOCOL_ERROR, last_error_text_, false});
    return;
  }
  proto::ErrorReply copy = error;
  Notify([copy](Observer& o) { o.OnRelayError(copy); });
}

// ---- supporter commands ---------------------------------------------------

bool PeerSessionImpl::IsSupporter(const char* what) const {
  if (options_.role == proto::ROLE_SUPPORTER)
    return true;
  log::Warn("{} ignored: only the supporter app may call it", what);
  return false;
}

bool PeerSessionImpl::HoldUntilHello(std::function<void()> command) {
  if (hello_acked_)
    return false;
  held_until_hello_.push_back(std::move(command));
  return true;
}

void PeerSessionImpl::DoLogin(std::string user,
                              std::string password,
                              std::string totp) {
  if (ended_ || !IsSupporter("Login"))
    return;
  auto again = [this, user, password, totp] { DoLogin(user, password, totp); };
  if (HoldUntilHello(again))
    return;
  if (awaiting_answer_) {
    held_until_answer_.push_back(std::move(again));
    return;
  }
  awaiting_answer_ = true;
  proto::ClientMessage login;
  login.mutable_login()->set_user(std::move(user));
  login.mutable_login()->set_password(std::move(password));
  login.mutable_login()->set_totp(std::move(totp));
  SendToRelay(login);
  ExpectTraffic(true);
}

void PeerSessionImpl::DoChangePassword(std::string current, std::string next) {
  if (ended_ || !IsSupporter("ChangePassword"))
    return;
  auto again = [this, current, next] { DoChangePassword(current, next); };
  if (HoldUntilHello(again))
    return;
  if (awaiting_answer_) {
    held_until_answer_.push_back(std::move(again));
    return;
  }
  awaiting_answer_ = true;
  proto::ClientMessage change;
  change.mutable_change_password()->set_current_password(std::move(current));
  change.mutable_change_password()->set_new_password(std::move(next));
  SendToRelay(change);
  ExpectTraffic(true);
}

void PeerSessionImpl::DoCreateSession() {
  if (ended_ || !IsSupporter("CreateSession"))
    return;
  if (HoldUntilHello([this] { DoCreateSession(); }))
    return;
  if (!signed_in_) {
    held_until_signed_in_.push_back([this] { DoCreateSession(); });
    return;
  }
  proto::ClientMessage create;
  create.mutable_create_session();
  SendToRelay(create);
}

void PeerSessionImpl::DoDecideJoin(bool accept) {
  if (ended_ || !IsSupporter("DecideJoin"))
    return;
  if (unanswered_joins_.empty()) {
    log::Warn("DecideJoin ignored: no customer is waiting for an answer");
    return;
  }
  const std::string code = unanswered_joins_.front();
  unanswered_joins_.pop_front();
  proto::ClientMessage decision;
  decision.mutable_join_decision()->set_code(code);
  decision.mutable_join_decision()->set_accept(accept);
  SendToRelay(decision);
  if (accept) {
    // PeerJoined follows; the key exchange binds this code.
    accepted_code_ = code;
    return;
  }
  // The relay drops a refused code.
  std::erase(waiting_codes_, code);
  if (waiting_codes_.empty() && state_ == SessionState::kWaitingForPeer) {
    SetState(SessionState::kSignedIn);
  }
}

void PeerSessionImpl::DoCancelSession(std::string code) {
  if (ended_ || !IsSupporter("CancelSession"))
    return;
  if (HoldUntilHello([this, code] { DoCancelSession(code); }))
    return;
  if (!signed_in_ || code == accepted_code_) {
    // Before sign-in there is no code; once a customer was accepted the
    // session is ended with End(), not cancelled.
    log::Warn("CancelSession ignored: no code of this console is waiting");
    return;
  }
  proto::ClientMessage cancel;
  cancel.mutable_cancel_session()->set_code(code);
  SendToRelay(cancel);
  // The relay ends a customer who typed the code; nobody is left to
  // answer for.
  std::erase(unanswered_joins_, code);
  std::erase(waiting_codes_, code);
  if (waiting_codes_.empty() && state_ == SessionState::kWaitingForPeer) {
    SetState(SessionState::kSignedIn);
  }
}

void PeerSessionImpl::DoEnd(proto::EndReason reason, std::string message) {
  if (ended_)
    return;
  const std::string text = message.empty() ? kYouEndedText : message;
  if (plane_ != nullptr && plane_->secured()) {
    proto::PeerMessage end_session;
    end_session.mutable_end()->set_reason(text);
    SendPeerMessage(end_session);
  }
  if (connection_ != nullptr && hello_acked_) {
    proto::ClientMessage end;
    end.mutable_end()->set_reason(reason);
    end.mutable_end()->set_message(text);
    SendToRelay(end);
  }
  Finish({reason, text, true});
}

// ---- the peer plane -------------------------------------------------------

void PeerSessionImpl::BeginKeyExchange() {
  // Both sides bind the code: the one the customer typed, and the one the
  // technician last accepted a customer on.
  const std::string& code =
      options_.role == proto::ROLE_CUSTOMER ? code_ : accepted_code_;
  if (code.empty()) {
    log::Warn("paired without an accepted code");
    Finish({proto::END_REASON_PROTOCOL_ERROR, kUnreadableRelayText, false});
    return;
  }
  // Relayed frames carry video key frames and file chunks.
  connection_->set_max_frame_size(kRelayedFrameLimit);
  const auto role = options_.role == proto::ROLE_SUPPORTER
                        ? crypto::E2eRole::kSupporter
                        : crypto::E2eRole::kCustomer;
  auto plane = PeerPlane::Create(
      role, crypto::E2eContext{proto::PROTOCOL_VERSION_CURRENT, code},
      crypto::RandomGenerator::Default());
  if (!plane) {
    log::Error("cannot start the key exchange: {}", plane.error().message);
    Finish({proto::END_REASON_PROTOCOL_ERROR,
            "The encrypted connection to the other side could not be set up.",
            false});
    return;
  }
  plane_ = std::move(*plane);
  std::erase(waiting_codes_, code);
  SetState(SessionState::kKeyExchange);
  if (role == crypto::E2eRole::kSupporter) {
    auto commitment = plane_->Begin();
    if (!commitment) {
      Finish({proto::END_REASON_PROTOCOL_ERROR, commitment.error().message,
              false});
      return;
    }
    SendRelayed(*commitment);
  }
}

void PeerSessionImpl::HandleRelayed(const std::string& data) {
  if (plane_ == nullptr) {
    log::Warn("relayed data before pairing");
    Finish({proto::END_REASON_PROTOCOL_ERROR, kUnreadableRelayText, false});
    return;
  }
  auto received = plane_->Receive(AsBytes(data));
  if (!received) {
    Finish({proto::END_REASON_PROTOCOL_ERROR, received.error().message, false});
    return;
  }
  if (received->reply)
    SendRelayed(*received->reply);
  if (received->secured) {
    log::Info("end-to-end encryption is up");
    secured_ = true;
    SetState(SessionState::kSecured);
    const std::string sas = plane_->sas();
    Notify([sas](Observer& o) { o.OnSecured(sas); });
  }
  if (received->message)
    HandlePeerMessage(std::move(*received->message));
}

void PeerSessionImpl::HandlePeerMessage(proto::PeerMessage message) {
  if (message.has_end()) {
    Finish(EndForPeerEnded(options_.role, peer_stopped_));
    return;
  }
  if (message.has_emergency_stop())
    peer_stopped_ = true;
  DeliverMessage(std::move(message));
}

void PeerSessionImpl::DeliverMessage(proto::PeerMessage message) {
  // Too much waits for the app: stop reading, so the relay slows the
  // sender; the dispatch resumes us once the app has caught up.
  if (dispatch_.Deliver(std::move(message)) && connection_ != nullptr) {
    log::Debug("the app is behind: reading from the relay paused");
    connection_->PauseReading();
    uv_timer_stop(&liveness_timer_);  // silence is expected now
  }
}

void PeerSessionImpl::ResumeReadingForApp() {
  if (ended_ || connection_ == nullptr)
    return;
  connection_->ResumeReading();
  RestartLiveness();
}

// ---- sending --------------------------------------------------------------

void PeerSessionImpl::SendToRelay(const proto::ClientMessage& message) {
  if (connection_ == nullptr)
    return;
  if (auto sent = connection_->SendFrame(message); !sent) {
    log::Warn("not sent to the relay: {}", sent.error().message);
  }
  output_bytes_ = connection_->pending_output();
}

void PeerSessionImpl::SendRelayed(const Bytes& envelope) {
  proto::ClientMessage message;
  message.mutable_relayed()->set_data(
      std::string(envelope.begin(), envelope.end()));
  SendToRelay(message);
}

void PeerSessionImpl::SendPeerMessage(const proto::PeerMessage& message) {
  if (plane_ == nullptr || !plane_->secured())
    return;
  auto envelope = plane_->Seal(message);
  if (!envelope) {
    if (envelope.error().temporary()) {
      log::Warn("peer message refused: {}", envelope.error().message);
      return;
    }
    Finish({proto::END_REASON_PROTOCOL_ERROR, envelope.error().message, false});
    return;
  }
  SendRelayed(*envelope);
}

void PeerSessionImpl::SendHeartbeat() {
  proto::ClientMessage heartbeat;
  heartbeat.mutable_heartbeat()->set_sent_at_unix_ms(
      duration_cast<milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  SendToRelay(heartbeat);
}

// ---- timers ---------------------------------------------------------------

void PeerSessionImpl::ExpectTraffic(bool expect) {
  if (expect == expecting_traffic_ || ended_)
    return;
  expecting_traffic_ = expect;
  if (!expect) {
    uv_timer_stop(&heartbeat_timer_);
    uv_timer_stop(&liveness_timer_);
    return;
  }
  const auto interval =
      static_cast<uint64_t>(options_.heartbeat_interval.count());
  uv_timer_start(
      &heartbeat_timer_,
      [](uv_timer_t* timer) {
        static_cast<PeerSessionImpl*>(timer->data)->SendHeartbeat();
      },
      interval, interval);
  RestartLiveness();
}

void PeerSessionImpl::RestartLiveness() {
  if (!expecting_traffic_ || ended_ || dispatch_.reading_paused())
    return;
  uv_timer_start(
      &liveness_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<PeerSessionImpl*>(timer->data);
        log::Warn("nothing from the relay for {} ms",
                  self->options_.peer_timeout.count());
        self->Finish({proto::END_REASON_PEER_LOST, kConnectionLostText, false});
      },
      static_cast<uint64_t>(options_.peer_timeout.count()), 0);
}

void PeerSessionImpl::StopTimers() {
  uv_timer_stop(&connect_timer_);
  uv_timer_stop(&heartbeat_timer_);
  uv_timer_stop(&liveness_timer_);
}

// ---- observer and ending --------------------------------------------------

void PeerSessionImpl::SetState(SessionState state) {
  if (state == state_)
    return;
  state_ = state;
  Notify([state](Observer& o) { o.OnStateChanged(state); });
}

void PeerSessionImpl::Notify(std::function<void(Observer&)> call) {
  if (!shut_down_)
    dispatch_.Notify(std::move(call));
}

void PeerSessionImpl::Finish(SessionEnd end) {
  if (ended_)
    return;
  ended_ = true;
  ending_ = true;
  secured_ = false;
  log::Info("session ended ({}{}): {}", ReasonName(end.reason),
            end.local ? ", here" : "", end.message);
  StopTimers();
  if (dialer_ != nullptr)
    std::exchange(dialer_, nullptr)->Cancel();
  if (connection_ != nullptr)
    connection_->Close(end.message);
  plane_.reset();  // wipes the session keys now
  SetState(SessionState::kEnded);
  Notify([end = std::move(end)](Observer& o) { o.OnEnded(end); });
}

// ---- Start ----------------------------------------------------------------

Result<std::unique_ptr<PeerSession>> PeerSession::Start(Options options,
                                                        Observer* observer) {
  if (observer == nullptr)
    return MakeError("PeerSession needs an observer");
  if (options.role != proto::ROLE_SUPPORTER &&
      options.role != proto::ROLE_CUSTOMER) {
    return MakeError("PeerSession role must be supporter or customer");
  }
  const RelayEndpoint& relay = options.relay;
  if (relay.host.empty() || relay.port == 0) {
    return MakeError("The relay address is not set.");
  }
  if (options.connect_timeout.count() <= 0 ||
      options.heartbeat_interval.count() <= 0 ||
      options.peer_timeout.count() <= 0) {
    return MakeError("PeerSession timeouts must be positive");
  }
  std::string code;
  if (options.role == proto::ROLE_CUSTOMER) {
    // The relay accepts "1234 5678"; the key exchange needs the digits the
    // technician's app got, so both bind the same code.
    auto normalized = crypto::NormalizeSessionCode(options.code);
    if (!normalized)
      return Unexpected(std::move(normalized).error());
    code = std::move(*normalized);
  }
  crypto::TlsClientOptions tls;
  tls.ca_file = relay.ca_file;
  tls.pinned_fingerprint = relay.fingerprint;
  // SNI carries names only; a pinned key needs no name check.
  if (!relay.ca_file.empty() || !IsIpLiteral(relay.host)) {
    tls.server_name = relay.host;
  }
  auto tls_config =
      crypto::TlsConfig::CreateClient(tls, crypto::RandomGenerator::Default());
  if (!tls_config)
    return Unexpected(std::move(tls_config).error());
  // Read here, on the caller's thread: getenv is not safe against a
  // concurrent setenv, and the caller's thread is where the app sets them.
  auto proxy = ChooseProxy(relay.proxy, relay.host,
                           [](const char* name) { return std::getenv(name); });
  if (!proxy)
    return Unexpected(std::move(proxy).error());

  auto session = std::make_unique<PeerSessionImpl>(
      std::move(options), observer, std::move(*tls_config), std::move(*proxy),
      std::move(code));
  session->StartThread();
  return std::unique_ptr<PeerSession>(std::move(session));
}

}  // namespace tether::protocol
