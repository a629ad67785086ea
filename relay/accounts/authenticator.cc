#include "relay/accounts/authenticator.h"

#include <algorithm>
#include <vector>

#include "base/ascii.h"
#include "base/log.h"
#include "crypto/digest.h"
#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "relay/limits/source_key.h"

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

LoginOutcome Outcome(Status status,
                     std::string message,
                     uint32_t retry_after = 0) {
  LoginOutcome outcome;
  outcome.status = status;
  outcome.message = std::move(message);
  outcome.retry_after_seconds = retry_after;
  return outcome;
}

std::string Wait(seconds s) {
  if (s.count() < 120)
    return std::to_string(s.count()) + " seconds";
  return std::to_string((s.count() + 59) / 60) + " minutes";
}

// What a sign-in says when the store failed: a temporary failure (the
// account database is out of reach, e.g. PostgreSQL restarting) is worth
// trying again soon; anything else is ours to fix.
LoginOutcome StoreFailure(const Error& error, const char* internal_message) {
  if (error.temporary()) {
    return Outcome(Status::kUnavailable,
                   "Signing in is not possible right now: the relay cannot "
                   "reach its account database. Try again in a minute.",
                   30);
  }
  return Outcome(Status::kInternalError, internal_message);
}

const char kBadCredentials[] = "The user name, password or code is wrong.";
const char kEnterTotp[] = "Enter the 6-digit code from your authenticator app.";
const char kAccountDisabled[] =
    "This account is disabled. Ask your administrator.";

LoginOutcome Refused(const LoginClaim& claim) {
  if (claim.verdict == LoginClaim::Verdict::kLocked) {
    return Outcome(Status::kLocked,
                   "This account is locked. Ask your administrator to "
                   "unlock it.");
  }
  return Outcome(Status::kThrottled,
                 "Too many failed attempts. Wait " + Wait(claim.wait) +
                     " before trying again.",
                 static_cast<uint32_t>(claim.wait.count()));
}

LoginFailures FailuresOf(const Account& account) {
  return {account.failed_logins, account.locked_until, account.locked};
}

void SetFailures(Account& account, const LoginFailures& failures) {
  account.failed_logins = failures.consecutive;
  account.locked_until = failures.wait_until;
  account.locked = failures.locked;
}

// The attempt proved the password right after all: its claim goes back.
void TakeBackClaim(Account& account, const LoginThrottleConfig& config) {
  LoginFailures failures = FailuresOf(account);
  ReleaseLoginAttempt(failures, config);
  SetFailures(account, failures);
}

// Whether `now` still has the password `proven` had when it was checked.
// A login that upgrades the hash keeps password_changed_at; every new
// password (reset, change) sets it, so a concurrent upgrade is no change.
bool SamePassword(const Account& now, const Account& proven) {
  return now.password_hash == proven.password_hash ||
         now.password_changed_at == proven.password_changed_at;
}

std::string DisplayName(const Account& account) {
  return account.display_name.empty() ? account.user_name
                                      : account.display_name;
}

}  // namespace

Authenticator::Authenticator(Store& store,
                             StoreWriter& audit,
                             SourceRowBudget& unknown_name_rows,
                             const AuthenticatorConfig& config,
                             const Clock& clock)
    : store_(store),
      audit_(audit),
      unknown_name_rows_(unknown_name_rows),
      config_(config),
      clock_(clock) {}

LoginOutcome Authenticator::Failed(const LoginClaim& claim,
                                   const std::string& subject,
                                   const std::string& source,
                                   bool known) {
  LoginOutcome outcome = Outcome(Status::kBadCredentials, kBadCredentials);
  if (claim.wait.count() > 0) {
    outcome.retry_after_seconds = static_cast<uint32_t>(claim.wait.count());
    outcome.message += " Wait " + Wait(claim.wait) + " before trying again.";
  }
  if (!known) {
    AuditUnknownName(source);
    return outcome;
  }
  if (claim.locks) {
    audit_.Audit("system", "account.lock", subject,
                 std::to_string(config_.throttle.lock_after_failures) +
                     " failed logins in a row, last from " + source);
    log::Warn("account {} locked after {} failed logins", subject,
              config_.throttle.lock_after_failures);
  }
  audit_.Audit("system", "login.failed", subject, "from " + source);
  return outcome;
}

void Authenticator::AuditUnknownName(const std::string& source) {
  // Unknown names are unbounded, so their rows are bounded per source; the
  // rest are summed up when the window ends (Broker::Tick).
  if (unknown_name_rows_.Take(SourceOf(source))) {
    audit_.Audit("system", "login.failed", "(unknown account)",
                 "from " + source);
  }
}

std::string Authenticator::UnknownNameKey(const std::string& user_name) const {
  if (config_.unknown_name_key.empty())
    return user_name;
  // Names compare ASCII case-insensitively, as accounts' do.
  const auto mac = crypto::HmacSha256(config_.unknown_name_key,
                                      AsBytes("name:" + AsciiLower(user_name)));
  return ToHex(mac);
}

void Authenticator::CountUnknownNameElsewhere(const std::string& key) {
  (void)unknown_names_.Claim(key, clock_.WallNow(), config_.throttle);
}

void Authenticator::Release(const Account& account) {
  auto released = store_.ChangeAccount(account.id, [&](Account& a) {
    TakeBackClaim(a, config_.throttle);
    return true;
  });
  if (!released) {
    log::Error("cannot take back a login attempt: {}",
               released.error().message);
  }
}

Authenticator::Checked Authenticator::CheckCredentials(
    const std::string& user_name,
    const std::string& password,
    const std::string* totp,
    const std::string& source) {
  Checked checked;
  auto found = store_.FindAccount(user_name);
  if (!found) {
    log::Error("account lookup failed: {}", found.error().message);
    checked.outcome =
        StoreFailure(found.error(), "The relay cannot check accounts.");
    return checked;
  }
  const auto now = clock_.WallNow();
  if (!found->has_value()) {
    // The same steps as for an account, so the same answer in the same time.
    const std::string key = UnknownNameKey(user_name);
    const LoginClaim claim = unknown_names_.Claim(key, now, config_.throttle);
    if (claim.verdict != LoginClaim::Verdict::kCheck) {
      checked.outcome = Refused(claim);
      return checked;
    }
    (void)crypto::VerifyPassword(password, DummyHash());
    checked.outcome = Failed(claim, "", source, /*known=*/false);
    checked.outcome.unknown_name_key = key;
    return checked;
  }

  // Claimed, and counted as a failure, before the slow check.
  LoginClaim claim;
  auto claimed = store_.ChangeAccount((*found)->id, [&](Account& account) {
    LoginFailures failures = FailuresOf(account);
    claim = ClaimLoginAttempt(failures, now, config_.throttle);
    if (claim.verdict != LoginClaim::Verdict::kCheck)
      return false;
    SetFailures(account, failures);
    return true;
  });
  if (!claimed) {
    log::Error("cannot claim a login attempt: {}", claimed.error().message);
    checked.outcome =
        StoreFailure(claimed.error(), "The relay cannot update accounts.");
    return checked;
  }
  checked.account = std::move(*claimed);
  const Account& account = checked.account;
  if (claim.verdict != LoginClaim::Verdict::kCheck) {
    checked.outcome = Refused(claim);
    return checked;
  }
  auto verified = crypto::VerifyPassword(password, account.password_hash);
  if (!verified) {
    log::Error("stored hash of {} unusable: {}", account.user_name,
               verified.error().message);
    checked.outcome =
        Outcome(Status::kInternalError,
                "This account's password cannot be checked. Ask your "
                "administrator to reset it.");
    return checked;
  }
  if (!*verified) {
    checked.outcome = Failed(claim, account.user_name, source, true);
    return checked;
  }

  if (totp != nullptr && account.totp_secret) {
    if (totp->empty()) {
      Release(account);
      checked.outcome = Outcome(Status::kTotpRequired, kEnterTotp);
      return checked;
    }
    const int64_t unix_now =
        duration_cast<seconds>(now.time_since_epoch()).count();
    auto step = crypto::VerifyTotp(*account.totp_secret, *totp, unix_now,
                                   account.totp_last_step);
    if (!step || !step->has_value()) {
      checked.outcome = Failed(claim, account.user_name, source, true);
      return checked;
    }
    checked.totp_step = **step;
  } else if (totp != nullptr && config_.require_totp) {
    Release(account);
    checked.outcome = Outcome(Status::kDisabled,
                              "This relay requires a second factor. Ask your "
                              "administrator to set one up for your account.");
    return checked;
  }
  if (account.disabled) {
    Release(account);
    checked.outcome = Outcome(Status::kDisabled, kAccountDisabled);
    return checked;
  }
  checked.claim = claim;
  checked.outcome = Outcome(Status::kOk, "");
  return checked;
}

LoginOutcome Authenticator::Login(const LoginRequest& request) {
  Checked checked = CheckCredentials(request.user_name, request.password,
                                     &request.totp, request.source_address);
  if (checked.outcome.status != Status::kOk)
    return checked.outcome;
  const Account& proven = checked.account;
  const auto now = clock_.WallNow();
  const auto& policy = config_.policy;

  // Upgrade a hash made with weaker parameters while we know the password;
  // slow, so before the write transaction.
  std::optional<std::string> rehashed;
  if (crypto::NeedsRehash(proven.password_hash, crypto::Argon2Params{})) {
    if (auto made = crypto::HashPassword(request.password,
                                         crypto::RandomGenerator::Default())) {
      rehashed = std::move(*made);
    }
  }

  // What the check proved must still hold when the login is written: the
  // same password and second factor, not disabled meanwhile, and the TOTP
  // step not used by a login that finished first.
  enum class Settled {
    kOk,
    kPasswordChanged,  // reset or changed meanwhile: the proof is void
    kTotpChanged,      // a second factor enrolled or replaced meanwhile
    kReplayed,         // the code signed in a login that finished first
    kDisabled,
    kIdle,
  };
  Settled settled = Settled::kOk;
  auto stored = store_.ChangeAccount(proven.id, [&](Account& account) {
    if (checked.totp_step && account.totp_last_step &&
        *account.totp_last_step >= *checked.totp_step &&
        account.totp_secret == proven.totp_secret) {
      settled = Settled::kReplayed;
      return false;  // the attempt stays counted as a failure
    }
    // The password was right when checked: the attempt was no guess.
    TakeBackClaim(account, config_.throttle);
    if (!SamePassword(account, proven)) {
      settled = Settled::kPasswordChanged;
      return true;
    }
    if (account.totp_secret != proven.totp_secret) {
      settled = Settled::kTotpChanged;
      return true;
    }
    if (account.disabled) {
      settled = Settled::kDisabled;
      return true;
    }
    // Accounts nobody used for too long switch off, if IT asked for that.
    const auto last_use = account.last_login_at.value_or(account.created_at);
    if (policy.disable_after_idle_days > 0 &&
        now - last_use > std::chrono::days(policy.disable_after_idle_days)) {
      settled = Settled::kIdle;
      account.disabled = true;
      return true;
    }
    if (checked.totp_step)
      account.totp_last_step = checked.totp_step;
    if (policy.expiry_days > 0 && now - account.password_changed_at >
                                      std::chrono::days(policy.expiry_days)) {
      account.must_change_password = true;
    }
    if (rehashed && account.password_hash == proven.password_hash)
      account.password_hash = *rehashed;
    account.failed_logins = 0;
    account.locked_until.reset();
    account.locked = false;
    account.last_login_at = now;
    return true;
  });
  if (!stored) {
    log::Error("cannot record a login: {}", stored.error().message);
    return StoreFailure(stored.error(), "The relay cannot update accounts.");
  }
  switch (settled) {
    case Settled::kOk:
      break;
    case Settled::kReplayed:
      return Failed(checked.claim, proven.user_name, request.source_address,
                    true);
    case Settled::kPasswordChanged:
      return Outcome(Status::kBadCredentials, kBadCredentials);
    case Settled::kTotpChanged:
      return stored->totp_secret
                 ? Outcome(Status::kTotpRequired, kEnterTotp)
                 : Outcome(Status::kBadCredentials, kBadCredentials);
    case Settled::kDisabled:
      return Outcome(Status::kDisabled, kAccountDisabled);
    case Settled::kIdle:
      audit_.Audit("system", "account.disable", proven.user_name,
                   "idle longer than " +
                       std::to_string(policy.disable_after_idle_days) +
                       " days");
      return Outcome(Status::kDisabled,
                     "This account was disabled after a long time unused. "
                     "Ask your administrator.");
  }

  const Account& account = *stored;
  LoginOutcome outcome = Outcome(Status::kOk, "");
  outcome.user_name = account.user_name;
  outcome.display_name = DisplayName(account);
  outcome.role = account.role;
  outcome.second_factor = checked.totp_step.has_value();
  outcome.password_changed_at = account.password_changed_at;
  if (account.must_change_password) {
    outcome.status = Status::kPasswordChangeRequired;
    outcome.message = "Choose a new password before you continue.";
    audit_.Audit(account.user_name, "login.password_change_required",
                 account.user_name, "from " + request.source_address);
    return outcome;
  }
  audit_.Audit(account.user_name, "login.ok", account.user_name,
               "from " + request.source_address);
  return outcome;
}

PasswordChangeOutcome Authenticator::ChangePassword(
    const std::string& user_name,
    const std::string& current_password,
    const std::string& new_password,
    const std::string& source_address) {
  PasswordChangeOutcome result;
  // The current password proves it is still the same person; no TOTP here
  // because the connection already passed it (or the account has none).
  Checked checked =
      CheckCredentials(user_name, current_password, nullptr, source_address);
  if (checked.outcome.status != Status::kOk) {
    result.message = checked.outcome.message;
    return result;
  }
  const Account& proven = checked.account;
  const auto refuse = [&](std::string message) {
    Release(proven);
    result.message = std::move(message);
    return result;
  };
  if (new_password == current_password)
    return refuse("The new password must differ from the current one.");
  auto history = store_.PasswordHistory(proven.id, config_.policy.history);
  std::vector<std::string> previous =
      history ? *history : std::vector<std::string>{};
  previous.insert(previous.begin(), proven.password_hash);
  if (auto allowed = crypto::CheckPassword(config_.policy, new_password,
                                           proven.user_name, previous);
      !allowed) {
    return refuse(allowed.error().message);
  }
  auto hash =
      crypto::HashPassword(new_password, crypto::RandomGenerator::Default());
  if (!hash)
    return refuse("The relay could not store the new password.");

  // Only over the password just proven, and not for a disabled account:
  // an admin's reset or disable made meanwhile wins.
  bool changed = false;
  auto stored = store_.ChangeAccount(proven.id, [&](Account& account) {
    if (!SamePassword(account, proven) || account.disabled) {
      // No guess either: the claim is taken back, nothing else changes.
      TakeBackClaim(account, config_.throttle);
      return true;
    }
    changed = true;
    account.password_hash = *hash;  // the old one goes to the history
    account.must_change_password = false;
    account.password_changed_at = clock_.WallNow();
    account.failed_logins = 0;
    account.locked_until.reset();
    account.locked = false;
    account.last_login_at = clock_.WallNow();
    return true;
  });
  if (!stored || !changed) {
    if (!stored)
      log::Error("cannot store a new password: {}", stored.error().message);
    result.message = "The relay could not store the new password.";
    return result;
  }
  audit_.Audit(stored->user_name, "account.password_change", stored->user_name,
               "from " + source_address);
  audit_.Audit(stored->user_name, "login.ok", stored->user_name,
               "from " + source_address);
  result.ok = true;
  result.login.status = Status::kOk;
  result.login.user_name = stored->user_name;
  result.login.display_name = DisplayName(*stored);
  result.login.role = stored->role;
  result.login.password_changed_at = stored->password_changed_at;
  return result;
}

}  // namespace tether::relay
