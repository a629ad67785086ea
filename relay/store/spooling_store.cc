#include "relay/store/spooling_store.h"

#include <utility>

#include "base/log.h"
#include "relay/store/store_checks.h"

namespace tether::relay {

SpoolingStore::SpoolingStore(std::unique_ptr<PgStore> store,
                             std::unique_ptr<RowSpool> spool)
    : store_(std::move(store)), spool_(std::move(spool)) {
  auto count = spool_->Count();
  waiting_ = !count || *count > 0;
  if (count && *count > 0) {
    log::Warn(
        "{} connection events and audit rows from an earlier run wait "
        "for PostgreSQL; writing them now",
        *count);
  }
  drainer_ = std::thread([this] { Drain(); });
}

SpoolingStore::~SpoolingStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  drainer_.join();
}

std::size_t SpoolingStore::queued() {
  auto count = spool_->Count();
  return count ? *count : 0;
}

Result<void> SpoolingStore::AppendRows(std::span<const LogRow> rows) {
  TETHER_RETURN_IF_ERROR(CheckRows(rows));
  // Held while deciding and writing, so rows reach PostgreSQL in the order
  // they came: straight there only while nothing waits in the spool.
  std::lock_guard lock(mutex_);
  if (!waiting_) {
    Result<void> written = store_->AppendRows(rows);
    if (written || !written.error().temporary())
      return written;
    log::Warn(
        "PostgreSQL is out of reach; connection events and audit rows "
        "wait in the spool until it is back");
  }
  TETHER_RETURN_IF_ERROR(spool_->Append(rows));
  waiting_ = true;
  wake_.notify_one();
  return {};
}

bool SpoolingStore::DrainOnce() {
  auto batch = spool_->Oldest(kDrainBatch);
  if (!batch) {
    log::Error("cannot read the spool: {}", batch.error().message);
    return false;
  }
  if (batch->rows.empty()) {
    std::lock_guard lock(mutex_);
    // Appends take mutex_ before they look at waiting_: checked again
    // under it, nothing can slip in between.
    auto count = spool_->Count();
    if (count && *count == 0) {
      waiting_ = false;
      log::Info("the spool is empty: rows go straight to PostgreSQL again");
    }
    return true;
  }
  auto written =
      store_->AppendSpooledRows(spool_->id(), batch->numbers, batch->rows);
  if (!written) {
    if (!written.error().temporary()) {
      log::Error("PostgreSQL refused spooled rows: {}",
                 written.error().message);
    }
    return false;
  }
  // Written and recorded as written: a crash before this Remove only means
  // the batch is offered again, and skipped.
  if (auto removed = spool_->Remove(batch->numbers.back()); !removed)
    log::Error("cannot shorten the spool: {}", removed.error().message);
  return true;
}

void SpoolingStore::Drain() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!waiting_) {
      wake_.wait(lock, [this] { return stopping_ || waiting_; });
      continue;
    }
    lock.unlock();
    const bool went = DrainOnce();
    lock.lock();
    if (!went)
      wake_.wait_for(lock, kRetryEvery, [this] { return stopping_; });
  }
}

}  // namespace tether::relay
