// The portal's ScreenCapturer: one ScreenCast session (the desktop's dialog
// picks the screen or window) read through PipeWire.

#include <atomic>
#include <chrono>
#include <thread>

#include "base/log.h"
#include "desktop/capture/cursor_monitor.h"
#include "desktop/portal/pipewire_stream.h"
#include "desktop/portal/portal_backend.h"
#include "desktop/portal/portal_session.h"

namespace tether::desktop::portal {
namespace {

// How long the first CaptureFrame() waits for the compositor's first frame
// (it sends one at once; later calls never wait).
constexpr auto kFirstFrameWait = std::chrono::seconds(3);

class PortalCursorMonitor final : public CursorMonitor {
 public:
  PortalCursorMonitor(std::shared_ptr<PipeWireStream> stream,
                      DesktopPoint origin)
      : stream_(std::move(stream)), origin_(origin) {}

  Result<CursorSample> Capture() override {
    auto sample = stream_->TakeCursor();
    if (!sample)
      return MakeTemporaryError(
          "the desktop has not said where the pointer is");
    sample->position.x += origin_.x;
    sample->position.y += origin_.y;
    return std::move(*sample);
  }

 private:
  std::shared_ptr<PipeWireStream> stream_;
  DesktopPoint origin_;
};

class PortalScreenCapturer final : public ScreenCapturer {
 public:
  PortalScreenCapturer(std::unique_ptr<PortalSession> session,
                       std::shared_ptr<PipeWireStream> stream)
      : session_(std::move(session)),
        stream_(std::move(stream)),
        window_viewed_(session_->stream().window) {}

  void Start(FrameCallback callback) override {
    callback_ = std::move(callback);
  }

  void CaptureFrame() override {
    if (session_->closed()) {
      log::Info("portal: sharing was ended on the desktop");
      callback_(CaptureStatus::kErrorPermanent, nullptr);
      return;
    }
    if (auto failure = stream_->failure()) {
      callback_(CaptureStatus::kErrorPermanent, nullptr);
      return;
    }
    auto frame = stream_->Take(session_->stream().position);
    if (!frame && !waited_) {
      waited_ = true;
      const auto until = std::chrono::steady_clock::now() + kFirstFrameWait;
      while (!frame && !stream_->failure() &&
             std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        frame = stream_->Take(session_->stream().position);
      }
    }
    if (!frame) {
      callback_(CaptureStatus::kErrorTemporary, nullptr);
      return;
    }
    callback_(CaptureStatus::kSuccess, std::move(frame));
  }

  // The person chose the source in the desktop's dialog; a new choice
  // would need a new dialog, so the technician's choice is not applied.
  Result<void> SelectSource(const CaptureSource&) override { return {}; }

  Result<std::vector<MonitorInfo>> ListMonitors() override {
    const PortalStream& s = session_->stream();
    MonitorInfo shared;
    shared.name = s.window ? "shared window" : "shared screen";
    shared.rect = {s.position.x, s.position.y, s.size.width, s.size.height};
    shared.primary = true;
    return std::vector<MonitorInfo>{shared};
  }

  Result<std::unique_ptr<CursorMonitor>> CreateCursorMonitor() override {
    return std::unique_ptr<CursorMonitor>(std::make_unique<PortalCursorMonitor>(
        stream_, session_->stream().position));
  }

  bool UsesSharedMemory() const override { return true; }
  bool UsesDamage() const override { return true; }

 private:
  std::unique_ptr<PortalSession> session_;
  std::shared_ptr<PipeWireStream> stream_;
  WindowViewed window_viewed_;
  FrameCallback callback_;
  bool waited_ = false;
};

}  // namespace

Result<std::unique_ptr<ScreenCapturer>> CreatePortalScreenCapturer(
    const CaptureOptions& capture) {
  PortalOptions options;
  options.abandon = capture.abandon;
  TETHER_TRY(session, PortalSession::Open(options));
  TETHER_TRY(fd, (*session)->OpenPipeWireRemote());
  TETHER_TRY(stream, PipeWireStream::Connect(*fd, (*session)->stream().node));
  return std::unique_ptr<ScreenCapturer>(std::make_unique<PortalScreenCapturer>(
      std::move(*session),
      std::shared_ptr<PipeWireStream>(std::move(*stream))));
}

}  // namespace tether::desktop::portal
