#pragma once

// A PeerSession that goes nowhere: it records what the app sends and lets
// the test play the network (observer calls through Options::deliver, as
// the real engine makes them).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/peer_session.h"

namespace tether::test {

class FakePeerSession final : public protocol::PeerSession {
 public:
  // What the test holds on to; outlives the engine the session owns.
  struct Wire {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<proto::PeerMessage> sent;
    std::optional<std::pair<proto::EndReason, std::string>> ended;
    protocol::PeerSession::Options options;
    protocol::PeerSession::Observer* observer = nullptr;
    size_t pending = 0;
    bool accept_sends = true;

    // Plays the engine: runs `call` on the app thread, like deliver does.
    void Deliver(std::function<void(protocol::PeerSession::Observer&)> call) {
      Observer* o = observer;
      options.deliver([o, call = std::move(call)] { call(*o); });
    }
    void Message(proto::PeerMessage message) {
      Deliver([message = std::move(message)](Observer& o) {
        o.OnMessage(message);
      });
    }

    size_t Count(proto::PeerMessage::BodyCase body) {
      std::lock_guard lock(mutex);
      size_t n = 0;
      for (const auto& m : sent)
        n += m.body_case() == body ? 1 : 0;
      return n;
    }
    std::vector<proto::PeerMessage> Sent() {
      std::lock_guard lock(mutex);
      return sent;
    }
    // Waits (bounded) until `pred` holds over the sent messages.
    bool WaitFor(
        const std::function<bool(const std::vector<proto::PeerMessage>&)>& pred,
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
      std::unique_lock lock(mutex);
      return changed.wait_for(lock, timeout, [&] { return pred(sent); });
    }
    bool WaitForCount(
        proto::PeerMessage::BodyCase body,
        size_t n,
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
      return WaitFor(
          [&](const std::vector<proto::PeerMessage>& all) {
            size_t count = 0;
            for (const auto& m : all)
              count += m.body_case() == body ? 1 : 0;
            return count >= n;
          },
          timeout);
    }
  };

  explicit FakePeerSession(std::shared_ptr<Wire> wire)
      : wire_(std::move(wire)) {}

  // For SessionParts::start_engine.
  static std::function<Result<std::unique_ptr<protocol::PeerSession>>(
      protocol::PeerSession::Options,
      protocol::PeerSession::Observer*)>
  Factory(std::shared_ptr<Wire> wire) {
    return [wire](protocol::PeerSession::Options options,
                  protocol::PeerSession::Observer* observer)
               -> Result<std::unique_ptr<protocol::PeerSession>> {
      wire->options = std::move(options);
      wire->observer = observer;
      return std::unique_ptr<protocol::PeerSession>(
          std::make_unique<FakePeerSession>(wire));
    };
  }

  void Login(std::string, std::string, std::string) override {}
  void ChangePassword(std::string, std::string) override {}
  void CreateSession() override {}
  void DecideJoin(bool) override {}

  bool Send(proto::PeerMessage message) override {
    std::lock_guard lock(wire_->mutex);
    if (wire_->ended || !wire_->accept_sends)
      return false;
    wire_->sent.push_back(std::move(message));
    wire_->changed.notify_all();
    return true;
  }
  size_t pending_bytes() const override { return wire_->pending; }

  void End(proto::EndReason reason, std::string message) override {
    {
      std::lock_guard lock(wire_->mutex);
      if (wire_->ended)
        return;
      wire_->ended.emplace(reason, message);
      wire_->changed.notify_all();
    }
    // Like the engine: OnEnded follows, local.
    protocol::SessionEnd end;
    end.reason = reason;
    end.message = message.empty() ? "You ended the session." : message;
    end.local = true;
    wire_->Deliver([end](Observer& o) { o.OnEnded(end); });
  }

 private:
  std::shared_ptr<Wire> wire_;
};

}  // namespace tether::test
