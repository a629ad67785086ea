// tether-bench-customer-stop: how long the customer's STOP click waits when
// the technician's side floods the app (issue 15, finding 5: 200 chats
// queued made it wait 21 s).
//
// The real customer app (panel, prompts, technician-screen window) runs
// with the xcb platform on a private Xvfb, driven by a fake session; the
// flood goes through the app's own delivery path to the UI thread, as the
// session's messages do; then a real X click (XTest) lands on STOP and the
// time until the session's EmergencyStop() runs is measured. Each flood is
// run twice in one go: "sliced" is the app's delivery (SlicedTaskQueue),
// "one event per task" is how it posted before (each task its own queued
// call), for the side-by-side figure.
//
//   build/release/bin/tether-bench-customer-stop [--tasks 400]
//
// Prints a table and "STOP took effect in every run" (exit 0), or names
// the run where it did not (exit 1). Bounded: 80 s per run, a private Xvfb
// that ends with the program.

#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QPushButton>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app-ui/ui_thread.h"
#include "base/sliced_task_queue.h"
#include "customer-app/ui/consent_dialogs.h"
#include "customer-app/ui/customer_app.h"
#include "customer-app/ui/session_code_edit.h"
#include "customer-app/ui/session_panel.h"
#include "customer-app/ui/start_window.h"
#include "customer-app/ui/style.h"
#include "tests/fakes/fake_customer_session.h"
#include "tests/fakes/xvfb_display.h"

namespace {

using namespace tether;
using namespace tether::customer;
using namespace tether::customer::ui;
using Deliver = std::function<void(std::function<void()>)>;

// How the app posted before: one queued call per task.
void PostEachTask(std::function<void()> task) {
  QMetaObject::invokeMethod(qApp, std::move(task), Qt::QueuedConnection);
}

struct Flood {
  const char* name;
  // One task of the flood, on the UI thread.
  std::function<void(CustomerSession::Observer*)> task;
};

std::vector<Flood> Floods() {
  auto picture = std::make_shared<const desktop::DesktopFrame>(
      desktop::DesktopSize{1280, 800});
  return {
      {"chat (200 characters each)",
       [](CustomerSession::Observer* o) {
         o->OnChat(std::string(200, 'x') + " look here", false);
       }},
      {"technician's screen (1280x800 pictures)",
       [picture](CustomerSession::Observer* o) {
         o->OnTechnicianPicture(picture);
       }},
      {"file progress",
       [](CustomerSession::Observer* o) {
         static uint64_t sent = 0;
         SentFile file;
         file.file_id = 1;
         file.name = "report.pdf";
         file.size = 1 << 30;
         file.sent = (sent += 4096);
         file.state = SentFile::State::kSending;
         o->OnFileSending(file);
       }},
  };
}

// A real click of the X server's pointer at (x, y).
void ClickAt(const std::string& display, int x, int y) {
  xcb_connection_t* c = xcb_connect(display.c_str(), nullptr);
  const xcb_setup_t* setup = xcb_get_setup(c);
  const xcb_window_t root = xcb_setup_roots_iterator(setup).data->root;
  xcb_test_fake_input(c, XCB_MOTION_NOTIFY, 0, XCB_CURRENT_TIME, root,
                      static_cast<int16_t>(x), static_cast<int16_t>(y), 0);
  xcb_test_fake_input(c, XCB_BUTTON_PRESS, 1, XCB_CURRENT_TIME, XCB_NONE, 0, 0,
                      0);
  xcb_test_fake_input(c, XCB_BUTTON_RELEASE, 1, XCB_CURRENT_TIME, XCB_NONE, 0,
                      0, 0);
  xcb_flush(c);
  free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), nullptr));
  xcb_disconnect(c);
}

struct StopResult {
  double stop_ms = -1;  // -1: STOP never took effect
  int ran_before_stop = 0;
};

StopResult RunOnce(const std::string& display,
                   const Flood& flood,
                   int tasks,
                   const Deliver& deliver) {
  test::FakeCustomerSession* fake = nullptr;
  int starts = 0;
  CustomerApp::Options options;
  options.config.organisation = "Example Corp IT";
  options.start_session = test::FakeSessionFactory(&fake, &starts);
  options.deliver = deliver;
  options.prompt_arm_delay = std::chrono::milliseconds(0);
  auto app = std::make_unique<CustomerApp>(std::move(options));
  app->Show();
  app->start_window()->code_edit()->setText(QStringLiteral("48291375"));
  app->start_window()->connect_button()->click();
  CustomerSession::Observer* observer = fake->observer;
  observer->OnStateChanged(protocol::SessionState::kWaitingForPeer);
  observer->OnTechnician("Alex Meyer", "Example Corp IT");
  observer->OnStateChanged(protocol::SessionState::kKeyExchange);
  observer->OnSas("482913");
  observer->OnStateChanged(protocol::SessionState::kSecured);
  Grants grants;
  grants.viewing = true;
  grants.viewing_technician = true;
  observer->OnGrantsChanged(grants);
  // A click that misses STOP must not open the "End the session?" box.
  app->panel()->SetConfirmEnd([] { return false; });
  // One task first, so the panel has the layout the flood gives it.
  flood.task(observer);
  // Let the windows map and settle.
  QElapsedTimer settle;
  settle.start();
  while (settle.elapsed() < 500)
    QApplication::processEvents(QEventLoop::AllEvents, 50);

  QPushButton* stop = app->panel()->stop_button();
  const QPoint at = stop->mapToGlobal(stop->rect().center());
  std::atomic<int> ran{0};
  StopResult result;
  // The flood is queued first, then the customer clicks.
  for (int i = 0; i < tasks; ++i) {
    deliver([&ran, &flood, observer] {
      flood.task(observer);
      ++ran;
    });
  }
  QElapsedTimer clock;
  clock.start();
  std::thread click([&] { ClickAt(display, at.x(), at.y()); });
  while (fake->emergency_stops.load() == 0 && clock.elapsed() < 20'000)
    QApplication::processEvents(QEventLoop::AllEvents, 5);
  click.join();
  if (fake->emergency_stops.load() > 0) {
    result.stop_ms = static_cast<double>(clock.nsecsElapsed()) / 1e6;
    result.ran_before_stop = ran.load();
  }
  // Whatever is left of the flood runs before the app goes.
  while (ran.load() < tasks && clock.elapsed() < 60'000)
    QApplication::processEvents(QEventLoop::AllEvents, 5);
  app->consent()->CloseAll();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = 400;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--tasks")
      tasks = std::clamp(std::atoi(argv[i + 1]), 1, 5000);
  }
  auto xvfb = tether::test::XvfbDisplay::Start({1280, 800, {}});
  if (!xvfb) {
    std::fprintf(stderr, "tether-bench-customer-stop: %s\n",
                 xvfb.error().message.c_str());
    return 1;
  }
  setenv("DISPLAY", (*xvfb)->name().c_str(), 1);
  setenv("QT_QPA_PLATFORM", "xcb", 1);
  QApplication qt(argc, argv);
  QApplication::setQuitOnLastWindowClosed(false);
  ApplyCustomerStyle(&qt);

  std::printf(
      "\nSTOP click to EmergencyStop() with %d tasks of the technician's "
      "side queued before it (ms; tasks run before STOP)\n\n",
      tasks);
  std::printf(
      "| flood | sliced (the app) | one event per task (before) |\n"
      "|---|---:|---:|\n");
  bool all = true;
  for (const Flood& flood : Floods()) {
    const StopResult sliced =
        RunOnce((*xvfb)->name(), flood, tasks, &app_ui::PostToUiThread);
    const StopResult naive =
        RunOnce((*xvfb)->name(), flood, tasks, &PostEachTask);
    std::printf("| %s | %.0f (%d) | %.0f (%d) |\n", flood.name, sliced.stop_ms,
                sliced.ran_before_stop, naive.stop_ms, naive.ran_before_stop);
    std::fflush(stdout);
    if (sliced.stop_ms < 0) {
      std::printf("STOP did not take effect under the %s flood\n", flood.name);
      all = false;
    }
  }
  if (all)
    std::printf("\nSTOP took effect in every run\n");
  return all ? 0 : 1;
}
