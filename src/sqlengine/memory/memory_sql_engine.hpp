#pragma once
// MemorySqlEngine: the SQL engine of builds without DuckDB (or `--sqlengine-duckdb off`). It
// has no engine: every query is recorded and completes at once with an empty result set, so
// Athena and Redshift Data clients can exercise the API flow.
#include <mutex>
#include <string>
#include <vector>

#include "sqlengine/sql_engine.hpp"

namespace mallard::sqlengine {

class MemorySqlEngine final : public SqlEngine {
 public:
  std::string Name() const override { return "memory"; }
  std::string DatabaseName() const override { return "memory"; }
  std::string DefaultSchema() const override { return "main"; }
  std::unique_ptr<RunningQuery> Prepare(QueryRequest request) override;
  Result<std::vector<std::string>, std::string> ListSchemas() override;
  Result<std::vector<TableInfo>, std::string> ListTables(const std::string& schema) override;
  Result<std::optional<TableInfo>, std::string> DescribeTable(const std::string& schema,
                                                              const std::string& table) override;
  void Reset() override;

  // Every statement run so far, in order.
  std::vector<std::string> RecordedStatements() const;

 private:
  friend class MemoryRunningQuery;
  void Record(const std::vector<std::string>& statements);

  mutable std::mutex mutex_;
  std::vector<std::string> recorded_;
};

}  // namespace mallard::sqlengine
