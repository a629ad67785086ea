#include "protocol/observer_dispatch.h"

#include <atomic>
#include <mutex>
#include <utility>

namespace tether::protocol {

// Outlives the dispatch while calls are queued. The lock is held around
// every observer call, so Close() can wait for a running one; recursive,
// so an observer call may destroy the engine.
struct ObserverDispatch::Gate {
  std::recursive_mutex mutex;
  PeerSession::Observer* observer = nullptr;  // null once closed
  std::function<void()> resume;
  size_t pause_above = 0;
  size_t resume_at = 0;
  std::atomic<size_t> undelivered_bytes{0};
  std::atomic<bool> reading_paused{false};
};

ObserverDispatch::ObserverDispatch(PeerSession::Observer* observer,
                                   DeliverFunction deliver,
                                   size_t max_undelivered,
                                   std::function<void()> resume)
    : gate_(std::make_shared<Gate>()), deliver_(std::move(deliver)) {
  gate_->observer = observer;
  gate_->resume = std::move(resume);
  gate_->pause_above = max_undelivered;
  gate_->resume_at = max_undelivered / 4;
}

ObserverDispatch::~ObserverDispatch() {
  Close();
}

void ObserverDispatch::Close() {
  std::lock_guard lock(gate_->mutex);
  gate_->observer = nullptr;
  gate_->resume = nullptr;
}

void ObserverDispatch::Notify(
    std::function<void(PeerSession::Observer&)> call) {
  auto run = [gate = gate_, call = std::move(call)] {
    std::lock_guard lock(gate->mutex);
    if (gate->observer != nullptr)
      call(*gate->observer);
  };
  if (deliver_) {
    deliver_(std::move(run));
  } else {
    run();
  }
}

bool ObserverDispatch::Deliver(proto::PeerMessage message) {
  const size_t size = message.ByteSizeLong();
  Gate& gate = *gate_;
  gate.undelivered_bytes += size;
  Notify([gate = gate_, size, message = std::move(message)](
             PeerSession::Observer& observer) mutable {
    observer.OnMessage(std::move(message));
    // Still under the gate's lock, and the gate is open: `resume` is valid.
    const size_t left = gate->undelivered_bytes -= size;
    if (left <= gate->resume_at && gate->reading_paused.exchange(false) &&
        gate->resume) {
      gate->resume();
    }
  });
  if (!deliver_ || gate.reading_paused.load() ||
      gate.undelivered_bytes.load() <= gate.pause_above) {
    return false;
  }
  // Paused first, then checked again: an app that caught up in between
  // either sees the flag (and resumes) or is seen here.
  gate.reading_paused = true;
  if (gate.undelivered_bytes.load() <= gate.resume_at &&
      gate.reading_paused.exchange(false)) {
    return false;
  }
  return true;
}

bool ObserverDispatch::reading_paused() const {
  return gate_->reading_paused.load();
}

}  // namespace tether::protocol
