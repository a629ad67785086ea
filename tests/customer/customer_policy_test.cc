// The customer's consent policy: every grant and every refusal, with a
// scripted ConsentProvider and a recording PolicyActions.

#include "customer-app/core/customer_policy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "tests/fakes/log_capture.h"
#include "tests/fakes/manual_clock.h"
#include "tests/fakes/scripted_consent.h"

namespace tether::customer {
namespace {

using proto::PeerMessage;
using test::ScriptedConsent;

class RecordingActions final : public PolicyActions {
 public:
  void Send(PeerMessage message) override {
    sent.push_back(std::move(message));
  }
  Result<std::string> DescribeView(const proto::ViewTarget& target) override {
    if (target.has_monitor_index()) {
      if (target.monitor_index() >= 2)
        return MakeError("there is no such monitor");
      return "monitor " + std::to_string(target.monitor_index() + 1);
    }
    if (target.has_window_id())
      return MakeError("there is no such window");
    return std::string("your whole screen");
  }
  void StartView(const proto::ViewTarget& target) override {
    views.push_back(target);
    viewing = true;
  }
  void StopView() override { viewing = false; }
  void SetControl(bool enabled) override { control = enabled; }
  void Inject(const proto::InputEvent& event) override {
    // The policy's promise: only while control is granted (and the gate
    // switch is on).
    EXPECT_TRUE(control);
    injected.push_back(event);
  }
  void PromptOpening() override { ++prompts_opening; }
  void FrameAcked(const proto::FrameAck&) override { ++acks; }
  void TechnicianFrame(const proto::VideoFrame& frame) override {
    technician_frames.push_back(frame.frame_id());
  }
  void SessionAccepted() override { accepted = true; }
  void ShowChat(const std::string& text) override { chats.push_back(text); }
  void SetClipboard(const std::string& text) override {
    clipboard.push_back(text);
  }
  void GrantsChanged(const Grants& g) override { grants.push_back(g); }
  void FileFinished(const std::string& path,
                    bool ok,
                    const std::string& message) override {
    files.push_back({path, ok, message});
  }
  void EndSession(proto::EndReason reason,
                  const std::string& message) override {
    end_reason = reason;
    end_message = message;
  }
  void StartSendingFile(uint32_t file_id) override {
    sending.push_back(file_id);
  }
  void StopSendingFile(uint32_t file_id,
                       const std::string& cancel_reason,
                       SentFile::State state,
                       const std::string& /*message*/) override {
    stopped_sending.push_back({file_id, cancel_reason, state});
  }
  struct StoppedSending {
    uint32_t file_id;
    std::string cancel_reason;
    SentFile::State state;
  };
  std::vector<uint32_t> sending;
  std::vector<StoppedSending> stopped_sending;

  size_t Count(PeerMessage::BodyCase body) const {
    size_t n = 0;
    for (const auto& m : sent)
      n += m.body_case() == body ? 1 : 0;
    return n;
  }
  // The last message of that kind; an empty message when none was sent.
  const PeerMessage* Last(PeerMessage::BodyCase body) const {
    static const PeerMessage kNone;
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
      if (it->body_case() == body)
        return &*it;
    }
    return &kNone;
  }

  struct File {
    std::string path;
    bool ok;
    std::string message;
  };
  std::vector<PeerMessage> sent;
  std::vector<proto::ViewTarget> views;
  std::vector<proto::InputEvent> injected;
  std::vector<std::string> chats, clipboard;
  std::vector<Grants> grants;
  std::vector<File> files;
  bool viewing = false;
  bool control = false;
  bool accepted = false;
  int acks = 0;
  int prompts_opening = 0;
  std::vector<uint64_t> technician_frames;
  std::optional<proto::EndReason> end_reason;
  std::string end_message;
};

PeerMessage Terms(bool recording = false) {
  PeerMessage m;
  m.mutable_terms()->set_technician_name("Tina (from the app)");
  m.mutable_terms()->set_organisation("Org from the app");
  m.mutable_terms()->set_terms_text("Terms from the app.");
  m.mutable_terms()->set_recording(recording);
  return m;
}

PeerMessage Request(uint32_t id, proto::Permission permission) {
  PeerMessage m;
  m.mutable_consent_request()->set_request_id(id);
  m.mutable_consent_request()->set_permission(permission);
  return m;
}

PeerMessage ViewRequest(uint32_t id, std::optional<uint32_t> monitor = {}) {
  PeerMessage m = Request(id, proto::PERMISSION_VIEW_SCREEN);
  if (monitor)
    m.mutable_consent_request()->mutable_view()->set_monitor_index(*monitor);
  else
    m.mutable_consent_request()->mutable_view()->set_whole_desktop(true);
  return m;
}

PeerMessage Move(int x, int y) {
  PeerMessage m;
  m.mutable_input()->mutable_mouse_move()->set_x(x);
  m.mutable_input()->mutable_mouse_move()->set_y(y);
  return m;
}

PeerMessage Revoke(proto::Permission permission) {
  PeerMessage m;
  m.mutable_revoke()->set_permission(permission);
  return m;
}

std::string Sha(const std::string& data) {
  const auto digest = crypto::Sha256(AsBytes(data));
  return std::string(digest.begin(), digest.end());
}

PeerMessage FileRequest(uint32_t request_id,
                        uint32_t file_id,
                        const std::string& name,
                        const std::string& content) {
  PeerMessage m = Request(request_id, proto::PERMISSION_SEND_FILE);
  proto::FileOffer* offer = m.mutable_consent_request()->mutable_file();
  offer->set_file_id(file_id);
  offer->set_name(name);
  offer->set_size(content.size());
  offer->set_sha256(Sha(content));
  return m;
}

PeerMessage Chunk(uint32_t file_id, uint64_t offset, const std::string& data) {
  PeerMessage m;
  m.mutable_file_chunk()->set_file_id(file_id);
  m.mutable_file_chunk()->set_offset(offset);
  m.mutable_file_chunk()->set_data(data);
  return m;
}

PeerMessage Done(uint32_t file_id) {
  PeerMessage m;
  m.mutable_file_done()->set_file_id(file_id);
  return m;
}

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/tether-policy-XXXXXX";
    path_ = mkdtemp(templ);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  size_t Entries() const {
    return static_cast<size_t>(
        std::distance(std::filesystem::directory_iterator(path_),
                      std::filesystem::directory_iterator()));
  }

 private:
  std::filesystem::path path_;
};

class CustomerPolicyTest : public ::testing::Test {
 protected:
  explicit CustomerPolicyTest(
      ScriptedConsent::Mode mode = ScriptedConsent::Mode::kAnswerAtOnce)
      : consent_(mode) {
    auto receiver = protocol::FileReceiver::Create({dir_.path(), 4});
    EXPECT_TRUE(receiver.has_value());
    files_ = std::move(*receiver);
    policy_ = std::make_unique<CustomerPolicy>(clock_, consent_, actions_,
                                               files_.get());
  }

  // Joined, secured, terms shown and accepted.
  void Agree() {
    policy_->OnRelayHello("Relay Org", "Relay terms.");
    policy_->OnJoined("Tina Tech", "");
    policy_->OnSecured("482913");
    policy_->OnMessage(Terms());
    ASSERT_EQ(policy_->phase(), CustomerPolicy::Phase::kActive);
  }

  void GrantControl() {
    consent_.Script({true});
    policy_->OnMessage(Request(50, proto::PERMISSION_REMOTE_CONTROL));
    ASSERT_TRUE(policy_->grants().control);
  }

  std::string ReceiptText() const {
    std::string all;
    for (const auto& e : policy_->receipt())
      all += e.text + "\n";
    return all;
  }

  TempDir dir_;
  test::ManualClock clock_;
  ScriptedConsent consent_;
  RecordingActions actions_;
  std::unique_ptr<protocol::FileReceiver> files_;
  std::unique_ptr<CustomerPolicy> policy_;
};

class CustomerPolicyHoldTest : public CustomerPolicyTest {
 protected:
  CustomerPolicyHoldTest() : CustomerPolicyTest(ScriptedConsent::Mode::kHold) {}

  void AgreeHeld() {
    policy_->OnJoined("Tina Tech", "IT");
    policy_->OnSecured("482913");
    policy_->OnMessage(Terms());
    ASSERT_TRUE(consent_.AnswerTerms(true));
  }
};

// ---- The opening ------------------------------------------------------------

TEST_F(CustomerPolicyTest, RequestsBeforeTheTermsAreRefusedWithoutAPrompt) {
  policy_->OnJoined("Tina Tech", "IT");
  policy_->OnMessage(ViewRequest(1));  // not even secured
  policy_->OnSecured("482913");
  policy_->OnMessage(ViewRequest(2));  // secured, no terms yet
  policy_->OnMessage(Move(1, 1));
  EXPECT_TRUE(consent_.prompts.empty());
  EXPECT_TRUE(consent_.terms_prompts.empty());
  EXPECT_TRUE(actions_.views.empty());
  EXPECT_TRUE(actions_.injected.empty());
  EXPECT_EQ(policy_->refused(Refusal::kBeforeAgreement), 3u);
  ASSERT_EQ(actions_.Count(PeerMessage::kConsentAnswer), 2u);
  EXPECT_FALSE(
      actions_.Last(PeerMessage::kConsentAnswer)->consent_answer().granted());
}

TEST_F(CustomerPolicyTest, TermsPromptShowsSasRelayTermsAndRecording) {
  policy_->OnRelayHello("ACME IT", "ACME's own terms.");
  policy_->OnJoined("Tina Tech", "");
  policy_->OnSecured("482913");
  policy_->OnMessage(Terms(/*recording=*/true));
  ASSERT_EQ(consent_.terms_prompts.size(), 1u);
  const TermsPrompt& p = consent_.terms_prompts[0];
  EXPECT_EQ(p.sas, "482913");
  EXPECT_EQ(p.technician, "Tina Tech");  // the relay's word, not the app's
  EXPECT_EQ(p.organisation, "ACME IT");
  EXPECT_EQ(p.terms_text, "ACME's own terms.");
  EXPECT_TRUE(p.recording);
  ASSERT_EQ(actions_.Count(PeerMessage::kTermsAnswer), 1u);
  EXPECT_TRUE(
      actions_.Last(PeerMessage::kTermsAnswer)->terms_answer().accepted());
  EXPECT_TRUE(actions_.accepted);
  EXPECT_NE(ReceiptText().find("You confirmed the code 482 913"),
            std::string::npos);
}

TEST_F(CustomerPolicyTest, TermsThatArriveBeforeTheChannelIsUpWaitForIt) {
  policy_->OnMessage(Terms());
  EXPECT_TRUE(consent_.terms_prompts.empty());
  policy_->OnSecured("111222");
  ASSERT_EQ(consent_.terms_prompts.size(), 1u);
  EXPECT_EQ(consent_.terms_prompts[0].terms_text, "Terms from the app.");
}

TEST_F(CustomerPolicyTest, WithoutTermsFromTheAppTheCustomerIsAskedAnyway) {
  policy_->OnRelayHello("ACME IT", "ACME's own terms.");
  policy_->OnJoined("Tina Tech", "");
  policy_->OnSecured("482913");
  ASSERT_TRUE(policy_->terms_deadline().has_value());
  clock_.Advance(std::chrono::seconds(4));
  policy_->Tick();
  EXPECT_TRUE(consent_.terms_prompts.empty());
  clock_.Advance(std::chrono::seconds(1));
  policy_->Tick();
  ASSERT_EQ(consent_.terms_prompts.size(), 1u);
  EXPECT_EQ(consent_.terms_prompts[0].sas, "482913");
  EXPECT_EQ(consent_.terms_prompts[0].terms_text, "ACME's own terms.");
  EXPECT_FALSE(policy_->terms_deadline().has_value());
  // Terms arriving late are refused; the answer stands.
  policy_->OnMessage(Terms(/*recording=*/true));
  EXPECT_EQ(consent_.terms_prompts.size(), 1u);
  EXPECT_EQ(policy_->refused(Refusal::kInvalidRequest), 1u);
}

TEST_F(CustomerPolicyTest, NotConfirmingTheCodeEndsTheSessionAndSharesNothing) {
  consent_.set_terms_answer(false);
  consent_.set_fallback(true);
  policy_->OnJoined("Tina Tech", "IT");
  policy_->OnSecured("482913");
  policy_->OnMessage(Terms());
  ASSERT_TRUE(actions_.end_reason.has_value());
  EXPECT_NE(actions_.end_message.find("You did not confirm the code"),
            std::string::npos);
  EXPECT_FALSE(
      actions_.Last(PeerMessage::kTermsAnswer)->terms_answer().accepted());
  EXPECT_EQ(policy_->phase(), CustomerPolicy::Phase::kEnded);
  // Whatever comes after is ignored.
  policy_->OnMessage(ViewRequest(1));
  policy_->OnMessage(Request(2, proto::PERMISSION_REMOTE_CONTROL));
  policy_->OnMessage(Move(1, 1));
  EXPECT_TRUE(consent_.prompts.empty());
  EXPECT_TRUE(actions_.views.empty());
  EXPECT_TRUE(actions_.injected.empty());
  EXPECT_FALSE(actions_.accepted);
}

TEST_F(CustomerPolicyTest, SecondTermsMessageIsRefused) {
  Agree();
  policy_->OnMessage(Terms());
  EXPECT_EQ(consent_.terms_prompts.size(), 1u);
  EXPECT_EQ(policy_->refused(Refusal::kInvalidRequest), 1u);
}

TEST_F(CustomerPolicyTest, OversizedTermsEndTheSession) {
  policy_->OnSecured("482913");
  PeerMessage terms = Terms();
  terms.mutable_terms()->set_terms_text(std::string(100 * 1024, 'x'));
  policy_->OnMessage(terms);
  EXPECT_TRUE(consent_.terms_prompts.empty());
  EXPECT_EQ(actions_.end_reason, proto::END_REASON_PROTOCOL_ERROR);
}

// ---- View -------------------------------------------------------------------

TEST_F(CustomerPolicyTest, ViewIsAskedThenStartedWithItsTarget) {
  Agree();
  consent_.Script({true});
  policy_->OnMessage(ViewRequest(7, 1));
  ASSERT_EQ(consent_.prompts.size(), 1u);
  EXPECT_EQ(consent_.prompts[0].permission, proto::PERMISSION_VIEW_SCREEN);
  EXPECT_EQ(consent_.prompts[0].view_description, "monitor 2");
  EXPECT_EQ(consent_.prompts[0].technician, "Tina Tech");
  ASSERT_EQ(actions_.views.size(), 1u);
  EXPECT_EQ(actions_.views[0].monitor_index(), 1u);
  EXPECT_TRUE(policy_->grants().viewing);
  const auto* answer = actions_.Last(PeerMessage::kConsentAnswer);
  EXPECT_EQ(answer->consent_answer().request_id(), 7u);
  EXPECT_TRUE(answer->consent_answer().granted());
  EXPECT_NE(ReceiptText().find("You allowed Tina Tech to see monitor 2."),
            std::string::npos);
}

TEST_F(CustomerPolicyTest, RefusedViewIsNotStarted) {
  Agree();
  consent_.Script({false});
  policy_->OnMessage(ViewRequest(7));
  EXPECT_TRUE(actions_.views.empty());
  EXPECT_FALSE(policy_->grants().viewing);
  EXPECT_FALSE(
      actions_.Last(PeerMessage::kConsentAnswer)->consent_answer().granted());
  EXPECT_NE(ReceiptText().find(
                "You did not allow Tina Tech to see your whole screen."),
            std::string::npos);
}

TEST_F(CustomerPolicyTest, ViewOfAMonitorThatDoesNotExistIsRefusedUnasked) {
  Agree();
  consent_.set_fallback(true);
  policy_->OnMessage(ViewRequest(7, 9));
  EXPECT_TRUE(consent_.prompts.empty());
  EXPECT_TRUE(actions_.views.empty());
  EXPECT_EQ(policy_->refused(Refusal::kInvalidRequest), 1u);
}

TEST_F(CustomerPolicyTest, CustomerAndTechnicianCanEndTheView) {
  Agree();
  consent_.set_fallback(true);
  policy_->OnMessage(ViewRequest(1));
  ASSERT_TRUE(actions_.viewing);
  policy_->Revoke(proto::PERMISSION_VIEW_SCREEN);
  EXPECT_FALSE(actions_.viewing);
  EXPECT_EQ(actions_.Last(PeerMessage::kRevoke)->revoke().permission(),
            proto::PERMISSION_VIEW_SCREEN);
  policy_->OnMessage(ViewRequest(2));
  ASSERT_TRUE(actions_.viewing);
  policy_->OnMessage(Revoke(proto::PERMISSION_VIEW_SCREEN));
  EXPECT_FALSE(actions_.viewing);
  EXPECT_FALSE(policy_->grants().viewing);
}

TEST_F(CustomerPolicyTest, FrameAcksCountOnlyWhileViewing) {
  Agree();
  PeerMessage ack;
  ack.mutable_frame_ack()->set_frame_id(1);
  policy_->OnMessage(ack);
  EXPECT_EQ(actions_.acks, 0);
  consent_.set_fallback(true);
  policy_->OnMessage(ViewRequest(1));
  policy_->OnMessage(ack);
  EXPECT_EQ(actions_.acks, 1);
}

// ---- Remote control
// ----------------------------------------------------------

TEST_F(CustomerPolicyTest, InputWithoutControlNeverReachesTheInjector) {
  test::LogCapture logs;
  Agree();
  consent_.set_fallback(true);
  policy_->OnMessage(ViewRequest(1));  // seeing is not controlling
  for (int i = 0; i < 1000; ++i)
    policy_->OnMessage(Move(i, i));
  EXPECT_TRUE(actions_.injected.empty());
  EXPECT_EQ(policy_->refused(Refusal::kInputWithoutControl), 1000u);
  // One line for the kind, not a thousand; no coordinates.
  const std::string text = logs.text();
  size_t lines = 0;
  for (size_t at = text.find("input without remote control");
       at != std::string::npos;
       at = text.find("input without remote control", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u);
}

TEST_F(CustomerPolicyTest,
       ControlGrantLetsInputThroughUntilTheCustomerRevokes) {
  Agree();
  consent_.Script({false});
  policy_->OnMessage(Request(1, proto::PERMISSION_REMOTE_CONTROL));
  policy_->OnMessage(Move(1, 1));
  EXPECT_TRUE(actions_.injected.empty());

  GrantControl();
  EXPECT_TRUE(actions_.control);
  policy_->OnMessage(Move(2, 2));
  ASSERT_EQ(actions_.injected.size(), 1u);
  EXPECT_EQ(actions_.injected[0].mouse_move().x(), 2);

  policy_->Revoke(proto::PERMISSION_REMOTE_CONTROL);
  EXPECT_FALSE(actions_.control);
  EXPECT_FALSE(policy_->grants().control);
  EXPECT_EQ(actions_.Last(PeerMessage::kRevoke)->revoke().permission(),
            proto::PERMISSION_REMOTE_CONTROL);
  policy_->OnMessage(Move(3, 3));
  EXPECT_EQ(actions_.injected.size(), 1u);
  EXPECT_NE(ReceiptText().find("You took back control"), std::string::npos);
  ASSERT_FALSE(actions_.grants.empty());
  EXPECT_FALSE(actions_.grants.back().control);
}

TEST_F(CustomerPolicyTest, TechnicianGivingBackControlTurnsItOff) {
  Agree();
  GrantControl();
  policy_->OnMessage(Revoke(proto::PERMISSION_REMOTE_CONTROL));
  EXPECT_FALSE(actions_.control);
  policy_->OnMessage(Move(3, 3));
  EXPECT_TRUE(actions_.injected.empty());
}

TEST_F(CustomerPolicyHoldTest, InputIsHeldBackWhileAPromptIsOpen) {
  AgreeHeld();
  policy_->OnMessage(Request(50, proto::PERMISSION_REMOTE_CONTROL));
  ASSERT_TRUE(consent_.Answer(true));
  ASSERT_TRUE(policy_->grants().control);
  policy_->OnMessage(Move(1, 1));
  ASSERT_EQ(actions_.injected.size(), 1u);

  // A clipboard request opens a prompt: the technician could otherwise click
  // "Allow" in it with the control they hold. Input already on its way to
  // the desktop is stopped before the prompt shows (the gate's side of it:
  // InputGateXTest.APromptOpeningStopsTypingAndDropsWhatIsQueued).
  const int opened_before = actions_.prompts_opening;
  policy_->OnMessage(Request(51, proto::PERMISSION_CLIPBOARD));
  ASSERT_EQ(consent_.open_prompts(), 1u);
  EXPECT_EQ(actions_.prompts_opening, opened_before + 1);
  for (int i = 0; i < 100; ++i)
    policy_->OnMessage(Move(i, i));
  EXPECT_EQ(actions_.injected.size(), 1u);
  EXPECT_EQ(policy_->refused(Refusal::kInputDuringPrompt), 100u);
  EXPECT_TRUE(policy_->grants().control);  // kept, only paused

  ASSERT_TRUE(consent_.Answer(false));
  policy_->OnMessage(Move(7, 7));
  ASSERT_EQ(actions_.injected.size(), 2u);
  EXPECT_EQ(actions_.injected[1].mouse_move().x(), 7);
}

TEST_F(CustomerPolicyTest, InvalidInputEventsAreRefused) {
  Agree();
  GrantControl();
  PeerMessage empty;
  empty.mutable_input();
  PeerMessage button;
  button.mutable_input()->mutable_mouse_button()->set_button(42);
  PeerMessage text;
  text.mutable_input()->mutable_text()->set_text(std::string(5000, 'a'));
  policy_->OnMessage(empty);
  policy_->OnMessage(button);
  policy_->OnMessage(text);
  EXPECT_TRUE(actions_.injected.empty());
  EXPECT_EQ(policy_->refused(Refusal::kInvalidInput), 3u);
}

TEST_F(CustomerPolicyTest, AskingAgainForAGrantInForceAsksNothingNew) {
  Agree();
  GrantControl();
  const size_t prompts = consent_.prompts.size();
  policy_->OnMessage(Request(51, proto::PERMISSION_REMOTE_CONTROL));
  EXPECT_EQ(consent_.prompts.size(), prompts);
  EXPECT_TRUE(
      actions_.Last(PeerMessage::kConsentAnswer)->consent_answer().granted());
}

// ---- View switch
// -------------------------------------------------------------

TEST_F(CustomerPolicyTest, ViewSwitchWithoutGrantIsRefused) {
  Agree();
  GrantControl();
  PeerMessage view_switch;
  view_switch.mutable_view_switch()->set_show_supporter_screen(true);
  policy_->OnMessage(view_switch);
  EXPECT_EQ(policy_->refused(Refusal::kViewSwitchWithoutGrant), 1u);
  EXPECT_FALSE(policy_->grants().viewing_technician);
  EXPECT_TRUE(policy_->grants().control);
}

// A technician who keeps asking after the customer said no: three
// prompts, then Tether answers no itself, tells the customer once in the
// receipt, and other kinds of request are still asked.
TEST_F(CustomerPolicyTest, RequestsTheCustomerKeptRefusingAreNoLongerAsked) {
  Agree();
  consent_.set_fallback(false);
  for (uint32_t id = 1; id <= 1000; ++id)
    policy_->OnMessage(Request(id, proto::PERMISSION_VIEW_SWITCH));
  EXPECT_EQ(consent_.prompts.size(), 3u);
  EXPECT_EQ(policy_->refused(Refusal::kAskedTooOften), 997u);
  EXPECT_FALSE(policy_->grants().viewing_technician);
  EXPECT_EQ(actions_.Count(PeerMessage::kConsentAnswer), 1000u);
  EXPECT_FALSE(
      actions_.Last(PeerMessage::kConsentAnswer)->consent_answer().granted());
  const std::string receipt = ReceiptText();
  EXPECT_NE(receipt.find("Tether now says no for you"), std::string::npos)
      << receipt;
  EXPECT_EQ(receipt.find("Tether now says no for you"),
            receipt.rfind("Tether now says no for you"));
  consent_.set_fallback(true);
  policy_->OnMessage(Request(2000, proto::PERMISSION_REMOTE_CONTROL));
  EXPECT_EQ(consent_.prompts.size(), 4u);
  EXPECT_TRUE(policy_->grants().control);
}

TEST_F(CustomerPolicyTest, ViewSwitchTurnsControlOff) {
  Agree();
  GrantControl();
  consent_.Script({true});
  policy_->OnMessage(Request(2, proto::PERMISSION_VIEW_SWITCH));
  PeerMessage view_switch;
  view_switch.mutable_view_switch()->set_show_supporter_screen(true);
  policy_->OnMessage(view_switch);
  EXPECT_TRUE(policy_->grants().viewing_technician);
  EXPECT_FALSE(policy_->grants().control);
  EXPECT_FALSE(actions_.control);
  EXPECT_EQ(actions_.Last(PeerMessage::kRevoke)->revoke().permission(),
            proto::PERMISSION_REMOTE_CONTROL);
  policy_->OnMessage(Move(1, 1));
  EXPECT_TRUE(actions_.injected.empty());
  // Switching back does not bring control back.
  view_switch.mutable_view_switch()->set_show_supporter_screen(false);
  policy_->OnMessage(view_switch);
  policy_->OnMessage(Move(1, 1));
  EXPECT_TRUE(actions_.injected.empty());
}

TEST_F(CustomerPolicyHoldTest,
       ControlCannotBeGrantedWhileTheTechniciansScreenIsShown) {
  AgreeHeld();
  policy_->OnMessage(Request(1, proto::PERMISSION_VIEW_SWITCH));
  ASSERT_TRUE(consent_.Answer(true));
  policy_->OnMessage(Request(2, proto::PERMISSION_REMOTE_CONTROL));  // open
  PeerMessage view_switch;
  view_switch.mutable_view_switch()->set_show_supporter_screen(true);
  policy_->OnMessage(view_switch);
  ASSERT_TRUE(consent_.Answer(true));  // "yes", but the switch came first
  EXPECT_FALSE(policy_->grants().control);
  EXPECT_FALSE(actions_.control);
  EXPECT_FALSE(
      actions_.Last(PeerMessage::kConsentAnswer)->consent_answer().granted());
  // Asked while the switch is on: refused without a prompt.
  const size_t prompts = consent_.prompts.size();
  policy_->OnMessage(Request(3, proto::PERMISSION_REMOTE_CONTROL));
  EXPECT_EQ(consent_.prompts.size(), prompts);
  EXPECT_FALSE(policy_->grants().control);
}

TEST_F(CustomerPolicyTest, TechnicianVideoWithoutViewSwitchIsRefused) {
  Agree();
  PeerMessage frame;
  frame.mutable_video_frame()->set_frame_id(1);
  policy_->OnMessage(frame);
  EXPECT_EQ(policy_->refused(Refusal::kVideoWithoutViewSwitch), 1u);
  EXPECT_TRUE(actions_.technician_frames.empty());
}

TEST_F(CustomerPolicyTest, TechnicianVideoReachesTheViewerOnlyWhileSwitched) {
  Agree();
  PeerMessage frame;
  frame.mutable_video_frame()->set_frame_id(1);
  PeerMessage view_switch;
  view_switch.mutable_view_switch()->set_show_supporter_screen(true);
  // Refused: the switch was never allowed, so neither it nor frames count.
  consent_.Script({false});
  policy_->OnMessage(Request(1, proto::PERMISSION_VIEW_SWITCH));
  policy_->OnMessage(view_switch);
  policy_->OnMessage(frame);
  EXPECT_TRUE(actions_.technician_frames.empty());
  EXPECT_EQ(policy_->refused(Refusal::kVideoWithoutViewSwitch), 1u);

  consent_.Script({true});
  policy_->OnMessage(Request(2, proto::PERMISSION_VIEW_SWITCH));
  policy_->OnMessage(view_switch);
  frame.mutable_video_frame()->set_frame_id(2);
  policy_->OnMessage(frame);
  EXPECT_EQ(actions_.technician_frames, std::vector<uint64_t>{2});

  // The customer stops watching: later frames are refused again.
  policy_->Revoke(proto::PERMISSION_VIEW_SWITCH);
  EXPECT_FALSE(policy_->grants().viewing_technician);
  EXPECT_EQ(actions_.Last(PeerMessage::kRevoke)->revoke().permission(),
            proto::PERMISSION_VIEW_SWITCH);
  frame.mutable_video_frame()->set_frame_id(3);
  policy_->OnMessage(frame);
  EXPECT_EQ(actions_.technician_frames, std::vector<uint64_t>{2});
  EXPECT_EQ(policy_->refused(Refusal::kVideoWithoutViewSwitch), 2u);
}

// ---- Clipboard, chat
// ---------------------------------------------------------

TEST_F(CustomerPolicyTest, ClipboardNeedsItsOwnGrant) {
  test::LogCapture logs;
  Agree();
  PeerMessage clip;
  clip.mutable_clipboard()->set_text("secret-clipboard-text");
  policy_->OnMessage(clip);
  EXPECT_TRUE(actions_.clipboard.empty());
  EXPECT_EQ(policy_->refused(Refusal::kClipboardWithoutGrant), 1u);
  consent_.Script({true});
  policy_->OnMessage(Request(3, proto::PERMISSION_CLIPBOARD));
  policy_->OnMessage(clip);
  ASSERT_EQ(actions_.clipboard.size(), 1u);
  EXPECT_FALSE(logs.Contains("secret-clipboard-text"));
}

TEST_F(CustomerPolicyTest, ChatFlowsOnlyAfterTheCustomerAgreedAndIsNotLogged) {
  test::LogCapture logs;
  PeerMessage chat;
  chat.mutable_chat()->set_text("my-private-chat-words");
  policy_->OnSecured("482913");
  policy_->OnMessage(chat);
  EXPECT_TRUE(actions_.chats.empty());
  EXPECT_FALSE(policy_->SendChat("hello"));
  policy_->OnMessage(Terms());
  policy_->OnMessage(chat);
  ASSERT_EQ(actions_.chats.size(), 1u);
  EXPECT_TRUE(policy_->SendChat("hello"));
  EXPECT_EQ(actions_.Last(PeerMessage::kChat)->chat().text(), "hello");
  EXPECT_FALSE(logs.Contains("my-private-chat-words"));
}

// Finding 5 of the outside test: a chat flood queued ~1,000 messages in
// front of the panel's STOP button. The rate is bounded, not only the size.
TEST_F(CustomerPolicyTest, ChatFasterThanAPersonWritesIsRefused) {
  Agree();
  PeerMessage chat;
  chat.mutable_chat()->set_text("spam");
  for (int i = 0; i < 1000; ++i)
    policy_->OnMessage(chat);
  EXPECT_EQ(actions_.chats.size(), 10u);  // the burst
  EXPECT_EQ(policy_->refused(Refusal::kChatTooFast), 990u);
  // A person's pace goes through: one every half second.
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(std::chrono::milliseconds(500));
    policy_->OnMessage(chat);
  }
  EXPECT_EQ(actions_.chats.size(), 15u);
  // After a pause the burst is back, never more.
  clock_.Advance(std::chrono::minutes(10));
  for (int i = 0; i < 100; ++i)
    policy_->OnMessage(chat);
  EXPECT_EQ(actions_.chats.size(), 25u);
}

// ---- Messages that are not the technician's to send
// ---------------------------

TEST_F(CustomerPolicyTest, UnknownAndCustomerOnlyMessagesAreRefused) {
  Agree();
  policy_->OnMessage(PeerMessage{});
  PeerMessage answer;
  answer.mutable_consent_answer()->set_granted(true);
  policy_->OnMessage(answer);
  PeerMessage stop;
  stop.mutable_emergency_stop();
  policy_->OnMessage(stop);
  PeerMessage bad_permission = Request(9, static_cast<proto::Permission>(77));
  policy_->OnMessage(bad_permission);
  EXPECT_EQ(policy_->refused(Refusal::kUnknownMessage), 1u);
  EXPECT_EQ(policy_->refused(Refusal::kNotForCustomer), 2u);
  EXPECT_EQ(policy_->refused(Refusal::kInvalidRequest), 1u);
  EXPECT_TRUE(consent_.prompts.empty());
  EXPECT_EQ(policy_->grants().control, false);
}

// ---- One prompt at a time
// ---------------------------------------------------------

TEST_F(CustomerPolicyHoldTest, AFloodOfRequestsOpensOnePromptAndABoundedQueue) {
  AgreeHeld();
  const proto::Permission kinds[] = {
      proto::PERMISSION_VIEW_SCREEN, proto::PERMISSION_REMOTE_CONTROL,
      proto::PERMISSION_CLIPBOARD, proto::PERMISSION_VIEW_SWITCH};
  for (uint32_t i = 0; i < 10000; ++i)
    policy_->OnMessage(Request(i, kinds[i % 4]));
  EXPECT_EQ(consent_.prompts.size(), 1u);
  EXPECT_EQ(consent_.open_prompts(), 1u);
  EXPECT_LE(policy_->queued_prompts(), 3u);
  EXPECT_EQ(policy_->refused(Refusal::kTooManyRequests), 10000u - 4u);
  // Answering one opens the next, never two at once.
  ASSERT_TRUE(consent_.Answer(false));
  EXPECT_EQ(consent_.open_prompts(), 1u);
  EXPECT_EQ(consent_.prompts.size(), 2u);
  EXPECT_EQ(consent_.prompts[1].permission, proto::PERMISSION_REMOTE_CONTROL);
}

TEST_F(CustomerPolicyHoldTest, ADuplicateOfAWaitingRequestIsRefused) {
  AgreeHeld();
  policy_->OnMessage(Request(1, proto::PERMISSION_REMOTE_CONTROL));
  policy_->OnMessage(Request(2, proto::PERMISSION_REMOTE_CONTROL));
  EXPECT_EQ(consent_.prompts.size(), 1u);
  EXPECT_EQ(policy_->queued_prompts(), 0u);
  EXPECT_EQ(policy_->refused(Refusal::kTooManyRequests), 1u);
  const auto* answer = actions_.Last(PeerMessage::kConsentAnswer);
  EXPECT_EQ(answer->consent_answer().request_id(), 2u);
  EXPECT_FALSE(answer->consent_answer().granted());
}

TEST_F(CustomerPolicyHoldTest,
       EmergencyStopClosesPromptsAndLaterAnswersGrantNothing) {
  AgreeHeld();
  policy_->OnMessage(Request(1, proto::PERMISSION_REMOTE_CONTROL));
  ASSERT_EQ(consent_.open_prompts(), 1u);
  policy_->EmergencyStop();
  EXPECT_GE(consent_.close_all_calls, 1);
  EXPECT_EQ(consent_.open_prompts(), 0u);
  EXPECT_EQ(policy_->phase(), CustomerPolicy::Phase::kEnded);
  policy_->OnMessage(Request(2, proto::PERMISSION_REMOTE_CONTROL));
  policy_->OnMessage(Move(1, 1));
  EXPECT_FALSE(policy_->grants().control);
  EXPECT_TRUE(actions_.injected.empty());
  EXPECT_NE(ReceiptText().find("You pressed STOP"), std::string::npos);
}

TEST_F(CustomerPolicyTest, AnAnswerThatArrivesAfterTheEndIsIgnored) {
  // A provider that keeps the callback even after CloseAll (a buggy UI).
  class LeakyConsent final : public ConsentProvider {
   public:
    void AskTerms(const TermsPrompt&, Answer a) override {
      terms = std::move(a);
    }
    void AskPermission(const PermissionPrompt&, Answer a) override {
      permission = std::move(a);
    }
    void CloseAll() override {}
    Answer terms, permission;
  } leaky;
  CustomerPolicy policy(clock_, leaky, actions_, nullptr);
  policy.OnSecured("123456");
  policy.OnMessage(Terms());
  leaky.terms(true);
  policy.OnMessage(Request(1, proto::PERMISSION_REMOTE_CONTROL));
  ASSERT_TRUE(leaky.permission);
  policy.OnEnded("The connection was lost.");
  leaky.permission(true);
  EXPECT_FALSE(policy.grants().control);
  EXPECT_FALSE(actions_.control);
}

TEST_F(CustomerPolicyTest, AnswersAfterThePolicyIsGoneDoNothing) {
  class LeakyConsent final : public ConsentProvider {
   public:
    void AskTerms(const TermsPrompt&, Answer a) override {
      terms = std::move(a);
    }
    void AskPermission(const PermissionPrompt&, Answer) override {}
    void CloseAll() override {}
    Answer terms;
  } leaky;
  {
    CustomerPolicy policy(clock_, leaky, actions_, nullptr);
    policy.OnSecured("123456");
    policy.OnMessage(Terms());
  }
  leaky.terms(true);  // must not touch the destroyed policy
  EXPECT_EQ(actions_.Count(PeerMessage::kTermsAnswer), 0u);
}

// ---- Files
// ---------------------------------------------------------------------

TEST_F(CustomerPolicyTest, AnAllowedFileIsReceivedVerifiedAndSaved) {
  Agree();
  consent_.Script({true});
  const std::string content = "quarterly numbers\n";
  policy_->OnMessage(FileRequest(4, 77, "report.txt", content));
  ASSERT_EQ(consent_.prompts.size(), 1u);
  EXPECT_EQ(consent_.prompts[0].file_name, "report.txt");
  EXPECT_EQ(consent_.prompts[0].file_size, content.size());
  EXPECT_EQ(consent_.prompts[0].file_destination, dir_.path().string());
  ASSERT_EQ(actions_.Count(PeerMessage::kFileAccept), 1u);
  EXPECT_EQ(actions_.Last(PeerMessage::kFileAccept)->file_accept().file_id(),
            77u);
  policy_->OnMessage(Chunk(77, 0, content.substr(0, 5)));
  policy_->OnMessage(Chunk(77, 5, content.substr(5)));
  policy_->OnMessage(Done(77));
  ASSERT_EQ(actions_.files.size(), 1u);
  EXPECT_TRUE(actions_.files[0].ok);
  EXPECT_EQ(actions_.files[0].path, (dir_.path() / "report.txt").string());
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "report.txt"));
  EXPECT_TRUE(policy_->grants().files);
  EXPECT_NE(ReceiptText().find("was saved to"), std::string::npos);
}

TEST_F(CustomerPolicyTest, FileDataWithoutAnAllowedOfferIsRefused) {
  Agree();
  consent_.Script({false});
  policy_->OnMessage(FileRequest(4, 77, "report.txt", "abc"));
  EXPECT_EQ(actions_.Count(PeerMessage::kFileAccept), 0u);
  policy_->OnMessage(Chunk(77, 0, "abc"));
  policy_->OnMessage(Chunk(99, 0, "abc"));
  policy_->OnMessage(Done(77));
  EXPECT_EQ(policy_->refused(Refusal::kFileNotAccepted), 3u);
  EXPECT_EQ(dir_.Entries(), 0u);
}

TEST_F(CustomerPolicyTest, AFileWhoseChecksumDoesNotMatchLeavesNothing) {
  Agree();
  consent_.Script({true});
  policy_->OnMessage(FileRequest(4, 5, "a.bin", "expected"));
  policy_->OnMessage(Chunk(5, 0, "tampered"));
  policy_->OnMessage(Done(5));
  ASSERT_EQ(actions_.files.size(), 1u);
  EXPECT_FALSE(actions_.files[0].ok);
  EXPECT_NE(actions_.files[0].message.find("checksum"), std::string::npos);
  EXPECT_EQ(dir_.Entries(), 0u);
  ASSERT_GE(actions_.Count(PeerMessage::kFileCancel), 1u);
  EXPECT_EQ(policy_->refused(Refusal::kFileFailed), 1u);
}

TEST_F(CustomerPolicyTest, AFileOverTheSizeLimitIsRefusedWithoutAsking) {
  PolicyLimits limits;
  limits.max_file_size = 10;
  policy_ = std::make_unique<CustomerPolicy>(clock_, consent_, actions_,
                                             files_.get(), limits);
  Agree();
  consent_.set_fallback(true);
  policy_->OnMessage(FileRequest(4, 5, "big.bin", std::string(11, 'x')));
  EXPECT_TRUE(consent_.prompts.empty());
  EXPECT_EQ(actions_.Count(PeerMessage::kFileAccept), 0u);
  ASSERT_GE(actions_.Count(PeerMessage::kFileCancel), 1u);
  EXPECT_NE(actions_.Last(PeerMessage::kFileCancel)
                ->file_cancel()
                .reason()
                .find("larger"),
            std::string::npos);
}

TEST_F(CustomerPolicyTest, PathAttacksInFileNamesAreNeutralisedAndLogged) {
  test::LogCapture logs;
  Agree();
  consent_.set_fallback(true);
  policy_->OnMessage(FileRequest(1, 1, "../../.bashrc", "x"));
  policy_->OnMessage(Chunk(1, 0, "x"));
  policy_->OnMessage(Done(1));
  policy_->OnMessage(FileRequest(2, 2, "/etc/passwd", "y"));
  policy_->OnMessage(Chunk(2, 0, "y"));
  policy_->OnMessage(Done(2));
  policy_->OnMessage(FileRequest(3, 3, "C:\\Windows\\win.ini", "z"));
  policy_->OnMessage(Chunk(3, 0, "z"));
  policy_->OnMessage(Done(3));
  ASSERT_EQ(consent_.prompts.size(), 3u);
  EXPECT_EQ(consent_.prompts[0].file_name, "bashrc");
  EXPECT_EQ(consent_.prompts[1].file_name, "passwd");
  EXPECT_EQ(consent_.prompts[2].file_name, "win.ini");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "bashrc"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "passwd"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "win.ini"));
  EXPECT_EQ(dir_.Entries(), 3u);
  EXPECT_TRUE(logs.Contains("name sanitised (directory parts"));
}

TEST_F(CustomerPolicyTest, AnUnusableFileNameIsRefusedWithItsReason) {
  Agree();
  consent_.set_fallback(true);
  policy_->OnMessage(FileRequest(1, 1, "../..", "x"));
  EXPECT_TRUE(consent_.prompts.empty());
  ASSERT_GE(actions_.Count(PeerMessage::kFileCancel), 1u);
  EXPECT_NE(actions_.Last(PeerMessage::kFileCancel)
                ->file_cancel()
                .reason()
                .find("no usable name"),
            std::string::npos);
}

TEST_F(CustomerPolicyHoldTest, AFileWithdrawnWhileItsPromptIsOpenIsNotOpened) {
  AgreeHeld();
  policy_->OnMessage(FileRequest(1, 9, "a.txt", "abc"));
  PeerMessage cancel;
  cancel.mutable_file_cancel()->set_file_id(9);
  policy_->OnMessage(cancel);
  ASSERT_TRUE(consent_.Answer(true));
  EXPECT_EQ(actions_.Count(PeerMessage::kFileAccept), 0u);
  EXPECT_FALSE(
      actions_.Last(PeerMessage::kConsentAnswer)->consent_answer().granted());
  EXPECT_EQ(dir_.Entries(), 0u);
}

// Finding 6 of the outside test: withdrawing each file while its prompt was
// open made every "no" a "withdrew", and 50 of 50 prompts were shown.
TEST_F(CustomerPolicyHoldTest, NoToAWithdrawnFileStillCountsTowardsTheLimit) {
  AgreeHeld();
  size_t shown = 0;
  for (uint32_t file = 1; file <= 10; ++file) {
    policy_->OnMessage(FileRequest(file, file, "a.txt", "abc"));
    if (consent_.open_prompts() == 0)
      continue;  // Tether said no by itself
    ++shown;
    PeerMessage cancel;
    cancel.mutable_file_cancel()->set_file_id(file);
    policy_->OnMessage(cancel);
    ASSERT_TRUE(consent_.Answer(false));
  }
  EXPECT_EQ(shown, 3u);
  EXPECT_GE(policy_->refused(Refusal::kAskedTooOften), 7u);
}

TEST_F(CustomerPolicyTest, TheEndOfTheSessionDeletesFilesStillArriving) {
  Agree();
  consent_.set_fallback(true);
  policy_->OnMessage(FileRequest(1, 9, "a.txt", "abcdef"));
  policy_->OnMessage(Chunk(9, 0, "abc"));
  EXPECT_EQ(dir_.Entries(), 1u);  // the hidden temporary file
  policy_->OnEnded("The connection was lost.");
  EXPECT_EQ(dir_.Entries(), 0u);
}

TEST_F(CustomerPolicyTest, FilesAreRefusedWithAReasonWhenThereIsNoFolder) {
  CustomerPolicy policy(clock_, consent_, actions_, nullptr);
  policy.OnSecured("123456");
  policy.OnMessage(Terms());
  consent_.set_fallback(true);
  policy.OnMessage(FileRequest(1, 9, "a.txt", "abc"));
  EXPECT_TRUE(consent_.prompts.empty());
  ASSERT_GE(actions_.Count(PeerMessage::kFileCancel), 1u);
  EXPECT_NE(actions_.Last(PeerMessage::kFileCancel)
                ->file_cancel()
                .reason()
                .find("download folder"),
            std::string::npos);
}

// ---- Receipt
// -----------------------------------------------------------------------

TEST_F(CustomerPolicyTest, EveryReceiptEntryCarriesTheTimeItHappened) {
  Agree();
  const auto agreed_at = clock_.WallNow();
  clock_.Advance(std::chrono::seconds(90));
  GrantControl();
  const auto& receipt = policy_->receipt();
  ASSERT_GE(receipt.size(), 3u);
  EXPECT_EQ(receipt.front().at, agreed_at);
  EXPECT_EQ(receipt.back().at, agreed_at + std::chrono::seconds(90));
  EXPECT_NE(receipt.back().text.find("control your mouse and keyboard"),
            std::string::npos);
}

// ---- The customer's own files ---------------------------------------------

constexpr uint32_t kMine = 0x80000001u;  // the customer's id space

crypto::Sha256Digest Digest(const std::string& data) {
  return crypto::Sha256(AsBytes(data));
}

PeerMessage Accept(uint32_t file_id) {
  PeerMessage m;
  m.mutable_file_accept()->set_file_id(file_id);
  return m;
}

PeerMessage Cancel(uint32_t file_id, const std::string& reason = "") {
  PeerMessage m;
  m.mutable_file_cancel()->set_file_id(file_id);
  m.mutable_file_cancel()->set_reason(reason);
  return m;
}

TEST_F(CustomerPolicyTest, OwnFilesAreOfferedOnlyAfterTheCustomerAgreed) {
  EXPECT_FALSE(policy_->OfferFile(kMine, "a.pdf", 3, Digest("abc")));
  EXPECT_EQ(actions_.Count(PeerMessage::kFileOffer), 0u);
  Agree();
  // Outside the customer's id space, or twice: not offered.
  EXPECT_FALSE(policy_->OfferFile(7, "a.pdf", 3, Digest("abc")));
  ASSERT_TRUE(policy_->OfferFile(kMine, "a.pdf", 3, Digest("abc")));
  EXPECT_FALSE(policy_->OfferFile(kMine, "a.pdf", 3, Digest("abc")));
  ASSERT_EQ(actions_.Count(PeerMessage::kFileOffer), 1u);
  const proto::FileOffer& offer =
      actions_.Last(PeerMessage::kFileOffer)->file_offer();
  EXPECT_EQ(offer.file_id(), kMine);
  EXPECT_EQ(offer.name(), "a.pdf");
  EXPECT_EQ(offer.size(), 3u);
  EXPECT_EQ(offer.sha256(), Sha("abc"));
  // No prompt: the customer chose the file.
  EXPECT_TRUE(consent_.prompts.empty());
  policy_->OnEnded("bye");
  EXPECT_FALSE(policy_->OfferFile(kMine + 1, "b.pdf", 3, Digest("abc")));
}

TEST_F(CustomerPolicyTest, AnAcceptedOwnFileIsSentAndWrittenIntoTheReceipt) {
  Agree();
  ASSERT_TRUE(policy_->OfferFile(kMine, "x.pdf", 12000, Digest("abc")));
  EXPECT_TRUE(actions_.sending.empty());
  policy_->OnMessage(Accept(kMine));
  ASSERT_EQ(actions_.sending.size(), 1u);
  EXPECT_EQ(actions_.sending[0], kMine);
  // A second FileAccept starts nothing more.
  policy_->OnMessage(Accept(kMine));
  EXPECT_EQ(actions_.sending.size(), 1u);
  EXPECT_EQ(policy_->refused(Refusal::kFileNotAccepted), 1u);
  policy_->OutgoingFileFinished(kMine, true, "");
  EXPECT_NE(ReceiptText().find(
                "You sent \u201Cx.pdf\u201D (12 KB) to the technician."),
            std::string::npos)
      << ReceiptText();
  EXPECT_FALSE(policy_->grants().files);  // not a technician's permission
}

TEST_F(CustomerPolicyTest, TechnicianDataForTheCustomersOwnFileIsRefused) {
  Agree();
  ASSERT_TRUE(policy_->OfferFile(kMine, "x.pdf", 3, Digest("abc")));
  policy_->OnMessage(Accept(kMine));
  // The technician cannot write into a file the customer offered.
  policy_->OnMessage(Chunk(kMine, 0, "abc"));
  policy_->OnMessage(Done(kMine));
  EXPECT_EQ(policy_->refused(Refusal::kFileNotAccepted), 2u);
  EXPECT_TRUE(actions_.files.empty());
  EXPECT_EQ(dir_.Entries(), 0u);
  // Nor accept a file nobody offered.
  policy_->OnMessage(Accept(kMine + 5));
  EXPECT_EQ(policy_->refused(Refusal::kFileNotAccepted), 3u);
  EXPECT_EQ(actions_.sending.size(), 1u);
}

TEST_F(CustomerPolicyTest, TechnicianOffersInTheCustomersIdSpaceAreRefused) {
  Agree();
  policy_->OnMessage(FileRequest(4, kMine, "a.txt", "abc"));
  EXPECT_TRUE(consent_.prompts.empty());
  EXPECT_EQ(policy_->refused(Refusal::kInvalidRequest), 1u);
  ASSERT_EQ(actions_.Count(PeerMessage::kConsentAnswer), 1u);
  EXPECT_FALSE(
      actions_.Last(PeerMessage::kConsentAnswer)->consent_answer().granted());
}

TEST_F(CustomerPolicyTest, DeclinedAndCancelledOwnFilesStopTheSender) {
  Agree();
  ASSERT_TRUE(policy_->OfferFile(kMine, "a.pdf", 3, Digest("abc")));
  ASSERT_TRUE(policy_->OfferFile(kMine + 1, "b.pdf", 3, Digest("abc")));
  ASSERT_TRUE(policy_->OfferFile(kMine + 2, "c.pdf", 3, Digest("abc")));
  // Declined before it was accepted: no FileCancel back.
  policy_->OnMessage(Cancel(kMine, "The technician declined the file."));
  // The technician stops one mid-way.
  policy_->OnMessage(Accept(kMine + 1));
  policy_->OnMessage(Cancel(kMine + 1));
  // The customer stops one: the technician is told.
  policy_->CancelOutgoingFile(kMine + 2);
  ASSERT_EQ(actions_.stopped_sending.size(), 3u);
  EXPECT_EQ(actions_.stopped_sending[0].state, SentFile::State::kDeclined);
  EXPECT_TRUE(actions_.stopped_sending[0].cancel_reason.empty());
  EXPECT_EQ(actions_.stopped_sending[1].state, SentFile::State::kCancelled);
  EXPECT_TRUE(actions_.stopped_sending[1].cancel_reason.empty());
  EXPECT_EQ(actions_.stopped_sending[2].file_id, kMine + 2);
  EXPECT_FALSE(actions_.stopped_sending[2].cancel_reason.empty());
  const std::string receipt = ReceiptText();
  EXPECT_NE(receipt.find("declined your file \u201Ca.pdf\u201D"),
            std::string::npos)
      << receipt;
  EXPECT_NE(receipt.find("You stopped sending \u201Cc.pdf\u201D"),
            std::string::npos)
      << receipt;
  // A FileCancel about a technician's file is not about these.
  EXPECT_EQ(actions_.sending.size(), 1u);
}

TEST_F(CustomerPolicyTest, StopEndsTheCustomersOwnTransfers) {
  Agree();
  ASSERT_TRUE(policy_->OfferFile(kMine, "a.pdf", 3, Digest("abc")));
  policy_->OnMessage(Accept(kMine));
  policy_->EmergencyStop();
  ASSERT_EQ(actions_.stopped_sending.size(), 1u);
  EXPECT_EQ(actions_.stopped_sending[0].state, SentFile::State::kCancelled);
  // A late FileAccept after the end starts nothing.
  policy_->OnMessage(Accept(kMine));
  EXPECT_EQ(actions_.sending.size(), 1u);
}

}  // namespace
}  // namespace tether::customer
