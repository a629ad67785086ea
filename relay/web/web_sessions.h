#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "relay/store/store.h"

namespace tether::crypto {
class RandomGenerator;
}

namespace tether::relay::web {

// A signed-in browser.
struct WebSession {
  std::string user;  // the account's canonical spelling
  std::string display_name;
  AccountRole role = AccountRole::kTechnician;
  bool totp = false;       // the account has a second factor
  std::string csrf_token;  // 256 bits, base64url
  Clock::SteadyTime signed_in{};
  Clock::SteadyTime last_seen{};
  Clock::WallTime signed_in_wall{};
  // The account's at sign-in (LoginOutcome), for AccountWatch.
  Clock::WallTime password_changed_at{};
  Clock::WallTime expires_at{};  // the absolute end, for the page
  // A TOTP secret of the user's own enrolment, until its first code proves
  // the authenticator app has it (then it is stored).
  std::optional<Bytes> pending_totp;
};

// The server-side sessions of the web console, in memory (a restart signs
// everyone out). The cookie carries 256 random bits; only their SHA-256 is
// kept, so a memory dump does not hand out live cookies. A session ends
// after `idle` without a request, `lifetime` after sign-in, at sign-out,
// and with every other session of its account when the account changes.
// Bounded: at most `max_per_account` per account (the oldest goes) and
// `max_total` in all (a new sign-in is refused). Loop thread only.
class WebSessions {
 public:
  struct Limits {
    std::chrono::seconds idle{15 * 60};
    std::chrono::seconds lifetime{8 * 3600};
    size_t max_total = 10'000;
    size_t max_per_account = 16;
  };
  WebSessions(const Clock& clock,
              crypto::RandomGenerator& random,
              const Limits& limits);

  // Signs `session` in; returns the cookie value. Fails when full.
  Result<std::string> Create(WebSession session);
  // The live session for this cookie value (and marks it used), or nullptr.
  WebSession* Find(std::string_view cookie);
  void End(std::string_view cookie);
  // Ends every session of `user` (ASCII case-insensitive); how many ended.
  size_t EndAccount(std::string_view user);
  // Ends the sessions `ends` picks; how many ended.
  size_t EndIf(const std::function<bool(const WebSession&)>& ends);
  size_t size() const { return sessions_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  bool Expired(const WebSession& session, Clock::SteadyTime now) const;
  void Sweep(Clock::SteadyTime now);

  const Clock& clock_;
  crypto::RandomGenerator& random_;
  Limits limits_;
  // By hex SHA-256 of the cookie value.
  std::unordered_map<std::string, WebSession> sessions_;
};

// 32 random bytes as unpadded base64url (43 characters).
Result<std::string> RandomToken(crypto::RandomGenerator& random);

}  // namespace tether::relay::web
