// Two requests at once on one account, against the real tether-relay and
// the real admin CLI (separate processes on one SQLite store): an admin's
// change made while logins are in flight stays, one TOTP code signs in
// once, every failure is counted, and a name without an account answers
// exactly as one with an account would.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/totp.h"
#include "relay/store/sqlite_store.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::relay {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;
using tether::test::RelayProcess;
using tether::test::RelayTestClient;
using Status = proto::LoginResult::Status;

using tether::test::kPassword;
constexpr char kWrongPassword[] = "plaid giraffe umbrella orbit";
constexpr int kLoginThreads = 4;

// Several logins must be in flight at once, whatever their source.
constexpr char kRelayToml[] = "[limits]\nlogins_per_source = 32\n";

class AccountRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    relay_ = std::make_unique<RelayProcess>(kRelayToml);
    // Through the CLI, so the hash has the real cost (~0.2 s a check).
    AddUser("root", "admin");
    AddUser("bob", "technician");
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  void AddUser(const std::string& name, const std::string& role) {
    auto added = relay_->RunCommand({"user", "add", name, "--role", role},
                                    std::string(kPassword) + "\n");
    ASSERT_EQ(added.exit_code, 0) << added.output;
    // `user add` asks for a change at the first login; these tests are
    // about what happens after it.
    Change(name, [](Account& a) {
      a.must_change_password = false;
      return true;
    });
  }

  void Change(const std::string& name, const Store::AccountChange& change) {
    auto store = SqliteStore::Open(relay_->database(), Clock::System());
    ASSERT_TRUE(store.has_value()) << store.error().message;
    auto found = (*store)->FindAccount(name);
    ASSERT_TRUE(found && found->has_value());
    ASSERT_TRUE((*store)->ChangeAccount((*found)->id, change).has_value());
  }

  Account Find(const std::string& name) {
    auto store = SqliteStore::Open(relay_->database(), Clock::System());
    EXPECT_TRUE(store.has_value()) << store.error().message;
    auto found = (*store)->FindAccount(name);
    EXPECT_TRUE(found && found->has_value()) << name;
    return found && found->has_value() ? **found : Account{};
  }

  // One login on a fresh connection: its answer.
  proto::LoginResult Login(const std::string& user,
                           const std::string& password,
                           const std::string& totp = "",
                           const std::string& source_ip = "") {
    auto client = RelayTestClient::Connect(
        relay_->port(), relay_->fingerprint(), seconds(5), source_ip);
    if (!client)
      return {};
    auto ack = (*client)->Hello(proto::ROLE_SUPPORTER);
    if (!ack || !ack->has_hello_ack())
      return {};
    auto result = (*client)->Login(user, password, totp);
    return result && result->has_login_result() ? result->login_result()
                                                : proto::LoginResult{};
  }

  // Runs `kLoginThreads` threads that log bob in with `password` over and
  // over; once `warm_up` logins finished, runs `admin_command` while they
  // go on, then lets every thread finish one more login that started after
  // the command returned. Returns the command's output and those last
  // answers.
  struct RaceResult {
    RelayProcess::CommandResult command;
    std::vector<Status> after;  // logins that started after the command
  };
  RaceResult RaceAdminCommand(const std::vector<std::string>& admin_command,
                              const std::string& password,
                              const std::string& stdin_text = "") {
    std::atomic<int> finished{0};
    std::atomic<bool> command_done{false};
    std::mutex mutex;
    std::condition_variable wake;
    RaceResult race;
    std::vector<std::thread> threads;
    for (int t = 0; t < kLoginThreads; ++t) {
      threads.emplace_back([&] {
        const auto give_up = steady_clock::now() + seconds(60);
        while (steady_clock::now() < give_up) {
          const bool started_after = command_done.load();
          const Status status = Login("bob", password).status();
          ++finished;
          wake.notify_all();
          if (started_after) {
            std::lock_guard lock(mutex);
            race.after.push_back(status);
            return;
          }
        }
      });
    }
    {
      // Logins are under way (each one reads the account, then spends
      // ~0.2 s on argon2id) before the admin acts.
      std::unique_lock lock(mutex);
      wake.wait_for(lock, seconds(30),
                    [&] { return finished.load() >= 2 * kLoginThreads; });
    }
    race.command = relay_->RunCommand(admin_command, stdin_text);
    command_done = true;
    for (auto& thread : threads)
      thread.join();
    return race;
  }

  std::unique_ptr<RelayProcess> relay_;
};

TEST_F(AccountRaceTest, DisableDuringLoginsSticksAndRefusesTheNextLogins) {
  auto race = RaceAdminCommand({"user", "disable", "bob"}, kPassword);
  ASSERT_EQ(race.command.exit_code, 0) << race.command.output;
  ASSERT_EQ(race.after.size(), size_t{kLoginThreads});
  for (Status status : race.after)
    EXPECT_EQ(status, proto::LoginResult::STATUS_DISABLED);
  // Logins that were in flight have all answered; the row says disabled.
  EXPECT_TRUE(Find("bob").disabled);
  EXPECT_EQ(Login("bob", kPassword).status(),
            proto::LoginResult::STATUS_DISABLED);
}

TEST_F(AccountRaceTest, ResetPasswordDuringLoginsSticks) {
  const std::string old_hash = Find("bob").password_hash;
  auto race = RaceAdminCommand({"user", "reset-password", "bob", "--generate"},
                               kPassword);
  ASSERT_EQ(race.command.exit_code, 0) << race.command.output;
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(race.command.output, match,
                        std::regex("One-time password for bob: (\\S+)")))
      << race.command.output;
  const std::string one_time = match[1];
  // The old password is wrong now (and enough wrong ones start the wait).
  for (Status status : race.after) {
    EXPECT_TRUE(status == proto::LoginResult::STATUS_BAD_CREDENTIALS ||
                status == proto::LoginResult::STATUS_THROTTLED)
        << proto::LoginResult::Status_Name(status);
  }
  const Account bob = Find("bob");
  EXPECT_NE(bob.password_hash, old_hash);
  EXPECT_TRUE(bob.must_change_password);
  auto unlocked = relay_->RunCommand({"user", "unlock", "bob"});
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.output;
  EXPECT_EQ(Login("bob", one_time).status(),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
  EXPECT_EQ(Login("bob", kPassword).status(),
            proto::LoginResult::STATUS_BAD_CREDENTIALS);
}

TEST_F(AccountRaceTest, TotpEnrollDuringLoginsSticks) {
  auto race = RaceAdminCommand({"user", "totp-enroll", "bob"}, kPassword);
  ASSERT_EQ(race.command.exit_code, 0) << race.command.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(race.command.output, match,
                                std::regex("secret: ([A-Z2-7]+)")))
      << race.command.output;
  for (Status status : race.after)
    EXPECT_EQ(status, proto::LoginResult::STATUS_TOTP_REQUIRED);
  const Account bob = Find("bob");
  ASSERT_TRUE(bob.totp_secret.has_value());
  EXPECT_EQ(crypto::Base32Encode(*bob.totp_secret), match[1].str());
}

TEST_F(AccountRaceTest, SetRoleDuringLoginsSticks) {
  auto race =
      RaceAdminCommand({"user", "set-role", "bob", "auditor"}, kPassword);
  ASSERT_EQ(race.command.exit_code, 0) << race.command.output;
  for (Status status : race.after)
    EXPECT_EQ(status, proto::LoginResult::STATUS_OK);
  EXPECT_EQ(Find("bob").role, AccountRole::kAuditor);
  EXPECT_EQ(Login("bob", kPassword).role(), proto::ACCOUNT_ROLE_AUDITOR);
}

TEST_F(AccountRaceTest, UnlockDuringLoginsSticks) {
  Change("bob", [](Account& a) {
    a.locked = true;
    a.failed_logins = 20;
    return true;
  });
  auto race = RaceAdminCommand({"user", "unlock", "bob"}, kPassword);
  ASSERT_EQ(race.command.exit_code, 0) << race.command.output;
  for (Status status : race.after)
    EXPECT_EQ(status, proto::LoginResult::STATUS_OK);
  const Account bob = Find("bob");
  EXPECT_FALSE(bob.locked);
  EXPECT_EQ(bob.failed_logins, 0u);
}

// Logins that are all sent before any is answered.
std::vector<proto::LoginResult> LoginAtOnce(
    uint16_t port,
    const std::string& fingerprint,
    int count,
    const std::string& user,
    const std::string& password,
    const std::string& totp = "",
    const std::string& source_ip = "",
    const std::function<void()>& meanwhile = {}) {
  std::vector<std::unique_ptr<RelayTestClient>> clients;
  for (int i = 0; i < count; ++i) {
    auto client =
        RelayTestClient::Connect(port, fingerprint, seconds(5), source_ip);
    EXPECT_TRUE(client.has_value()) << client.error().message;
    if (!client)
      return {};
    EXPECT_TRUE((*client)->Hello(proto::ROLE_SUPPORTER).has_value());
    clients.push_back(std::move(*client));
  }
  for (auto& client : clients) {
    proto::ClientMessage login;
    login.mutable_login()->set_user(user);
    login.mutable_login()->set_password(password);
    login.mutable_login()->set_totp(totp);
    EXPECT_TRUE(client->Send(login).has_value());
  }
  if (meanwhile)
    meanwhile();
  std::vector<proto::LoginResult> results;
  for (auto& client : clients) {
    auto answer = client->Receive(seconds(30));
    EXPECT_TRUE(answer && answer->has_login_result());
    results.push_back(answer && answer->has_login_result()
                          ? answer->login_result()
                          : proto::LoginResult{});
  }
  return results;
}

int CountStatus(const std::vector<proto::LoginResult>& results, Status status) {
  return static_cast<int>(
      std::count_if(results.begin(), results.end(),
                    [&](const auto& r) { return r.status() == status; }));
}

TEST_F(AccountRaceTest, OneTotpCodeSignsInOnceAmongConcurrentLogins) {
  Bytes secret(20, 0x5a);
  Change("bob", [&](Account& a) {
    a.totp_secret = secret;
    return true;
  });
  const int64_t now = std::chrono::duration_cast<seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto code = crypto::GenerateTotp(secret, now);
  ASSERT_TRUE(code.has_value());
  auto results = LoginAtOnce(relay_->port(), relay_->fingerprint(), 4, "bob",
                             kPassword, *code);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(CountStatus(results, proto::LoginResult::STATUS_OK), 1);
  EXPECT_EQ(CountStatus(results, proto::LoginResult::STATUS_BAD_CREDENTIALS),
            3);
}

TEST_F(AccountRaceTest,
       ConcurrentWrongPasswordsGetOnlyTheChecksThePolicyAllows) {
  // Default policy: five failures in a row are free, the fifth starts a
  // 15 s wait. Twenty at once must not all be checked.
  auto results = LoginAtOnce(relay_->port(), relay_->fingerprint(), 20, "bob",
                             kWrongPassword);
  ASSERT_EQ(results.size(), 20u);
  EXPECT_EQ(CountStatus(results, proto::LoginResult::STATUS_BAD_CREDENTIALS),
            5);
  EXPECT_EQ(CountStatus(results, proto::LoginResult::STATUS_THROTTLED), 15);
  EXPECT_EQ(Find("bob").failed_logins, 5u);
}

// What a guesser sees, without the numbers (a wait of 15 s may read 14 s
// a moment later).
std::string Shape(const proto::LoginResult& result) {
  return proto::LoginResult::Status_Name(result.status()) + " " +
         std::regex_replace(result.message(), std::regex("[0-9]+"), "N") +
         (result.retry_after_seconds() > 0 ? " (retry later)" : "");
}

TEST_F(AccountRaceTest,
       UnknownNameAnswersExactlyAsAnAccountWithAWrongPassword) {
  std::vector<std::string> known, unknown;
  for (int i = 0; i < 8; ++i) {
    known.push_back(Shape(Login("bob", kWrongPassword)));
    unknown.push_back(Shape(Login("nobody", kWrongPassword)));
  }
  EXPECT_EQ(known, unknown);
  // The throttle did start for both: the answers are not all the same.
  EXPECT_NE(known.front(), known.back());
  // Case does not make a new name, as it does not for accounts.
  EXPECT_EQ(Shape(Login("NoBody", kWrongPassword)),
            Shape(Login("BOB", kWrongPassword)));
}

TEST_F(AccountRaceTest, SignInsPendingFromOneSourceAreCapped) {
  relay_ = std::make_unique<RelayProcess>("[limits]\nlogins_per_source = 2\n");
  AddUser("bob", "technician");
  ASSERT_TRUE(relay_->Start().has_value());
  // Six sign-ins at once from one address: two are checked, the rest are
  // told to try again without being queued. A technician elsewhere signs
  // in meanwhile.
  auto results =
      LoginAtOnce(relay_->port(), relay_->fingerprint(), 6, "guesser",
                  kWrongPassword, "", "127.0.0.7", [&] {
                    EXPECT_EQ(Login("bob", kPassword, "", "127.0.0.8").status(),
                              proto::LoginResult::STATUS_OK);
                  });
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(CountStatus(results, proto::LoginResult::STATUS_BAD_CREDENTIALS),
            2);
  EXPECT_EQ(CountStatus(results, proto::LoginResult::STATUS_THROTTLED), 4);
  for (const auto& result : results) {
    if (result.status() == proto::LoginResult::STATUS_THROTTLED) {
      EXPECT_NE(result.message().find("Too many sign-ins from your network"),
                std::string::npos);
    }
  }
}

}  // namespace
}  // namespace tether::relay
