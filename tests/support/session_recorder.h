#pragma once

// The app side of protocol::PeerSession in tests. DeliveryQueue plays the
// app's thread: sessions hand it observer calls (Options::deliver) and the
// test runs them on its own thread while it waits for something, with a
// deadline, instead of sleeping. SessionRecorder is an observer that
// writes down what it is told.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/peer_session.h"

namespace tether::test {

class DeliveryQueue {
 public:
  // Must outlive every session given this function.
  std::function<void(std::function<void()>)> deliver() {
    return [this](std::function<void()> call) {
      {
        std::lock_guard lock(mutex_);
        calls_.push_back(std::move(call));
      }
      ready_.notify_one();
    };
  }

  // Runs delivered calls until `done()` holds or `timeout` passes; returns
  // done(). `done` is checked after every call, and every few milliseconds
  // in between, for conditions that change outside the queue (a relay's
  // state on another thread).
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    constexpr std::chrono::milliseconds kRecheck{5};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    while (!done()) {
      if (calls_.empty()) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
          lock.unlock();
          return done();
        }
        ready_.wait_until(lock, std::min(deadline, now + kRecheck));
        continue;
      }
      std::function<void()> call = std::move(calls_.front());
      calls_.pop_front();
      lock.unlock();
      call();
      lock.lock();
    }
    return true;
  }

  // Calls delivered but not run yet: how far the "app" is behind.
  size_t size() {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }

  // Runs what is queued now, without waiting.
  void RunPending() {
    std::unique_lock lock(mutex_);
    while (!calls_.empty()) {
      std::function<void()> call = std::move(calls_.front());
      calls_.pop_front();
      lock.unlock();
      call();
      lock.lock();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> calls_;
};

struct SessionRecorder : protocol::PeerSession::Observer {
  void OnStateChanged(protocol::SessionState s) override {
    Call();
    states.push_back(s);
    state = s;
  }
  void OnRelayHello(const proto::HelloAck& ack) override {
    Call();
    hello = ack;
  }
  void OnLoginResult(const proto::LoginResult& result) override {
    Call();
    logins.push_back(result);
  }
  void OnChangePasswordResult(const proto::ChangePasswordResult& r) override {
    Call();
    password_changes.push_back(r);
  }
  void OnSessionCreated(const proto::SessionCreated& c) override {
    Call();
    created.push_back(c);
  }
  void OnJoinRequest(const proto::JoinRequest& request) override {
    Call();
    join_requests.push_back(request);
  }
  void OnRelayError(const proto::ErrorReply& error) override {
    Call();
    errors.push_back(error);
  }
  void OnJoined(const proto::Joined& j) override {
    Call();
    joined = j;
  }
  void OnSecured(const std::string& s) override {
    Call();
    sas = s;
  }
  void OnMessage(proto::PeerMessage message) override {
    Call();
    messages.push_back(std::move(message));
  }
  void OnEnded(const protocol::SessionEnd& end) override {
    Call();
    ++ended_count;
    ended = end;
  }

  bool signed_in() const {
    return !logins.empty() &&
           logins.back().status() == proto::LoginResult::STATUS_OK;
  }

  std::optional<protocol::SessionState> state;
  std::vector<protocol::SessionState> states;
  std::optional<proto::HelloAck> hello;
  std::vector<proto::LoginResult> logins;
  std::vector<proto::ChangePasswordResult> password_changes;
  std::vector<proto::SessionCreated> created;
  std::vector<proto::JoinRequest> join_requests;
  std::vector<proto::ErrorReply> errors;
  std::optional<proto::Joined> joined;
  std::optional<std::string> sas;
  std::vector<proto::PeerMessage> messages;
  std::optional<protocol::SessionEnd> ended;
  int ended_count = 0;
  // Any call after OnEnded() breaks the engine's promise.
  bool called_after_end = false;

 private:
  void Call() {
    if (ended_count > 0)
      called_after_end = true;
  }
};

}  // namespace tether::test
