#pragma once

#include <string>

#include "base/clock.h"
#include "crypto/password_policy.h"
#include "relay/accounts/account_service.h"
#include "relay/limits/login_throttle.h"
#include "relay/store/store.h"

namespace tether::relay {

struct AuthenticatorConfig {
  LoginThrottleConfig throttle;
  crypto::PasswordPolicy policy;
  bool require_totp = false;
};

// The sign-in decisions, synchronous: the caller runs them off the loop
// thread (argon2id takes ~0.1-0.3 s and 64 MiB by design). Thread-safe as far
// as the Store is; two logins for the same account at the same moment may
// both count one failure, which only makes throttling a step more lenient.
class Authenticator {
 public:
  Authenticator(Store& store, const AuthenticatorConfig& config,
                const Clock& clock);

  LoginOutcome Login(const LoginRequest& request);
  PasswordChangeOutcome ChangePassword(const std::string& user_name,
                                       const std::string& current_password,
                                       const std::string& new_password,
                                       const std::string& source_address);

 private:
  // Checks the password (and TOTP), counting failures; fills `*account`.
  LoginOutcome CheckCredentials(const std::string& user_name,
                                const std::string& password,
                                const std::string* totp,
                                const std::string& source_address,
                                Account* account);
  LoginOutcome RecordFailure(Account& account, const std::string& source);

  Store& store_;
  AuthenticatorConfig config_;
  const Clock& clock_;
};

}  // namespace tether::relay
