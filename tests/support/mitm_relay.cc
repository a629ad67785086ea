#include "tests/support/mitm_relay.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "crypto/certificate.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "protocol/messages.h"
#include "protocol/peer.pb.h"
#include "protocol/peer_plane.h"
#include "protocol/relay.pb.h"
#include "protocol/tls_connection.h"

namespace tether::test {

namespace fs = std::filesystem;
using protocol::PeerPlane;
using protocol::TlsConnection;

class MitmRelay::Impl : private TlsConnection::Delegate {
 public:
  explicit Impl(Attack attack) : attack_(attack) {}
  ~Impl() override;
  Result<void> Init();

  uint16_t port = 0;
  std::string fingerprint;
  fs::path dir;
  std::atomic<int> frames{0};
  std::atomic<int> hellos{0};
  std::atomic<int> failed_handshakes{0};
  mutable std::mutex mutex;  // guards the two SAS strings
  std::string sas_supporter;
  std::string sas_customer;

 private:
  struct Client {
    proto::Role role = proto::ROLE_UNSPECIFIED;
    bool ready = false;
  };

  void OnAccept();
  void OnTlsReady(TlsConnection& connection) override;
  void OnFrame(TlsConnection& connection, Bytes payload) override;
  void OnClosed(TlsConnection& connection, const std::string& reason) override;
  void Pair();
  void Relay(TlsConnection& to, ByteSpan envelope);
  void FromPeer(TlsConnection& from, const std::string& data);
  // The reply toward the customer, bent by the attack.
  void AnswerCustomer(const PeerPlane::Received& received,
                      const std::string& data);
  bool AttacksRecords() const { return attack_ >= Attack::kDropRecord; }
  // A supporter envelope on its way to the customer, bent by the attack.
  void ForwardToCustomer(const std::string& data);
  void Stop();

  const Attack attack_;

  std::shared_ptr<const crypto::TlsConfig> config_;
  bool loop_initialized_ = false;
  uv_loop_t loop_{};
  uv_tcp_t listener_{};
  uv_async_t stop_{};
  std::thread thread_;
  std::unordered_map<TlsConnection*, Client> clients_;
  TlsConnection* supporter_ = nullptr;
  TlsConnection* customer_ = nullptr;
  std::unique_ptr<PeerPlane> toward_supporter_;  // plays the customer
  std::unique_ptr<PeerPlane> toward_customer_;   // plays the supporter
  // Record attacks: envelopes forwarded from the supporter so far (two
  // key-exchange messages, then records), and one held back to reorder.
  int from_supporter_ = 0;
  std::string held_;
};

MitmRelay::Impl::~Impl() {
  if (thread_.joinable()) {
    uv_async_send(&stop_);
    thread_.join();
  } else if (loop_initialized_) {
    Stop();  // Init failed after the handles were made
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  if (loop_initialized_)
    uv_loop_close(&loop_);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

Result<void> MitmRelay::Impl::Init() {
  char pattern[] = "/tmp/tether-mitm-relay-XXXXXX";
  if (mkdtemp(pattern) == nullptr)
    return MakeError("mkdtemp failed");
  dir = pattern;
  auto& random = crypto::RandomGenerator::Default();
  if (auto made = crypto::CreateSelfSignedCertificate(
          dir / "mitm.crt", dir / "mitm.key", "localhost", random);
      !made) {
    return made;
  }
  auto cert = crypto::ReadPemFile(dir / "mitm.crt");
  auto key = crypto::ReadPemFile(dir / "mitm.key");
  if (!cert || !key)
    return MakeError("cannot read the MITM certificate");
  auto pin = crypto::PublicKeyFingerprint(*cert);
  if (!pin)
    return Unexpected(pin.error());
  fingerprint = *pin;
  auto config = crypto::TlsConfig::CreateServer({*cert, *key}, random);
  if (!config)
    return Unexpected(config.error());
  config_ = *config;

  uv_loop_init(&loop_);
  loop_initialized_ = true;
  uv_tcp_init(&loop_, &listener_);
  listener_.data = this;
  uv_async_init(&loop_, &stop_, [](uv_async_t* async) {
    static_cast<Impl*>(async->data)->Stop();
  });
  stop_.data = this;
  sockaddr_in address{};
  uv_ip4_addr("127.0.0.1", 0, &address);
  if (uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0) !=
          0 ||
      uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 16,
                [](uv_stream_t* server, int status) {
                  if (status == 0)
                    static_cast<Impl*>(server->data)->OnAccept();
                }) != 0) {
    return MakeError("MITM relay cannot listen");
  }
  sockaddr_storage bound{};
  int length = sizeof(bound);
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &length);
  port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  thread_ = std::thread([this] {
    sigset_t pipe;  // a client that hung up must not kill the test
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
  return {};
}

void MitmRelay::Impl::Stop() {
  for (auto& [connection, client] : clients_)
    connection->Close("test over");
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop_), nullptr);
}

void MitmRelay::Impl::OnAccept() {
  std::string error;
  TlsConnection::Options options;
  options.max_frame_size = protocol::kDefaultRelayedFrameLimit + 64;
  TlsConnection* connection =
      TlsConnection::Accept(reinterpret_cast<uv_stream_t*>(&listener_), config_,
                            options, this, &error);
  if (connection != nullptr)
    clients_[connection] = Client{};
}

void MitmRelay::Impl::OnTlsReady(TlsConnection& connection) {
  clients_[&connection].ready = true;
}

void MitmRelay::Impl::OnFrame(TlsConnection& connection, Bytes payload) {
  ++frames;
  proto::ClientMessage message;
  if (!protocol::ParsePayload(payload, message)) {
    connection.Close("malformed");
    return;
  }
  proto::RelayMessage reply;
  switch (message.body_case()) {
    case proto::ClientMessage::kHello:
      ++hellos;
      clients_[&connection].role = message.hello().role();
      if (message.hello().role() == proto::ROLE_SUPPORTER) {
        supporter_ = &connection;
      } else {
        customer_ = &connection;
      }
      reply.mutable_hello_ack()->set_protocol_version(
          proto::PROTOCOL_VERSION_CURRENT);
      reply.mutable_hello_ack()->set_organisation("Not Your IT");
      break;
    case proto::ClientMessage::kLogin:
      reply.mutable_login_result()->set_status(proto::LoginResult::STATUS_OK);
      reply.mutable_login_result()->set_display_name("Mallory");
      break;
    case proto::ClientMessage::kCreateSession:
      reply.mutable_session_created()->set_code(kCode);
      break;
    case proto::ClientMessage::kJoin:
      if (supporter_ == nullptr) {
        connection.Close("no technician");
        return;
      }
      reply.mutable_join_request()->set_code(kCode);
      reply.mutable_join_request()->set_host_name(message.join().host_name());
      reply.mutable_join_request()->set_user_name(message.join().user_name());
      (void)supporter_->SendFrame(reply);
      return;
    case proto::ClientMessage::kJoinDecision:
      if (message.join_decision().accept())
        Pair();
      return;
    case proto::ClientMessage::kRelayed:
      FromPeer(connection, message.relayed().data());
      return;
    case proto::ClientMessage::kEnd:
      connection.Close("ended");
      return;
    default:
      return;  // heartbeats and the rest need no answer
  }
  (void)connection.SendFrame(reply);
}

void MitmRelay::Impl::Pair() {
  if (customer_ == nullptr || supporter_ == nullptr)
    return;
  for (TlsConnection* c : {supporter_, customer_}) {
    c->set_max_frame_size(protocol::kDefaultRelayedFrameLimit + 64);
  }
  proto::RelayMessage joined;
  joined.mutable_joined()->set_technician_name("Mallory");
  (void)customer_->SendFrame(joined);
  proto::RelayMessage peer_joined;
  peer_joined.mutable_peer_joined()->set_host_name("pc");
  (void)supporter_->SendFrame(peer_joined);
  if (AttacksRecords())
    return;  // the apps run the key exchange themselves
  const crypto::E2eContext context{proto::PROTOCOL_VERSION_CURRENT, kCode};
  auto& random = crypto::RandomGenerator::Default();
  auto as_customer =
      PeerPlane::Create(crypto::E2eRole::kCustomer, context, random);
  auto as_supporter =
      PeerPlane::Create(crypto::E2eRole::kSupporter, context, random);
  if (!as_customer || !as_supporter)
    std::abort();  // a bug in the harness
  toward_supporter_ = std::move(*as_customer);
  toward_customer_ = std::move(*as_supporter);
  // Toward the customer the relay is the supporter: it commits first.
  auto commitment = toward_customer_->Begin();
  if (commitment)
    Relay(*customer_, *commitment);
}

void MitmRelay::Impl::Relay(TlsConnection& to, ByteSpan envelope) {
  proto::RelayMessage message;
  message.mutable_relayed()->set_data(
      std::string(envelope.begin(), envelope.end()));
  (void)to.SendFrame(message);
}

void MitmRelay::Impl::FromPeer(TlsConnection& from, const std::string& data) {
  const bool is_supporter = &from == supporter_;
  if (AttacksRecords()) {
    if (is_supporter) {
      ForwardToCustomer(data);
    } else if (supporter_ != nullptr) {
      Relay(*supporter_, AsBytes(data));
    }
    return;
  }
  PeerPlane* plane =
      is_supporter ? toward_supporter_.get() : toward_customer_.get();
  if (plane == nullptr)
    return;
  // After the exchange the relay can read everything; it just drops it.
  auto received = plane->Receive(AsBytes(data));
  if (!received)
    return;
  if (!is_supporter) {
    AnswerCustomer(*received, data);
  } else if (received->reply) {
    Relay(from, *received->reply);
  }
  if (received->secured) {
    std::lock_guard lock(mutex);
    (is_supporter ? sas_supporter : sas_customer) = plane->sas();
  }
}

void MitmRelay::Impl::AnswerCustomer(const PeerPlane::Received& received,
                                     const std::string& data) {
  if (!received.reply)
    return;
  switch (attack_) {
    case Attack::kSwapKeys:
      Relay(*customer_, *received.reply);
      return;
    case Attack::kBreakCommitment: {
      // A second supporter key, never committed to, answers the same
      // customer key.
      auto other = PeerPlane::Create(crypto::E2eRole::kSupporter,
                                     {proto::PROTOCOL_VERSION_CURRENT, kCode},
                                     crypto::RandomGenerator::Default());
      if (!other || !(*other)->Begin())
        std::abort();
      auto reveal = (*other)->Receive(AsBytes(data));
      if (!reveal || !reveal->reply)
        std::abort();
      Relay(*customer_, *reveal->reply);
      return;
    }
    case Attack::kTamperRecord: {
      Relay(*customer_, *received.reply);
      proto::PeerMessage chat;
      chat.mutable_chat()->set_text("from the relay");
      auto sealed = toward_customer_->Seal(chat);
      if (!sealed)
        std::abort();
      sealed->back() ^= 0x01;  // the last byte of the GCM tag
      Relay(*customer_, *sealed);
      return;
    }
    case Attack::kRestartKeyExchange: {
      Relay(*customer_, *received.reply);
      proto::PeerEnvelope again;
      again.mutable_key_exchange()->set_commitment(std::string(32, 'c'));
      Relay(*customer_, protocol::SerializeMessage(again));
      return;
    }
    default:
      return;  // record attacks never get here (FromPeer forwards them)
  }
}

void MitmRelay::Impl::ForwardToCustomer(const std::string& data) {
  if (customer_ == nullptr)
    return;
  // 0 and 1 are the commitment and the reveal, 2 the first record.
  constexpr int kTarget = 3;
  const int index = from_supporter_++;
  const ByteSpan bytes = AsBytes(data);
  if (index != kTarget && !(index == kTarget + 1 && !held_.empty())) {
    Relay(*customer_, bytes);
    return;
  }
  switch (attack_) {
    case Attack::kDropRecord:
      return;
    case Attack::kReorderRecords:
      if (index == kTarget) {
        held_ = data;
      } else {
        Relay(*customer_, bytes);
        Relay(*customer_, AsBytes(held_));
      }
      return;
    case Attack::kReplayRecord:
      Relay(*customer_, bytes);
      Relay(*customer_, bytes);
      return;
    case Attack::kInjectRecord: {
      proto::PeerEnvelope forged;
      if (!forged.ParseFromString(data) || forged.record().size() < 24) {
        std::abort();  // a bug in the harness: records are counter+ct+tag
      }
      std::string record = forged.record();
      Bytes noise(record.size() - 8);  // the counter stays as expected
      if (!crypto::RandomGenerator::Default().Fill(noise))
        std::abort();
      std::copy(noise.begin(), noise.end(), record.begin() + 8);
      forged.set_record(record);
      Relay(*customer_, protocol::SerializeMessage(forged));
      Relay(*customer_, bytes);
      return;
    }
    default:
      std::abort();  // key attacks never forward
  }
}

void MitmRelay::Impl::OnClosed(TlsConnection& connection,
                               const std::string& /*reason*/) {
  auto it = clients_.find(&connection);
  if (it != clients_.end()) {
    if (!it->second.ready)
      ++failed_handshakes;
    clients_.erase(it);
  }
  if (supporter_ == &connection)
    supporter_ = nullptr;
  if (customer_ == &connection)
    customer_ = nullptr;
}

Result<std::unique_ptr<MitmRelay>> MitmRelay::Start(Attack attack) {
  auto impl = std::make_unique<Impl>(attack);
  if (auto ok = impl->Init(); !ok)
    return Unexpected(ok.error());
  return std::unique_ptr<MitmRelay>(new MitmRelay(std::move(impl)));
}

MitmRelay::MitmRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MitmRelay::~MitmRelay() = default;

uint16_t MitmRelay::port() const {
  return impl_->port;
}
const std::string& MitmRelay::fingerprint() const {
  return impl_->fingerprint;
}
fs::path MitmRelay::certificate_path() const {
  return impl_->dir / "mitm.crt";
}
int MitmRelay::frames_received() const {
  return impl_->frames.load();
}
int MitmRelay::hellos_received() const {
  return impl_->hellos.load();
}
int MitmRelay::failed_handshakes() const {
  return impl_->failed_handshakes.load();
}
std::string MitmRelay::sas_with_supporter() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sas_supporter;
}
std::string MitmRelay::sas_with_customer() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sas_customer;
}

}  // namespace tether::test
