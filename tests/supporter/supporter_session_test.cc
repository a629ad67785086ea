// The technician's core end to end: SupporterSession against a real relay
// process with the real customer core on a private Xvfb (see
// supporter_fixture.h). One long test walks a whole support session the
// way a technician does it and then reads the session log back; the
// others pin down the refusals around it.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "crypto/digest.h"
#include "supporter-app/core/session_log.h"
#include "tests/fakes/manual_clock.h"
#include "tests/support/text_files.h"
#include "tests/supporter/supporter_fixture.h"

namespace tether::supporter::test {
namespace {

using namespace std::chrono_literals;
using State = FileTransfer::State;

using ::tether::test::ReadFile;

std::filesystem::path WriteRandomFile(const std::filesystem::path& path,
                                      size_t size) {
  std::mt19937 random(static_cast<uint32_t>(size));
  std::string data(size, '\0');
  for (char& c : data)
    c = static_cast<char>(random());
  std::ofstream(path, std::ios::binary) << data;
  return path;
}

bool IsRed(uint32_t rgb) {
  return ((rgb >> 16) & 0xFF) > 200 && (rgb & 0xFFFF) < 0x4040;
}

proto::InputEvent MoveTo(int x, int y) {
  proto::InputEvent event;
  event.mutable_mouse_move()->set_x(x);
  event.mutable_mouse_move()->set_y(y);
  return event;
}

// `want`, in this order, somewhere in `events` (other events between).
::testing::AssertionResult InOrder(const std::vector<std::string>& events,
                                   const std::vector<std::string>& want) {
  size_t next = 0;
  for (const std::string& event : events) {
    if (next < want.size() && event == want[next])
      ++next;
  }
  if (next == want.size())
    return ::testing::AssertionSuccess();
  std::string all;
  for (const std::string& event : events)
    all += event + " ";
  return ::testing::AssertionFailure()
         << "missing \"" << want[next] << "\" (in order) in: " << all;
}

TEST_F(SupporterSessionTest, WholeSessionFromSignInToEndIsRecordedInOrder) {
  StartDisplay();
  if (IsSkipped())
    return;
  ASSERT_FALSE(HasFatalFailure());
  StartSupporter();
  SignInTina();
  EXPECT_EQ(seen_.sign_ins.back().display_name, "Tina (IT)");
  supporter_->RecordNextSession(true);

  // The code, read out to the customer, who types it.
  supporter_->NewSession();
  ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }));
  EXPECT_EQ(seen_.code->size(), 8u);
  EXPECT_GT(seen_.expires, std::chrono::system_clock::now());
  StartCustomer(*seen_.code);
  ASSERT_TRUE(Wait([&] { return !seen_.joins.empty(); }));
  EXPECT_EQ(seen_.joins[0].host, "pc-042");
  EXPECT_EQ(seen_.joins[0].user, "maria");
  EXPECT_FALSE(seen_.joins[0].address.empty());
  supporter_->Accept();

  // Both see the same six digits; the customer confirms and agrees.
  ASSERT_TRUE(Wait([&] { return seen_.agreed.has_value(); }))
      << (seen_.ended ? seen_.ended->message : "(not ended)");
  ASSERT_TRUE(*seen_.agreed);
  ASSERT_TRUE(seen_.sas.has_value());
  EXPECT_EQ(seen_.sas->size(), 6u);
  EXPECT_EQ(customer_seen_.sas(), *seen_.sas);
  ASSERT_EQ(consent_.terms_prompts.size(), 1u);
  EXPECT_TRUE(consent_.terms_prompts[0].recording);
  EXPECT_EQ(consent_.terms_prompts[0].technician, "Tina (IT)");

  // The screen: granted, decoded off the test thread, the red box in it.
  proto::ViewTarget whole;
  whole.set_whole_desktop(true);
  supporter_->RequestView(whole);
  ASSERT_TRUE(
      Wait([&] { return seen_.Answered(proto::PERMISSION_VIEW_SCREEN); }));
  ASSERT_TRUE(seen_.Granted(proto::PERMISSION_VIEW_SCREEN));
  EXPECT_TRUE(seen_.grants.viewing);
  ASSERT_TRUE(Wait([&] {
    return seen_.picture && seen_.picture->frame->size() == kScreen &&
           IsRed(seen_.picture->frame->RgbAt(kRedBox.x + 120, kRedBox.y + 80));
  })) << "pictures: "
      << seen_.pictures;
  EXPECT_FALSE(IsRed(seen_.picture->frame->RgbAt(10, 10)));
  EXPECT_EQ(seen_.picture->screen_origin,
            (desktop::DesktopRect{0, 0, 800, 600}));
  EXPECT_TRUE(Wait([&] { return !seen_.monitors.empty(); }));
  EXPECT_TRUE(Wait([&] { return !seen_.stats.empty(); }));
  EXPECT_EQ(seen_.stats.back().decode_errors, 0u);
  ASSERT_FALSE(seen_.recordings.empty());
  EXPECT_TRUE(seen_.recordings[0].first);

  // Remote control: the mouse moves on the customer's display.
  supporter_->RequestControl();
  ASSERT_TRUE(
      Wait([&] { return seen_.Answered(proto::PERMISSION_REMOTE_CONTROL); }));
  ASSERT_TRUE(seen_.grants.control);
  supporter_->SendInput(MoveTo(321, 123));
  EXPECT_TRUE(Wait(
      [&] {
        return Pointer() == desktop::DesktopPoint{321, 123};
      },
      5s));

  // A file, saved by the customer with the hash it was offered with.
  const auto source = WriteRandomFile(dir_ / "report.bin", 300 * 1024 + 17);
  auto id = supporter_->SendFile(source);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  ASSERT_TRUE(Wait([&] {
    auto it = seen_.transfers.find(*id);
    return it != seen_.transfers.end() && it->second.state != State::kAsking &&
           it->second.state != State::kSending;
  }));
  EXPECT_EQ(seen_.transfers[*id].state, State::kDone)
      << seen_.transfers[*id].message;
  EXPECT_EQ(seen_.transfers[*id].sent, 300u * 1024 + 17);
  ASSERT_TRUE(Wait([&] { return !customer_seen_.files().empty(); }, 5s));
  const CustomerSeen::File saved = customer_seen_.files()[0];
  ASSERT_TRUE(saved.ok) << saved.message;
  EXPECT_EQ(crypto::Sha256(AsBytes(ReadFile(saved.path))),
            crypto::Sha256(AsBytes(ReadFile(source))));

  // Chat both ways.
  supporter_->SendChat("Hello Maria, I can see your screen now.");
  ASSERT_TRUE(Wait([&] { return !customer_seen_.chats().empty(); }, 5s));
  EXPECT_EQ(customer_seen_.chats()[0],
            "Hello Maria, I can see your screen now.");
  runner_.RunSync([&] { customer_->SendChat("Thank you!"); });
  ASSERT_TRUE(Wait([&] {
    return std::count(seen_.chats.begin(), seen_.chats.end(),
                      std::make_pair(std::string("Thank you!"), false)) == 1;
  }));

  // The end, for both.
  supporter_->End();
  ASSERT_TRUE(Wait([&] { return seen_.ended.has_value(); }));
  EXPECT_TRUE(seen_.ended->local);
  EXPECT_EQ(seen_.ended->message, "You ended the session.");
  EXPECT_FALSE(seen_.grants.viewing || seen_.grants.control);
  EXPECT_TRUE(Wait([&] { return customer_seen_.ended().has_value(); }, 5s));
  EXPECT_FALSE(seen_.recordings.back().first);

  // The protocol has every step, in order.
  ASSERT_FALSE(supporter_->session_log_path().empty());
  auto entries = ReadSessionLog(ReadFile(supporter_->session_log_path()));
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  std::vector<std::string> events;
  for (const ProtocolEntry& entry : *entries)
    events.push_back(entry.event);
  const auto name = [](SessionLogEvent e) {
    return std::string(SessionLogEventName(e));
  };
  EXPECT_TRUE(InOrder(
      events,
      {name(SessionLogEvent::kSessionStarted),
       name(SessionLogEvent::kCustomerJoined),
       name(SessionLogEvent::kJoinAccepted), name(SessionLogEvent::kSasShown),
       name(SessionLogEvent::kTermsAnswered),
       name(SessionLogEvent::kConsentAsked),
       name(SessionLogEvent::kConsentAnswered),
       name(SessionLogEvent::kRecordingStarted),
       name(SessionLogEvent::kConsentAsked),
       name(SessionLogEvent::kConsentAnswered),
       name(SessionLogEvent::kControlOn), name(SessionLogEvent::kFileOffered),
       name(SessionLogEvent::kConsentAsked),
       name(SessionLogEvent::kConsentAnswered),
       name(SessionLogEvent::kFileDone), name(SessionLogEvent::kChat),
       name(SessionLogEvent::kChat), name(SessionLogEvent::kRecordingStopped),
       name(SessionLogEvent::kSessionEnded)}));
  // What the protocol says about them.
  const auto field = [&](SessionLogEvent event, const std::string& key) {
    for (const ProtocolEntry& entry : *entries) {
      if (entry.event != name(event))
        continue;
      for (const auto& [k, v] : entry.fields) {
        if (k == key)
          return v;
      }
    }
    return std::string("(none)");
  };
  EXPECT_EQ(field(SessionLogEvent::kSessionStarted, "code"), *seen_.code);
  EXPECT_EQ(field(SessionLogEvent::kCustomerJoined, "host"), "pc-042");
  EXPECT_EQ(field(SessionLogEvent::kSasShown, "sas"), *seen_.sas);
  EXPECT_EQ(field(SessionLogEvent::kTermsAnswered, "agreed"), "yes");
  EXPECT_EQ(field(SessionLogEvent::kFileOffered, "name"), "report.bin");
  EXPECT_EQ(field(SessionLogEvent::kFileDone, "result"), "sent");
  EXPECT_EQ(field(SessionLogEvent::kSessionEnded, "reason"), "user_ended");
  // The recording is a finished file beside the protocol.
  const std::string webm = seen_.recordings[0].second;
  EXPECT_TRUE(std::filesystem::exists(webm)) << webm;
}

TEST_F(SupporterSessionTest, InputIsDroppedUntilControlIsGranted) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  const desktop::DesktopPoint start = Pointer();
  supporter_->SendInput(MoveTo(300, 200));
  // A round trip later nothing has moved: the input never left.
  supporter_->RequestClipboard();
  ASSERT_TRUE(
      Wait([&] { return seen_.Answered(proto::PERMISSION_CLIPBOARD); }));
  EXPECT_EQ(Pointer(), start);
  EXPECT_FALSE(seen_.grants.control);

  supporter_->RequestControl();
  ASSERT_TRUE(
      Wait([&] { return seen_.Answered(proto::PERMISSION_REMOTE_CONTROL); }));
  supporter_->SendInput(MoveTo(300, 200));
  EXPECT_TRUE(Wait(
      [&] {
        return Pointer() == desktop::DesktopPoint{300, 200};
      },
      5s));

  // Given back: dropped again, and the customer was told.
  supporter_->GiveBackControl();
  EXPECT_FALSE(seen_.grants.control);
  EXPECT_TRUE(Wait(
      [&] {
        return !runner_.RunSync([&] { return customer_->grants().control; });
      },
      5s));
  supporter_->SendInput(MoveTo(10, 10));
  supporter_->RequestClipboard();  // another round trip
  ASSERT_TRUE(Wait([&] {
    return std::count_if(seen_.answers.begin(), seen_.answers.end(),
                         [](const auto& a) {
                           return a.first == proto::PERMISSION_CLIPBOARD;
                         }) == 2;
  }));
  EXPECT_EQ(Pointer(), (desktop::DesktopPoint{300, 200}));
}

TEST_F(SupporterSessionTest, RefusedFileEndsAsRefusedAndNothingIsSaved) {
  consent_.set_decider([](const customer::PermissionPrompt& prompt) {
    return prompt.permission != proto::PERMISSION_SEND_FILE;
  });
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  const auto source = WriteRandomFile(dir_ / "setup.sh", 4096);
  auto id = supporter_->SendFile(source);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  ASSERT_TRUE(Wait([&] {
    return seen_.transfers.count(*id) &&
           seen_.transfers[*id].state == State::kRefused;
  }));
  EXPECT_TRUE(seen_.Answered(proto::PERMISSION_SEND_FILE));
  EXPECT_FALSE(seen_.Granted(proto::PERMISSION_SEND_FILE));
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "downloads"));
  // Not a file at all: refused here, before anybody is asked.
  EXPECT_FALSE(supporter_->SendFile(dir_).has_value());
  EXPECT_FALSE(supporter_->SendFile(dir_ / "no such file").has_value());
}

TEST_F(SupporterSessionTest, CancelledTransferStopsOnBothSides) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  const auto source = WriteRandomFile(dir_ / "big.iso", 48 << 20);
  auto id = supporter_->SendFile(source);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  ASSERT_TRUE(Wait([&] {
    return seen_.transfers.count(*id) &&
           seen_.transfers[*id].state == State::kSending;
  }));
  supporter_->CancelFile(*id);
  EXPECT_EQ(seen_.transfers[*id].state, State::kCancelled);
  ASSERT_TRUE(Wait([&] { return !customer_seen_.files().empty(); }, 5s));
  EXPECT_FALSE(customer_seen_.files()[0].ok);
  // Nothing arrives after the cancel: the state stays, nothing is saved.
  supporter_->RequestClipboard();  // a round trip
  ASSERT_TRUE(
      Wait([&] { return seen_.Answered(proto::PERMISSION_CLIPBOARD); }));
  EXPECT_EQ(seen_.transfers[*id].state, State::kCancelled);
  for (const auto& entry :
       std::filesystem::directory_iterator(dir_ / "downloads")) {
    ADD_FAILURE() << "left behind: " << entry.path();
  }
}

TEST_F(SupporterSessionTest, WithdrawnCodeEndsTheSessionAndTheNextOneWorks) {
  StartSupporter();
  SignInTina();
  supporter_->NewSession();
  ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }));
  const std::string first = *seen_.code;
  supporter_->CancelCode();
  ASSERT_EQ(seen_.ended_count, 1);
  EXPECT_EQ(seen_.ended->message, "You withdrew the code.");
  EXPECT_TRUE(seen_.ended->local);
  ASSERT_TRUE(Wait([&] {
    return !seen_.states.empty() &&
           seen_.states.back() == protocol::SessionState::kSignedIn;
  }));
  // The protocol of the withdrawn session is complete.
  auto entries = ReadSessionLog(ReadFile(supporter_->session_log_path()));
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_FALSE(entries->empty());
  EXPECT_EQ(entries->back().event,
            SessionLogEventName(SessionLogEvent::kSessionEnded));

  seen_.code.reset();
  supporter_->NewSession();
  ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }));
  EXPECT_NE(*seen_.code, first);
}

// The code's expiry is the relay's (wall time); the console ends the
// session itself a moment after it, on its clock, even if the relay's word
// never comes.
TEST_F(SupporterSessionTest, UnusedCodeEndsTheSessionWhenItExpires) {
  tether::test::ManualClock clock;
  StartSupporter(Config(), &clock);
  SignInTina();
  supporter_->NewSession();
  ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }));
  EXPECT_FALSE(seen_.ended.has_value());
  // Past the relay's expiry and the console's grace after it.
  clock.Advance(seen_.expires - clock.WallNow() + 3s);
  ASSERT_TRUE(Wait([&] { return seen_.ended.has_value(); }));
  EXPECT_EQ(seen_.ended->reason, proto::END_REASON_CODE_EXPIRED);
  EXPECT_EQ(seen_.ended->message,
            "The code expired before anybody used it. Start a new session "
            "for a new code.");
  EXPECT_FALSE(seen_.ended->local);
}

TEST_F(SupporterSessionTest, NextSessionSignsInAgainOnANewConnection) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  runner_.RunSync([&] { customer_->End(); });
  ASSERT_TRUE(Wait([&] { return seen_.ended.has_value(); }));
  EXPECT_FALSE(seen_.ended->local);
  EXPECT_EQ(seen_.ended->reason, proto::END_REASON_PEER_ENDED);
  // The relay closed the connection with the session; the sign-in goes on.
  seen_.code.reset();
  supporter_->NewSession();
  ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }))
      << (seen_.sign_ins.empty() ? "" : seen_.sign_ins.back().message);
  EXPECT_EQ(seen_.sign_ins.back().status, SignInStatus::kSignedIn);
}

TEST_F(SupporterSessionTest,
       CustomerStopEndsWithTheEnginesMessageAndIsRecorded) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  supporter_->RequestControl();
  ASSERT_TRUE(Wait([&] { return seen_.grants.control; }));
  customer_->EmergencyStop();  // any thread, as the hotkey would
  ASSERT_TRUE(Wait([&] { return seen_.ended.has_value(); }));
  EXPECT_EQ(seen_.ended->reason, proto::END_REASON_EMERGENCY_STOP);
  EXPECT_FALSE(seen_.ended->message.empty());
  EXPECT_FALSE(seen_.ended->local);
  EXPECT_FALSE(seen_.grants.control);
  // Input after the stop goes nowhere.
  supporter_->SendInput(MoveTo(5, 5));
  auto entries = ReadSessionLog(ReadFile(supporter_->session_log_path()));
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  std::vector<std::string> events;
  for (const ProtocolEntry& entry : *entries)
    events.push_back(entry.event);
  EXPECT_TRUE(
      InOrder(events, {SessionLogEventName(SessionLogEvent::kControlOn),
                       SessionLogEventName(SessionLogEvent::kSessionEnded)}));
  EXPECT_EQ(entries->back().event,
            SessionLogEventName(SessionLogEvent::kSessionEnded));
}

TEST_F(SupporterSessionTest, NoObserverCallAfterDestructionMidStream) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  proto::ViewTarget whole;
  whole.set_whole_desktop(true);
  supporter_->RequestView(whole);
  ASSERT_TRUE(Wait([&] { return seen_.pictures > 0; }));
  // Pictures, stats and engine calls may still be queued for the app.
  supporter_.reset();
  const int calls = seen_.calls;
  queue_.RunPending();
  EXPECT_EQ(seen_.calls, calls);
  // The customer learns the technician is gone.
  EXPECT_TRUE(Wait([&] { return customer_seen_.ended().has_value(); }));
}

}  // namespace
}  // namespace tether::supporter::test
