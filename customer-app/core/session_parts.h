#pragma once

// The parts a CustomerSession is assembled from, for CustomerSession::Start
// (the real ones) and for tests (a fake injector, an engine over a test
// relay). Nothing here changes what the customer is asked: the policy and
// the ConsentProvider are the same in every assembly.

#include <functional>
#include <memory>

#include "base/clock.h"
#include "base/result.h"
#include "codec/video_encoder.h"
#include "customer-app/core/customer_session.h"
#include "desktop/input/input_injector.h"
#include "protocol/peer_session.h"

namespace tether::customer {

struct SessionParts {
  using StartEngine =
      std::function<Result<std::unique_ptr<protocol::PeerSession>>(
          protocol::PeerSession::Options,
          protocol::PeerSession::Observer*)>;

  // Required: protocol::PeerSession::Start in the app.
  StartEngine start_engine;
  // Null: desktop::InputInjector::Create(config.display).
  std::unique_ptr<desktop::InputInjector> injector;
  // Whether to grab the global STOP hotkey.
  bool hotkey = true;
  const Clock* clock = &Clock::System();
  // The screen's codec when the technician's app decodes it (its
  // SessionTerms say); VP8 otherwise.
  codec::Codec codec = codec::Codec::kVp9;
};

Result<std::unique_ptr<CustomerSession>> StartCustomerSession(
    CustomerSession::Options options,
    ConsentProvider* consent,
    CustomerSession::Observer* observer,
    SessionParts parts);

}  // namespace tether::customer
