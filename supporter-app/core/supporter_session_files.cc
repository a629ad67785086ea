// SupporterSession (supporter_session_impl.h): files both ways. The
// technician's own files are prepared (hashed) by protocol::FileSender,
// offered with a consent request and sent once the customer's app accepts;
// the customer's files are checked, shown for the technician to accept and
// written through protocol::FileReceiver. Every end is in the session
// protocol.

#include <algorithm>
#include <utility>

#include "base/bytes.h"
#include "base/log.h"
#include "base/utf8.h"
#include "supporter-app/core/supporter_session_impl.h"

namespace tether::supporter {
namespace {

// Files the customer offers: waiting for the technician's answer at once,
// and in one session.
constexpr size_t kMaxWaitingIncomingFiles = 4;
constexpr size_t kMaxIncomingFilesPerSession = 256;

}  // namespace

Result<uint32_t> SupporterSessionImpl::SendFile(
    const std::filesystem::path& path) {
  if (!run_ || run_->phase != Phase::kAgreed || !run_->files) {
    return MakeError(
        "Files can be sent once the customer has agreed to the session.");
  }
  const uint32_t id = run_->next_file_id++;
  TETHER_RETURN_IF_ERROR(run_->files->Prepare(id, path));
  Transfer& transfer = run_->transfers[id];
  transfer.shown.file_id = id;
  transfer.shown.name = path.filename().string();
  transfer.shown.state = FileTransfer::State::kAsking;
  transfer.shown.message = "Checking the file.";
  observer_->OnTransfer(transfer.shown);
  return id;
}

void SupporterSessionImpl::CancelFile(uint32_t file_id) {
  if (!run_)
    return;
  if (Transfer* incoming = Incoming(file_id)) {
    if (run_->downloads)
      run_->downloads->Discard(file_id);
    SendFileCancel(file_id, "The technician cancelled the transfer.");
    EndIncoming(*incoming, FileTransfer::State::kCancelled,
                "You cancelled the transfer.", "cancelled");
    return;
  }
  auto it = run_->transfers.find(file_id);
  if (it == run_->transfers.end())
    return;
  Transfer& transfer = it->second;
  if (transfer.shown.state != FileTransfer::State::kAsking &&
      transfer.shown.state != FileTransfer::State::kSending) {
    return;
  }
  // The customer hears of it only once it was offered.
  run_->files->Cancel(file_id, transfer.offered
                                   ? "The technician cancelled the transfer."
                                   : "");
  EndTransfer(transfer, FileTransfer::State::kCancelled,
              "You cancelled the transfer.", "cancelled");
}

void SupporterSessionImpl::EndTransfer(Transfer& transfer,
                                       FileTransfer::State state,
                                       const std::string& message,
                                       const std::string& result) {
  transfer.shown.state = state;
  transfer.shown.message = message;
  Record(SessionLogEvent::kFileDone,
         {{"name", transfer.shown.name},
          {"size", std::to_string(transfer.shown.size)},
          {"result", result}});
  observer_->OnTransfer(transfer.shown);
}

void SupporterSessionImpl::OnFilePrepared(uint32_t file_id,
                                          Result<PreparedFile> prepared) {
  auto it = run_->transfers.find(file_id);
  if (it == run_->transfers.end() ||
      it->second.shown.state != FileTransfer::State::kAsking) {
    return;  // cancelled meanwhile
  }
  Transfer& transfer = it->second;
  if (!prepared) {
    run_->files->Cancel(file_id, "");
    transfer.shown.state = FileTransfer::State::kFailed;
    transfer.shown.message = prepared.error().message;
    observer_->OnTransfer(transfer.shown);
    return;
  }
  transfer.shown.name = prepared->name;
  transfer.shown.size = prepared->size;
  Record(SessionLogEvent::kFileOffered,
         {{"name", prepared->name},
          {"size", std::to_string(prepared->size)},
          {"sha256", ToHex(prepared->sha256)}});
  const PreparedFile offer = *prepared;
  const bool asked = Ask(
      proto::PERMISSION_SEND_FILE, offer.name,
      [&](proto::ConsentRequest& request) {
        proto::FileOffer& file = *request.mutable_file();
        file.set_file_id(offer.file_id);
        file.set_name(offer.name);
        file.set_size(offer.size);
        file.set_sha256(offer.sha256.data(), offer.sha256.size());
      },
      file_id);
  // Ask() may have ended things (OnAnswer called back into the app).
  if (!run_)
    return;
  auto again = run_->transfers.find(file_id);
  if (again == run_->transfers.end())
    return;
  if (!asked) {
    run_->files->Cancel(file_id, "");
    EndTransfer(again->second, FileTransfer::State::kFailed,
                "The file could not be offered.", "failed");
    return;
  }
  again->second.offered = true;
  again->second.shown.message = "Waiting for the customer's answer.";
  observer_->OnTransfer(again->second.shown);
}

void SupporterSessionImpl::OnFileAccept(uint32_t file_id) {
  auto it = run_->transfers.find(file_id);
  if (it == run_->transfers.end() ||
      it->second.shown.state != FileTransfer::State::kAsking ||
      !it->second.offered) {
    return;
  }
  it->second.shown.state = FileTransfer::State::kSending;
  it->second.shown.message.clear();
  run_->files->Start(file_id);
  observer_->OnTransfer(it->second.shown);
}

void SupporterSessionImpl::OnFileCancel(const proto::FileCancel& cancel) {
  auto it = run_->transfers.find(cancel.file_id());
  if (it == run_->transfers.end())
    return;
  Transfer& transfer = it->second;
  const std::string reason = Shown(cancel.reason());
  using State = FileTransfer::State;
  switch (transfer.shown.state) {
    case State::kRefused:
      // Refused without a prompt (too big, no download folder): the
      // reason follows the answer.
      if (!reason.empty()) {
        transfer.shown.message =
            "The customer's app refused the file: " + reason;
        observer_->OnTransfer(transfer.shown);
      }
      break;
    case State::kAsking:
    case State::kSending:
    case State::kDone:
      run_->files->Cancel(cancel.file_id(), "");
      EndTransfer(transfer, State::kFailed,
                  "The customer's side stopped the transfer" +
                      (reason.empty() ? std::string(".") : ": " + reason),
                  "failed");
      break;
    default:
      break;
  }
}

void SupporterSessionImpl::SendFileCancel(uint32_t file_id,
                                          const std::string& reason) {
  proto::PeerMessage cancel;
  cancel.mutable_file_cancel()->set_file_id(file_id);
  cancel.mutable_file_cancel()->set_reason(reason);
  engine_->Send(std::move(cancel));
}

SupporterSessionImpl::Transfer* SupporterSessionImpl::Incoming(
    uint32_t file_id) {
  if (!run_)
    return nullptr;
  auto it = run_->transfers.find(file_id);
  if (it == run_->transfers.end() || !it->second.incoming)
    return nullptr;
  const auto state = it->second.shown.state;
  if (state != FileTransfer::State::kAsking &&
      state != FileTransfer::State::kSending) {
    return nullptr;
  }
  return &it->second;
}

void SupporterSessionImpl::EndIncoming(Transfer& transfer,
                                       FileTransfer::State state,
                                       const std::string& message,
                                       const std::string& result) {
  transfer.shown.state = state;
  transfer.shown.message = message;
  SessionLog::Fields fields = {{"direction", "from_customer"},
                               {"name", transfer.shown.name},
                               {"size", std::to_string(transfer.shown.size)},
                               {"result", result}};
  if (!transfer.shown.saved_path.empty())
    fields.push_back({"path", transfer.shown.saved_path});
  Record(SessionLogEvent::kFileDone, fields);
  observer_->OnTransfer(transfer.shown);
}

void SupporterSessionImpl::OnIncomingOffer(const proto::FileOffer& offer) {
  const uint32_t file_id = offer.file_id();
  // Only the customer's own id space, only once it agreed, never twice:
  // anything else gets a FileCancel and no row.
  if (run_->phase != Phase::kAgreed || !protocol::IsCustomerFileId(file_id)) {
    SendFileCancel(file_id, "files are taken only during an agreed session");
    return;
  }
  if (run_->transfers.contains(file_id))
    return;  // a duplicate: the first offer stands
  // A flood of offers must not become a flood of rows: a few wait for
  // an answer at a time, and a session takes a bounded number.
  size_t waiting = 0;
  size_t offered = 0;
  for (const auto& [id, t] : run_->transfers) {
    if (t.shown.direction != FileTransfer::Direction::kFromCustomer)
      continue;
    ++offered;
    if (t.shown.state == FileTransfer::State::kAsking)
      ++waiting;
  }
  if (waiting >= kMaxWaitingIncomingFiles ||
      offered >= kMaxIncomingFilesPerSession) {
    SendFileCancel(file_id, "too many files offered; wait for an answer");
    return;
  }
  Transfer& transfer = run_->transfers[file_id];
  transfer.shown.direction = FileTransfer::Direction::kFromCustomer;
  transfer.shown.file_id = file_id;
  transfer.shown.size = offer.size();
  auto checked = protocol::CheckFileOffer(offer, protocol::kDefaultMaxFileSize);
  if (!checked) {
    transfer.shown.name = Shown(CutUtf8(offer.name(), kMaxNameBytes));
    SendFileCancel(file_id, checked.error().message);
    EndIncoming(transfer, FileTransfer::State::kRefused,
                "The file was refused: " + checked.error().message, "refused");
    return;
  }
  if (checked->name.changes != protocol::kNameChangeNone) {
    log::Info("incoming file: name sanitised ({})",
              protocol::DescribeNameChanges(checked->name.changes));
  }
  transfer.shown.name = checked->name.name;
  transfer.shown.message = "The customer offers this file.";
  Record(SessionLogEvent::kFileOffered,
         {{"direction", "from_customer"},
          {"name", checked->name.name},
          {"size", std::to_string(checked->size)},
          {"sha256", ToHex(checked->sha256)}});
  transfer.incoming = *std::move(checked);
  observer_->OnTransfer(transfer.shown);
}

void SupporterSessionImpl::AcceptFile(uint32_t file_id) {
  Transfer* transfer = Incoming(file_id);
  if (transfer == nullptr ||
      transfer->shown.state != FileTransfer::State::kAsking) {
    return;
  }
  if (!run_->downloads) {
    auto downloads = OpenDownloads();
    if (!downloads) {
      SendFileCancel(file_id, "the technician's download folder is not usable");
      EndIncoming(*transfer, FileTransfer::State::kFailed,
                  downloads.error().message, "failed");
      return;
    }
    run_->downloads = std::move(*downloads);
  }
  if (auto opened = run_->downloads->Open(*transfer->incoming); !opened) {
    SendFileCancel(file_id, opened.error().message);
    EndIncoming(*transfer, FileTransfer::State::kFailed, opened.error().message,
                "failed");
    return;
  }
  proto::PeerMessage accept;
  accept.mutable_file_accept()->set_file_id(file_id);
  engine_->Send(std::move(accept));
  transfer->shown.state = FileTransfer::State::kSending;
  transfer->shown.message = "Saving to " + run_->downloads->destination();
  observer_->OnTransfer(transfer->shown);
}

void SupporterSessionImpl::DeclineFile(uint32_t file_id) {
  Transfer* transfer = Incoming(file_id);
  if (transfer == nullptr ||
      transfer->shown.state != FileTransfer::State::kAsking) {
    return;
  }
  SendFileCancel(file_id, "The technician declined the file.");
  EndIncoming(*transfer, FileTransfer::State::kRefused,
              "You declined the file.", "declined");
}

Result<std::unique_ptr<protocol::FileReceiver>>
SupporterSessionImpl::OpenDownloads() {
  const std::filesystem::path& dir = options_.config.download_dir;
  if (dir.empty())
    return MakeError("No download folder is set (download_dir).");
  // The technician's own folder: created when missing, like ~/Downloads
  // on a fresh account.
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  auto receiver = protocol::FileReceiver::Create({dir, 4});
  if (!receiver) {
    return MakeError("Files cannot be saved in " + dir.string() + ": " +
                     receiver.error().message);
  }
  return receiver;
}

void SupporterSessionImpl::FailIncoming(Transfer& transfer,
                                        const std::string& why) {
  run_->downloads->Discard(transfer.shown.file_id);
  SendFileCancel(transfer.shown.file_id, why);
  EndIncoming(transfer, FileTransfer::State::kFailed,
              "The file could not be saved: " + why, "failed");
}

void SupporterSessionImpl::OnIncomingChunk(const proto::FileChunk& chunk) {
  Transfer* transfer = Incoming(chunk.file_id());
  if (transfer == nullptr ||
      transfer->shown.state != FileTransfer::State::kSending) {
    return;  // not accepted (or already ended): nothing is written
  }
  auto written = run_->downloads->Write(
      chunk.file_id(), chunk.offset(),
      ByteSpan(reinterpret_cast<const uint8_t*>(chunk.data().data()),
               chunk.data().size()));
  if (!written) {
    FailIncoming(*transfer, written.error().message);
    return;
  }
  transfer->shown.sent = chunk.offset() + chunk.data().size();
  // About a hundred updates per file, not one per chunk.
  const uint64_t step =
      std::max<uint64_t>(transfer->shown.size / 100, 256 * 1024);
  if (transfer->shown.sent - transfer->reported >= step) {
    transfer->reported = transfer->shown.sent;
    observer_->OnTransfer(transfer->shown);
  }
}

void SupporterSessionImpl::OnIncomingDone(uint32_t file_id) {
  Transfer* transfer = Incoming(file_id);
  if (transfer == nullptr ||
      transfer->shown.state != FileTransfer::State::kSending) {
    return;
  }
  auto saved = run_->downloads->Finish(file_id);
  if (!saved) {
    // Finish() already deleted the temporary file.
    SendFileCancel(file_id, saved.error().message);
    EndIncoming(*transfer, FileTransfer::State::kFailed,
                "The file could not be saved: " + saved.error().message,
                "failed");
    return;
  }
  log::Info("incoming file: file {} saved ({} bytes)", file_id,
            transfer->shown.size);
  transfer->shown.sent = transfer->shown.size;
  transfer->shown.saved_path = *saved;
  EndIncoming(*transfer, FileTransfer::State::kDone, "Saved to " + *saved,
              "ok");
}

void SupporterSessionImpl::OnIncomingCancel(const proto::FileCancel& cancel) {
  Transfer* transfer = Incoming(cancel.file_id());
  if (transfer == nullptr)
    return;
  if (run_->downloads)
    run_->downloads->Discard(cancel.file_id());
  const std::string reason = Shown(CutUtf8(cancel.reason(), kMaxNameBytes));
  EndIncoming(*transfer, FileTransfer::State::kCancelled,
              "The customer stopped the transfer" +
                  (reason.empty() ? std::string(".") : ": " + reason),
              "cancelled");
}

void SupporterSessionImpl::OnFileProgress(uint32_t file_id, uint64_t sent) {
  auto it = run_->transfers.find(file_id);
  if (it == run_->transfers.end() ||
      it->second.shown.state != FileTransfer::State::kSending) {
    return;
  }
  it->second.shown.sent = sent;
  observer_->OnTransfer(it->second.shown);
}

void SupporterSessionImpl::OnFileFinished(uint32_t file_id,
                                          Result<void> result) {
  auto it = run_->transfers.find(file_id);
  if (it == run_->transfers.end() ||
      it->second.shown.state != FileTransfer::State::kSending) {
    return;
  }
  if (result) {
    it->second.shown.sent = it->second.shown.size;
    EndTransfer(it->second, FileTransfer::State::kDone, "", "sent");
  } else {
    EndTransfer(it->second, FileTransfer::State::kFailed,
                "The file could not be sent: " + result.error().message,
                "failed");
  }
}

}  // namespace tether::supporter
