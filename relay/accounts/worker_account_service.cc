#include "relay/accounts/worker_account_service.h"

#include <memory>
#include <utility>

namespace tether::relay {

WorkerAccountService::WorkerAccountService(uv_loop_s* loop,
                                           Authenticator& authenticator,
                                           size_t max_concurrent)
    : authenticator_(authenticator), pool_(loop, max_concurrent, kMaxQueued) {}

void WorkerAccountService::Login(LoginRequest request,
                                 std::function<void(LoginOutcome)> done) {
  auto outcome = std::make_shared<LoginOutcome>();
  auto work = [this, request = std::move(request), outcome] {
    *outcome = authenticator_.Login(request);
  };
  auto finished = [this, done, outcome] {
    if (!outcome->unknown_name_key.empty() && on_unknown_name_)
      on_unknown_name_(outcome->unknown_name_key);
    done(*outcome);
  };
  if (!pool_.Post(std::move(work), std::move(finished))) {
    LoginOutcome busy;
    busy.status = LoginOutcome::Status::kBusy;
    busy.retry_after_seconds = 5;
    busy.message = "The relay is busy signing in others. Try again shortly.";
    done(busy);
  }
}

void WorkerAccountService::ChangePassword(
    std::string user_name,
    std::string current_password,
    std::string new_password,
    std::string source_address,
    std::function<void(PasswordChangeOutcome)> done) {
  auto outcome = std::make_shared<PasswordChangeOutcome>();
  auto work = [this, user_name = std::move(user_name),
               current = std::move(current_password),
               next = std::move(new_password),
               source = std::move(source_address), outcome] {
    *outcome = authenticator_.ChangePassword(user_name, current, next, source);
  };
  if (!pool_.Post(std::move(work), [done, outcome] { done(*outcome); })) {
    PasswordChangeOutcome busy;
    busy.message = "The relay is busy. Try again shortly.";
    done(busy);
  }
}

}  // namespace tether::relay
