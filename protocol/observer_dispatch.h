#pragma once

// How the peer session engine hands observer calls to the app's thread
// (PeerSession::Options::deliver), with the two promises it makes about
// them:
//  - none runs once the engine is gone: calls still queued in the app's
//    thread then do nothing, and Close() waits for one that is running;
//  - decrypted messages waiting in the app's thread stay bounded: past
//    `max_undelivered` bytes the engine is told to stop reading from the
//    relay, and `resume` runs once the app is down to a quarter of that.
//
// Notify() and Deliver() are called on the network thread; the calls run
// wherever `deliver` runs them (on the network thread itself when it is
// empty). `resume` runs on the app's thread, inside an observer call's
// bookkeeping: it must only post to the network thread.

#include <cstddef>
#include <functional>
#include <memory>

#include "protocol/peer_session.h"

namespace tether::protocol {

class ObserverDispatch {
 public:
  using DeliverFunction = std::function<void(std::function<void()>)>;

  ObserverDispatch(PeerSession::Observer* observer,
                   DeliverFunction deliver,
                   size_t max_undelivered,
                   std::function<void()> resume);
  ~ObserverDispatch();  // Close()
  ObserverDispatch(const ObserverDispatch&) = delete;
  ObserverDispatch& operator=(const ObserverDispatch&) = delete;

  // No observer call starts after this returns, and none is running. A
  // call may close from inside an observer call (same thread).
  void Close();

  void Notify(std::function<void(PeerSession::Observer&)> call);

  // Hands one message to OnMessage(). True when the caller must stop
  // reading now; `resume` follows once the app has caught up.
  bool Deliver(proto::PeerMessage message);

  // Between a Deliver() that returned true and the matching `resume`.
  bool reading_paused() const;

 private:
  struct Gate;  // shared with the calls queued in the app's thread
  const std::shared_ptr<Gate> gate_;
  const DeliverFunction deliver_;
};

}  // namespace tether::protocol
