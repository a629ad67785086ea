#pragma once

// Shared by the relay benches: a tether-relay process configured for load
// (limits raised, heartbeats slowed so idle clients need not answer), a
// technician account, and paired sessions opened the way the apps open them.

#include <chrono>
#include <memory>
#include <string>

#include "base/result.h"
#include "tests/support/relay_probes.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::bench {

inline constexpr char kBenchUser[] = "tech";
inline constexpr char kBenchPassword[] = "bench passphrase for load";

// Points RelayProcess at the tether-relay next to this executable, unless
// TETHER_TEST_BIN_DIR is already set.
void UseRelayBesideThisProgram();

// The benches end by themselves: `seconds` after this call (or on SIGINT,
// SIGTERM) the process SIGKILLs every child registered below, then exits
// with status 124.
void InstallWatchdog(unsigned seconds);
// Child processes (relay, forwarders) for the watchdog to kill.
void RegisterChild(pid_t pid);
void ForgetChild(pid_t pid);

// A relay in a temporary directory with the bench limits, one technician
// account (argon2id at the default parameters, so no rehash at login), and
// `max_connections` in [server]. Started and listening on 127.0.0.1, and
// registered with the watchdog.
// `extra_toml` adds sections the bench config does not have.
Result<std::unique_ptr<test::RelayProcess>> StartBenchRelay(
    unsigned max_connections,
    const std::string& extra_toml = "");

struct PairedSession {
  std::unique_ptr<test::RelayTestClient> technician;
  std::unique_ptr<test::RelayTestClient> customer;
  // From the customer's connect to its Joined: what a customer waits.
  std::chrono::duration<double, std::milli> join_time{};
};

// Technician: Hello, Login, CreateSession; customer: Hello, Join; the
// technician accepts; both see the pairing. Blocking, with deadlines.
Result<PairedSession> OpenPairedSession(const test::RelayProcess& relay);

// Tells the relay the client is alive (the bench relay drops a client
// silent for an hour).
Result<void> SendHeartbeat(test::RelayTestClient& client);

}  // namespace tether::bench
