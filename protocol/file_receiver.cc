#include "protocol/file_receiver.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/log.h"

namespace tether::protocol {

namespace {

// A file stays hidden and unmistakable while it arrives.
std::string TempName(uint32_t file_id, uint64_t counter) {
  return ".tether-incoming-" + std::to_string(getpid()) + "-" +
         std::to_string(file_id) + "-" + std::to_string(counter) + ".part";
}

// Takes `to` for the file `from` without replacing anything that exists
// there (a file, a directory, a symlink, which is not followed either).
// EEXIST when the name is taken.
int RenameNoReplace(int dir_fd,
                    const std::string& from,
                    const std::string& to) {
  if (renameat2(dir_fd, from.c_str(), dir_fd, to.c_str(), RENAME_NOREPLACE) ==
      0) {
    return 0;
  }
  const int error = errno;
  if (error != EINVAL && error != ENOSYS)
    return error;
  // File systems without RENAME_NOREPLACE: a hard link fails on any
  // existing name as well, then the temporary name goes.
  if (linkat(dir_fd, from.c_str(), dir_fd, to.c_str(), 0) != 0)
    return errno;
  unlinkat(dir_fd, from.c_str(), 0);
  return 0;
}

}  // namespace

struct FileReceiver::Transfer {
  IncomingFile file;
  std::string temp_name;
  int fd = -1;
  uint64_t received = 0;
  crypto::Sha256Hasher hasher;
};

Result<IncomingFile> CheckFileOffer(const proto::FileOffer& offer,
                                    uint64_t max_file_size) {
  TETHER_TRY(name, SanitizeFileName(offer.name()));
  if (offer.size() > max_file_size) {
    return MakeError("the file is larger than " +
                     FormatFileSize(max_file_size) +
                     ", the most this app accepts");
  }
  if (offer.sha256().size() != crypto::Sha256Digest{}.size())
    return MakeError("the offer has no valid checksum");
  IncomingFile file;
  file.file_id = offer.file_id();
  file.name = *std::move(name);
  file.size = offer.size();
  std::memcpy(file.sha256.data(), offer.sha256().data(), file.sha256.size());
  return file;
}

std::string FormatFileSize(uint64_t bytes) {
  if (bytes < 1000)
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1000 && unit < 3) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  if (value < 10) {
    std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  } else {
    std::snprintf(text, sizeof(text), "%.0f %s", value, kUnits[unit]);
  }
  return text;
}

Result<std::unique_ptr<FileReceiver>> FileReceiver::Create(
    const FileReceiverOptions& options) {
  const int fd =
      open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError("the download folder " + options.directory.string() +
                     " cannot be opened: " + std::strerror(errno));
  }
  return std::unique_ptr<FileReceiver>(new FileReceiver(fd, options));
}

FileReceiver::FileReceiver(int dir_fd, FileReceiverOptions options)
    : dir_fd_(dir_fd), options_(std::move(options)) {}

FileReceiver::~FileReceiver() {
  DiscardAll();
  close(dir_fd_);
}

std::string FileReceiver::destination() const {
  return options_.directory.string();
}

bool FileReceiver::IsOpen(uint32_t file_id) const {
  return transfers_.contains(file_id);
}

Result<void> FileReceiver::Open(const IncomingFile& file) {
  if (transfers_.contains(file.file_id))
    return MakeError("a file with this number is already arriving");
  if (transfers_.size() >= options_.max_open_files)
    return MakeError("too many files are arriving at once");
  struct statvfs fs {};
  if (fstatvfs(dir_fd_, &fs) == 0 && fs.f_frsize > 0) {
    const uint64_t blocks_needed =
        file.size / fs.f_frsize + (file.size % fs.f_frsize != 0 ? 1 : 0);
    if (fs.f_bavail < blocks_needed) {
      return MakeError("there is not enough free space in " +
                       options_.directory.string());
    }
  }
  auto transfer = std::make_unique<Transfer>();
  transfer->file = file;
  for (int attempt = 0; attempt < 16 && transfer->fd < 0; ++attempt) {
    transfer->temp_name = TempName(file.file_id, ++temp_counter_);
    transfer->fd =
        openat(dir_fd_, transfer->temp_name.c_str(),
               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (transfer->fd < 0 && errno != EEXIST) {
      return MakeError("cannot create a file in " +
                       options_.directory.string() + ": " +
                       std::strerror(errno));
    }
  }
  if (transfer->fd < 0)
    return MakeError("cannot create a temporary file in the download folder");
  transfers_.emplace(file.file_id, std::move(transfer));
  return {};
}

Result<void> FileReceiver::Write(uint32_t file_id,
                                 uint64_t offset,
                                 ByteSpan data) {
  auto it = transfers_.find(file_id);
  if (it == transfers_.end())
    return MakeError("no such file is arriving");
  Transfer& t = *it->second;
  if (offset != t.received) {
    Remove(it);
    return MakeError("a piece of the file arrived out of order");
  }
  if (data.size() > t.file.size - t.received) {
    Remove(it);
    return MakeError("more data arrived than the offered size");
  }
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = write(t.fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "disk full";
      Remove(it);
      return MakeError("cannot write the file: " + why);
    }
    written += static_cast<size_t>(n);
  }
  t.hasher.Update(data);
  t.received += data.size();
  return {};
}

Result<std::string> FileReceiver::Finish(uint32_t file_id) {
  auto it = transfers_.find(file_id);
  if (it == transfers_.end())
    return MakeError("no such file is arriving");
  Transfer& t = *it->second;
  if (t.received != t.file.size) {
    Remove(it);
    return MakeError("the file ended early: " + FormatFileSize(t.received) +
                     " of " + FormatFileSize(t.file.size) + " arrived");
  }
  if (t.hasher.Finish() != t.file.sha256) {
    Remove(it);
    return MakeError(
        "the file arrived damaged (its checksum does not match); it was not "
        "saved");
  }
  if (close(t.fd) != 0) {
    t.fd = -1;
    Remove(it);
    return MakeError("cannot write the file: " +
                     std::string(std::strerror(errno)));
  }
  t.fd = -1;
  constexpr int kMaxNumber = 999;
  for (int n = 0; n <= kMaxNumber; ++n) {
    const std::string name = NumberedFileName(t.file.name.name, n);
    const int error = RenameNoReplace(dir_fd_, t.temp_name, name);
    if (error == EEXIST || error == ENOTEMPTY)
      continue;
    if (error != 0) {
      Remove(it);
      return MakeError("cannot save the file: " +
                       std::string(std::strerror(error)));
    }
    transfers_.erase(it);
    return (options_.directory / name).string();
  }
  Remove(it);
  return MakeError("too many files with this name in the download folder");
}

void FileReceiver::Discard(uint32_t file_id) {
  auto it = transfers_.find(file_id);
  if (it != transfers_.end())
    Remove(it);
}

void FileReceiver::DiscardAll() {
  while (!transfers_.empty())
    Remove(transfers_.begin());
}

void FileReceiver::Remove(
    std::map<uint32_t, std::unique_ptr<Transfer>>::iterator it) {
  Transfer& t = *it->second;
  if (t.fd >= 0)
    close(t.fd);
  if (unlinkat(dir_fd_, t.temp_name.c_str(), 0) != 0 && errno != ENOENT) {
    log::Warn("file transfer: cannot delete a temporary file: {}",
              std::strerror(errno));
  }
  transfers_.erase(it);
}

}  // namespace tether::protocol
