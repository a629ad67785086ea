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

// Frames at most this large are read for the messages above; what is
// larger is session traffic (Relayed) and passes unread.
constexpr size_t kMaxPeekBytes = 512;
constexpr size_t kEnvelopeOverhead = 64;

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
    // Not the customer's fault: not counted as a wrong code.
    log::Warn("cannot look up code:{}: {}", tag, found.error().message);
    client.typed_code.clear();
    client.stage = Stage::kAwaitingJoin;
    RenewDeadline(client);
    SendError(client, proto::ErrorReply::CODE_UNAVAILABLE,
              std::string(kClusterUnavailableText), 30);
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
  auto it = lookups_waiting_.find(source);
  if (it == lookups_waiting_.end())
    return;
  while (!it->second.empty()) {
    Client* client = FindById(it->second.front());
    it->second.pop_front();
    if (client == nullptr || client->stage != Stage::kJoinLookup)
      continue;  // left meanwhile
    if (it->second.empty())
      lookups_waiting_.erase(it);
    // Checked again now: the verdicts on the earlier ones may have locked
    // this source out.
    ApplyJoinDecision(*client, join_guard_.Check(source));
    return;
  }
  lookups_waiting_.erase(it);
}

void Broker::StartForward(Client& client,
                          const std::string& relay_id,
                          Result<ForwardLink*> link) {
  if (!link) {
    log::Warn("cannot hand code:{} over to relay {}: {}", client.code_tag,
              relay_id, link.error().message);
    client.typed_code.clear();
    client.stage = Stage::kAwaitingJoin;
    RenewDeadline(client);
    SendError(client, proto::ErrorReply::CODE_UNAVAILABLE, kUnreachableText,
              30);
    return;
  }
  client.forward = *link;
  client.forward_joined = false;
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
  if (payload.size() <= kMaxPeekBytes) {
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
  if (payload.size() <= kMaxPeekBytes) {
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
        client->stage = Stage::kAwaitingJoin;
        RenewDeadline(*client);
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
    client->stage = Stage::kAwaitingJoin;
    RenewDeadline(*client);
    SendError(*client, proto::ErrorReply::CODE_UNAVAILABLE, kUnreachableText,
              30);
    return;
  }
  EndClient(*client, proto::END_REASON_PEER_LOST, kRelayLostText);
}

}  // namespace tether::relay
