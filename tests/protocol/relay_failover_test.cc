// A relay list ([relay] hosts): the engine tries the relays in order and
// moves on when one is down (refuses, never answers, or takes the TCP
// connection and then says nothing), against a real tether-relay on
// 127.0.0.1 behind dead addresses made of real sockets.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "protocol/session_end.h"
#include "tests/protocol/peer_session_fixture.h"

namespace tether::protocol {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A loopback TCP socket held open for the test: bound only (connecting
// is refused), listening (the kernel completes the TCP handshake but
// nobody ever reads or writes), or a black hole (its accept queue is full,
// so SYNs are dropped and a connect waits until it gives up).
class DeadRelay {
 public:
  enum class Kind { kRefuses, kSilent, kBlackHole };

  explicit DeadRelay(Kind kind) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
            0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) !=
            0) {
      return;
    }
    if (kind != Kind::kRefuses &&
        ::listen(fd_, kind == Kind::kBlackHole ? 0 : 8) != 0) {
      return;
    }
    if (kind == Kind::kBlackHole) {
      // With a backlog of 0 one finished connection fills the queue.
      filler_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (filler_ < 0 ||
          ::connect(filler_, reinterpret_cast<sockaddr*>(&address),
                    sizeof(address)) != 0) {
        return;
      }
    }
    port_ = ntohs(address.sin_port);
  }

  ~DeadRelay() {
    if (filler_ >= 0)
      ::close(filler_);
    if (fd_ >= 0)
      ::close(fd_);
  }

  DeadRelay(const DeadRelay&) = delete;
  DeadRelay& operator=(const DeadRelay&) = delete;

  uint16_t port() const { return port_; }  // 0 when it could not be made

 private:
  int fd_ = -1;
  int filler_ = -1;
  uint16_t port_ = 0;
};

class RelayFailoverTest : public RelayPeerSessionTest {
 protected:
  // A technician whose relay list is `ports` on 127.0.0.1, in that order.
  PeerSession::Options ListOptions(std::initializer_list<uint16_t> ports) {
    PeerSession::Options options = Options(proto::ROLE_SUPPORTER);
    options.relay.host = "127.0.0.1";
    for (uint16_t port : ports)
      options.relay.hosts.push_back({"127.0.0.1", port});
    return options;
  }

  // Signs in with `options`; true once the relay accepted the login.
  bool SignsIn(PeerSession::Options options,
               milliseconds timeout = seconds(10)) {
    supporter_ = Start(std::move(options), &supporter_seen_);
    if (!supporter_)
      return false;
    supporter_->Login("tina", kTechnicianPassword, "");
    return Wait([&] { return supporter_seen_.signed_in(); }, timeout);
  }
};

TEST_F(RelayFailoverTest, RefusingFirstRelayIsSkippedForTheSecond) {
  DeadRelay down(DeadRelay::Kind::kRefuses);
  ASSERT_NE(down.port(), 0);
  EXPECT_TRUE(SignsIn(ListOptions({down.port(), relay_->port()})))
      << EndText(supporter_seen_);
}

TEST_F(RelayFailoverTest, BlackHoledFirstRelayIsGivenUpAfterTheAttemptTimeout) {
  DeadRelay down(DeadRelay::Kind::kBlackHole);
  ASSERT_NE(down.port(), 0);
  PeerSession::Options options = ListOptions({down.port(), relay_->port()});
  // Only the per-attempt deadline can move on within the wait below.
  options.relay_attempt_timeout = milliseconds(300);
  options.connect_timeout = seconds(60);
  EXPECT_TRUE(SignsIn(std::move(options), seconds(10)))
      << EndText(supporter_seen_);
}

TEST_F(RelayFailoverTest, SilentFirstRelayIsGivenUpAfterTheConnectTimeout) {
  DeadRelay down(DeadRelay::Kind::kSilent);
  ASSERT_NE(down.port(), 0);
  PeerSession::Options options = ListOptions({down.port(), relay_->port()});
  // TCP is up at once; the relay's Hello answer never comes.
  options.connect_timeout = seconds(1);
  EXPECT_TRUE(SignsIn(std::move(options), seconds(10)))
      << EndText(supporter_seen_);
}

TEST_F(RelayFailoverTest, AllRelaysDownEndsWithTheUsualMessage) {
  DeadRelay first(DeadRelay::Kind::kRefuses);
  DeadRelay second(DeadRelay::Kind::kRefuses);
  ASSERT_NE(first.port(), 0);
  ASSERT_NE(second.port(), 0);
  supporter_ =
      Start(ListOptions({first.port(), second.port()}), &supporter_seen_);
  ASSERT_TRUE(supporter_);
  ASSERT_TRUE(Wait([&] { return supporter_seen_.ended.has_value(); }));
  EXPECT_EQ(supporter_seen_.ended->reason, proto::END_REASON_PEER_LOST);
  // The last relay tried, in the words of a single relay that is down.
  EXPECT_EQ(supporter_seen_.ended->message,
            "Could not connect to the relay at 127.0.0.1:" +
                std::to_string(second.port()) + ".");
}

TEST_F(RelayFailoverTest, FirstRelayOfTheListIsTriedFirst) {
  DeadRelay down(DeadRelay::Kind::kBlackHole);
  ASSERT_NE(down.port(), 0);
  PeerSession::Options options = ListOptions({relay_->port(), down.port()});
  // Tried in the wrong order, the black hole alone would outlast the wait.
  options.relay_attempt_timeout = seconds(30);
  EXPECT_TRUE(SignsIn(std::move(options))) << EndText(supporter_seen_);
}

TEST(RelayAddressesTest, ListEntriesWithoutPortTakeThePortKey) {
  RelayEndpoint relay;
  relay.host = "relay1.example.net";
  relay.port = 8443;
  relay.hosts = {{"relay1.example.net", 0}, {"relay2.example.net", 9443}};
  EXPECT_EQ(RelayAddresses(relay),
            (std::vector<HostPort>{{"relay1.example.net", 8443},
                                   {"relay2.example.net", 9443}}));
}

TEST(RelayAddressesTest, SingleHostIsTheOnlyRelay) {
  RelayEndpoint relay;
  relay.host = "relay.example.net";
  relay.port = 443;
  EXPECT_EQ(RelayAddresses(relay),
            (std::vector<HostPort>{{"relay.example.net", 443}}));
}

TEST(RelayAddressesTest, TooManyRelaysAreRefusedByStart) {
  PeerSession::Options options;
  options.role = proto::ROLE_SUPPORTER;
  options.relay.host = "127.0.0.1";
  options.relay.fingerprint = "sha256:" + std::string(64, 'a');
  for (size_t i = 0; i <= kMaxRelayHosts; ++i)
    options.relay.hosts.push_back({"127.0.0.1", static_cast<uint16_t>(i + 1)});
  test::SessionRecorder seen;
  auto session = PeerSession::Start(std::move(options), &seen);
  ASSERT_FALSE(session.has_value());
  EXPECT_EQ(session.error().message, "At most 16 relays can be set.");
}

}  // namespace
}  // namespace tether::protocol
