#pragma once

// A CustomerSession that records what the UI asked of it, for the customer
// UI tests and the screenshot tool. It starts nothing; the test plays the
// session's part by calling the observer it was given.

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "customer-app/core/customer_session.h"

namespace tether::test {

class FakeCustomerSession : public customer::CustomerSession {
 public:
  // What the app passed to the factory.
  customer::CustomerSession::Options options;
  customer::ConsentProvider* consent = nullptr;
  customer::CustomerSession::Observer* observer = nullptr;

  std::atomic<int> emergency_stops{0};
  int revokes = 0;
  int ends = 0;
  std::vector<std::string> chats;
  customer::Grants current_grants;
  std::vector<customer::ReceiptEntry> receipt_entries;
  bool fail_save = false;
  bool hotkey = false;
  mutable std::vector<std::string> saved_paths;

  void EmergencyStop() override { ++emergency_stops; }
  void RevokeControl() override { ++revokes; }
  int view_switch_revokes = 0;
  void RevokeViewSwitch() override { ++view_switch_revokes; }
  void SendChat(std::string text) override { chats.push_back(std::move(text)); }
  void End() override { ++ends; }
  // Files the UI asked to send, and ids it asked to cancel.
  std::vector<std::string> sent_paths;
  std::vector<uint32_t> cancelled_files;
  Result<uint32_t> SendFile(const std::string& path) override {
    sent_paths.push_back(path);
    return static_cast<uint32_t>(0x80000000u + sent_paths.size());
  }
  void CancelFile(uint32_t file_id) override {
    cancelled_files.push_back(file_id);
  }
  customer::Grants grants() const override { return current_grants; }
  std::vector<customer::ReceiptEntry> receipt() const override {
    return receipt_entries;
  }
  bool stop_hotkey_active() const override { return hotkey; }
  Result<void> SaveReceipt(const std::string& path) const override {
    saved_paths.push_back(path);
    if (fail_save)
      return MakeError("cannot write " + path);
    std::ofstream out(path);
    for (const auto& entry : receipt_entries)
      out << entry.text << "\n";
    if (!out)
      return MakeError("cannot write " + path);
    return {};
  }
};

// A factory for CustomerApp::Options::start_session that hands out `fake`
// (once) and remembers what it was given. `*slot` points at the live fake.
inline auto FakeSessionFactory(FakeCustomerSession** slot, int* starts) {
  return [slot, starts](customer::CustomerSession::Options options,
                        customer::ConsentProvider* consent,
                        customer::CustomerSession::Observer* observer)
             -> Result<std::unique_ptr<customer::CustomerSession>> {
    auto fake = std::make_unique<FakeCustomerSession>();
    fake->options = std::move(options);
    fake->consent = consent;
    fake->observer = observer;
    *slot = fake.get();
    ++*starts;
    return std::unique_ptr<customer::CustomerSession>(std::move(fake));
  };
}

}  // namespace tether::test
