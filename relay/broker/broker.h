#pragma once

// The relay's control plane: every client's state, the waiting session
// codes, pairing, and forwarding between paired clients.
//
//   client ──Hello──► greeted ─┬─ supporter: Login ─► signed in ─►
//   CreateSession
//                              │     (ChangePassword first if required)
//                              └─ customer: Join(code) ─► waiting for the
//                                 technician's JoinDecision ─► paired
//
// Once paired, Relayed frames are forwarded to the other side unparsed. The
// broker never sees session content: it is end-to-end encrypted.
//
// In a cluster (relay/cluster/cluster.h) codes are also published in Redis;
// a customer whose code another relay holds is handed over to that relay
// (ForwardLink) and its frames pass through here unparsed, both ways; there
// it arrives as a client `forwarded_from` this relay, already greeted.
//
// Loop thread only, including every call into it. Time comes from the
// injected Clock; the server calls Tick() about once a second.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "relay/accounts/account_service.h"
#include "relay/accounts/account_watch.h"
#include "relay/broker/client_link.h"
#include "relay/broker/session_code_book.h"
#include "relay/cluster/cluster.h"
#include "relay/config/relay_config.h"
#include "relay/limits/join_guard.h"
#include "relay/limits/source_counts.h"
#include "relay/limits/source_row_budget.h"
#include "relay/metrics/relay_metrics.h"
#include "relay/store/store_writer.h"

namespace tether::proto {
class ClientMessage;
class RelayMessage;
}  // namespace tether::proto

namespace tether::relay {

// A paired session as the web console lists it.
struct LiveSession {
  uint64_t id = 0;         // stable while it lasts; EndSession takes it
  std::string technician;  // account
  std::string technician_name;
  std::string technician_address;
  std::string customer_host;
  std::string customer_user;
  std::string customer_address;
  Clock::WallTime started_at;
  std::chrono::seconds duration{0};
  uint64_t bytes = 0;  // both apps' traffic through the relay
};

class Broker {
 public:
  // Everything referenced must outlive the broker. `cluster`: null for a
  // relay on its own.
  Broker(const RelayConfig& config,
         const Clock& clock,
         AccountService& accounts,
         StoreWriter& store,
         SourceRowBudget& rows_budget,
         RelayMetrics& metrics,
         crypto::RandomGenerator& random,
         Cluster* cluster = nullptr);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // A client finished its TLS handshake. `forwarded_from`: the relay of
  // the cluster that handed this customer over (the link is a cluster
  // link, its peer_address the customer's); it starts greeted, as a
  // customer about to send its Join.
  void OnConnected(ClientLink& link, const std::string& forwarded_from = "");
  // One frame from a client (a serialized tether.proto.ClientMessage).
  void OnFrame(ClientLink& link, ByteSpan payload);
  // A client's outgoing queue emptied.
  void OnDrained(ClientLink& link);
  // The link is gone; the broker forgets it and records the connection.
  void OnDisconnected(ClientLink& link, const std::string& reason);

  // Expires codes, runs delayed joins, sends heartbeats, drops stuck peers.
  void Tick();
  // Tells every client the relay is shutting down and closes them.
  void Shutdown();

  // The paired sessions, oldest first.
  std::vector<LiveSession> LiveSessions() const;
  // Ends the session LiveSessions() listed as `id`: both apps are told, in
  // plain words, that IT ended it; `actor` and `detail` go into the audit
  // row. False when no such session is running (any more).
  bool EndSession(uint64_t id,
                  const std::string& actor,
                  const std::string& detail);

  // Technicians signed in (waiting for a customer or in a session).
  size_t signed_in() const;
  // Ends the connection of every signed-in technician whose sign-in
  // `allowed` refuses (the account changed since: relay/accounts/
  // account_watch.h); a session one is in ends for the customer too, both
  // told in plain words. How many ended.
  size_t EndSignInsNotAllowed(const SignInCheck& allowed);

  size_t clients() const { return clients_.size(); }
  size_t waiting_sessions() const { return codes_.size(); }

  // A wrong code was tried at another relay of the cluster: counted here
  // too, so that guessing spread over relays meets one cap.
  void OnJoinFailureElsewhere(const std::string& source_key);
  // This relay's waiting codes and the time each has left (put into Redis
  // again after it restarted).
  std::vector<std::pair<std::string, std::chrono::milliseconds>> WaitingCodes()
      const;

  // Session codes appear in logs and rows only as this (hex, 16 chars).
  std::string CodeTag(std::string_view code) const { return codes_.Tag(code); }

 private:
  struct Client;
  enum class Stage;

  Client* Find(ClientLink& link);
  Client* FindById(uint64_t id);
  static bool IsSignedInTechnician(const Client& client);

  void HandleHello(Client& client, const proto::ClientMessage& message);
  void HandleLogin(Client& client, const proto::ClientMessage& message);
  void HandleChangePassword(Client& client,
                            const proto::ClientMessage& message);
  void HandleCreateSession(Client& client);
  void IssueCode(Client& client, int attempt);
  void SendSessionCreated(Client& client,
                          const std::string& tag,
                          const std::string& code);
  void HandleCancelSession(Client& client, const proto::ClientMessage& message);
  void HandleJoin(Client& client, const proto::ClientMessage& message);
  void ApplyJoinDecision(Client& client, const JoinDecision& decision);
  void LookUpCode(Client& client);
  void RefuseCode(Client& client);
  void RecordJoinFailure(const Client& client);
  // broker_forward.cc: customers whose code another relay holds.
  void FindElsewhere(Client& client, const std::string& tag);
  void OnCodeFound(Client& client,
                   const std::string& tag,
                   const Result<std::optional<Cluster::Holder>>& found);
  void StartNextLookup(const std::string& source);
  // After a hand-over that did not happen: the customer may type a code
  // again, here, and is read again.
  void BackToAwaitingJoin(Client& client);
  void StartForward(Client& client,
                    const std::string& relay_id,
                    Result<ForwardLink*> link);
  void ForwardFromCustomer(Client& client, ByteSpan payload);
  void OnForwardFrame(uint64_t client_id, Bytes payload);
  void OnForwardDrained(uint64_t client_id);
  void OnForwardClosed(uint64_t client_id,
                       const std::string& reason,
                       bool reached);
  void WithdrawCode(const std::string& tag);
  void HandleJoinDecision(Client& client, const proto::ClientMessage& message);
  void HandleRelayed(Client& client, proto::ClientMessage& message);
  void HandleEnd(Client& client, const proto::ClientMessage& message);

  void FinishLogin(uint64_t client_id, const LoginOutcome& outcome);
  // At most limits.logins_per_source password checks per source at once;
  // a slot is returned when its check finishes, even if the client left.
  bool TakeLoginSlot(const Client& client);
  void ReturnLoginSlot(const std::string& source);
  void Pair(Client& supporter, Client& customer, const std::string& tag);
  void RemoveCode(const std::string& tag, const std::string& why);
  // Tells the client why and closes it; a paired peer is ended too, with
  // `peer_reason` (PEER_LOST unless the caller knows better).
  void EndClient(Client& client,
                 int end_reason,
                 const std::string& message,
                 int peer_reason = 0,
                 const std::string& peer_message = "");
  void SendError(Client& client,
                 int code,
                 const std::string& message,
                 uint32_t retry_after_seconds = 0);
  void ProtocolViolation(Client& client, const std::string& what);
  void RenewDeadline(Client& client);
  void UpdateGauges();

  const RelayConfig& config_;
  const Clock& clock_;
  AccountService& accounts_;
  StoreWriter& store_;
  SourceRowBudget& rows_budget_;
  RelayMetrics& metrics_;
  Cluster* cluster_;
  SessionCodeBook codes_;
  JoinGuard join_guard_;

  uint64_t next_client_id_ = 1;
  std::unordered_map<ClientLink*, std::unique_ptr<Client>> clients_;
  std::unordered_map<uint64_t, Client*> clients_by_id_;
  SourceCounts logins_by_source_;
  // Codes being looked up in Redis, per source: one at a time, the others
  // queued and checked by JoinGuard again when their turn comes, so that
  // its check and the verdict on the code stay one step for each source.
  SourceCounts lookups_by_source_;
  std::unordered_map<std::string, std::deque<uint64_t>> lookups_waiting_;
  Clock::SteadyTime last_heartbeat_{};
  bool shutting_down_ = false;
};

}  // namespace tether::relay
