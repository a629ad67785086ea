#pragma once

#include <cstddef>
#include <functional>

#include "relay/accounts/account_service.h"
#include "relay/accounts/authenticator.h"
#include "relay/server/worker_pool.h"

struct uv_loop_s;

namespace tether::relay {

// AccountService on libuv's thread pool: at most `max_concurrent` password
// checks run at once (each takes 64 MiB), more wait in a bounded queue, and
// beyond that a login is answered "busy" at once. Callbacks run on the loop
// thread. Create, use and destroy on the loop thread; the loop must keep
// running until every started check has called back (uv_run does so by
// itself: queued work keeps the loop alive).
class WorkerAccountService final : public AccountService {
 public:
  static constexpr size_t kMaxQueued = 256;

  WorkerAccountService(uv_loop_s* loop,
                       Authenticator& authenticator,
                       size_t max_concurrent);

  void Login(LoginRequest request,
             std::function<void(LoginOutcome)> done) override;
  void ChangePassword(std::string user_name,
                      std::string current_password,
                      std::string new_password,
                      std::string source_address,
                      std::function<void(PasswordChangeOutcome)> done) override;

  // Called on the loop, before `done`, for every failure counted for a name
  // with no account (LoginOutcome::unknown_name_key): the cluster tells the
  // other relays.
  void set_on_unknown_name(std::function<void(const std::string&)> call) {
    on_unknown_name_ = std::move(call);
  }

 private:
  Authenticator& authenticator_;
  std::function<void(const std::string&)> on_unknown_name_;
  WorkerPool pool_;
};

}  // namespace tether::relay
