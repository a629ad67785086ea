// The admin subcommands of the real tether-relay binary (user, audit,
// events, config) against a real SQLite store, some next to a running
// relay that a real TLS client logs in to.

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/password_hash.h"
#include "crypto/totp.h"
#include "relay/store/sqlite_store.h"
#include "tests/relay/store_test_util.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/text_files.h"

namespace tether::relay {
namespace {

using ::tether::relay::test::RawExec;
using ::tether::test::RelayProcess;
using ::tether::test::RelayTestClient;

using tether::test::kPassword;
constexpr char kOtherPassword[] = "plaid giraffe umbrella orbit";

using ::tether::test::Lines;
using ::tether::test::ReadFile;

class AdminCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { relay_ = std::make_unique<RelayProcess>(); }

  RelayProcess::CommandResult Run(const std::vector<std::string>& args,
                                  const std::string& stdin_text = "") {
    return relay_->RunCommand(args, stdin_text);
  }

  // `user add` with a password on stdin; asserts it worked.
  void AddUser(const std::string& name,
               const std::string& role,
               const std::string& password = kPassword) {
    auto result = Run({"user", "add", name, "--role", role}, password + "\n");
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }

  std::unique_ptr<SqliteStore> OpenStore() {
    auto store = SqliteStore::Open(relay_->database(), Clock::System());
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  Account FindAccount(const std::string& name) {
    auto store = OpenStore();
    auto found = store->FindAccount(name);
    EXPECT_TRUE(found.has_value() && found->has_value()) << name;
    return found && found->has_value() ? **found : Account{};
  }

  void UpdateAccount(const Account& account) {
    auto store = OpenStore();
    auto updated = store->ChangeAccount(account.id, [&](Account& stored) {
      stored = account;
      return true;
    });
    ASSERT_TRUE(updated.has_value()) << updated.error().message;
  }

  // The audit log as JSON objects, through `audit export --format jsonl`.
  std::vector<std::map<std::string, std::string>> AuditRows() {
    const auto path = relay_->dir() / "audit.jsonl";
    auto result =
        Run({"audit", "export", "--format", "jsonl", "--out", path.string()});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    std::vector<std::map<std::string, std::string>> rows;
    for (const auto& line : Lines(ReadFile(path))) {
      auto row = test::ParseJsonObject(line);
      EXPECT_TRUE(row.has_value()) << line;
      if (row)
        rows.push_back(*row);
    }
    return rows;
  }

  void StartRelay() {
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  proto::LoginResult::Status Login(const std::string& user,
                                   const std::string& password,
                                   const std::string& totp = "") {
    auto client =
        RelayTestClient::Connect(relay_->port(), relay_->fingerprint());
    EXPECT_TRUE(client.has_value()) << client.error().message;
    if (!client)
      return proto::LoginResult::STATUS_UNSPECIFIED;
    auto ack = (*client)->Hello(proto::ROLE_SUPPORTER);
    EXPECT_TRUE(ack && ack->has_hello_ack());
    auto result = (*client)->Login(user, password, totp);
    EXPECT_TRUE(result.has_value()) << result.error().message;
    return result ? result->login_result().status()
                  : proto::LoginResult::STATUS_UNSPECIFIED;
  }

  std::unique_ptr<RelayProcess> relay_;
};

TEST_F(AdminCommandsTest, UserAddRefusesWeakPasswordNamingTheRule) {
  auto result =
      Run({"user", "add", "bob", "--role", "technician"}, "password123\n");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("password refused:"), std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("password123"), std::string::npos)
      << "the refusal repeats the password: " << result.output;
  auto found = OpenStore()->FindAccount("bob");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_F(AdminCommandsTest, UserAddStoresStdinPasswordAndRequiresChange) {
  auto result = Run(
      {"user", "add", "bob", "--role", "auditor", "--display-name", "Bob (IT)"},
      std::string(kPassword) + "\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find(kPassword), std::string::npos) << result.output;
  Account bob = FindAccount("bob");
  EXPECT_EQ(bob.role, AccountRole::kAuditor);
  EXPECT_EQ(bob.display_name, "Bob (IT)");
  EXPECT_TRUE(bob.must_change_password);
  auto verified = crypto::VerifyPassword(kPassword, bob.password_hash);
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(*verified);
}

TEST_F(AdminCommandsTest, UserAddWithoutPasswordOnStdinFails) {
  auto result = Run({"user", "add", "bob", "--role", "technician"}, "");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("no password on standard input"),
            std::string::npos)
      << result.output;
}

TEST_F(AdminCommandsTest, UserAddGeneratedPasswordLogsInToRunningRelay) {
  StartRelay();
  auto result = Run({"user", "add", "root", "--role", "admin", "--generate"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(
      result.output, match,
      std::regex(
          R"(One-time password for root: ([a-z2-9]{5}(-[a-z2-9]{5}){3}))")))
      << result.output;
  const std::string password = match[1];
  EXPECT_EQ(Login("root", password),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
  EXPECT_EQ(Login("root", "not the password at all"),
            proto::LoginResult::STATUS_BAD_CREDENTIALS);
}

TEST_F(AdminCommandsTest, UserAddRefusesDuplicateName) {
  AddUser("bob", "technician");
  auto result = Run({"user", "add", "BOB", "--role", "admin"},
                    std::string(kPassword) + "\n");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("already exists"), std::string::npos)
      << result.output;
  EXPECT_EQ(FindAccount("bob").role, AccountRole::kTechnician);
}

TEST_F(AdminCommandsTest, UserAddRefusesBadUserName) {
  for (const char* name :
       {"system", "SYSTEM", ".x", "a b", "cli:root", "x\x1b[31m"}) {
    SCOPED_TRACE(name);
    auto result = Run({"user", "add", name, "--role", "technician"},
                      std::string(kPassword) + "\n");
    EXPECT_EQ(result.exit_code, 1) << result.output;
  }
}

TEST_F(AdminCommandsTest, UserListShowsEachStatus) {
  AddUser("fresh", "technician");
  AddUser("active", "technician");
  AddUser("off", "technician");
  AddUser("stuck", "auditor");
  AddUser("slow", "technician");
  AddUser("boss", "admin");
  {
    Account account = FindAccount("active");
    account.must_change_password = false;
    UpdateAccount(account);
    account = FindAccount("stuck");
    account.must_change_password = false;
    account.locked = true;
    UpdateAccount(account);
    account = FindAccount("slow");
    account.must_change_password = false;
    account.locked_until = Clock::System().WallNow() + std::chrono::minutes(10);
    UpdateAccount(account);
  }
  ASSERT_EQ(Run({"user", "disable", "off"}).exit_code, 0);
  ASSERT_EQ(Run({"user", "totp-enroll", "boss"}).exit_code, 0);

  auto table = Run({"user", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("STATUS"), std::string::npos) << table.output;

  auto result = Run({"user", "list", "--format", "csv"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto records = test::ParseCsv(result.output);
  ASSERT_TRUE(records.has_value()) << result.output;
  ASSERT_EQ(records->size(), 7u) << result.output;
  EXPECT_EQ((*records)[0],
            (std::vector<std::string>{"user_name", "display_name", "role",
                                      "status", "totp", "last_login"}));
  std::map<std::string, std::vector<std::string>> by_name;
  for (const auto& record : *records)
    by_name[record[0]] = record;
  EXPECT_EQ(by_name["fresh"][3], "must-change");
  EXPECT_EQ(by_name["active"][3], "active");
  EXPECT_EQ(by_name["off"][3], "disabled,must-change");
  EXPECT_EQ(by_name["stuck"][3], "locked");
  EXPECT_EQ(by_name["slow"][3], "throttled");
  EXPECT_EQ(by_name["boss"][2], "admin");
  EXPECT_EQ(by_name["boss"][4], "yes");
  EXPECT_EQ(by_name["fresh"][4], "no");
  EXPECT_EQ(by_name["fresh"][5], "never");
}

TEST_F(AdminCommandsTest, DisabledAccountLoginIsRefusedUntilEnabled) {
  StartRelay();
  AddUser("boss", "admin");
  AddUser("bob", "technician");
  auto disabled = Run({"user", "disable", "bob"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
  EXPECT_EQ(Login("bob", kPassword), proto::LoginResult::STATUS_DISABLED);

  auto enabled = Run({"user", "enable", "bob"});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.output;
  EXPECT_EQ(Login("bob", kPassword),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
}

TEST_F(AdminCommandsTest, UnlockClearsLockThrottleAndFailureCount) {
  AddUser("bob", "technician");
  Account bob = FindAccount("bob");
  bob.locked = true;
  bob.failed_logins = 20;
  bob.locked_until = Clock::System().WallNow() + std::chrono::minutes(15);
  UpdateAccount(bob);

  auto result = Run({"user", "unlock", "bob"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  bob = FindAccount("bob");
  EXPECT_FALSE(bob.locked);
  EXPECT_FALSE(bob.locked_until.has_value());
  EXPECT_EQ(bob.failed_logins, 0u);
}

TEST_F(AdminCommandsTest, LockedAccountLogsInAfterUnlock) {
  StartRelay();
  AddUser("bob", "technician");
  Account bob = FindAccount("bob");
  bob.locked = true;
  bob.failed_logins = 20;
  UpdateAccount(bob);
  EXPECT_EQ(Login("bob", kPassword), proto::LoginResult::STATUS_LOCKED);
  ASSERT_EQ(Run({"user", "unlock", "bob"}).exit_code, 0);
  EXPECT_EQ(Login("bob", kPassword),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
}

TEST_F(AdminCommandsTest, LastEnabledAdminCannotBeDemotedOrDisabled) {
  AddUser("boss", "admin");
  auto demote = Run({"user", "set-role", "boss", "technician"});
  EXPECT_EQ(demote.exit_code, 1) << demote.output;
  EXPECT_NE(demote.output.find("last enabled admin"), std::string::npos)
      << demote.output;
  auto disable = Run({"user", "disable", "boss"});
  EXPECT_EQ(disable.exit_code, 1) << disable.output;
  EXPECT_EQ(FindAccount("boss").role, AccountRole::kAdmin);
  EXPECT_FALSE(FindAccount("boss").disabled);

  AddUser("deputy", "technician");
  ASSERT_EQ(Run({"user", "set-role", "deputy", "admin"}).exit_code, 0);
  auto now_allowed = Run({"user", "set-role", "boss", "technician"});
  EXPECT_EQ(now_allowed.exit_code, 0) << now_allowed.output;
  EXPECT_EQ(FindAccount("boss").role, AccountRole::kTechnician);
  EXPECT_EQ(Run({"user", "disable", "deputy"}).exit_code, 1);
}

TEST_F(AdminCommandsTest, ResetPasswordReplacesHashAndRequiresChange) {
  AddUser("bob", "technician");
  Account bob = FindAccount("bob");
  bob.must_change_password = false;
  UpdateAccount(bob);

  auto result = Run({"user", "reset-password", "bob"},
                    std::string(kOtherPassword) + "\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  bob = FindAccount("bob");
  EXPECT_TRUE(bob.must_change_password);
  auto verified = crypto::VerifyPassword(kOtherPassword, bob.password_hash);
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(*verified);
}

TEST_F(AdminCommandsTest, ResetPasswordToHistoricPasswordIsRefusedByPolicy) {
  relay_ = std::make_unique<RelayProcess>("[password_policy]\nhistory = 3\n");
  AddUser("bob", "technician");
  auto result =
      Run({"user", "reset-password", "bob"}, std::string(kPassword) + "\n");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("password refused"), std::string::npos)
      << result.output;
}

TEST_F(AdminCommandsTest, TotpEnrollPrintsUriAndLoginThenNeedsTheCode) {
  StartRelay();
  AddUser("bob", "technician");
  auto result = Run({"user", "totp-enroll", "bob"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::smatch uri;
  ASSERT_TRUE(std::regex_search(
      result.output, uri,
      std::regex(R"(otpauth://totp/Tether:bob\?secret=([A-Z2-7]+)&\S*)")))
      << result.output;
  std::smatch secret_line;
  ASSERT_TRUE(std::regex_search(result.output, secret_line,
                                std::regex(R"(secret: ([A-Z2-7]+))")));
  EXPECT_EQ(uri[1], secret_line[1]);
  auto secret = crypto::Base32Decode(secret_line[1].str());
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(FindAccount("bob").totp_secret, *secret);

  EXPECT_EQ(Login("bob", kPassword), proto::LoginResult::STATUS_TOTP_REQUIRED);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          Clock::System().WallNow().time_since_epoch())
                          .count();
  auto code = crypto::GenerateTotp(*secret, now);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(Login("bob", kPassword, *code),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
}

TEST_F(AdminCommandsTest, TotpRemoveTurnsTheSecondFactorOff) {
  AddUser("bob", "technician");
  ASSERT_EQ(Run({"user", "totp-enroll", "bob"}).exit_code, 0);
  ASSERT_TRUE(FindAccount("bob").totp_secret.has_value());
  auto result = Run({"user", "totp-enroll", "bob", "--remove"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_FALSE(FindAccount("bob").totp_secret.has_value());
}

TEST_F(AdminCommandsTest, EveryChangeIsAuditedByTheUnixUser) {
  AddUser("boss", "admin");
  AddUser("bob", "technician");
  ASSERT_EQ(Run({"user", "disable", "bob"}).exit_code, 0);
  ASSERT_EQ(Run({"user", "enable", "bob"}).exit_code, 0);
  ASSERT_EQ(Run({"user", "unlock", "bob"}).exit_code, 0);
  ASSERT_EQ(Run({"user", "reset-password", "bob", "--generate"}).exit_code, 0);
  ASSERT_EQ(Run({"user", "set-role", "bob", "auditor"}).exit_code, 0);
  ASSERT_EQ(Run({"user", "totp-enroll", "bob"}).exit_code, 0);
  ASSERT_EQ(Run({"user", "totp-enroll", "bob", "--remove"}).exit_code, 0);

  const passwd* me = getpwuid(geteuid());
  ASSERT_NE(me, nullptr);
  const std::string actor = std::string("cli:") + me->pw_name;
  std::vector<std::string> actions;
  for (const auto& row : AuditRows()) {
    EXPECT_EQ(row.at("actor"), actor);
    actions.push_back(row.at("action"));
  }
  EXPECT_EQ(actions,
            (std::vector<std::string>{
                "account.create", "account.create", "account.disable",
                "account.enable", "account.unlock", "account.reset_password",
                "account.role", "account.totp_enroll", "account.totp_remove",
                "audit.export"}));
}

TEST_F(AdminCommandsTest, NoPasswordOrTotpSecretAppearsInTheAuditExport) {
  AddUser("bob", "technician");
  ASSERT_EQ(
      Run({"user", "reset-password", "bob"}, std::string(kOtherPassword) + "\n")
          .exit_code,
      0);
  auto enrolled = Run({"user", "totp-enroll", "bob"});
  ASSERT_EQ(enrolled.exit_code, 0);
  std::smatch secret;
  ASSERT_TRUE(std::regex_search(enrolled.output, secret,
                                std::regex(R"(secret: ([A-Z2-7]+))")));

  for (const char* format : {"csv", "jsonl"}) {
    const auto path = relay_->dir() / (std::string("audit.") + format);
    auto result =
        Run({"audit", "export", "--format", format, "--out", path.string()});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const std::string text = ReadFile(path);
    ASSERT_NE(text.find("account.totp_enroll"), std::string::npos) << text;
    EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
    EXPECT_EQ(text.find(kOtherPassword), std::string::npos) << text;
    EXPECT_EQ(text.find(secret[1].str()), std::string::npos) << text;
  }
}

TEST_F(AdminCommandsTest, AuditVerifyPassesThenNamesTheTamperedRow) {
  AddUser("boss", "admin");
  AddUser("bob", "technician");
  AddUser("carol", "technician");
  auto ok = Run({"audit", "verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("audit chain ok: 3 rows"), std::string::npos)
      << ok.output;

  ASSERT_EQ(
      RawExec(relay_->database(),
              "DROP TRIGGER audit_log_no_update;"
              "UPDATE audit_log SET detail = 'role auditor' WHERE id = 2"),
      "");
  auto bad = Run({"audit", "verify"});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("BROKEN at row 2:"), std::string::npos)
      << bad.output;
}

TEST_F(AdminCommandsTest, AuditExportIsParseableCsvAndRecordsItself) {
  AddUser("boss", "admin");
  AddUser("bob", "technician");
  const auto path = relay_->dir() / "audit.csv";
  auto result = Run({"audit", "export", "--out", path.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto records = test::ParseCsv(ReadFile(path));
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 4u);  // header, 2 creations, this export
  const auto& header = (*records)[0];
  for (const auto& record : *records)
    EXPECT_EQ(record.size(), header.size());
  const auto action = std::find(header.begin(), header.end(), "action");
  ASSERT_NE(action, header.end());
  const size_t column = static_cast<size_t>(action - header.begin());
  EXPECT_EQ((*records)[1][column], "account.create");
  EXPECT_EQ((*records)[3][column], "audit.export");
}

TEST_F(AdminCommandsTest, ExportSinceLeavesOutOlderRows) {
  AddUser("boss", "admin");
  auto result = Run({"audit", "export", "--since", "2261-01-01T00:00:00Z"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto records = test::ParseCsv(result.output);
  ASSERT_TRUE(records.has_value()) << result.output;
  EXPECT_EQ(records->size(), 1u) << result.output;  // the header only

  auto with_offset =
      Run({"audit", "export", "--since", "2000-01-01T08:30:00.5+01:00"});
  ASSERT_EQ(with_offset.exit_code, 0) << with_offset.output;
  records = test::ParseCsv(with_offset.output);
  ASSERT_TRUE(records.has_value()) << with_offset.output;
  EXPECT_EQ(records->size(), 4u) << with_offset.output;  // + create, 2 exports

  auto bad = Run({"audit", "export", "--since", "yesterday"});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("'yesterday' is not a date"), std::string::npos)
      << bad.output;
}

TEST_F(AdminCommandsTest, EventsExportIsParseableCsvIncludingUnknownRole) {
  {
    auto store = OpenStore();
    ConnectionEvent event;
    event.started_at = Clock::System().WallNow();
    event.duration = std::chrono::milliseconds(1500);
    event.account = "bob";
    event.role = "supporter";
    event.source_address = "203.0.113.7:51234";
    event.bytes_in = 10;
    event.bytes_out = 20;
    event.end_reason = "ended, \"by peer\"";
    ASSERT_TRUE(store->RecordEvent(event).has_value());
    event.account.clear();
    event.role = "unknown";
    event.end_reason = "no hello";
    ASSERT_TRUE(store->RecordEvent(event).has_value());
  }
  const auto path = relay_->dir() / "events.csv";
  auto result =
      Run({"events", "export", "--format", "csv", "--out", path.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto records = test::ParseCsv(ReadFile(path));
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[1][3], "supporter");
  EXPECT_EQ((*records)[1][8], "ended, \"by peer\"");
  EXPECT_EQ((*records)[2][3], "unknown");

  std::vector<std::string> actions;
  for (const auto& row : AuditRows())
    actions.push_back(row.at("action"));
  EXPECT_EQ(actions.front(), "events.export");
}

TEST_F(AdminCommandsTest, HelpOfEverySubcommandExitsZero) {
  const std::vector<std::vector<std::string>> commands = {
      {},
      {"user"},
      {"user", "add"},
      {"user", "list"},
      {"user", "disable"},
      {"user", "enable"},
      {"user", "unlock"},
      {"user", "reset-password"},
      {"user", "set-role"},
      {"user", "totp-enroll"},
      {"audit"},
      {"audit", "export"},
      {"audit", "verify"},
      {"events"},
      {"events", "export"},
      {"cert", "init"},
      {"cert", "show"},
      {"config", "check"},
      {"serve"}};
  for (auto args : commands) {
    args.push_back("--help");
    auto result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << ::testing::PrintToString(args);
    EXPECT_NE(result.output.find("Usage:"), std::string::npos) << result.output;
  }
}

TEST_F(AdminCommandsTest, UsageErrorsExitTwo) {
  EXPECT_EQ(
      Run({"user", "add", "bob"}, std::string(kPassword) + "\n").exit_code,
      2);  // no --role
  EXPECT_EQ(Run({"user", "add", "bob", "--role", "root"}).exit_code, 2);
  EXPECT_EQ(Run({"user", "set-role", "bob"}).exit_code, 2);
  EXPECT_EQ(Run({"audit", "export", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(Run({"user"}).exit_code, 2);
  EXPECT_EQ(Run({"nonsense"}).exit_code, 2);
}

TEST_F(AdminCommandsTest, UnknownAccountIsAFailureNamingIt) {
  auto result = Run({"user", "disable", "ghost"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("no account 'ghost'"), std::string::npos)
      << result.output;
}

TEST_F(AdminCommandsTest, ConfigCheckExitsOneNamingTheBadKey) {
  auto good = Run({"config", "check"});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  relay_ = std::make_unique<RelayProcess>("[accounts]\nrequire_totpp = true\n");
  auto bad = Run({"config", "check"});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("require_totpp"), std::string::npos) << bad.output;
}

// ---- backup, restore, customer-config --------------------------------------

TEST_F(AdminCommandsTest,
       BackupWhileServingRestoresIntoARelayWithTheSameAccounts) {
  AddUser("tina", "technician");
  StartRelay();
  // A technician signed in with a code waiting: the relay is busy.
  auto client = RelayTestClient::Connect(relay_->port(), relay_->fingerprint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->Hello(proto::ROLE_SUPPORTER).has_value());
  auto login = (*client)->Login("tina", kPassword, "");
  ASSERT_TRUE(login.has_value());
  ASSERT_EQ(login->login_result().status(),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);

  const auto backup = relay_->dir() / "backup.db";
  auto taken = Run({"backup", "--to", backup.string()});
  ASSERT_EQ(taken.exit_code, 0) << taken.output;
  EXPECT_NE(taken.output.find("backup written"), std::string::npos);
  EXPECT_EQ(
      std::filesystem::status(backup).permissions() &
          std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_FALSE(std::filesystem::exists(backup.string() + ".part"));
  // Never replaces a file.
  auto again = Run({"backup", "--to", backup.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("never replaces"), std::string::npos);

  // Not under a running relay.
  auto refused = Run({"restore", "--from", backup.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("a relay is serving"), std::string::npos)
      << refused.output;

  client->reset();
  ASSERT_TRUE(relay_->Stop().has_value());
  AddUser("later", "technician");  // made after the backup: gone after restore
  auto restored = Run({"restore", "--from", backup.string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.output;
  EXPECT_NE(restored.output.find("audit chain ok"), std::string::npos);
  StartRelay();
  EXPECT_EQ(Login("tina", kPassword),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
  EXPECT_EQ(Login("later", kPassword),
            proto::LoginResult::STATUS_BAD_CREDENTIALS);
  bool backup_audited = false, restore_audited = false;
  for (const auto& row : AuditRows()) {
    backup_audited |= row.at("action") == "database.backup";
    restore_audited |= row.at("action") == "database.restore";
  }
  EXPECT_TRUE(backup_audited);
  EXPECT_TRUE(restore_audited);
}

TEST_F(AdminCommandsTest, RestoreRefusesADamagedOrForeignFile) {
  AddUser("tina", "technician");
  const auto junk = relay_->dir() / "junk.db";
  std::ofstream(junk) << "this is not a database at all";
  auto refused = Run({"restore", "--from", junk.string()});
  EXPECT_EQ(refused.exit_code, 1);
  // The relay's own database is untouched.
  EXPECT_TRUE(FindAccount("tina").user_name == "tina");
}

TEST_F(AdminCommandsTest, ASecondRelayOnTheSameDatabaseIsRefused) {
  StartRelay();
  RelayProcess::CommandResult second = Run({"serve"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.output.find("a relay is serving"), std::string::npos)
      << second.output;
}

TEST_F(AdminCommandsTest, CustomerConfigNamesTheRelayAndItsKey) {
  ASSERT_EQ(Run({"cert", "init"}).exit_code, 0);
  const std::string fingerprint = Run({"cert", "show"}).output;
  const auto out = relay_->dir() / "tether-customer.toml";
  auto written = Run({"customer-config", "--host", "support.example.com",
                      "--port", "443", "--out", out.string()});
  ASSERT_EQ(written.exit_code, 0) << written.output;
  const std::string text = ReadFile(out);
  EXPECT_NE(text.find("host = 'support.example.com'"), std::string::npos)
      << text;
  EXPECT_NE(text.find("port = 443"), std::string::npos) << text;
  EXPECT_NE(text.find(fingerprint.substr(0, fingerprint.find('\n'))),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("organisation = 'Test IT'"), std::string::npos) << text;
}

}  // namespace
}  // namespace tether::relay
