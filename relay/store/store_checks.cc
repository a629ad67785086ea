#include "relay/store/store_checks.h"

#include <string>
#include <string_view>
#include <variant>

#include "relay/store/audit_chain.h"
#include "relay/store/record_writer.h"

namespace tether::relay {

namespace {

bool IsEnabledAdmin(const Account& account) {
  return account.role == AccountRole::kAdmin && !account.disabled;
}

// Why `row` cannot be stored, or empty when it can.
std::string RowProblem(const LogRow& row) {
  if (const auto* event = std::get_if<ConnectionEvent>(&row)) {
    // "unknown": the connection finished TLS but never said Hello.
    if (event->role != "supporter" && event->role != "customer" &&
        event->role != "unknown") {
      return "connection event with unknown role '" + event->role + "'";
    }
    return "";
  }
  const auto& audit = std::get<AuditEntry>(row);
  for (std::string_view field :
       {audit.actor, audit.action, audit.subject, audit.detail}) {
    if (field.size() > kMaxAuditFieldBytes) {
      return "audit field longer than " + std::to_string(kMaxAuditFieldBytes) +
             " bytes";
    }
  }
  if (audit.action.empty())
    return "audit row without an action";
  return "";
}

}  // namespace

Result<void> CheckAccount(const Account& account) {
  if (account.user_name.empty())
    return MakeError("an account needs a name");
  if (account.password_hash.empty()) {
    return MakeError("account '" + account.user_name +
                     "' needs a password hash");
  }
  return {};
}

Result<void> CheckRows(std::span<const LogRow> rows) {
  for (const LogRow& row : rows) {
    if (std::string problem = RowProblem(row); !problem.empty())
      return MakeError(problem);
  }
  return {};
}

bool RemovesAnAdmin(const Account& before, const Account& after) {
  return IsEnabledAdmin(before) && !IsEnabledAdmin(after);
}

Unexpected<Error> LastAdminError(const Account& before) {
  return MakeError("'" + before.user_name +
                   "' is the last enabled admin; add or enable another "
                   "admin first");
}

bool IsNewPassword(const Account& before, const Account& after) {
  return after.password_hash != before.password_hash &&
         after.password_changed_at != before.password_changed_at;
}

AuditEntry PurgeAuditEntry(std::string_view actor,
                           std::size_t deleted,
                           Clock::WallTime cutoff) {
  return AuditEntry{std::string(actor), "events.purge", "connection_events",
                    "deleted " + std::to_string(deleted) +
                        " events started before " + FormatIsoUtc(cutoff)};
}

}  // namespace tether::relay
