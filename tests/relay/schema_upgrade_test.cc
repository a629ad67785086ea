// Upgrades keep IT's data. Every released schema has a database frozen in
// tests/relay/fixtures/relay-schema-<N>.db, made by that release's own
// `tether-relay backup` (accounts root/admin and tina/technician, their
// audit rows; passwords below). This relay must take each one: restore
// migrates it, the audit chain verifies, and the accounts sign in.
// When the schema changes, add the previous release's fixture here.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::relay {
namespace {

namespace fs = std::filesystem;
using ::tether::test::RelayProcess;
using ::tether::test::RelayTestClient;

constexpr char kAdminPassword[] = "fixture admin passphrase one";
constexpr char kTechnicianPassword[] = "fixture technician passphrase two";

fs::path FixtureDir() {
  return fs::path(TETHER_TESTS_SOURCE_DIR) / "relay" / "fixtures";
}

proto::LoginResult::Status Login(const RelayProcess& relay,
                                 const std::string& user,
                                 const std::string& password) {
  auto client = RelayTestClient::Connect(relay.port(), relay.fingerprint());
  if (!client)
    return proto::LoginResult::STATUS_UNSPECIFIED;
  if (!(*client)->Hello(proto::ROLE_SUPPORTER))
    return proto::LoginResult::STATUS_UNSPECIFIED;
  auto result = (*client)->Login(user, password, "");
  return result ? result->login_result().status()
                : proto::LoginResult::STATUS_UNSPECIFIED;
}

TEST(SchemaUpgradeTest, EveryReleasedSchemaRestoresMigratesAndServes) {
  int fixtures = 0;
  for (const auto& entry : fs::directory_iterator(FixtureDir())) {
    if (entry.path().extension() != ".db")
      continue;
    ++fixtures;
    SCOPED_TRACE(entry.path().filename().string());
    RelayProcess relay;
    auto restored = relay.RunCommand({"restore", "--from", entry.path()});
    ASSERT_EQ(restored.exit_code, 0) << restored.output;
    EXPECT_NE(restored.output.find("audit chain ok"), std::string::npos);

    auto started = relay.Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
    // The passwords verify: the first-login change is still required.
    EXPECT_EQ(Login(relay, "tina", kTechnicianPassword),
              proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
    EXPECT_EQ(Login(relay, "root", kAdminPassword),
              proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
    EXPECT_EQ(Login(relay, "tina", "not the password"),
              proto::LoginResult::STATUS_BAD_CREDENTIALS);
    auto verified = relay.RunCommand({"audit", "verify"});
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
  }
  EXPECT_GE(fixtures, 1) << "no fixtures in " << FixtureDir();
}

}  // namespace
}  // namespace tether::relay
