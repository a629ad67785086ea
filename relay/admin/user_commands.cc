#include "relay/admin/user_commands.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string_view>
#include <vector>

#include "crypto/password_policy.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "relay/accounts/account_admin.h"
#include "relay/admin/admin_support.h"
#include "relay/store/record_writer.h"
#include "relay/store/store.h"

namespace tether::relay::admin {
namespace {

const std::vector<std::string> kRoleNames = {"admin", "technician", "auditor"};

CLI::App* AddNamedSubcommand(CLI::App* parent,
                             const char* name,
                             const char* description,
                             std::string& user_name) {
  auto* command = parent->add_subcommand(name, description);
  command->add_option("NAME", user_name, "The account's user name")->required();
  return command;
}

// The account operations, acting as this CLI user.
struct Admin {
  std::unique_ptr<Store> store;
  AccountAdmin accounts;
};

Result<std::unique_ptr<Admin>> OpenAdmin(const RelayConfig& config) {
  TETHER_TRY(store, OpenStore(config));
  Store& opened = **store;
  return std::unique_ptr<Admin>(
      new Admin{std::move(*store),
                AccountAdmin(opened, config.password_policy, CliActor())});
}

// "no account 'x'" with the hint where to look.
int FailWith(const Error& error) {
  if (error.message.rfind("no account '", 0) == 0)
    return Fail(error.message + " (tether-relay user list shows them)");
  return Fail(error.message);
}

std::string Status(const Account& account, Clock::WallTime now) {
  std::vector<std::string_view> flags;
  if (account.disabled)
    flags.push_back("disabled");
  if (account.locked)
    flags.push_back("locked");
  if (account.locked_until && *account.locked_until > now) {
    flags.push_back("throttled");
  }
  if (account.must_change_password)
    flags.push_back("must-change");
  if (flags.empty())
    return "active";
  std::string out;
  for (auto flag : flags) {
    if (!out.empty())
      out += ',';
    out += flag;
  }
  return out;
}

void PrintTable(const std::vector<std::array<std::string, 6>>& rows) {
  std::array<size_t, 6> width{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line.append(width[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

UserCommands::UserCommands(CLI::App& app) {
  user_ = app.add_subcommand(
      "user",
      "Manage technician, admin and auditor accounts (run as the relay's "
      "user, on the relay's machine)");
  user_->require_subcommand(1);

  add_ = AddNamedSubcommand(
      user_, "add",
      "Create an account. The first password is read from standard input "
      "(one line; prompted for twice at a terminal) or made up with "
      "--generate, and must be changed at the first login",
      name_);
  add_->add_option("--role", role_, "admin, technician or auditor")
      ->required()
      ->check(CLI::IsMember(kRoleNames));
  add_->add_option("--display-name", display_name_,
                   "The name shown to customers and in lists");
  add_->add_flag("--generate", generate_,
                 "Make up a strong password and print it once");

  list_ = user_->add_subcommand(
      "list",
      "List accounts: name, display name, role, status (active, disabled, "
      "locked, throttled, must-change), TOTP, last login");
  list_->add_option("--format", format_, "table, csv or jsonl")
      ->check(CLI::IsMember({"table", "csv", "jsonl"}))
      ->capture_default_str();

  disable_ = AddNamedSubcommand(
      user_, "disable",
      "Refuse the account's logins from now on (the last enabled admin "
      "cannot be disabled)",
      name_);
  enable_ = AddNamedSubcommand(
      user_, "enable", "Allow a disabled account to log in again", name_);
  unlock_ = AddNamedSubcommand(
      user_, "unlock",
      "Clear a lock or throttle after failed logins, and the failure count",
      name_);
  reset_password_ = AddNamedSubcommand(
      user_, "reset-password",
      "Set a new password, read from standard input or made up with "
      "--generate; the user must change it at the next login",
      name_);
  reset_password_->add_flag("--generate", generate_,
                            "Make up a strong password and print it once");
  set_role_ = AddNamedSubcommand(
      user_, "set-role",
      "Change the account's role (the last enabled admin cannot be demoted)",
      name_);
  set_role_->add_option("ROLE", role_, "admin, technician or auditor")
      ->required()
      ->check(CLI::IsMember(kRoleNames));
  totp_enroll_ = AddNamedSubcommand(
      user_, "totp-enroll",
      "Give the account a new TOTP secret and print its otpauth:// URI once; "
      "from then on its logins need a code from an authenticator app",
      name_);
  totp_enroll_->add_flag("--remove", remove_,
                         "Turn TOTP off for the account instead");
}

std::optional<int> UserCommands::Run(const RelayConfig& config) {
  if (!user_->parsed())
    return std::nullopt;
  if (add_->parsed())
    return Add(config);
  if (list_->parsed())
    return List(config);
  if (disable_->parsed())
    return SetDisabled(config, true);
  if (enable_->parsed())
    return SetDisabled(config, false);
  if (unlock_->parsed())
    return Unlock(config);
  if (reset_password_->parsed())
    return ResetPassword(config);
  if (set_role_->parsed())
    return SetRole(config);
  if (totp_enroll_->parsed())
    return TotpEnroll(config);
  return kExitUsage;
}

int UserCommands::Add(const RelayConfig& config) {
  if (auto valid = ValidateUserName(name_); !valid) {
    return Fail(valid.error().message);
  }
  if (auto valid = ValidateDisplayName(display_name_); !valid) {
    return Fail(valid.error().message);
  }
  auto role = ParseAccountRole(role_);
  if (!role)
    return Fail(role.error().message);
  auto admin = OpenAdmin(config);
  if (!admin)
    return Fail(admin.error().message);
  // Before asking for a password that would be thrown away.
  auto existing = (*admin)->store->FindAccount(name_);
  if (!existing)
    return Fail(existing.error().message);
  if (existing->has_value()) {
    return Fail("account '" + (**existing).user_name + "' already exists");
  }
  std::optional<std::string> typed;
  if (!generate_) {
    auto read = ReadNewPassword(name_);
    if (!read)
      return Fail(read.error().message);
    typed = std::move(*read);
  }
  auto created =
      (*admin)->accounts.Create(name_, display_name_, *role, std::move(typed));
  if (!created)
    return FailWith(created.error());

  std::printf(
      "Created %s account '%s'. The password must be changed at its first "
      "login.\n",
      std::string(ToString(*role)).c_str(), name_.c_str());
  if (generate_) {
    std::printf("One-time password for %s: %s\n", name_.c_str(),
                created->password.c_str());
  }
  if (config.accounts.require_totp) {
    std::printf(
        "This relay requires TOTP: run `tether-relay user totp-enroll %s` "
        "before the first login.\n",
        name_.c_str());
  }
  return kExitOk;
}

int UserCommands::List(const RelayConfig& config) {
  auto store = OpenStore(config);
  if (!store)
    return Fail(store.error().message);
  auto accounts = (*store)->ListAccounts();
  if (!accounts)
    return Fail(accounts.error().message);
  const auto now = Clock::System().WallNow();
  const auto last_login = [](const Account& account) {
    return account.last_login_at ? FormatIsoUtc(*account.last_login_at)
                                 : std::string("never");
  };

  if (format_ == "table") {
    std::vector<std::array<std::string, 6>> rows;
    rows.push_back(
        {"NAME", "DISPLAY NAME", "ROLE", "STATUS", "TOTP", "LAST LOGIN"});
    for (const auto& account : *accounts) {
      rows.push_back({PrintableText(account.user_name),
                      PrintableText(account.display_name),
                      std::string(ToString(account.role)), Status(account, now),
                      account.totp_secret ? "yes" : "no", last_login(account)});
    }
    PrintTable(rows);
    return kExitOk;
  }

  auto format = ParseExportFormat(format_);
  if (!format)
    return Fail(format.error().message);
  auto written = WriteOutput({}, [&](std::ostream& out) -> Result<void> {
    RecordWriter writer(
        *format, out,
        {"user_name", "display_name", "role", "status", "totp", "last_login"});
    for (const auto& account : *accounts) {
      writer.Text(account.user_name);
      writer.Text(account.display_name);
      writer.Text(ToString(account.role));
      writer.Text(Status(account, now));
      writer.Text(account.totp_secret ? "yes" : "no");
      writer.Text(last_login(account));
      if (auto ended = writer.EndRecord(); !ended)
        return ended;
    }
    return writer.Finish();
  });
  if (!written)
    return Fail(written.error().message);
  return kExitOk;
}

int UserCommands::SetDisabled(const RelayConfig& config, bool disabled) {
  auto admin = OpenAdmin(config);
  if (!admin)
    return Fail(admin.error().message);
  auto done = (*admin)->accounts.SetDisabled(name_, disabled);
  if (!done)
    return FailWith(done.error());
  const char* user = done->account.user_name.c_str();
  if (!done->changed) {
    std::printf("'%s' is already %s.\n", user,
                disabled ? "disabled" : "enabled");
  } else {
    std::printf("'%s' is now %s.\n", user,
                disabled ? "disabled; its next login is refused" : "enabled");
  }
  return kExitOk;
}

int UserCommands::Unlock(const RelayConfig& config) {
  auto admin = OpenAdmin(config);
  if (!admin)
    return Fail(admin.error().message);
  auto done = (*admin)->accounts.Unlock(name_);
  if (!done)
    return FailWith(done.error());
  std::printf("'%s' is unlocked (%s).\n", done->account.user_name.c_str(),
              done->detail.c_str());
  return kExitOk;
}

int UserCommands::ResetPassword(const RelayConfig& config) {
  auto admin = OpenAdmin(config);
  if (!admin)
    return Fail(admin.error().message);
  auto account = (*admin)->accounts.Find(name_);
  if (!account)
    return FailWith(account.error());
  std::optional<std::string> typed;
  if (!generate_) {
    auto read = ReadNewPassword(account->user_name);
    if (!read)
      return Fail(read.error().message);
    typed = std::move(*read);
  }
  auto done = (*admin)->accounts.ResetPassword(name_, std::move(typed));
  if (!done)
    return FailWith(done.error());
  const Account& changed = done->account;
  std::printf(
      "New password set for '%s'; it must be changed at the next login.\n",
      changed.user_name.c_str());
  if (generate_) {
    std::printf("One-time password for %s: %s\n", changed.user_name.c_str(),
                done->password.c_str());
  }
  if (changed.locked || changed.disabled) {
    std::printf(
        "Note: '%s' is still %s.\n", changed.user_name.c_str(),
        changed.disabled ? "disabled (user enable)" : "locked (user unlock)");
  }
  return kExitOk;
}

int UserCommands::SetRole(const RelayConfig& config) {
  auto role = ParseAccountRole(role_);
  if (!role)
    return Fail(role.error().message);
  auto admin = OpenAdmin(config);
  if (!admin)
    return Fail(admin.error().message);
  auto done = (*admin)->accounts.SetRole(name_, *role);
  if (!done)
    return FailWith(done.error());
  std::printf(done->changed ? "'%s' is now %s.\n" : "'%s' is already %s.\n",
              done->account.user_name.c_str(), role_.c_str());
  return kExitOk;
}

int UserCommands::TotpEnroll(const RelayConfig& config) {
  auto admin = OpenAdmin(config);
  if (!admin)
    return Fail(admin.error().message);
  if (remove_) {
    auto done = (*admin)->accounts.RemoveTotp(name_);
    if (!done)
      return FailWith(done.error());
    const char* user = done->account.user_name.c_str();
    if (!done->changed) {
      std::printf("'%s' has no TOTP.\n", user);
      return kExitOk;
    }
    std::printf("TOTP is off for '%s'.\n", user);
    if (config.accounts.require_totp) {
      std::printf(
          "This relay requires TOTP: '%s' cannot log in until enrolled "
          "again.\n",
          user);
    }
    return kExitOk;
  }

  auto done = (*admin)->accounts.EnrollTotp(name_);
  if (!done)
    return FailWith(done.error());
  const std::string& user_name = done->account.user_name;
  std::printf(
      "TOTP enrolled for '%s'%s. Hand this to the user privately, once: "
      "show the URI as a QR code (e.g. qrencode -t ANSIUTF8 '<uri>') or type "
      "the secret into the authenticator app. Logins now need its 6-digit "
      "code.\n",
      user_name.c_str(),
      done->replaced ? " (the earlier secret no longer works)" : "");
  std::printf(
      "otpauth URI: %s\n",
      crypto::OtpauthUri(config.accounts.totp_issuer, user_name, done->secret)
          .c_str());
  std::printf("secret: %s\n", crypto::Base32Encode(done->secret).c_str());
  return kExitOk;
}

}  // namespace tether::relay::admin
