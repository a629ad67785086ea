// The technician's core against a hostile customer: instead of the real
// customer app, a raw client joins through the real relay, runs the key
// exchange honestly (so its messages pass the E2E channel) and then sends
// what no honest customer would: decode bombs, garbage video, oversized and
// unreadable envelopes, floods of odd messages. The supporter must stay up,
// end the session with a clear message where the stream cannot go on, and
// be ready for the next session.

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <memory>
#include <string>

#include "crypto/random.h"
#include "protocol/messages.h"
#include "protocol/peer_plane.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/text_files.h"
#include "tests/supporter/supporter_fixture.h"

namespace tether::supporter::test {
namespace {

using std::chrono::seconds;

using tether::test::Contains;

// A customer that speaks the protocol itself: RelayTestClient for the
// relay, protocol::PeerPlane for the E2E channel.
class HostileCustomer {
 public:
  static std::unique_ptr<HostileCustomer> Join(
      const tether::test::RelayProcess& relay,
      const std::string& code) {
    auto client = tether::test::RelayTestClient::Connect(relay.port(),
                                                         relay.fingerprint());
    EXPECT_TRUE(client.has_value()) << client.error().message;
    if (!client)
      return nullptr;
    auto hello = (*client)->Hello(proto::ROLE_CUSTOMER);
    EXPECT_TRUE(hello.has_value()) << hello.error().message;
    proto::ClientMessage join;
    join.mutable_join()->set_code(code);
    join.mutable_join()->set_host_name("pc-666");
    join.mutable_join()->set_user_name("mallory");
    EXPECT_TRUE((*client)->Send(join).has_value());
    auto plane = protocol::PeerPlane::Create(
        crypto::E2eRole::kCustomer, {proto::PROTOCOL_VERSION_CURRENT, code},
        crypto::RandomGenerator::Default());
    EXPECT_TRUE(plane.has_value());
    if (!plane)
      return nullptr;
    auto customer = std::unique_ptr<HostileCustomer>(new HostileCustomer);
    customer->client_ = std::move(*client);
    customer->plane_ = std::move(*plane);
    return customer;
  }

  // Answers the supporter's key exchange (runs on the supporter's engine
  // thread, so the test thread may block here) until secured.
  bool Secure() {
    const auto deadline = std::chrono::steady_clock::now() + seconds(15);
    while (!plane_->secured() && std::chrono::steady_clock::now() < deadline) {
      auto message = client_->Receive(seconds(15));
      if (!message)
        return false;
      if (!message->has_relayed())
        continue;  // Joined and the like
      auto received = plane_->Receive(AsBytes(message->relayed().data()));
      if (!received)
        return false;
      if (received->reply)
        SendRaw(*received->reply);
    }
    return plane_->secured();
  }

  bool Send(const proto::PeerMessage& message) {
    auto sealed = plane_->Seal(message);
    return sealed.has_value() && SendRaw(*sealed);
  }

  // Any bytes as the data of one Relayed frame.
  bool SendRaw(ByteSpan envelope) {
    proto::ClientMessage relayed;
    relayed.mutable_relayed()->set_data(
        std::string(envelope.begin(), envelope.end()));
    return client_->Send(relayed).has_value();
  }

  const std::string& sas() const { return plane_->sas(); }

  // The next message from the technician, decrypted; nullopt on failure.
  std::optional<proto::PeerMessage> ReceivePeer() {
    for (int i = 0; i < 100; ++i) {
      auto message = client_->Receive(seconds(15));
      if (!message)
        return std::nullopt;
      if (!message->has_relayed())
        continue;
      auto received = plane_->Receive(AsBytes(message->relayed().data()));
      if (!received)
        return std::nullopt;
      if (received->message)
        return received->message;
    }
    return std::nullopt;
  }

 private:
  HostileCustomer() = default;
  std::unique_ptr<tether::test::RelayTestClient> client_;
  std::unique_ptr<protocol::PeerPlane> plane_;
};

// A VP8 key frame header that announces a 16383x16383 picture: the
// decoder would allocate about 400 MB for it (RFC 6386, section 9.1).
std::string Vp8DecodeBomb() {
  std::string packet = {
      '\x90', '\x0c', '\x00',          // key frame, shown, partition 100 B
      '\x9d', '\x01', '\x2a',          // start code
      '\xff', '\x3f', '\xff', '\x3f',  // width, height: 16383 each
  };
  packet.resize(packet.size() + 200, '\0');
  return packet;
}

class HostileCustomerTest : public SupporterSessionTest {
 protected:
  // Signed in, a code, the hostile customer joined, accepted and secured,
  // and (unless told otherwise) agreed to the terms.
  void JoinHostile(bool agree = true) {
    SignInWithCode();
    if (HasFatalFailure())
      return;
    mallory_ = HostileCustomer::Join(*relay_, *seen_.code);
    ASSERT_NE(mallory_, nullptr);
    ASSERT_TRUE(Wait([&] { return !seen_.joins.empty(); }));
    EXPECT_EQ(seen_.joins.back().host, "pc-666");
    supporter_->Accept();
    ASSERT_TRUE(mallory_->Secure());
    ASSERT_TRUE(Wait([&] { return seen_.sas.has_value(); }));
    EXPECT_EQ(*seen_.sas, mallory_->sas());
    if (!agree)
      return;
    proto::PeerMessage answer;
    answer.mutable_terms_answer()->set_accepted(true);
    ASSERT_TRUE(mallory_->Send(answer));
    ASSERT_TRUE(Wait([&] { return seen_.agreed.has_value(); }));
  }

  void SendVideo(const std::string& data, uint64_t frame_id) {
    proto::PeerMessage message;
    auto* frame = message.mutable_video_frame();
    frame->set_frame_id(frame_id);
    frame->set_codec(proto::CODEC_VP8);
    frame->set_key_frame(true);
    frame->set_data(data);
    ASSERT_TRUE(mallory_->Send(message));
  }

  // The session ended as a protocol error naming `words`, and the
  // technician's core is ready for the next customer.
  void ExpectEndedWithThenReady(const std::string& words) {
    ASSERT_TRUE(Wait([&] { return seen_.ended.has_value(); }));
    EXPECT_EQ(seen_.ended->reason, proto::END_REASON_PROTOCOL_ERROR);
    EXPECT_TRUE(Contains(seen_.ended->message, words)) << seen_.ended->message;
    EXPECT_EQ(seen_.pictures, 0);
    seen_.code.reset();
    supporter_->NewSession();
    ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }))
        << "the supporter did not get a new code after the attack";
  }

  std::unique_ptr<HostileCustomer> mallory_;
};

TEST_F(HostileCustomerTest, DecodeBombsEndTheSessionWithAClearMessage) {
  JoinHostile();
  if (HasFatalFailure())
    return;
  for (uint64_t id = 1; id <= 3; ++id)
    SendVideo(Vp8DecodeBomb(), id);
  ExpectEndedWithThenReady("16383x16383 exceeds the size limit");
  EXPECT_TRUE(Contains(seen_.ended->message, "cannot show"));
}

TEST_F(HostileCustomerTest, GarbageVideoEndsTheSessionWithAClearMessage) {
  JoinHostile();
  if (HasFatalFailure())
    return;
  Bytes noise(64 << 10);
  ASSERT_TRUE(crypto::RandomGenerator::Default().Fill(noise).has_value());
  // Garbage as a "key frame", over and over: asked for a key frame, the
  // customer sends more garbage; the third one in a row ends it.
  for (uint64_t id = 1; id <= 3; ++id) {
    noise[0] = 0x50;  // key-frame bit clear: libvpx reads on
    SendVideo(std::string(noise.begin(), noise.end()), id);
  }
  ExpectEndedWithThenReady("cannot show");
}

TEST_F(HostileCustomerTest, OversizedRecordEndsTheSession) {
  JoinHostile();
  if (HasFatalFailure())
    return;
  // Under the relay's 8 MiB frame limit, over the 4 MiB E2E record limit.
  proto::PeerEnvelope envelope;
  envelope.set_record(std::string(5 << 20, 'x'));
  ASSERT_TRUE(mallory_->SendRaw(protocol::SerializeMessage(envelope)));
  ExpectEndedWithThenReady("integrity check");
}

TEST_F(HostileCustomerTest, UnreadableEnvelopeEndsTheSession) {
  JoinHostile();
  if (HasFatalFailure())
    return;
  const std::string garbage = "\xff\xff\xff\xff not a protobuf";
  ASSERT_TRUE(mallory_->SendRaw(AsBytes(garbage)));
  ASSERT_TRUE(Wait([&] { return seen_.ended.has_value(); }));
  EXPECT_EQ(seen_.ended->reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_FALSE(seen_.ended->message.empty());
  seen_.code.reset();
  supporter_->NewSession();
  ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }));
}

TEST_F(HostileCustomerTest, FloodOfOddMessagesIsCutAndTheSessionGoesOn) {
  JoinHostile();
  if (HasFatalFailure())
    return;
  proto::PeerMessage monitors;
  for (int i = 0; i < 5000; ++i) {
    auto* monitor = monitors.mutable_monitor_list()->add_monitors();
    monitor->set_name(std::string(200, 'M') + "\u202e");
    monitor->mutable_bounds()->set_width(std::numeric_limits<int32_t>::max());
    monitor->mutable_bounds()->set_height(-1);
  }
  ASSERT_TRUE(mallory_->Send(monitors));
  proto::PeerMessage chat;
  chat.mutable_chat()->set_text(std::string(3 << 20, 'A'));
  ASSERT_TRUE(mallory_->Send(chat));
  proto::PeerMessage cursor;
  cursor.mutable_cursor_position()->set_x(std::numeric_limits<int32_t>::min());
  cursor.mutable_cursor_position()->set_y(std::numeric_limits<int32_t>::max());
  ASSERT_TRUE(mallory_->Send(cursor));
  for (uint32_t i = 0; i < 200; ++i) {
    proto::PeerMessage offer;
    offer.mutable_file_offer()->set_file_id(0x80000000u + i);
    offer.mutable_file_offer()->set_name("../../../etc/cron.d/evil");
    offer.mutable_file_offer()->set_size(
        i % 2 ? std::numeric_limits<uint64_t>::max() : 10);
    offer.mutable_file_offer()->set_sha256(std::string(32, '\x01'));
    ASSERT_TRUE(mallory_->Send(offer));
  }
  proto::PeerMessage answer;  // to nothing that was asked
  answer.mutable_consent_answer()->set_request_id(987654);
  answer.mutable_consent_answer()->set_granted(true);
  ASSERT_TRUE(mallory_->Send(answer));
  proto::PeerMessage last;
  last.mutable_chat()->set_text("still here");
  ASSERT_TRUE(mallory_->Send(last));

  ASSERT_TRUE(Wait([&] {
    return !seen_.chats.empty() && seen_.chats.back().first == "still here";
  }));
  EXPECT_FALSE(seen_.ended.has_value());
  EXPECT_LE(seen_.monitors.size(), 64u);
  for (const auto& [text, from_me] : seen_.chats) {
    EXPECT_LE(text.size(), 16u << 10);
  }
  // A few offers wait for the technician, under a name without a path;
  // the rest were refused (their rows show what was offered, as text).
  // Nothing was written.
  size_t asking = 0;
  for (const auto& [id, transfer] : seen_.transfers) {
    if (transfer.state == FileTransfer::State::kRefused)
      continue;
    ++asking;
    EXPECT_EQ(transfer.state, FileTransfer::State::kAsking);
    EXPECT_EQ(transfer.name.find('/'), std::string::npos) << transfer.name;
  }
  EXPECT_GE(asking, 1u);
  EXPECT_LE(asking, 4u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "received") &&
               !std::filesystem::is_empty(dir_ / "received"));
  EXPECT_FALSE(seen_.grants.viewing || seen_.grants.control);
}

// A customer whose side takes no input (the browser page) says so with
// its answer to the terms: the console then never asks it for control, and
// its UI says why.
TEST_F(HostileCustomerTest, ACustomerThatTakesNoInputIsNeverAskedForControl) {
  JoinHostile(/*agree=*/false);
  ASSERT_FALSE(HasFatalFailure());
  proto::PeerMessage answer;
  answer.mutable_terms_answer()->set_accepted(true);
  answer.mutable_terms_answer()->set_view_only(true);
  ASSERT_TRUE(mallory_->Send(answer));
  ASSERT_TRUE(Wait([&] { return seen_.agreed.has_value(); }));
  EXPECT_TRUE(seen_.view_only);

  supporter_->RequestControl();
  proto::ViewTarget whole;
  whole.set_whole_desktop(true);
  supporter_->RequestView(whole);
  // The first request that reaches the customer is the view's.
  std::optional<proto::PeerMessage> request;
  do {
    request = mallory_->ReceivePeer();
  } while (request && !request->has_consent_request());
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->consent_request().permission(),
            proto::PERMISSION_VIEW_SCREEN);
}

}  // namespace
}  // namespace tether::supporter::test
