#include "protocol/peer_session.h"

#include <arpa/inet.h>
#include <uv.h>

#include <cstdlib>
#include <utility>

#include "base/log.h"
#include "crypto/e2e_channel.h"
#include "crypto/random.h"
#include "crypto/session_code.h"
#include "protocol/messages.h"
#include "protocol/peer_session_impl.h"
#include "protocol/session_end.h"

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

}  // namespace

// ---- construction, threads, hand-over ------------------------------------

PeerSessionImpl::PeerSessionImpl(Options options,
                                 Observer* observer,
                                 std::vector<RelayRoute> routes,
                                 std::string code)
    : options_(std::move(options)),
      routes_(std::move(routes)),
      code_(std::move(code)),
      dispatch_(observer,
                options_.deliver,
                options_.max_undelivered_bytes,
                [this] { Post([this] { ResumeReadingForApp(); }); }),
      network_([this] { SendOutbox(); }, [this] { Shutdown(); }) {
  for (uv_timer_t* timer :
       {&connect_timer_, &heartbeat_timer_, &liveness_timer_}) {
    uv_timer_init(network_.loop(), timer);
    timer->data = this;
  }
}

PeerSessionImpl::~PeerSessionImpl() {
  dispatch_.Close();
  network_.Stop();
}

void PeerSessionImpl::StartThread() {
  network_.Start([this] { BeginConnect(); });
}

void PeerSessionImpl::Post(std::function<void()> task) {
  network_.Post(std::move(task));
}

void PeerSessionImpl::SendOutbox() {
  std::deque<Outgoing> outbox;
  {
    std::lock_guard lock(outbox_mutex_);
    outbox.swap(outbox_);
  }
  // Messages first (the network thread runs this before the tasks posted
  // with them): End() queued after them sends them before EndSession.
  for (Outgoing& out : outbox) {
    if (!ended_)
      SendPeerMessage(out.message);
    queued_bytes_ -= out.size;
  }
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
    std::lock_guard lock(outbox_mutex_);
    outbox_.push_back(Outgoing{std::move(message), size});
  }
  network_.Wake();
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
  DialRoute(0);
}

std::string PeerSessionImpl::RouteName() const {
  const RelayRoute& route = routes_[route_];
  return JoinHostPort(route.address.host, route.address.port);
}

void PeerSessionImpl::DialRoute(size_t index) {
  route_ = index;
  const RelayRoute& route = routes_[route_];
  // Each relay of the list gets the whole connect timeout (restarts the
  // timer).
  uv_timer_start(
      &connect_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<PeerSessionImpl*>(timer->data);
        self->OnConnectTimeout();
      },
      static_cast<uint64_t>(options_.connect_timeout.count()), 0);
  const std::string through =
      route.proxy ? " through the proxy " + route.proxy->ToString() : "";
  if (routes_.size() > 1) {
    log::Info("connecting to relay {} of {}, {}{}", route_ + 1, routes_.size(),
              RouteName(), through);
  } else if (route.proxy) {
    log::Info("connecting to the relay {}{}", RouteName(), through);
  }
  RelayDialer::Target target{route.address.host, route.address.port,
                             route.proxy, options_.relay_attempt_timeout};
  std::string error;
  dialer_ = RelayDialer::Start(
      network_.loop(), std::move(target),
      [this](auto result) { OnDialed(std::move(result)); }, &error);
  if (dialer_ == nullptr) {
    if (TryNextRoute(error))
      return;
    log::Warn("{}", error);
    Finish({proto::END_REASON_PEER_LOST,
            "Could not look up the relay's address. Check the relay address "
            "and the network.",
            false});
  }
}

bool PeerSessionImpl::TryNextRoute(const std::string& why) {
  if (route_ + 1 >= routes_.size())
    return false;
  log::Warn("relay {} of {}, {}, failed ({}); trying the next one", route_ + 1,
            routes_.size(), RouteName(), why);
  if (dialer_ != nullptr)
    std::exchange(dialer_, nullptr)->Cancel();
  // Its OnClosed comes later and is ignored: it is no longer connection_.
  if (connection_ != nullptr)
    std::exchange(connection_, nullptr)->Close("trying the next relay");
  DialRoute(route_ + 1);
  return true;
}

void PeerSessionImpl::OnConnectTimeout() {
  const std::string why = "no answer within " +
                          std::to_string(options_.connect_timeout.count()) +
                          " ms";
  if (TryNextRoute(why))
    return;
  log::Warn("no answer from the relay within {} ms",
            options_.connect_timeout.count());
  Finish({proto::END_REASON_TIMEOUT, kNoAnswerText, false});
}

void PeerSessionImpl::OnDialed(
    Result<RelayDialer::Connected, RelayDialer::DialError> result) {
  dialer_ = nullptr;  // it deletes itself after this call
  const RelayRoute& route = routes_[route_];
  if (!result) {
    if (TryNextRoute(result.error().detail))
      return;
    log::Warn("cannot reach the relay: {}", result.error().detail);
    RelayEndpoint tried = options_.relay;
    tried.host = route.address.host;
    tried.port = route.address.port;
    Finish(EndForDialFailure(result.error(), tried, route.proxy));
    return;
  }
  TlsConnection::Options tls_options;
  tls_options.max_frame_size = kDefaultControlFrameLimit;
  tls_options.handshake_timeout = options_.connect_timeout;
  std::string error;
  connection_ =
      TlsConnection::ConnectOver(result->tcp, std::move(result->received),
                                 route.tls_config, tls_options, this, &error);
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
  if (&connection != connection_)
    return;               // left behind for the next relay of the list
  connection_ = nullptr;  // it deletes itself after this call
  if (ended_)
    return;
  // A relay that took the TCP connection but is not serving (stopped
  // mid-way, overloaded): the next one may be. A certificate or protocol
  // refusal is not tried elsewhere: the same pin or CA holds for all.
  if (!connection.tls_ready() && !connection.certificate_rejected() &&
      !connection.protocol_refused() && TryNextRoute(reason)) {
    return;
  }
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
  log::Info("session ended ({}{}): {}", proto::EndReason_Name(end.reason),
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
  std::vector<HostPort> addresses = RelayAddresses(relay);
  if (addresses.empty())
    return MakeError("The relay address is not set.");
  if (addresses.size() > kMaxRelayHosts)
    return MakeError("At most " + std::to_string(kMaxRelayHosts) +
                     " relays can be set.");
  if (options.connect_timeout.count() <= 0 ||
      options.heartbeat_interval.count() <= 0 ||
      options.peer_timeout.count() <= 0) {
    return MakeError("PeerSession timeouts must be positive");
  }
  std::string code;
  if (options.role == proto::ROLE_CUSTOMER) {
    // The relay accepts "1234 5678"; the key exchange needs the digits the
    // technician's app got, so both bind the same code.
    TETHER_TRY(normalized, crypto::NormalizeSessionCode(options.code));
    code = std::move(*normalized);
  }
  // One TLS config per relay: the same pin or CA, each relay's own name.
  std::vector<RelayRoute> routes;
  for (HostPort& address : addresses) {
    crypto::TlsClientOptions tls;
    tls.ca_file = relay.ca_file;
    tls.pinned_fingerprint = relay.fingerprint;
    // SNI carries names only; a pinned key needs no name check.
    if (!relay.ca_file.empty() || !IsIpLiteral(address.host)) {
      tls.server_name = address.host;
    }
    TETHER_TRY(tls_config, crypto::TlsConfig::CreateClient(
                               tls, crypto::RandomGenerator::Default()));
    // Read here, on the caller's thread: getenv is not safe against a
    // concurrent setenv, and the caller's thread is where the app sets them.
    auto proxy = ChooseProxy(relay.proxy, address.host, [](const char* name) {
      return std::getenv(name);
    });
    if (!proxy)
      return Unexpected(std::move(proxy).error());
    routes.push_back(
        {std::move(address), std::move(*proxy), std::move(*tls_config)});
  }

  auto session = std::make_unique<PeerSessionImpl>(
      std::move(options), observer, std::move(routes), std::move(code));
  session->StartThread();
  return std::unique_ptr<PeerSession>(std::move(session));
}

}  // namespace tether::protocol
