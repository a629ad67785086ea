#include "desktop/capture/screen_capturer.h"

#include <gtest/gtest.h>
#include <sys/uio.h>
#include <xcb/randr.h>
#include <xcb/xcbext.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "desktop/capture/cursor_monitor.h"
#include "desktop/window/window_list.h"
#include "tests/desktop/x11_test_util.h"

namespace tether::desktop {
namespace {

using test::FillRect;
using test::TestDisplay;

// Runs one capture and returns its status and frame.
struct Captured {
  CaptureStatus status = CaptureStatus::kErrorPermanent;
  std::unique_ptr<DesktopFrame> frame;
};

class CaptureHarness {
 public:
  explicit CaptureHarness(std::unique_ptr<ScreenCapturer> capturer)
      : capturer_(std::move(capturer)) {
    capturer_->Start(
        [this](CaptureStatus status, std::unique_ptr<DesktopFrame> frame) {
          ++callbacks_;
          last_.status = status;
          last_.frame = std::move(frame);
        });
  }
  Captured Capture() {
    const int before = callbacks_;
    capturer_->CaptureFrame();
    EXPECT_EQ(callbacks_, before + 1) << "exactly one callback per call";
    return std::move(last_);
  }
  ScreenCapturer& capturer() { return *capturer_; }

 private:
  std::unique_ptr<ScreenCapturer> capturer_;
  int callbacks_ = 0;
  Captured last_;
};

std::unique_ptr<CaptureHarness> MakeHarness(const CaptureOptions& options) {
  auto capturer = ScreenCapturer::Create(options);
  if (!capturer) {
    ADD_FAILURE() << capturer.error().message;
    return nullptr;
  }
  return std::make_unique<CaptureHarness>(std::move(*capturer));
}

// Every pixel of `r` (frame coordinates) has colour `rgb`.
::testing::AssertionResult RectHasColour(const DesktopFrame& frame,
                                         const DesktopRect& r,
                                         uint32_t rgb) {
  for (int32_t y = r.y; y < r.bottom(); ++y) {
    for (int32_t x = r.x; x < r.right(); ++x) {
      if (frame.RgbAt(x, y) != rgb) {
        return ::testing::AssertionFailure()
               << "pixel (" << x << "," << y << ") is " << std::hex
               << frame.RgbAt(x, y) << ", expected " << rgb;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// One Xvfb for the tests that only draw on and read from it.
class ScreenCapturerTest : public ::testing::TestWithParam<FeatureMode> {
 protected:
  static void SetUpTestSuite() {
    std::string skip;
    display_ = test::StartDisplay({1024, 768, {}}, &skip).release();
  }
  static void TearDownTestSuite() {
    delete display_;
    display_ = nullptr;
  }
  void SetUp() override {
    if (display_ == nullptr)
      GTEST_SKIP() << "no Xvfb";
  }
  CaptureOptions Options() const {
    CaptureOptions options;
    options.display = display_->name();
    options.shared_memory = GetParam();
    options.damage = FeatureMode::kRequired;
    return options;
  }

  static TestDisplay* display_;
};
TestDisplay* ScreenCapturerTest::display_ = nullptr;

TEST_P(ScreenCapturerTest, ProbeUsesSharedMemoryOnlyWhenAsked) {
  auto h = MakeHarness(Options());
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->capturer().UsesSharedMemory(), GetParam() != FeatureMode::kOff);
  EXPECT_TRUE(h->capturer().UsesDamage());
}

TEST_P(ScreenCapturerTest, FirstFrameIsTheWholeScreenWithDrawnPixels) {
  xcb_connection_t* c = display_->c();
  FillRect(c, display_->root(), {0, 0, 1024, 768}, 0x000000);
  FillRect(c, display_->root(), {10, 20, 30, 40}, 0xff0000);
  FillRect(c, display_->root(), {500, 300, 7, 3}, 0x00ff00);
  FillRect(c, display_->root(), {1000, 700, 24, 68}, 0x123456);
  auto h = MakeHarness(Options());
  ASSERT_NE(h, nullptr);
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  ASSERT_NE(got.frame, nullptr);
  const DesktopFrame& f = *got.frame;
  EXPECT_EQ(f.size(), (DesktopSize{1024, 768}));
  EXPECT_EQ(f.stride(), 1024 * 4);
  EXPECT_EQ(f.top_left(), (DesktopPoint{0, 0}));
  EXPECT_EQ(f.dirty_rects(), (std::vector<DesktopRect>{{0, 0, 1024, 768}}));
  EXPECT_TRUE(RectHasColour(f, {10, 20, 30, 40}, 0xff0000));
  EXPECT_TRUE(RectHasColour(f, {500, 300, 7, 3}, 0x00ff00));
  EXPECT_TRUE(RectHasColour(f, {1000, 700, 24, 68}, 0x123456));
  EXPECT_TRUE(RectHasColour(f, {9, 20, 1, 40}, 0x000000));
  EXPECT_TRUE(RectHasColour(f, {40, 20, 1, 40}, 0x000000));
  EXPECT_TRUE(RectHasColour(f, {10, 60, 30, 1}, 0x000000));
}

TEST_P(ScreenCapturerTest, DamageReportsExactlyTheDrawnRectangle) {
  xcb_connection_t* c = display_->c();
  FillRect(c, display_->root(), {0, 0, 1024, 768}, 0x000000);
  auto h = MakeHarness(Options());
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->Capture().status, CaptureStatus::kSuccess);

  FillRect(c, display_->root(), {100, 120, 64, 48}, 0xabcdef);
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_EQ(got.frame->dirty_rects(),
            (std::vector<DesktopRect>{{100, 120, 64, 48}}));
  EXPECT_TRUE(RectHasColour(*got.frame, {100, 120, 64, 48}, 0xabcdef));
  EXPECT_TRUE(RectHasColour(*got.frame, {99, 119, 66, 1}, 0x000000));
}

TEST_P(ScreenCapturerTest, UnchangedScreenGivesNoDirtyRectangles) {
  auto h = MakeHarness(Options());
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->Capture().status, CaptureStatus::kSuccess);
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_TRUE(got.frame->dirty_rects().empty());
  EXPECT_EQ(got.frame->size(), (DesktopSize{1024, 768}));
}

TEST_P(ScreenCapturerTest, LargeDamageIsReadWhole) {
  xcb_connection_t* c = display_->c();
  auto h = MakeHarness(Options());
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->Capture().status, CaptureStatus::kSuccess);
  FillRect(c, display_->root(), {0, 0, 1024, 700}, 0x404040);
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_EQ(got.frame->dirty_rects(),
            (std::vector<DesktopRect>{{0, 0, 1024, 700}}));
  EXPECT_TRUE(RectHasColour(*got.frame, {0, 0, 1024, 700}, 0x404040));
}

TEST_P(ScreenCapturerTest, FrameHeldByTheConsumerKeepsItsPixels) {
  xcb_connection_t* c = display_->c();
  FillRect(c, display_->root(), {200, 200, 16, 16}, 0x111111);
  auto h = MakeHarness(Options());
  ASSERT_NE(h, nullptr);
  Captured first = h->Capture();
  ASSERT_EQ(first.status, CaptureStatus::kSuccess);
  FillRect(c, display_->root(), {200, 200, 16, 16}, 0x222222);
  Captured second = h->Capture();
  ASSERT_EQ(second.status, CaptureStatus::kSuccess);
  EXPECT_TRUE(RectHasColour(*first.frame, {200, 200, 16, 16}, 0x111111));
  EXPECT_TRUE(RectHasColour(*second.frame, {200, 200, 16, 16}, 0x222222));
  // And a released frame's buffer is reused without losing earlier damage.
  first.frame.reset();
  second.frame.reset();
  FillRect(c, display_->root(), {300, 300, 8, 8}, 0x333333);
  Captured third = h->Capture();
  ASSERT_EQ(third.status, CaptureStatus::kSuccess);
  EXPECT_TRUE(RectHasColour(*third.frame, {200, 200, 16, 16}, 0x222222));
  EXPECT_TRUE(RectHasColour(*third.frame, {300, 300, 8, 8}, 0x333333));
}

TEST_P(ScreenCapturerTest, WindowIsListedWithTitleAndCapturedAlone) {
  xcb_connection_t* c = display_->c();
  FillRect(c, display_->root(), {0, 0, 1024, 768}, 0x000000);
  const xcb_window_t w = test::CreateWindow(
      c, display_->x.screen, {200, 150, 160, 100}, 0x00a0ff, "Tether test");
  FillRect(c, w, {10, 10, 20, 20}, 0xff00ff);

  auto list = WindowList::Create(display_->name());
  ASSERT_TRUE(list.has_value()) << list.error().message;
  auto windows = (*list)->List();
  ASSERT_TRUE(windows.has_value()) << windows.error().message;
  const WindowInfo* found = nullptr;
  for (const WindowInfo& info : *windows) {
    if (info.id == w)
      found = &info;
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->title, "Tether test");
  EXPECT_EQ(found->rect, (DesktopRect{200, 150, 160, 100}));

  CaptureOptions options = Options();
  options.source = CaptureSource::Window(w);
  auto h = MakeHarness(options);
  ASSERT_NE(h, nullptr);
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_EQ(got.frame->size(), (DesktopSize{160, 100}));
  EXPECT_EQ(got.frame->top_left(), (DesktopPoint{200, 150}));
  EXPECT_TRUE(RectHasColour(*got.frame, {10, 10, 20, 20}, 0xff00ff));
  EXPECT_TRUE(RectHasColour(*got.frame, {0, 0, 160, 10}, 0x00a0ff));

  // Damage inside the window, in window coordinates.
  FillRect(c, w, {50, 60, 5, 6}, 0x010203);
  got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_EQ(got.frame->dirty_rects(),
            (std::vector<DesktopRect>{{50, 60, 5, 6}}));
  EXPECT_TRUE(RectHasColour(*got.frame, {50, 60, 5, 6}, 0x010203));

  // A hidden window is never captured (that would show what is under it).
  xcb_unmap_window(c, w);
  x11::Sync(c);
  EXPECT_EQ(h->Capture().status, CaptureStatus::kErrorTemporary);
  xcb_destroy_window(c, w);
  x11::Sync(c);
  EXPECT_EQ(h->Capture().status, CaptureStatus::kErrorPermanent);
}

INSTANTIATE_TEST_SUITE_P(SharedMemoryAndPlain,
                         ScreenCapturerTest,
                         ::testing::Values(FeatureMode::kRequired,
                                           FeatureMode::kOff),
                         [](const auto& param_info) {
                           return param_info.param == FeatureMode::kOff
                                      ? std::string("Plain")
                                      : std::string("Shm");
                         });

TEST(ScreenCapturerProbeTest, NoDisplayIsAPermanentError) {
  const char* saved = std::getenv("DISPLAY");
  std::string saved_value = saved ? saved : "";
  unsetenv("DISPLAY");
  auto capturer = ScreenCapturer::Create({});
  if (saved)
    setenv("DISPLAY", saved_value.c_str(), 1);
  ASSERT_FALSE(capturer.has_value());
  EXPECT_FALSE(capturer.error().temporary());
  EXPECT_NE(capturer.error().message.find("DISPLAY"), std::string::npos);
}

TEST(ScreenCapturerProbeTest, UnreachableDisplayIsATemporaryError) {
  CaptureOptions options;
  options.display = ":4093";
  auto capturer = ScreenCapturer::Create(options);
  ASSERT_FALSE(capturer.has_value());
  EXPECT_TRUE(capturer.error().temporary()) << capturer.error().message;
}

TEST(ScreenCapturerProbeTest, MalformedDisplayIsAPermanentError) {
  CaptureOptions options;
  options.display = "no display here";
  auto capturer = ScreenCapturer::Create(options);
  ASSERT_FALSE(capturer.has_value());
  EXPECT_FALSE(capturer.error().temporary());
}

TEST(ScreenCapturerProbeTest,
     MissingShmFailsWhenRequiredAndFallsBackOtherwise) {
  TETHER_START_DISPLAY_OR_SKIP(
      display,
      (tether::test::XvfbOptions{320, 200, {"-extension", "MIT-SHM"}}));
  CaptureOptions options;
  options.display = display->name();
  options.shared_memory = FeatureMode::kRequired;
  auto required = ScreenCapturer::Create(options);
  ASSERT_FALSE(required.has_value());
  EXPECT_FALSE(required.error().temporary());
  EXPECT_NE(required.error().message.find("MIT-SHM"), std::string::npos);

  FillRect(display->c(), display->root(), {1, 2, 3, 4}, 0x00ff00);
  options.shared_memory = FeatureMode::kAuto;
  auto h = MakeHarness(options);
  ASSERT_NE(h, nullptr);
  EXPECT_FALSE(h->capturer().UsesSharedMemory());
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_TRUE(RectHasColour(*got.frame, {1, 2, 3, 4}, 0x00ff00));
}

TEST(ScreenCapturerProbeTest,
     MissingDamageFailsWhenRequiredAndFallsBackOtherwise) {
  TETHER_START_DISPLAY_OR_SKIP(
      display, (tether::test::XvfbOptions{320, 200, {"-extension", "DAMAGE"}}));
  CaptureOptions options;
  options.display = display->name();
  options.damage = FeatureMode::kRequired;
  auto required = ScreenCapturer::Create(options);
  ASSERT_FALSE(required.has_value());
  EXPECT_FALSE(required.error().temporary());
  EXPECT_NE(required.error().message.find("DAMAGE"), std::string::npos);

  options.damage = FeatureMode::kAuto;
  auto h = MakeHarness(options);
  ASSERT_NE(h, nullptr);
  EXPECT_FALSE(h->capturer().UsesDamage());
  ASSERT_EQ(h->Capture().status, CaptureStatus::kSuccess);
  // Without damage every frame is a full one.
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_EQ(got.frame->dirty_rects(),
            (std::vector<DesktopRect>{{0, 0, 320, 200}}));
}

// RRSetMonitor by hand: libxcb 1.15's xcb_randr_set_monitor trips its own
// length assertion for a monitor without outputs.
xcb_void_cookie_t SetMonitor(xcb_connection_t* c,
                             xcb_window_t root,
                             const xcb_randr_monitor_info_t& info) {
  static const xcb_protocol_request_t request = {2, &xcb_randr_id,
                                                 XCB_RANDR_SET_MONITOR, 1};
  xcb_randr_set_monitor_request_t header{};
  header.window = root;
  iovec parts[4];
  parts[2].iov_base = &header;
  parts[2].iov_len = sizeof(header);
  parts[3].iov_base = const_cast<xcb_randr_monitor_info_t*>(&info);
  parts[3].iov_len = sizeof(info);
  return {xcb_send_request(c, XCB_REQUEST_CHECKED, parts + 2, &request)};
}

// Two RandR monitors side by side on one 1600x600 screen.
TEST(ScreenCapturerMonitorTest, ListsMonitorsAndCapturesOne) {
  TETHER_START_DISPLAY_OR_SKIP(display,
                               (tether::test::XvfbOptions{1600, 600, {}}));
  xcb_connection_t* c = display->c();
  auto define = [&](const char* name, int16_t x) {
    xcb_randr_monitor_info_t info{};
    info.name = x11::InternAtom(c, name);
    info.x = x;
    info.width = 800;
    info.height = 600;
    info.width_in_millimeters = 200;
    info.height_in_millimeters = 150;
    return x11::XcbError(
        xcb_request_check(c, SetMonitor(c, display->root(), info)));
  };
  ASSERT_EQ(define("LEFT", 0), nullptr);
  ASSERT_EQ(define("RIGHT", 800), nullptr);
  FillRect(c, display->root(), {0, 0, 1600, 600}, 0x000000);
  FillRect(c, display->root(), {810, 20, 30, 40}, 0xfedcba);

  CaptureOptions options;
  options.display = display->name();
  auto h = MakeHarness(options);
  ASSERT_NE(h, nullptr);
  auto monitors = h->capturer().ListMonitors();
  ASSERT_TRUE(monitors.has_value()) << monitors.error().message;
  const MonitorInfo* right = nullptr;
  bool has_left = false;
  for (const MonitorInfo& m : *monitors) {
    if (m.name == "LEFT") {
      has_left = true;
      EXPECT_EQ(m.rect, (DesktopRect{0, 0, 800, 600}));
    }
    if (m.name == "RIGHT")
      right = &m;
  }
  EXPECT_TRUE(has_left);
  ASSERT_NE(right, nullptr);
  EXPECT_EQ(right->rect, (DesktopRect{800, 0, 800, 600}));

  ASSERT_TRUE(h->capturer().SelectSource(CaptureSource::Monitor(right->id)));
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_EQ(got.frame->size(), (DesktopSize{800, 600}));
  EXPECT_EQ(got.frame->top_left(), (DesktopPoint{800, 0}));
  EXPECT_TRUE(RectHasColour(*got.frame, {10, 20, 30, 40}, 0xfedcba));
  EXPECT_TRUE(RectHasColour(*got.frame, {0, 0, 10, 20}, 0x000000));

  // Damage on the other monitor is not this frame's business.
  FillRect(c, display->root(), {100, 100, 10, 10}, 0xffffff);
  FillRect(c, display->root(), {900, 100, 10, 10}, 0xffffff);
  got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_EQ(got.frame->dirty_rects(),
            (std::vector<DesktopRect>{{100, 100, 10, 10}}));

  EXPECT_FALSE(h->capturer().SelectSource(CaptureSource::Monitor(12345)));
}

TEST(ScreenCapturerResizeTest, NextFrameReportsTheNewSize) {
  TETHER_START_DISPLAY_OR_SKIP(display,
                               (tether::test::XvfbOptions{1024, 768, {}}));
  xcb_connection_t* c = display->c();
  CaptureOptions options;
  options.display = display->name();
  auto h = MakeHarness(options);
  ASSERT_NE(h, nullptr);
  Captured got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  ASSERT_EQ(got.frame->size(), (DesktopSize{1024, 768}));

  // Like `xrandr --fb 800x600`: switch the CRTCs off so the smaller screen
  // is allowed, then resize.
  x11::XcbReply<xcb_randr_get_screen_resources_current_reply_t> resources(
      xcb_randr_get_screen_resources_current_reply(
          c, xcb_randr_get_screen_resources_current(c, display->root()),
          nullptr));
  ASSERT_NE(resources, nullptr);
  const xcb_randr_crtc_t* crtcs =
      xcb_randr_get_screen_resources_current_crtcs(resources.get());
  for (int i = 0;
       i < xcb_randr_get_screen_resources_current_crtcs_length(resources.get());
       ++i) {
    x11::XcbReply<xcb_randr_set_crtc_config_reply_t> off(
        xcb_randr_set_crtc_config_reply(
            c,
            xcb_randr_set_crtc_config(
                c, crtcs[i], XCB_CURRENT_TIME, resources->config_timestamp, 0,
                0, XCB_NONE, XCB_RANDR_ROTATION_ROTATE_0, 0, nullptr),
            nullptr));
  }
  x11::XcbError error(
      xcb_request_check(c, xcb_randr_set_screen_size_checked(
                               c, display->root(), 800, 600, 200, 150)));
  if (error) {
    GTEST_SKIP() << "this Xvfb cannot resize its screen (X error "
                 << int{error->error_code} << ")";
  }
  x11::Sync(c);
  FillRect(c, display->root(), {0, 0, 800, 600}, 0x336699);
  got = h->Capture();
  ASSERT_EQ(got.status, CaptureStatus::kSuccess);
  EXPECT_EQ(got.frame->size(), (DesktopSize{800, 600}));
  EXPECT_EQ(got.frame->dirty_rects(),
            (std::vector<DesktopRect>{{0, 0, 800, 600}}));
  EXPECT_TRUE(RectHasColour(*got.frame, {0, 0, 800, 600}, 0x336699));
}

TEST(CursorMonitorTest, ReportsPositionAndShapeOnlyWhenChanged) {
  TETHER_START_DISPLAY_OR_SKIP(display,
                               (tether::test::XvfbOptions{640, 480, {}}));
  xcb_connection_t* c = display->c();
  xcb_warp_pointer(c, XCB_NONE, display->root(), 0, 0, 0, 0, 321, 123);
  x11::Sync(c);
  auto monitor = CursorMonitor::Create(display->name());
  ASSERT_TRUE(monitor.has_value()) << monitor.error().message;
  auto first = (*monitor)->Capture();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->position, (DesktopPoint{321, 123}));
  ASSERT_NE(first->shape, nullptr);
  EXPECT_FALSE(first->shape->size.is_empty());
  EXPECT_EQ(first->shape->pixels.size(),
            static_cast<size_t>(first->shape->size.width) *
                static_cast<size_t>(first->shape->size.height) * 4);

  xcb_warp_pointer(c, XCB_NONE, display->root(), 0, 0, 0, 0, 10, 20);
  x11::Sync(c);
  auto second = (*monitor)->Capture();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->position, (DesktopPoint{10, 20}));
  EXPECT_EQ(second->shape, nullptr);
}

TEST(ScreenCapturerLifetimeTest, NoCallbackAfterDestruction) {
  TETHER_START_DISPLAY_OR_SKIP(display,
                               (tether::test::XvfbOptions{320, 200, {}}));
  CaptureOptions options;
  options.display = display->name();
  auto capturer = ScreenCapturer::Create(options);
  ASSERT_TRUE(capturer.has_value()) << capturer.error().message;
  int calls = 0;
  (*capturer)->Start(
      [&](CaptureStatus, std::unique_ptr<DesktopFrame>) { ++calls; });
  (*capturer)->CaptureFrame();
  capturer->reset();
  FillRect(display->c(), display->root(), {0, 0, 10, 10}, 0xffffff);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace tether::desktop
