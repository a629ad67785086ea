#include "customer-app/core/input_gate.h"

#include <algorithm>
#include <utility>

#include "base/log.h"

namespace tether::customer {

InputGate::InputGate(std::unique_ptr<desktop::InputInjector> injector,
                     FailedFunction failed,
                     size_t max_queued,
                     AskingFunction asking)
    : injector_(std::move(injector)),
      failed_function_(std::move(failed)),
      asking_function_(std::move(asking)),
      max_queued_(max_queued) {
  thread_ = std::thread([this] { Run(); });
}

InputGate::~InputGate() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
    injector_->Interrupt();  // a long text ends at its next key
  }
  wake_.notify_all();
  thread_.join();
  if (dropped_ > 0 || failed_ > 0) {
    log::Info("input: {} events injected, {} dropped, {} failed",
              injected_.load(), dropped_.load(), failed_.load());
  }
}

void InputGate::SetControl(bool enabled) {
  std::lock_guard lock(mutex_);
  if (stopped_)
    return;
  const bool was = control_.exchange(enabled);
  if (was && !enabled)
    InterruptLocked(/*end=*/true);
  if (!was && enabled) {
    queue_.push_back({.kind = Item::Kind::kBegin, .event = {}});
    wake_.notify_all();
  }
}

void InputGate::PromptOpened() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_)
      return;
    InterruptLocked(/*end=*/false);
  }
  // The injection in flight stops at its next key; once this lock is ours
  // it has, so the prompt shows only after the last key of the old input
  // was sent (at most the one being typed as it opened).
  std::lock_guard inject(inject_mutex_);
}

void InputGate::InterruptLocked(bool end) {
  // A Begin() not yet run stays queued (control is still on); the events
  // go.
  const bool begin_queued =
      !end && std::any_of(queue_.begin(), queue_.end(), [](const Item& item) {
        return item.kind == Item::Kind::kBegin;
      });
  queue_.clear();
  injector_->Interrupt();
  queue_.push_back(
      {.kind = end ? Item::Kind::kEnd : Item::Kind::kReleaseAll, .event = {}});
  if (begin_queued)
    queue_.push_back({.kind = Item::Kind::kBegin, .event = {}});
  wake_.notify_all();
}

bool InputGate::Submit(const proto::InputEvent& event) {
  if (!control_ || stopped_ || injector_->IsBlocked()) {
    Drop("remote control is off");
    return false;
  }
  std::lock_guard lock(mutex_);
  if (queue_.size() >= max_queued_) {
    Drop("the input queue is full");
    return false;
  }
  queue_.push_back({.kind = Item::Kind::kEvent, .event = event});
  wake_.notify_all();
  return true;
}

void InputGate::Stop() {
  if (stopped_.exchange(true)) {
    // A second STOP still returns only when nothing is in flight.
    std::lock_guard inject(inject_mutex_);
    return;
  }
  injector_->Block();
  control_ = false;
  {
    std::lock_guard lock(mutex_);
    queue_.clear();
  }
  // Whatever the gate's thread was injecting has finished (or failed on
  // the blocked injector) once this lock is ours. Then the keys and
  // buttons Tether pressed go up, so nothing stays held after the app.
  std::lock_guard inject(inject_mutex_);
  injector_->ReleaseAll();
  injector_->End();
  idle_.notify_all();
}

bool InputGate::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout,
                        [this] { return queue_.empty() && !busy_; });
}

void InputGate::Run() {
  while (true) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      busy_ = false;
      if (queue_.empty())
        idle_.notify_all();
      wake_.wait(lock, [this] { return quit_ || !queue_.empty(); });
      if (quit_)
        break;
      item = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      // Everything queued before an interrupt was dropped with it, so what
      // is popped now may run.
      if (!stopped_)
        injector_->ClearInterrupt();
    }
    if (item.kind == Item::Kind::kBegin) {
      // Not under inject_mutex_: the desktop's dialog may take a while, and
      // PromptOpened() and Stop() must not wait for it (Stop() makes it
      // give up).
      Begin();
      continue;
    }
    std::lock_guard inject(inject_mutex_);
    if (stopped_ || injector_->IsBlocked())
      continue;
    if (item.kind == Item::Kind::kReleaseAll) {
      injector_->ReleaseAll();
    } else if (item.kind == Item::Kind::kEnd) {
      injector_->ReleaseAll();
      injector_->End();
    } else if (control_) {
      Inject(item.event);
    } else {
      Drop("remote control is off");
    }
  }
  std::lock_guard inject(inject_mutex_);
  injector_.reset();  // releases what is held, unless blocked
}

void InputGate::Begin() {
  if (stopped_ || !control_)
    return;
  const bool asks = asking_function_ && injector_->BeginAsksThePerson();
  if (asks)
    asking_function_(true);
  auto asked =
      injector_->Begin([this] { return stopped_.load() || !control_.load(); });
  if (asks)
    asking_function_(false);
  if (!asked) {
    if (!stopped_ && control_) {
      log::Warn("input: remote control cannot be used: {}",
                asked.error().message);
      if (failed_function_)
        failed_function_(asked.error());
    }
    return;
  }
  if (!*asked)
    return;
  // What the technician sent while the person read the desktop's dialog
  // was aimed at a picture from before it: dropped, not replayed.
  std::lock_guard lock(mutex_);
  const auto stale = std::remove_if(
      queue_.begin(), queue_.end(),
      [](const Item& item) { return item.kind == Item::Kind::kEvent; });
  dropped_ += static_cast<uint64_t>(queue_.end() - stale);
  queue_.erase(stale, queue_.end());
}

void InputGate::Inject(const proto::InputEvent& event) {
  using E = proto::InputEvent;
  Result<void> result;
  switch (event.event_case()) {
    case E::kMouseMove:
      result = injector_->MoveMouse(
          {event.mouse_move().x(), event.mouse_move().y()});
      break;
    case E::kMouseButton: {
      const int button = static_cast<int>(
          std::min<uint32_t>(event.mouse_button().button(), 1000));
      result = injector_->PressButton(button, event.mouse_button().pressed());
      break;
    }
    case E::kMouseWheel:
      result = injector_->Scroll(event.mouse_wheel().delta_x(),
                                 event.mouse_wheel().delta_y());
      break;
    case E::kKey:
      result = injector_->Key(event.key().keysym(), event.key().pressed());
      break;
    case E::kText:
      result = injector_->Text(event.text().text());
      break;
    default:
      result = MakeError("empty input event");
      break;
  }
  if (result) {
    ++injected_;
    return;
  }
  if (injector_->IsInterrupted()) {
    ++dropped_;  // cut short on purpose (revoke, prompt, end)
    return;
  }
  ++failed_;
  if (!logged_failure_.exchange(true) && !injector_->IsBlocked()) {
    log::Warn("input: an event could not be injected: {}",
              result.error().message);
  }
}

void InputGate::Drop(const char* why) {
  ++dropped_;
  if (!logged_drop_.exchange(true))
    log::Warn("input: event dropped: {} (further drops are counted)", why);
}

}  // namespace tether::customer
