#include "relay/store/audit_chain.h"

#include <cstdint>
#include <string_view>

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

}  // namespace tether::relay
