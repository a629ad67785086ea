#pragma once

// An in-memory relay::AccountService for broker unit tests and the broker
// fuzzer. Answers are queued, as the real service answers later from its
// worker threads, and delivered by RunPending() (on the test's thread, like
// the loop thread). No hashing, no throttling: the real Authenticator and
// WorkerAccountService have tests of their own.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "relay/accounts/account_service.h"

namespace tether::test {

class FakeAccountService final : public relay::AccountService {
 public:
  void AddUser(const std::string& name,
               const std::string& password,
               relay::AccountRole role = relay::AccountRole::kTechnician,
               bool must_change_password = false) {
    users_[name] = User{password, role, must_change_password};
  }

  // relay::AccountService:
  void Login(relay::LoginRequest request,
             std::function<void(relay::LoginOutcome)> done) override {
    ++logins_;
    relay::LoginOutcome outcome = Check(request.user_name, request.password);
    pending_.push_back([done = std::move(done), outcome] { done(outcome); });
  }

  void ChangePassword(
      std::string user_name,
      std::string current_password,
      std::string new_password,
      std::string /*source_address*/,
      std::function<void(relay::PasswordChangeOutcome)> done) override {
    relay::PasswordChangeOutcome outcome;
    auto it = users_.find(user_name);
    if (it == users_.end() || it->second.password != current_password) {
      outcome.message = "The current password is wrong.";
    } else if (new_password.size() < 12) {
      outcome.message = "Use at least 12 characters.";
    } else {
      it->second.password = new_password;
      it->second.must_change = false;
      outcome.ok = true;
      outcome.login = Check(user_name, new_password);
    }
    pending_.push_back(
        [done = std::move(done), outcome] { done(std::move(outcome)); });
  }

  // Delivers every queued answer, oldest first; returns how many.
  size_t RunPending() {
    size_t ran = 0;
    while (!pending_.empty()) {
      auto batch = std::exchange(pending_, {});
      for (auto& answer : batch) {
        answer();
        ++ran;
      }
    }
    return ran;
  }
  // Forgets queued answers, as a destroyed service never calls back.
  void DropPending() { pending_.clear(); }
  size_t pending() const { return pending_.size(); }
  int logins() const { return logins_; }

 private:
  struct User {
    std::string password;
    relay::AccountRole role;
    bool must_change;
  };

  relay::LoginOutcome Check(const std::string& name,
                            const std::string& password) const {
    relay::LoginOutcome outcome;
    auto it = users_.find(name);
    if (it == users_.end() || it->second.password != password) {
      outcome.status = relay::LoginOutcome::Status::kBadCredentials;
      outcome.message = "Wrong user name or password.";
      return outcome;
    }
    outcome.user_name = name;
    outcome.display_name = name + " (IT)";
    outcome.role = it->second.role;
    outcome.status = it->second.must_change
                         ? relay::LoginOutcome::Status::kPasswordChangeRequired
                         : relay::LoginOutcome::Status::kOk;
    return outcome;
  }

  std::map<std::string, User> users_;
  std::vector<std::function<void()>> pending_;
  int logins_ = 0;
};

}  // namespace tether::test
