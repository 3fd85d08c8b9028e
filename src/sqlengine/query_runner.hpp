#pragma once
// QueryRunner: runs queries asynchronously on its own worker pool so that a long query never holds
// a network thread or the shared blocking pool. Each submitted query is a QueryJob whose state
// moves QUEUED → RUNNING → SUCCEEDED / FAILED / CANCELLED; Cancel() interrupts the engine.
#include <boost/asio/thread_pool.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "common/ids.hpp"
#include "observability/metrics.hpp"
#include "sqlengine/sql_engine.hpp"

namespace mallard::sqlengine {

enum class JobState : std::uint8_t { Queued, Running, Succeeded, Failed, Cancelled };

class QueryJob {
 public:
  struct Snapshot {
    JobState state = JobState::Queued;
    std::int64_t submitted_ms = 0;
    std::int64_t started_ms = 0;    // 0 until RUNNING
    std::int64_t completed_ms = 0;  // 0 until finished
    // One per statement that ran; set when the job finishes.
    std::shared_ptr<const std::vector<QueryOutcome>> outcomes;
  };

  QueryJob(std::unique_ptr<RunningQuery> query, std::int64_t submitted_ms);
  Snapshot Read() const;
  // Queued: never runs. Running: the engine is interrupted and the job ends CANCELLED.
  // Finished: nothing changes. Returns false when the job had already finished.
  bool Cancel(const Clock& clock);

 private:
  friend class QueryRunner;
  void Execute(const Clock& clock);

  mutable std::mutex mutex_;
  Snapshot snapshot_;
  bool cancel_requested_ = false;
  std::unique_ptr<RunningQuery> query_;
};

class QueryRunner {
 public:
  QueryRunner(std::shared_ptr<SqlEngine> engine, unsigned workers, Clock clock);
  ~QueryRunner();

  SqlEngine& Engine() { return *engine_; }
  // `on_finished` (optional) runs on the runner's pool once the job has settled, whatever its
  // state (Athena writes the result files to S3 there, off the network threads).
  std::shared_ptr<QueryJob> Submit(QueryRequest request, std::function<void(const QueryJob&)> on_finished = {});
  // Cancels every unfinished job (reset, shutdown).
  void CancelAll();
  // Cancels every unfinished job and waits, at most `limit`, until each has settled (its
  // on_finished included). A reset needs this: a cancelled job keeps running until the engine
  // notices the interrupt (or, between a bulk statement's steps, until its next step), and if
  // the reset dropped the engine's objects meanwhile, the job would create or fill them again
  // after the reset (the next test or client sees a table that should not exist). False when
  // jobs were still unfinished at the limit.
  bool CancelAllAndWait(std::chrono::milliseconds limit);
  std::int64_t Now() const { return clock_(); }
  const Clock& GetClock() const { return clock_; }
  // The metrics page's SQL series, labelled with the service that owns this runner:
  // mallard_sql_queries_total{state} (finished queries by final state),
  // mallard_sql_query_duration_seconds{state} (submission to completion, queueing included) and
  // mallard_sql_queries_unfinished{state="QUEUED"|"RUNNING"}.
  void ReportMetrics(observability::MetricsSink& sink, const std::string& service) const;

 private:
  void CountFinished(const QueryJob& job);
  std::shared_ptr<SqlEngine> engine_;
  Clock clock_;
  boost::asio::thread_pool pool_;
  mutable std::mutex mutex_;
  std::set<std::shared_ptr<QueryJob>> unfinished_;
  std::condition_variable settled_;  // notified when a job leaves unfinished_
  // By final state: SUCCEEDED, FAILED, CANCELLED.
  std::array<observability::Counter, 3> finished_;
  std::array<std::unique_ptr<observability::Histogram>, 3> durations_;
};

}  // namespace mallard::sqlengine
