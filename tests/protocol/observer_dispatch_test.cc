#include "protocol/observer_dispatch.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace tether::protocol {
namespace {

struct Counting : PeerSession::Observer {
  void OnStateChanged(SessionState) override { ++states; }
  void OnMessage(proto::PeerMessage) override { ++messages; }
  void OnEnded(const SessionEnd&) override {}
  int states = 0;
  int messages = 0;
};

proto::PeerMessage Message(size_t size) {
  proto::PeerMessage message;
  message.mutable_file_chunk()->set_data(std::string(size, 'x'));
  return message;
}

// An app thread that runs calls only when told to.
struct HeldCalls {
  ObserverDispatch::DeliverFunction deliver() {
    return [this](std::function<void()> call) { calls.push_back(call); };
  }
  void RunOne() {
    auto call = std::move(calls.front());
    calls.pop_front();
    call();
  }
  std::deque<std::function<void()>> calls;
};

TEST(ObserverDispatchTest, WithoutDeliverCallsRunAtOnce) {
  Counting observer;
  ObserverDispatch dispatch(&observer, nullptr, 1 << 20, nullptr);
  dispatch.Notify([](PeerSession::Observer& o) {
    o.OnStateChanged(SessionState::kConnecting);
  });
  EXPECT_FALSE(dispatch.Deliver(Message(2 << 20)));  // never paused inline
  EXPECT_EQ(observer.states, 1);
  EXPECT_EQ(observer.messages, 1);
}

TEST(ObserverDispatchTest, CallsQueuedBeforeCloseDoNothingAfterIt) {
  Counting observer;
  HeldCalls app;
  auto dispatch = std::make_unique<ObserverDispatch>(&observer, app.deliver(),
                                                     1 << 20, nullptr);
  dispatch->Notify([](PeerSession::Observer& o) {
    o.OnStateChanged(SessionState::kConnecting);
  });
  dispatch->Deliver(Message(10));
  dispatch.reset();
  while (!app.calls.empty())
    app.RunOne();
  EXPECT_EQ(observer.states, 0);
  EXPECT_EQ(observer.messages, 0);
}

TEST(ObserverDispatchTest, ObserverCallMayCloseTheDispatch) {
  Counting observer;
  HeldCalls app;
  auto dispatch = std::make_unique<ObserverDispatch>(&observer, app.deliver(),
                                                     1 << 20, nullptr);
  dispatch->Notify([&](PeerSession::Observer&) { dispatch.reset(); });
  dispatch->Notify(
      [](PeerSession::Observer& o) { o.OnStateChanged(SessionState::kEnded); });
  app.RunOne();
  app.RunOne();
  EXPECT_EQ(dispatch, nullptr);
  EXPECT_EQ(observer.states, 0);
}

TEST(ObserverDispatchTest, PausesOverTheLimitAndResumesAtAQuarter) {
  Counting observer;
  HeldCalls app;
  int resumed = 0;
  ObserverDispatch dispatch(&observer, app.deliver(), 1000, [&] { ++resumed; });
  EXPECT_FALSE(dispatch.Deliver(Message(400)));
  EXPECT_FALSE(dispatch.Deliver(Message(400)));
  EXPECT_TRUE(dispatch.Deliver(Message(400)));  // ~1200 waiting: stop reading
  EXPECT_TRUE(dispatch.reading_paused());
  // Already paused: no second request.
  EXPECT_FALSE(dispatch.Deliver(Message(400)));
  app.RunOne();
  app.RunOne();
  EXPECT_EQ(resumed, 0);  // ~800 left: still over a quarter
  app.RunOne();
  EXPECT_EQ(resumed, 0);
  app.RunOne();
  EXPECT_EQ(resumed, 1);  // all taken
  EXPECT_FALSE(dispatch.reading_paused());
  EXPECT_EQ(observer.messages, 4);
}

}  // namespace
}  // namespace tether::protocol
