#include "bench/e2e/fidelity.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <limits>
#include <utility>

namespace tether::bench::e2e {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kSampleEvery{200};
constexpr milliseconds kCompareEvery{30};
constexpr milliseconds kCompareWindow{150};
constexpr milliseconds kSettleEvery{25};

int64_t ThreadCpuNanoseconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

}  // namespace

Comparison Compare(const Picture& a, const Picture& b) {
  if (a.width != b.width || a.height != b.height ||
      a.bgrx.size() != b.bgrx.size() ||
      a.bgrx.size() != static_cast<size_t>(a.width) * a.height * 4 ||
      a.bgrx.empty()) {
    return {false, 0.0};
  }
  const uint8_t* pa = a.bgrx.data();
  const uint8_t* pb = b.bgrx.data();
  const size_t bytes = a.bgrx.size();
  uint64_t sse = 0;
  // Runs of 4096 pixels: most of a screen is usually identical (memcmp
  // skips it), and the sum of a run fits 32 bits (4096 * 3 * 255^2).
  constexpr size_t kRun = 4096 * 4;
  for (size_t start = 0; start < bytes; start += kRun) {
    const size_t n = std::min(kRun, bytes - start);
    if (std::memcmp(pa + start, pb + start, n) == 0)
      continue;
    uint32_t sum = 0;
    for (size_t i = start; i < start + n; i += 4) {
      const int db = pa[i] - pb[i], dg = pa[i + 1] - pb[i + 1],
                dr = pa[i + 2] - pb[i + 2];  // pa[i + 3] is X
      sum += static_cast<uint32_t>(db * db + dg * dg + dr * dr);
    }
    sse += sum;
  }
  if (sse == 0)
    return {true, std::numeric_limits<double>::infinity()};
  const double mse =
      static_cast<double>(sse) / (static_cast<double>(bytes) / 4.0 * 3.0);
  return {false, 10.0 * std::log10(255.0 * 255.0 / mse)};
}

void LatestPicture::Store(const desktop::DesktopFrame& frame) {
  const int64_t cpu_start = ThreadCpuNanoseconds();
  store_thread_ = gettid();
  std::shared_ptr<Picture> buffer;
  {
    std::lock_guard lock(mutex_);
    // Nobody can take a new reference to the spare: if this is the only
    // one, the buffer is free.
    if (spare_ && spare_.use_count() == 1)
      buffer = std::move(spare_);
  }
  if (!buffer)
    buffer = std::make_shared<Picture>();
  const int w = frame.size().width, h = frame.size().height;
  const size_t row_bytes = static_cast<size_t>(std::max(w, 0)) * 4;
  buffer->width = w;
  buffer->height = h;
  buffer->bgrx.resize(row_bytes * static_cast<size_t>(std::max(h, 0)));
  for (int y = 0; y < h; ++y) {
    std::memcpy(buffer->bgrx.data() + static_cast<size_t>(y) * row_bytes,
                frame.PixelAt(0, y), row_bytes);
  }
  {
    std::lock_guard lock(mutex_);
    spare_ = std::move(latest_);
    latest_ = std::move(buffer);
  }
  copy_cpu_ns_.fetch_add(ThreadCpuNanoseconds() - cpu_start);
}

std::shared_ptr<const Picture> LatestPicture::Latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

FidelityMonitor::ViewerPicture FidelityMonitor::ScreenOf(
    std::unique_ptr<XcbCanvas> canvas) {
  std::shared_ptr<XcbCanvas> display(std::move(canvas));
  auto buffer = std::make_shared<Picture>();
  return [display, buffer]() mutable -> std::shared_ptr<const Picture> {
    if (buffer.use_count() > 1)  // the caller still holds the last one
      buffer = std::make_shared<Picture>();
    buffer->width = display->width();
    buffer->height = display->height();
    if (!display->ReadRect(0, 0, display->width(), display->height(),
                           &buffer->bgrx)) {
      return nullptr;
    }
    return buffer;
  };
}

Result<std::unique_ptr<FidelityMonitor>> FidelityMonitor::Start(
    const std::string& customer_display,
    ViewerPicture viewer) {
  auto customer = XcbCanvas::Connect(customer_display);
  if (!customer)
    return Unexpected(customer.error());
  std::unique_ptr<FidelityMonitor> monitor(
      new FidelityMonitor(std::move(*customer), std::move(viewer)));
  // Its thread id is known before Start() returns (a caller reads its CPU
  // time from /proc), bounded.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (monitor->thread_id() == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  return monitor;
}

FidelityMonitor::FidelityMonitor(std::unique_ptr<XcbCanvas> customer,
                                 ViewerPicture viewer)
    : customer_(std::move(customer)),
      viewer_(std::move(viewer)),
      thread_([this] { Run(); }) {}

FidelityMonitor::~FidelityMonitor() {
  Finish();
}

void FidelityMonitor::PhaseStarted(int phase) {
  {
    std::lock_guard lock(mutex_);
    phase_ = phase;
    phase_start_ = Clock::now();
    ++change_;
  }
  changed_.notify_all();
}

FidelityResult FidelityMonitor::Finish() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable())
    thread_.join();
  return result_;
}

bool FidelityMonitor::Wait(Clock::time_point until, uint64_t change) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_until(lock, until,
                              [&] { return stop_ || change_ != change; });
}

bool FidelityMonitor::ReadCustomer() {
  customer_picture_.width = customer_->width();
  customer_picture_.height = customer_->height();
  if (!customer_->ReadRect(0, 0, customer_->width(), customer_->height(),
                           &customer_picture_.bgrx)) {
    result_.error = "the customer's screen could not be read";
    return false;
  }
  ++result_.grabs;
  return true;
}

void FidelityMonitor::Run() {
  thread_id_ = gettid();
  RunPhases();
  result_.cpu_seconds = static_cast<double>(ThreadCpuNanoseconds()) / 1e9;
}

void FidelityMonitor::RunPhases() {
  uint64_t handled = 0;
  while (true) {
    int phase;
    Clock::time_point since;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || change_ != handled; });
      if (stop_)
        return;
      phase = phase_;
      since = phase_start_;
      handled = change_;
    }
    if (!result_.error.empty())
      continue;  // the customer's display is gone: nothing to compare
    if (OfficeWorkload::Moves(phase)) {
      Sample(phase, handled);
    } else if (phase > 0 && OfficeWorkload::Moves(phase - 1)) {
      Settle(phase, since, handled);
    }
  }
}

void FidelityMonitor::Sample(int phase, uint64_t change) {
  FidelityResult::Phase& out = result_.phases[phase];
  while (true) {
    const Clock::time_point cycle = Clock::now();
    if (!ReadCustomer())
      return;
    double best = -1;
    bool exact = false;
    for (milliseconds at{0}; at < kCompareWindow && !exact;
         at += kCompareEvery) {
      if (at.count() > 0 && !Wait(cycle + at, change))
        return;  // the phase ended: this sample would mix two phases
      if (const auto view = viewer_()) {
        const Comparison c = Compare(*view, customer_picture_);
        ++result_.comparisons;
        exact = c.exact;
        best = std::max(best, c.psnr);
      }
    }
    if (best >= 0) {
      ++out.samples;
      if (exact) {
        ++out.exact;
      } else {
        out.psnr_sum += best;
      }
    }
    if (!Wait(cycle + kSampleEvery, change))
      return;
  }
}

void FidelityMonitor::Settle(int phase,
                             Clock::time_point since,
                             uint64_t change) {
  FidelityResult::Settle& out = result_.settle[phase];
  out.measured = true;
  if (!ReadCustomer())  // still from now on
    return;
  Clock::time_point next = Clock::now();
  while (true) {
    const Clock::time_point at = Clock::now();
    if (const auto view = viewer_()) {
      const Comparison c = Compare(*view, customer_picture_);
      ++result_.comparisons;
      if (c.exact) {
        out.ms = std::chrono::duration<double, std::milli>(at - since).count();
        return;
      }
      out.last_psnr = c.psnr;
    }
    next += kSettleEvery;
    if (!Wait(next, change))
      return;
  }
}

}  // namespace tether::bench::e2e
