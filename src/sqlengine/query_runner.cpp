#include "sqlengine/query_runner.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
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

namespace {
// Query durations: 1 ms to 5 minutes.
const std::vector<double>& QueryDurationBuckets() {
  static const std::vector<double> bounds{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300};
  return bounds;
}
constexpr const char* kFinishedStates[] = {"SUCCEEDED", "FAILED", "CANCELLED"};
}  // namespace

QueryRunner::QueryRunner(std::shared_ptr<SqlEngine> engine, unsigned workers, Clock clock)
    : engine_(std::move(engine)), clock_(std::move(clock)), pool_(workers == 0 ? 1 : workers) {
  for (auto& histogram : durations_) histogram = std::make_unique<observability::Histogram>(QueryDurationBuckets());
}

void QueryRunner::CountFinished(const QueryJob& job) {
  auto snapshot = job.Read();
  int index = snapshot.state == JobState::Succeeded ? 0 : snapshot.state == JobState::Failed ? 1
              : snapshot.state == JobState::Cancelled                                         ? 2
                                                                                              : -1;
  if (index < 0) return;
  finished_[index].Add();
  auto end = snapshot.completed_ms != 0 ? snapshot.completed_ms : clock_();
  durations_[index]->Observe(static_cast<double>(std::max<std::int64_t>(0, end - snapshot.submitted_ms)) / 1000.0);
}

void QueryRunner::ReportMetrics(observability::MetricsSink& sink, const std::string& service) const {
  for (std::size_t i = 0; i < finished_.size(); ++i) {
    observability::Labels labels{{"service", service}, {"state", kFinishedStates[i]}};
    sink.Counter("mallard_sql_queries_total", "SQL queries (Athena, Redshift Data) finished, by final state.", labels,
                 static_cast<double>(finished_[i].Value()));
    auto snapshot = durations_[i]->Read();
    sink.Histogram("mallard_sql_query_duration_seconds",
                   "Time from a query's submission to its end (queueing included), by final state.", labels,
                   durations_[i]->UpperBounds(), snapshot.cumulative, snapshot.sum);
  }
  std::int64_t queued = 0, running = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& job : unfinished_) {
      auto state = job->Read().state;
      queued += state == JobState::Queued ? 1 : 0;
      running += state == JobState::Running ? 1 : 0;
    }
  }
  sink.Gauge("mallard_sql_queries_unfinished", "SQL queries queued or running now.", {{"service", service}, {"state", "QUEUED"}},
             static_cast<double>(queued));
  sink.Gauge("mallard_sql_queries_unfinished", "SQL queries queued or running now.", {{"service", service}, {"state", "RUNNING"}},
             static_cast<double>(running));
}

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
    CountFinished(*job);
    if (on_finished) on_finished(*job);
    {
      std::lock_guard lock(mutex_);
      unfinished_.erase(job);
    }
    settled_.notify_all();
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

bool QueryRunner::CancelAllAndWait(std::chrono::milliseconds limit) {
  CancelAll();
  std::unique_lock lock(mutex_);
  return settled_.wait_for(lock, limit, [this] { return unfinished_.empty(); });
}

}  // namespace mallard::sqlengine
