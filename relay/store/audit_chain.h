#pragma once

// The audit log's hash chain, independent of where rows are stored, so an
// auditor can re-check an export with their own code:
//
//   hash(row) = SHA-256(prev_hash ‖ encoding(row))
//   prev_hash of row 1 = 32 zero bytes; of row n = hash(row n-1)
//   encoding(row) = i64(id) ‖ i64(time) ‖ str(actor) ‖ str(action)
//                   ‖ str(subject) ‖ str(detail)
//   i64(x) = x as 8 bytes, big-endian two's complement
//   time   = milliseconds since the Unix epoch (UTC)
//   str(s) = u32(byte length of s), big-endian ‖ the bytes of s (UTF-8)
//
// Length prefixes make the encoding unambiguous: no two different rows
// encode to the same bytes ("ab","c" vs "a","bc").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "crypto/digest.h"
#include "relay/store/store.h"

namespace tether::relay {

// Longest actor, action, subject or detail the store accepts; well inside
// the u32 length prefix, and long enough for any honest detail text.
inline constexpr std::size_t kMaxAuditFieldBytes = 64 * 1024;

// The row's canonical encoding (above). `time` is floored to milliseconds;
// prev_hash and hash are not part of it.
Bytes EncodeAuditRow(const AuditRecord& row);

crypto::Sha256Digest AuditRowHash(ByteSpan prev_hash, const AuditRecord& row);

// The genesis link: 32 zero bytes.
inline crypto::Sha256Digest AuditGenesisHash() {
  return {};
}

// What VerifyAudit says of an intact chain whose append-only guard (the
// triggers refusing UPDATE and DELETE) is gone.
inline constexpr std::string_view kAuditGuardMissing =
    "the audit log's append-only triggers were removed or disabled";

// The log's last row as a store reads it under its write lock.
struct AuditChainEnd {
  int64_t id = 0;
  std::string hash;  // hex
};

// The row that follows `last` (none: the log is empty), at the entry's own
// time or else `now`: id, prev_hash and hash filled in. Refuses to chain onto a
// damaged hash, which would hide the damage.
Result<AuditRecord> ChainAuditRow(const std::optional<AuditChainEnd>& last,
                                  const AuditEntry& entry,
                                  Clock::WallTime now);

// Checks the rows of a log in id order, as every store's VerifyAudit reads
// them, and says what the first bad one is (missing, out of sequence,
// broken link, changed after it was written).
class AuditChainWalk {
 public:
  // False once a row was bad; result() then says why.
  bool Next(const AuditRecord& row);
  // After the last row: `highest_id_ever` is the highest id the store ever
  // gave (rows cut off the end show up against it), `guard_problem` what is
  // wrong with the store's append-only guard (empty: it is in place). Also
  // valid after Next() returned false.
  AuditVerification Finish(int64_t highest_id_ever,
                           std::string_view guard_problem);

 private:
  bool Bad(int64_t id, std::string problem);

  std::size_t checked_ = 0;
  int64_t expected_id_ = 1;
  crypto::Sha256Digest prev_ = AuditGenesisHash();
  std::optional<AuditVerification> bad_;
};

}  // namespace tether::relay
