#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tether::crypto {

// Rules for technician passwords. The defaults follow NIST SP 800-63B:
// length over composition, a blocklist of common passwords, no forced
// rotation. The knobs older compliance rules ask for (character classes,
// history, expiry, idle lockout) exist but are off until IT turns them on.
struct PasswordPolicy {
  // Counted in Unicode code points. At least 8 (SP 800-63B).
  size_t min_length = 12;
  // SP 800-63B: verifiers should permit at least 64 characters, so a
  // smaller value is a configuration error. At most 1024.
  size_t max_length = 128;
  // Refuse common passwords, small variations of them ("Password123!",
  // "Summer2024!", "p@ssw0rd") and context words such as "tether".
  bool use_blocklist = true;
  // Legacy: how many of {lower case, upper case, digit, other} a password
  // needs, 0 to 4. Non-ASCII letters count as "other".
  int min_character_classes = 0;
  // Legacy: a new password may not equal any of the last `history` ones
  // (at most 24: each costs one argon2id run).
  uint32_t history = 0;
  // Legacy: enforced by the account store, carried here so all policy
  // lives in one place. 0 = off.
  uint32_t expiry_days = 0;
  uint32_t disable_after_idle_days = 0;
  // More passwords to refuse, e.g. read from a file named in the config.
  // Compared case-insensitively, like the built-in list.
  std::vector<std::string> extra_blocklist;
};

// Checks that the policy itself makes sense (a config error otherwise).
Result<void> Validate(const PasswordPolicy& policy);

// Whether `password` may become the password of `user_name`. The error
// message names the rule in plain language, for the person choosing the
// password, and never repeats the password.
// `previous_hashes`: the account's earlier PHC hashes, newest first; only
// the first `policy.history` are checked.
Result<void> CheckPassword(const PasswordPolicy& policy,
                           std::string_view password,
                           std::string_view user_name,
                           std::span<const std::string> previous_hashes);

}  // namespace tether::crypto
