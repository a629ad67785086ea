// Drives the customer's consent policy with arbitrary technician messages
// and arbitrary customer answers, and checks the promise it exists for:
// no input reaches the injector unless the customer's last word on remote
// control was "yes" (and nothing since took it away); no screen is started
// without a "yes" to a view prompt; no file is written that was not
// allowed; one prompt at most is open; after STOP or the end nothing
// reaches the desktop.
//
// Input: a sequence of operations, each one byte then its data:
//   0: a PeerMessage from the technician: 2-byte length, that many bytes
//      parsed as a PeerMessage (unparsable bytes: an empty message)
//   1 / 2: the customer answers the open permission prompt yes / no
//   3 / 4: the customer answers the terms prompt yes / no
//   5: the customer takes back remote control
//   6: STOP
//   7: the session ends (engine)
//   8: the customer sends a chat message
//   9: the terms timer fires (the clock moves on 10 s)
//   10: the view fails (capture lost)
// The session starts joined and secured.

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <set>
#include <string>

#include <spdlog/spdlog.h>

#include "customer-app/core/customer_policy.h"
#include "tests/fakes/manual_clock.h"

namespace {

using namespace tether;
using namespace tether::customer;

void Check(bool ok) {
  if (!ok)
    std::abort();
}

// The customer. Records what was asked and holds the answers for the
// fuzzer to give, so answers come at any moment, or never.
class Consent final : public ConsentProvider {
 public:
  void AskTerms(const TermsPrompt&, Answer answer) override {
    Check(!terms_ && permission_.empty());  // one prompt at a time
    terms_ = std::move(answer);
  }
  void AskPermission(const PermissionPrompt& prompt, Answer answer) override {
    Check(!terms_ && permission_.empty());  // one prompt at a time
    permission_ = {prompt.permission};
    answer_ = std::move(answer);
  }
  void CloseAll() override {
    terms_ = nullptr;
    answer_ = nullptr;
    permission_.clear();
  }

  // Answers the open permission prompt; returns its permission, or
  // UNSPECIFIED when none was open.
  proto::Permission AnswerPermission(bool granted) {
    if (!answer_)
      return proto::PERMISSION_UNSPECIFIED;
    const proto::Permission permission = permission_.front();
    Answer answer = std::move(answer_);
    answer_ = nullptr;
    permission_.clear();
    answer(granted);
    return permission;
  }
  bool open() const { return terms_ || answer_; }
  proto::Permission open_permission() const {
    return answer_ ? permission_.front() : proto::PERMISSION_UNSPECIFIED;
  }
  bool AnswerTerms(bool accept) {
    if (!terms_)
      return false;
    Answer answer = std::move(terms_);
    terms_ = nullptr;
    answer(accept);
    return true;
  }

 private:
  Answer terms_;
  Answer answer_;
  std::vector<proto::Permission> permission_;
};

// What the customer's answers allow, kept apart from the policy: an upper
// bound of what the policy may do (never less strict than the customer).
struct Oracle {
  bool ended = false;
  bool control = false;
  bool view = false;
  std::set<uint32_t> files_allowed_any;  // a "yes" to a SEND_FILE prompt
  int send_file_yes = 0;
};

class Actions final : public PolicyActions {
 public:
  Actions(Oracle& oracle, const Consent& consent)
      : oracle_(oracle), consent_(consent) {}

  void Send(proto::PeerMessage) override {}
  Result<std::string> DescribeView(const proto::ViewTarget& target) override {
    if (target.has_monitor_index() && target.monitor_index() > 2)
      return MakeError("no such monitor");
    return std::string("a view");
  }
  void StartView(const proto::ViewTarget&) override {
    Check(!oracle_.ended && oracle_.view);
  }
  void StopView() override {}
  void SetControl(bool enabled) override {
    if (enabled)
      Check(!oracle_.ended && oracle_.control);
    gate_on_ = enabled;
  }
  void Inject(const proto::InputEvent&) override {
    // THE invariant.
    Check(!oracle_.ended);
    Check(oracle_.control);
    Check(gate_on_);
    Check(!consent_.open());  // the technician cannot click a prompt
    ++injected;
  }
  void PromptOpening() override {}
  void ShowChat(const std::string&) override {}
  void SetClipboard(const std::string&) override {}
  void GrantsChanged(const Grants&) override {}
  void FileFinished(const std::string&, bool, const std::string&) override {}
  void EndSession(proto::EndReason, const std::string&) override {
    oracle_.ended = true;
  }

  int injected = 0;

 private:
  Oracle& oracle_;
  const Consent& consent_;
  bool gate_on_ = false;
};

// Files in memory; writes are allowed only after as many "yes" answers.
class Files final : public protocol::FileSink {
 public:
  explicit Files(Oracle& oracle) : oracle_(oracle) {}
  std::string destination() const override { return "/nowhere"; }
  Result<void> Open(const protocol::IncomingFile& file) override {
    Check(!oracle_.ended);
    Check(opened_total_ < oracle_.send_file_yes);
    ++opened_total_;
    if (open_.contains(file.file_id) || open_.size() >= 4)
      return MakeError("busy");
    open_[file.file_id] = 0;
    return {};
  }
  Result<void> Write(uint32_t id, uint64_t offset, ByteSpan data) override {
    Check(!oracle_.ended);
    auto it = open_.find(id);
    Check(it != open_.end());  // the policy only writes what it opened
    if (offset != it->second) {
      open_.erase(it);
      return MakeError("out of order");
    }
    it->second += data.size();
    return {};
  }
  Result<std::string> Finish(uint32_t id) override {
    Check(open_.erase(id) == 1);
    return std::string("/nowhere/file");
  }
  void Discard(uint32_t id) override { open_.erase(id); }
  void DiscardAll() override { open_.clear(); }
  bool IsOpen(uint32_t id) const override { return open_.contains(id); }

 private:
  Oracle& oracle_;
  std::map<uint32_t, uint64_t> open_;
  int opened_total_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One log line per refusal kind and session is right for the app and
  // only noise here.
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  test::ManualClock clock;
  Consent consent;
  Oracle oracle;
  Actions actions(oracle, consent);
  Files files(oracle);
  PolicyLimits limits;
  limits.max_file_size = 1 << 20;
  CustomerPolicy policy(clock, consent, actions, &files, limits);
  policy.OnRelayHello("Org", "Terms.");
  policy.OnJoined("Tina", "Org");
  policy.OnSecured("123456");

  size_t at = 0;
  int operations = 0;
  while (at < size && operations++ < 4096) {
    const uint8_t op = data[at++] % 13;
    switch (op) {
      case 0: {
        if (at + 2 > size)
          return 0;
        const size_t length = (size_t{data[at]} << 8) | data[at + 1];
        at += 2;
        const size_t take = std::min(length, size - at);
        proto::PeerMessage message;
        if (!message.ParseFromArray(data + at, static_cast<int>(take)))
          message.Clear();
        at += take;
        // Only what is certain to take control away lowers the bound.
        if (message.has_revoke() &&
            message.revoke().permission() == proto::PERMISSION_REMOTE_CONTROL) {
          oracle.control = false;
        }
        if (message.has_revoke() &&
            message.revoke().permission() == proto::PERMISSION_VIEW_SCREEN) {
          oracle.view = false;
        }
        policy.OnMessage(message);
        // A view switch in force means nobody drives this desktop.
        if (policy.grants().viewing_technician)
          Check(!policy.grants().control);
        break;
      }
      case 1:
      case 2: {
        const bool yes = op == 1;
        // The customer's word counts from the moment it is given.
        const proto::Permission permission = consent.open_permission();
        if (yes && !oracle.ended &&
            policy.phase() == CustomerPolicy::Phase::kActive) {
          if (permission == proto::PERMISSION_REMOTE_CONTROL)
            oracle.control = true;
          if (permission == proto::PERMISSION_VIEW_SCREEN)
            oracle.view = true;
          if (permission == proto::PERMISSION_SEND_FILE)
            ++oracle.send_file_yes;
        }
        consent.AnswerPermission(yes);
        break;
      }
      case 3:
      case 4:
        consent.AnswerTerms(op == 3);
        break;
      case 5:
        policy.Revoke(proto::PERMISSION_REMOTE_CONTROL);
        oracle.control = false;
        Check(!policy.grants().control);
        break;
      case 6:
        policy.EmergencyStop();
        oracle.ended = true;
        break;
      case 7:
        policy.OnEnded("ended");
        oracle.ended = true;
        break;
      case 8:
        policy.SendChat("hi");
        break;
      case 9:
        clock.Advance(std::chrono::seconds(10));
        policy.Tick();
        break;
      case 10:
        policy.ViewFailed(Error{"gone"});
        break;
      case 11:
        policy.ViewFailed(Error{"cancelled", Error::Kind::kDeclined});
        break;
      case 12:
        policy.ControlFailed(Error{"cancelled", Error::Kind::kDeclined});
        oracle.control = false;
        break;
    }
    if (policy.phase() == CustomerPolicy::Phase::kEnded)
      oracle.ended = true;
    // The policy is never more generous than the customer.
    if (policy.grants().control)
      Check(oracle.control && !oracle.ended);
    if (policy.grants().viewing)
      Check(oracle.view && !oracle.ended);
    Check(policy.queued_prompts() <= limits.max_queued_prompts);
  }
  return 0;
}
