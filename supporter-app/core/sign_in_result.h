#pragma once

// What the sign-in form shows: every answer the relay gives to a Login, and
// every way the connection can fail before one, as a SignInStatus and one
// plain sentence. Pure functions, tested without a relay.

#include "protocol/peer_session.h"
#include "protocol/relay.pb.h"
#include "supporter-app/core/supporter_session.h"

namespace tether::supporter {

SignInResult SignInResultFor(const proto::LoginResult& result);

// The connection ended before the relay answered the sign-in (relay not
// reachable, certificate not the configured one, timeout, ...).
SignInResult SignInResultForEnd(const protocol::SessionEnd& end);

}  // namespace tether::supporter
