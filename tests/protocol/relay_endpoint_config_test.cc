#include "protocol/relay_endpoint_config.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tether::protocol {
namespace {

struct AppConfig {
  RelayEndpoint relay;
};

const std::string kPin = "sha256:" + std::string(64, 'a');

// `relay_keys` go under [relay] (which is line 1); a fingerprint follows
// them.
Result<AppConfig> Parse(std::string_view relay_keys) {
  const std::string text = "[relay]\n" + std::string(relay_keys) +
                           "fingerprint = \"" + kPin + "\"\n";
  return config::ParseConfig<AppConfig>(
      text, "customer.toml", {64 * 1024, 20},
      {RelaySection<AppConfig>("/etc/tether")}, AppConfig{},
      [](const AppConfig& config, const config::KeyLines& lines,
         config::Problems& problems) {
        CheckRelayEndpoint(config.relay, lines, problems);
      });
}

TEST(RelayEndpointConfigTest, SingleHostReadsAsBefore) {
  auto config = Parse("host = \"relay.example.com\"\nport = 9443\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->relay.host, "relay.example.com");
  EXPECT_EQ(config->relay.port, 9443);
  EXPECT_TRUE(config->relay.hosts.empty());
  EXPECT_EQ(RelayAddresses(config->relay),
            (std::vector<HostPort>{{"relay.example.com", 9443}}));
}

TEST(RelayEndpointConfigTest, HostsAreTriedInTheOrderWritten) {
  auto config = Parse(
      "hosts = [\"relay1.example.net\", \"relay2.example.net:8444\", "
      "\"[2001:db8::7]:443\", \"10.0.0.9\"]\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(RelayAddresses(config->relay),
            (std::vector<HostPort>{{"relay1.example.net", 8443},
                                   {"relay2.example.net", 8444},
                                   {"2001:db8::7", 443},
                                   {"10.0.0.9", 8443}}));
  // What the apps show as "the relay".
  EXPECT_EQ(config->relay.host, "relay1.example.net");
}

TEST(RelayEndpointConfigTest, PortKeyAppliesWhereverItIsWritten) {
  auto config = Parse("hosts = [\"a.example\", \"b.example:1\"]\nport = 7\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(RelayAddresses(config->relay),
            (std::vector<HostPort>{{"a.example", 7}, {"b.example", 1}}));
}

TEST(RelayEndpointConfigTest, BadEntryIsRefusedWithItsLineAndPlace) {
  auto config =
      Parse("port = 8443\nhosts = [\"relay1.example.net\", \"relay 2\"]\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "customer.toml:3: relay.hosts: entry 2 \"relay 2\" must be a host "
            "name or an IP address, with an optional :port (invalid host "
            "name)");
}

TEST(RelayEndpointConfigTest, BadPortInAnEntryIsRefused) {
  auto config = Parse("hosts = [\"relay1.example.net:0\"]\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(
      config.error().message.find(
          "customer.toml:2: relay.hosts: entry 1 \"relay1.example.net:0\""),
      std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("invalid port"), std::string::npos);
}

TEST(RelayEndpointConfigTest, EntryThatIsNoStringIsRefused) {
  auto config = Parse("hosts = [\"relay1.example.net\", 8443]\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(
      config.error().message.find("customer.toml:2: relay.hosts: entry 2: "
                                  "expected \"host\" or \"host:port\""),
      std::string::npos)
      << config.error().message;
}

TEST(RelayEndpointConfigTest, MoreThanSixteenRelaysAreRefused) {
  std::string list = "hosts = [";
  for (int i = 1; i <= 17; ++i)
    list += "\"relay" + std::to_string(i) + ".example.net\", ";
  list += "]\n";
  auto config = Parse(list);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "customer.toml:2: relay.hosts: must list 1 to 16 relays, not 17");
}

TEST(RelayEndpointConfigTest, EmptyListIsRefused) {
  auto config = Parse("hosts = []\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "customer.toml:2: relay.hosts: must list 1 to 16 relays, not 0");
}

TEST(RelayEndpointConfigTest, ListThatIsNoListIsRefused) {
  auto config = Parse("hosts = \"relay1.example.net\"\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find("customer.toml:2: relay.hosts: "),
            std::string::npos)
      << config.error().message;
}

TEST(RelayEndpointConfigTest, SameRelayTwiceIsRefused) {
  auto config =
      Parse("hosts = [\"Relay.example.net\", \"relay.example.net\"]\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "customer.toml:2: relay.hosts: entry 2 \"relay.example.net\" is "
            "listed twice");
}

TEST(RelayEndpointConfigTest, HostAndHostsTogetherAreRefused) {
  auto config =
      Parse("host = \"relay.example.net\"\nhosts = [\"relay2.example.net\"]\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "customer.toml:3: relay: set host (one relay) or hosts (a list), "
            "not both");
}

TEST(RelayEndpointConfigTest, NeitherHostNorHostsIsRefused) {
  auto config = Parse("port = 8443\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message, "customer.toml: relay.host is not set");
}

}  // namespace
}  // namespace tether::protocol
