#pragma once

// The files moving in a session, both ways, once the customer's policy
// allowed them: the technician's files being received (accepted in a
// prompt, written through the FileSink, saved or discarded) and the
// customer's own files offered to the technician (until accepted, sent,
// declined or cancelled). Each change is written into the receipt and
// reported through PolicyActions; what is allowed at all is the policy's
// decision (customer_policy.h).
//
// Threads: one, the policy's.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "crypto/digest.h"
#include "protocol/file_receiver.h"
#include "protocol/peer.pb.h"

namespace tether::customer {

class PolicyActions;
enum class Refusal;

class FileTransfers {
 public:
  // What the transfers need of the policy around them.
  struct Hooks {
    std::function<void(std::string)> record;  // one line for the receipt
    std::function<void(Refusal)> refuse;      // counted, logged once
    std::function<std::string()> technician;  // the technician's name
  };

  // `files` may be null: nothing can be received then (can_receive()).
  FileTransfers(PolicyActions& actions, protocol::FileSink* files, Hooks hooks);
  FileTransfers(const FileTransfers&) = delete;
  FileTransfers& operator=(const FileTransfers&) = delete;

  // ---- the technician's files, to the customer ----
  bool can_receive() const { return files_ != nullptr; }
  // Where received files go, for the prompt. Only when can_receive().
  std::string destination() const { return files_->destination(); }
  // `file_id` is being received now.
  bool receiving(uint32_t file_id) const { return accepted_.contains(file_id); }
  bool receiving_any() const { return !accepted_.empty(); }
  // At least one file was accepted this session (Grants::files).
  bool any_accepted() const { return any_accepted_; }

  // The customer allowed `file`: opens it and answers FileAccept, or
  // FileCancel when it cannot be written.
  void Accept(const protocol::IncomingFile& file);
  void HandleChunk(const proto::FileChunk& chunk);
  void HandleDone(uint32_t file_id);
  // The technician cancelled `file_id`; false when it is not being
  // received (it may still wait in a prompt).
  bool HandleCancel(uint32_t file_id);
  // The customer took the permission back: every file being received is
  // discarded. False when there was none.
  bool StopReceiving();

  // ---- the customer's own files, to the technician ----
  // Offers the file (FileOffer). False (nothing sent) for an id outside the
  // customer's id space or already used.
  bool Offer(uint32_t file_id,
             const std::string& name,
             uint64_t size,
             const crypto::Sha256Digest& sha256);
  void HandleAccept(uint32_t file_id);
  // The technician declined or stopped the customer's `file_id`.
  void HandleOutgoingCancel(uint32_t file_id, const std::string& reason);
  // The customer stops sending `file_id`.
  void CancelOutgoing(uint32_t file_id);
  void OutgoingFinished(uint32_t file_id, bool ok, const std::string& why);

  // The session is over: every transfer, both ways, stops.
  void StopAll();

 private:
  void FailIncoming(uint32_t file_id, const std::string& reason);
  void StopAllOutgoing();

  PolicyActions& actions_;
  protocol::FileSink* const files_;
  const Hooks hooks_;

  struct AcceptedFile {
    std::string name;
    uint64_t size = 0;
  };
  std::map<uint32_t, AcceptedFile> accepted_;
  bool any_accepted_ = false;
  struct OfferedFile {
    std::string name;
    uint64_t size = 0;
    bool accepted = false;
  };
  std::map<uint32_t, OfferedFile> offered_;
};

}  // namespace tether::customer
