// tether-session-probe: one real support session through a running relay,
// with the engine both apps use (protocol::PeerSession), from outside the
// relay's machine (scripts/boot-test runs it on the host against a relay
// booted under systemd in a container).
//
//   tether-session-probe --host H --port P --fingerprint sha256:HEX
//                        --user NAME [--hold SECONDS] < passwords
//
// stdin: the technician's password on the first line; on a second line the
// new password to choose if the relay asks for one (the first sign-in of an
// account IT created). Never on the command line, where `ps` shows it.
//
// The technician signs in (changing the first password when asked) and
// gets a code; a customer joins with it; the technician accepts; both run
// the key exchange through the relay and must show the same 6-digit
// security code; a chat message goes each way and 60 000 bytes of video
// frame from the customer, and each must arrive unchanged. Then:
//   - by default the technician ends the session and the customer must be
//     told the technician ended it;
//   - with --hold, both stay connected (after printing "probe: holding")
//     until the relay ends them, for up to SECONDS: both must be told the
//     relay is shutting down (what `systemctl restart` or `stop` does).
// Prints one "probe: ..." line per step (the relay's organisation, who the
// customer was told is helping, the end); exit 0 when all of it happened,
// 1 with "probe: FAILED: ..." otherwise, 2 for a usage error.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/peer_session.h"
#include "protocol/version.h"
#include "tests/support/session_recorder.h"

namespace {

using std::chrono::seconds;
using tether::protocol::PeerSession;
using tether::protocol::SessionState;
using tether::test::DeliveryQueue;
using tether::test::SessionRecorder;
namespace proto = tether::proto;

struct Args {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;
  std::string fingerprint;
  std::string user;
  int hold_seconds = 0;
};

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "tether-session-probe: %s\n"
               "usage: tether-session-probe --host H --port P --fingerprint "
               "sha256:HEX --user NAME [--hold SECONDS] < passwords\n",
               why.c_str());
  return 2;
}

bool ParseNumber(std::string_view text, long max, long* out) {
  if (text.empty() || text.size() > 6)
    return false;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > max)
    return false;
  *out = value;
  return true;
}

void Say(const std::string& line) {
  std::printf("probe: %s\n", line.c_str());
  std::fflush(stdout);
}

class Probe {
 public:
  explicit Probe(Args args) : args_(std::move(args)) {}

  // Tears the engines down before the queue they deliver into.
  ~Probe() {
    supporter_.reset();
    customer_.reset();
    queue_.RunPending();
  }

  int Run(const std::string& password, const std::string& new_password) {
    supporter_ = Start(proto::ROLE_SUPPORTER, "", &supporter_seen_);
    if (!supporter_)
      return 1;
    supporter_->Login(args_.user, password, "");
    if (!Wait([&] { return !supporter_seen_.logins.empty(); }, seconds(30)))
      return Fail("no answer to the sign-in", supporter_seen_);
    if (supporter_seen_.logins.back().status() ==
        proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED) {
      if (new_password.empty())
        return Fail("the relay asks for a new password; none on stdin");
      supporter_->ChangePassword(password, new_password);
      const auto answered = [&] {
        return supporter_seen_.signed_in() ||
               (!supporter_seen_.password_changes.empty() &&
                !supporter_seen_.password_changes.back().ok());
      };
      if (!Wait(answered, seconds(30)))
        return Fail("no answer to the password change", supporter_seen_);
      if (!supporter_seen_.password_changes.back().ok())
        return Fail("new password refused: " +
                    supporter_seen_.password_changes.back().message());
      Say("first password changed");
    }
    if (!supporter_seen_.signed_in())
      return Fail("sign-in refused (status " +
                  std::to_string(supporter_seen_.logins.back().status()) + ")");
    Say("technician signed in as " +
        supporter_seen_.logins.back().display_name());
    if (supporter_seen_.hello)
      Say("organisation: " + supporter_seen_.hello->organisation());

    supporter_->CreateSession();
    if (!Wait([&] { return !supporter_seen_.created.empty(); }))
      return Fail("no session code", supporter_seen_);
    const std::string code = supporter_seen_.created.back().code();
    if (code.size() != 8)
      return Fail("a session code of " + std::to_string(code.size()) +
                  " characters");
    Say("session code issued");

    customer_ = Start(proto::ROLE_CUSTOMER, code, &customer_seen_);
    if (!customer_)
      return 1;
    if (!Wait([&] { return !supporter_seen_.join_requests.empty(); }))
      return Fail("the technician was not asked about the customer",
                  customer_seen_);
    const proto::JoinRequest& request = supporter_seen_.join_requests.front();
    if (request.host_name() != kHostName || request.user_name() != kUserName)
      return Fail("the join request names " + request.host_name() + "/" +
                  request.user_name());
    supporter_->DecideJoin(true);
    if (!Wait([&] {
          return supporter_seen_.sas.has_value() &&
                 customer_seen_.sas.has_value();
        }))
      return Fail("no end-to-end channel",
                  supporter_seen_.ended ? supporter_seen_ : customer_seen_);
    if (*supporter_seen_.sas != *customer_seen_.sas ||
        supporter_seen_.sas->size() != 6)
      return Fail("the two sides show different security codes");
    Say("paired and secured end to end; both show the same security code");
    if (customer_seen_.joined)
      Say("customer told: " + customer_seen_.joined->technician_name() +
          " of " + customer_seen_.joined->organisation());

    if (int failed = Exchange())
      return failed;
    return args_.hold_seconds > 0 ? HoldUntilTheRelayEnds() : EndByTechnician();
  }

 private:
  static constexpr char kHostName[] = "boot-test-pc";
  static constexpr char kUserName[] = "maria";

  std::unique_ptr<PeerSession> Start(proto::Role role,
                                     const std::string& code,
                                     SessionRecorder* recorder) {
    PeerSession::Options options;
    options.relay.host = args_.host;
    options.relay.port = args_.port;
    options.relay.fingerprint = args_.fingerprint;
    options.role = role;
    options.app_version = protocol_version_;
    options.code = code;
    options.host_name = kHostName;
    options.user_name = kUserName;
    options.deliver = queue_.deliver();
    options.connect_timeout = seconds(10);
    auto session = PeerSession::Start(std::move(options), recorder);
    if (!session) {
      Fail("cannot start the engine: " + session.error().message);
      return nullptr;
    }
    return std::move(*session);
  }

  // A chat message each way and a video frame from the customer, each
  // arriving unchanged.
  int Exchange() {
    proto::PeerMessage to_customer;
    to_customer.mutable_chat()->set_text("hello from the technician");
    proto::PeerMessage to_technician;
    to_technician.mutable_chat()->set_text("hello from the customer");
    proto::PeerMessage frame;
    frame.mutable_video_frame()->set_frame_id(1);
    frame.mutable_video_frame()->set_codec(proto::CODEC_VP9);
    std::string data(60000, '\0');
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = static_cast<char>(i * 31 + 7);
    frame.mutable_video_frame()->set_data(data);
    if (!supporter_->Send(to_customer) || !customer_->Send(to_technician) ||
        !customer_->Send(frame))
      return Fail("a message was refused by the engine");
    if (!Wait([&] {
          return customer_seen_.messages.size() >= 1 &&
                 supporter_seen_.messages.size() >= 2;
        }))
      return Fail("messages did not arrive",
                  supporter_seen_.ended ? supporter_seen_ : customer_seen_);
    if (customer_seen_.messages[0].SerializeAsString() !=
            to_customer.SerializeAsString() ||
        supporter_seen_.messages[0].SerializeAsString() !=
            to_technician.SerializeAsString() ||
        supporter_seen_.messages[1].SerializeAsString() !=
            frame.SerializeAsString())
      return Fail("a message arrived changed");
    Say("a chat message each way and a 60000-byte frame arrived unchanged");
    return 0;
  }

  int EndByTechnician() {
    supporter_->End(proto::END_REASON_USER_ENDED, "");
    if (!Wait([&] {
          return supporter_seen_.ended_count > 0 &&
                 customer_seen_.ended_count > 0;
        }))
      return Fail("the session did not end on both sides");
    if (customer_seen_.ended->reason != proto::END_REASON_PEER_ENDED)
      return Fail("the customer was told: " + customer_seen_.ended->message);
    Say("ended by the technician; the customer was told: " +
        customer_seen_.ended->message);
    return 0;
  }

  int HoldUntilTheRelayEnds() {
    Say("holding");
    if (!Wait(
            [&] {
              return supporter_seen_.ended_count > 0 &&
                     customer_seen_.ended_count > 0;
            },
            seconds(args_.hold_seconds)))
      return Fail("the relay did not end the session within " +
                  std::to_string(args_.hold_seconds) + " s");
    for (const SessionRecorder* seen : {&supporter_seen_, &customer_seen_}) {
      if (seen->ended->reason != proto::END_REASON_RELAY_SHUTDOWN)
        return Fail(
            std::string(seen == &supporter_seen_ ? "technician" : "customer") +
            " told: " + seen->ended->message + " (reason " +
            std::to_string(seen->ended->reason) + ")");
    }
    Say("the relay ended the session; both were told: " +
        customer_seen_.ended->message);
    return 0;
  }

  bool Wait(const std::function<bool()>& done,
            std::chrono::milliseconds timeout = seconds(20)) {
    return queue_.RunUntil(done, timeout);
  }

  static int Fail(const std::string& what) {
    std::fprintf(stderr, "probe: FAILED: %s\n", what.c_str());
    return 1;
  }
  static int Fail(const std::string& what, const SessionRecorder& seen) {
    return Fail(seen.ended ? what + " (ended: " + seen.ended->message + ")"
                           : what);
  }

  Args args_;
  std::string protocol_version_ =
      std::string("tether-session-probe ") +
      std::string(tether::protocol::TetherVersion());
  // Declared before the engines: they deliver into it until destroyed.
  DeliveryQueue queue_;
  SessionRecorder supporter_seen_;
  SessionRecorder customer_seen_;
  std::unique_ptr<PeerSession> supporter_;
  std::unique_ptr<PeerSession> customer_;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "-h" || flag == "--help")
      return Usage("a real session through a relay");
    if (i + 1 >= argc)
      return Usage("missing the value of " + std::string(flag));
    const std::string_view value = argv[++i];
    long number = 0;
    if (flag == "--host") {
      args.host = value;
    } else if (flag == "--port") {
      if (!ParseNumber(value, 65535, &number))
        return Usage("bad --port");
      args.port = static_cast<uint16_t>(number);
    } else if (flag == "--fingerprint") {
      args.fingerprint = value;
    } else if (flag == "--user") {
      args.user = value;
    } else if (flag == "--hold") {
      if (!ParseNumber(value, 3600, &number))
        return Usage("bad --hold");
      args.hold_seconds = static_cast<int>(number);
    } else {
      return Usage("unknown option " + std::string(flag));
    }
  }
  if (args.fingerprint.empty() || args.user.empty())
    return Usage("--fingerprint and --user are needed");
  std::string password, new_password;
  if (!std::getline(std::cin, password) || password.empty())
    return Usage("no password on stdin");
  std::getline(std::cin, new_password);
  Probe probe(std::move(args));
  return probe.Run(password, new_password);
}
