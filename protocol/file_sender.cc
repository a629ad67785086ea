#include "protocol/file_sender.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "base/log.h"

namespace tether::protocol {
namespace {

constexpr size_t kHashBlock = 256 * 1024;

std::string ErrnoText(int error) {
  return std::strerror(error);
}

// pread that retries interrupted calls; -1 and errno on failure.
ssize_t ReadAt(int fd, uint8_t* buffer, size_t size, uint64_t offset) {
  while (true) {
    const ssize_t n = pread(fd, buffer, size, static_cast<off_t>(offset));
    if (n >= 0 || errno != EINTR)
      return n;
  }
}

}  // namespace

struct FileSender::File {
  explicit File(int descriptor) : fd(descriptor) {}
  ~File() { close(fd); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const int fd;
  uint32_t id = 0;
  std::string name;
  uint64_t size = 0;
  std::atomic<bool> cancelled{false};
};

FileSender::FileSender(Callbacks callbacks, FileSenderOptions options)
    : callbacks_(std::move(callbacks)),
      options_(options),
      thread_([this] { Run(); }) {}

FileSender::~FileSender() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    for (auto& [id, file] : files_)
      file->cancelled = true;
  }
  wake_.notify_all();
  thread_.join();
}

Result<void> FileSender::Prepare(uint32_t file_id,
                                 const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..")
    return MakeError("\"" + path.string() + "\" is not a file.");
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError("Cannot open \"" + name + "\": " + ErrnoText(errno) + ".");
  }
  auto file = std::make_shared<File>(fd);
  struct stat info {};
  if (fstat(fd, &info) != 0)
    return MakeError("Cannot read \"" + name + "\": " + ErrnoText(errno) + ".");
  if (!S_ISREG(info.st_mode))
    return MakeError("\"" + name + "\" is not a file; only files can be sent.");
  file->id = file_id;
  file->name = name;
  file->size = static_cast<uint64_t>(info.st_size);
  {
    std::lock_guard lock(mutex_);
    if (files_.contains(file_id))
      return MakeError("file id already in use");
    files_[file_id] = std::move(file);
    jobs_.push_back({Job::Kind::kHash, file_id});
  }
  wake_.notify_all();
  return {};
}

void FileSender::Start(uint32_t file_id) {
  {
    std::lock_guard lock(mutex_);
    if (!files_.contains(file_id))
      return;
    jobs_.push_back({Job::Kind::kStream, file_id});
  }
  wake_.notify_all();
}

void FileSender::Cancel(uint32_t file_id, const std::string& reason) {
  std::shared_ptr<File> file;
  {
    std::lock_guard lock(mutex_);
    auto it = files_.find(file_id);
    if (it == files_.end())
      return;
    file = it->second;
    files_.erase(it);
  }
  {
    std::lock_guard send_lock(send_mutex_);
    if (file->cancelled.exchange(true))
      return;
    if (!reason.empty()) {
      proto::PeerMessage cancel;
      cancel.mutable_file_cancel()->set_file_id(file_id);
      cancel.mutable_file_cancel()->set_reason(reason);
      callbacks_.send(std::move(cancel));
    }
  }
  wake_.notify_all();  // a worker waiting for room looks again
}

std::shared_ptr<FileSender::File> FileSender::Find(uint32_t file_id) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(file_id);
  return it == files_.end() ? nullptr : it->second;
}

// ---- the worker -------------------------------------------------------------

void FileSender::Run() {
  while (true) {
    Job job{};
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_)
        return;
      job = jobs_.front();
      jobs_.pop_front();
    }
    if (job.kind == Job::Kind::kHash)
      Hash(job.file_id);
    else
      Stream(job.file_id);
  }
}

void FileSender::Hash(uint32_t file_id) {
  std::shared_ptr<File> file = Find(file_id);
  if (!file)
    return;
  crypto::Sha256Hasher hasher;
  std::vector<uint8_t> buffer(kHashBlock);
  uint64_t offset = 0;
  while (true) {
    if (file->cancelled)
      return;
    const ssize_t n = ReadAt(file->fd, buffer.data(), buffer.size(), offset);
    if (n < 0) {
      callbacks_.prepared(file_id, MakeError("Cannot read \"" + file->name +
                                             "\": " + ErrnoText(errno) + "."));
      return;
    }
    if (n == 0)
      break;
    hasher.Update(ByteSpan(buffer.data(), static_cast<size_t>(n)));
    offset += static_cast<uint64_t>(n);
  }
  if (offset != file->size) {
    callbacks_.prepared(file_id, MakeError("\"" + file->name +
                                           "\" changed while it was read; "
                                           "try again once it is complete."));
    return;
  }
  PreparedFile prepared;
  prepared.file_id = file_id;
  prepared.name = file->name;
  prepared.size = file->size;
  prepared.sha256 = hasher.Finish();
  if (!file->cancelled)
    callbacks_.prepared(file_id, std::move(prepared));
}

bool FileSender::WaitForRoom(File& file) {
  while (callbacks_.pending_bytes() > options_.max_pending_bytes) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.pending_poll,
                   [&] { return stop_ || file.cancelled.load(); });
    if (stop_ || file.cancelled)
      return false;
  }
  return !file.cancelled;
}

void FileSender::Stream(uint32_t file_id) {
  std::shared_ptr<File> file = Find(file_id);
  if (!file)
    return;
  const auto fail = [&](const std::string& why) {
    log::Warn("file transfer: file {} failed: {}", file_id, why);
    {
      std::lock_guard send_lock(send_mutex_);
      if (file->cancelled.exchange(true))
        return;
      proto::PeerMessage cancel;
      cancel.mutable_file_cancel()->set_file_id(file_id);
      cancel.mutable_file_cancel()->set_reason(why);
      callbacks_.send(std::move(cancel));
    }
    {
      std::lock_guard lock(mutex_);
      files_.erase(file_id);
    }
    callbacks_.finished(file_id, MakeError(why));
  };

  std::vector<uint8_t> buffer(options_.chunk_size);
  uint64_t offset = 0;
  auto last_report = std::chrono::steady_clock::now();
  while (offset < file->size) {
    if (!WaitForRoom(*file))
      return;
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(buffer.size(), file->size - offset));
    const ssize_t n = ReadAt(file->fd, buffer.data(), want, offset);
    if (n < 0) {
      fail("the file could not be read: " + ErrnoText(errno));
      return;
    }
    if (n == 0) {
      fail("the file became shorter while it was sent");
      return;
    }
    proto::PeerMessage chunk;
    chunk.mutable_file_chunk()->set_file_id(file_id);
    chunk.mutable_file_chunk()->set_offset(offset);
    chunk.mutable_file_chunk()->set_data(buffer.data(), static_cast<size_t>(n));
    while (true) {
      bool sent = false;
      {
        std::lock_guard send_lock(send_mutex_);
        if (file->cancelled)
          return;
        sent = callbacks_.send(chunk);
      }
      if (sent)
        break;
      // The send queue filled between the check and the send: wait again.
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.pending_poll,
                     [&] { return stop_ || file->cancelled.load(); });
      if (stop_ || file->cancelled)
        return;
    }
    offset += static_cast<uint64_t>(n);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report >= options_.progress_interval) {
      last_report = now;
      callbacks_.progress(file_id, offset);
    }
  }
  uint8_t probe = 0;
  if (ReadAt(file->fd, &probe, 1, offset) > 0) {
    fail("the file became longer while it was sent");
    return;
  }
  proto::PeerMessage done;
  done.mutable_file_done()->set_file_id(file_id);
  while (true) {
    bool sent = false;
    {
      std::lock_guard send_lock(send_mutex_);
      if (file->cancelled)
        return;
      sent = callbacks_.send(done);
      if (sent)
        file->cancelled = true;  // finished: a late Cancel() sends nothing
    }
    if (sent)
      break;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.pending_poll, [&] { return stop_; });
    if (stop_)
      return;
  }
  {
    std::lock_guard lock(mutex_);
    files_.erase(file_id);
  }
  callbacks_.progress(file_id, offset);
  callbacks_.finished(file_id, {});
}

}  // namespace tether::protocol
