// Broker, in a cluster: customers whose code another relay holds are
// handed over to it (relay/cluster/forward_link.h) and their frames pass
// through here, both ways, unparsed, but for the few that change what this
// relay must do: the other relay's Joined, ErrorReply and End, and the
// customer's End (STOP), which jumps the queue to the other relay.

#include <utility>

#include "base/log.h"
#include "protocol/messages.h"
#include "protocol/relay.pb.h"
#include "relay/broker/broker.h"
#include "relay/broker/broker_client.h"
#include "relay/cluster/cluster.h"
#include "relay/cluster/cluster_hello.h"

namespace tether::relay {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr size_t kEnvelopeOverhead = 64;

// The field of ClientMessage's or RelayMessage's `body` a frame holds, read
// from its first byte (each holds one, a length-delimited field numbered
// below 16): the few frames that matter here are told apart from session
// traffic (Relayed) without parsing the latter. 0 when it cannot say.
int BodyField(ByteSpan payload) {
  if (payload.empty() || (payload[0] & 0x07) != 2)
    return 0;
  return payload[0] >> 3;
}

constexpr int kJoinedField = proto::RelayMessage::kJoined;
constexpr int kErrorField = proto::RelayMessage::kError;
constexpr int kRelayEndField = proto::RelayMessage::kEnd;
constexpr int kClientEndField = proto::ClientMessage::kEnd;

constexpr char kUnreachableText[] =
    "The relay your technician is connected to cannot be reached right now. "
    "Ask your technician for a new code, or try again in a minute.";
constexpr char kRelayLostText[] =
    "The connection to your technician's relay was lost; the session has "
    "ended.";

}  // namespace

void Broker::WithdrawCode(const std::string& tag) {
  if (cluster_ != nullptr)
    cluster_->WithdrawCode(tag);
}

std::vector<std::pair<std::string, milliseconds>> Broker::WaitingCodes() const {
  std::vector<std::pair<std::string, milliseconds>> waiting;
  const auto now = clock_.SteadyNow();
  for (const auto& [tag, expires] : codes_.Expiries()) {
    if (expires > now)
      waiting.emplace_back(tag, duration_cast<milliseconds>(expires - now));
  }
  return waiting;
}

void Broker::FindElsewhere(Client& client, const std::string& tag) {
  client.stage = Stage::kJoinLookup;
  // One lookup at a time per source: JoinGuard's verdict on the first must
  // be in before the next one is checked and looked up.
  if (lookups_by_source_.count(client.source_key) > 0) {
    lookups_waiting_[client.source_key].push_back(client.id);
    return;
  }
  lookups_by_source_.Add(client.source_key);
  cluster_->FindCode(tag, [this, id = client.id, source = client.source_key,
                           tag](Result<std::optional<Cluster::Holder>> found) {
    lookups_by_source_.Remove(source);
    if (Client* c = FindById(id);
        c != nullptr && c->stage == Stage::kJoinLookup)
      OnCodeFound(*c, tag, found);
    StartNextLookup(source);
  });
}

void Broker::OnCodeFound(Client& client,
                         const std::string& tag,
                         const Result<std::optional<Cluster::Holder>>& found) {
  if (!found) {
    log::Warn("cannot look up code:{}: {}", tag, found.error().message);
    // Counted here only (it may not be the customer's fault): an outage
    // must not be a time of free guesses at this relay's own codes.
    join_guard_.RecordFailure(client.source_key);
    BackToAwaitingJoin(client);
    // Redis unavailable, or a holder this relay may not dial.
    SendError(client, proto::ErrorReply::CODE_UNAVAILABLE,
              found.error().temporary() ? std::string(kClusterUnavailableText)
                                        : std::string(kUnreachableText),
              30);
    return;
  }
  if (!found->has_value() || (*found)->relay_id == cluster_->relay_id()) {
    client.typed_code.clear();
    RefuseCode(client);
    return;
  }
  ForwardLink::Options options;
  options.watermark = config_.limits.outbound_queue;
  options.max_frame_size = config_.limits.relayed_frame_max + kEnvelopeOverhead;
  options.idle_timeout =
      duration_cast<milliseconds>(config_.timeouts.heartbeat_timeout);
  ForwardLink::Callbacks callbacks;
  const uint64_t id = client.id;
  callbacks.on_frame = [this, id](Bytes payload) {
    OnForwardFrame(id, std::move(payload));
  };
  callbacks.on_drained = [this, id] { OnForwardDrained(id); };
  callbacks.on_closed = [this, id](const std::string& reason, bool reached) {
    OnForwardClosed(id, reason, reached);
  };
  client.code_tag = tag;
  StartForward(
      client, (*found)->relay_id,
      cluster_->Forward(**found, options, std::move(callbacks),
                        SerializeClusterHello({cluster_->relay_id(),
                                               client.link->peer_address()})));
}

void Broker::StartNextLookup(const std::string& source) {
  // Until one starts a lookup again: the others may be refused by the guard
  // (the verdicts before them locked the source out), delayed, or found
  // here after all.
  while (lookups_by_source_.count(source) == 0) {
    auto it = lookups_waiting_.find(source);
    if (it == lookups_waiting_.end())
      return;
    if (it->second.empty()) {
      lookups_waiting_.erase(it);
      return;
    }
    Client* client = FindById(it->second.front());
    it->second.pop_front();
    if (client == nullptr || client->stage != Stage::kJoinLookup)
      continue;  // left meanwhile
    // Checked again now: the verdicts on the earlier ones count.
    ApplyJoinDecision(*client, join_guard_.Check(source));
  }
}

void Broker::BackToAwaitingJoin(Client& client) {
  client.typed_code.clear();
  client.forward_joined = false;
  client.forward_paused = false;
  client.stage = Stage::kAwaitingJoin;
  if (client.paused_for_peer) {
    client.paused_for_peer = false;
    if (!client.paused_for_self)
      client.link->ResumeReading();
  }
  RenewDeadline(client);
}

void Broker::StartForward(Client& client,
                          const std::string& relay_id,
                          Result<ForwardLink*> link) {
  if (!link) {
    log::Warn("cannot hand code:{} over to relay {}: {}", client.code_tag,
              relay_id, link.error().message);
    BackToAwaitingJoin(client);
    SendError(client, proto::ErrorReply::CODE_UNAVAILABLE, kUnreachableText,
              30);
    return;
  }
  client.forward = *link;
  client.forward_joined = false;
  client.forward_paused = false;
  client.stage = Stage::kForwarded;
  proto::ClientMessage join;
  join.mutable_join()->set_code(std::exchange(client.typed_code, {}));
  join.mutable_join()->set_host_name(client.host_name);
  join.mutable_join()->set_user_name(client.user_name);
  client.forward->Send(protocol::SerializeMessage(join));
  RenewDeadline(client);  // heartbeats (the technician's relay sends them)
  ++metrics_.joins_forwarded;
  log::Info("customer from {} handed over to relay {} for code:{}",
            client.link->peer_address(), relay_id, client.code_tag);
}

void Broker::ForwardFromCustomer(Client& client, ByteSpan payload) {
  if (client.forward == nullptr)
    return;
  RenewDeadline(client);
  if (BodyField(payload) == kClientEndField) {
    proto::ClientMessage message;
    if (protocol::ParsePayload(payload, message) && message.has_end()) {
      // STOP: ahead of everything still queued for the technician.
      client.forward->SendFirst(Bytes(payload.begin(), payload.end()));
      const bool stopped =
          message.end().reason() == proto::END_REASON_EMERGENCY_STOP;
      EndClient(client,
                stopped ? proto::END_REASON_EMERGENCY_STOP
                        : proto::END_REASON_USER_ENDED,
                stopped ? "emergency stop" : "ended by the user");
      return;
    }
  }
  client.forward->Send(Bytes(payload.begin(), payload.end()));
  metrics_.bytes_relayed += payload.size();
  if (client.forward->pending() > config_.limits.outbound_queue &&
      !client.paused_for_peer) {
    client.link->PauseReading();
    client.paused_for_peer = true;
    ++metrics_.backpressure_pauses;
  }
}

void Broker::OnForwardFrame(uint64_t client_id, Bytes payload) {
  Client* client = FindById(client_id);
  if (client == nullptr || client->stage != Stage::kForwarded)
    return;
  const int field = BodyField(payload);
  if (field == kJoinedField || field == kErrorField ||
      field == kRelayEndField) {
    proto::RelayMessage message;
    if (protocol::ParsePayload(payload, message)) {
      if (message.has_joined() && !client->forward_joined) {
        client->forward_joined = true;
        const size_t limit =
            config_.limits.relayed_frame_max + kEnvelopeOverhead;
        client->link->set_max_frame_size(limit);
        join_guard_.RecordSuccess(client->source_key);
        log::Info("session code:{} paired on the technician's relay",
                  client->code_tag);
      } else if (message.has_error() && !client->forward_joined) {
        // The code died there meanwhile (or the other relay refused): the
        // customer may type another, here.
        std::exchange(client->forward, nullptr)->Close("join refused there");
        BackToAwaitingJoin(*client);
        if (message.error().code() == proto::ErrorReply::CODE_INVALID_CODE) {
          RecordJoinFailure(*client);
          ++metrics_.joins_failed;
        }
        client->link->SendPayload(payload);
        return;
      } else if (message.has_end()) {
        client->link->SendPayload(payload);
        client->stage = Stage::kEnded;
        client->end_reason = message.end().message();
        std::exchange(client->forward, nullptr)->Close("the session ended");
        client->link->Close(client->end_reason);
        return;
      }
    }
  }
  client->link->SendPayload(payload);
  if (client->link->pending_output() > config_.limits.outbound_queue &&
      !client->forward_paused) {
    client->forward->PauseReading();
    client->forward_paused = true;
    if (!client->stuck_since)
      client->stuck_since = clock_.SteadyNow();
    ++metrics_.backpressure_pauses;
  }
}

void Broker::OnForwardDrained(uint64_t client_id) {
  Client* client = FindById(client_id);
  if (client == nullptr || !client->paused_for_peer)
    return;
  client->paused_for_peer = false;
  if (!client->paused_for_self)
    client->link->ResumeReading();
}

void Broker::OnForwardClosed(uint64_t client_id,
                             const std::string& reason,
                             bool reached) {
  Client* client = FindById(client_id);
  if (client == nullptr)
    return;
  client->forward = nullptr;
  if (client->stage != Stage::kForwarded)
    return;
  log::Info("the link to the technician's relay for code:{} closed: {}",
            client->code_tag, reason);
  if (!reached && !client->forward_joined) {
    BackToAwaitingJoin(*client);
    SendError(*client, proto::ErrorReply::CODE_UNAVAILABLE, kUnreachableText,
              30);
    return;
  }
  EndClient(*client, proto::END_REASON_PEER_LOST, kRelayLostText);
}

}  // namespace tether::relay
