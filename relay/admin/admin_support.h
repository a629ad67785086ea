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

// Reads a new password from standard input: one line (without its line
// end) when stdin is a pipe or file; at a terminal it prompts twice on
// stderr with echo off and requires both to match.
Result<std::string> ReadNewPassword(std::string_view user_name);

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
