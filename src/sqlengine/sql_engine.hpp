#pragma once
// SqlEngine: the SQL engine behind Athena and Redshift Data. One engine instance is
// shared by both services, so what one creates the other sees. Implementations: the DuckDB
// engine (src/sqlengine/duckdb) and the in-memory one (src/sqlengine/memory), which records queries
// and answers them with empty result sets.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/engine_refreshers.hpp"
#include "sqlengine/sql_types.hpp"

namespace mallard::sqlengine {

// One submitted query. Run() happens on a worker thread; Interrupt() may come from any thread,
// before, during or after Run().
class RunningQuery {
 public:
  virtual ~RunningQuery() = default;
  // Runs the statements in order and returns one outcome per statement that ran; it stops after
  // the first one that fails or is interrupted.
  virtual std::vector<QueryOutcome> Run() = 0;
  virtual void Interrupt() = 0;
};

class SqlEngine {
 public:
  virtual ~SqlEngine() = default;
  virtual std::string Name() const = 0;
  // The engine's name for its one database ("memory", or the file's stem).
  virtual std::string DatabaseName() const = 0;
  // The schema unqualified names resolve to when a request names none ("main").
  virtual std::string DefaultSchema() const = 0;
  // Cheap: no statement runs until Run().
  virtual std::unique_ptr<RunningQuery> Prepare(QueryRequest request) = 0;

  // Catalogue, read from the engine itself. Errors are the engine's messages.
  virtual Result<std::vector<std::string>, std::string> ListSchemas() = 0;
  // Tables and views of `schema` (every schema when empty), with their columns.
  virtual Result<std::vector<TableInfo>, std::string> ListTables(const std::string& schema) = 0;
  virtual Result<std::optional<TableInfo>, std::string> DescribeTable(const std::string& schema,
                                                                      const std::string& table) = 0;
  // Drops every user object (the reset endpoint).
  virtual void Reset() = 0;
  // The refreshers of objects that go stale outside SQL (engine_refreshers.hpp), shared by every
  // service on this engine; nullptr when the engine keeps none (the memory engine).
  virtual EngineRefreshers* Refreshers() { return nullptr; }
};

}  // namespace mallard::sqlengine
