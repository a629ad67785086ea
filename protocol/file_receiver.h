#pragma once

// Received files, shared by both apps (the customer receives what it allowed
// the technician to send; the technician receives what it accepted from the
// customer): written to a hidden temporary file inside the download folder,
// checked against the offered SHA-256, then given their (sanitised) name
// without replacing anything already there ("report (1).pdf"). Nothing
// outside the folder is ever opened or created: every file operation is
// relative to the folder's descriptor, the temporary file is created with
// O_EXCL|O_NOFOLLOW, and the final name is taken with a rename that refuses
// to replace (a symlink planted under the target name stays as it is and is
// not followed).
// Temporary files are deleted on cancel, on failure and when the receiver
// is destroyed (the session ended).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/digest.h"
#include "protocol/file_name.h"
#include "protocol/peer.pb.h"

namespace tether::protocol {

inline constexpr uint64_t kDefaultMaxFileSize = uint64_t{2} << 30;  // 2 GiB

// An offer that passed the checks that need no disk: a usable name, a size
// within the limit, a SHA-256 to verify against.
struct IncomingFile {
  uint32_t file_id = 0;
  SanitizedFileName name;
  uint64_t size = 0;
  crypto::Sha256Digest sha256{};
};

// Pure: the sanitised name, the size limit, a 32-byte digest.
Result<IncomingFile> CheckFileOffer(const proto::FileOffer& offer,
                                    uint64_t max_file_size);

// "12 KB", "3.4 MB": sizes for people (decimal units, as file managers show).
std::string FormatFileSize(uint64_t bytes);

// Where the policy puts the bytes of files it allowed. One thread.
class FileSink {
 public:
  virtual ~FileSink() = default;
  // The folder files are saved in, for the prompt.
  virtual std::string destination() const = 0;
  // Starts receiving an allowed file. Errors: too many at once, no space,
  // the folder is not writable.
  virtual Result<void> Open(const IncomingFile& file) = 0;
  // The next piece, in order: `offset` must be what arrived so far and the
  // piece must not go past the offered size.
  virtual Result<void> Write(uint32_t file_id,
                             uint64_t offset,
                             ByteSpan data) = 0;
  // Everything arrived: verifies size and SHA-256 and saves the file under
  // a name nothing else has. Returns the saved path. On any error the
  // temporary file is already deleted.
  virtual Result<std::string> Finish(uint32_t file_id) = 0;
  // Deletes what arrived of `file_id` (unknown ids are ignored).
  virtual void Discard(uint32_t file_id) = 0;
  virtual void DiscardAll() = 0;
  virtual bool IsOpen(uint32_t file_id) const = 0;
};

struct FileReceiverOptions {
  std::filesystem::path directory;
  size_t max_open_files = 4;
};

class FileReceiver final : public FileSink {
 public:
  // Opens `directory` (it must exist; a symlinked folder is followed once,
  // here: it is the customer's own configuration).
  static Result<std::unique_ptr<FileReceiver>> Create(
      const FileReceiverOptions& options);
  ~FileReceiver() override;  // DiscardAll()
  FileReceiver(const FileReceiver&) = delete;
  FileReceiver& operator=(const FileReceiver&) = delete;

  std::string destination() const override;
  Result<void> Open(const IncomingFile& file) override;
  Result<void> Write(uint32_t file_id, uint64_t offset, ByteSpan data) override;
  Result<std::string> Finish(uint32_t file_id) override;
  void Discard(uint32_t file_id) override;
  void DiscardAll() override;
  bool IsOpen(uint32_t file_id) const override;

 private:
  struct Transfer;
  FileReceiver(int dir_fd, FileReceiverOptions options);
  void Remove(std::map<uint32_t, std::unique_ptr<Transfer>>::iterator it);

  int dir_fd_;
  FileReceiverOptions options_;
  uint64_t temp_counter_ = 0;
  std::map<uint32_t, std::unique_ptr<Transfer>> transfers_;
};

}  // namespace tether::protocol
