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

#include "base/bytes.h"
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

}  // namespace tether::relay
