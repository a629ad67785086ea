// The customer session assembled with real parts where the customer has
// them (a private Xvfb, the X11 capturer, libvpx, XTest, the STOP hotkey)
// and a fake engine in place of the network: the test plays the
// technician's messages and reads what the session sends.

#include <gtest/gtest.h>
#include <unistd.h>
#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "codec/vpx_decoder.h"
#include "crypto/digest.h"
#include "customer-app/core/session_parts.h"
#include "desktop/x11/x11_keymap.h"
#include "tests/desktop/x11_test_util.h"
#include "tests/fakes/fake_peer_session.h"
#include "tests/fakes/log_capture.h"
#include "tests/fakes/recording_injector.h"
#include "tests/fakes/scripted_consent.h"
#include "tests/fakes/task_runner.h"
#include "tests/support/call_counter.h"
#include "tests/support/text_files.h"

namespace tether::customer {
namespace {

using namespace std::chrono_literals;
using proto::PeerMessage;
using test::FakePeerSession;
using test::ScriptedConsent;

class RecordingObserver final : public CustomerSession::Observer {
 public:
  void OnSas(const std::string& sas) override {
    std::lock_guard lock(mutex_);
    sas_ = sas;
  }
  void OnGrantsChanged(const Grants& grants) override {
    std::lock_guard lock(mutex_);
    grants_ = grants;
    changed_.notify_all();
  }
  void OnChat(const std::string& text, bool from_me) override {
    std::lock_guard lock(mutex_);
    chats_.push_back((from_me ? "me: " : "them: ") + text);
    changed_.notify_all();
  }
  void OnClipboard(const std::string& text) override {
    std::lock_guard lock(mutex_);
    clipboard_ = text;
    changed_.notify_all();
  }
  void OnEnded(const protocol::SessionEnd& end) override {
    std::lock_guard lock(mutex_);
    EXPECT_FALSE(ended_.has_value()) << "OnEnded twice";
    ended_ = end;
    changed_.notify_all();
  }

  std::optional<protocol::SessionEnd> WaitEnded() {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return ended_.has_value(); });
    return ended_;
  }
  // True once the grants shown satisfy `pred`, within the deadline.
  bool WaitGrants(const std::function<bool(const Grants&)>& pred) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return pred(grants_); });
  }
  bool WaitFor(const std::function<bool()>& pred) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, pred);
  }
  std::vector<std::string> chats() {
    std::lock_guard lock(mutex_);
    return chats_;
  }
  // True once the last chat shown is `text`, within the deadline.
  bool WaitLastChat(const std::string& text) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(
        lock, 10s, [&] { return !chats_.empty() && chats_.back() == text; });
  }
  std::string clipboard() {
    std::lock_guard lock(mutex_);
    return clipboard_;
  }
  void OnFileSending(const SentFile& file) override {
    std::lock_guard lock(mutex_);
    sent_files_[file.file_id] = file;
    changed_.notify_all();
  }
  // The last report of `file_id` is in `state`, within the deadline.
  bool WaitSentFile(uint32_t file_id, SentFile::State state) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] {
      auto it = sent_files_.find(file_id);
      return it != sent_files_.end() && it->second.state == state;
    });
  }

 private:
  std::map<uint32_t, SentFile> sent_files_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string sas_;
  Grants grants_;
  std::vector<std::string> chats_;
  std::string clipboard_;
  std::optional<protocol::SessionEnd> ended_;
};

PeerMessage PlainTerms() {
  PeerMessage m;
  m.mutable_terms()->set_technician_name("Tina");
  m.mutable_terms()->set_terms_text("Terms.");
  return m;
}

PeerMessage AskFor(uint32_t id, proto::Permission permission) {
  PeerMessage m;
  m.mutable_consent_request()->set_request_id(id);
  m.mutable_consent_request()->set_permission(permission);
  if (permission == proto::PERMISSION_VIEW_SCREEN)
    m.mutable_consent_request()->mutable_view()->set_whole_desktop(true);
  return m;
}

PeerMessage MouseMove(int x, int y) {
  PeerMessage m;
  m.mutable_input()->mutable_mouse_move()->set_x(x);
  m.mutable_input()->mutable_mouse_move()->set_y(y);
  return m;
}

using desktop::test::PointerPosition;

using ::tether::test::ReadFile;

constexpr desktop::DesktopSize kSessionScreen{640, 480};
constexpr desktop::DesktopRect kSessionRedBox{100, 80, 200, 150};

class CustomerSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tether::test::XvfbDisplay::Available())
      GTEST_SKIP() << "Xvfb is not installed";
    tether::test::XvfbOptions options;
    options.width = kSessionScreen.width;
    options.height = kSessionScreen.height;
    options.extra_args = {"-br"};
    std::string skip;
    display_ = desktop::test::StartDisplay(options, &skip);
    ASSERT_NE(display_, nullptr);
    char templ[] = "/tmp/tether-session-XXXXXX";
    downloads_ = mkdtemp(templ);
  }

  void TearDown() override {
    if (session_)
      runner_.RunSync([&] { session_.reset(); });
    if (!downloads_.empty())
      std::filesystem::remove_all(downloads_);
  }

  void Start(bool fake_injector = false, bool hotkey = false) {
    CustomerSession::Options options;
    options.config.display = display_->name();
    options.config.download_dir = downloads_.string();
    options.code = "12345678";
    options.host_name = "pc-042";
    options.user_name = "maria";
    options.deliver = runner_.Deliver();
    SessionParts parts;
    parts.start_engine = FakePeerSession::Factory(wire_);
    parts.hotkey = hotkey;
    if (fake_injector) {
      auto injector = std::make_unique<test::RecordingInjector>();
      fake_injector_ = injector.get();
      parts.injector = std::move(injector);
    }
    auto session = runner_.RunSync([&] {
      return StartCustomerSession(std::move(options), &consent_, &observer_,
                                  std::move(parts));
    });
    ASSERT_TRUE(session.has_value()) << session.error().message;
    session_ = std::move(*session);
  }

  // Joined, secured, terms answered as the script says.
  void Open() {
    wire_->Deliver([](protocol::PeerSession::Observer& o) {
      proto::Joined joined;
      joined.set_technician_name("Tina");
      o.OnJoined(joined);
      o.OnStateChanged(protocol::SessionState::kSecured);
      o.OnSecured("482913");
    });
    wire_->Message(PlainTerms());
    Flush();
  }

  void Flush() {
    runner_.RunSync([] {});
  }

  size_t Frames() { return wire_->Count(PeerMessage::kVideoFrame); }

  void AckAll() {
    for (const PeerMessage& m : wire_->Sent()) {
      if (m.has_video_frame() &&
          acked_.insert(m.video_frame().frame_id()).second) {
        PeerMessage ack;
        ack.mutable_frame_ack()->set_frame_id(m.video_frame().frame_id());
        wire_->Message(ack);
      }
    }
  }

  std::unique_ptr<desktop::test::TestDisplay> display_;
  std::filesystem::path downloads_;
  test::TaskRunner runner_;
  std::shared_ptr<FakePeerSession::Wire> wire_ =
      std::make_shared<FakePeerSession::Wire>();
  ScriptedConsent consent_;
  RecordingObserver observer_;
  test::RecordingInjector* fake_injector_ = nullptr;
  std::unique_ptr<CustomerSession> session_;
  std::set<uint64_t> acked_;
};

TEST_F(CustomerSessionTest, JoinsWithTheCodeAndNamesAsACustomer) {
  Start();
  EXPECT_EQ(wire_->options.role, proto::ROLE_CUSTOMER);
  EXPECT_EQ(wire_->options.code, "12345678");
  EXPECT_EQ(wire_->options.host_name, "pc-042");
  EXPECT_NE(wire_->options.app_version.find("tether-customer"),
            std::string::npos);
}

TEST_F(CustomerSessionTest, NothingOfTheScreenIsSentBeforeTheCustomerAgrees) {
  consent_.set_terms_answer(false);
  consent_.set_fallback(true);
  Start();
  wire_->Message(AskFor(1, proto::PERMISSION_VIEW_SCREEN));  // too early
  Open();
  wire_->Message(AskFor(2, proto::PERMISSION_VIEW_SCREEN));  // after "no"
  auto ended = observer_.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_NE(ended->message.find("You did not confirm the code"),
            std::string::npos);
  ASSERT_TRUE(wire_->ended.has_value());
  for (const PeerMessage& m : wire_->Sent()) {
    EXPECT_TRUE(m.has_consent_answer() || m.has_terms_answer())
        << "sent body " << m.body_case();
    if (m.has_consent_answer()) {
      EXPECT_FALSE(m.consent_answer().granted());
    }
  }
  EXPECT_TRUE(consent_.prompts.empty());
}

TEST_F(CustomerSessionTest, AnAllowedViewSendsDecodableFramesOfTheScreen) {
  desktop::test::FillRect(display_->c(), display_->root(), kSessionRedBox,
                          0xFF0000);
  consent_.set_fallback(true);
  Start();
  Open();
  // The monitor list follows the customer's "yes" to the terms.
  ASSERT_TRUE(wire_->WaitForCount(PeerMessage::kMonitorList, 1));
  EXPECT_EQ(Frames(), 0u);
  wire_->Message(AskFor(1, proto::PERMISSION_VIEW_SCREEN));
  ASSERT_TRUE(wire_->WaitForCount(PeerMessage::kVideoFrame, 1));

  auto decoder = codec::VpxDecoder::Create(codec::Codec::kVp8);
  ASSERT_TRUE(decoder.has_value());
  const PeerMessage first = [&] {
    for (const PeerMessage& m : wire_->Sent()) {
      if (m.has_video_frame())
        return m;
    }
    return PeerMessage{};
  }();
  const proto::VideoFrame& frame = first.video_frame();
  EXPECT_TRUE(frame.key_frame());
  EXPECT_EQ(frame.codec(), proto::CODEC_VP8);
  EXPECT_EQ(frame.width(), static_cast<uint32_t>(kSessionScreen.width));
  EXPECT_EQ(frame.height(), static_cast<uint32_t>(kSessionScreen.height));
  auto size = (*decoder)->Decode(AsBytes(frame.data()));
  ASSERT_TRUE(size.has_value()) << size.error().message;
  ASSERT_EQ(*size, kSessionScreen);
  desktop::DesktopFrame picture(*size);
  ASSERT_TRUE((*decoder)->ConvertToBgra(picture).has_value());
  const uint32_t inside =
      picture.RgbAt(kSessionRedBox.x + 100, kSessionRedBox.y + 75);
  const uint32_t outside = picture.RgbAt(20, 20);
  EXPECT_GT((inside >> 16) & 0xFF, 200u);
  EXPECT_LT((inside >> 8) & 0xFF, 60u);
  EXPECT_LT((outside >> 16) & 0xFF, 60u);

  // Acknowledged frames keep the stream going; a change is sent.
  desktop::test::FillRect(display_->c(), display_->root(), {400, 300, 50, 50},
                          0x00FF00);
  const size_t before = Frames();
  for (int i = 0; i < 50 && Frames() <= before; ++i) {
    AckAll();
    wire_->WaitForCount(PeerMessage::kVideoFrame, before + 1, 100ms);
  }
  EXPECT_GT(Frames(), before);
}

TEST_F(CustomerSessionTest, AfterTheViewIsTakenBackNoFrameIsSent) {
  test::LogCapture log;
  consent_.set_fallback(true);
  Start();
  Open();
  wire_->Message(AskFor(1, proto::PERMISSION_VIEW_SCREEN));
  ASSERT_TRUE(wire_->WaitForCount(PeerMessage::kVideoFrame, 1));
  PeerMessage revoke;
  revoke.mutable_revoke()->set_permission(proto::PERMISSION_VIEW_SCREEN);
  wire_->Message(revoke);
  Flush();
  const size_t at_revoke = Frames();
  // The sender's thread has let go of the capturer: from here on nothing
  // but a new "yes" can start it again.
  ASSERT_TRUE(log.WaitFor("screen: sending stopped"))
      << "the sender never stopped";
  // What makes a running sender send at once: every frame acknowledged and
  // the screen changed.
  AckAll();
  desktop::test::FillRect(display_->c(), display_->root(), {10, 10, 10, 10},
                          0x0000FF);
  Flush();
  EXPECT_EQ(Frames(), at_revoke);
  EXPECT_FALSE(session_->grants().viewing);

  // The same again, allowed: frames come, the first one a key frame of the
  // new start sent after the customer's second "yes", so none of them
  // slipped out in between.
  wire_->Message(AskFor(2, proto::PERMISSION_VIEW_SCREEN));
  ASSERT_TRUE(wire_->WaitForCount(PeerMessage::kVideoFrame, at_revoke + 1));
  bool second_yes = false;
  size_t frames = 0;
  for (const PeerMessage& m : wire_->Sent()) {
    if (m.has_consent_answer() && m.consent_answer().request_id() == 2)
      second_yes = true;
    if (m.has_video_frame() && ++frames > at_revoke) {
      EXPECT_TRUE(second_yes) << "a frame before the view was allowed again";
      EXPECT_TRUE(m.video_frame().key_frame());
      break;
    }
  }
}

TEST_F(CustomerSessionTest, InputBeforeTheControlGrantNeverReachesTheInjector) {
  consent_.set_decider([](const PermissionPrompt& p) {
    return p.permission == proto::PERMISSION_VIEW_SCREEN;
  });
  Start(/*fake_injector=*/true);
  wire_->Message(MouseMove(1, 1));  // before anything
  Open();
  wire_->Message(MouseMove(2, 2));  // agreed, no control
  wire_->Message(AskFor(1, proto::PERMISSION_VIEW_SCREEN));
  wire_->Message(MouseMove(3, 3));  // viewing, no control
  wire_->Message(AskFor(2, proto::PERMISSION_REMOTE_CONTROL));  // refused
  wire_->Message(MouseMove(4, 4));
  Flush();
  EXPECT_EQ(fake_injector_->count(), 0u);
  EXPECT_FALSE(session_->grants().control);
}

TEST_F(CustomerSessionTest, ControlIsRealAndStopEndsItUnderAFlood) {
  consent_.set_fallback(true);
  Start();  // the real XTest injector
  Open();
  xcb_connection_t* c = display_->c();
  const xcb_window_t root = display_->root();
  wire_->Message(MouseMove(50, 60));  // no control yet
  wire_->Message(AskFor(1, proto::PERMISSION_REMOTE_CONTROL));
  wire_->Message(MouseMove(123, 234));
  Flush();
  for (int i = 0;
       i < 500 && PointerPosition(c, root) != desktop::DesktopPoint{123, 234};
       ++i)
    std::this_thread::sleep_for(2ms);
  ASSERT_EQ(PointerPosition(c, root), (desktop::DesktopPoint{123, 234}));

  std::atomic<bool> flooding{true};
  // One call per 64 moves the app thread has handled.
  tether::test::CallCounter handled;
  std::thread flood([&] {
    for (int i = 1; flooding; ++i) {
      wire_->Message(MouseMove(200 + i % 300, 100 + (i * 7) % 300));
      if (i % 64 == 0) {
        runner_.RunSync([] {});  // keep the app queue short
        handled.Add();
      }
    }
  });
  // The flood moves the pointer...
  const desktop::DesktopPoint before = PointerPosition(c, root);
  for (int i = 0; i < 1000 && PointerPosition(c, root) == before; ++i)
    std::this_thread::sleep_for(2ms);
  ASSERT_NE(PointerPosition(c, root), before);
  // ...until STOP, from this thread (as the hotkey's would).
  const auto stop_started = std::chrono::steady_clock::now();
  session_->EmergencyStop();
  RecordProperty(
      "stop_returned_us",
      static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - stop_started)
                           .count()));
  const desktop::DesktopPoint at_stop = PointerPosition(c, root);
  // The flood goes on: 4,096 more moves through the app thread, each of
  // which an unstopped session would hand to the injector at once.
  const int handled_at_stop = handled.count();
  bool flood_went_on = true;
  desktop::DesktopPoint pointer = at_stop;
  for (int batch = 1; batch <= 64 && pointer == at_stop && flood_went_on;
       ++batch) {
    flood_went_on = handled.WaitFor(handled_at_stop + batch);
    pointer = PointerPosition(c, root);
  }
  flooding = false;
  flood.join();
  EXPECT_TRUE(flood_went_on) << "the flood stalled";
  EXPECT_EQ(pointer, at_stop) << "input arrived after STOP";
  EXPECT_EQ(PointerPosition(c, root), at_stop);

  auto ended = observer_.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->message, "Session ended by you");
  EXPECT_TRUE(ended->local);
  EXPECT_EQ(wire_->Count(PeerMessage::kEmergencyStop), 1u);
  ASSERT_TRUE(wire_->ended.has_value());
  EXPECT_EQ(wire_->ended->first, proto::END_REASON_EMERGENCY_STOP);
  session_->EmergencyStop();  // idempotent
  EXPECT_EQ(wire_->Count(PeerMessage::kEmergencyStop), 1u);
  Flush();
  bool stop_in_receipt = false;
  runner_.RunSync([&] {
    for (const ReceiptEntry& e : session_->receipt())
      stop_in_receipt |= e.text.find("You pressed STOP") != std::string::npos;
  });
  EXPECT_TRUE(stop_in_receipt);
}

// Finding 1 of the outside test, staged as the tester did: with control
// granted, ~1 s of typing, a move to where a centred prompt's Allow button
// would be and a click are queued; then a request opens a prompt. None of
// it lands: not while the prompt is open, and not after it closed either.
// What the technician sends after the answer does, behind whatever was
// still queued, so it marks the point where all of that has been handled.
TEST_F(CustomerSessionTest, QueuedInputNeverReachesAPromptThatOpensBehindIt) {
  consent_ = ScriptedConsent(ScriptedConsent::Mode::kHold);
  Start();  // the real XTest injector
  Open();
  ASSERT_TRUE(consent_.AnswerTerms(true));
  Flush();
  wire_->Message(AskFor(1, proto::PERMISSION_REMOTE_CONTROL));
  Flush();
  ASSERT_TRUE(consent_.Answer(true));
  Flush();
  // The customer's desktop: one window with the focus, counting what
  // arrives.
  xcb_connection_t* c = display_->c();
  const xcb_window_t window = desktop::test::CreateWindow(
      c, display_->x.screen,
      {0, 0, kSessionScreen.width, kSessionScreen.height}, 0xffffff, "desktop",
      XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_BUTTON_PRESS);
  xcb_set_input_focus(c, XCB_INPUT_FOCUS_POINTER_ROOT, window,
                      XCB_CURRENT_TIME);
  desktop::x11::Sync(c);
  // Key presses, presses of the left button (the queued click) and of the
  // right one (the marker sent after the prompt).
  int keys = 0, buttons = 0, markers = 0;
  const auto count = [&] {
    desktop::x11::Sync(c);
    while (desktop::test::XcbEvent e{xcb_poll_for_event(c)}) {
      const uint8_t type = desktop::test::EventType(e.get());
      keys += type == XCB_KEY_PRESS;
      if (type == XCB_BUTTON_PRESS) {
        const auto* press =
            reinterpret_cast<const xcb_button_press_event_t*>(e.get());
        (press->detail == 3 ? markers : buttons) += 1;
      }
    }
  };
  PeerMessage press;
  press.mutable_input()->mutable_mouse_button()->set_button(1);
  press.mutable_input()->mutable_mouse_button()->set_pressed(true);
  PeerMessage release = press;
  release.mutable_input()->mutable_mouse_button()->set_pressed(false);

  PeerMessage text;
  text.mutable_input()->mutable_text()->set_text(std::string(4096, 'a'));
  wire_->Message(text);
  wire_->Message(
      MouseMove(kSessionScreen.width / 2, kSessionScreen.height / 2));
  wire_->Message(press);
  wire_->Message(release);
  Flush();
  for (auto until = std::chrono::steady_clock::now() + 5s;
       keys < 20 && std::chrono::steady_clock::now() < until;) {
    count();
  }
  ASSERT_GE(keys, 20) << "the typing never started";

  wire_->Message(AskFor(2, proto::PERMISSION_CLIPBOARD));
  Flush();
  ASSERT_EQ(consent_.open_prompts(), 1u);
  count();
  const int keys_at_prompt = keys;
  ASSERT_TRUE(consent_.Answer(false));
  Flush();
  // The marker: a right click, queued behind anything the prompt left.
  PeerMessage marker = press;
  marker.mutable_input()->mutable_mouse_button()->set_button(3);
  PeerMessage marker_up = marker;
  marker_up.mutable_input()->mutable_mouse_button()->set_pressed(false);
  wire_->Message(marker);
  wire_->Message(marker_up);
  Flush();
  for (auto until = std::chrono::steady_clock::now() + 10s;
       markers == 0 && std::chrono::steady_clock::now() < until;) {
    count();
  }
  ASSERT_EQ(markers, 1) << "input after the prompt never arrived";
  // At most the one key that was being sent as the prompt opened.
  EXPECT_LE(keys - keys_at_prompt, 1) << "typing went on into the prompt";
  EXPECT_EQ(buttons, 0) << "the queued click landed";
  EXPECT_LT(keys, 4096);
}

// A hostile technician, after the customer agreed: input with no control
// granted, files with hostile names and sizes, a flood of view-switch
// requests (the customer says no), a huge chat, video while not switched.
// Nothing reaches the desktop or the disk, the customer is asked three
// times, not a thousand, and the session still works: a chat arrives and
// STOP ends it.
TEST_F(CustomerSessionTest, AHostileTechnicianIsRefusedAndTheSessionGoesOn) {
  consent_.set_fallback(false);  // the customer says no to whatever is asked
  Start();                       // the real XTest injector
  Open();
  xcb_connection_t* c = display_->c();
  const xcb_window_t root = display_->root();
  const desktop::DesktopPoint pointer = PointerPosition(c, root);
  for (int i = 0; i < 1000; ++i)
    wire_->Message(MouseMove(1 + i % 600, 1 + i % 400));
  const char* names[] = {"../../../home/maria/.bashrc", "/etc/cron.d/evil",
                         "C:\\Windows\\evil.dll", "CON", "a\nb"};
  for (uint32_t i = 0; i < 100; ++i) {
    PeerMessage offer = AskFor(10'000 + i, proto::PERMISSION_SEND_FILE);
    auto* file = offer.mutable_consent_request()->mutable_file();
    file->set_file_id(i + 1);
    file->set_name(names[i % 5]);
    file->set_size(i % 2 ? UINT64_MAX : 10);
    wire_->Message(offer);
    PeerMessage chunk;
    chunk.mutable_file_chunk()->set_file_id(i + 1);
    chunk.mutable_file_chunk()->set_data("#!/bin/sh\nrm -rf ~\n");
    wire_->Message(chunk);
  }
  for (uint32_t i = 0; i < 1000; ++i)
    wire_->Message(AskFor(20'000 + i, proto::PERMISSION_VIEW_SWITCH));
  PeerMessage huge;
  huge.mutable_chat()->set_text(std::string(3 << 20, 'A'));
  wire_->Message(huge);
  PeerMessage video;
  video.mutable_video_frame()->set_data(std::string(1 << 20, 'v'));
  wire_->Message(video);
  PeerMessage hello;
  hello.mutable_chat()->set_text("hello");
  wire_->Message(hello);
  Flush();

  ASSERT_TRUE(observer_.WaitLastChat("them: hello"));
  EXPECT_EQ(observer_.chats().size(), 1u) << "the huge chat was shown";
  EXPECT_EQ(PointerPosition(c, root), pointer)
      << "input arrived without control";
  EXPECT_TRUE(std::filesystem::is_empty(downloads_));
  EXPECT_FALSE(std::filesystem::exists("/etc/cron.d/evil"));
  // Three view-switch prompts and three file prompts (one per kind after
  // the customer's third no), not eleven hundred.
  EXPECT_LE(consent_.prompts.size(), 6u);
  const Grants grants = runner_.RunSync([&] { return session_->grants(); });
  EXPECT_FALSE(grants.control || grants.viewing_technician || grants.files);

  session_->EmergencyStop();
  auto ended = observer_.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->message, "Session ended by you");
}

TEST_F(CustomerSessionTest, TheHotkeyStopsTheSession) {
  consent_.set_fallback(true);
  Start(/*fake_injector=*/true, /*hotkey=*/true);
  Open();
  wire_->Message(AskFor(1, proto::PERMISSION_REMOTE_CONTROL));
  Flush();
  xcb_connection_t* c = display_->c();
  auto keymap = desktop::x11::ReadKeymap(c);
  ASSERT_TRUE(keymap.has_value()) << keymap.error().message;
  const auto keycode = [&](xcb_keysym_t sym) -> uint8_t {
    const auto codes = keymap->KeycodesFor(sym);
    return codes.empty() ? 0 : codes.front();
  };
  const uint8_t keys[] = {keycode(0xffe3), keycode(0xffe9), keycode(0xffe1),
                          keycode(0x73)};
  for (uint8_t k : keys)
    xcb_test_fake_input(c, XCB_KEY_PRESS, k, XCB_CURRENT_TIME, XCB_NONE, 0, 0,
                        0);
  for (uint8_t k : keys)
    xcb_test_fake_input(c, XCB_KEY_RELEASE, k, XCB_CURRENT_TIME, XCB_NONE, 0, 0,
                        0);
  desktop::x11::Sync(c);
  auto ended = observer_.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->message, "Session ended by you");
  EXPECT_EQ(wire_->Count(PeerMessage::kEmergencyStop), 1u);
  wire_->Message(MouseMove(1, 1));
  Flush();
  EXPECT_EQ(fake_injector_->count(), 0u);
  EXPECT_TRUE(fake_injector_->IsBlocked());
}

TEST_F(CustomerSessionTest, ChatClipboardAndFilesReachTheCustomer) {
  consent_.set_fallback(true);
  Start(/*fake_injector=*/true);
  Open();
  PeerMessage chat;
  chat.mutable_chat()->set_text("hello from Tina");
  wire_->Message(chat);
  runner_.RunSync([&] { session_->SendChat("hi"); });
  EXPECT_EQ(observer_.chats(),
            (std::vector<std::string>{"them: hello from Tina", "me: hi"}));
  EXPECT_EQ(wire_->Count(PeerMessage::kChat), 1u);

  wire_->Message(AskFor(2, proto::PERMISSION_CLIPBOARD));
  PeerMessage clip;
  clip.mutable_clipboard()->set_text("copied");
  wire_->Message(clip);
  Flush();
  EXPECT_EQ(observer_.clipboard(), "copied");

  const std::string content = "file body";
  const auto digest = crypto::Sha256(AsBytes(content));
  PeerMessage offer = AskFor(3, proto::PERMISSION_SEND_FILE);
  proto::FileOffer* file = offer.mutable_consent_request()->mutable_file();
  file->set_file_id(4);
  file->set_name("../notes.txt");
  file->set_size(content.size());
  file->set_sha256(digest.data(), digest.size());
  wire_->Message(offer);
  PeerMessage chunk;
  chunk.mutable_file_chunk()->set_file_id(4);
  chunk.mutable_file_chunk()->set_data(content);
  wire_->Message(chunk);
  PeerMessage done;
  done.mutable_file_done()->set_file_id(4);
  wire_->Message(done);
  Flush();
  EXPECT_EQ(wire_->Count(PeerMessage::kFileAccept), 1u);
  EXPECT_EQ(ReadFile(downloads_ / "notes.txt"), content);
}

TEST_F(CustomerSessionTest, OwnFileIsOfferedThenSentWhenAcceptedAndRecorded) {
  Start(/*fake_injector=*/true);
  const std::filesystem::path source = downloads_ / "x.pdf";
  std::string content(200 * 1024 + 3, '\0');
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>(i * 7);
  {
    std::FILE* f = std::fopen(source.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  }
  // Not before the customer agreed.
  auto early = runner_.RunSync([&] { return session_->SendFile(source); });
  EXPECT_FALSE(early.has_value());
  Open();
  auto id = runner_.RunSync([&] { return session_->SendFile(source); });
  ASSERT_TRUE(id.has_value()) << id.error().message;
  ASSERT_TRUE(observer_.WaitSentFile(*id, SentFile::State::kWaiting));
  ASSERT_EQ(wire_->Count(PeerMessage::kFileOffer), 1u);
  EXPECT_EQ(wire_->Count(PeerMessage::kFileChunk), 0u) << "before FileAccept";
  for (const PeerMessage& m : wire_->Sent()) {
    if (!m.has_file_offer())
      continue;
    EXPECT_EQ(m.file_offer().file_id(), *id);
    EXPECT_EQ(m.file_offer().name(), "x.pdf");
    EXPECT_EQ(m.file_offer().size(), content.size());
    const auto digest = crypto::Sha256(AsBytes(content));
    EXPECT_EQ(m.file_offer().sha256(),
              std::string(digest.begin(), digest.end()));
  }
  PeerMessage accept;
  accept.mutable_file_accept()->set_file_id(*id);
  wire_->Message(accept);
  ASSERT_TRUE(observer_.WaitSentFile(*id, SentFile::State::kDone));
  std::string received;
  for (const PeerMessage& m : wire_->Sent()) {
    if (m.has_file_chunk() && m.file_chunk().file_id() == *id) {
      EXPECT_EQ(m.file_chunk().offset(), received.size());
      received += m.file_chunk().data();
    }
  }
  EXPECT_EQ(received, content);
  EXPECT_EQ(wire_->Count(PeerMessage::kFileDone), 1u);
  bool recorded = false;
  const auto receipt = runner_.RunSync([&] { return session_->receipt(); });
  for (const auto& entry : receipt) {
    recorded |=
        entry.text == "You sent \u201Cx.pdf\u201D (205 KB) to the technician.";
  }
  EXPECT_TRUE(recorded);
}

TEST_F(CustomerSessionTest, OwnFileDeclinedByTheTechnicianIsNotSent) {
  Start(/*fake_injector=*/true);
  Open();
  const std::filesystem::path source = downloads_ / "notes.txt";
  {
    std::FILE* f = std::fopen(source.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("private notes", f);
    std::fclose(f);
  }
  auto id = runner_.RunSync([&] { return session_->SendFile(source); });
  ASSERT_TRUE(id.has_value()) << id.error().message;
  ASSERT_TRUE(observer_.WaitSentFile(*id, SentFile::State::kWaiting));
  PeerMessage decline;
  decline.mutable_file_cancel()->set_file_id(*id);
  decline.mutable_file_cancel()->set_reason(
      "The technician declined the file.");
  wire_->Message(decline);
  ASSERT_TRUE(observer_.WaitSentFile(*id, SentFile::State::kDeclined));
  // A FileAccept after the decline starts nothing.
  PeerMessage accept;
  accept.mutable_file_accept()->set_file_id(*id);
  wire_->Message(accept);
  Flush();
  EXPECT_EQ(wire_->Count(PeerMessage::kFileChunk), 0u);
  EXPECT_EQ(wire_->Count(PeerMessage::kFileDone), 0u);
  // Not a file: refused at once.
  EXPECT_FALSE(runner_.RunSync([&] { return session_->SendFile(downloads_); })
                   .has_value());
}

TEST_F(CustomerSessionTest, TheReceiptIsSavedAsReadableText) {
  consent_.set_fallback(true);
  Start(/*fake_injector=*/true);
  Open();
  wire_->Message(AskFor(1, proto::PERMISSION_REMOTE_CONTROL));
  Flush();
  runner_.RunSync([&] { session_->RevokeControl(); });
  const auto path = downloads_ / "receipt.txt";
  auto saved =
      runner_.RunSync([&] { return session_->SaveReceipt(path.string()); });
  ASSERT_TRUE(saved.has_value()) << saved.error().message;
  const std::string text = ReadFile(path);
  EXPECT_NE(text.find("Technician: Tina"), std::string::npos);
  EXPECT_NE(text.find("You confirmed the code 482 913"), std::string::npos);
  EXPECT_NE(text.find("You allowed Tina to control your mouse and keyboard."),
            std::string::npos);
  EXPECT_NE(text.find("You took back control"), std::string::npos);
  auto bad = runner_.RunSync(
      [&] { return session_->SaveReceipt("/nonexistent/dir/receipt.txt"); });
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("/nonexistent/dir/receipt.txt"),
            std::string::npos);
}

TEST_F(CustomerSessionTest, EndingNormallyTellsTheCustomerAndTheTechnician) {
  Start(/*fake_injector=*/true);
  Open();
  runner_.RunSync([&] { session_->End(); });
  auto ended = observer_.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->message, "You ended the session.");
  ASSERT_TRUE(wire_->ended.has_value());
  EXPECT_EQ(wire_->ended->first, proto::END_REASON_USER_ENDED);
}

// The technician's app sends a view switch whose pictures never decode
// (broken or hostile): the customer's side gives the stream up after a
// few tries, like the technician's side does, and takes the switch back
// instead of asking for key frames forever.
TEST_F(CustomerSessionTest, UndecodableTechnicianScreenEndsTheViewSwitch) {
  consent_.set_fallback(true);
  Start(/*fake_injector=*/true);
  Open();
  wire_->Message(AskFor(1, proto::PERMISSION_VIEW_SWITCH));
  PeerMessage show;
  show.mutable_view_switch()->set_show_supporter_screen(true);
  wire_->Message(show);
  ASSERT_TRUE(observer_.WaitGrants(
      [](const Grants& grants) { return grants.viewing_technician; }));
  for (uint64_t id = 1; id <= 5; ++id) {
    // A VP8 key frame header that announces 16383x16383: never decoded.
    PeerMessage frame;
    proto::VideoFrame* v = frame.mutable_video_frame();
    v->set_frame_id(id);
    v->set_codec(proto::CODEC_VP8);
    v->set_key_frame(true);
    std::string bomb = {'\x90', '\x0c', '\x00', '\x9d', '\x01',
                        '\x2a', '\xff', '\x3f', '\xff', '\x3f'};
    bomb.resize(200, '\0');
    v->set_data(bomb);
    wire_->Message(frame);
  }
  ASSERT_TRUE(wire_->WaitForCount(PeerMessage::kRevoke, 1));
  for (const PeerMessage& m : wire_->Sent()) {
    if (m.has_revoke()) {
      EXPECT_EQ(m.revoke().permission(), proto::PERMISSION_VIEW_SWITCH);
    }
  }
  // Asked for a key frame after each failure but the last, not forever.
  EXPECT_EQ(wire_->Count(PeerMessage::kKeyFrameRequest), 2u);
  const Grants grants = runner_.RunSync([&] { return session_->grants(); });
  EXPECT_FALSE(grants.viewing_technician);
}

}  // namespace
}  // namespace tether::customer
