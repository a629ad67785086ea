#include "tests/support/relay_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "crypto/tls_engine.h"
#include "protocol/messages.h"

namespace tether::test {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

Result<std::unique_ptr<RelayTestClient>> RelayTestClient::Connect(
    uint16_t port,
    const std::string& fingerprint,
    std::chrono::milliseconds timeout,
    const std::string& source_ip,
    const std::vector<std::string>& alpn) {
  std::unique_ptr<RelayTestClient> client(new RelayTestClient());
  client->fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (!source_ip.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source_ip.c_str(), &local.sin_addr) != 1) {
      return MakeError("bad source address " + source_ip);
    }
    if (bind(client->fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) !=
        0) {
      return MakeError("cannot bind to " + source_ip);
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(client->fd_, reinterpret_cast<sockaddr*>(&address),
              sizeof(address)) != 0) {
    return MakeError("connect failed");
  }
  int one = 1;
  setsockopt(client->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  crypto::TlsClientOptions options;
  options.pinned_fingerprint = fingerprint;
  options.alpn = alpn;
  auto config = crypto::TlsConfig::CreateClient(
      options, crypto::RandomGenerator::Default());
  if (!config)
    return Unexpected(config.error());
  auto engine = crypto::TlsEngine::Create(*config);
  if (!engine)
    return Unexpected(engine.error());
  client->engine_ = std::move(*engine);

  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto done = client->engine_->Handshake();
    if (auto flushed = client->Flush(); !flushed)
      return Unexpected(flushed.error());
    if (!done)
      return Unexpected(done.error());
    if (*done)
      break;
    if (auto pumped = client->Pump(deadline); !pumped) {
      return Unexpected(pumped.error());
    }
  }
  return client;
}

RelayTestClient::~RelayTestClient() {
  if (fd_ >= 0)
    close(fd_);
}

Result<void> RelayTestClient::Flush(std::optional<Clock::time_point> deadline) {
  Bytes out = engine_->TakeOutgoing();
  unsent_.insert(unsent_.end(), out.begin(), out.end());
  size_t sent = 0;
  Result<void> result;
  while (sent < unsent_.size()) {
    ssize_t n = send(fd_, unsent_.data() + sent, unsent_.size() - sent,
                     MSG_NOSIGNAL | (deadline ? MSG_DONTWAIT : 0));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (deadline && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd_, POLLOUT, 0};
        if (poll(&p, 1, RemainingMs(*deadline)) > 0)
          continue;
        result = MakeError("send timed out: the relay stopped reading");
        break;
      }
      result = MakeError("send failed");
      break;
    }
    sent += static_cast<size_t>(n);
  }
  unsent_.erase(unsent_.begin(), unsent_.begin() + static_cast<long>(sent));
  return result;
}

Result<void> RelayTestClient::Pump(Clock::time_point deadline) {
  if (closed_)
    return MakeError("connection closed");
  pollfd p{fd_, POLLIN, 0};
  int ready = poll(&p, 1, RemainingMs(deadline));
  if (ready == 0)
    return MakeError("timed out waiting for the relay");
  uint8_t buffer[16384];
  ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
  if (n <= 0) {
    closed_ = true;
    return MakeError("connection closed by the relay");
  }
  engine_->FeedIncoming(ByteSpan(buffer, static_cast<size_t>(n)));
  return {};
}

Result<void> RelayTestClient::Send(const proto::ClientMessage& message) {
  return Send(message, std::chrono::milliseconds::max());
}

Result<void> RelayTestClient::Send(const proto::ClientMessage& message,
                                   std::chrono::milliseconds timeout) {
  Bytes frame;
  if (auto framed = protocol::AppendMessageFrame(
          message, protocol::kDefaultRelayedFrameLimit + 64, frame);
      !framed) {
    return framed;
  }
  if (auto written = engine_->Write(frame); !written) {
    return Unexpected(written.error());
  }
  if (timeout == std::chrono::milliseconds::max())
    return Flush();
  return Flush(Clock::now() + timeout);
}

Result<void> RelayTestClient::SendPayload(ByteSpan payload) {
  Bytes frame;
  if (auto framed = protocol::AppendFrame(
          payload, protocol::kDefaultRelayedFrameLimit + 64, frame);
      !framed) {
    return framed;
  }
  if (auto written = engine_->Write(frame); !written) {
    return Unexpected(written.error());
  }
  return Flush();
}

Result<void> RelayTestClient::SendPrefix(const proto::ClientMessage& message,
                                         size_t prefix) {
  Bytes frame;
  if (auto framed = protocol::AppendMessageFrame(
          message, protocol::kDefaultRelayedFrameLimit + 64, frame);
      !framed) {
    return framed;
  }
  frame.resize(std::min(prefix, frame.size()));
  if (auto written = engine_->Write(frame); !written) {
    return Unexpected(written.error());
  }
  return Flush();
}

Result<proto::RelayMessage> RelayTestClient::Receive(
    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    while (auto payload = decoder_.Next()) {
      proto::RelayMessage message;
      if (auto parsed = protocol::ParsePayload(*payload, message); !parsed) {
        return Unexpected(parsed.error());
      }
      if (message.has_heartbeat())
        continue;
      return message;
    }
    uint8_t plain[16384];
    auto read = engine_->Read(plain);
    (void)Flush(Clock::now());  // never wait here for a full socket
    if (!read)
      return Unexpected(read.error());
    if (*read > 0) {
      if (auto fed = decoder_.Feed(ByteSpan(plain, *read)); !fed) {
        return Unexpected(fed.error());
      }
      continue;
    }
    if (engine_->peer_closed())
      return MakeError("relay ended the TLS session");
    if (auto pumped = Pump(deadline); !pumped)
      return Unexpected(pumped.error());
  }
}

Result<void> RelayTestClient::SendBytes(ByteSpan bytes) {
  if (auto written = engine_->Write(bytes); !written)
    return Unexpected(written.error());
  return Flush();
}

Result<Bytes> RelayTestClient::ReceiveBytes(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    uint8_t plain[16384];
    auto read = engine_->Read(plain);
    (void)Flush(Clock::now());
    if (!read)
      return Unexpected(read.error());
    if (*read > 0)
      return Bytes(plain, plain + *read);
    if (engine_->peer_closed())
      return MakeError("relay ended the TLS session");
    if (auto pumped = Pump(deadline); !pumped)
      return Unexpected(pumped.error());
  }
}

std::string RelayTestClient::alpn() const {
  return engine_->alpn();
}

bool RelayTestClient::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto message = Receive(std::chrono::milliseconds(RemainingMs(deadline)));
    if (!message)
      return closed_ || engine_->peer_closed();
  }
}

Result<proto::RelayMessage> RelayTestClient::Hello(proto::Role role) {
  proto::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(proto::PROTOCOL_VERSION_CURRENT);
  hello.mutable_hello()->set_role(role);
  hello.mutable_hello()->set_app_version("relay-test-client");
  if (auto sent = Send(hello); !sent)
    return Unexpected(sent.error());
  return Receive();
}

Result<proto::RelayMessage> RelayTestClient::Login(const std::string& user,
                                                   const std::string& password,
                                                   const std::string& totp) {
  proto::ClientMessage login;
  login.mutable_login()->set_user(user);
  login.mutable_login()->set_password(password);
  login.mutable_login()->set_totp(totp);
  if (auto sent = Send(login); !sent)
    return Unexpected(sent.error());
  return Receive(std::chrono::seconds(20));
}

std::string RelayTestClient::tls_description() const {
  return engine_->protocol_version() + " " + engine_->cipher_suite();
}

}  // namespace tether::test
