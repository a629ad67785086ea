#include "protocol/proxy_settings.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace tether::protocol {
namespace {

// An environment as a map, so tests never touch the process's own.
EnvironmentLookup Env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> const char* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  };
}

ProxyAddress Parsed(const std::string& url) {
  auto address = ParseProxyUrl(url);
  EXPECT_TRUE(address.has_value()) << url << ": " << address.error().message;
  return address.value_or(ProxyAddress{});
}

TEST(ProxySettingsTest, ParsesTheUsualForms) {
  EXPECT_EQ(Parsed("http://proxy.corp:3128"),
            (ProxyAddress{"proxy.corp", 3128}));
  EXPECT_EQ(Parsed("http://proxy.corp:3128/"),
            (ProxyAddress{"proxy.corp", 3128}));
  EXPECT_EQ(Parsed("HTTP://Proxy:8080"), (ProxyAddress{"Proxy", 8080}));
  EXPECT_EQ(Parsed("proxy.corp:3128"), (ProxyAddress{"proxy.corp", 3128}));
  EXPECT_EQ(Parsed("http://proxy.corp"), (ProxyAddress{"proxy.corp", 80}));
  EXPECT_EQ(Parsed("http://[::1]:3128"), (ProxyAddress{"::1", 3128}));
  EXPECT_EQ(Parsed(" http://10.0.0.1:8080 "), (ProxyAddress{"10.0.0.1", 8080}));
}

TEST(ProxySettingsTest, RefusesWhatItCannotUseWithAReason) {
  auto tls = ParseProxyUrl("https://proxy.corp:3128");
  ASSERT_FALSE(tls.has_value());
  EXPECT_NE(tls.error().message.find("only http://"), std::string::npos);
  auto credentials = ParseProxyUrl("http://user:secret@proxy.corp:3128");
  ASSERT_FALSE(credentials.has_value());
  EXPECT_NE(credentials.error().message.find("passwords are not supported"),
            std::string::npos);
  for (const char* bad :
       {"http://", "http://:3128", "http://proxy:0", "http://proxy:70000",
        "http://proxy:12ab", "http://proxy:3128/path", "::1:3128",
        "http://[::1:3128", "http://pro xy:1"}) {
    EXPECT_FALSE(ParseProxyUrl(bad).has_value()) << bad;
  }
}

TEST(ProxySettingsTest, ConfiguredProxyWinsAndIgnoresNoProxy) {
  auto chosen = ChooseProxy(
      "http://configured:1", "relay.corp",
      Env({{"https_proxy", "http://env:2"}, {"no_proxy", "relay.corp"}}));
  ASSERT_TRUE(chosen.has_value());
  ASSERT_TRUE(chosen->has_value());
  EXPECT_EQ(**chosen, (ProxyAddress{"configured", 1}));
}

TEST(ProxySettingsTest, NoProxyAnywhereMeansDirect) {
  auto chosen = ChooseProxy("", "relay.corp", Env({}));
  ASSERT_TRUE(chosen.has_value());
  EXPECT_FALSE(chosen->has_value());
}

TEST(ProxySettingsTest, LowerCaseVariableComesFirstAndEmptyCountsAsUnset) {
  auto lower = ChooseProxy("", "relay.corp",
                           Env({{"https_proxy", "http://lower:1"},
                                {"HTTPS_PROXY", "http://upper:2"}}));
  ASSERT_TRUE(lower.has_value() && lower->has_value());
  EXPECT_EQ((*lower)->host, "lower");
  auto upper = ChooseProxy(
      "", "relay.corp",
      Env({{"https_proxy", ""}, {"HTTPS_PROXY", "http://upper:2"}}));
  ASSERT_TRUE(upper.has_value() && upper->has_value());
  EXPECT_EQ((*upper)->host, "upper");
}

TEST(ProxySettingsTest, NoProxyMatchesExactHostsOnly) {
  const auto env = [](const std::string& no_proxy) {
    return Env({{"https_proxy", "http://proxy:3128"}, {"no_proxy", no_proxy}});
  };
  auto listed = ChooseProxy("", "Relay.Corp", env("other, relay.corp ,x"));
  ASSERT_TRUE(listed.has_value());
  EXPECT_FALSE(listed->has_value());
  auto everything = ChooseProxy("", "relay.corp", env("*"));
  ASSERT_TRUE(everything.has_value());
  EXPECT_FALSE(everything->has_value());
  auto suffix = ChooseProxy("", "relay.corp", env(".corp,corp"));
  ASSERT_TRUE(suffix.has_value());
  EXPECT_TRUE(suffix->has_value());
  auto upper_list = ChooseProxy(
      "", "relay.corp",
      Env({{"https_proxy", "http://proxy:3128"}, {"NO_PROXY", "relay.corp"}}));
  ASSERT_TRUE(upper_list.has_value());
  EXPECT_FALSE(upper_list->has_value());
}

TEST(ProxySettingsTest, LoopbackIsProxiedUnlessListed) {
  const auto proxy =
      std::pair<std::string, std::string>{"https_proxy", "http://proxy:3128"};
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto proxied = ChooseProxy("", host, Env({proxy}));
    ASSERT_TRUE(proxied.has_value());
    EXPECT_TRUE(proxied->has_value()) << host;
    auto listed = ChooseProxy(
        "", host, Env({proxy, {"no_proxy", "localhost,127.0.0.1"}}));
    ASSERT_TRUE(listed.has_value());
    EXPECT_FALSE(listed->has_value()) << host;
  }
}

TEST(ProxySettingsTest, BadEnvironmentProxyIsAnError) {
  auto chosen = ChooseProxy("", "relay.corp",
                            Env({{"https_proxy", "socks5://proxy:1080"}}));
  EXPECT_FALSE(chosen.has_value());
}

TEST(ProxySettingsTest, AddressPrintsWithBracketsForIpv6) {
  EXPECT_EQ((ProxyAddress{"::1", 3128}).ToString(), "[::1]:3128");
  EXPECT_EQ((ProxyAddress{"proxy", 80}).ToString(), "proxy:80");
}

}  // namespace
}  // namespace tether::protocol
