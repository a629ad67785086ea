#pragma once

// What the admin subcommands share: who is acting, opening the store,
// reading or generating a password, parsing --since, writing --out files.
// Everything here runs in the short-lived CLI process, never in `serve`.

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/password_policy.h"
#include "relay/config/relay_config.h"
#include "relay/store/store.h"

namespace tether::relay::admin {

// Exit codes of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Prints "tether-relay: <message>" to stderr and returns kExitFailure.
int Fail(std::string_view message);

// The audit actor of this process: "cli:<unix user name>" (or
// "cli:uid<N>" when the user has no name).
std::string CliActor();

// Opens the store named by the config: its own SQLite connection, which
// works next to a running relay (WAL).
Result<std::unique_ptr<Store>> OpenStore(const RelayConfig& config);

// A user name an account may have: 1 to 64 of A-Z a-z 0-9 . _ - @,
// starting with a letter or digit; "system" is reserved for the relay's
// own audit rows. The error says what is wrong.
Result<void> ValidateUserName(std::string_view name);
// At most 128 bytes, no control characters.
Result<void> ValidateDisplayName(std::string_view name);

// Reads a new password from standard input: one line (without its line
// end) when stdin is a pipe or file; at a terminal it prompts twice on
// stderr with echo off and requires both to match.
Result<std::string> ReadNewPassword(std::string_view user_name);

// A random password a person can type: four groups of five characters
// from a 31-letter alphabet without look-alikes (about 99 bits), joined by
// '-', adjusted to and checked against `policy`.
Result<std::string> GeneratePassword(const crypto::PasswordPolicy& policy,
                                     std::string_view user_name);

// --since: "2026-11-01" (midnight UTC) or an ISO 8601 date and time
// "2026-11-01T08:30[:00[.123]]" with an optional "Z" or "+02:00"; a time
// without offset is UTC, like the times in every export.
Result<Clock::WallTime> ParseSince(std::string_view text);

// Runs `write` on standard output when `path` is empty, otherwise on the
// file at `path`, created or truncated with mode 0600 (exports name
// accounts and addresses).
Result<void> WriteOutput(
    const std::filesystem::path& path,
    const std::function<Result<void>(std::ostream&)>& write);

// Replaces control characters with '?', so a stored name cannot move the
// cursor or recolour an admin's terminal.
std::string PrintableText(std::string_view text);

}  // namespace tether::relay::admin
