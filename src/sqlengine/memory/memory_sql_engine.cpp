#include "sqlengine/memory/memory_sql_engine.hpp"

#include <atomic>

namespace mallard::sqlengine {

class MemoryRunningQuery final : public RunningQuery {
 public:
  MemoryRunningQuery(MemorySqlEngine& engine, QueryRequest request)
      : engine_(engine), request_(std::move(request)) {}

  std::vector<QueryOutcome> Run() override {
    std::vector<QueryOutcome> outcomes;
    if (interrupted_) {
      QueryOutcome cancelled;
      cancelled.cancelled = true;
      cancelled.error_message = "Query was cancelled";
      outcomes.push_back(std::move(cancelled));
      return outcomes;
    }
    engine_.Record(request_.statements);
    for (std::size_t i = 0; i < request_.statements.size(); ++i) {
      QueryOutcome outcome;
      outcome.succeeded = true;
      outcome.has_result_set = true;  // an empty result set: no columns, no rows
      outcomes.push_back(std::move(outcome));
    }
    return outcomes;
  }

  void Interrupt() override { interrupted_ = true; }

 private:
  MemorySqlEngine& engine_;
  QueryRequest request_;
  std::atomic<bool> interrupted_{false};
};

std::unique_ptr<RunningQuery> MemorySqlEngine::Prepare(QueryRequest request) {
  return std::make_unique<MemoryRunningQuery>(*this, std::move(request));
}

Result<std::vector<std::string>, std::string> MemorySqlEngine::ListSchemas() {
  return std::vector<std::string>{DefaultSchema()};
}

Result<std::vector<TableInfo>, std::string> MemorySqlEngine::ListTables(const std::string&) {
  return std::vector<TableInfo>{};
}

Result<std::optional<TableInfo>, std::string> MemorySqlEngine::DescribeTable(const std::string&, const std::string&) {
  return std::optional<TableInfo>();
}

void MemorySqlEngine::Reset() {
  std::lock_guard lock(mutex_);
  recorded_.clear();
}

std::vector<std::string> MemorySqlEngine::RecordedStatements() const {
  std::lock_guard lock(mutex_);
  return recorded_;
}

void MemorySqlEngine::Record(const std::vector<std::string>& statements) {
  std::lock_guard lock(mutex_);
  recorded_.insert(recorded_.end(), statements.begin(), statements.end());
}

}  // namespace mallard::sqlengine
