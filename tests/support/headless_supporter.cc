#include "tests/support/headless_supporter.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "crypto/digest.h"

namespace tether::test {
namespace {

constexpr size_t kFileChunkSize = 64 * 1024;

}  // namespace

Result<std::unique_ptr<HeadlessSupporter>> HeadlessSupporter::Start(
    const Options& options) {
  std::unique_ptr<HeadlessSupporter> supporter(new HeadlessSupporter());
  supporter->on_picture_ = options.on_picture;
  supporter->decoders_ = options.decoders;
  supporter->exact_pictures_ = options.exact_pictures;
  HeadlessSupporter* self = supporter.get();
  supporter->receiver_ = std::make_unique<streaming::VideoReceiver>(
      streaming::VideoReceiverOptions{},
      [self](proto::PeerMessage message) {
        std::lock_guard lock(self->send_mutex_);
        return !self->closing_ && self->engine_->Send(std::move(message));
      },
      [self] { self->OnPicture(); });
  protocol::PeerSession::Options engine;
  engine.relay.host = "127.0.0.1";
  engine.relay.port = options.port;
  engine.relay.fingerprint = options.fingerprint;
  engine.role = proto::ROLE_SUPPORTER;
  engine.app_version = "tether-headless-supporter 0.1.0";
  engine.connect_timeout = std::chrono::seconds(5);
  engine.heartbeat_interval = std::chrono::milliseconds(500);
  // Above the relay's 15 s heartbeat, as the apps (20 s): a session with
  // a still screen sends nothing else, and must not end for it.
  engine.peer_timeout = std::chrono::seconds(20);
  // Empty deliver: observer calls on the engine's thread.
  TETHER_TRY(session,
             protocol::PeerSession::Start(std::move(engine), supporter.get()));
  supporter->engine_ = std::move(*session);
  supporter->engine_->Login(options.user, options.password, "");
  supporter->engine_->CreateSession();
  return supporter;
}

HeadlessSupporter::~HeadlessSupporter() {
  {
    std::lock_guard lock(send_mutex_);
    closing_ = true;  // no more acks out
  }
  engine_.reset();  // joins the engine's thread: no more observer calls
  receiver_.reset();
}

bool HeadlessSupporter::WaitUntil(const std::function<bool()>& done,
                                  std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, done);
}

Result<std::string> HeadlessSupporter::WaitForCode() {
  if (!WaitUntil([&] { return code_.has_value() || ended_.has_value(); }))
    return MakeError("no code from the relay in time");
  std::lock_guard lock(mutex_);
  if (!code_) {
    return MakeError("the supporter session ended: " + ended_->message +
                     (login_ ? " (login: " + login_->message() + ")" : ""));
  }
  return *code_;
}

Result<proto::JoinRequest> HeadlessSupporter::AcceptJoin(bool accept) {
  if (!WaitUntil([&] { return !join_requests_.empty() || ended_.has_value(); }))
    return MakeError("nobody joined in time");
  proto::JoinRequest request;
  {
    std::lock_guard lock(mutex_);
    if (join_requests_.empty())
      return MakeError("the supporter session ended: " + ended_->message);
    request = join_requests_.front();
  }
  engine_->DecideJoin(accept);
  return request;
}

Result<std::string> HeadlessSupporter::WaitForSas() {
  if (!WaitUntil([&] { return sas_.has_value() || ended_.has_value(); }))
    return MakeError("the channel did not come up in time");
  std::lock_guard lock(mutex_);
  if (!sas_)
    return MakeError("the supporter session ended: " + ended_->message);
  return *sas_;
}

bool HeadlessSupporter::SendTerms(const std::string& terms_text,
                                  bool recording) {
  proto::PeerMessage terms;
  terms.mutable_terms()->set_technician_name("tina (from the app)");
  terms.mutable_terms()->set_organisation("Test IT");
  terms.mutable_terms()->set_terms_text(terms_text);
  terms.mutable_terms()->set_recording(recording);
  for (proto::Codec codec : decoders_)
    terms.mutable_terms()->add_decoders(codec);
  terms.mutable_terms()->set_exact_pictures(exact_pictures_);
  return Send(std::move(terms));
}

bool HeadlessSupporter::Send(proto::PeerMessage message) {
  return engine_->Send(std::move(message));
}

Result<bool> HeadlessSupporter::Ask(
    uint32_t id,
    proto::Permission permission,
    std::function<void(proto::ConsentRequest&)> fill) {
  proto::PeerMessage request;
  request.mutable_consent_request()->set_request_id(id);
  request.mutable_consent_request()->set_permission(permission);
  if (fill)
    fill(*request.mutable_consent_request());
  if (!Send(std::move(request)))
    return MakeError("the request could not be sent");
  auto answer = WaitFor([id](const proto::PeerMessage& m) {
    return m.has_consent_answer() && m.consent_answer().request_id() == id;
  });
  if (!answer)
    return MakeError("no answer to request " + std::to_string(id));
  return answer->consent_answer().granted();
}

std::optional<proto::PeerMessage> HeadlessSupporter::WaitFor(
    const std::function<bool(const proto::PeerMessage&)>& match,
    std::chrono::milliseconds timeout,
    size_t since) {
  std::optional<proto::PeerMessage> found;
  const auto look = [&] {
    for (size_t i = since; i < received_.size(); ++i) {
      if (match(received_[i])) {
        found = received_[i];
        return true;
      }
    }
    return false;
  };
  WaitUntil([&] { return look() || ended_.has_value(); }, timeout);
  if (!found) {
    // The end may have raced the last messages in; look once more.
    std::lock_guard lock(mutex_);
    look();
  }
  return found;
}

std::vector<proto::PeerMessage> HeadlessSupporter::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

size_t HeadlessSupporter::received_count() const {
  std::lock_guard lock(mutex_);
  return received_.size();
}

size_t HeadlessSupporter::Count(proto::PeerMessage::BodyCase body) const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const proto::PeerMessage& m : received_)
    n += m.body_case() == body ? 1 : 0;
  return n;
}

Result<HeadlessSupporter::ReceivedFile> HeadlessSupporter::ReceiveFile(
    std::chrono::milliseconds timeout) {
  auto offer = WaitFor(
      [&](const proto::PeerMessage& m) {
        return m.has_file_offer() &&
               std::ranges::find(files_taken_, m.file_offer().file_id()) ==
                   files_taken_.end();
      },
      timeout);
  if (!offer)
    return MakeError("the customer offered no file");
  const uint32_t id = offer->file_offer().file_id();
  files_taken_.push_back(id);
  proto::PeerMessage accept;
  accept.mutable_file_accept()->set_file_id(id);
  if (!Send(std::move(accept)))
    return MakeError("FileAccept could not be sent");
  auto last = WaitFor(
      [id](const proto::PeerMessage& m) {
        return (m.has_file_done() && m.file_done().file_id() == id) ||
               (m.has_file_cancel() && m.file_cancel().file_id() == id);
      },
      timeout);
  if (!last)
    return MakeError("file " + offer->file_offer().name() + " did not finish");
  if (last->has_file_cancel()) {
    return MakeError("the customer's side cancelled file " +
                     offer->file_offer().name() + ": " +
                     last->file_cancel().reason());
  }
  ReceivedFile file;
  file.offer = offer->file_offer();
  for (const proto::PeerMessage& m : received()) {
    if (!m.has_file_chunk() || m.file_chunk().file_id() != id)
      continue;
    if (m.file_chunk().offset() != file.data.size()) {
      return MakeError("a chunk at offset " +
                       std::to_string(m.file_chunk().offset()) + " after " +
                       std::to_string(file.data.size()) + " bytes");
    }
    const ByteSpan piece = AsBytes(m.file_chunk().data());
    file.data.insert(file.data.end(), piece.begin(), piece.end());
  }
  const crypto::Sha256Digest digest = crypto::Sha256(file.data);
  file.sha256_matches =
      file.offer.sha256() ==
      std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
  return file;
}

Result<bool> HeadlessSupporter::SendFile(uint32_t request_id,
                                         uint32_t file_id,
                                         const std::string& name,
                                         ByteSpan data,
                                         std::chrono::milliseconds timeout) {
  const crypto::Sha256Digest digest = crypto::Sha256(data);
  const size_t since = received_count();
  TETHER_TRY(allowed, Ask(request_id, proto::PERMISSION_SEND_FILE,
                          [&](proto::ConsentRequest& request) {
                            proto::FileOffer& offer = *request.mutable_file();
                            offer.set_file_id(file_id);
                            offer.set_name(name);
                            offer.set_size(data.size());
                            offer.set_sha256(digest.data(), digest.size());
                          }));
  if (!*allowed)
    return false;
  auto answer = WaitFor(
      [file_id](const proto::PeerMessage& m) {
        return (m.has_file_accept() && m.file_accept().file_id() == file_id) ||
               (m.has_file_cancel() && m.file_cancel().file_id() == file_id);
      },
      timeout, since);
  if (!answer)
    return MakeError("the customer's side did not accept the allowed file");
  if (answer->has_file_cancel()) {
    return MakeError("the customer's side cancelled the allowed file: " +
                     answer->file_cancel().reason());
  }
  const auto deadline = Clock::now() + timeout;
  for (size_t offset = 0; offset < data.size(); offset += kFileChunkSize) {
    const ByteSpan piece =
        data.subspan(offset, std::min(kFileChunkSize, data.size() - offset));
    proto::PeerMessage chunk;
    chunk.mutable_file_chunk()->set_file_id(file_id);
    chunk.mutable_file_chunk()->set_offset(offset);
    chunk.mutable_file_chunk()->set_data(
        reinterpret_cast<const char*>(piece.data()), piece.size());
    // A full send queue refuses; the console's FileSender waits for room.
    while (!Send(chunk)) {
      if (WaitEnded(std::chrono::milliseconds(5)) || Clock::now() > deadline)
        return MakeError("the file's chunks could not be sent");
    }
  }
  proto::PeerMessage done;
  done.mutable_file_done()->set_file_id(file_id);
  if (!Send(std::move(done)))
    return MakeError("FileDone could not be sent");
  return true;
}

int HeadlessSupporter::frames_decoded() const {
  std::lock_guard lock(mutex_);
  return frames_decoded_;
}

int HeadlessSupporter::decode_errors() const {
  return static_cast<int>(receiver_->decode_errors());
}

bool HeadlessSupporter::WaitForFrames(int n,
                                      std::chrono::milliseconds timeout) {
  return WaitUntil([&] { return frames_decoded_ >= n; }, timeout);
}

std::optional<desktop::DesktopFrame> HeadlessSupporter::LastPicture() const {
  std::lock_guard lock(mutex_);
  if (!last_picture_)
    return std::nullopt;
  return last_picture_->Clone();  // shared with on_picture's caller
}

std::optional<protocol::SessionEnd> HeadlessSupporter::WaitEnded(
    std::chrono::milliseconds timeout) {
  WaitUntil([&] { return ended_.has_value(); }, timeout);
  std::lock_guard lock(mutex_);
  return ended_;
}

void HeadlessSupporter::End() {
  engine_->End(proto::END_REASON_USER_ENDED, "");
}

void HeadlessSupporter::OnStateChanged(protocol::SessionState) {}

void HeadlessSupporter::OnLoginResult(const proto::LoginResult& result) {
  std::lock_guard lock(mutex_);
  login_ = result;
  changed_.notify_all();
}

void HeadlessSupporter::OnSessionCreated(const proto::SessionCreated& created) {
  std::lock_guard lock(mutex_);
  code_ = created.code();
  changed_.notify_all();
}

void HeadlessSupporter::OnJoinRequest(const proto::JoinRequest& request) {
  std::lock_guard lock(mutex_);
  join_requests_.push_back(request);
  changed_.notify_all();
}

void HeadlessSupporter::OnSecured(const std::string& sas) {
  std::lock_guard lock(mutex_);
  sas_ = sas;
  changed_.notify_all();
}

void HeadlessSupporter::OnMessage(proto::PeerMessage message) {
  if (message.has_video_frame()) {
    // A viewer: the receiver decodes, keeps the picture, acknowledges.
    receiver_->Receive(message.video_frame());
  }
  std::lock_guard lock(mutex_);
  received_.push_back(std::move(message));
  changed_.notify_all();
}

void HeadlessSupporter::OnPicture() {
  std::optional<streaming::RemotePicture> picture = receiver_->TakePicture();
  if (!picture)
    return;
  if (on_picture_)
    on_picture_(*picture->frame);
  std::lock_guard lock(mutex_);
  ++frames_decoded_;
  last_picture_ = std::move(picture->frame);
  changed_.notify_all();
}

void HeadlessSupporter::OnEnded(const protocol::SessionEnd& end) {
  std::lock_guard lock(mutex_);
  ended_ = end;
  changed_.notify_all();
}

}  // namespace tether::test
