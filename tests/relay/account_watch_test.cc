// A signed-in technician whose account changes (disabled, another role, a
// new password, removed) is signed out of the app too, not only of the web
// console: whoever changed it, the CLI included (relay/accounts/
// account_watch.h). Across relays on PostgreSQL: relay_on_postgres_test.

#include "relay/accounts/account_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "protocol/session_end.h"
#include "tests/support/relay_pairing.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using tether::test::RelayProcess;
using tether::test::RelayTestClient;

using tether::test::kPassword;

Account Bob() {
  Account bob;
  bob.user_name = "bob";
  bob.role = AccountRole::kTechnician;
  bob.password_changed_at = Clock::WallTime(100s);
  return bob;
}

TEST(SignInStillAllowedTest, OnlyAnUnchangedAccountKeepsItsSignIns) {
  // What the sign-in saw: the password as changed at 100 s.
  const Clock::WallTime seen = Bob().password_changed_at;
  EXPECT_TRUE(
      SignInStillAllowed({Bob()}, "bob", AccountRole::kTechnician, seen));
  Account disabled = Bob();
  disabled.disabled = true;
  EXPECT_FALSE(
      SignInStillAllowed({disabled}, "bob", AccountRole::kTechnician, seen));
  Account admin = Bob();
  admin.role = AccountRole::kAdmin;
  EXPECT_FALSE(
      SignInStillAllowed({admin}, "bob", AccountRole::kTechnician, seen));
  // A new password, even one stamped by a relay whose clock is behind.
  for (Clock::WallTime changed :
       {Clock::WallTime(300s), Clock::WallTime(50s)}) {
    Account new_password = Bob();
    new_password.password_changed_at = changed;
    EXPECT_FALSE(SignInStillAllowed({new_password}, "bob",
                                    AccountRole::kTechnician, seen));
  }
  EXPECT_FALSE(SignInStillAllowed({}, "bob", AccountRole::kTechnician, seen));
}

// Within two reads of the accounts (AccountWatch::kEveryTicks seconds each).
constexpr auto kSignOutWithin = 2 * AccountWatch::kEveryTicks * 1s;

class AccountWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(relay_.AddTechnician("bob", "Bob", kPassword).has_value());
    auto started = relay_.Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  RelayProcess relay_;
};

TEST_F(AccountWatchTest, ATechnicianDisabledByTheCliIsSignedOutOfTheApp) {
  auto bob = tether::test::SignedInTechnician(relay_, "bob", kPassword);
  ASSERT_NE(bob, nullptr);
  auto disabled = relay_.RunCommand({"user", "disable", "bob"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
  auto end = bob->Receive(kSignOutWithin);
  ASSERT_TRUE(end && end->has_end()) << relay_.log();
  EXPECT_EQ(end->end().reason(), proto::END_REASON_ENDED_BY_IT);
  EXPECT_NE(end->end().message().find("An administrator changed your account"),
            std::string::npos)
      << end->end().message();
  EXPECT_TRUE(bob->WaitClosed());
}

// In a session: the customer is told plainly too, and the session's end is
// in the audit log.
TEST_F(AccountWatchTest, ASessionOfADisabledTechnicianEndsForBothSides) {
  std::unique_ptr<RelayTestClient> technician;
  std::unique_ptr<RelayTestClient> customer;
  tether::test::PairThroughCode(relay_, "bob", kPassword, &technician,
                                &customer);
  ASSERT_FALSE(HasFatalFailure());
  auto disabled = relay_.RunCommand({"user", "disable", "bob"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
  auto customer_end = customer->Receive(kSignOutWithin);
  ASSERT_TRUE(customer_end && customer_end->has_end()) << relay_.log();
  EXPECT_EQ(customer_end->end().reason(), proto::END_REASON_ENDED_BY_IT);
  EXPECT_EQ(customer_end->end().message(), protocol::kEndedByItText);
  auto technician_end = technician->Receive(kSignOutWithin);
  ASSERT_TRUE(technician_end && technician_end->has_end());
  EXPECT_EQ(technician_end->end().reason(), proto::END_REASON_ENDED_BY_IT);
  auto audit = relay_.RunCommand({"audit", "export", "--format", "csv"});
  EXPECT_NE(audit.output.find("the technician's account changed"),
            std::string::npos)
      << audit.output;
}

TEST_F(AccountWatchTest, AnotherTechniciansChangeLeavesASignInAlone) {
  ASSERT_TRUE(relay_.AddTechnician("carol", "Carol", kPassword).has_value());
  auto bob = tether::test::SignedInTechnician(relay_, "bob", kPassword);
  ASSERT_NE(bob, nullptr);
  auto disabled = relay_.RunCommand({"user", "disable", "carol"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
  // A read of the accounts later, bob is still signed in and served.
  const auto until =
      std::chrono::steady_clock::now() + AccountWatch::kEveryTicks * 1s + 2s;
  while (std::chrono::steady_clock::now() < until) {
    auto message = bob->Receive(500ms);
    ASSERT_FALSE(message && message->has_end()) << message->end().message();
  }
  EXPECT_FALSE(tether::test::CreateCode(*bob).empty());
}

// A technician who changes their own password in the app stays signed in
// (the change is theirs), and is still served afterwards.
TEST_F(AccountWatchTest, ATechnicianWhoChangesTheirOwnPasswordStaysSignedIn) {
  auto bob = tether::test::SignedInTechnician(relay_, "bob", kPassword);
  ASSERT_NE(bob, nullptr);
  proto::ClientMessage change;
  change.mutable_change_password()->set_current_password(kPassword);
  change.mutable_change_password()->set_new_password(
      "walnut ferry orchid ninety");
  ASSERT_TRUE(bob->Send(change).has_value());
  auto result = bob->Receive(15s);
  ASSERT_TRUE(result && result->has_change_password_result());
  ASSERT_TRUE(result->change_password_result().ok())
      << result->change_password_result().message();
  const auto until =
      std::chrono::steady_clock::now() + AccountWatch::kEveryTicks * 1s + 2s;
  while (std::chrono::steady_clock::now() < until) {
    auto message = bob->Receive(500ms);
    ASSERT_FALSE(message && message->has_end()) << message->end().message();
  }
  EXPECT_FALSE(tether::test::CreateCode(*bob).empty());
}

}  // namespace
}  // namespace tether::relay
