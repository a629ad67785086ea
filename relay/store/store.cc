#include "relay/store/store.h"

#include <cstdlib>

namespace tether::relay {

std::string_view ToString(AccountRole role) {
  switch (role) {
    case AccountRole::kAdmin:
      return "admin";
    case AccountRole::kTechnician:
      return "technician";
    case AccountRole::kAuditor:
      return "auditor";
  }
  std::abort();  // not a value of the enum: a bug
}

Result<AccountRole> ParseAccountRole(std::string_view name) {
  for (auto role :
       {AccountRole::kAdmin, AccountRole::kTechnician, AccountRole::kAuditor}) {
    if (name == ToString(role))
      return role;
  }
  return MakeError("unknown role '" + std::string(name) +
                   "' (admin, technician or auditor)");
}

std::string_view ToString(ExportFormat format) {
  return format == ExportFormat::kCsv ? "csv" : "jsonl";
}

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "csv")
    return ExportFormat::kCsv;
  if (name == "jsonl")
    return ExportFormat::kJsonLines;
  return MakeError("unknown export format '" + std::string(name) +
                   "' (csv or jsonl)");
}

}  // namespace tether::relay
