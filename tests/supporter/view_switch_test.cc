// The view switch end to end ("show my screen"): the real supporter core
// shows its own private Xvfb to the real customer core through a real
// relay; the customer's observer gets decoded pictures of it only while
// the customer lets it be shown, and remote control stays off meanwhile.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "supporter-app/core/session_log.h"
#include "tests/support/desktop_person.h"
#include "tests/support/text_files.h"
#include "tests/support/wayland_desktop.h"
#include "tests/supporter/supporter_fixture.h"

namespace tether::supporter::test {
namespace {

using namespace std::chrono_literals;

// The technician's own screen: smaller than the customer's, with a blue
// box where the customer's has nothing.
constexpr desktop::DesktopSize kTechnicianScreen{640, 480};
constexpr desktop::DesktopRect kBlueBox{320, 240, 200, 120};

bool IsBlue(uint32_t rgb) {
  return (rgb & 0xFF) > 200 && ((rgb >> 8) & 0xFFFF) < 0x4040;
}

using ::tether::test::ReadFile;

class ViewSwitchTest : public SupporterSessionTest {
 protected:
  // The technician's display; skips the test without Xvfb.
  void StartTechnicianDisplay() {
    tether::test::XvfbOptions options;
    options.width = kTechnicianScreen.width;
    options.height = kTechnicianScreen.height;
    options.extra_args = {"-br"};
    std::string skip;
    technician_display_ = desktop::test::StartDisplay(options, &skip);
    if (!skip.empty())
      GTEST_SKIP() << skip;
    ASSERT_NE(technician_display_, nullptr);
    desktop::test::FillRect(technician_display_->c(),
                            technician_display_->root(), kBlueBox, 0x0000FF);
    supporter_display_ = technician_display_->name();
  }

  bool WaitForCustomer(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = 15s) {
    return Wait(done, timeout);
  }

  std::unique_ptr<desktop::test::TestDisplay> technician_display_;
};

TEST_F(ViewSwitchTest, AllowedSwitchShowsTheTechniciansScreenWithControlOff) {
  StartTechnicianDisplay();
  if (IsSkipped() || HasFatalFailure())
    return;
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;

  supporter_->RequestControl();
  ASSERT_TRUE(Wait([&] { return seen_.grants.control; }));

  // Not allowed yet: nothing is shown.
  supporter_->ShowMyScreen(true);
  EXPECT_FALSE(seen_.grants.showing_my_screen);
  EXPECT_FALSE(seen_.notices.empty());

  supporter_->RequestViewSwitch();
  ASSERT_TRUE(
      Wait([&] { return seen_.Answered(proto::PERMISSION_VIEW_SWITCH); }));
  ASSERT_TRUE(seen_.Granted(proto::PERMISSION_VIEW_SWITCH));
  supporter_->ShowMyScreen(true);
  EXPECT_TRUE(seen_.grants.showing_my_screen);

  // The customer sees the technician's screen, blue box and all.
  ASSERT_TRUE(WaitForCustomer([&] {
    auto picture = customer_seen_.technician_picture();
    return picture && picture->size() == kTechnicianScreen &&
           IsBlue(picture->RgbAt(kBlueBox.x + 100, kBlueBox.y + 60));
  })) << "pictures: "
      << customer_seen_.technician_pictures();
  EXPECT_FALSE(IsBlue(customer_seen_.technician_picture()->RgbAt(10, 10)));
  EXPECT_TRUE(customer_seen_.grants().viewing_technician);
  // Control went off on both sides when the switch began.
  EXPECT_FALSE(customer_seen_.grants().control);
  ASSERT_TRUE(Wait([&] { return !seen_.grants.control; }));

  // The technician stops: the customer's window would close.
  supporter_->ShowMyScreen(false);
  EXPECT_FALSE(seen_.grants.showing_my_screen);
  ASSERT_TRUE(WaitForCustomer(
      [&] { return !customer_seen_.grants().viewing_technician; }));

  // Shown again, then the customer stops watching ("Stop showing").
  supporter_->ShowMyScreen(true);
  ASSERT_TRUE(WaitForCustomer(
      [&] { return customer_seen_.grants().viewing_technician; }));
  runner_.RunSync([&] { customer_->RevokeViewSwitch(); });
  ASSERT_TRUE(Wait([&] {
    return !seen_.grants.showing_my_screen && !seen_.grants.view_switch;
  }));
  EXPECT_FALSE(customer_seen_.grants().viewing_technician);

  // The protocol says when the screen was shown and by whom it ended.
  const std::string protocol = ReadFile(supporter_->session_log_path());
  EXPECT_NE(protocol.find("\"showing\""), std::string::npos);
  EXPECT_NE(protocol.find("customer"), std::string::npos);
}

TEST_F(ViewSwitchTest, RefusedSwitchShowsNothing) {
  StartTechnicianDisplay();
  if (IsSkipped() || HasFatalFailure())
    return;
  consent_.set_decider([](const customer::PermissionPrompt& prompt) {
    return prompt.permission != proto::PERMISSION_VIEW_SWITCH;
  });
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  supporter_->RequestViewSwitch();
  ASSERT_TRUE(
      Wait([&] { return seen_.Answered(proto::PERMISSION_VIEW_SWITCH); }));
  EXPECT_FALSE(seen_.Granted(proto::PERMISSION_VIEW_SWITCH));
  supporter_->ShowMyScreen(true);
  EXPECT_FALSE(seen_.grants.showing_my_screen);
  ASSERT_FALSE(seen_.notices.empty());
  // A round trip through the customer (chat) shows nothing came before it.
  supporter_->SendChat("still there?");
  ASSERT_TRUE(WaitForCustomer([&] { return !customer_seen_.chats().empty(); }));
  EXPECT_EQ(customer_seen_.technician_pictures(), 0);
  EXPECT_FALSE(customer_seen_.grants().viewing_technician);
}

// This process's environment as it was, put back when the test ends (the
// Wayland desktop's variables must not leak into the next test).
class SavedEnvironment {
 public:
  explicit SavedEnvironment(std::vector<std::string> names)
      : names_(std::move(names)) {
    for (const std::string& name : names_) {
      const char* value = std::getenv(name.c_str());
      values_.push_back(value ? std::optional<std::string>(value)
                              : std::nullopt);
    }
  }
  ~SavedEnvironment() {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (values_[i])
        setenv(names_[i].c_str(), values_[i]->c_str(), 1);
      else
        unsetenv(names_[i].c_str());
    }
  }

 private:
  std::vector<std::string> names_;
  std::vector<std::optional<std::string>> values_;
};

// "Show my screen" from a technician's GNOME Wayland desk: the same sender
// through the desktop's portal; the technician picks the screen in the
// desktop's own dialog.
TEST_F(ViewSwitchTest, ATechnicianOnWaylandShowsWhatTheDesktopShared) {
  auto desktop = tether::test::WaylandDesktop::Start();
  ASSERT_TRUE(desktop) << desktop.error().message
                       << " (scripts/setup installs the Wayland desktop)";
  std::vector<std::string> names = {"DISPLAY"};
  for (const auto& [name, value] : (*desktop)->Environment())
    names.push_back(name);
  const SavedEnvironment saved(names);
  (*desktop)->ApplyToThisProcess();
  auto person = tether::test::DesktopPerson::Start();
  ASSERT_TRUE(person) << person.error().message;
  auto window = tether::test::WaylandTestWindow::Start(
      **desktop, {"--fullscreen", "--colour", "0000ff"});
  ASSERT_TRUE(window);
  ASSERT_TRUE((*window)->WaitForLine("ready"));
  supporter_display_ = "";  // this session's desktop: Wayland

  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  supporter_->RequestViewSwitch();
  ASSERT_TRUE(
      Wait([&] { return seen_.Answered(proto::PERMISSION_VIEW_SWITCH); }));
  ASSERT_TRUE(seen_.Granted(proto::PERMISSION_VIEW_SWITCH));
  Result<void> answered;
  std::thread answer(
      [&] { answered = (*person)->AnswerSharingDialog(true, false); });
  supporter_->ShowMyScreen(true);
  answer.join();
  ASSERT_TRUE(answered) << answered.error().message;
  ASSERT_TRUE(WaitForCustomer([&] {
    auto picture = customer_seen_.technician_picture();
    return picture && picture->size() == desktop::DesktopSize{1280, 720} &&
           IsBlue(picture->RgbAt(640, 360));
  })) << "pictures: "
      << customer_seen_.technician_pictures();
  supporter_->ShowMyScreen(false);
  ASSERT_TRUE(WaitForCustomer(
      [&] { return !customer_seen_.grants().viewing_technician; }));
}

}  // namespace
}  // namespace tether::supporter::test
