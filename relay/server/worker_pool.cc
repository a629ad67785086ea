#include "relay/server/worker_pool.h"

#include <uv.h>

#include <utility>

namespace tether::relay {

struct WorkerPool::Job {
  uv_work_t request;
  WorkerPool* pool = nullptr;
  std::shared_ptr<bool> alive;
  std::function<void()> work;  // on a pool thread
  std::function<void()> done;  // on the loop thread
};

WorkerPool::WorkerPool(uv_loop_s* loop, size_t max_running, size_t max_queued)
    : loop_(loop),
      max_running_(max_running == 0 ? 1 : max_running),
      max_queued_(max_queued),
      alive_(std::make_shared<bool>(true)) {}

WorkerPool::~WorkerPool() {
  *alive_ = false;
}

bool WorkerPool::Post(std::function<void()> work, std::function<void()> done) {
  if (queued_.size() >= max_queued_)
    return false;
  auto job = std::make_unique<Job>();
  job->pool = this;
  job->alive = alive_;
  job->work = std::move(work);
  job->done = std::move(done);
  queued_.push_back(std::move(job));
  StartNext();
  return true;
}

void WorkerPool::StartNext() {
  while (running_ < max_running_ && !queued_.empty()) {
    Job* job = queued_.front().release();
    queued_.pop_front();
    job->request.data = job;
    ++running_;
    uv_queue_work(
        loop_, &job->request,
        [](uv_work_t* request) { static_cast<Job*>(request->data)->work(); },
        [](uv_work_t* request, int /*status*/) {
          std::unique_ptr<Job> finished(static_cast<Job*>(request->data));
          if (!*finished->alive)
            return;  // the pool is gone
          WorkerPool* pool = finished->pool;
          --pool->running_;
          finished->done();
          pool->StartNext();
        });
  }
}

}  // namespace tether::relay
