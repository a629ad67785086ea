#pragma once

// The account changes IT makes, from the relay machine's command line
// (`tether-relay user ...`) or from the web console: one implementation for
// both. Each change is validated, made with one atomic Store::ChangeAccount
// (so a sign-in in flight cannot undo it) and recorded as an audit row by
// the acting person. Blocking (argon2id for new passwords, SQLite): call it
// off the relay's loop thread.

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/password_policy.h"
#include "relay/store/store.h"

namespace tether::relay {

// A user name an account may have: 1 to 64 of A-Z a-z 0-9 . _ - @,
// starting with a letter or digit; "system" is reserved for the relay's
// own audit rows. The error says what is wrong.
Result<void> ValidateUserName(std::string_view name);
// At most 128 bytes, no control characters.
Result<void> ValidateDisplayName(std::string_view name);

// A random password a person can type: four groups of five characters
// from a 31-letter alphabet without look-alikes (about 99 bits), joined by
// '-', adjusted to and checked against `policy`.
Result<std::string> GeneratePassword(const crypto::PasswordPolicy& policy,
                                     std::string_view user_name);

class AccountAdmin {
 public:
  // `actor` names the person in the audit rows ("cli:root", "web:alice");
  // `source`, when set, is added to each row's detail ("from 10.0.0.5").
  AccountAdmin(Store& store,
               const crypto::PasswordPolicy& policy,
               std::string actor,
               std::string source = "");

  // What a change did: the account as stored afterwards, and whether
  // anything changed (disabling a disabled account changes nothing).
  struct Changed {
    Account account;
    bool changed = false;
    std::string detail;  // what the audit row says, if it says more
  };
  // A new password, generated when none is given; the person must change
  // it at the next sign-in.
  struct WithPassword {
    Account account;
    std::string password;
  };
  struct WithTotp {
    Account account;
    Bytes secret;
    bool replaced = false;
  };

  Result<Account> Find(std::string_view user_name);
  Result<WithPassword> Create(std::string_view user_name,
                              std::string_view display_name,
                              AccountRole role,
                              std::optional<std::string> password);
  Result<Changed> SetDisabled(std::string_view user_name, bool disabled);
  // Clears a lock or throttle and the failure count.
  Result<Changed> Unlock(std::string_view user_name);
  Result<WithPassword> ResetPassword(std::string_view user_name,
                                     std::optional<std::string> password);
  Result<Changed> SetRole(std::string_view user_name, AccountRole role);
  Result<WithTotp> EnrollTotp(std::string_view user_name);
  // Stores a secret the person already proved to have (their own
  // enrolment from the web console, confirmed with a code).
  Result<WithTotp> StoreTotp(std::string_view user_name, const Bytes& secret);
  Result<Changed> RemoveTotp(std::string_view user_name);

 private:
  // The new password (or a generated one) checked against the policy and
  // the account's history, and its argon2id hash.
  Result<std::pair<std::string, std::string>> NewPassword(
      const Account* account,
      std::string_view user_name,
      std::optional<std::string> password);
  Result<void> Audit(std::string_view action,
                     std::string_view subject,
                     std::string detail);

  Store& store_;
  const crypto::PasswordPolicy& policy_;
  std::string actor_;
  std::string source_;
};

}  // namespace tether::relay
