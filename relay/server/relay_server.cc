#include "relay/server/relay_server.h"

#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <filesystem>
#include <list>
#include <optional>
#include <unordered_map>

#include "base/log.h"
#include "crypto/certificate.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "protocol/messages.h"
#include "protocol/relay.pb.h"
#include "protocol/tls_connection.h"
#include "protocol/version.h"
#include "relay/accounts/account_watch.h"
#include "relay/accounts/authenticator.h"
#include "relay/accounts/worker_account_service.h"
#include "relay/backup/backup_status.h"
#include "relay/broker/broker.h"
#include "relay/cluster/cluster.h"
#include "relay/cluster/cluster_hello.h"
#include "relay/limits/source_counts.h"
#include "relay/limits/source_key.h"
#include "relay/metrics/relay_metrics.h"
#include "relay/server/metrics_listener.h"
#include "relay/store/open_store.h"
#include "relay/store/store_writer.h"
#include "relay/web/web_connection.h"
#include "relay/web/web_console.h"
#include "relay/web/websocket.h"

namespace tether::relay {
namespace {

namespace fs = std::filesystem;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr uint64_t kTickMs = 1000;
constexpr uint64_t kPurgeIntervalMs = 24ull * 3600 * 1000;
// Rows one source may add per window without signing in (SourceRowBudget).
constexpr uint32_t kRowsPerSource = 20;
constexpr std::chrono::seconds kRowsWindow{600};

std::string LocalHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
    return "tether-relay";
  }
  return name;
}

// The last scheduled backup, as its own process left it beside the
// database: a read of a few hundred bytes per scrape. An unreadable status
// reads as "none yet", which the alert on the last success catches.
void SetBackupMetrics(const fs::path& database, RelayMetrics& metrics) {
  auto status = ReadBackupStatus(database);
  const BackupStatus last =
      status && status->has_value() ? **status : BackupStatus{};
  const auto seconds = [](int64_t time) {
    return static_cast<uint64_t>(std::max<int64_t>(time, 0));
  };
  metrics.backup_last_run_time = seconds(last.run_time);
  metrics.backup_last_run_ok = last.ok ? 1 : 0;
  metrics.backup_last_success_time = seconds(last.success_time);
  metrics.backup_last_success_bytes = last.success_bytes;
}

class ServerImpl;

// One client connection as the broker sees it (ClientLink), fed by its
// TlsConnection (Delegate). Owned by the server from accept to close.
class Link final : public ClientLink, public protocol::TlsConnection::Delegate {
 public:
  Link(ServerImpl& server, protocol::TlsConnection* connection);

  // ClientLink:
  void Send(const proto::RelayMessage& message) override;
  void SendPayload(ByteSpan payload) override;
  void Close(std::string reason) override;
  void PauseReading() override { connection_->PauseReading(); }
  void ResumeReading() override { connection_->ResumeReading(); }
  size_t pending_output() const override {
    return connection_->pending_output();
  }
  void set_max_frame_size(size_t limit) override {
    max_frame_size_ = limit;
    if (websocket)
      websocket->set_max_message(limit);
    connection_->set_max_frame_size(limit);
  }
  void SetDeadline(milliseconds timeout, std::string reason) override {
    connection_->SetDeadline(timeout, std::move(reason));
  }
  const std::string& peer_address() const override { return address_; }
  uint64_t bytes_received() const override {
    return connection_->bytes_received();
  }
  uint64_t bytes_sent() const override { return connection_->bytes_sent(); }

  // TlsConnection::Delegate:
  void OnTlsReady(protocol::TlsConnection& connection) override;
  void OnFrame(protocol::TlsConnection& connection, Bytes payload) override;
  void OnBytes(protocol::TlsConnection& connection, ByteSpan bytes) override;
  void OnDrained(protocol::TlsConnection& connection) override;
  void OnClosed(protocol::TlsConnection& connection,
                const std::string& reason) override;

  bool closing() const { return connection_->closing(); }
  void set_connection(protocol::TlsConnection* c) {
    connection_ = c;
    address_ = c->peer_address();
    source_ = SourceOf(address_);
  }
  // The IPv4 address or IPv6 /64 the per-source caps count.
  const std::string& source() const { return source_; }
  // A link from another relay of the cluster: it names, in its first
  // frame, the customer it hands over, whose address the link then takes.
  // Not counted per source (a relay speaks for many customers).
  bool from_cluster = false;
  void set_customer_address(const std::string& address) {
    address_ = address;
    source_ = SourceOf(address);
  }
  std::list<Link*>::iterator handshake_position;
  bool handshaking = false;
  bool ready = false;
  // Set when the handshake agreed on HTTP: a browser, not an app.
  std::unique_ptr<web::WebConnection> web;
  // Set when that browser upgraded to a WebSocket: a customer in a browser,
  // served by the broker like an app (one binary message = one frame).
  std::unique_ptr<web::WebSocketReader> websocket;
  void OnWebSocketBytes(ByteSpan bytes);

 private:
  ServerImpl& server_;
  protocol::TlsConnection* connection_;
  std::string address_;
  std::string source_;
  size_t max_frame_size_ = 0;
};

class ServerImpl final : public RelayServer {
 public:
  explicit ServerImpl(const RelayConfig& config)
      : config_(config),
        authenticator_config_{config.accounts.throttle, config.password_policy,
                              config.accounts.require_totp},
        frame_budget_(config.limits.frame_memory),
        rows_budget_(kRowsPerSource, kRowsWindow, Clock::System()) {
    uv_loop_init(&loop_);
  }

  ~ServerImpl() override {
    // Everything on the loop is closed by Run(); a server that never ran
    // still has its listeners and timers to close.
    CloseHandles();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  Result<void> Init(const std::string& fingerprint);
  int Run() override;
  std::vector<std::string> listening_addresses() const override {
    return addresses_;
  }

  // Called by links.
  const RelayConfig& config() const { return config_; }
  Broker& broker() { return *broker_; }
  RelayMetrics& metrics() { return metrics_; }
  void HandshakeDone(Link& link);
  void Forget(Link& link);
  // A browser's connection: served by the web console, within its caps.
  // False when it was refused (and is closing).
  bool StartWeb(Link& link, protocol::TlsConnection& connection);
  void WebClosed(Link& link);
  // A browser's upgrade to a WebSocket at /ws: from then on a broker
  // client, counted as one.
  // Returns the answer when it refuses the upgrade.
  std::optional<web::HttpResponse> StartWebSocket(
      Link& link,
      protocol::TlsConnection& connection,
      const web::HttpRequest& request,
      Bytes rest);
  // Browsers get the apps' first-message and idle deadlines per request.
  web::WebConnection::Options WebOptions() const;

 private:
  // Binds and listens; returns the address as bound ("127.0.0.1:8443").
  Result<std::string> Listen(const ListenAddress& address, bool cluster);
  void OnConnection(uv_stream_t* listener);
  void OnClusterConnection(uv_stream_t* listener);
  // Accepts, counts and caps a connection; null when refused.
  Link* Accept(uv_stream_t* listener,
               std::shared_ptr<const crypto::TlsConfig> tls,
               bool from_cluster);
  Result<void> StartCluster(const std::string& certificate,
                            const std::string& key,
                            const std::string& fingerprint);
  void Shutdown(const char* why);
  void CloseHandles();

  RelayConfig config_;
  uv_loop_t loop_;
  std::shared_ptr<const crypto::TlsConfig> tls_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreWriter> writer_;
  RelayMetrics metrics_;
  AuthenticatorConfig authenticator_config_;
  protocol::FrameMemoryBudget frame_budget_;  // outlives every connection
  SourceRowBudget rows_budget_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<Cluster> cluster_;  // [cluster]; outlives the broker
  std::unique_ptr<Broker> broker_;
  // After the broker: destroyed first, so no login callback reaches a
  // destroyed broker.
  std::unique_ptr<WorkerAccountService> accounts_;
  std::unique_ptr<MetricsListener> metrics_listener_;
  std::unique_ptr<web::WebConsole> web_;  // when web.enabled
  // Last: its reads call back into the broker and the web console.
  std::unique_ptr<AccountWatch> account_watch_;

  std::vector<uv_tcp_t*> listeners_;
  std::vector<std::string> addresses_;
  uv_timer_t tick_{};
  uv_timer_t purge_{};
  uv_signal_t sigterm_{};
  uv_signal_t sigint_{};
  bool handles_open_ = false;
  bool shutting_down_ = false;

  std::unordered_map<Link*, std::unique_ptr<Link>> links_;
  std::list<Link*> handshaking_;  // oldest first
  SourceCounts handshakes_by_source_;
  SourceCounts links_by_source_;
  SourceCounts web_by_source_;
  size_t web_links_ = 0;
};

Link::Link(ServerImpl& server, protocol::TlsConnection* connection)
    : server_(server), connection_(connection) {}

void Link::Send(const proto::RelayMessage& message) {
  if (connection_->closing())
    return;
  if (websocket) {
    const Bytes payload = protocol::SerializeMessage(message);
    if (payload.size() > max_frame_size_) {
      log::Warn("cannot send to {}: message over the frame limit", address_);
      return;
    }
    (void)connection_->SendBytes(
        web::WebSocketFrame(web::WebSocketOpcode::kBinary, payload));
    return;
  }
  if (auto sent = connection_->SendFrame(message); !sent) {
    log::Warn("cannot send to {}: {}", address_, sent.error().message);
  }
}

void Link::SendPayload(ByteSpan payload) {
  if (connection_->closing())
    return;
  if (websocket) {
    (void)connection_->SendBytes(
        web::WebSocketFrame(web::WebSocketOpcode::kBinary, payload));
    return;
  }
  if (auto sent = connection_->SendPayload(payload); !sent) {
    log::Warn("cannot send to {}: {}", address_, sent.error().message);
  }
}

void Link::Close(std::string reason) {
  if (websocket && !connection_->closing()) {
    (void)connection_->SendBytes(
        web::WebSocketCloseFrame(web::WebSocketClose::kNormal));
  }
  connection_->Close(reason);
}

void Link::OnWebSocketBytes(ByteSpan bytes) {
  if (auto fed = websocket->Feed(bytes); !fed) {
    (void)connection_->SendBytes(web::WebSocketCloseFrame(websocket->error()));
    connection_->Close("WebSocket: " + fed.error().message);
    return;
  }
  while (!connection_->closing()) {
    auto event = websocket->Next();
    if (!event) {
      (void)connection_->SendBytes(
          web::WebSocketCloseFrame(websocket->error()));
      connection_->Close("WebSocket: " + event.error().message);
      return;
    }
    if (!event->has_value())
      return;
    using Kind = web::WebSocketReader::Event::Kind;
    switch ((*event)->kind) {
      case Kind::kMessage:
        server_.broker().OnFrame(*this, (*event)->payload);
        break;
      case Kind::kPing:
        (void)connection_->SendBytes(web::WebSocketFrame(
            web::WebSocketOpcode::kPong, (*event)->payload));
        break;
      case Kind::kPong:
        break;
      case Kind::kClose:
        // The browser left (its page closed, or STOP): as an app's close.
        connection_->Close("the browser closed the WebSocket");
        return;
    }
  }
}

void Link::OnTlsReady(protocol::TlsConnection& connection) {
  server_.HandshakeDone(*this);
  if (from_cluster) {
    connection.SetDeadline(
        duration_cast<milliseconds>(server_.config().timeouts.first_message),
        "no ClusterHello from the other relay");
    return;  // ready once its first frame names the customer
  }
  if (connection.alpn() == crypto::kAlpnHttp11) {
    server_.StartWeb(*this, connection);
    return;
  }
  ready = true;
  server_.broker().OnConnected(*this);
}

void Link::OnBytes(protocol::TlsConnection&, ByteSpan bytes) {
  if (websocket)
    OnWebSocketBytes(bytes);
  else if (web)
    web->OnBytes(bytes);
}

void Link::OnFrame(protocol::TlsConnection& connection, Bytes payload) {
  if (from_cluster && !ready) {
    auto hello = ParseClusterHello(payload);
    if (!hello) {
      log::Warn("{}: {}", connection.peer_address(), hello.error().message);
      connection.Close(hello.error().message);
      return;
    }
    log::Info("relay {} at {} hands over a customer from {}", hello->relay_id,
              connection.peer_address(), hello->customer_address);
    set_customer_address(hello->customer_address);
    ready = true;
    ++server_.metrics().joins_forwarded_in;
    server_.broker().OnConnected(*this, hello->relay_id);
    return;
  }
  server_.broker().OnFrame(*this, payload);
}

void Link::OnDrained(protocol::TlsConnection&) {
  if (web && !websocket) {
    web->OnDrained();
    return;
  }
  server_.broker().OnDrained(*this);
}

void Link::OnClosed(protocol::TlsConnection& connection,
                    const std::string& reason) {
  if (web && !websocket) {
    server_.WebClosed(*this);
  } else if (ready) {
    server_.broker().OnDisconnected(*this, reason);
  } else {
    server_.HandshakeDone(*this);
    ++server_.metrics().handshakes_failed;
    log::Info("{}: {}", connection.peer_address(), reason);
  }
  server_.Forget(*this);  // deletes this
}

Result<void> ServerImpl::Init(const std::string& fingerprint) {
  auto cert = crypto::ReadPemFile(config_.tls.certificate);
  if (!cert)
    return Unexpected(cert.error());
  auto key = crypto::ReadPemFile(config_.tls.private_key);
  if (!key)
    return Unexpected(key.error());
  crypto::TlsServerOptions tls_options{*cert, *key, config_.tls.min_version,
                                       config_.tls.cipher_suites};
  // Browsers ask for HTTP; apps for Tether's own id, or (before 0.3) none.
  if (config_.web.enabled)
    tls_options.alpn.emplace_back(crypto::kAlpnHttp11);
  auto tls = crypto::TlsConfig::CreateServer(
      tls_options, crypto::RandomGenerator::Default());
  if (!tls)
    return Unexpected(tls.error());
  tls_ = *tls;

  auto store = OpenStore(config_.store, Clock::System(), StoreUser::kRelay);
  if (!store)
    return Unexpected(store.error());
  log::Info("store: {}", DescribeStore(config_.store));
  store_ = std::move(*store);
  writer_ = std::make_unique<StoreWriter>(*store_);
  writer_->PurgeEventsBefore(Clock::System().WallNow() -
                             config_.store.event_retention);

  uv_timer_init(&loop_, &tick_);
  uv_timer_init(&loop_, &purge_);
  uv_signal_init(&loop_, &sigterm_);
  uv_signal_init(&loop_, &sigint_);
  tick_.data = purge_.data = sigterm_.data = sigint_.data = this;
  handles_open_ = true;

  if (config_.cluster.enabled()) {
    TETHER_RETURN_IF_ERROR(StartCluster(*cert, *key, fingerprint));
    authenticator_config_.unknown_name_key = cluster_->tag_key();
  }
  authenticator_ = std::make_unique<Authenticator>(
      *store_, *writer_, rows_budget_, authenticator_config_, Clock::System());
  accounts_ = std::make_unique<WorkerAccountService>(
      &loop_, *authenticator_, config_.limits.concurrent_password_hashes);
  broker_ = std::make_unique<Broker>(
      config_, Clock::System(), *accounts_, *writer_, rows_budget_, metrics_,
      crypto::RandomGenerator::Default(), cluster_.get());
  if (cluster_) {
    Cluster::Events events;
    events.waiting_codes = [this] { return broker_->WaitingCodes(); };
    events.on_join_failure = [this](const std::string& source) {
      broker_->OnJoinFailureElsewhere(source);
    };
    events.on_unknown_name = [this](const std::string& name_key) {
      authenticator_->CountUnknownNameElsewhere(name_key);
    };
    events.on_accounts_changed = [this] {
      if (account_watch_)
        account_watch_->CheckNow();
    };
    events.sessions_json = [this] {
      return web::LiveSessionsJson(broker_->LiveSessions(),
                                   config_.cluster.relay_id);
    };
    events.on_end_session = [this](uint64_t id, const std::string& actor,
                                   const std::string& detail) {
      broker_->EndSession(id, actor, detail);
    };
    accounts_->set_on_unknown_name([this](const std::string& name_key) {
      cluster_->ShareUnknownName(name_key);
    });
    cluster_->Start(std::move(events));
  }

  if (config_.web.enabled) {
    auto not_after = crypto::CertificateNotAfter(*cert);
    web::WebConsole::Parts parts;
    parts.config = &config_;
    parts.loop = &loop_;
    parts.store = store_.get();
    parts.audit = writer_.get();
    parts.accounts = accounts_.get();
    parts.broker = broker_.get();
    parts.cluster = cluster_.get();
    parts.on_accounts_changed = [this] {
      if (account_watch_)
        account_watch_->CheckNow();
      if (cluster_)
        cluster_->ShareAccountsChanged();
    };
    parts.metrics = &metrics_;
    parts.clock = &Clock::System();
    parts.random = &crypto::RandomGenerator::Default();
    parts.fingerprint = fingerprint;
    parts.certificate_not_after = not_after.value_or("");
    auto console = web::WebConsole::Create(parts);
    if (!console)
      return Unexpected(console.error());
    web_ = std::move(*console);
  }

  // Sign-ins in both the apps and the web console end when their account
  // changes, whoever changed it (the CLI, another relay on PostgreSQL).
  account_watch_ = std::make_unique<AccountWatch>(
      &loop_, *store_,
      [this] {
        return broker_->signed_in() > 0 || (web_ && web_->signed_in() > 0);
      },
      [this](const std::vector<Account>& accounts) {
        const SignInCheck allowed = [&](std::string_view user, AccountRole role,
                                        Clock::WallTime password_changed_at) {
          return SignInStillAllowed(accounts, user, role, password_changed_at);
        };
        broker_->EndSignInsNotAllowed(allowed);
        if (web_)
          web_->EndSignInsNotAllowed(allowed);
      });

  for (const ListenAddress& address : config_.server.listen) {
    auto listening = Listen(address, /*cluster=*/false);
    if (!listening) {
      // One family missing (no IPv6 on this host) is survivable.
      log::Warn("{}", listening.error().message);
      continue;
    }
    addresses_.push_back(*listening);
  }
  if (addresses_.empty()) {
    return MakeError("could not listen on any configured address");
  }
  if (config_.metrics.enabled) {
    auto metrics = MetricsListener::Create(
        &loop_, config_.metrics.listen.host, config_.metrics.listen.port,
        [this] {
          metrics_.frames_refused_memory = frame_budget_.refused();
          metrics_.frame_memory_used =
              config_.limits.frame_memory - frame_budget_.available();
          metrics_.web_connections_open = web_links_;
          if (web_) {
            metrics_.web_sessions = web_->signed_in();
            metrics_.web_requests = web_->requests();
            metrics_.web_requests_throttled = web_->requests_throttled();
          }
          SetBackupMetrics(config_.store.database, metrics_);
          if (cluster_) {
            metrics_.cluster_redis_up = cluster_->redis_up() ? 1 : 0;
            metrics_.cluster_relays_alive = cluster_->relays_alive();
          }
          return RenderPrometheus(metrics_);
        });
    if (!metrics)
      return Unexpected(metrics.error());
    metrics_listener_ = std::move(*metrics);
  }
  writer_->Audit(
      "system", "relay.start", "",
      protocol::VersionLine("tether-relay") + ", certificate " + fingerprint);
  return {};
}

Result<void> ServerImpl::StartCluster(const std::string& certificate,
                                      const std::string& key,
                                      const std::string& fingerprint) {
  const ClusterConfig& config = config_.cluster;
  auto listening = Listen(config.listen, /*cluster=*/true);
  if (!listening)
    return Unexpected(listening.error());
  Cluster::Parts parts;
  parts.config = &config;
  parts.certificate_pem = certificate;
  parts.private_key_pem = key;
  parts.fingerprint = fingerprint;
  parts.listening_address = *listening;
  auto cluster = Cluster::Create(&loop_, std::move(parts));
  if (!cluster)
    return Unexpected(cluster.error());
  cluster_ = std::move(*cluster);
  log::Info(
      "cluster: relay {}, Redis at {}; the other relays reach it on {}",
      config.relay_id, config.redis,
      config.advertise.host.empty() ? *listening : config.advertise.ToString());
  return {};
}

Result<std::string> ServerImpl::Listen(const ListenAddress& address,
                                       bool cluster) {
  sockaddr_storage storage{};
  int ret = address.ipv6()
                ? uv_ip6_addr(address.host.c_str(), address.port,
                              reinterpret_cast<sockaddr_in6*>(&storage))
                : uv_ip4_addr(address.host.c_str(), address.port,
                              reinterpret_cast<sockaddr_in*>(&storage));
  if (ret != 0)
    return MakeError("bad listen address " + address.ToString());
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(&loop_, tcp);
  tcp->data = this;
  listeners_.push_back(tcp);
  // IPv6 sockets only take IPv6, so "[::]" and "0.0.0.0" can share a port.
  ret = uv_tcp_bind(tcp, reinterpret_cast<sockaddr*>(&storage),
                    address.ipv6() ? UV_TCP_IPV6ONLY : 0);
  if (ret == 0) {
    ret = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), 511,
                    cluster ? [](uv_stream_t* listener, int status) {
                      auto* self = static_cast<ServerImpl*>(listener->data);
                      if (status == 0)
                        self->OnClusterConnection(listener);
                    } : [](uv_stream_t* listener, int status) {
                      auto* self = static_cast<ServerImpl*>(listener->data);
                      if (status == 0)
                        self->OnConnection(listener);
                    });
  }
  if (ret != 0) {
    return MakeError("cannot listen on " + address.ToString() + ": " +
                     uv_strerror(ret));
  }
  sockaddr_storage bound{};
  int length = sizeof(bound);
  uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &length);
  const uint16_t port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return ListenAddress{address.host, port}.ToString();
}

void ServerImpl::OnConnection(uv_stream_t* listener) {
  Accept(listener, tls_, /*from_cluster=*/false);
}

void ServerImpl::OnClusterConnection(uv_stream_t* listener) {
  Accept(listener, cluster_->server_tls(), /*from_cluster=*/true);
}

Link* ServerImpl::Accept(uv_stream_t* listener,
                         std::shared_ptr<const crypto::TlsConfig> tls,
                         bool from_cluster) {
  auto link = std::make_unique<Link>(*this, nullptr);
  link->from_cluster = from_cluster;
  protocol::TlsConnection::Options options;
  options.max_frame_size = config_.limits.signin_frame_max;
  options.frame_budget = &frame_budget_;
  options.handshake_timeout =
      duration_cast<milliseconds>(config_.timeouts.tls_handshake);
  std::string error;
  auto* connection = protocol::TlsConnection::Accept(
      listener, std::move(tls), options, link.get(), &error);
  if (connection == nullptr) {
    log::Warn("accept: {}", error);
    return nullptr;
  }
  link->set_connection(connection);
  Link& l = *link;
  links_[&l] = std::move(link);
  ++metrics_.connections_total;
  metrics_.connections_open = links_.size();
  const std::string& source = l.source();
  const uint32_t open_from_source =
      from_cluster ? 0 : links_by_source_.Add(source);

  // Never stop accepting; shed instead. A source over its connection or
  // handshake cap loses its newest attempt, so one address cannot hold the
  // relay's slots; past the global handshake cap the oldest pending
  // handshake goes, so a flood cannot hold the relay's capacity forever.
  // Links from other relays count towards the global caps only.
  if (shutting_down_ || links_.size() > config_.server.max_connections) {
    ++metrics_.handshakes_shed;
    connection->Close(shutting_down_ ? "relay is shutting down"
                                     : "relay at its connection limit");
    return nullptr;
  }
  if (open_from_source > config_.limits.connections_per_source) {
    ++metrics_.connections_shed;
    connection->Close("too many connections from " + source);
    return nullptr;
  }
  l.handshaking = true;
  l.handshake_position = handshaking_.insert(handshaking_.end(), &l);
  const uint32_t from_source =
      from_cluster ? 0 : handshakes_by_source_.Add(source);
  if (from_source > config_.limits.handshakes_per_source) {
    ++metrics_.handshakes_shed;
    connection->Close("too many handshakes from " + source);
  } else if (handshaking_.size() > config_.limits.handshakes_total) {
    // The oldest handshake that is not already being closed.
    for (Link* oldest : handshaking_) {
      if (oldest->closing())
        continue;
      ++metrics_.handshakes_shed;
      oldest->Close("too many handshakes in progress");
      break;
    }
  }
  metrics_.handshakes_in_progress = handshaking_.size();
  return &l;
}

void ServerImpl::HandshakeDone(Link& link) {
  if (!link.handshaking)
    return;
  link.handshaking = false;
  handshaking_.erase(link.handshake_position);
  if (!link.from_cluster)
    handshakes_by_source_.Remove(link.source());
  metrics_.handshakes_in_progress = handshaking_.size();
}

std::optional<web::HttpResponse> ServerImpl::StartWebSocket(
    Link& link,
    protocol::TlsConnection& connection,
    const web::HttpRequest& request,
    Bytes rest) {
  if (request.path() != "/ws")
    return web::JsonError(404, "not_found", "There is no WebSocket here.");
  // A page from another site may not open the relay's socket in the
  // visitor's browser (cross-site WebSocket hijacking).
  if (!web::OriginIsOwnSite(request)) {
    return web::JsonError(403, "forbidden",
                          "WebSockets from other sites are refused.");
  }
  auto answer = web::WebSocketHandshakeAnswer(request);
  if (!answer)
    return web::JsonError(400, "bad_request", answer.error().message);
  (void)connection.SendBytes(ByteSpan(
      reinterpret_cast<const uint8_t*>(answer->data()), answer->size()));
  // No longer a web page's connection: the broker's caps apply now.
  WebClosed(link);
  link.websocket = std::make_unique<web::WebSocketReader>(
      config_.limits.signin_frame_max, &frame_budget_);
  link.set_max_frame_size(config_.limits.signin_frame_max);
  link.ready = true;
  broker_->OnConnected(link);
  if (!rest.empty() && !connection.closing())
    link.OnWebSocketBytes(rest);
  return std::nullopt;
}

web::WebConnection::Options ServerImpl::WebOptions() const {
  web::WebConnection::Options options;
  options.first_request =
      duration_cast<milliseconds>(config_.timeouts.first_message);
  options.keep_alive =
      duration_cast<milliseconds>(config_.timeouts.unauthenticated_idle);
  return options;
}

bool ServerImpl::StartWeb(Link& link, protocol::TlsConnection& connection) {
  const uint32_t from_source = web_by_source_.Add(link.source());
  ++web_links_;
  web::WebConnection::Options options = WebOptions();
  options.on_upgrade = [this, &link, &connection](web::HttpRequest request,
                                                  Bytes rest) {
    return StartWebSocket(link, connection, request, std::move(rest));
  };
  link.web = std::make_unique<web::WebConnection>(
      connection,
      [this, address = connection.peer_address()](
          web::HttpRequest request, web::WebConnection::Respond respond) {
        web_->Handle(std::move(request), address, std::move(respond));
      },
      options);
  connection.UseAsByteStream(&link);
  if (shutting_down_ || web_ == nullptr) {
    connection.Close("relay is shutting down");
    return false;
  }
  if (from_source > config_.web.connections_per_source ||
      web_links_ > config_.web.max_connections) {
    ++metrics_.connections_shed;
    connection.Close("too many web connections from " + link.source());
    return false;
  }
  link.web->Start();
  return true;
}

void ServerImpl::WebClosed(Link& link) {
  web_by_source_.Remove(link.source());
  --web_links_;
}

void ServerImpl::Forget(Link& link) {
  if (!link.from_cluster)
    links_by_source_.Remove(link.source());
  links_.erase(&link);
  metrics_.connections_open = links_.size();
}

int ServerImpl::Run() {
  uv_timer_start(
      &tick_,
      [](uv_timer_t* t) {
        auto* self = static_cast<ServerImpl*>(t->data);
        self->broker_->Tick();
        if (self->web_)
          self->web_->Tick();
        self->account_watch_->Tick();
      },
      kTickMs, kTickMs);
  uv_timer_start(
      &purge_,
      [](uv_timer_t* t) {
        auto* self = static_cast<ServerImpl*>(t->data);
        self->writer_->PurgeEventsBefore(Clock::System().WallNow() -
                                         self->config_.store.event_retention);
      },
      kPurgeIntervalMs, kPurgeIntervalMs);
  uv_signal_start(
      &sigterm_,
      [](uv_signal_t* s, int) {
        static_cast<ServerImpl*>(s->data)->Shutdown("SIGTERM");
      },
      SIGTERM);
  uv_signal_start(
      &sigint_,
      [](uv_signal_t* s, int) {
        static_cast<ServerImpl*>(s->data)->Shutdown("SIGINT");
      },
      SIGINT);
  for (const std::string& address : addresses_) {
    log::Info("listening on {}", address);
  }
  if (metrics_listener_) {
    log::Info("metrics on http://{}/metrics", metrics_listener_->address());
  }
  if (web_) {
    log::Info("web console on https://{}/console", addresses_.front());
  }
  uv_run(&loop_, UV_RUN_DEFAULT);

  // Every connection has closed: write what is queued and fold the WAL in.
  writer_->Audit("system", "relay.stop", "", "");
  writer_.reset();
  if (auto checkpoint = store_->Checkpoint(); !checkpoint) {
    log::Error("store checkpoint: {}", checkpoint.error().message);
  }
  log::Info("stopped");
  return 0;
}

void ServerImpl::Shutdown(const char* why) {
  if (shutting_down_)
    return;
  shutting_down_ = true;
  log::Info("{}: stopping (telling {} clients)", why, links_.size());
  // The broker first: it withdraws its codes from the cluster's Redis,
  // which then closes once that is done.
  broker_->Shutdown();
  CloseHandles();
  // Connections still in their TLS handshake, and browsers, are not the
  // broker's.
  std::vector<Link*> pending(handshaking_.begin(), handshaking_.end());
  for (const auto& [link, owned] : links_) {
    if (link->web && !link->websocket)
      pending.push_back(link);
  }
  for (Link* link : pending)
    link->Close("relay is shutting down");
}

void ServerImpl::CloseHandles() {
  if (!handles_open_)
    return;
  handles_open_ = false;
  for (uv_tcp_t* tcp : listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(tcp),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }
  listeners_.clear();
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&tick_),
                         reinterpret_cast<uv_handle_t*>(&purge_),
                         reinterpret_cast<uv_handle_t*>(&sigterm_),
                         reinterpret_cast<uv_handle_t*>(&sigint_)}) {
    uv_close(h, nullptr);
  }
  if (metrics_listener_)
    metrics_listener_->Close();
  if (cluster_)
    cluster_->CloseAfterPending();
}

}  // namespace

Result<std::string> EnsureRelayCertificate(const RelayConfig& config) {
  const auto& cert = config.tls.certificate;
  const auto& key = config.tls.private_key;
  std::error_code ec;
  const bool have_cert = fs::exists(cert, ec);
  const bool have_key = fs::exists(key, ec);
  if (have_cert != have_key) {
    return MakeError("found " + (have_cert ? cert : key).string() +
                     " but not " + (have_cert ? key : cert).string() +
                     "; restore the missing file or remove both to create a "
                     "new certificate (clients must then pin the new one)");
  }
  if (!have_cert) {
    if (auto created = crypto::CreateSelfSignedCertificate(
            cert, key, LocalHostName(), crypto::RandomGenerator::Default());
        !created) {
      return Unexpected(created.error());
    }
    log::Info("created a new relay certificate {}", cert.string());
  }
  auto pem = crypto::ReadPemFile(cert);
  if (!pem)
    return Unexpected(pem.error());
  return crypto::PublicKeyFingerprint(*pem);
}

Result<std::unique_ptr<RelayServer>> RelayServer::Create(
    const RelayConfig& config) {
  auto fingerprint = EnsureRelayCertificate(config);
  if (!fingerprint)
    return Unexpected(fingerprint.error());
  log::Info("{}", protocol::VersionLine("tether-relay"));
  log::Info("certificate fingerprint (clients pin this): {}", *fingerprint);
  auto server = std::make_unique<ServerImpl>(config);
  if (auto init = server->Init(*fingerprint); !init) {
    return Unexpected(init.error());
  }
  return std::unique_ptr<RelayServer>(std::move(server));
}

}  // namespace tether::relay
