#pragma once

// backup.command: the program IT names to copy each good backup off the
// machine (rsync, scp, a script of its own).

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace tether::relay {

// The command's words for one backup: "{backup}" replaced by `backup`, or,
// when no word is "{backup}", `backup` added as the last one.
std::vector<std::string> BackupCommandLine(
    const std::vector<std::string>& command,
    const std::filesystem::path& backup);

// Runs `argv` (argv[0] an absolute path) without a shell and waits for it:
// standard input /dev/null, its output captured (what it printed last comes
// back in the error), in a process group of its own with SIGPIPE at its
// default. Once `timeout` has passed, the group gets SIGTERM and, 5 s
// later, SIGKILL. Succeeds when it exits 0; the error says how it ended.
Result<void> RunBackupCommand(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout);

}  // namespace tether::relay
