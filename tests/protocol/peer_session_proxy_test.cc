// The customer reaches the relay through a real HTTP proxy (tinyproxy)
// with CONNECT, configured in the app or in the environment, and a proxy
// that refuses says so clearly.

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/protocol/peer_session_fixture.h"
#include "tests/support/text_files.h"
#include "tests/support/tinyproxy_process.h"

namespace tether::protocol {
namespace {

using test::TinyproxyProcess;

using tether::test::Contains;

// Sets proxy variables for one scope and restores what was there before.
class ScopedEnvironment {
 public:
  ScopedEnvironment(
      std::initializer_list<std::pair<const char*, const char*>> values) {
    for (const auto& [name, value] : values) {
      const char* old = std::getenv(name);
      saved_.push_back(
          {name, old ? std::optional<std::string>(old) : std::nullopt});
      if (value) {
        setenv(name, value, 1);
      } else {
        unsetenv(name);
      }
    }
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

class PeerSessionProxyTest : public RelayPeerSessionTest {
 protected:
  void SetUp() override {
    if (!TinyproxyProcess::Available()) {
      GTEST_SKIP() << "tinyproxy is not installed (Debian: tinyproxy-bin)";
    }
    RelayPeerSessionTest::SetUp();
  }

  void StartProxy(uint16_t connect_port) {
    auto proxy = TinyproxyProcess::Start(connect_port);
    ASSERT_TRUE(proxy.has_value()) << proxy.error().message;
    proxy_ = std::move(*proxy);
  }

  // A technician that connects directly issues a code, `start_customer`
  // joins with it through the proxy, and one message goes each way.
  void PairThroughProxy(
      const std::function<void(const std::string& code)>& start_customer) {
    const std::string code = SupporterWithCode();
    ASSERT_EQ(code.size(), 8u);
    start_customer(code);
    ASSERT_TRUE(customer_);
    ASSERT_TRUE(Wait([&] { return !supporter_seen_.join_requests.empty(); }))
        << EndText(customer_seen_);
    supporter_->DecideJoin(true);
    ASSERT_TRUE(Wait([&] {
      return supporter_seen_.sas.has_value() && customer_seen_.sas.has_value();
    })) << EndText(customer_seen_);
    EXPECT_EQ(*supporter_seen_.sas, *customer_seen_.sas);
    proto::PeerMessage chat;
    chat.mutable_chat()->set_text("through the proxy");
    ASSERT_TRUE(customer_->Send(chat));
    ASSERT_TRUE(supporter_->Send(chat));
    ASSERT_TRUE(Wait([&] {
      return !supporter_seen_.messages.empty() &&
             !customer_seen_.messages.empty();
    }));
    EXPECT_EQ(supporter_seen_.messages[0].chat().text(), "through the proxy");
  }

  std::string ConnectLine() const {
    return "CONNECT 127.0.0.1:" + std::to_string(relay_->port());
  }

  // Destroyed after the engines (TearDown), so a tunnel never dies first.
  std::unique_ptr<TinyproxyProcess> proxy_;
};

TEST_F(PeerSessionProxyTest, CustomerPairsThroughTheProxyFromHttpsProxy) {
  StartProxy(relay_->port());
  PairThroughProxy([&](const std::string& code) {
    // Read once, when the engine starts. Loopback is proxied like any host
    // unless no_proxy lists it.
    ScopedEnvironment env({{"https_proxy", proxy_->url().c_str()},
                           {"HTTPS_PROXY", nullptr},
                           {"no_proxy", "relay.elsewhere"},
                           {"NO_PROXY", nullptr}});
    StartCustomer(code);
  });
  EXPECT_TRUE(Contains(proxy_->log(), ConnectLine())) << proxy_->log();
}

TEST_F(PeerSessionProxyTest, CustomerPairsThroughTheConfiguredProxy) {
  StartProxy(relay_->port());
  PairThroughProxy([&](const std::string& code) {
    PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
    options.relay.proxy = proxy_->url();
    StartCustomer(code, std::move(options));
  });
  EXPECT_TRUE(Contains(proxy_->log(), ConnectLine())) << proxy_->log();
}

TEST_F(PeerSessionProxyTest, HostListedInNoProxyIsReachedDirectly) {
  StartProxy(relay_->port());
  ScopedEnvironment env({{"https_proxy", proxy_->url().c_str()},
                         {"no_proxy", "localhost,127.0.0.1"},
                         {"NO_PROXY", nullptr}});
  // A wrong code still shows the relay was reached, and how.
  StartCustomer("0000 0000");
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_CODE_EXPIRED);
  EXPECT_FALSE(Contains(proxy_->log(), "CONNECT 127.0.0.1")) << proxy_->log();
}

TEST_F(PeerSessionProxyTest, ProxyThatRefusesEndsWithAClearMessage) {
  // tinyproxy allows CONNECT to another port only: 403 for the relay's.
  StartProxy(static_cast<uint16_t>(relay_->port() == 443 ? 444 : 443));
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.relay.proxy = proxy_->url();
  StartCustomer("12345678", std::move(options));
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PEER_LOST);
  EXPECT_EQ(customer_seen_.ended->message,
            "The proxy refused to connect to the relay (HTTP 403 Access "
            "violation).");
  EXPECT_FALSE(customer_seen_.hello.has_value());
}

TEST_F(PeerSessionProxyTest, RelayListIsTriedInOrderThroughTheProxy) {
  StartProxy(relay_->port());
  // The proxy refuses the tunnel to the first (a port it does not allow,
  // as it would answer for a relay that is down) and opens the second.
  const uint16_t first =
      static_cast<uint16_t>(relay_->port() == 443 ? 444 : 443);
  PeerSession::Options options = Options(proto::ROLE_SUPPORTER);
  options.relay.proxy = proxy_->url();
  options.relay.hosts = {{"127.0.0.1", first}, {"127.0.0.1", relay_->port()}};
  supporter_ = Start(std::move(options), &supporter_seen_);
  ASSERT_TRUE(supporter_);
  supporter_->Login("tina", kTechnicianPassword, "");
  ASSERT_TRUE(Wait([&] { return supporter_seen_.signed_in(); }))
      << EndText(supporter_seen_);
  const std::string log = proxy_->log();
  const size_t refused = log.find("CONNECT 127.0.0.1:" + std::to_string(first));
  ASSERT_NE(refused, std::string::npos) << log;
  EXPECT_NE(log.find(ConnectLine(), refused), std::string::npos) << log;
}

TEST_F(PeerSessionProxyTest, UnusableProxySettingIsRefusedAtStart) {
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.code = "12345678";
  options.relay.proxy = "https://proxy.corp:3128";
  auto session = PeerSession::Start(std::move(options), &customer_seen_);
  ASSERT_FALSE(session.has_value());
  EXPECT_TRUE(Contains(session.error().message, "only http://"));
}

}  // namespace
}  // namespace tether::protocol
