#pragma once

// The rules every Store backend applies the same way, so SQLite and
// PostgreSQL refuse the same rows and accounts with the same words.

#include <cstddef>
#include <span>
#include <string_view>

#include "base/result.h"
#include "relay/store/store.h"

namespace tether::relay {

// An account needs a name and a password hash.
Result<void> CheckAccount(const Account& account);

// Every row must be storable before any is written: a known role, an
// action, no audit field past kMaxAuditFieldBytes.
Result<void> CheckRows(std::span<const LogRow> rows);

// ChangeAccount's last-admin rule: turning `before` into `after` takes an
// enabled admin away, so the store must count the enabled admins (under
// its write lock) and refuse when `before` is the last one.
bool RemovesAnAdmin(const Account& before, const Account& after);
Unexpected<Error> LastAdminError(const Account& before);

// A new password moves password_changed_at; a login that only upgrades the
// hash of the same password does not, and adds no password history.
bool IsNewPassword(const Account& before, const Account& after);

// The audit row PurgeEventsBefore appends with the deletion.
AuditEntry PurgeAuditEntry(std::string_view actor,
                           std::size_t deleted,
                           Clock::WallTime cutoff);

}  // namespace tether::relay
