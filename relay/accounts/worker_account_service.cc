#include "relay/accounts/worker_account_service.h"

#include <uv.h>

#include <utility>

namespace tether::relay {

struct WorkerAccountService::Job {
  uv_work_t request;
  WorkerAccountService* service = nullptr;
  std::shared_ptr<bool> alive;
  std::function<void()> work;     // on a pool thread
  std::function<void()> on_done;  // on the loop thread
};

WorkerAccountService::WorkerAccountService(uv_loop_s* loop,
                                           Authenticator& authenticator,
                                           size_t max_concurrent)
    : loop_(loop),
      authenticator_(authenticator),
      max_concurrent_(max_concurrent == 0 ? 1 : max_concurrent),
      alive_(std::make_shared<bool>(true)) {}

WorkerAccountService::~WorkerAccountService() {
  *alive_ = false;
}

void WorkerAccountService::Login(LoginRequest request,
                                 std::function<void(LoginOutcome)> done) {
  if (queued_.size() >= kMaxQueued) {
    LoginOutcome busy;
    busy.status = LoginOutcome::Status::kBusy;
    busy.retry_after_seconds = 5;
    busy.message = "The relay is busy signing in others. Try again shortly.";
    done(busy);
    return;
  }
  auto job = std::make_unique<Job>();
  auto outcome = std::make_shared<LoginOutcome>();
  job->work = [this, request = std::move(request), outcome] {
    *outcome = authenticator_.Login(request);
  };
  job->on_done = [done = std::move(done), outcome] { done(*outcome); };
  Submit(std::move(job));
}

void WorkerAccountService::ChangePassword(
    std::string user_name,
    std::string current_password,
    std::string new_password,
    std::string source_address,
    std::function<void(PasswordChangeOutcome)> done) {
  if (queued_.size() >= kMaxQueued) {
    PasswordChangeOutcome busy;
    busy.message = "The relay is busy. Try again shortly.";
    done(busy);
    return;
  }
  auto job = std::make_unique<Job>();
  auto outcome = std::make_shared<PasswordChangeOutcome>();
  job->work = [this, user_name = std::move(user_name),
               current = std::move(current_password),
               next = std::move(new_password),
               source = std::move(source_address), outcome] {
    *outcome = authenticator_.ChangePassword(user_name, current, next, source);
  };
  job->on_done = [done = std::move(done), outcome] { done(*outcome); };
  Submit(std::move(job));
}

void WorkerAccountService::Submit(std::unique_ptr<Job> job) {
  job->service = this;
  job->alive = alive_;
  queued_.push_back(std::move(job));
  StartNext();
}

void WorkerAccountService::StartNext() {
  while (running_ < max_concurrent_ && !queued_.empty()) {
    Job* job = queued_.front().release();
    queued_.pop_front();
    job->request.data = job;
    ++running_;
    uv_queue_work(
        loop_, &job->request,
        [](uv_work_t* request) { static_cast<Job*>(request->data)->work(); },
        [](uv_work_t* request, int /*status*/) {
          std::unique_ptr<Job> done(static_cast<Job*>(request->data));
          if (!*done->alive)
            return;  // the service is gone
          WorkerAccountService* service = done->service;
          --service->running_;
          done->on_done();
          service->StartNext();
        });
  }
}

}  // namespace tether::relay
