// Files from the customer to the technician, end to end through a real
// relay (supporter_fixture.h): the customer core offers its own file, the
// technician accepts or declines, and what is saved is complete, verified
// and inside the download folder, or nothing is. Hostile offers come from a
// raw customer engine that sends whatever the test wants.

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include "crypto/digest.h"
#include "protocol/file_sender.h"
#include "protocol/peer_session.h"
#include "tests/support/text_files.h"
#include "tests/supporter/supporter_fixture.h"

namespace tether::supporter::test {
namespace {

using namespace std::chrono_literals;
using State = FileTransfer::State;
using Sent = customer::SentFile::State;

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

std::vector<std::filesystem::path> Entries(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> entries;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error))
    entries.push_back(entry.path());
  return entries;
}

bool Active(const FileTransfer& transfer) {
  return transfer.state == State::kAsking || transfer.state == State::kSending;
}

// A customer app that is only an engine: joins, agrees, and then sends
// exactly what the test says, as a hostile customer app could.
class RawCustomer final : public protocol::PeerSession::Observer {
 public:
  Result<void> Start(const tether::test::RelayProcess& relay,
                     const std::string& code) {
    protocol::PeerSession::Options options;
    options.relay.host = "127.0.0.1";
    options.relay.port = relay.port();
    options.relay.fingerprint = relay.fingerprint();
    options.role = proto::ROLE_CUSTOMER;
    options.app_version = "raw-customer";
    options.code = code;
    options.host_name = "pc-666";
    options.user_name = "mallory";
    TETHER_TRY(started, protocol::PeerSession::Start(std::move(options), this));
    std::lock_guard lock(mutex_);
    engine_ = std::move(*started);
    return {};
  }
  // Outside the lock: the engine joins its thread, which may be waiting
  // for it.
  void Stop() {
    std::unique_ptr<protocol::PeerSession> engine;
    {
      std::lock_guard lock(mutex_);
      engine = std::move(engine_);
    }
  }

  bool Send(proto::PeerMessage message) {
    std::lock_guard lock(mutex_);
    return engine_ && engine_->Send(std::move(message));
  }
  std::vector<proto::PeerMessage> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

  // Network thread.
  void OnSecured(const std::string& /*sas*/) override {
    proto::PeerMessage agree;
    agree.mutable_terms_answer()->set_accepted(true);
    std::lock_guard lock(mutex_);
    if (engine_)
      engine_->Send(std::move(agree));
  }
  void OnMessage(proto::PeerMessage message) override {
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(message));
  }
  void OnEnded(const protocol::SessionEnd& /*end*/) override {}
  ~RawCustomer() override { Stop(); }

 private:
  std::mutex mutex_;
  std::vector<proto::PeerMessage> received_;
  std::unique_ptr<protocol::PeerSession> engine_;
};

class CustomerFileTest : public SupporterSessionTest {
 protected:
  // The customer core sends `path`; returns its file id.
  uint32_t CustomerSends(const std::filesystem::path& path) {
    auto id = runner_.RunSync([&] { return customer_->SendFile(path); });
    EXPECT_TRUE(id.has_value()) << id.error().message;
    return id ? *id : 0;
  }

  // The technician's row for `file_id` exists and is not `state`.
  bool RowPast(uint32_t file_id, State state) {
    auto it = seen_.transfers.find(file_id);
    return it != seen_.transfers.end() && it->second.state != state;
  }

  bool RowIs(uint32_t file_id, State state) {
    auto it = seen_.transfers.find(file_id);
    return it != seen_.transfers.end() && it->second.state == state;
  }

  std::optional<customer::SentFile> CustomerReport(uint32_t file_id) {
    auto files = customer_seen_.sent_files();
    auto it = files.find(file_id);
    if (it == files.end())
      return std::nullopt;
    return it->second;
  }

  std::vector<std::string> CustomerReceipt() {
    auto receipt = runner_.RunSync([&] { return customer_->receipt(); });
    std::vector<std::string> lines;
    for (const auto& entry : receipt)
      lines.push_back(entry.text);
    return lines;
  }
};

TEST_F(CustomerFileTest, AcceptedFileIsSavedWithTheOfferedHash) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  const auto source = WriteRandomFile(dir_ / "report.bin", 3 << 20);
  const uint32_t id = CustomerSends(source);
  ASSERT_TRUE(protocol::IsCustomerFileId(id));
  ASSERT_TRUE(Wait([&] { return RowIs(id, State::kAsking); }));
  EXPECT_EQ(seen_.transfers[id].direction,
            FileTransfer::Direction::kFromCustomer);
  EXPECT_EQ(seen_.transfers[id].name, "report.bin");
  EXPECT_EQ(seen_.transfers[id].size, 3u << 20);
  // Nothing is written before the technician says yes.
  EXPECT_TRUE(Entries(dir_ / "received").empty());

  supporter_->AcceptFile(id);
  ASSERT_TRUE(Wait([&] { return !Active(seen_.transfers[id]); }, 30s));
  const FileTransfer done = seen_.transfers[id];
  ASSERT_EQ(done.state, State::kDone) << done.message;
  EXPECT_EQ(std::filesystem::path(done.saved_path),
            dir_ / "received" / "report.bin");
  EXPECT_EQ(crypto::Sha256(AsBytes(ReadFile(done.saved_path))),
            crypto::Sha256(AsBytes(ReadFile(source))));
  // Only the file: no temporary file left beside it.
  EXPECT_EQ(Entries(dir_ / "received").size(), 1u);

  ASSERT_TRUE(Wait([&] {
    auto report = CustomerReport(id);
    return report && report->state == Sent::kDone;
  }));
  const auto receipt = CustomerReceipt();
  EXPECT_NE(std::find(receipt.begin(), receipt.end(),
                      "You sent \u201Creport.bin\u201D (3.1 MB) to the "
                      "technician."),
            receipt.end());

  // A second file of the same name does not replace the first.
  const uint32_t again = CustomerSends(source);
  ASSERT_TRUE(Wait([&] { return RowIs(again, State::kAsking); }));
  supporter_->AcceptFile(again);
  ASSERT_TRUE(Wait([&] { return !Active(seen_.transfers[again]); }, 30s));
  ASSERT_EQ(seen_.transfers[again].state, State::kDone)
      << seen_.transfers[again].message;
  EXPECT_EQ(std::filesystem::path(seen_.transfers[again].saved_path),
            dir_ / "received" / "report (1).bin");
}

TEST_F(CustomerFileTest, DeclinedFileWritesNothingAndTellsTheCustomer) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  const auto source = WriteRandomFile(dir_ / "photo.jpg", 64 * 1024);
  const uint32_t id = CustomerSends(source);
  ASSERT_TRUE(Wait([&] { return RowIs(id, State::kAsking); }));
  supporter_->DeclineFile(id);
  EXPECT_EQ(seen_.transfers[id].state, State::kRefused);
  ASSERT_TRUE(Wait([&] {
    auto report = CustomerReport(id);
    return report && report->state == Sent::kDeclined;
  }));
  EXPECT_TRUE(Entries(dir_ / "received").empty());
  // Accepting afterwards changes nothing.
  supporter_->AcceptFile(id);
  EXPECT_EQ(seen_.transfers[id].state, State::kRefused);
  EXPECT_TRUE(Entries(dir_ / "received").empty());
}

TEST_F(CustomerFileTest, CustomerCancelMidTransferLeavesNoFileAndNoTemp) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  const auto source = WriteRandomFile(dir_ / "big.iso", 48 << 20);
  const uint32_t id = CustomerSends(source);
  ASSERT_TRUE(Wait([&] { return RowIs(id, State::kAsking); }, 30s));
  supporter_->AcceptFile(id);
  ASSERT_TRUE(Wait([&] {
    return RowIs(id, State::kSending) && seen_.transfers[id].sent > 0;
  }));
  runner_.RunSync([&] { customer_->CancelFile(id); });
  ASSERT_TRUE(Wait([&] { return !Active(seen_.transfers[id]); }));
  EXPECT_EQ(seen_.transfers[id].state, State::kCancelled);
  EXPECT_TRUE(Entries(dir_ / "received").empty());
  auto report = CustomerReport(id);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->state, Sent::kCancelled);
}

TEST_F(CustomerFileTest, TechnicianCancelMidTransferLeavesNoFileAndNoTemp) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  const auto source = WriteRandomFile(dir_ / "big.iso", 48 << 20);
  const uint32_t id = CustomerSends(source);
  ASSERT_TRUE(Wait([&] { return RowIs(id, State::kAsking); }, 30s));
  supporter_->AcceptFile(id);
  ASSERT_TRUE(Wait([&] {
    return RowIs(id, State::kSending) && seen_.transfers[id].sent > 0;
  }));
  supporter_->CancelFile(id);
  EXPECT_EQ(seen_.transfers[id].state, State::kCancelled);
  EXPECT_TRUE(Entries(dir_ / "received").empty());
  ASSERT_TRUE(Wait([&] {
    auto report = CustomerReport(id);
    return report && report->state == Sent::kCancelled;
  }));
}

TEST_F(CustomerFileTest, SessionEndMidTransferLeavesNoFileAndNoTemp) {
  Agree();
  if (IsSkipped() || HasFatalFailure())
    return;
  const auto source = WriteRandomFile(dir_ / "big.iso", 48 << 20);
  const uint32_t id = CustomerSends(source);
  ASSERT_TRUE(Wait([&] { return RowIs(id, State::kAsking); }, 30s));
  supporter_->AcceptFile(id);
  ASSERT_TRUE(Wait([&] {
    return RowIs(id, State::kSending) && seen_.transfers[id].sent > 0;
  }));
  runner_.RunSync([&] { customer_->End(); });
  ASSERT_TRUE(Wait([&] { return seen_.ended.has_value(); }));
  EXPECT_EQ(seen_.transfers[id].state, State::kCancelled);
  EXPECT_TRUE(Entries(dir_ / "received").empty());
}

TEST_F(CustomerFileTest, HostileNamesFromACustomerLandInsideTheFolder) {
  StartDisplay();  // the fixture's session needs no display, but skips alike
  if (IsSkipped() || HasFatalFailure())
    return;
  SignInWithCode();
  if (HasFatalFailure())
    return;
  RawCustomer mallory;
  auto started = mallory.Start(*relay_, *seen_.code);
  ASSERT_TRUE(started.has_value()) << started.error().message;
  ASSERT_TRUE(Wait([&] { return !seen_.joins.empty(); }));
  supporter_->Accept();
  ASSERT_TRUE(Wait([&] { return seen_.agreed.has_value(); }));
  ASSERT_TRUE(*seen_.agreed);

  const std::string data = "not what it says it is";
  const crypto::Sha256Digest digest = crypto::Sha256(AsBytes(data));
  const std::vector<std::string> names = {"../x", "/etc/passwd", "CON"};
  uint32_t id = protocol::kCustomerFileIdBit;
  for (const std::string& name : names) {
    ++id;
    proto::PeerMessage offer;
    offer.mutable_file_offer()->set_file_id(id);
    offer.mutable_file_offer()->set_name(name);
    offer.mutable_file_offer()->set_size(data.size());
    offer.mutable_file_offer()->set_sha256(digest.data(), digest.size());
    ASSERT_TRUE(mallory.Send(std::move(offer)));
    ASSERT_TRUE(Wait([&] { return RowIs(id, State::kAsking); })) << name;
    const std::string shown = seen_.transfers[id].name;
    EXPECT_EQ(shown.find('/'), std::string::npos) << shown;
    EXPECT_NE(shown, "CON");
    supporter_->AcceptFile(id);
    ASSERT_TRUE(RowIs(id, State::kSending)) << seen_.transfers[id].message;
    proto::PeerMessage chunk;
    chunk.mutable_file_chunk()->set_file_id(id);
    chunk.mutable_file_chunk()->set_offset(0);
    chunk.mutable_file_chunk()->set_data(data);
    ASSERT_TRUE(mallory.Send(std::move(chunk)));
    proto::PeerMessage done;
    done.mutable_file_done()->set_file_id(id);
    ASSERT_TRUE(mallory.Send(std::move(done)));
    ASSERT_TRUE(Wait([&] { return !Active(seen_.transfers[id]); })) << name;
    const FileTransfer saved = seen_.transfers[id];
    ASSERT_EQ(saved.state, State::kDone) << name << ": " << saved.message;
    EXPECT_EQ(std::filesystem::path(saved.saved_path).parent_path(),
              dir_ / "received")
        << saved.saved_path;
    EXPECT_EQ(ReadFile(saved.saved_path), data);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x"));
  EXPECT_EQ(Entries(dir_ / "received").size(), names.size());

  // An offer in the technician's id space is refused, with no row.
  const size_t rows = seen_.transfers.size();
  proto::PeerMessage wrong;
  wrong.mutable_file_offer()->set_file_id(7);
  wrong.mutable_file_offer()->set_name("a.txt");
  wrong.mutable_file_offer()->set_size(data.size());
  wrong.mutable_file_offer()->set_sha256(digest.data(), digest.size());
  ASSERT_TRUE(mallory.Send(std::move(wrong)));
  ASSERT_TRUE(Wait([&] {
    for (const proto::PeerMessage& m : mallory.received()) {
      if (m.has_file_cancel() && m.file_cancel().file_id() == 7)
        return true;
    }
    return false;
  }));
  EXPECT_EQ(seen_.transfers.size(), rows);

  // A file whose bytes do not match the offered hash is not kept.
  ++id;
  proto::PeerMessage liar;
  liar.mutable_file_offer()->set_file_id(id);
  liar.mutable_file_offer()->set_name("invoice.pdf");
  liar.mutable_file_offer()->set_size(data.size());
  liar.mutable_file_offer()->set_sha256(digest.data(), digest.size());
  ASSERT_TRUE(mallory.Send(std::move(liar)));
  ASSERT_TRUE(Wait([&] { return RowIs(id, State::kAsking); }));
  supporter_->AcceptFile(id);
  proto::PeerMessage other;
  other.mutable_file_chunk()->set_file_id(id);
  other.mutable_file_chunk()->set_offset(0);
  other.mutable_file_chunk()->set_data(std::string(data.size(), 'x'));
  ASSERT_TRUE(mallory.Send(std::move(other)));
  proto::PeerMessage finish;
  finish.mutable_file_done()->set_file_id(id);
  ASSERT_TRUE(mallory.Send(std::move(finish)));
  ASSERT_TRUE(Wait([&] { return !Active(seen_.transfers[id]); }));
  EXPECT_EQ(seen_.transfers[id].state, State::kFailed);
  EXPECT_EQ(Entries(dir_ / "received").size(), names.size());

  supporter_->End();
  mallory.Stop();
}

}  // namespace
}  // namespace tether::supporter::test
