#include "protocol/relay_overrides.h"

#include <gtest/gtest.h>

namespace tether::protocol {
namespace {

RelayEndpoint FromFile() {
  RelayEndpoint relay;
  relay.host = "relay.example.com";
  relay.port = 8443;
  relay.fingerprint = "sha256:" + std::string(64, 'a');
  relay.proxy = "http://proxy:3128";
  return relay;
}

RelayOverrides Given(std::optional<std::string> relay,
                     std::optional<std::string> fingerprint,
                     std::optional<std::string> ca_file,
                     std::optional<std::string> proxy) {
  RelayOverrides overrides;
  overrides.relay = std::move(relay);
  overrides.fingerprint = std::move(fingerprint);
  overrides.ca_file = std::move(ca_file);
  overrides.proxy = std::move(proxy);
  return overrides;
}
constexpr std::nullopt_t kNone = std::nullopt;

TEST(RelayOverridesTest, NothingGivenLeavesTheFile) {
  RelayEndpoint relay = FromFile();
  ASSERT_TRUE(ApplyRelayOverrides({}, relay).has_value());
  EXPECT_EQ(relay.host, "relay.example.com");
  EXPECT_EQ(relay.port, 8443);
  EXPECT_EQ(relay.fingerprint, FromFile().fingerprint);
  EXPECT_EQ(relay.proxy, "http://proxy:3128");
}

TEST(RelayOverridesTest, RelayWithOrWithoutAPort) {
  RelayEndpoint relay = FromFile();
  ASSERT_TRUE(
      ApplyRelayOverrides(Given("10.0.0.5:9443", kNone, kNone, kNone), relay));
  EXPECT_EQ(relay.host, "10.0.0.5");
  EXPECT_EQ(relay.port, 9443);
  ASSERT_TRUE(ApplyRelayOverrides(Given("[::1]", kNone, kNone, kNone), relay));
  EXPECT_EQ(relay.host, "::1");
  EXPECT_EQ(relay.port, 9443) << "the port so far stays";
}

TEST(RelayOverridesTest, BadRelayIsASentenceAndChangesNothing) {
  RelayEndpoint relay = FromFile();
  auto applied =
      ApplyRelayOverrides(Given("::1:99", kNone, kNone, kNone), relay);
  ASSERT_FALSE(applied.has_value());
  EXPECT_EQ(applied.error().message.rfind(
                "--relay must be host:port, not \"::1:99\" (", 0),
            0u)
      << applied.error().message;
  EXPECT_EQ(relay.host, "relay.example.com");
}

TEST(RelayOverridesTest, AFingerprintReplacesTheCaFileAndBack) {
  RelayEndpoint relay = FromFile();
  ASSERT_TRUE(
      ApplyRelayOverrides(Given(kNone, kNone, "/etc/it-ca.pem", kNone), relay));
  EXPECT_EQ(relay.ca_file, "/etc/it-ca.pem");
  EXPECT_EQ(relay.fingerprint, "");
  ASSERT_TRUE(
      ApplyRelayOverrides(Given(kNone, "sha256:bb", kNone, kNone), relay));
  EXPECT_EQ(relay.fingerprint, "sha256:bb");
  EXPECT_EQ(relay.ca_file, "");
  // Both given: both kept, and the app refuses the pair with its sentence.
  ASSERT_TRUE(
      ApplyRelayOverrides(Given(kNone, "sha256:cc", "/ca.pem", kNone), relay));
  EXPECT_EQ(relay.fingerprint, "sha256:cc");
  EXPECT_EQ(relay.ca_file, "/ca.pem");
}

TEST(RelayOverridesTest, RelayReplacesTheFilesRelayList) {
  RelayEndpoint relay = FromFile();
  relay.hosts = {{"relay.example.com", 0}, {"relay2.example.com", 9443}};
  ASSERT_TRUE(ApplyRelayOverrides(
      Given("test.example.com:7000", kNone, kNone, kNone), relay));
  EXPECT_EQ(RelayAddresses(relay),
            (std::vector<HostPort>{{"test.example.com", 7000}}));
}

TEST(RelayOverridesTest, ProxyIsReplaced) {
  RelayEndpoint relay = FromFile();
  ASSERT_TRUE(ApplyRelayOverrides(Given(kNone, kNone, kNone, ""), relay));
  EXPECT_EQ(relay.proxy, "");
}

}  // namespace
}  // namespace tether::protocol
