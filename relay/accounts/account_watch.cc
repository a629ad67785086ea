#include "relay/accounts/account_watch.h"

#include <utility>

#include "base/log.h"

namespace tether::relay {

bool SignInStillAllowed(const std::vector<Account>& accounts,
                        std::string_view user,
                        AccountRole role,
                        Clock::WallTime password_changed_at) {
  for (const Account& account : accounts) {
    if (account.user_name != user)
      continue;
    return !account.disabled && account.role == role &&
           account.password_changed_at == password_changed_at;
  }
  return false;  // no such account any more
}

AccountWatch::AccountWatch(uv_loop_s* loop,
                           Store& store,
                           std::function<bool()> anyone_signed_in,
                           Check check)
    : store_(store),
      anyone_signed_in_(std::move(anyone_signed_in)),
      check_(std::move(check)),
      pool_(loop, /*max_running=*/1, /*max_queued=*/1) {}

AccountWatch::~AccountWatch() = default;

void AccountWatch::Tick() {
  if (++ticks_ >= kEveryTicks)
    Read();
}

void AccountWatch::CheckNow() {
  if (reading_) {
    again_ = true;  // that read may have started before the change
    return;
  }
  Read();
}

void AccountWatch::Read() {
  if (reading_ || !anyone_signed_in_())
    return;
  ticks_ = 0;
  reading_ = true;
  auto accounts =
      std::make_shared<Result<std::vector<Account>>>(MakeError("not read"));
  const bool posted = pool_.Post(
      // The store outlives the loop; this object may not outlive the read.
      [store = &store_, accounts] { *accounts = store->ListAccounts(); },
      // Never runs once the pool (a member) is gone.
      [this, accounts] {
        reading_ = false;
        if (std::exchange(again_, false))
          Read();
        if (!*accounts) {
          // PostgreSQL out of reach: sign-ins stay as they are until the
          // next read succeeds.
          log::Warn("cannot check the signed-in accounts: {}",
                    accounts->error().message);
          return;
        }
        check_(**accounts);
      });
  if (!posted)
    reading_ = false;
}

}  // namespace tether::relay
