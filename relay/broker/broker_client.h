#pragma once

// What the broker keeps per client, shared by the files that implement
// Broker: broker.cc (codes, pairing, forwarding, ending, Tick) and
// broker_sign_in.cc (Hello, Login, ChangePassword). Internal to the broker.

#include <cstdint>
#include <optional>
#include <string>

#include "base/clock.h"
#include "protocol/relay.pb.h"
#include "relay/accounts/account_service.h"
#include "relay/broker/broker.h"
#include "relay/broker/client_link.h"

namespace tether::relay {

// What a customer or technician reads when Redis, which the relays of a
// cluster share, cannot be reached.
inline constexpr std::string_view kClusterUnavailableText =
    "New sessions cannot start right now: the relay cannot reach the "
    "directory it shares with the other relays. Try again in a minute.";

enum class Broker::Stage {
  kAwaitingHello,
  kAwaitingLogin,       // supporter
  kLoginPending,        // supporter, password being checked
  kMustChangePassword,  // supporter, first password still in use
  kChangePending,       // supporter, new password being checked
  kSupporter,           // signed in
  kAwaitingJoin,        // customer
  kJoinDelayed,         // customer, in the slow lane
  kJoinLookup,          // customer, its code is looked up in Redis
  kJoinPending,         // customer, the technician decides
  kForwarded,           // customer, handed over to the relay with its code
  kPaired,
  kEnded,
};

struct Broker::Client {
  uint64_t id = 0;
  ClientLink* link = nullptr;
  Stage stage = Stage::kAwaitingHello;
  proto::Role role = proto::ROLE_UNSPECIFIED;
  Clock::WallTime connected_at;
  Clock::SteadyTime connected_steady;
  // Until signed in or joined: absolute, never renewed by talking.
  Clock::SteadyTime signin_deadline;
  std::string source_key;  // the /32 or /64 (relay/limits/source_key.h)

  // Supporter.
  std::string account;
  std::string display_name;
  AccountRole account_role = AccountRole::kTechnician;
  Clock::WallTime password_changed_at{};  // LoginOutcome's, for AccountWatch
  bool password_change_was_required = false;
  int login_attempts = 0;

  // Customer.
  std::string host_name;
  std::string user_name;
  std::string typed_code;  // held only while a delayed join waits
  Clock::SteadyTime join_at{};
  int join_attempts = 0;

  // Customer, in a cluster: the relay that handed it over to this one
  // (then its link is that relay's), or the link to the relay it was
  // handed over to (kForwarded; null once closed).
  std::string forwarded_from;
  ForwardLink* forward = nullptr;
  bool forward_joined = false;  // that relay said Joined
  bool forward_paused = false;  // not reading it: the customer is slow

  // Both, once a code is involved.
  std::string code_tag;
  uint64_t peer_id = 0;
  Clock::SteadyTime paired_at{};
  Clock::WallTime paired_wall{};
  std::optional<Clock::SteadyTime> stuck_since;  // own queue over the limit
  bool paused_for_peer = false;
  bool paused_for_self = false;  // its own replies are not being read
  std::string end_reason;
};

}  // namespace tether::relay
