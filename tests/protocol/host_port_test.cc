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

TEST(HostPortTest, AHostAloneIsANameOrAnAddressWithoutAPort) {
  EXPECT_EQ(ParseHost("relay.corp").value_or(""), "relay.corp");
  EXPECT_EQ(ParseHost("[fd00::7]").value_or(""), "fd00::7");
  // A config file's host key held bare IPv6 literals before: still fine.
  EXPECT_EQ(ParseHost("fd00::7").value_or(""), "fd00::7");
  EXPECT_EQ(ParseHost("relay:443").error().message,
            "write the port in its own key, not after the host");
  EXPECT_EQ(ParseHost("relay/path").error().message, "invalid host name");
  EXPECT_EQ(ParseHost(" relay").error().message, "invalid host name");
  EXPECT_EQ(ParseHost("").error().message, "no host name");
}

HostPort Listen(const std::string& text) {
  auto parsed = ParseListenAddress(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message;
  return parsed.value_or(HostPort{});
}

std::string ListenError(const std::string& text) {
  auto parsed = ParseListenAddress(text);
  EXPECT_FALSE(parsed.has_value()) << text;
  return parsed ? "" : parsed.error().message;
}

TEST(HostPortTest, ListenAddressesAreIpLiteralsWithAPort) {
  EXPECT_EQ(Listen("0.0.0.0:8443"), (HostPort{"0.0.0.0", 8443}));
  EXPECT_EQ(Listen("[::]:8443"), (HostPort{"::", 8443}));
  EXPECT_EQ(Listen("[0:0::1]:1"), (HostPort{"::1", 1}));
  // Port 0 lets the kernel pick.
  EXPECT_EQ(Listen("127.0.0.1:0"), (HostPort{"127.0.0.1", 0}));
  EXPECT_EQ(ListenError("localhost:8443"),
            "not an IPv4 address (host names are not accepted: use an IP "
            "address such as 0.0.0.0, or [::])");
  EXPECT_EQ(ListenError("[fe80::1%eth0]:9464"), "not an IPv6 address");
  EXPECT_EQ(ListenError("::1:8443"),
            "put IPv6 addresses in brackets, e.g. \"[::]:8443\"");
  EXPECT_EQ(ListenError("10.0.0.1"),
            "expected address:port, e.g. \"0.0.0.0:8443\"");
  for (const char* bad : {"[::1]", "[::1", "[::1]8443"}) {
    EXPECT_EQ(ListenError(bad),
              "expected [IPv6 address]:port, e.g. \"[::]:8443\"")
        << bad;
  }
  for (const char* bad : {"[::1]:x", "10.0.0.1:65536",
                          "10.0.0.1:", "1.2.3.4:-1", "1.2.3.4:008443"}) {
    EXPECT_EQ(ListenError(bad), "the port must be a number from 0 to 65535")
        << bad;
  }
  EXPECT_EQ(ListenError(std::string("0.0.0.0\0:1", 10)), "contains NUL");
  EXPECT_EQ(ListenError(" 0.0.0.0:8443").substr(0, 19), "not an IPv4 address");
}

}  // namespace
}  // namespace tether::protocol
