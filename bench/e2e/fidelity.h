#pragma once

// How faithfully a viewer shows the customer's screen while the office
// workload runs (screen_script.h), measured the same way for every path.
//
// - During a phase that moves (typing, scrolling, dragging), every 200 ms
//   the customer's whole screen is read, and the viewer's current picture
//   is compared with it every 30 ms for up to 150 ms; the best PSNR counts
//   (so the viewer's lag is not counted as a difference).
// - When such a phase ends (the screen is still from then on), the
//   viewer's picture is compared with the customer's screen every 25 ms
//   until they are pixel-identical: the time to exact, or "not exact" with
//   the last PSNR when the idle phase ends first.
//
// PSNR is over R, G and B of the whole screen; the fourth byte of BGRX is
// ignored. Pixel-identical pictures have infinite PSNR: counted as
// "exact", left out of the mean.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "bench/e2e/screen_script.h"
#include "desktop/desktop_frame.h"

namespace tether::bench::e2e {

// A whole screen, BGRX, rows tightly packed (width * 4 bytes).
struct Picture {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> bgrx;
};

struct Comparison {
  bool exact = false;  // R, G and B identical everywhere
  double psnr = 0;     // dB; infinity when exact; 0 when the sizes differ
};
Comparison Compare(const Picture& a, const Picture& b);

// The newest decoded picture of our supporter, kept for the sampler: the
// supporter's on_picture callback calls Store() (on its decoding thread);
// Latest() may be called from any thread. Buffers are reused once nobody
// holds them.
class LatestPicture {
 public:
  void Store(const desktop::DesktopFrame& frame);
  std::shared_ptr<const Picture> Latest() const;
  // The thread Store() runs on (0 before the first call), and the CPU time
  // its copies took there: the bench's cost, not the supporter's.
  pid_t store_thread() const { return store_thread_.load(); }
  double copy_cpu_seconds() const {
    return static_cast<double>(copy_cpu_ns_.load()) / 1e9;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<Picture> latest_;
  std::shared_ptr<Picture> spare_;
  std::atomic<pid_t> store_thread_{0};
  std::atomic<int64_t> copy_cpu_ns_{0};
};

struct FidelityResult {
  struct Phase {
    int samples = 0;
    int exact = 0;
    double psnr_sum = 0;  // of the samples that were not exact
  };
  // In an idle phase that follows a moving one.
  struct Settle {
    bool measured = false;
    std::optional<double> ms;  // until pixel-identical, from the phase start
    double last_psnr = 0;      // when not exact: the last comparison
  };
  Phase phases[OfficeWorkload::kPhases];
  Settle settle[OfficeWorkload::kPhases];  // indexed by the idle phase
  int grabs = 0;           // reads of the customer's whole screen
  int comparisons = 0;     // viewer pictures compared
  double cpu_seconds = 0;  // the sampler's thread (reads, comparisons)
  std::string error;       // set: sampling stopped early
};

// The sampler: a thread of its own, with its own X connection to the
// customer's display. PhaseStarted() and Finish() are for the thread that
// runs the workload.
class FidelityMonitor {
 public:
  using Clock = std::chrono::steady_clock;
  // The viewer's current picture; null if it cannot be read now. Called on
  // the sampler's thread only.
  using ViewerPicture = std::function<std::shared_ptr<const Picture>()>;

  // Reads the whole screen of a display (the viewer's) through `canvas`,
  // which the returned function then owns.
  static ViewerPicture ScreenOf(std::unique_ptr<XcbCanvas> canvas);

  static Result<std::unique_ptr<FidelityMonitor>> Start(
      const std::string& customer_display,
      ViewerPicture viewer);
  ~FidelityMonitor();  // Finish()
  FidelityMonitor(const FidelityMonitor&) = delete;
  FidelityMonitor& operator=(const FidelityMonitor&) = delete;

  // The workload entered `phase` (0 first); everything drawn before has
  // reached the customer's X server (Sync()).
  void PhaseStarted(int phase);
  // Stops the sampler (ending the idle phase it may be in) and joins it;
  // the result is complete then.
  FidelityResult Finish();
  // The sampler's thread id (gettid), 0 until it runs.
  pid_t thread_id() const { return thread_id_.load(); }

 private:
  FidelityMonitor(std::unique_ptr<XcbCanvas> customer, ViewerPicture viewer);
  void Run();
  void RunPhases();  // until Finish()
  // Waits until `until`; false if the phase changed (`change` is not the
  // current one) or the monitor stops before.
  bool Wait(Clock::time_point until, uint64_t change);
  void Sample(int phase, uint64_t change);
  void Settle(int phase, Clock::time_point since, uint64_t change);
  bool ReadCustomer();

  std::unique_ptr<XcbCanvas> customer_;  // sampler thread only
  ViewerPicture viewer_;                 // ditto
  Picture customer_picture_;             // ditto
  FidelityResult result_;                // ditto until joined

  std::mutex mutex_;
  std::condition_variable changed_;
  int phase_ = -1;
  Clock::time_point phase_start_;
  uint64_t change_ = 0;  // counts PhaseStarted() calls
  bool stop_ = false;

  std::atomic<pid_t> thread_id_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tether::bench::e2e
