#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "relay/store/store.h"

namespace tether::relay {

struct LoginRequest {
  std::string user_name;
  std::string password;
  std::string totp;
  std::string source_address;
};

struct LoginOutcome {
  enum class Status {
    kOk,
    kBadCredentials,  // user, password or TOTP wrong: one answer for all
    kTotpRequired,    // password right, second factor missing
    kThrottled,       // retry after `retry_after_seconds`
    kLocked,          // an admin must unlock
    kPasswordChangeRequired,
    kDisabled,
    kBusy,         // too many logins queued: try again shortly
    kUnavailable,  // the account database cannot be reached: try again
    kInternalError,
  };
  Status status = Status::kBadCredentials;
  std::string user_name;  // canonical spelling, when known
  std::string display_name;
  AccountRole role = AccountRole::kTechnician;
  uint32_t retry_after_seconds = 0;
  std::string message;  // plain language, for the technician
  // A TOTP code was checked (the account has a second factor).
  bool second_factor = false;
  // The account's, as it was at sign-in: a later change of password (by
  // anyone, on any relay) makes it differ (relay/accounts/account_watch.h).
  Clock::WallTime password_changed_at{};
  // Set when a failure was counted for a name that has no account: the key
  // it was counted under, for the other relays of a cluster.
  std::string unknown_name_key;
};

struct PasswordChangeOutcome {
  bool ok = false;
  std::string message;  // the policy rule that failed, or why
  LoginOutcome login;   // when ok: the now complete login
};

// Technician sign-in. Password hashing is slow on purpose (argon2id, 64 MiB),
// so it runs off the loop thread; the callbacks run on the loop thread.
// A callback never runs after the service is destroyed.
class AccountService {
 public:
  virtual ~AccountService() = default;

  virtual void Login(LoginRequest request,
                     std::function<void(LoginOutcome)> done) = 0;

  // For an account that must change its first password: checks the current
  // one again, the policy, then stores the new hash.
  virtual void ChangePassword(
      std::string user_name,
      std::string current_password,
      std::string new_password,
      std::string source_address,
      std::function<void(PasswordChangeOutcome)> done) = 0;
};

}  // namespace tether::relay
