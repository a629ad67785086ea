#pragma once

// The openings relay tests play over and over, as the apps would: a
// technician signing in, a code, a customer joining with it, the
// technician accepting. Failures are gtest failures in the calling test.

#include <memory>
#include <string>

#include "protocol/relay.pb.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::test {

// A new app connection to `relay`, or nullptr (and a failure).
std::unique_ptr<RelayTestClient> ConnectApp(const RelayProcess& relay);
// Hello and Login; nullptr (and a failure) unless signed in.
std::unique_ptr<RelayTestClient> SignedInTechnician(
    const RelayProcess& relay,
    const std::string& user,
    const std::string& password);
// CreateSession; the code, or "" (and a failure).
std::string CreateCode(RelayTestClient& technician);

proto::ClientMessage JoinMessage(const std::string& code,
                                 const std::string& host_name = "pc-042",
                                 const std::string& user_name = "maria");
proto::ClientMessage DecisionMessage(const std::string& code, bool accept);
proto::ClientMessage RelayedMessage(const std::string& data);

// A technician and a customer paired through a fresh code. Check
// HasFatalFailure() after it.
void PairThroughCode(const RelayProcess& relay,
                     const std::string& user,
                     const std::string& password,
                     std::unique_ptr<RelayTestClient>* technician,
                     std::unique_ptr<RelayTestClient>* customer);

}  // namespace tether::test
