#pragma once

// The session codes waiting for a customer: issued to a signed-in
// technician, claimed by at most one joining customer at a time, gone once
// paired, refused, cancelled or expired. The broker decides when; the book
// keeps them.
//
// Keyed by Tag(code), an HMAC under a key fresh per relay process (or, in a
// cluster, the key all its relays share: relay/cluster/cluster.h), never by
// the code: lookup time then says nothing about how close a guess came, and
// the code itself is kept only to be sent back in JoinRequest (never
// logged). Loop thread only.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "crypto/session_code.h"

namespace tether::relay {

class SessionCodeBook {
 public:
  struct Entry {
    std::string code;  // sent back in JoinRequest; never logged
    uint64_t supporter_id = 0;
    std::string account;
    Clock::SteadyTime expires{};
    uint64_t joiner_id = 0;  // a customer the technician has not answered yet
  };
  struct Issued {
    std::string tag;
    std::string code;
  };

  // Tags are HMACs under `tag_key`; empty: a fresh random one. Aborts when
  // `random` gives nothing for it: no code could be issued either (a broken
  // host). `random` must outlive the book.
  explicit SessionCodeBook(crypto::RandomGenerator& random, Bytes tag_key = {});
  SessionCodeBook(const SessionCodeBook&) = delete;
  SessionCodeBook& operator=(const SessionCodeBook&) = delete;

  // Codes appear in logs and rows only as this (hex, 16 chars).
  std::string Tag(std::string_view code) const;

  // A fresh code for the technician's console `supporter_id`, unlike any
  // waiting one.
  Result<Issued> Issue(uint64_t supporter_id,
                       const std::string& account,
                       Clock::SteadyTime expires);
  // The waiting code `code` names (as typed: normalized first); nullptr for
  // a malformed or unknown code. `*tag` is set for every well-formed code,
  // known or not (another relay may hold it).
  Entry* Find(std::string_view code, std::string* tag);
  Entry* FindTag(const std::string& tag);
  bool Remove(const std::string& tag);

  // How many codes `account` has waiting, on any of its consoles.
  size_t CountFor(const std::string& account) const;
  // The tags of the codes issued to `supporter_id`.
  std::vector<std::string> TagsOf(uint64_t supporter_id) const;
  // The tags of the codes whose time is up at `now`.
  std::vector<std::string> ExpiredAt(Clock::SteadyTime now) const;
  // Every waiting code's tag and when it expires.
  std::vector<std::pair<std::string, Clock::SteadyTime>> Expiries() const;
  // Frees a code `joiner_id` had claimed: it may be typed again.
  void ReleaseJoiner(uint64_t joiner_id);

  size_t size() const { return codes_.size(); }

 private:
  crypto::SessionCodeGenerator generator_;
  Bytes tag_key_;                       // HMAC key for Tag
  std::map<std::string, Entry> codes_;  // by Tag(code)
};

}  // namespace tether::relay
