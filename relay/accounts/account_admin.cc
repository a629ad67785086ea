#include "relay/accounts/account_admin.h"

#include <array>
#include <cstdint>
#include <vector>

#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "crypto/totp.h"

namespace tether::relay {
namespace {

// No i, l, o, 0 or 1: nothing to confuse when reading it off a screen.
constexpr std::string_view kPasswordAlphabet =
    "abcdefghjkmnpqrstuvwxyz23456789";
constexpr size_t kGroupLength = 5;
constexpr size_t kMinGroups = 4;

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

}  // namespace

Result<void> ValidateUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return MakeError("a user name has 1 to 64 characters");
  }
  if (!IsAsciiAlnum(name.front())) {
    return MakeError("a user name starts with a letter or a digit");
  }
  for (char c : name) {
    if (!IsAsciiAlnum(c) && c != '.' && c != '_' && c != '-' && c != '@') {
      return MakeError(
          "a user name may only hold letters A-Z, digits and . _ - @");
    }
  }
  std::string lower(name);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "system") {
    return MakeError("'system' is reserved for the relay's own audit rows");
  }
  return {};
}

Result<void> ValidateDisplayName(std::string_view name) {
  if (name.size() > 128) {
    return MakeError("a display name has at most 128 bytes");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return MakeError("a display name may not hold control characters");
    }
  }
  return {};
}

Result<std::string> GeneratePassword(const crypto::PasswordPolicy& policy,
                                     std::string_view user_name) {
  // Enough groups for the minimum length ("xxxxx-" per group, less one '-').
  size_t groups = kMinGroups;
  while (groups * (kGroupLength + 1) - 1 < policy.min_length)
    ++groups;
  const size_t letters = groups * kGroupLength;
  // Rejection sampling: bytes at or above the largest multiple of the
  // alphabet's size are drawn again, so every letter is equally likely.
  const unsigned limit = 256 - 256 % kPasswordAlphabet.size();
  auto& random = crypto::RandomGenerator::Default();
  Error last_refusal{"no password generated"};
  for (int attempt = 0; attempt < 32; ++attempt) {
    std::string password;
    std::array<uint8_t, 64> pool{};
    size_t used = pool.size();
    while (password.size() < letters + groups - 1) {
      if (used == pool.size()) {
        if (auto filled = random.Fill(pool); !filled) {
          return Unexpected(std::move(filled).error());
        }
        used = 0;
      }
      const uint8_t byte = pool[used++];
      if (byte >= limit)
        continue;
      if (!password.empty() &&
          password.size() % (kGroupLength + 1) == kGroupLength) {
        password += '-';
      }
      password += kPasswordAlphabet[byte % kPasswordAlphabet.size()];
    }
    // Letters, digits and '-' make three classes; a policy that wants
    // all four gets the first letter in upper case.
    if (policy.min_character_classes >= 4) {
      for (char& c : password) {
        if (c >= 'a' && c <= 'z') {
          c = static_cast<char>(c - 'a' + 'A');
          break;
        }
      }
    }
    auto allowed = crypto::CheckPassword(policy, password, user_name, {});
    if (allowed)
      return password;
    last_refusal = allowed.error();
  }
  return MakeError("cannot generate a password this policy accepts: " +
                   last_refusal.message);
}

AccountAdmin::AccountAdmin(Store& store,
                           const crypto::PasswordPolicy& policy,
                           std::string actor,
                           std::string source)
    : store_(store),
      policy_(policy),
      actor_(std::move(actor)),
      source_(std::move(source)) {}

Result<void> AccountAdmin::Audit(std::string_view action,
                                 std::string_view subject,
                                 std::string detail) {
  if (!source_.empty())
    detail += (detail.empty() ? "from " : ", from ") + source_;
  auto appended = store_.AppendAudit(actor_, action, subject, detail);
  if (!appended) {
    return MakeError(
        "the change was made, but its audit row could not be written: " +
        appended.error().message);
  }
  return {};
}

Result<Account> AccountAdmin::Find(std::string_view user_name) {
  TETHER_TRY(found, store_.FindAccount(user_name));
  if (!found->has_value()) {
    return MakeError("no account '" + std::string(user_name) + "'");
  }
  return std::move(**found);
}

Result<std::pair<std::string, std::string>> AccountAdmin::NewPassword(
    const Account* account,
    std::string_view user_name,
    std::optional<std::string> password) {
  if (!password) {
    TETHER_TRY(generated, GeneratePassword(policy_, user_name));
    password = std::move(*generated);
  }
  // The current password counts as the newest of the history, as it does
  // when a person changes their own.
  std::vector<std::string> previous;
  if (account != nullptr) {
    previous.push_back(account->password_hash);
    if (policy_.history > 0) {
      TETHER_TRY(history, store_.PasswordHistory(account->id, policy_.history));
      previous.insert(previous.end(), history->begin(), history->end());
    }
  }
  if (auto allowed =
          crypto::CheckPassword(policy_, *password, user_name, previous);
      !allowed) {
    return MakeError("password refused: " + allowed.error().message);
  }
  auto hash =
      crypto::HashPassword(*password, crypto::RandomGenerator::Default());
  if (!hash)
    return MakeError("cannot hash the password: " + hash.error().message);
  return std::pair{std::move(*password), std::move(*hash)};
}

Result<AccountAdmin::WithPassword> AccountAdmin::Create(
    std::string_view user_name,
    std::string_view display_name,
    AccountRole role,
    std::optional<std::string> password) {
  TETHER_RETURN_IF_ERROR(ValidateUserName(user_name));
  TETHER_RETURN_IF_ERROR(ValidateDisplayName(display_name));
  // Before hashing a password that would be thrown away.
  TETHER_TRY(existing, store_.FindAccount(user_name));
  if (existing->has_value()) {
    return MakeError("account '" + (**existing).user_name + "' already exists");
  }
  TETHER_TRY(fresh, NewPassword(nullptr, user_name, std::move(password)));
  Account account;
  account.user_name = std::string(user_name);
  account.display_name = std::string(display_name);
  account.role = role;
  account.password_hash = fresh->second;
  account.must_change_password = true;
  TETHER_TRY(created, store_.CreateAccount(account));
  TETHER_RETURN_IF_ERROR(Audit("account.create", created->user_name,
                               "role " + std::string(ToString(role))));
  return WithPassword{std::move(*created), std::move(fresh->first)};
}

Result<AccountAdmin::Changed> AccountAdmin::SetDisabled(
    std::string_view user_name,
    bool disabled) {
  TETHER_TRY(account, Find(user_name));
  // Only the one column, over what is stored now. The store refuses to
  // disable the last enabled admin.
  bool already = false;
  TETHER_TRY(changed, store_.ChangeAccount(account->id, [&](Account& stored) {
    already = stored.disabled == disabled;
    stored.disabled = disabled;
    return !already;
  }));
  if (!already) {
    TETHER_RETURN_IF_ERROR(
        Audit(disabled ? "account.disable" : "account.enable",
              changed->user_name, ""));
  }
  return Changed{std::move(*changed), !already, ""};
}

Result<AccountAdmin::Changed> AccountAdmin::Unlock(std::string_view user_name) {
  TETHER_TRY(account, Find(user_name));
  std::string detail;
  TETHER_TRY(changed, store_.ChangeAccount(account->id, [&](Account& stored) {
    detail = std::string(stored.locked ? "was locked" : "was not locked") +
             ", " + std::to_string(stored.failed_logins) +
             " failed logins in a row";
    stored.locked = false;
    stored.locked_until.reset();
    stored.failed_logins = 0;
    return true;
  }));
  TETHER_RETURN_IF_ERROR(Audit("account.unlock", changed->user_name, detail));
  return Changed{std::move(*changed), true, std::move(detail)};
}

Result<AccountAdmin::WithPassword> AccountAdmin::ResetPassword(
    std::string_view user_name,
    std::optional<std::string> password) {
  TETHER_TRY(account, Find(user_name));
  const bool generated = !password.has_value();
  TETHER_TRY(fresh,
             NewPassword(&*account, account->user_name, std::move(password)));
  // The store keeps the replaced hash in the history, in the same write.
  TETHER_TRY(changed, store_.ChangeAccount(account->id, [&](Account& stored) {
    stored.password_hash = fresh->second;
    stored.must_change_password = true;
    stored.password_changed_at = Clock::System().WallNow();
    return true;
  }));
  TETHER_RETURN_IF_ERROR(
      Audit("account.reset_password", changed->user_name,
            generated ? "generated" : "from standard input"));
  return WithPassword{std::move(*changed), std::move(fresh->first)};
}

Result<AccountAdmin::Changed> AccountAdmin::SetRole(std::string_view user_name,
                                                    AccountRole role) {
  TETHER_TRY(account, Find(user_name));
  // The store refuses to take the role from the last enabled admin.
  std::string detail;
  TETHER_TRY(changed, store_.ChangeAccount(account->id, [&](Account& stored) {
    if (stored.role == role)
      return false;
    detail = std::string(ToString(stored.role)) + " -> " +
             std::string(ToString(role));
    stored.role = role;
    return true;
  }));
  if (!detail.empty())
    TETHER_RETURN_IF_ERROR(Audit("account.role", changed->user_name, detail));
  const bool role_changed = !detail.empty();
  return Changed{std::move(*changed), role_changed, std::move(detail)};
}

Result<AccountAdmin::WithTotp> AccountAdmin::EnrollTotp(
    std::string_view user_name) {
  return StoreTotp(user_name, crypto::GenerateTotpSecret(
                                  crypto::RandomGenerator::Default()));
}

Result<AccountAdmin::WithTotp> AccountAdmin::StoreTotp(
    std::string_view user_name,
    const Bytes& secret) {
  TETHER_TRY(account, Find(user_name));
  bool replaced = false;
  TETHER_TRY(changed, store_.ChangeAccount(account->id, [&](Account& stored) {
    replaced = stored.totp_secret.has_value();
    stored.totp_secret = secret;
    stored.totp_last_step.reset();
    return true;
  }));
  TETHER_RETURN_IF_ERROR(Audit("account.totp_enroll", changed->user_name,
                               replaced ? "replaced the earlier secret" : ""));
  return WithTotp{std::move(*changed), secret, replaced};
}

Result<AccountAdmin::Changed> AccountAdmin::RemoveTotp(
    std::string_view user_name) {
  TETHER_TRY(account, Find(user_name));
  bool had = false;
  TETHER_TRY(changed, store_.ChangeAccount(account->id, [&](Account& stored) {
    had = stored.totp_secret.has_value();
    stored.totp_secret.reset();
    stored.totp_last_step.reset();
    return had;
  }));
  if (had)
    TETHER_RETURN_IF_ERROR(
        Audit("account.totp_remove", changed->user_name, ""));
  return Changed{std::move(*changed), had, ""};
}

}  // namespace tether::relay
