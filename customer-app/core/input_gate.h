#pragma once

// The only path from the technician's InputEvents to the desktop. An event
// reaches the injector only while remote control is on and the injector is
// not blocked, checked when it is submitted and again right before it is
// injected. Injection runs on the gate's own thread behind a bounded queue:
// when the desktop is slower than the technician, events are dropped
// (counted, logged once), never queued without bound.
//
// Stop() is the emergency stop: it blocks the injector and returns only
// once no injection is in flight, so after it returns nothing more reaches
// the display server, however many events are still arriving.
//
// Turning control on begins the injector (on Wayland the desktop's own
// dialog asks the person; input that arrives meanwhile is dropped, and a
// "no" there ends control through `failed`); turning it off or STOP ends
// it (on Wayland the portal session closes: the desktop takes no more).
//
// Threads: every method may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "desktop/input/input_injector.h"
#include "protocol/peer.pb.h"

namespace tether::customer {

class InputGate {
 public:
  static constexpr size_t kDefaultMaxQueued = 256;
  // Control was granted but cannot be used (the injector's Begin() failed:
  // the desktop's dialog cancelled, no remote desktop service). On the
  // gate's thread.
  using FailedFunction = std::function<void(const Error& error)>;
  // True while the desktop's own dialog for control is open (Wayland),
  // then false. On the gate's thread.
  using AskingFunction = std::function<void(bool asking)>;

  explicit InputGate(std::unique_ptr<desktop::InputInjector> injector,
                     FailedFunction failed = {},
                     size_t max_queued = kDefaultMaxQueued,
                     AskingFunction asking = {});
  // Stops the thread; the injector (and with it the keys and buttons the
  // technician still held, unless stopped) is released.
  ~InputGate();
  InputGate(const InputGate&) = delete;
  InputGate& operator=(const InputGate&) = delete;

  // Off: queued events are dropped, what is being typed stops at the next
  // key, and keys and buttons the technician held are released (unless
  // stopped).
  void SetControl(bool enabled);
  // A consent prompt is about to show: the same as taking control away,
  // except that control stays granted (the policy refuses new input while
  // the prompt is open). Queued input cannot reach the prompt: returns
  // once the injection in flight has stopped (at its next key), like
  // Stop(), so nothing of the old input is sent while the prompt shows.
  void PromptOpened();
  bool control() const { return control_.load(); }
  // Queues one event; false when it was dropped (no control, stopped, queue
  // full).
  bool Submit(const proto::InputEvent& event);
  // Blocks the injector, drops the queue, waits for an injection in
  // flight (it stops at its next key), then releases every key and button
  // Tether holds down. Idempotent. Nothing is injected afterwards, ever.
  void Stop();
  bool stopped() const { return stopped_.load(); }

  // Waits (bounded) until the queue is empty and nothing is in flight; for
  // tests and an orderly end.
  bool WaitIdle(std::chrono::milliseconds timeout);

  uint64_t injected() const { return injected_.load(); }
  uint64_t dropped() const { return dropped_.load(); }
  uint64_t failed() const { return failed_.load(); }

 private:
  struct Item {
    enum class Kind {
      kEvent,
      kBegin,       // control turned on
      kReleaseAll,  // a prompt opened: what is held goes up
      kEnd,         // control turned off: release, then end
    };
    Kind kind = Kind::kEvent;
    proto::InputEvent event;
  };

  void Run();
  // Drops the queue, interrupts the injection in flight and queues the
  // injector's ReleaseAll() (and End() with `end`). Callers hold mutex_.
  void InterruptLocked(bool end);
  void Begin();
  void Inject(const proto::InputEvent& event);
  void Drop(const char* why);

  std::unique_ptr<desktop::InputInjector> injector_;
  FailedFunction failed_function_;
  AskingFunction asking_function_;
  const size_t max_queued_;
  std::atomic<bool> control_{false};
  std::atomic<bool> stopped_{false};

  std::mutex mutex_;  // guards queue_, quit_, busy_
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Item> queue_;
  bool quit_ = false;
  bool busy_ = false;

  // Held while one item is being injected: Stop() takes it to know that
  // nothing is in flight.
  // (What the technician holds down is the injector's to know: it puts it
  // up in ReleaseAll().)
  std::mutex inject_mutex_;

  std::atomic<uint64_t> injected_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<bool> logged_drop_{false};
  std::atomic<bool> logged_failure_{false};
  std::thread thread_;
};

}  // namespace tether::customer
