#pragma once

// A technician's app without windows, for end-to-end tests until the
// supporter console exists: a PeerSession in the supporter role that signs
// in, issues a code, accepts the join, sends the session terms, records
// every message from the customer, and receives the screen with the
// console's own receiver (streaming/video_receiver.h: decode, exact layer,
// acknowledge). Every wait has a deadline.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "desktop/desktop_frame.h"
#include "protocol/peer_session.h"
#include "streaming/video_receiver.h"

namespace tether::test {

class HeadlessSupporter final : public protocol::PeerSession::Observer {
 public:
  struct Options {
    uint16_t port = 0;
    std::string fingerprint;
    std::string user;
    std::string password;
    // Optional: called with every decoded picture, on the engine's thread
    // right after the decode (before the ack), for benches that time what a
    // viewer would show. Must not call back into this object.
    std::function<void(const desktop::DesktopFrame&)> on_picture = {};
    // What its app decodes, announced with the terms, as the real console
    // does; empty: an app from before 0.2 (VP8 only).
    std::vector<proto::Codec> decoders = {proto::CODEC_VP9, proto::CODEC_VP8};
    // It keeps an exact layer over the video, as the console does
    // (SessionTerms.exact_pictures); false: an app from before 0.3.
    bool exact_pictures = true;
  };
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kTimeout{20};

  // Connects, signs in and asks for a code.
  static Result<std::unique_ptr<HeadlessSupporter>> Start(
      const Options& options);
  ~HeadlessSupporter() override;

  // The 8-digit code, once the relay issued it.
  Result<std::string> WaitForCode();
  // Waits for the customer's join request and answers it.
  Result<proto::JoinRequest> AcceptJoin(bool accept = true);
  // The SAS once the channel is up.
  Result<std::string> WaitForSas();
  // Sends SessionTerms (the first message on the channel).
  bool SendTerms(const std::string& terms_text, bool recording = false);
  bool Send(proto::PeerMessage message);
  // Asks for `permission` with request id `id`; returns the answer.
  Result<bool> Ask(uint32_t id,
                   proto::Permission permission,
                   std::function<void(proto::ConsentRequest&)> fill = {});

  // Waits for the first message from the customer that `match` accepts,
  // from the start or from the `since`-th message on (received_count()
  // before the request it answers); returns a copy.
  std::optional<proto::PeerMessage> WaitFor(
      const std::function<bool(const proto::PeerMessage&)>& match,
      std::chrono::milliseconds timeout = kTimeout,
      size_t since = 0);
  std::vector<proto::PeerMessage> received() const;
  size_t received_count() const;
  size_t Count(proto::PeerMessage::BodyCase body) const;

  // Files, as the console moves them (supporter-app/core's
  // supporter_session_files.cc), with the bytes in memory.
  struct ReceivedFile {
    proto::FileOffer offer;
    Bytes data;
    bool sha256_matches = false;  // `data` hashes to the offered SHA-256
  };
  // Waits for a FileOffer from the customer not taken yet, accepts it
  // (FileAccept) and collects its chunks until FileDone. An error when the
  // customer's side cancels it, a chunk is out of place or the session ends.
  Result<ReceivedFile> ReceiveFile(
      std::chrono::milliseconds timeout = kTimeout);
  // Offers `data` as `name` in a consent request (PERMISSION_SEND_FILE with
  // the FileOffer, request `request_id`, file `file_id`: the technician's id
  // space); once the customer allowed it and its side accepted (FileAccept),
  // sends it as FileChunks and FileDone. Returns whether it was allowed; an
  // error when it was allowed but could not be sent.
  Result<bool> SendFile(uint32_t request_id,
                        uint32_t file_id,
                        const std::string& name,
                        ByteSpan data,
                        std::chrono::milliseconds timeout = kTimeout);

  // Video: frames decoded so far and the last picture (BGRX).
  int frames_decoded() const;
  int decode_errors() const;
  bool WaitForFrames(int n, std::chrono::milliseconds timeout = kTimeout);
  std::optional<desktop::DesktopFrame> LastPicture() const;

  std::optional<protocol::SessionEnd> WaitEnded(
      std::chrono::milliseconds timeout = kTimeout);
  void End();

  // PeerSession::Observer, on the engine's thread.
  void OnStateChanged(protocol::SessionState state) override;
  void OnLoginResult(const proto::LoginResult& result) override;
  void OnSessionCreated(const proto::SessionCreated& created) override;
  void OnJoinRequest(const proto::JoinRequest& request) override;
  void OnSecured(const std::string& sas) override;
  void OnMessage(proto::PeerMessage message) override;
  void OnEnded(const protocol::SessionEnd& end) override;

 private:
  HeadlessSupporter() = default;
  bool WaitUntil(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = kTimeout);

  void OnPicture();  // the receiver's decode thread

  std::vector<proto::Codec> decoders_;
  bool exact_pictures_ = true;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<std::string> code_;
  std::optional<proto::LoginResult> login_;
  std::vector<proto::JoinRequest> join_requests_;
  std::optional<std::string> sas_;
  std::vector<proto::PeerMessage> received_;
  std::vector<uint32_t> files_taken_;  // ReceiveFile()'s, by file id
  std::optional<protocol::SessionEnd> ended_;
  std::function<void(const desktop::DesktopFrame&)> on_picture_;
  int frames_decoded_ = 0;
  std::shared_ptr<const desktop::DesktopFrame> last_picture_;
  std::unique_ptr<protocol::PeerSession> engine_;
  // The receiver's acks go through engine_ until the destructor closes
  // this; the receiver goes last (the engine's thread feeds it).
  std::mutex send_mutex_;
  bool closing_ = false;
  std::unique_ptr<streaming::VideoReceiver> receiver_;
};

}  // namespace tether::test
