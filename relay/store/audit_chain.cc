#include "relay/store/audit_chain.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include "relay/store/unix_millis.h"

namespace tether::relay {

namespace {

void AppendBigEndian(Bytes& out, uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(value >> shift));
  }
}

void AppendString(Bytes& out, std::string_view s) {
  // Longer fields are refused before they are stored (kMaxAuditFieldBytes);
  // a tampered row longer than 4 GiB would only fail to verify.
  AppendBigEndian(out, static_cast<uint32_t>(s.size()), 4);
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

Bytes EncodeAuditRow(const AuditRecord& row) {
  Bytes out;
  out.reserve(16 + 16 + row.actor.size() + row.action.size() +
              row.subject.size() + row.detail.size());
  AppendBigEndian(out, static_cast<uint64_t>(row.id), 8);
  AppendBigEndian(out, static_cast<uint64_t>(ToUnixMillis(row.time)), 8);
  AppendString(out, row.actor);
  AppendString(out, row.action);
  AppendString(out, row.subject);
  AppendString(out, row.detail);
  return out;
}

crypto::Sha256Digest AuditRowHash(ByteSpan prev_hash, const AuditRecord& row) {
  crypto::Sha256Hasher hasher;
  hasher.Update(prev_hash);
  hasher.Update(EncodeAuditRow(row));
  return hasher.Finish();
}

Result<AuditRecord> ChainAuditRow(const std::optional<AuditChainEnd>& last,
                                  const AuditEntry& entry,
                                  Clock::WallTime now) {
  AuditRecord record;
  crypto::Sha256Digest prev = AuditGenesisHash();
  record.id = 1;
  if (last) {
    record.id = last->id + 1;
    auto stored = FromHex(last->hash);
    if (!stored || stored->size() != prev.size()) {
      return MakeError("the last audit row (id " + std::to_string(last->id) +
                       ") has a damaged hash; run 'tether-relay audit verify'");
    }
    std::copy(stored->begin(), stored->end(), prev.begin());
  }
  record.time = FromUnixMillis(ToUnixMillis(entry.time.value_or(now)));
  record.actor = entry.actor;
  record.action = entry.action;
  record.subject = entry.subject;
  record.detail = entry.detail;
  record.prev_hash = ToHex(prev);
  record.hash = ToHex(AuditRowHash(prev, record));
  return record;
}

bool AuditChainWalk::Bad(int64_t id, std::string problem) {
  bad_ = AuditVerification{false, checked_, id, std::move(problem)};
  return false;
}

bool AuditChainWalk::Next(const AuditRecord& row) {
  if (bad_)
    return false;
  const std::string id = std::to_string(row.id);
  if (row.id > expected_id_) {
    return Bad(expected_id_, "row " + std::to_string(expected_id_) +
                                 " is missing (the next row is " + id + ")");
  }
  if (row.id < expected_id_)
    return Bad(row.id, "row id " + id + " is out of sequence");
  if (row.prev_hash != ToHex(prev_)) {
    return Bad(row.id,
               row.id == 1
                   ? "row 1: prev_hash is not the genesis value (broken link)"
                   : "row " + id +
                         ": prev_hash does not match the hash of row " +
                         std::to_string(row.id - 1) + " (broken link)");
  }
  auto hash = AuditRowHash(prev_, row);
  if (row.hash != ToHex(hash)) {
    return Bad(row.id, "row " + id +
                           ": hash mismatch (the row was changed after it was "
                           "written)");
  }
  prev_ = hash;
  ++checked_;
  ++expected_id_;
  return true;
}

AuditVerification AuditChainWalk::Finish(int64_t highest_id_ever,
                                         std::string_view guard_problem) {
  if (bad_)
    return *bad_;
  if (highest_id_ever >= expected_id_) {
    return AuditVerification{false, checked_, expected_id_,
                             "rows " + std::to_string(expected_id_) + " to " +
                                 std::to_string(highest_id_ever) +
                                 " are missing from the end of the log"};
  }
  // An intact chain without its guard is still a finding: someone with
  // write access removed it, and may be back.
  if (!guard_problem.empty()) {
    return AuditVerification{false, checked_, std::nullopt,
                             std::string(guard_problem)};
  }
  return AuditVerification{true, checked_, std::nullopt, ""};
}

}  // namespace tether::relay
