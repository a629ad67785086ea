#include "relay/accounts/authenticator.h"

#include <algorithm>
#include <vector>

#include "base/log.h"
#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "crypto/totp.h"

namespace tether::relay {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;
using Status = LoginOutcome::Status;

// Verified against when the account does not exist, so an unknown name costs
// the same time as a wrong password (no account discovery by timing).
const std::string& DummyHash() {
  static const std::string hash = [] {
    auto made = crypto::HashPassword("tether-no-such-account",
                                     crypto::RandomGenerator::Default());
    return made ? *made : std::string();
  }();
  return hash;
}

LoginOutcome Outcome(Status status, std::string message,
                     uint32_t retry_after = 0) {
  LoginOutcome outcome;
  outcome.status = status;
  outcome.message = std::move(message);
  outcome.retry_after_seconds = retry_after;
  return outcome;
}

std::string Wait(seconds s) {
  if (s.count() < 120) return std::to_string(s.count()) + " seconds";
  return std::to_string((s.count() + 59) / 60) + " minutes";
}

const char kBadCredentials[] = "The user name, password or code is wrong.";

}  // namespace

Authenticator::Authenticator(Store& store, const AuthenticatorConfig& config,
                             const Clock& clock)
    : store_(store), config_(config), clock_(clock) {}

LoginOutcome Authenticator::RecordFailure(Account& account,
                                          const std::string& source) {
  ++account.failed_logins;
  LoginOutcome outcome = Outcome(Status::kBadCredentials, kBadCredentials);
  if (ShouldLock(account.failed_logins, config_.throttle)) {
    account.locked = true;
    (void)store_.AppendAudit("system", "account.lock", account.user_name,
                             std::to_string(account.failed_logins) +
                                 " failed logins in a row, last from " + source);
    log::Warn("account {} locked after {} failed logins", account.user_name,
              account.failed_logins);
  } else if (auto delay =
                 DelayAfterFailures(account.failed_logins, config_.throttle);
             delay.count() > 0) {
    account.locked_until = clock_.WallNow() + delay;
    outcome.retry_after_seconds = static_cast<uint32_t>(delay.count());
    outcome.message += " Wait " + Wait(delay) + " before trying again.";
  }
  (void)store_.AppendAudit("system", "login.failed", account.user_name,
                           "from " + source);
  if (auto updated = store_.UpdateAccount(account); !updated) {
    log::Error("cannot record a failed login: {}", updated.error().message);
  }
  return outcome;
}

LoginOutcome Authenticator::CheckCredentials(const std::string& user_name,
                                             const std::string& password,
                                             const std::string* totp,
                                             const std::string& source,
                                             Account* account) {
  auto found = store_.FindAccount(user_name);
  if (!found) {
    log::Error("account lookup failed: {}", found.error().message);
    return Outcome(Status::kInternalError, "The relay cannot check accounts.");
  }
  if (!found->has_value()) {
    (void)crypto::VerifyPassword(password, DummyHash());
    (void)store_.AppendAudit("system", "login.failed", "(unknown account)",
                             "from " + source);
    return Outcome(Status::kBadCredentials, kBadCredentials);
  }
  *account = std::move(**found);
  const auto now = clock_.WallNow();
  if (account->locked) {
    return Outcome(Status::kLocked,
                   "This account is locked. Ask your administrator to "
                   "unlock it.");
  }
  if (account->locked_until && *account->locked_until > now) {
    const auto wait = duration_cast<seconds>(*account->locked_until - now) +
                      seconds(1);
    return Outcome(Status::kThrottled,
                   "Too many failed attempts. Wait " + Wait(wait) +
                       " before trying again.",
                   static_cast<uint32_t>(wait.count()));
  }
  auto verified = crypto::VerifyPassword(password, account->password_hash);
  if (!verified) {
    log::Error("stored hash of {} unusable: {}", account->user_name,
               verified.error().message);
    return Outcome(Status::kInternalError,
                   "This account's password cannot be checked. Ask your "
                   "administrator to reset it.");
  }
  if (!*verified) return RecordFailure(*account, source);

  if (totp != nullptr && account->totp_secret) {
    if (totp->empty()) {
      return Outcome(Status::kTotpRequired,
                     "Enter the 6-digit code from your authenticator app.");
    }
    const int64_t unix_now =
        duration_cast<seconds>(now.time_since_epoch()).count();
    auto step = crypto::VerifyTotp(*account->totp_secret, *totp, unix_now,
                                   account->totp_last_step);
    if (!step || !step->has_value()) return RecordFailure(*account, source);
    account->totp_last_step = **step;
  } else if (totp != nullptr && config_.require_totp) {
    return Outcome(Status::kDisabled,
                   "This relay requires a second factor. Ask your "
                   "administrator to set one up for your account.");
  }
  if (account->disabled) {
    return Outcome(Status::kDisabled,
                   "This account is disabled. Ask your administrator.");
  }
  return Outcome(Status::kOk, "");
}

LoginOutcome Authenticator::Login(const LoginRequest& request) {
  Account account;
  LoginOutcome outcome = CheckCredentials(
      request.user_name, request.password, &request.totp,
      request.source_address, &account);
  if (outcome.status != Status::kOk) return outcome;

  const auto now = clock_.WallNow();
  const auto& policy = config_.policy;
  // Accounts nobody used for too long switch off, if IT asked for that.
  const auto last_use = account.last_login_at.value_or(account.created_at);
  if (policy.disable_after_idle_days > 0 &&
      now - last_use > std::chrono::days(policy.disable_after_idle_days)) {
    account.disabled = true;
    (void)store_.UpdateAccount(account);
    (void)store_.AppendAudit("system", "account.disable", account.user_name,
                             "idle longer than " +
                                 std::to_string(policy.disable_after_idle_days) +
                                 " days");
    return Outcome(Status::kDisabled,
                   "This account was disabled after a long time unused. Ask "
                   "your administrator.");
  }
  if (policy.expiry_days > 0 &&
      now - account.password_changed_at >
          std::chrono::days(policy.expiry_days)) {
    account.must_change_password = true;
  }
  // Upgrade a hash made with weaker parameters while we know the password.
  if (crypto::NeedsRehash(account.password_hash, crypto::Argon2Params{})) {
    if (auto rehashed = crypto::HashPassword(request.password,
                                             crypto::RandomGenerator::Default())) {
      account.password_hash = *rehashed;
    }
  }
  account.failed_logins = 0;
  account.locked_until.reset();
  account.last_login_at = now;
  if (auto updated = store_.UpdateAccount(account); !updated) {
    log::Error("cannot record a login: {}", updated.error().message);
    return Outcome(Status::kInternalError, "The relay cannot update accounts.");
  }

  outcome.user_name = account.user_name;
  outcome.display_name = account.display_name.empty() ? account.user_name
                                                      : account.display_name;
  outcome.role = account.role;
  if (account.must_change_password) {
    outcome.status = Status::kPasswordChangeRequired;
    outcome.message = "Choose a new password before you continue.";
    (void)store_.AppendAudit(account.user_name, "login.password_change_required",
                             account.user_name, "from " + request.source_address);
    return outcome;
  }
  (void)store_.AppendAudit(account.user_name, "login.ok", account.user_name,
                           "from " + request.source_address);
  return outcome;
}

PasswordChangeOutcome Authenticator::ChangePassword(
    const std::string& user_name, const std::string& current_password,
    const std::string& new_password, const std::string& source_address) {
  PasswordChangeOutcome result;
  Account account;
  // The current password proves it is still the same person; no TOTP here
  // because the connection already passed it (or the account has none).
  LoginOutcome checked = CheckCredentials(user_name, current_password,
                                          nullptr, source_address, &account);
  if (checked.status != Status::kOk) {
    result.message = checked.message;
    return result;
  }
  if (new_password == current_password) {
    result.message = "The new password must differ from the current one.";
    return result;
  }
  auto history = store_.PasswordHistory(account.id, config_.policy.history);
  std::vector<std::string> previous = history ? *history
                                              : std::vector<std::string>{};
  previous.insert(previous.begin(), account.password_hash);
  if (auto allowed = crypto::CheckPassword(config_.policy, new_password,
                                           account.user_name, previous);
      !allowed) {
    result.message = allowed.error().message;
    return result;
  }
  auto hash = crypto::HashPassword(new_password,
                                   crypto::RandomGenerator::Default());
  if (!hash) {
    result.message = "The relay could not store the new password.";
    return result;
  }
  (void)store_.AddPasswordHistory(account.id, account.password_hash);
  account.password_hash = *hash;
  account.must_change_password = false;
  account.password_changed_at = clock_.WallNow();
  account.failed_logins = 0;
  account.last_login_at = clock_.WallNow();
  if (auto updated = store_.UpdateAccount(account); !updated) {
    result.message = "The relay could not store the new password.";
    return result;
  }
  (void)store_.AppendAudit(account.user_name, "account.password_change",
                           account.user_name, "from " + source_address);
  (void)store_.AppendAudit(account.user_name, "login.ok", account.user_name,
                           "from " + source_address);
  result.ok = true;
  result.login.status = Status::kOk;
  result.login.user_name = account.user_name;
  result.login.display_name = account.display_name.empty()
                                  ? account.user_name
                                  : account.display_name;
  result.login.role = account.role;
  return result;
}

}  // namespace tether::relay
