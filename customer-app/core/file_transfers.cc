#include "customer-app/core/file_transfers.h"

#include <utility>

#include "base/log.h"
#include "customer-app/core/customer_policy.h"
#include "protocol/file_sender.h"

namespace tether::customer {

FileTransfers::FileTransfers(PolicyActions& actions,
                             protocol::FileSink* files,
                             Hooks hooks)
    : actions_(actions), files_(files), hooks_(std::move(hooks)) {}

// ---- the technician's files ----------------------------------------------

void FileTransfers::Accept(const protocol::IncomingFile& file) {
  if (auto opened = files_->Open(file); !opened) {
    FailIncoming(file.file_id, opened.error().message);
    proto::PeerMessage cancel;
    cancel.mutable_file_cancel()->set_file_id(file.file_id);
    cancel.mutable_file_cancel()->set_reason(opened.error().message);
    actions_.Send(std::move(cancel));
    hooks_.record("The file " + Quoted(file.name.name) +
                  " could not be received: " + opened.error().message + ".");
    return;
  }
  any_accepted_ = true;
  accepted_[file.file_id] = {file.name.name, file.size};
  proto::PeerMessage accept;
  accept.mutable_file_accept()->set_file_id(file.file_id);
  actions_.Send(std::move(accept));
}

void FileTransfers::HandleChunk(const proto::FileChunk& chunk) {
  auto it = accepted_.find(chunk.file_id());
  if (it == accepted_.end() || files_ == nullptr) {
    hooks_.refuse(Refusal::kFileNotAccepted);
    return;
  }
  const std::string& data = chunk.data();
  auto written = files_->Write(
      chunk.file_id(), chunk.offset(),
      ByteSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  if (!written)
    FailIncoming(chunk.file_id(), written.error().message);
}

void FileTransfers::HandleDone(uint32_t file_id) {
  auto it = accepted_.find(file_id);
  if (it == accepted_.end() || files_ == nullptr) {
    hooks_.refuse(Refusal::kFileNotAccepted);
    return;
  }
  const AcceptedFile file = it->second;
  auto saved = files_->Finish(file_id);
  if (!saved) {
    FailIncoming(file_id, saved.error().message);
    return;
  }
  accepted_.erase(it);
  log::Info("file transfer: file {} saved ({} bytes)", file_id, file.size);
  hooks_.record("The file " + Quoted(file.name) + " (" +
                protocol::FormatFileSize(file.size) + ") was saved to " +
                *saved + ".");
  actions_.FileFinished(*saved, true, "");
}

bool FileTransfers::HandleCancel(uint32_t file_id) {
  auto it = accepted_.find(file_id);
  if (it == accepted_.end())
    return false;
  if (files_ != nullptr)
    files_->Discard(file_id);
  hooks_.record(hooks_.technician() + " cancelled sending " +
                Quoted(it->second.name) + ".");
  accepted_.erase(it);
  actions_.FileFinished("", false, "The technician cancelled the transfer.");
  log::Info("file transfer: file {} cancelled by the technician", file_id);
  return true;
}

bool FileTransfers::StopReceiving() {
  if (accepted_.empty())
    return false;
  while (!accepted_.empty()) {
    const uint32_t id = accepted_.begin()->first;
    const std::string name = accepted_.begin()->second.name;
    if (files_ != nullptr)
      files_->Discard(id);
    accepted_.erase(accepted_.begin());
    actions_.FileFinished("", false, "The transfer was stopped.");
    hooks_.record("The transfer of " + Quoted(name) + " was stopped.");
  }
  return true;
}

void FileTransfers::FailIncoming(uint32_t file_id, const std::string& reason) {
  auto it = accepted_.find(file_id);
  std::string name;
  if (it != accepted_.end()) {
    name = it->second.name;
    accepted_.erase(it);
  }
  if (files_ != nullptr)
    files_->Discard(file_id);
  log::Warn("file transfer: file {} failed: {}", file_id, reason);
  hooks_.refuse(Refusal::kFileFailed);
  proto::PeerMessage cancel;
  cancel.mutable_file_cancel()->set_file_id(file_id);
  cancel.mutable_file_cancel()->set_reason(reason);
  actions_.Send(std::move(cancel));
  if (!name.empty()) {
    hooks_.record("The file " + Quoted(name) + " was not saved: " + reason +
                  ".");
    actions_.FileFinished("", false, reason);
  }
}

// ---- the customer's own files ----------------------------------------------

bool FileTransfers::Offer(uint32_t file_id,
                          const std::string& name,
                          uint64_t size,
                          const crypto::Sha256Digest& sha256) {
  if (!protocol::IsCustomerFileId(file_id) || offered_.contains(file_id))
    return false;
  offered_[file_id] = {name, size, false};
  proto::PeerMessage message;
  proto::FileOffer& offer = *message.mutable_file_offer();
  offer.set_file_id(file_id);
  offer.set_name(name);
  offer.set_size(size);
  offer.set_sha256(sha256.data(), sha256.size());
  actions_.Send(std::move(message));
  log::Info("file transfer: offered file {} ({} bytes) to the technician",
            file_id, size);
  return true;
}

void FileTransfers::HandleAccept(uint32_t file_id) {
  auto it = offered_.find(file_id);
  if (it == offered_.end() || it->second.accepted) {
    hooks_.refuse(Refusal::kFileNotAccepted);
    return;
  }
  it->second.accepted = true;
  actions_.StartSendingFile(file_id);
}

void FileTransfers::HandleOutgoingCancel(uint32_t file_id,
                                         const std::string& reason) {
  auto it = offered_.find(file_id);
  if (it == offered_.end())
    return;  // finished or cancelled here meanwhile: the messages crossed
  const OfferedFile file = it->second;
  offered_.erase(it);
  // The technician's reason is shown as text only, never interpreted.
  const std::string shown =
      reason.size() > 200 ? reason.substr(0, 200) : reason;
  if (!file.accepted) {
    hooks_.record(hooks_.technician() + " declined your file " +
                  Quoted(file.name) + ".");
    actions_.StopSendingFile(file_id, "", SentFile::State::kDeclined,
                             "The technician declined the file.");
  } else {
    hooks_.record(hooks_.technician() + " stopped the transfer of " +
                  Quoted(file.name) + ".");
    actions_.StopSendingFile(
        file_id, "", SentFile::State::kCancelled,
        "The technician stopped the transfer" +
            (shown.empty() ? std::string(".") : ": " + shown));
  }
  log::Info("file transfer: file {} stopped by the technician", file_id);
}

void FileTransfers::CancelOutgoing(uint32_t file_id) {
  auto it = offered_.find(file_id);
  if (it == offered_.end())
    return;
  const OfferedFile file = it->second;
  offered_.erase(it);
  hooks_.record("You stopped sending " + Quoted(file.name) + ".");
  actions_.StopSendingFile(file_id, "The customer cancelled the transfer.",
                           SentFile::State::kCancelled,
                           "You stopped the transfer.");
}

void FileTransfers::OutgoingFinished(uint32_t file_id,
                                     bool ok,
                                     const std::string& why) {
  auto it = offered_.find(file_id);
  if (it == offered_.end())
    return;
  const OfferedFile file = it->second;
  offered_.erase(it);
  if (ok) {
    hooks_.record("You sent " + Quoted(file.name) + " (" +
                  protocol::FormatFileSize(file.size) + ") to the technician.");
  } else {
    hooks_.record("Your file " + Quoted(file.name) +
                  " could not be sent: " + why);
  }
}

void FileTransfers::StopAllOutgoing() {
  while (!offered_.empty()) {
    const uint32_t id = offered_.begin()->first;
    const std::string name = offered_.begin()->second.name;
    offered_.erase(offered_.begin());
    hooks_.record("Sending " + Quoted(name) + " was stopped.");
    actions_.StopSendingFile(id, "", SentFile::State::kCancelled,
                             "The transfer was stopped.");
  }
}

// ---- both ----------------------------------------------------------------

void FileTransfers::StopAll() {
  if (files_ != nullptr)
    files_->DiscardAll();
  for (const auto& [id, file] : accepted_)
    hooks_.record("The transfer of " + Quoted(file.name) + " was stopped.");
  accepted_.clear();
  StopAllOutgoing();
}

}  // namespace tether::customer
