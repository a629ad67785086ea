#pragma once

// An InputInjector that records what it is asked to inject instead of
// touching a display. Honors Block() and Interrupt() like the real one:
// once blocked (or while interrupted), every call fails and nothing is
// recorded.

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "desktop/input/input_injector.h"

namespace tether::test {

class RecordingInjector final : public desktop::InputInjector {
 public:
  struct Event {
    enum class Kind { kMove, kButton, kScroll, kKey, kText } kind;
    int a = 0;
    int b = 0;
    std::string text;
  };

  // `delay` per call, to keep an injection "in flight" in tests.
  explicit RecordingInjector(std::chrono::microseconds delay = {})
      : delay_(delay) {}

  Result<void> MoveMouse(desktop::DesktopPoint p) override {
    return Record({Event::Kind::kMove, p.x, p.y, {}});
  }
  Result<void> PressButton(int button, bool pressed) override {
    return Record({Event::Kind::kButton, button, pressed ? 1 : 0, {}});
  }
  Result<void> Scroll(int dx, int dy) override {
    return Record({Event::Kind::kScroll, dx, dy, {}});
  }
  Result<void> Key(uint32_t keysym, bool pressed) override {
    return Record(
        {Event::Kind::kKey, static_cast<int>(keysym), pressed ? 1 : 0, {}});
  }
  Result<void> Text(std::string_view utf8) override {
    return Record({Event::Kind::kText, 0, 0, std::string(utf8)});
  }
  // Records a release of every button, then every key, recorded as pressed
  // and not released (also when blocked, as the real one).
  void ReleaseAll() override {
    std::lock_guard lock(mutex_);
    for (Event::Kind kind : {Event::Kind::kButton, Event::Kind::kKey}) {
      std::vector<int> down;
      for (const Event& e : events_) {
        if (e.kind != kind)
          continue;
        std::erase(down, e.a);
        if (e.b == 1)
          down.push_back(e.a);
      }
      for (int what : down)
        events_.push_back({kind, what, 0, {}});
    }
  }

  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

 private:
  Result<void> Record(Event event) {
    if (IsBlocked() || IsInterrupted())
      return MakeError("blocked or interrupted");
    if (delay_.count() > 0)
      std::this_thread::sleep_for(delay_);
    // The real backend checks before every event it sends.
    if (IsBlocked())
      return MakeError("blocked");
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    return {};
  }

  std::chrono::microseconds delay_;
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

}  // namespace tether::test
