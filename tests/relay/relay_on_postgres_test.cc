// The real tether-relay and its admin CLI on a PostgreSQL store (a private
// server, tests/support/private_postgres.h): two relays share accounts and
// one audit chain, and a restart of PostgreSQL under a running relay
// refuses sign-ins plainly while it lasts, then lets them in again without
// restarting the relay.

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/private_postgres.h"
#include "tests/support/relay_pairing.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using test::PrivatePostgres;
using tether::test::RelayProcess;
using tether::test::RelayTestClient;

using tether::test::kPassword;

class RelayOnPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PrivatePostgres::Available())
      GTEST_SKIP() << "no PostgreSQL server installed (Debian: postgresql)";
    auto started = PrivatePostgres::Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
    postgres_ = std::move(*started);
    auto database = postgres_->CreateDatabase("relays");
    ASSERT_TRUE(database.has_value()) << database.error().message;
    shipped_.changes = {
        {"store.postgresql", "\"" + database->dsn + "\""},
        {"store.postgresql_password_file",
         "\"" + database->password_file.string() + "\""},
    };
  }

  std::unique_ptr<RelayProcess> StartRelay() {
    auto relay = std::make_unique<RelayProcess>(shipped_);
    auto started = relay->Start();
    EXPECT_TRUE(started.has_value()) << started.error().message << "\n"
                                     << relay->log();
    return relay;
  }

  static proto::LoginResult Login(const RelayProcess& relay,
                                  const std::string& password) {
    auto client = RelayTestClient::Connect(relay.port(), relay.fingerprint(),
                                           std::chrono::seconds(5));
    if (!client)
      return {};
    auto ack = (*client)->Hello(proto::ROLE_SUPPORTER);
    if (!ack || !ack->has_hello_ack())
      return {};
    auto result = (*client)->Login("bob", password);
    return result && result->has_login_result() ? result->login_result()
                                                : proto::LoginResult{};
  }

  std::unique_ptr<PrivatePostgres> postgres_;
  RelayProcess::Shipped shipped_;
};

TEST_F(RelayOnPostgresTest, TwoRelaysShareAccountsAndOneAuditChain) {
  auto first = StartRelay();
  auto second = StartRelay();
  ASSERT_TRUE(first->pid() > 0 && second->pid() > 0);
  EXPECT_NE(first->log().find("store: PostgreSQL (host=127.0.0.1"),
            std::string::npos)
      << first->log();

  // IT adds the account through one relay's CLI...
  auto added = first->RunCommand({"user", "add", "bob", "--role", "technician"},
                                 std::string(kPassword) + "\n");
  ASSERT_EQ(added.exit_code, 0) << added.output;
  // ...and the other relay knows it, password and all.
  EXPECT_EQ(Login(*second, kPassword).status(),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
  EXPECT_EQ(Login(*first, "plaid giraffe umbrella orbit").status(),
            proto::LoginResult::STATUS_BAD_CREDENTIALS);

  // Both relays and the CLI wrote audit rows: one chain, verified by the
  // other relay's CLI.
  auto verified = second->RunCommand({"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("audit chain ok"), std::string::npos)
      << verified.output;
  auto exported = second->RunCommand({"audit", "export", "--format", "csv"});
  EXPECT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(exported.output.find("account.create"), std::string::npos)
      << exported.output;

  // Backups of a PostgreSQL store are PostgreSQL's tools' job, and the CLI
  // says so rather than copy a file nobody uses.
  auto backup = first->RunCommand(
      {"backup", "--to", (first->dir() / "copy.db").string()});
  EXPECT_NE(backup.exit_code, 0);
  EXPECT_NE(backup.output.find("pg_dump"), std::string::npos) << backup.output;
}

TEST_F(RelayOnPostgresTest, SignInsAreRefusedPlainlyWhilePostgresqlIsDown) {
  auto relay = StartRelay();
  auto added = relay->RunCommand({"user", "add", "bob", "--role", "technician"},
                                 std::string(kPassword) + "\n");
  ASSERT_EQ(added.exit_code, 0) << added.output;

  ASSERT_TRUE(postgres_->Stop(/*immediate=*/true).has_value());
  // Events from here on (the clock's second, in the exports' UTC form).
  const std::string down_since = [] {
    const std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", std::gmtime(&now));
    return std::string(text);
  }();
  const proto::LoginResult down = Login(*relay, kPassword);
  EXPECT_EQ(down.status(), proto::LoginResult::STATUS_THROTTLED);
  EXPECT_NE(down.message().find("cannot reach its account database"),
            std::string::npos)
      << down.message();
  EXPECT_GT(down.retry_after_seconds(), 0u);

  ASSERT_TRUE(postgres_->StartAgain().has_value());
  proto::LoginResult::Status status = proto::LoginResult::STATUS_UNSPECIFIED;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    status = Login(*relay, kPassword).status();
    if (status == proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED)
      break;
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(status, proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED)
      << relay->log();
  EXPECT_NE(relay->pid(), -1) << "the relay kept running";

  // The connection refused while PostgreSQL was down was still recorded:
  // its event waited in the relay's spool and is in PostgreSQL now.
  EXPECT_NE(relay->log().find("wait in the spool"), std::string::npos);
  bool recorded = false;
  const auto events_deadline = std::chrono::steady_clock::now() + 20s;
  while (!recorded && std::chrono::steady_clock::now() < events_deadline) {
    auto events = relay->RunCommand(
        {"events", "export", "--format", "jsonl", "--since", down_since});
    recorded =
        events.exit_code == 0 &&
        events.output.find("\"role\":\"supporter\"") != std::string::npos;
    if (!recorded)
      std::this_thread::sleep_for(250ms);
  }
  EXPECT_TRUE(recorded) << relay->log();
}

// IT disables an account through one relay: the technician signed in on
// another relay is signed out there too.
TEST_F(RelayOnPostgresTest, AnAccountDisabledOnOneRelayIsSignedOutOnAnother) {
  auto first = StartRelay();
  auto second = StartRelay();
  ASSERT_TRUE(first->AddTechnician("carol", "Carol", kPassword).has_value());
  auto carol = tether::test::SignedInTechnician(*second, "carol", kPassword);
  ASSERT_NE(carol, nullptr);
  auto disabled = first->RunCommand({"user", "disable", "carol"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
  auto end = carol->Receive(15s);
  ASSERT_TRUE(end && end->has_end()) << second->log();
  EXPECT_EQ(end->end().reason(), proto::END_REASON_ENDED_BY_IT);
}

}  // namespace
}  // namespace tether::relay
