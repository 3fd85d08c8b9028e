#include "sqlengine/query_runner.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace mallard::sqlengine {

QueryJob::QueryJob(std::unique_ptr<RunningQuery> query, std::int64_t submitted_ms) : query_(std::move(query)) {
  snapshot_.submitted_ms = submitted_ms;
}

QueryJob::Snapshot QueryJob::Read() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

bool QueryJob::Cancel(const Clock& clock) {
  std::lock_guard lock(mutex_);
  if (snapshot_.state == JobState::Queued) {
    snapshot_.state = JobState::Cancelled;
    snapshot_.completed_ms = clock();
    snapshot_.outcomes = std::make_shared<const std::vector<QueryOutcome>>();
    return true;
  }
  if (snapshot_.state != JobState::Running) return false;
  cancel_requested_ = true;
  // Under the lock so that the query object cannot be released meanwhile.
  if (query_) query_->Interrupt();
  return true;
}

void QueryJob::Execute(const Clock& clock) {
  {
    std::lock_guard lock(mutex_);
    if (snapshot_.state != JobState::Queued) return;  // cancelled while queued
    snapshot_.state = JobState::Running;
    snapshot_.started_ms = clock();
  }
  std::vector<QueryOutcome> outcomes;
  try {
    outcomes = query_->Run();
  } catch (const std::exception& e) {
    QueryOutcome failure;
    failure.error_message = std::string("internal error: ") + e.what();
    failure.user_error = false;
    outcomes.push_back(std::move(failure));
  }
  std::lock_guard lock(mutex_);
  bool failed = false;
  bool cancelled = cancel_requested_;
  for (const auto& outcome : outcomes) {
    if (outcome.cancelled) cancelled = true;
    else if (!outcome.succeeded) failed = true;
  }
  snapshot_.state = cancelled ? JobState::Cancelled : failed ? JobState::Failed : JobState::Succeeded;
  snapshot_.completed_ms = clock();
  snapshot_.outcomes = std::make_shared<const std::vector<QueryOutcome>>(std::move(outcomes));
  query_.reset();  // frees the engine connection now rather than when the record is dropped
}

QueryRunner::QueryRunner(std::shared_ptr<SqlEngine> engine, unsigned workers, Clock clock)
    : engine_(std::move(engine)), clock_(std::move(clock)), pool_(workers == 0 ? 1 : workers) {}

QueryRunner::~QueryRunner() {
  CancelAll();
  pool_.join();
}

std::shared_ptr<QueryJob> QueryRunner::Submit(QueryRequest request, std::function<void(const QueryJob&)> on_finished) {
  auto job = std::make_shared<QueryJob>(engine_->Prepare(std::move(request)), clock_());
  {
    std::lock_guard lock(mutex_);
    unfinished_.insert(job);
  }
  boost::asio::post(pool_, [this, job, on_finished = std::move(on_finished)] {
    try {
      job->Execute(clock_);
    } catch (const std::exception& e) {
      spdlog::error("sqlengine: query job failed unexpectedly: {}", e.what());
    }
    if (on_finished) on_finished(*job);
    std::lock_guard lock(mutex_);
    unfinished_.erase(job);
  });
  return job;
}

void QueryRunner::CancelAll() {
  std::vector<std::shared_ptr<QueryJob>> jobs;
  {
    std::lock_guard lock(mutex_);
    jobs.assign(unfinished_.begin(), unfinished_.end());
  }
  for (const auto& job : jobs) job->Cancel(clock_);
}

}  // namespace mallard::sqlengine
