#pragma once

// Who is signed in, checked against the accounts as stored, by anyone's
// change: this relay's web console, the admin CLI, or another relay on the
// same PostgreSQL store. A sign-in whose account was disabled, removed,
// given another role or a new password since it signed in ends, in the
// web console and in the technicians' apps alike.

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "relay/server/worker_pool.h"
#include "relay/store/store.h"

struct uv_loop_s;

namespace tether::relay {

// True while the account `user` still lets a sign-in go on that was made
// with `role` when its password had been changed at `password_changed_at`
// (compared for equality: relays' clocks need not agree).
bool SignInStillAllowed(const std::vector<Account>& accounts,
                        std::string_view user,
                        AccountRole role,
                        Clock::WallTime password_changed_at);

// Asked of each sign-in: may it go on? (SignInStillAllowed over the
// accounts just read.)
using SignInCheck = std::function<bool(std::string_view user,
                                       AccountRole role,
                                       Clock::WallTime password_changed_at)>;

// Loop thread only. Reads the accounts on a worker thread (never on the
// loop) every kEveryTicks ticks, while anyone is signed in, and hands them
// to `check` on the loop.
class AccountWatch {
 public:
  static constexpr int kEveryTicks = 5;  // relay ticks are 1 s

  using Check = std::function<void(const std::vector<Account>&)>;
  AccountWatch(uv_loop_s* loop,
               Store& store,
               std::function<bool()> anyone_signed_in,
               Check check);
  ~AccountWatch();
  AccountWatch(const AccountWatch&) = delete;
  AccountWatch& operator=(const AccountWatch&) = delete;

  void Tick();
  // Reads now rather than at the next turn (an account was just changed,
  // here or on another relay); again after a read already under way.
  void CheckNow();

 private:
  void Read();

  Store& store_;
  std::function<bool()> anyone_signed_in_;
  Check check_;
  WorkerPool pool_;  // one read at a time
  int ticks_ = 0;
  bool reading_ = false;
  bool again_ = false;  // CheckNow() during a read: one more after it
};

}  // namespace tether::relay
