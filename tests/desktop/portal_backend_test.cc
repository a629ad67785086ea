// The Wayland backend (desktop/portal/) on a private headless GNOME desktop
// (tests/support/wayland_desktop.h), as a customer meets it: the desktop's
// own dialog, answered by a scripted person (tests/support/desktop_person.h)
// who clicks its buttons; a test window that shows known pixels and reports
// the input it receives. These never skip: scripts/setup installs it all.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "desktop/backend.h"
#include "desktop/capture/cursor_monitor.h"
#include "desktop/capture/screen_capturer.h"
#include "desktop/hotkey/global_hotkey.h"
#include "desktop/input/input_injector.h"
#include "desktop/window/window_list.h"
#include "tests/support/desktop_person.h"
#include "tests/support/wayland_desktop.h"

namespace tether::desktop {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using tether::test::DesktopPerson;
using tether::test::WaylandDesktop;
using tether::test::WaylandTestWindow;

class PortalBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto desktop = WaylandDesktop::Start();
    ASSERT_TRUE(desktop) << desktop.error().message
                         << " (scripts/setup installs the Wayland desktop)";
    desktop_ = std::move(*desktop).release();
    desktop_->ApplyToThisProcess();
    auto person = DesktopPerson::Start();
    ASSERT_TRUE(person) << person.error().message << "\n"
                        << desktop_->LogTails();
    person_ = std::move(*person).release();
  }
  static void TearDownTestSuite() {
    delete person_;
    person_ = nullptr;
    delete desktop_;
    desktop_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(desktop_, nullptr);
    ASSERT_NE(person_, nullptr);
  }

  // A full-screen test window of `colour`, on screen.
  std::unique_ptr<WaylandTestWindow> ShowWindow(const std::string& colour) {
    auto window = WaylandTestWindow::Start(
        *desktop_, {"--fullscreen", "--colour", colour});
    EXPECT_TRUE(window) << window.error().message;
    if (!window)
      return nullptr;
    auto ready = (*window)->WaitForLine("ready");
    EXPECT_TRUE(ready) << ready.error().message << "\n" << (*window)->Log();
    return std::move(*window);
  }

  // Runs `open` (which shows the desktop's dialog) while the person
  // answers it (clicking again while it still shows). Should `open` still
  // not return a minute on, the test ends here with the desktop's logs
  // instead of at ctest's timeout.
  template <typename Open>
  auto WithAnswer(bool share, bool allow_interaction, Open open) {
    Result<void> answered;
    std::atomic<bool> opened = false;
    std::thread person([&] {
      answered = person_->AnswerSharingDialog(share, allow_interaction);
      const auto give_up = std::chrono::steady_clock::now() + seconds(60);
      while (!opened && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(milliseconds(100));
      if (!opened) {
        std::fprintf(stderr, "the sharing dialog's answer never arrived\n%s\n",
                     desktop_->LogTails().c_str());
        std::_Exit(1);
      }
    });
    auto result = open();
    opened = true;
    person.join();
    EXPECT_TRUE(answered) << answered.error().message << "\n"
                          << desktop_->LogTails();
    return result;
  }

  static Result<std::unique_ptr<ScreenCapturer>> OpenCapturer() {
    return ScreenCapturer::Create(CaptureOptions{});
  }

  static WaylandDesktop* desktop_;
  static DesktopPerson* person_;
};

WaylandDesktop* PortalBackendTest::desktop_ = nullptr;
DesktopPerson* PortalBackendTest::person_ = nullptr;

// One frame from `capturer`, retried while temporary.
std::unique_ptr<DesktopFrame> Capture(ScreenCapturer& capturer) {
  std::unique_ptr<DesktopFrame> got;
  CaptureStatus status = CaptureStatus::kErrorTemporary;
  capturer.Start([&](CaptureStatus s, std::unique_ptr<DesktopFrame> frame) {
    status = s;
    got = std::move(frame);
  });
  for (int i = 0; i < 200 && status == CaptureStatus::kErrorTemporary; ++i) {
    capturer.CaptureFrame();
    if (status == CaptureStatus::kErrorTemporary)
      std::this_thread::sleep_for(milliseconds(10));
  }
  return got;
}

bool PixelIs(const DesktopFrame& frame, int x, int y, uint32_t rgb) {
  const uint8_t* p = frame.PixelAt(x, y);
  return p[2] == ((rgb >> 16) & 0xff) && p[1] == ((rgb >> 8) & 0xff) &&
         p[0] == (rgb & 0xff);
}

TEST_F(PortalBackendTest, AWaylandSessionPicksThePortal) {
  EXPECT_EQ(DetectBackend(""), Backend::kPortal);
  EXPECT_EQ(DetectBackend(":5"), Backend::kX11);  // named X display
  EXPECT_TRUE(SystemAsksToo(""));
  // Windows are the dialog's to list; no global STOP chord on GNOME 43.
  auto windows = WindowList::Create("");
  EXPECT_FALSE(windows);
  auto hotkey = GlobalHotkey::Create("", {'S', KeyChord::kControl}, [] {});
  ASSERT_FALSE(hotkey);
  EXPECT_NE(hotkey.error().message.find("not available on this desktop"),
            std::string::npos)
      << hotkey.error().message;
}

TEST_F(PortalBackendTest, CapturesTheSharedScreenThenOnlyWhatChanged) {
  auto window = ShowWindow("ff0000");
  ASSERT_NE(window, nullptr);
  auto capturer = WithAnswer(true, false, OpenCapturer);
  ASSERT_TRUE(capturer) << capturer.error().message;

  auto frame = Capture(**capturer);
  ASSERT_NE(frame, nullptr);
  ASSERT_EQ(frame->size(), (DesktopSize{1280, 720}));
  EXPECT_TRUE(PixelIs(*frame, 640, 360, 0xff0000));
  EXPECT_TRUE(PixelIs(*frame, 10, 700, 0xff0000));
  ASSERT_EQ(frame->dirty_rects().size(), 1u);  // the first: all of it
  EXPECT_EQ(frame->dirty_rects()[0], DesktopRect::FromSize(frame->size()));

  // Known pixels drawn by the client, and the compositor's damage: only
  // the changed part is marked, not the whole screen.
  ASSERT_TRUE(window->Send("fill 100 120 50 40 00ff00"));
  ASSERT_TRUE(window->WaitForLine("filled"));
  std::unique_ptr<DesktopFrame> changed;
  for (int i = 0; i < 100; ++i) {
    frame.reset();
    changed = Capture(**capturer);
    if (changed && !changed->dirty_rects().empty() &&
        PixelIs(*changed, 125, 140, 0x00ff00)) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_NE(changed, nullptr);
  EXPECT_TRUE(PixelIs(*changed, 125, 140, 0x00ff00));
  EXPECT_TRUE(PixelIs(*changed, 99, 140, 0xff0000));
  EXPECT_TRUE(PixelIs(*changed, 151, 140, 0xff0000));
  int64_t area = 0;
  DesktopRect bounds = changed->dirty_rects()[0];
  for (const DesktopRect& r : changed->dirty_rects()) {
    area += r.area();
    const int32_t right = std::max(bounds.right(), r.right());
    const int32_t bottom = std::max(bounds.bottom(), r.bottom());
    bounds.x = std::min(bounds.x, r.x);
    bounds.y = std::min(bounds.y, r.y);
    bounds.width = right - bounds.x;
    bounds.height = bottom - bounds.y;
  }
  EXPECT_TRUE(bounds.Contains({100, 120, 50, 40}));
  EXPECT_LT(area, 1280 * 720 / 4) << "damage should be partial";

  // Nothing changes: a frame without dirty rects (nothing to encode).
  std::this_thread::sleep_for(milliseconds(200));
  (void)Capture(**capturer);
  auto still = Capture(**capturer);
  ASSERT_NE(still, nullptr);
  EXPECT_TRUE(still->dirty_rects().empty());
}

TEST_F(PortalBackendTest, ThePointerComesAsMetadata) {
  auto window = ShowWindow("0000ff");
  ASSERT_NE(window, nullptr);
  auto capturer = WithAnswer(true, false, OpenCapturer);
  ASSERT_TRUE(capturer) << capturer.error().message;
  auto cursor = (*capturer)->CreateCursorMonitor();
  ASSERT_TRUE(cursor) << cursor.error().message;
  bool seen = false;
  bool shaped = false;
  std::optional<DesktopPoint> last;
  // Within 10 s; the person moves the mouse again every half second, as a
  // person would, in case the seat dropped a motion (a new virtual pointer
  // may miss its first event while the machine is busy).
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  auto next_move = std::chrono::steady_clock::now();
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    if (std::chrono::steady_clock::now() >= next_move) {
      ASSERT_TRUE(person_->MoveTo(300, 200));
      next_move += milliseconds(500);
    }
    (void)Capture(**capturer);
    if (auto sample = (*cursor)->Capture()) {
      shaped |= sample->shape != nullptr;
      last = sample->position;
      seen = sample->position == DesktopPoint{300, 200};
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(seen) << "the pointer was last seen at "
                    << (last ? std::to_string(last->x) + "," +
                                   std::to_string(last->y)
                             : std::string("no sample"))
                    << "\n"
                    << desktop_->LogTails();
  EXPECT_TRUE(shaped);
}

TEST_F(PortalBackendTest, ACancelledDialogIsARefusedView) {
  auto capturer = WithAnswer(false, false, OpenCapturer);
  ASSERT_FALSE(capturer);
  EXPECT_TRUE(capturer.error().declined()) << capturer.error().message;
}

TEST_F(PortalBackendTest, InputReachesTheClientOnlyWhileBegun) {
  auto window = ShowWindow("ffffff");
  ASSERT_NE(window, nullptr);
  auto injector = InputInjector::Create("");
  ASSERT_TRUE(injector) << injector.error().message;
  // Nothing before control begins: no session, nothing sent.
  EXPECT_FALSE((*injector)->Key('a', true));

  auto begun = WithAnswer(
      true, true, [&] { return (*injector)->Begin([] { return false; }); });
  ASSERT_TRUE(begun) << begun.error().message;
  EXPECT_TRUE(*begun);  // the person was asked

  ASSERT_TRUE((*injector)->MoveMouse({200, 150}));
  EXPECT_EQ(window->NextLineStartingWith("motion"), "motion 200 150");
  ASSERT_TRUE((*injector)->PressButton(1, true));
  EXPECT_EQ(window->NextLineStartingWith("button"), "button 1 pressed");
  ASSERT_TRUE((*injector)->PressButton(1, false));
  EXPECT_EQ(window->NextLineStartingWith("button"), "button 1 released");
  // The first key arrives (the injector warms the new keyboard up).
  ASSERT_TRUE((*injector)->Key('q', true));
  EXPECT_EQ(window->NextLineStartingWith("key 113"), "key 113 pressed");
  ASSERT_TRUE((*injector)->Key('q', false));
  EXPECT_EQ(window->NextLineStartingWith("key 113"), "key 113 released");
  ASSERT_TRUE((*injector)->Text("Hi!"));
  EXPECT_EQ(window->NextLineStartingWith("text"), "text H");
  EXPECT_EQ(window->NextLineStartingWith("text"), "text i");
  EXPECT_EQ(window->NextLineStartingWith("text"), "text !");

  // Control revoked: the portal session is closed, the desktop takes no
  // more input from us.
  (*injector)->ReleaseAll();
  (*injector)->End();
  EXPECT_FALSE((*injector)->Key('z', true));
  EXPECT_FALSE((*injector)->MoveMouse({10, 10}));
  EXPECT_EQ(window->NextLineStartingWith("key 122", milliseconds(500)), "");
}

TEST_F(PortalBackendTest, InteractionNotAllowedIsRefusedControl) {
  auto injector = InputInjector::Create("");
  ASSERT_TRUE(injector);
  auto begun = WithAnswer(true, /*allow_interaction=*/false, [&] {
    return (*injector)->Begin([] { return false; });
  });
  ASSERT_FALSE(begun);
  EXPECT_TRUE(begun.error().declined()) << begun.error().message;
}

TEST_F(PortalBackendTest, NothingIsInjectedAfterStopUnderAFlood) {
  auto window = ShowWindow("ffffff");
  ASSERT_NE(window, nullptr);
  auto injector = InputInjector::Create("");
  ASSERT_TRUE(injector);
  auto begun = WithAnswer(
      true, true, [&] { return (*injector)->Begin([] { return false; }); });
  ASSERT_TRUE(begun) << begun.error().message;

  std::atomic<bool> quit{false};
  std::atomic<int> sent_after_stop{0};
  std::atomic<int> rounds_after_stop{0};
  std::atomic<bool> stopped{false};
  std::thread flood([&] {
    while (!quit) {
      const bool after = stopped.load();
      if ((*injector)->Key('x', true) && after)
        ++sent_after_stop;
      if ((*injector)->Key('x', false) && after)
        ++sent_after_stop;
      if (after)
        ++rounds_after_stop;
    }
  });
  EXPECT_NE(window->NextLineStartingWith("key 120"), "");  // it floods
  // STOP as the gate does it: block (checked before every event), wait
  // for the call in flight, then release what is held and close the
  // portal session.
  (*injector)->Block();
  stopped = true;
  while (rounds_after_stop.load() < 1)
    std::this_thread::yield();
  (*injector)->ReleaseAll();
  (*injector)->End();
  // What was on its way before STOP lands within a moment; then nothing.
  std::this_thread::sleep_for(milliseconds(300));
  while (window->ReadLine(milliseconds(50))) {
  }
  EXPECT_EQ(window->NextLineStartingWith("key", seconds(1)), "");
  quit = true;
  flood.join();
  EXPECT_EQ(sent_after_stop.load(), 0);
  // Begin() after STOP asks nobody and fails.
  EXPECT_FALSE((*injector)->Begin([] { return false; }));
}

// PipeWire going away mid-capture (a crash, a logout) is a permanent
// capture error, not a hang: the view ends with a sentence. On a desktop of
// its own, as it breaks that desktop.
TEST(PortalBackendFaultTest, PipeWireGoneEndsTheCapture) {
  auto desktop = WaylandDesktop::Start();
  ASSERT_TRUE(desktop) << desktop.error().message;
  (*desktop)->ApplyToThisProcess();
  auto person = DesktopPerson::Start();
  ASSERT_TRUE(person) << person.error().message;
  Result<void> answered;
  std::thread answer(
      [&] { answered = (*person)->AnswerSharingDialog(true, false); });
  auto capturer = ScreenCapturer::Create(CaptureOptions{});
  answer.join();
  ASSERT_TRUE(capturer) << capturer.error().message;
  ASSERT_NE(Capture(**capturer), nullptr);

  pid_t pipewire = -1;
  for (pid_t pid : (*desktop)->pids()) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (std::getline(comm, name) && name == "pipewire")
      pipewire = pid;
  }
  ASSERT_GT(pipewire, 0);
  ASSERT_EQ(kill(pipewire, SIGKILL), 0);

  CaptureStatus status = CaptureStatus::kSuccess;
  (*capturer)->Start(
      [&](CaptureStatus s, std::unique_ptr<DesktopFrame>) { status = s; });
  for (int i = 0; i < 300 && status != CaptureStatus::kErrorPermanent; ++i) {
    (*capturer)->CaptureFrame();
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(status, CaptureStatus::kErrorPermanent);
}

}  // namespace
}  // namespace tether::desktop
