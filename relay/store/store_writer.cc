#include "relay/store/store_writer.h"

#include <utility>
#include <vector>

#include "base/log.h"

namespace tether::relay {

StoreWriter::StoreWriter(Store& store)
    : store_(store), thread_([this] { Run(); }) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void StoreWriter::RecordEvent(ConnectionEvent event) {
  Post(LogRow(std::move(event)));
}

void StoreWriter::Audit(std::string actor,
                        std::string action,
                        std::string subject,
                        std::string detail) {
  Post(LogRow(AuditEntry{std::move(actor), std::move(action),
                         std::move(subject), std::move(detail)}));
}

void StoreWriter::PurgeEventsBefore(Clock::WallTime cutoff) {
  Post([cutoff](Store& store) -> Result<void> {
    auto purged = store.PurgeEventsBefore(cutoff, "system");
    if (!purged)
      return Unexpected(purged.error());
    if (*purged > 0)
      log::Info("purged {} old connection events", *purged);
    return {};
  });
}

void StoreWriter::Post(Write write) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueued) {
      if (dropped_++ % 1000 == 0) {
        log::Error("store is too slow: {} writes dropped so far", dropped_);
      }
      return;
    }
    queue_.push_back(std::move(write));
  }
  wake_.notify_one();
}

void StoreWriter::Flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

size_t StoreWriter::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

size_t StoreWriter::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void StoreWriter::WriteNext(std::unique_lock<std::mutex>& lock) {
  std::vector<LogRow> rows;
  std::function<Result<void>(Store&)> job;
  while (!queue_.empty() && rows.size() < kMaxBatch) {
    auto* row = std::get_if<LogRow>(&queue_.front());
    if (row == nullptr) {
      if (rows.empty()) {
        job = std::get<1>(std::move(queue_.front()));
        queue_.pop_front();
      }
      break;
    }
    rows.push_back(std::move(*row));
    queue_.pop_front();
  }
  writing_ = true;
  lock.unlock();
  auto written = job ? job(store_) : WriteRows(rows);
  lock.lock();
  writing_ = false;
  if (!written) {
    ++failed_;
    log::Error("store write failed: {}", written.error().message);
  }
}

Result<void> StoreWriter::WriteRows(const std::vector<LogRow>& rows) {
  auto batch = store_.AppendRows(rows);
  if (batch || rows.size() == 1)
    return batch;
  Result<void> last;
  for (const LogRow& row : rows) {
    if (auto written = store_.AppendRows({&row, 1}); !written)
      last = std::move(written);
  }
  return last;
}

void StoreWriter::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty())
      break;  // stopping, and everything is written
    WriteNext(lock);
    if (queue_.empty())
      idle_.notify_all();
  }
  idle_.notify_all();
}

}  // namespace tether::relay
