#include "relay/broker/broker.h"

#include <algorithm>
#include <vector>

#include "base/log.h"
#include "base/utf8.h"
#include "crypto/random.h"
#include "protocol/messages.h"
#include "protocol/relay.pb.h"
#include "protocol/session_end.h"
#include "relay/broker/broker_client.h"
#include "relay/cluster/cluster.h"
#include "relay/limits/source_key.h"

namespace tether::relay {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kMaxJoinAttemptsPerConnection = 3;

constexpr size_t kMaxDisplayNameBytes = 64;
// Room for the ClientMessage/Relayed envelope around relayed bytes.
constexpr size_t kEnvelopeOverhead = 64;

// Host and user names come from the customer's machine and are shown to the
// technician: keep them short and printable. They are valid UTF-8 (the
// parser checks proto3 strings), so cut at a character boundary: half a
// character would make the JoinRequest unparseable for the technician.
std::string CleanName(const std::string& name) {
  std::string out;
  for (char c : CutUtf8(name, kMaxDisplayNameBytes)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

}  // namespace

Broker::Broker(const RelayConfig& config,
               const Clock& clock,
               AccountService& accounts,
               StoreWriter& store,
               SourceRowBudget& rows_budget,
               RelayMetrics& metrics,
               crypto::RandomGenerator& random,
               Cluster* cluster)
    : config_(config),
      clock_(clock),
      accounts_(accounts),
      store_(store),
      rows_budget_(rows_budget),
      metrics_(metrics),
      cluster_(cluster),
      codes_(random, cluster != nullptr ? cluster->tag_key() : Bytes()),
      join_guard_(config.join_guard, clock) {
  last_heartbeat_ = clock_.SteadyNow();
}

Broker::~Broker() {
  // Their callbacks name this broker.
  for (auto& [link, client] : clients_) {
    if (client->forward != nullptr)
      std::exchange(client->forward, nullptr)->Close("the relay is stopping");
  }
}

Broker::Client* Broker::Find(ClientLink& link) {
  auto it = clients_.find(&link);
  return it == clients_.end() ? nullptr : it->second.get();
}

Broker::Client* Broker::FindById(uint64_t id) {
  auto it = clients_by_id_.find(id);
  return it == clients_by_id_.end() ? nullptr : it->second;
}

void Broker::OnConnected(ClientLink& link, const std::string& forwarded_from) {
  auto client = std::make_unique<Client>();
  client->id = next_client_id_++;
  client->link = &link;
  client->connected_at = clock_.WallNow();
  client->connected_steady = clock_.SteadyNow();
  client->source_key = SourceOf(link.peer_address());
  client->signin_deadline =
      client->connected_steady + config_.timeouts.unauthenticated_idle;
  link.set_max_frame_size(config_.limits.signin_frame_max);
  link.SetDeadline(duration_cast<milliseconds>(config_.timeouts.first_message),
                   "no Hello within the first-message deadline");
  if (!forwarded_from.empty()) {
    // Greeted by the relay the customer reached; its Join comes next.
    client->forwarded_from = forwarded_from;
    client->role = proto::ROLE_CUSTOMER;
    client->stage = Stage::kAwaitingJoin;
    RenewDeadline(*client);
  }
  if (shutting_down_) {
    link.Close("relay is shutting down");
  }
  clients_by_id_[client->id] = client.get();
  clients_[&link] = std::move(client);
}

void Broker::OnFrame(ClientLink& link, ByteSpan payload) {
  Client* client = Find(link);
  if (client == nullptr || client->stage == Stage::kEnded)
    return;
  if (client->stage == Stage::kForwarded) {
    ForwardFromCustomer(*client, payload);
    return;
  }
  proto::ClientMessage message;
  if (auto parsed = protocol::ParsePayload(payload, message); !parsed) {
    SendError(*client, proto::ErrorReply::CODE_MALFORMED,
              parsed.error().message);
    EndClient(*client, proto::END_REASON_PROTOCOL_ERROR, "malformed message");
    return;
  }
  if (client->stage == Stage::kAwaitingHello &&
      message.body_case() != proto::ClientMessage::kHello) {
    ProtocolViolation(*client, "the first message must be Hello");
    return;
  }
  RenewDeadline(*client);
  switch (message.body_case()) {
    case proto::ClientMessage::kHello:
      HandleHello(*client, message);
      break;
    case proto::ClientMessage::kLogin:
      HandleLogin(*client, message);
      break;
    case proto::ClientMessage::kChangePassword:
      HandleChangePassword(*client, message);
      break;
    case proto::ClientMessage::kCreateSession:
      HandleCreateSession(*client);
      break;
    case proto::ClientMessage::kCancelSession:
      HandleCancelSession(*client, message);
      break;
    case proto::ClientMessage::kJoin:
      HandleJoin(*client, message);
      break;
    case proto::ClientMessage::kJoinDecision:
      HandleJoinDecision(*client, message);
      break;
    case proto::ClientMessage::kRelayed:
      HandleRelayed(*client, message);
      break;
    case proto::ClientMessage::kHeartbeat:
      break;  // the deadline was renewed
    case proto::ClientMessage::kEnd:
      HandleEnd(*client, message);
      break;
    case proto::ClientMessage::BODY_NOT_SET:
      ProtocolViolation(*client, "empty message");
      break;
  }
  // A client that keeps asking but reads none of the answers must not grow
  // its own queue without bound either: stop reading it until it drains
  // (its deadline then runs out if it never does). Paired clients get no
  // answers; their queues are the peer's backpressure (HandleRelayed).
  if (client->stage != Stage::kEnded && client->stage != Stage::kPaired &&
      !client->paused_for_self &&
      link.pending_output() > config_.limits.outbound_queue) {
    client->paused_for_self = true;
    link.PauseReading();
  }
}

void Broker::HandleCreateSession(Client& client) {
  if (client.stage != Stage::kSupporter) {
    ProtocolViolation(client, "CreateSession needs a signed-in technician");
    return;
  }
  if (client.account_role == AccountRole::kAuditor) {
    SendError(client, proto::ErrorReply::CODE_NOT_ALLOWED,
              "Auditor accounts cannot start support sessions.");
    return;
  }
  const size_t waiting = codes_.CountFor(client.account);
  if (waiting >= config_.limits.waiting_codes_per_technician) {
    SendError(client, proto::ErrorReply::CODE_TOO_MANY_SESSIONS,
              "You already have " + std::to_string(waiting) +
                  " codes waiting; cancel one or let it expire first.");
    return;
  }
  IssueCode(client, 1);
}

void Broker::IssueCode(Client& client, int attempt) {
  const auto lifetime = config_.timeouts.code_expiry;
  auto issued =
      codes_.Issue(client.id, client.account, clock_.SteadyNow() + lifetime);
  if (!issued) {
    SendError(client, proto::ErrorReply::CODE_INTERNAL, issued.error().message);
    return;
  }
  if (cluster_ == nullptr) {
    SendSessionCreated(client, issued->tag, issued->code);
    return;
  }
  // The other relays must find it before the technician can read it out.
  cluster_->PublishCode(
      issued->tag, duration_cast<milliseconds>(lifetime),
      [this, id = client.id, issued = *issued, attempt](Result<bool> done) {
        Client* c = FindById(id);
        const bool waiting = codes_.FindTag(issued.tag) != nullptr;
        if (c == nullptr || !waiting || c->stage != Stage::kSupporter) {
          if (done && *done)
            cluster_->WithdrawCode(issued.tag);
          codes_.Remove(issued.tag);
          return;
        }
        if (done && *done) {
          SendSessionCreated(*c, issued.tag, issued.code);
          return;
        }
        codes_.Remove(issued.tag);
        if (done && attempt < 3) {
          IssueCode(*c, attempt + 1);  // another relay holds this code
          return;
        }
        log::Warn("cannot publish a session code: {}",
                  done ? "every code tried is taken" : done.error().message);
        SendError(*c, proto::ErrorReply::CODE_UNAVAILABLE,
                  std::string(kClusterUnavailableText), 30);
      });
}

void Broker::SendSessionCreated(Client& client,
                                const std::string& tag,
                                const std::string& code) {
  proto::RelayMessage reply;
  reply.mutable_session_created()->set_code(code);
  reply.mutable_session_created()->set_expires_at_unix(
      duration_cast<seconds>(
          (clock_.WallNow() + config_.timeouts.code_expiry).time_since_epoch())
          .count());
  client.link->Send(reply);
  ++metrics_.sessions_created;
  store_.Audit(client.account, "session.create", "code:" + tag, "");
  log::Info("{} created session code:{}", client.account, tag);
  UpdateGauges();
}

void Broker::HandleCancelSession(Client& client,
                                 const proto::ClientMessage& message) {
  if (client.stage != Stage::kSupporter) {
    ProtocolViolation(client, "CancelSession needs a signed-in technician");
    return;
  }
  std::string tag;
  const SessionCodeBook::Entry* waiting =
      codes_.Find(message.cancel_session().code(), &tag);
  if (waiting == nullptr || waiting->supporter_id != client.id) {
    SendError(client, proto::ErrorReply::CODE_INVALID_CODE,
              "You have no waiting session with that code.");
    return;
  }
  if (Client* joiner = FindById(waiting->joiner_id)) {
    EndClient(*joiner, proto::END_REASON_CODE_EXPIRED,
              "The technician cancelled this session.");
  }
  store_.Audit(client.account, "session.cancel", "code:" + tag, "");
  RemoveCode(tag, "cancelled");
}

void Broker::HandleJoin(Client& client, const proto::ClientMessage& message) {
  if (client.stage != Stage::kAwaitingJoin) {
    ProtocolViolation(client, "Join not allowed now");
    return;
  }
  // A relay hands a customer over for one code: more Joins on that link
  // would be guesses no guard counts.
  if (!client.forwarded_from.empty() && client.join_attempts > 0) {
    ProtocolViolation(client, "one Join per handed-over customer");
    return;
  }
  if (++client.join_attempts > kMaxJoinAttemptsPerConnection) {
    EndClient(client, proto::END_REASON_PROTOCOL_ERROR,
              "too many join attempts on one connection");
    return;
  }
  const proto::Join& join = message.join();
  client.host_name = CleanName(join.host_name());
  client.user_name = CleanName(join.user_name());
  client.typed_code = join.code().substr(0, 64);

  // A customer handed over by another relay passed that relay's guard.
  ApplyJoinDecision(client, client.forwarded_from.empty()
                                ? join_guard_.Check(client.source_key)
                                : JoinDecision{});
}

void Broker::ApplyJoinDecision(Client& client, const JoinDecision& decision) {
  switch (decision.action) {
    case JoinDecision::Action::kRefuse: {
      ++metrics_.joins_refused;
      const auto minutes = (decision.wait.count() + 59) / 60;
      SendError(client, proto::ErrorReply::CODE_RATE_LIMITED,
                "Too many wrong codes were tried from your network. Please "
                "try again in " +
                    std::to_string(minutes) +
                    (minutes == 1 ? " minute." : " minutes."),
                static_cast<uint32_t>(decision.wait.count()));
      EndClient(client, proto::END_REASON_PROTOCOL_ERROR, "join rate limited");
      return;
    }
    case JoinDecision::Action::kDelay:
      client.stage = Stage::kJoinDelayed;
      client.join_at = clock_.SteadyNow() + decision.wait;
      return;
    case JoinDecision::Action::kAllow:
      LookUpCode(client);
      return;
  }
}

void Broker::LookUpCode(Client& client) {
  std::string tag;
  SessionCodeBook::Entry* waiting = codes_.Find(client.typed_code, &tag);
  if (waiting == nullptr && cluster_ != nullptr && !tag.empty() &&
      client.forwarded_from.empty()) {
    FindElsewhere(client, tag);  // another relay may hold it
    return;
  }
  client.typed_code.clear();
  const bool usable = waiting != nullptr && waiting->joiner_id == 0 &&
                      waiting->expires > clock_.SteadyNow() &&
                      FindById(waiting->supporter_id) != nullptr;
  if (!usable) {
    RefuseCode(client);
    return;
  }
  waiting->joiner_id = client.id;
  client.code_tag = tag;
  client.stage = Stage::kJoinPending;
  RenewDeadline(client);  // joined: heartbeats from now on
  Client* supporter = FindById(waiting->supporter_id);
  proto::RelayMessage request;
  auto* join_request = request.mutable_join_request();
  join_request->set_code(waiting->code);
  join_request->set_host_name(client.host_name);
  join_request->set_user_name(client.user_name);
  join_request->set_source_address(client.link->peer_address());
  supporter->link->Send(request);
  log::Info("customer from {} asks to join code:{}",
            client.link->peer_address(), client.code_tag);
}

void Broker::RefuseCode(Client& client) {
  // Unknown, expired, used and malformed codes get the same answer.
  RecordJoinFailure(client);
  ++metrics_.joins_failed;
  client.stage = Stage::kAwaitingJoin;
  SendError(client, proto::ErrorReply::CODE_INVALID_CODE,
            "This code is not valid. Check the 8 digits with your "
            "technician: a code works once and expires after a few "
            "minutes.");
}

void Broker::RecordJoinFailure(const Client& client) {
  // A customer handed over here was counted by the relay it reached.
  if (!client.forwarded_from.empty())
    return;
  join_guard_.RecordFailure(client.source_key);
  if (cluster_ != nullptr)
    cluster_->ShareJoinFailure(client.source_key);
}

void Broker::OnJoinFailureElsewhere(const std::string& source_key) {
  join_guard_.RecordFailure(source_key);
  UpdateGauges();
}

void Broker::HandleJoinDecision(Client& client,
                                const proto::ClientMessage& message) {
  if (client.stage != Stage::kSupporter) {
    ProtocolViolation(client, "JoinDecision needs a signed-in technician");
    return;
  }
  std::string tag;
  const SessionCodeBook::Entry* waiting =
      codes_.Find(message.join_decision().code(), &tag);
  Client* customer =
      waiting == nullptr ? nullptr : FindById(waiting->joiner_id);
  // A customer that already left (its link still closing) is not waiting.
  if (customer == nullptr || customer->stage != Stage::kJoinPending ||
      waiting->supporter_id != client.id) {
    SendError(client, proto::ErrorReply::CODE_NOT_ALLOWED,
              "No customer is waiting on that code.");
    return;
  }
  if (message.join_decision().accept()) {
    Pair(client, *customer, tag);
    return;
  }
  store_.Audit(client.account, "session.reject", "code:" + tag,
               "customer " + customer->user_name + "@" + customer->host_name +
                   " from " + customer->link->peer_address());
  EndClient(*customer, proto::END_REASON_JOIN_REJECTED,
            "The technician did not accept this connection.");
  RemoveCode(tag, "rejected");
}

void Broker::Pair(Client& supporter, Client& customer, const std::string& tag) {
  codes_.Remove(tag);
  WithdrawCode(tag);
  // A console runs one session at a time: its other codes end here.
  for (const std::string& other : codes_.TagsOf(supporter.id)) {
    if (Client* joiner = FindById(codes_.FindTag(other)->joiner_id)) {
      EndClient(*joiner, proto::END_REASON_CODE_EXPIRED,
                "The technician is busy with another session.");
    }
    RemoveCode(other, "technician busy");
  }

  const auto now = clock_.SteadyNow();
  for (Client* c : {&supporter, &customer}) {
    c->stage = Stage::kPaired;
    c->code_tag = tag;
    c->paired_at = now;
    c->paired_wall = clock_.WallNow();
    c->link->set_max_frame_size(config_.limits.relayed_frame_max +
                                kEnvelopeOverhead);
    RenewDeadline(*c);
  }
  supporter.peer_id = customer.id;
  customer.peer_id = supporter.id;
  join_guard_.RecordSuccess(customer.source_key);

  proto::RelayMessage to_customer;
  to_customer.mutable_joined()->set_technician_name(supporter.display_name);
  to_customer.mutable_joined()->set_organisation(config_.server.organisation);
  customer.link->Send(to_customer);
  proto::RelayMessage to_supporter;
  to_supporter.mutable_peer_joined()->set_host_name(customer.host_name);
  to_supporter.mutable_peer_joined()->set_user_name(customer.user_name);
  supporter.link->Send(to_supporter);

  ++metrics_.sessions_paired;
  store_.Audit(supporter.account, "session.join", "code:" + tag,
               "customer " + customer.user_name + "@" + customer.host_name +
                   " from " + customer.link->peer_address());
  log::Info("session code:{} paired: {} with customer from {}", tag,
            supporter.account, customer.link->peer_address());
  UpdateGauges();
}

void Broker::HandleRelayed(Client& client, proto::ClientMessage& message) {
  if (client.stage != Stage::kPaired) {
    ProtocolViolation(client, "Relayed before pairing");
    return;
  }
  Client* peer = FindById(client.peer_id);
  if (peer == nullptr || peer->stage != Stage::kPaired)
    return;
  proto::RelayMessage forward;
  const size_t size = message.relayed().data().size();
  forward.mutable_relayed()->set_data(
      std::move(*message.mutable_relayed()->mutable_data()));
  peer->link->Send(forward);
  metrics_.bytes_relayed += size;
  // Backpressure: a peer that cannot keep up stops its sender from being
  // read, so neither queue grows past the limit by more than one read.
  if (peer->link->pending_output() > config_.limits.outbound_queue &&
      !client.paused_for_peer) {
    client.link->PauseReading();
    client.paused_for_peer = true;
    if (!peer->stuck_since)
      peer->stuck_since = clock_.SteadyNow();
    ++metrics_.backpressure_pauses;
  }
}

void Broker::OnDrained(ClientLink& link) {
  Client* client = Find(link);
  if (client == nullptr)
    return;
  client->stuck_since.reset();
  if (client->paused_for_self) {
    client->paused_for_self = false;
    if (!client->paused_for_peer)
      link.ResumeReading();
  }
  if (client->forward != nullptr && client->forward_paused) {
    client->forward_paused = false;
    client->forward->ResumeReading();
  }
  Client* peer = FindById(client->peer_id);
  if (peer != nullptr && peer->paused_for_peer) {
    peer->paused_for_peer = false;
    if (!peer->paused_for_self)
      peer->link->ResumeReading();
  }
}

void Broker::HandleEnd(Client& client, const proto::ClientMessage& message) {
  const bool stopped =
      message.end().reason() == proto::END_REASON_EMERGENCY_STOP;
  // The client first, so that its own reason is the one it is told and
  // recorded; ending the peer first would end the client as PEER_LOST.
  EndClient(
      client,
      stopped ? proto::END_REASON_EMERGENCY_STOP : proto::END_REASON_USER_ENDED,
      stopped ? "emergency stop" : "ended by the user",
      stopped ? proto::END_REASON_EMERGENCY_STOP : proto::END_REASON_PEER_ENDED,
      client.role == proto::ROLE_CUSTOMER
          ? "The customer ended the session."
          : "The technician ended the session.");
}

void Broker::EndClient(Client& client,
                       int end_reason,
                       const std::string& message,
                       int peer_reason,
                       const std::string& peer_message) {
  if (client.stage == Stage::kEnded)
    return;
  client.stage = Stage::kEnded;
  client.end_reason = message;
  proto::RelayMessage end;
  end.mutable_end()->set_reason(static_cast<proto::EndReason>(end_reason));
  end.mutable_end()->set_message(message);
  client.link->Send(end);
  client.link->Close(message);
  if (client.forward != nullptr) {
    // The technician's relay tells the technician (PEER_LOST), unless an
    // End went there first (ForwardFromCustomer).
    std::exchange(client.forward, nullptr)->Close(message);
  }
  if (Client* peer = FindById(client.peer_id)) {
    if (peer_reason == 0) {
      EndClient(*peer, proto::END_REASON_PEER_LOST,
                "The other side left the session.");
    } else {
      EndClient(*peer, peer_reason, peer_message);
    }
  }
}

std::vector<LiveSession> Broker::LiveSessions() const {
  std::vector<LiveSession> sessions;
  const auto now = clock_.SteadyNow();
  for (const auto& [link, client] : clients_) {
    if (client->stage != Stage::kPaired ||
        client->role != proto::ROLE_SUPPORTER) {
      continue;
    }
    auto peer = clients_by_id_.find(client->peer_id);
    if (peer == clients_by_id_.end())
      continue;
    const Client& customer = *peer->second;
    LiveSession s;
    s.id = client->id;
    s.technician = client->account;
    s.technician_name = client->display_name;
    s.technician_address = client->link->peer_address();
    s.customer_host = customer.host_name;
    s.customer_user = customer.user_name;
    s.customer_address = customer.link->peer_address();
    s.started_at = client->paired_wall;
    s.duration = std::chrono::duration_cast<std::chrono::seconds>(
        now - client->paired_at);
    s.bytes = client->link->bytes_received() + customer.link->bytes_received();
    sessions.push_back(std::move(s));
  }
  std::sort(
      sessions.begin(), sessions.end(),
      [](const LiveSession& a, const LiveSession& b) { return a.id < b.id; });
  return sessions;
}

bool Broker::EndSession(uint64_t id,
                        const std::string& actor,
                        const std::string& detail) {
  Client* supporter = FindById(id);
  if (supporter == nullptr || supporter->stage != Stage::kPaired ||
      supporter->role != proto::ROLE_SUPPORTER) {
    return false;
  }
  store_.Audit(actor, "session.end", supporter->code_tag, detail);
  log::Info("session {} of {} ended by {}", supporter->code_tag,
            supporter->account, actor);
  EndClient(*supporter, proto::END_REASON_ENDED_BY_IT, protocol::kEndedByItText,
            proto::END_REASON_ENDED_BY_IT, protocol::kEndedByItText);
  return true;
}

namespace {

constexpr char kAccountChangedText[] =
    "An administrator changed your account (disabled it, changed its role "
    "or its password). Sign in again if you still may.";

}  // namespace

size_t Broker::signed_in() const {
  size_t count = 0;
  for (const auto& [link, client] : clients_) {
    if (IsSignedInTechnician(*client))
      ++count;
  }
  return count;
}

bool Broker::IsSignedInTechnician(const Client& client) {
  return client.stage == Stage::kSupporter ||
         (client.stage == Stage::kPaired &&
          client.role == proto::ROLE_SUPPORTER);
}

size_t Broker::EndSignInsNotAllowed(const SignInCheck& allowed) {
  std::vector<Client*> ending;
  for (const auto& [link, client] : clients_) {
    if (IsSignedInTechnician(*client) &&
        !allowed(client->account, client->account_role,
                 client->password_changed_at)) {
      ending.push_back(client.get());
    }
  }
  for (Client* client : ending) {
    log::Info("{} signed out: the account changed", client->account);
    if (!client->code_tag.empty() && client->stage == Stage::kPaired) {
      store_.Audit("system", "session.end", client->code_tag,
                   "the technician's account changed");
    }
    EndClient(*client, proto::END_REASON_ENDED_BY_IT, kAccountChangedText,
              proto::END_REASON_ENDED_BY_IT, protocol::kEndedByItText);
  }
  return ending.size();
}

void Broker::SendError(Client& client,
                       int code,
                       const std::string& message,
                       uint32_t retry_after_seconds) {
  proto::RelayMessage reply;
  reply.mutable_error()->set_code(static_cast<proto::ErrorReply::Code>(code));
  reply.mutable_error()->set_message(message);
  reply.mutable_error()->set_retry_after_seconds(retry_after_seconds);
  client.link->Send(reply);
}

void Broker::ProtocolViolation(Client& client, const std::string& what) {
  // A real app never does this; answer clearly and hang up.
  log::Warn("closing {}: {}", client.link->peer_address(), what);
  SendError(client, proto::ErrorReply::CODE_NOT_ALLOWED, what);
  EndClient(client, proto::END_REASON_PROTOCOL_ERROR, what);
}

void Broker::RenewDeadline(Client& client) {
  const auto& t = config_.timeouts;
  switch (client.stage) {
    case Stage::kAwaitingHello:
      return;  // the first-message deadline stands
    case Stage::kAwaitingLogin:
    case Stage::kMustChangePassword:
    case Stage::kAwaitingJoin: {
      // Counted from connect (or from the right first password), whatever
      // the client sends meanwhile: heartbeats do not buy time.
      const auto left = duration_cast<milliseconds>(client.signin_deadline -
                                                    clock_.SteadyNow());
      client.link->SetDeadline(std::max(left, milliseconds(1)),
                               "did not sign in or join in time");
      return;
    }
    default:
      client.link->SetDeadline(duration_cast<milliseconds>(t.heartbeat_timeout),
                               "no heartbeat");
      return;
  }
}

void Broker::RemoveCode(const std::string& tag, const std::string& why) {
  if (codes_.Remove(tag)) {
    log::Info("session code:{} removed ({})", tag, why);
    WithdrawCode(tag);
  }
  UpdateGauges();
}

void Broker::OnDisconnected(ClientLink& link, const std::string& reason) {
  auto it = clients_.find(&link);
  if (it == clients_.end())
    return;
  Client& client = *it->second;
  if (client.forward != nullptr)
    std::exchange(client.forward, nullptr)->Close("the customer left");
  if (client.stage != Stage::kEnded) {
    client.end_reason = reason;
    client.stage = Stage::kEnded;
    if (Client* peer = FindById(client.peer_id)) {
      EndClient(*peer, proto::END_REASON_PEER_LOST,
                "The other side lost its connection.");
    }
  }
  // Codes this console issued die with it; a customer it was deciding on is
  // told; a pending customer frees the code it claimed.
  codes_.ReleaseJoiner(client.id);
  for (const std::string& tag : codes_.TagsOf(client.id)) {
    if (Client* joiner = FindById(codes_.FindTag(tag)->joiner_id)) {
      EndClient(*joiner, proto::END_REASON_PEER_LOST,
                "The technician is no longer connected.");
    }
    RemoveCode(tag, "technician disconnected");
  }

  const auto now = clock_.SteadyNow();
  ConnectionEvent event;
  event.started_at = client.connected_at;
  event.duration = duration_cast<milliseconds>(now - client.connected_steady);
  event.account = client.account;
  event.role = client.role == proto::ROLE_SUPPORTER  ? "supporter"
               : client.role == proto::ROLE_CUSTOMER ? "customer"
                                                     : "unknown";
  event.source_address = link.peer_address();
  event.code_hmac = client.code_tag;
  event.bytes_in = link.bytes_received();
  event.bytes_out = link.bytes_sent();
  event.end_reason = client.end_reason;
  log::Info("{} ({}{}) left after {} s: {}", event.source_address, event.role,
            event.account.empty() ? "" : " " + event.account,
            duration_cast<seconds>(event.duration).count(), event.end_reason);
  // Connections that never signed in or paired are bounded per source (one
  // address could otherwise add hundreds of rows a second); signed-in and
  // paired ones are always kept.
  const bool counted = !client.account.empty() || client.peer_id != 0;
  if (counted || rows_budget_.Take(client.source_key)) {
    store_.RecordEvent(std::move(event));
  }
  if (client.role == proto::ROLE_SUPPORTER && client.peer_id != 0) {
    store_.Audit(client.account, "session.end", "code:" + client.code_tag,
                 client.end_reason);
  }
  clients_by_id_.erase(client.id);
  clients_.erase(it);
  UpdateGauges();
}

void Broker::Tick() {
  const auto now = clock_.SteadyNow();

  for (const std::string& tag : codes_.ExpiredAt(now)) {
    const SessionCodeBook::Entry* expired = codes_.FindTag(tag);
    if (Client* joiner = FindById(expired->joiner_id)) {
      EndClient(*joiner, proto::END_REASON_CODE_EXPIRED,
                "The technician did not answer in time.");
    }
    store_.Audit(expired->account, "session.expire", "code:" + tag, "");
    RemoveCode(tag, "expired");
  }

  std::vector<uint64_t> due, stuck;
  for (const auto& [id, client] : clients_by_id_) {
    if (client->stage == Stage::kJoinDelayed && client->join_at <= now) {
      due.push_back(id);
    }
    // An ended client's link is closing already: dropped once, not per Tick.
    if (client->stuck_since && client->stage != Stage::kEnded &&
        now - *client->stuck_since > config_.timeouts.stuck_peer) {
      stuck.push_back(id);
    }
  }
  for (uint64_t id : due) {
    if (Client* c = FindById(id))
      LookUpCode(*c);
  }
  for (uint64_t id : stuck) {
    if (Client* c = FindById(id)) {
      ++metrics_.stuck_peers_dropped;
      log::Warn("dropping {}: stopped reading", c->link->peer_address());
      EndClient(*c, proto::END_REASON_TIMEOUT, "stopped reading");
    }
  }

  if (now - last_heartbeat_ >= config_.timeouts.heartbeat_interval) {
    last_heartbeat_ = now;
    proto::RelayMessage heartbeat;
    heartbeat.mutable_heartbeat()->set_sent_at_unix_ms(
        duration_cast<milliseconds>(clock_.WallNow().time_since_epoch())
            .count());
    // Only to clients with something to wait for: signed-in technicians,
    // customers the technician is deciding on, and paired clients. Those
    // still signing in or joining have their idle deadline instead.
    for (const auto& [id, client] : clients_by_id_) {
      if (client->stage == Stage::kSupporter ||
          client->stage == Stage::kJoinPending ||
          client->stage == Stage::kPaired) {
        client->link->Send(heartbeat);
      }
    }
    join_guard_.Prune();
  }
  for (const auto& over : rows_budget_.EndWindowIfDue()) {
    store_.Audit("system", "rows.suppressed", over.source,
                 std::to_string(over.suppressed) +
                     " rows (connections that did not sign in or join, "
                     "failed logins of unknown names) were counted, not "
                     "stored one by one");
  }

  // Counted here, once a second, rather than on every event.
  uint64_t paired = 0;
  for (const auto& [id, client] : clients_by_id_) {
    paired += client->stage == Stage::kPaired &&
              client->role == proto::ROLE_SUPPORTER;
  }
  metrics_.sessions_active = paired;
  UpdateGauges();
}

void Broker::Shutdown() {
  shutting_down_ = true;
  // Other relays must stop handing customers over for these codes now,
  // not when they expire.
  for (const auto& [tag, expires] : codes_.Expiries())
    WithdrawCode(tag);
  std::vector<uint64_t> ids;
  for (const auto& [id, client] : clients_by_id_)
    ids.push_back(id);
  for (uint64_t id : ids) {
    if (Client* c = FindById(id)) {
      // Both sides of a session hear the real reason, not PEER_LOST.
      EndClient(*c, proto::END_REASON_RELAY_SHUTDOWN,
                "The relay is shutting down.", proto::END_REASON_RELAY_SHUTDOWN,
                "The relay is shutting down.");
    }
  }
}

void Broker::UpdateGauges() {
  metrics_.sessions_waiting = codes_.size();
  metrics_.join_slow_lane = join_guard_.slow_lane() ? 1 : 0;
  metrics_.store_writes_dropped = store_.dropped();
  metrics_.store_writes_failed = store_.failed();
}

}  // namespace tether::relay
