#pragma once

// Sending one's own files to the other app, the reading half, shared by both
// apps (technician -> customer, and customer -> technician): a worker
// thread hashes each file (SHA-256, for the FileOffer the receiver checks
// the saved file against) and, once the receiver accepted it, streams it
// as FileChunks followed by FileDone. The worker waits while the engine's
// send queue is full (PeerSession::pending_bytes()), so a big file never
// fills the memory or starves the video, and the UI thread never reads a
// file. The conversation around it (the offer, the answer, FileAccept,
// FileCancel from the receiver) is the session's, because the two
// directions ask differently: the technician asks for consent, the
// customer offers its own file directly.
//
// The file is opened once, in Prepare(): what is hashed is what is sent,
// even if the path is replaced meanwhile. A file that changes size while it
// is sent fails (the receiver's hash check would refuse it anyway).
//
// Threads: the public methods on one owner thread (the session's app
// thread). The callbacks run on the worker thread, except that Cancel()
// calls `send` on the caller's; none runs after the destructor returns.
// No FileChunk of a file is sent after its FileCancel.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "crypto/digest.h"
#include "protocol/peer.pb.h"

namespace tether::protocol {

// File ids are chosen by the side that offers the file, so the two
// directions use separate id spaces (see FileOffer in peer.proto): the
// customer's ids have this bit set, the technician's do not. A FileCancel,
// which either side sends about either direction, is then never ambiguous.
inline constexpr uint32_t kCustomerFileIdBit = 0x80000000u;
inline bool IsCustomerFileId(uint32_t file_id) {
  return (file_id & kCustomerFileIdBit) != 0;
}

struct PreparedFile {
  uint32_t file_id = 0;
  std::string name;  // the bare file name offered to the other side
  uint64_t size = 0;
  crypto::Sha256Digest sha256{};
};

struct FileSenderOptions {
  size_t chunk_size = 64 * 1024;
  // Chunks wait while more than this is queued in the engine.
  size_t max_pending_bytes = 1 << 20;
  // How often the worker looks again at a full send queue (the engine has
  // no "drained" callback).
  std::chrono::milliseconds pending_poll{5};
  // Progress reports at most this often (and once at the end).
  std::chrono::milliseconds progress_interval{100};
};

class FileSender {
 public:
  struct Callbacks {
    // Sends one message to the other app; false when the link refused it.
    std::function<bool(proto::PeerMessage)> send;
    std::function<size_t()> pending_bytes;
    // The file was hashed (or could not be read).
    std::function<void(uint32_t file_id, Result<PreparedFile> prepared)>
        prepared;
    std::function<void(uint32_t file_id, uint64_t sent)> progress;
    // FileDone was sent (ok), or the file failed while it was read.
    std::function<void(uint32_t file_id, Result<void> result)> finished;
  };

  FileSender(Callbacks callbacks, FileSenderOptions options = {});
  ~FileSender();  // stops the worker; files still going are not finished
  FileSender(const FileSender&) = delete;
  FileSender& operator=(const FileSender&) = delete;

  // Opens `path` (a regular file) and queues its hashing. Errors (not a
  // file, unreadable) come back at once, in plain words.
  Result<void> Prepare(uint32_t file_id, const std::filesystem::path& path);
  // The receiver accepted `file_id`: queue its chunks.
  void Start(uint32_t file_id);
  // Stops `file_id` wherever it is. With a non-empty `reason`, tells the
  // receiver (FileCancel) after the last chunk that went out.
  void Cancel(uint32_t file_id, const std::string& reason);

 private:
  struct File;
  struct Job {
    enum class Kind { kHash, kStream } kind;
    uint32_t file_id;
  };

  void Run();
  void Hash(uint32_t file_id);
  void Stream(uint32_t file_id);
  std::shared_ptr<File> Find(uint32_t file_id);
  // Worker: waits until the engine has room (or the file was cancelled,
  // or the sender stops). False: give up.
  bool WaitForRoom(File& file);

  const Callbacks callbacks_;
  const FileSenderOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::map<uint32_t, std::shared_ptr<File>> files_;
  bool stop_ = false;
  // Held while a chunk is checked and sent, and while a FileCancel is:
  // once Cancel() has sent FileCancel, no chunk of that file follows.
  std::mutex send_mutex_;

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tether::protocol
