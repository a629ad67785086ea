#include "protocol/host_port.h"

#include <gtest/gtest.h>

#include <string>

namespace tether::protocol {
namespace {

HostPort Parsed(const std::string& text, uint16_t default_port = 8443) {
  auto parsed = ParseHostPort(text, default_port);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message;
  return parsed.value_or(HostPort{});
}

std::string ErrorOf(const std::string& text) {
  auto parsed = ParseHostPort(text, 8443);
  EXPECT_FALSE(parsed.has_value()) << text;
  return parsed ? "" : parsed.error().message;
}

TEST(HostPortTest, ParsesNamesAddressesAndPorts) {
  EXPECT_EQ(Parsed("relay.corp"), (HostPort{"relay.corp", 8443}));
  EXPECT_EQ(Parsed("relay.corp:443"), (HostPort{"relay.corp", 443}));
  EXPECT_EQ(Parsed("  10.0.0.7:9000 "), (HostPort{"10.0.0.7", 9000}));
  EXPECT_EQ(Parsed("[::1]"), (HostPort{"::1", 8443}));
  EXPECT_EQ(Parsed("[fd00::7]:65535"), (HostPort{"fd00::7", 65535}));
  EXPECT_EQ(Parsed("relay_1-a", 1), (HostPort{"relay_1-a", 1}));
}

TEST(HostPortTest, RefusesWithAReason) {
  EXPECT_EQ(ErrorOf(""), "no host name");
  EXPECT_EQ(ErrorOf(":8443"), "no host name");
  EXPECT_EQ(ErrorOf("[]:1"), "no host name");
  EXPECT_EQ(ErrorOf("relay:"), "invalid port");
  EXPECT_EQ(ErrorOf("relay:0"), "invalid port");
  EXPECT_EQ(ErrorOf("relay:65536"), "invalid port");
  EXPECT_EQ(ErrorOf("relay:12ab"), "invalid port");
  EXPECT_EQ(ErrorOf("relay:-1"), "invalid port");
  EXPECT_EQ(ErrorOf("[::1"), "unclosed '['");
  EXPECT_EQ(ErrorOf("[::1]x"), "expected ':' after ']'");
  EXPECT_NE(ErrorOf("::1:8443").find("in brackets"), std::string::npos);
  EXPECT_EQ(ErrorOf("re lay:1"), "invalid host name");
  EXPECT_EQ(ErrorOf("relay/path"), "invalid host name");
  EXPECT_EQ(ErrorOf(std::string(kMaxHostPortBytes + 1, 'a')),
            "too long for a host name and port");
}

}  // namespace
}  // namespace tether::protocol
