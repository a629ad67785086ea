// Drives a real relay::Broker through in-memory links with a script read
// from the input: which client connects, sends which frame (raw bytes or a
// well-formed message built from a few bytes), when time moves, when links
// drain, stall or go away. Besides never crashing, checks that the broker
// forgets every link it was told about and never answers a link after it
// was closed.
//
// Input: a sequence of steps, each an op byte followed by its arguments
// (missing bytes read as 0):
//   op % 9 == 0  connect          [address] (>= 0xc0: handed over by
//                                  another relay of a cluster)
//            1  raw frame        [link] [len hi] [len lo] [len bytes]
//            2  message          [link] [kind] [arg]
//            3  advance + Tick   [seconds / 4]
//            4  disconnect       [link]
//            5  account answers  (none)
//            6  stall            [link]
//            7  drain            [link]
//            8  reap closed      (none)
// Session codes the relay hands out are remembered, so messages can use
// real ones (kind 4, 5 and 6 pick one with [arg]).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/log.h"
#include "crypto/random.h"
#include "protocol/relay.pb.h"
#include "relay/broker/broker.h"
#include "relay/store/store.h"
#include "relay/store/store_writer.h"
#include "tests/fakes/fake_account_service.h"
#include "tests/fakes/fake_client_link.h"
#include "tests/fakes/manual_clock.h"

namespace {

using namespace tether;
using tether::test::FakeClientLink;

constexpr size_t kMaxLinks = 8;
constexpr size_t kMaxRawFrame = 4096;
constexpr char kPassword[] = "correct horse battery staple";

// Keeps nothing: the broker's writes are not what is fuzzed here.
class NullStore final : public relay::Store {
 public:
  Result<relay::Account> CreateAccount(const relay::Account& a) override {
    return a;
  }
  Result<std::optional<relay::Account>> FindAccount(std::string_view) override {
    return std::optional<relay::Account>();
  }
  Result<relay::Account> ChangeAccount(int64_t, const AccountChange&) override {
    return MakeError("no accounts here");
  }
  Result<std::vector<relay::Account>> ListAccounts() override {
    return std::vector<relay::Account>();
  }
  Result<std::size_t> CountAdmins() override { return std::size_t{0}; }
  Result<std::vector<std::string>> PasswordHistory(int64_t,
                                                   std::size_t) override {
    return std::vector<std::string>();
  }
  Result<void> AppendRows(std::span<const relay::LogRow>) override {
    return {};
  }
  Result<std::size_t> PurgeEventsBefore(Clock::WallTime,
                                        std::string_view) override {
    return std::size_t{0};
  }
  Result<void> ExportEvents(const relay::RecordQuery&,
                            relay::ExportFormat,
                            std::ostream&) override {
    return {};
  }
  Result<relay::AuditRecord> AppendAudit(std::string_view,
                                         std::string_view,
                                         std::string_view,
                                         std::string_view) override {
    return relay::AuditRecord();
  }
  Result<relay::AuditVerification> VerifyAudit() override {
    return relay::AuditVerification();
  }
  Result<void> ExportAudit(const relay::RecordQuery&,
                           relay::ExportFormat,
                           std::ostream&) override {
    return {};
  }
  Result<void> Checkpoint() override { return {}; }
  Result<std::string> IntegrityCheck() override { return std::string("ok"); }
};

class Script {
 public:
  Script(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string Take(size_t n) {
    n = std::min(n, size_ - pos_);
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

const char* const kAddresses[] = {
    "192.0.2.1:40001",     "192.0.2.1:40002",
    "192.0.2.2:40001",     "[2001:db8::1]:40001",
    "[2001:db8::2]:40001", "[::ffff:192.0.2.1]:40003",
    "not an address",      ""};

class Harness {
 public:
  Harness(relay::StoreWriter& writer, crypto::RandomGenerator& random) {
    config_.limits.outbound_queue = 2048;  // backpressure within reach
    config_.limits.waiting_codes_per_technician = 2;
    accounts_.AddUser("alice", kPassword);
    accounts_.AddUser("audrey", kPassword, relay::AccountRole::kAuditor);
    accounts_.AddUser("newbie", kPassword, relay::AccountRole::kTechnician,
                      /*must_change_password=*/true);
    broker_ = std::make_unique<relay::Broker>(
        config_, clock_, accounts_, writer, rows_budget_, metrics_, random);
  }

  ~Harness() {
    accounts_.RunPending();
    broker_->Shutdown();
    for (auto& link : links_)
      Disconnect(*link);
    if (broker_->clients() != 0)
      std::abort();  // a link was never forgotten
    accounts_.DropPending();
    broker_.reset();
  }

  void Run(Script& script) {
    while (!script.done()) {
      Step(script);
      Harvest();
    }
  }

 private:
  FakeClientLink* Pick(uint8_t index) {
    if (links_.empty())
      return nullptr;
    FakeClientLink* link = links_[index % links_.size()].get();
    return link->disconnected ? nullptr : link;
  }

  void Disconnect(FakeClientLink& link) {
    if (link.disconnected)
      return;
    link.disconnected = true;
    broker_->OnDisconnected(link, "gone");
  }

  void Deliver(FakeClientLink& link, const std::string& payload) {
    // The server delivers nothing once a link is closing.
    if (link.closed())
      return;
    link.CountReceived(payload.size() + FakeClientLink::kFrameHeader);
    broker_->OnFrame(link, AsBytes(payload));
  }

  std::string Code(uint8_t arg) const {
    if (codes_.empty() || arg == 0xff)
      return "0000 0000";
    return codes_[arg % codes_.size()];
  }

  proto::ClientMessage Build(uint8_t kind, uint8_t arg) {
    proto::ClientMessage m;
    switch (kind % 10) {
      case 0:
      case 1:
        m.mutable_hello()->set_protocol_version(
            arg == 0xff
                ? 99u
                : static_cast<uint32_t>(proto::PROTOCOL_VERSION_CURRENT));
        m.mutable_hello()->set_role(kind % 10 == 0 ? proto::ROLE_SUPPORTER
                                                   : proto::ROLE_CUSTOMER);
        break;
      case 2: {
        static const char* const kUsers[] = {"alice", "audrey", "newbie",
                                             "mallory"};
        m.mutable_login()->set_user(kUsers[arg % 4]);
        m.mutable_login()->set_password(arg & 0x80 ? "wrong" : kPassword);
        break;
      }
      case 3:
        if (arg & 1) {
          m.mutable_change_password()->set_current_password(kPassword);
          m.mutable_change_password()->set_new_password(
              arg & 2 ? "short" : "a fresh long passphrase");
        } else {
          m.mutable_create_session();
        }
        break;
      case 4:
        m.mutable_cancel_session()->set_code(Code(arg));
        break;
      case 5:
        m.mutable_join()->set_code(Code(arg));
        m.mutable_join()->set_host_name(std::string(arg % 80, '\x01'));
        m.mutable_join()->set_user_name("user");
        break;
      case 6:
        m.mutable_join_decision()->set_code(Code(arg >> 1));
        m.mutable_join_decision()->set_accept(arg & 1);
        break;
      case 7:
        m.mutable_relayed()->set_data(std::string(size_t{arg} * 64, 'r'));
        break;
      case 8:
        m.mutable_heartbeat()->set_sent_at_unix_ms(arg);
        break;
      case 9:
        m.mutable_end()->set_reason(static_cast<proto::EndReason>(arg % 10));
        break;
    }
    return m;
  }

  void Step(Script& script) {
    const uint8_t op = script.Next() % 9;
    switch (op) {
      case 0: {
        const uint8_t address = script.Next();
        if (links_.size() >= kMaxLinks)
          return;
        links_.push_back(std::make_unique<FakeClientLink>(
            kAddresses[address % std::size(kAddresses)]));
        // Every fourth address byte plays a customer another relay of the
        // cluster handed over (already greeted).
        broker_->OnConnected(*links_.back(), address >= 0xc0 ? "relay2" : "");
        return;
      }
      case 1: {
        FakeClientLink* link = Pick(script.Next());
        size_t length = size_t{script.Next()} << 8;
        length |= script.Next();
        const std::string payload = script.Take(std::min(length, kMaxRawFrame));
        if (link)
          Deliver(*link, payload);
        return;
      }
      case 2: {
        FakeClientLink* link = Pick(script.Next());
        const uint8_t kind = script.Next();
        const uint8_t arg = script.Next();
        if (link)
          Deliver(*link, Build(kind, arg).SerializeAsString());
        return;
      }
      case 3:
        clock_.Advance(std::chrono::seconds(size_t{script.Next()} * 4));
        broker_->Tick();
        return;
      case 4:
        if (FakeClientLink* link = Pick(script.Next()))
          Disconnect(*link);
        return;
      case 5:
        accounts_.RunPending();
        return;
      case 6:
        if (FakeClientLink* link = Pick(script.Next()))
          link->set_stalled(true);
        return;
      case 7:
        if (FakeClientLink* link = Pick(script.Next())) {
          link->set_stalled(false);
          link->Drain();
          if (!link->closed())
            broker_->OnDrained(*link);
        }
        return;
      case 8:
        for (auto& link : links_) {
          if (link->closed())
            Disconnect(*link);
        }
        return;
    }
  }

  // Remembers codes, checks nothing was sent after the End, forgets the
  // messages.
  void Harvest() {
    for (auto& link : links_) {
      bool ended = false;
      for (const auto& m : link->sent()) {
        if (ended)
          std::abort();  // a message after End
        if (m.has_session_created() && codes_.size() < 16) {
          codes_.push_back(m.session_created().code());
        }
        ended = m.has_end();
      }
      if (ended && !link->closed())
        std::abort();  // End without closing
      link->Take();
    }
  }

  test::ManualClock clock_;
  relay::RelayConfig config_;
  test::FakeAccountService accounts_;
  relay::RelayMetrics metrics_;
  relay::SourceRowBudget rows_budget_{20, std::chrono::seconds(600), clock_};
  std::vector<std::unique_ptr<FakeClientLink>> links_;
  std::vector<std::string> codes_;
  std::unique_ptr<relay::Broker> broker_;  // last: goes first
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool logging_off = [] {
    log::Init("broker_fuzzer", log::Level::kOff);
    return true;
  }();
  static NullStore store;
  static relay::StoreWriter writer(store);
  static_cast<void>(logging_off);
  if (size > 1 << 16)
    return 0;
  Script script(data, size);
  Harness harness(writer, crypto::RandomGenerator::Default());
  harness.Run(script);
  return 0;
}
