#pragma once

// A SupporterSession that records what the UI asked of it, for the
// supporter UI tests and the screenshot tool. It connects to nothing; the
// test plays the core's part by calling the observer it was given.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "supporter-app/core/supporter_session.h"

namespace tether::test {

class FakeSupporterSession : public supporter::SupporterSession {
 public:
  struct SignInCall {
    std::string user, password, totp;
  };

  // What the app passed to the factory.
  supporter::SupporterSession::Options options;
  supporter::SupporterSession::Observer* observer = nullptr;

  std::vector<SignInCall> sign_ins;
  std::vector<std::pair<std::string, std::string>> password_changes;
  int sign_outs = 0;
  int new_sessions = 0;
  int cancels = 0;
  int accepts = 0;
  int rejects = 0;
  std::vector<proto::ViewTarget> view_requests;
  int control_requests = 0;
  int clipboard_requests = 0;
  int view_switch_requests = 0;
  std::vector<bool> show_my_screen;  // ShowMyScreen calls, in order
  std::vector<std::filesystem::path> files;
  std::vector<uint32_t> cancelled_files;
  std::vector<std::string> chats;
  std::vector<std::string> clipboards;
  std::vector<proto::InputEvent> inputs;
  int give_backs = 0;
  std::vector<bool> record_next;
  int ends = 0;
  supporter::CustomerGrants current_grants;
  std::filesystem::path protocol_file =
      "/home/alex/Documents/Tether sessions/2024-05-02 10.41 sam-laptop.jsonl";
  // SendFile fails with this message when set.
  std::string send_file_error;
  uint32_t next_file_id = 1;

  void SignIn(std::string user,
              std::string password,
              std::string totp) override {
    sign_ins.push_back({std::move(user), std::move(password), std::move(totp)});
  }
  void ChangePassword(std::string current, std::string next) override {
    password_changes.emplace_back(std::move(current), std::move(next));
  }
  void SignOut() override { ++sign_outs; }
  void NewSession() override { ++new_sessions; }
  void CancelCode() override { ++cancels; }
  void Accept() override { ++accepts; }
  void Reject() override { ++rejects; }
  void RequestView(const proto::ViewTarget& target) override {
    view_requests.push_back(target);
  }
  void RequestControl() override { ++control_requests; }
  void RequestClipboard() override { ++clipboard_requests; }
  void RequestViewSwitch() override { ++view_switch_requests; }
  void ShowMyScreen(bool on) override { show_my_screen.push_back(on); }
  Result<uint32_t> SendFile(const std::filesystem::path& path) override {
    files.push_back(path);
    if (!send_file_error.empty())
      return MakeError(send_file_error);
    return next_file_id++;
  }
  void CancelFile(uint32_t file_id) override {
    cancelled_files.push_back(file_id);
  }
  // Files from the customer the UI accepted or declined.
  std::vector<uint32_t> accepted_files;
  std::vector<uint32_t> declined_files;
  void AcceptFile(uint32_t file_id) override {
    accepted_files.push_back(file_id);
  }
  void DeclineFile(uint32_t file_id) override {
    declined_files.push_back(file_id);
  }
  void SendChat(std::string text) override { chats.push_back(std::move(text)); }
  void SendClipboard(std::string text) override {
    clipboards.push_back(std::move(text));
  }
  void SendInput(proto::InputEvent event) override {
    inputs.push_back(std::move(event));
  }
  void GiveBackControl() override { ++give_backs; }
  void RecordNextSession(bool on) override { record_next.push_back(on); }
  void End() override { ++ends; }
  supporter::CustomerGrants grants() const override { return current_grants; }
  std::filesystem::path session_log_path() const override {
    return protocol_file;
  }
};

// A factory for SupporterApp::Options::start_session that hands out a new
// fake per call and remembers what it was given. `*slot` points at the
// newest fake.
inline auto FakeSupporterSessionFactory(FakeSupporterSession** slot,
                                        int* starts) {
  return [slot, starts](supporter::SupporterSession::Options options,
                        supporter::SupporterSession::Observer* observer)
             -> Result<std::unique_ptr<supporter::SupporterSession>> {
    auto fake = std::make_unique<FakeSupporterSession>();
    fake->options = std::move(options);
    fake->observer = observer;
    *slot = fake.get();
    ++*starts;
    return std::unique_ptr<supporter::SupporterSession>(std::move(fake));
  };
}

}  // namespace tether::test
