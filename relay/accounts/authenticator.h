#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "crypto/password_policy.h"
#include "relay/accounts/account_service.h"
#include "relay/limits/login_throttle.h"
#include "relay/limits/source_row_budget.h"
#include "relay/store/store.h"
#include "relay/store/store_writer.h"

namespace tether::relay {

struct AuthenticatorConfig {
  LoginThrottleConfig throttle;
  crypto::PasswordPolicy policy;
  bool require_totp = false;
  // In a cluster, the key all its relays share: names with no account are
  // then counted under their HMAC, which the relays tell each other (so
  // guessing spread over relays meets one limit, as for an account, whose
  // failures live in the shared store). Empty: under the name as typed.
  Bytes unknown_name_key = {};
};

// The sign-in decisions, synchronous: the caller runs them off the loop
// thread (argon2id takes ~0.1-0.3 s and 64 MiB by design). Thread-safe:
// any number of logins, password changes and admin commands may run at
// once on the same account. Each attempt is claimed in the store before its
// password is checked and every write re-reads the account in the store's
// write transaction (Store::ChangeAccount), so a slow check never writes
// back what it read: an admin's change made meanwhile stays, one TOTP code
// signs in once, and every failure counts.
//
// A name without an account answers exactly as an account with a wrong
// password would, in the same time: same throttling and lock (kept in
// memory), same messages, and the audit rows of both are written by the
// store's writer thread, not on the way to the answer.
class Authenticator {
 public:
  // `audit` receives login and account rows; `unknown_name_rows` bounds the
  // rows that failed logins of unknown names may add per source.
  Authenticator(Store& store,
                StoreWriter& audit,
                SourceRowBudget& unknown_name_rows,
                const AuthenticatorConfig& config,
                const Clock& clock);

  LoginOutcome Login(const LoginRequest& request);
  PasswordChangeOutcome ChangePassword(const std::string& user_name,
                                       const std::string& current_password,
                                       const std::string& new_password,
                                       const std::string& source_address);

  // A failure counted at another relay of the cluster for the name with
  // no account behind `key` (LoginOutcome::unknown_name_key).
  void CountUnknownNameElsewhere(const std::string& key);

  // Unknown names with a failure run in memory (for tests and metrics).
  size_t unknown_names() const { return unknown_names_.size(); }

 private:
  // The password (and TOTP) checked for a claimed attempt.
  struct Checked {
    LoginOutcome outcome;  // kOk: the password (and the code) are right
    Account account;       // as stored once the attempt was claimed
    LoginClaim claim;      // what a failure of this attempt costs
    std::optional<int64_t> totp_step;  // the step the code proved
  };
  Checked CheckCredentials(const std::string& user_name,
                           const std::string& password,
                           const std::string* totp,
                           const std::string& source_address);
  // A claimed attempt that failed: the answer, audit rows and log line.
  LoginOutcome Failed(const LoginClaim& claim,
                      const std::string& subject,
                      const std::string& source_address,
                      bool known);
  // Takes back the claim of an attempt that proved the password right but
  // did not complete (second factor missing, disabled).
  void Release(const Account& account);
  void AuditUnknownName(const std::string& source_address);
  std::string UnknownNameKey(const std::string& user_name) const;

  Store& store_;
  StoreWriter& audit_;
  SourceRowBudget& unknown_name_rows_;
  AuthenticatorConfig config_;
  const Clock& clock_;
  UnknownNameFailures unknown_names_;
};

}  // namespace tether::relay
