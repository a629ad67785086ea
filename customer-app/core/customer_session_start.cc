// CustomerSession::Start: the session with its real parts. In a file of its
// own so that tests assembling other parts do not link the engine.

#include "customer-app/core/customer_session.h"
#include "customer-app/core/session_parts.h"

namespace tether::customer {

Result<std::unique_ptr<CustomerSession>> CustomerSession::Start(
    Options options,
    ConsentProvider* consent,
    Observer* observer) {
  SessionParts parts;
  parts.hotkey = options.stop_hotkey;
  parts.start_engine = [](protocol::PeerSession::Options engine_options,
                          protocol::PeerSession::Observer* engine_observer) {
    return protocol::PeerSession::Start(std::move(engine_options),
                                        engine_observer);
  };
  return StartCustomerSession(std::move(options), consent, observer,
                              std::move(parts));
}

}  // namespace tether::customer
