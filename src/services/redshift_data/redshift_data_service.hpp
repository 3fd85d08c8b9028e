#pragma once
// RedshiftDataService: the Redshift Data API (awsJson 1.1, RedshiftData.*) on the shared
// SqlEngine. Statements run asynchronously on the service's own worker pool; batches
// run in one transaction. Redshift's database "dev" and schema "public" are the engine's database
// and default schema, so tables created through Athena are visible here and the reverse.
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "services/kit/service.hpp"
#include "services/kit/operation_executor.hpp"
#include "services/kit/service_context.hpp"
#include "services/kit/service_state.hpp"
#include "sqlengine/query_runner.hpp"

namespace mallard::redshift_data {

struct StatementRecord {
  std::string id;
  std::vector<std::string> sql;  // one entry, or a batch
  bool is_batch = false;
  std::string database;
  std::string cluster_identifier;
  std::string workgroup_name;
  std::string db_user;
  std::string secret_arn;
  std::string statement_name;
  boost::json::array parameters;
  bool with_event = false;
  std::string result_format = "JSON";
  std::int64_t created_ms = 0;
  std::int64_t query_id = 0;  // RedshiftQueryId
  std::shared_ptr<sqlengine::QueryJob> job;
  // Statements refused before reaching the engine (unknown database): settled as FAILED.
  std::string settled_error;
  // A statement loaded from a snapshot (no engine job): its state, times and results as saved.
  std::optional<sqlengine::QueryJob::Snapshot> restored;
};

class RedshiftDataState;

class RedshiftDataService final : public services::Service {
 public:
  // `page_bytes` caps one GetStatementResult page, as Redshift caps it at 100 MB.
  RedshiftDataService(std::shared_ptr<sqlengine::SqlEngine> engine, services::ServiceContext runtime,
                      unsigned query_workers = 4, std::size_t page_bytes = 100 * 1024 * 1024);
  ~RedshiftDataService() override;

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override;
  std::string StoreName() const override { return runner_->Engine().Name(); }
  // Statements by state and duration (redshift_data_metrics.cpp).
  void CollectMetrics(observability::MetricsSink& sink) const override;
  void Shutdown() override;
  void ResetState();  // Reset's work, journaled around by Reset
  // Snapshots: the statements of each account and region (redshift_data_state.cpp).
  services::ServiceState* State() override { return state_.get(); }

 private:
  friend class RedshiftDataState;
  using Json = boost::json::object;
  using Request = protocol::OperationRequest;
  using Result = protocol::OperationResult;

  struct Partition {
    std::unordered_map<std::string, StatementRecord> statements;
    std::vector<std::string> order;
    std::map<std::string, std::string> client_tokens;
  };
  struct Target {  // where a statement runs, validated from the request
    std::string database;
    std::string cluster_identifier;
    std::string workgroup_name;
    std::string db_user;
    std::string secret_arn;
  };

  // The one list of operations: name, handler, where it runs (engine reads go to the pool).
  static const services::kit::OperationTable<RedshiftDataService>& Operations();
  Partition& PartitionFor(const Request& request);  // caller holds mutex_
  std::int64_t Now() const { return runtime_.clock(); }
  ::mallard::Result<Target> ReadTarget(const Request& request, bool database_required) const;
  bool IsKnownDatabase(const std::string& database) const;
  // ReadTarget for the catalogue operations, which also need the database to exist.
  ::mallard::Result<Target> ReadCatalogTarget(const Request& request) const;
  std::string EngineSchema(const std::string& redshift_schema) const;
  std::string RedshiftSchema(const std::string& engine_schema) const;

  // Statements (redshift_data_service.cpp).
  Result ExecuteStatement(const Request& request);
  Result BatchExecuteStatement(const Request& request);
  Result Submit(const Request& request, std::vector<std::string> sql, bool is_batch);
  Result DescribeStatement(const Request& request);
  Result CancelStatement(const Request& request);
  Result ListStatements(const Request& request);

  // Results (redshift_data_results.cpp).
  Result GetStatementResult(const Request& request);

  // Catalogue (redshift_data_catalog.cpp).
  Result ListDatabases(const Request& request);
  Result ListSchemas(const Request& request);
  Result ListTables(const Request& request);
  Result DescribeTable(const Request& request);

  std::unique_ptr<sqlengine::QueryRunner> runner_;
  services::ServiceContext runtime_;
  services::kit::OperationExecutor executor_;
  std::size_t page_bytes_;
  std::mutex mutex_;
  std::unordered_map<std::string, Partition> partitions_;
  std::int64_t next_query_id_ = 1000;
  std::unique_ptr<services::ServiceState> state_;
};

}  // namespace mallard::redshift_data
