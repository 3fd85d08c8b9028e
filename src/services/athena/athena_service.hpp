#pragma once
// AthenaService: Amazon Athena (awsJson 1.1, AmazonAthena.*) on a SqlEngine. Queries
// run asynchronously on the service's own worker pool; work groups, named queries, prepared
// statements and data catalogs are API state kept here; databases and tables are read from the
// engine's catalogue, which Redshift Data shares.
#include <boost/json/object.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "services/athena/athena_ddl.hpp"
#include "services/athena/athena_external_tables.hpp"
#include "services/athena/athena_output.hpp"
#include "services/kit/service.hpp"
#include "services/kit/operation_executor.hpp"
#include "services/kit/service_context.hpp"
#include "services/kit/service_state.hpp"
#include "sqlengine/query_runner.hpp"

namespace mallard::athena {

struct ExecutionRecord {
  std::string id;
  std::string query;
  std::string database;  // QueryExecutionContext.Database as given
  std::string catalog;   // QueryExecutionContext.Catalog as given
  std::string work_group;
  boost::json::object result_configuration;
  std::vector<std::string> execution_parameters;
  std::string statement_type;     // DDL, DML, UTILITY
  std::string substatement_type;  // SELECT, INSERT, CREATE_TABLE, ...
  std::int64_t submitted_ms = 0;
  std::shared_ptr<sqlengine::QueryJob> job;  // null when the query finished without the engine
  // Queries settled by the service itself (PREPARE, a bad parameter): their state and outcome.
  sqlengine::JobState settled_state = sqlengine::JobState::Succeeded;
  std::shared_ptr<const std::vector<sqlengine::QueryOutcome>> settled_outcomes;
  // CREATE/DROP DATABASE: applied to the partition's database records once the engine succeeds.
  std::optional<DatabaseDdl> database_ddl;
  // The result files at OutputLocation (null when this server has no S3 to write them to): the
  // execution reads RUNNING until they are written and FAILED when they cannot be.
  std::shared_ptr<ResultFiles> result_files;
  // CTAS, INSERT INTO an external table, UNLOAD: `<output location><id>-manifest.csv`, the list of
  // the data files the query wrote (Statistics.DataManifestLocation).
  std::string data_manifest_location;
  // An execution loaded from a snapshot (no engine job): its state, times and results as saved.
  std::optional<sqlengine::QueryJob::Snapshot> restored;
};

// The execution's state as clients see it: the engine job's (or the service's settlement), held at
// RUNNING until the result files are in S3 and turned FAILED when they could not be written.
sqlengine::QueryJob::Snapshot ReadExecution(const ExecutionRecord& record);

// Writes an execution's result files, given how its query finished.
using ResultWrite =
    std::function<void(sqlengine::JobState, const std::shared_ptr<const std::vector<sqlengine::QueryOutcome>>&)>;

struct WorkGroupRecord {
  std::string name;
  std::string description;
  std::string state = "ENABLED";
  boost::json::object configuration;
  std::int64_t created_ms = 0;
};

struct NamedQueryRecord {
  std::string id;
  std::string name;
  std::string description;
  std::string database;
  std::string query;
  std::string work_group;
};

struct PreparedStatementRecord {
  std::string name;
  std::string work_group;
  std::string query;
  std::string description;
  std::int64_t last_modified_ms = 0;
};

// A database created through Athena DDL: the data catalog it belongs to ("" = AwsDataCatalog) and
// its COMMENT. Databases without a record (made through Redshift Data or DuckDB's own CREATE
// SCHEMA, or before a restart) belong to AwsDataCatalog.
struct DatabaseRecord {
  std::string catalog;
  std::string description;
};

// Tags of an Athena resource (work group, data catalog, capacity reservation), in insertion order.
using TagList = std::vector<std::pair<std::string, std::string>>;

struct CapacityReservationRecord {
  std::string name;
  std::string status;  // PENDING → ACTIVE, CANCELLING → CANCELLED
  std::int64_t target_dpus = 0;
  std::int64_t created_ms = 0;
  std::int64_t allocation_requested_ms = 0;
  std::int64_t allocation_completed_ms = 0;
  std::int64_t cancel_requested_ms = 0;
  std::vector<std::vector<std::string>> assignments;  // CapacityAssignments[].WorkGroupNames
  bool has_assignment_configuration = false;
};

// "AwsDataCatalog" in any case: Athena's name for the account's Glue catalog.
bool IsDefaultCatalog(std::string_view name);

struct DataCatalogRecord {
  std::string name;
  std::string type;
  std::string description;
  boost::json::object parameters;
};

class AthenaState;

class AthenaService final : public services::Service {
 public:
  AthenaService(std::shared_ptr<sqlengine::SqlEngine> engine, services::ServiceContext runtime,
                unsigned query_workers = 4);
  ~AthenaService() override;

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override;
  std::string StoreName() const override { return runner_->Engine().Name(); }
  // Queries by state and duration (athena_metrics.cpp).
  void CollectMetrics(observability::MetricsSink& sink) const override;
  void Shutdown() override;
  void ResetState();  // Reset's work, journaled around by Reset
  // Snapshots: work groups, saved queries, catalogs, tags, reservations, executions (athena_state.cpp).
  services::ServiceState* State() override { return state_.get(); }

 private:
  friend class AthenaState;
  using Json = boost::json::object;
  using Request = protocol::OperationRequest;
  using Result = protocol::OperationResult;

  struct Partition {
    std::unordered_map<std::string, ExecutionRecord> executions;
    std::vector<std::string> execution_order;
    std::map<std::string, std::string> execution_tokens;
    std::map<std::string, WorkGroupRecord> work_groups;
    std::map<std::string, NamedQueryRecord> named_queries;
    std::map<std::string, std::string> named_query_tokens;
    std::map<std::pair<std::string, std::string>, PreparedStatementRecord> prepared_statements;
    std::map<std::string, DataCatalogRecord> catalogs;
    std::map<std::string, DatabaseRecord> databases;      // by lower-cased name
    std::vector<std::string> pending_database_ddl;        // execution ids, in submission order
    std::map<std::string, TagList> tags;                  // by resource ARN
    std::map<std::string, CapacityReservationRecord> capacity_reservations;
  };

  // The one list of operations: name, handler, where it runs (engine reads go to the pool).
  static const services::kit::OperationTable<AthenaService>& Operations();
  Partition& PartitionFor(const Request& request);  // caller holds mutex_
  std::int64_t Now() const { return runtime_.clock(); }

  // Query executions (athena_service.cpp).
  // Verifies the output bucket through S3's HeadBucket first (as Athena refuses a query whose
  // bucket is missing), then runs StartQueryExecution.
  void StartQueryExecutionChecked(Request request, protocol::OperationCallback done);
  // The bucket of the OutputLocation the query would use (request or work group), when there is an
  // S3 peer to ask and the request gets that far; nullopt leaves every check to StartQueryExecution.
  std::optional<std::string> OutputBucketToVerify(const Request& request);
  Result StartQueryExecution(const Request& request);
  Result GetQueryExecution(const Request& request);
  Result BatchGetQueryExecution(const Request& request);
  Result ListQueryExecutions(const Request& request);
  Result StopQueryExecution(const Request& request);
  Json DescribeExecution(const ExecutionRecord& record) const;
  // Turns SQL plus ExecutionParameters into what the engine runs; handles EXECUTE/PREPARE.
  void PlanExecution(Partition& partition, ExecutionRecord& record, sqlengine::QueryRequest& engine_request,
                     bool& needs_engine);
  // Athena DDL over S3 (athena_external_hook.cpp): CREATE EXTERNAL TABLE, partitions, SHOW and
  // DESCRIBE, CTAS, INSERT INTO an external table, UNLOAD. True when `record` was one of them and
  // is now submitted or settled (caller holds mutex_).
  bool StartExternalStatement(ExecutionRecord& record, const RequestContext& caller);
  // Puts the view refreshes of the external tables a query names in front of its statements; false
  // (and `record` settled FAILED) when a table's files cannot be read.
  bool PrependExternalRefresh(ExecutionRecord& record, sqlengine::QueryRequest& engine_request);
  // Lets the engine's other services (Redshift Data) rebuild external tables' views before their
  // queries, as PrependExternalRefresh does for Athena's (sqlengine/engine_refreshers.hpp).
  void RegisterExternalRefresher();
  // DROP DATABASE: the external tables' metadata rows of `database` go in the same transaction as
  // its schema (with CASCADE; without it DuckDB refuses a schema that still has their views).
  void ForgetExternalTables(const std::string& database, sqlengine::QueryRequest& engine_request);
  // The catalog APIs' description of an external table (engine schema, table name), if it is one.
  std::optional<boost::json::object> ExternalTableMetadata(const std::string& schema, const std::string& table);
  // What runs once `record`'s query has finished: writes its result files to S3 (and sets
  // record.result_files). Empty when this server has no S3 to write them to.
  ResultWrite ResultWriter(ExecutionRecord& record, const RequestContext& caller);
  // Journals the caller's scope once a query finishes (its state and results), under --data-dir.
  std::function<void()> JournalWhenFinished(const RequestContext& caller);

  // Results (athena_results.cpp).
  Result GetQueryResults(const Request& request);
  Result GetQueryRuntimeStatistics(const Request& request);

  // Work groups, named queries, prepared statements (athena_workgroups.cpp).
  Result CreateWorkGroup(const Request& request);
  Result GetWorkGroup(const Request& request);
  Result ListWorkGroups(const Request& request);
  Result UpdateWorkGroup(const Request& request);
  Result DeleteWorkGroup(const Request& request);
  Result CreateNamedQuery(const Request& request);
  Result GetNamedQuery(const Request& request);
  Result ListNamedQueries(const Request& request);
  Result BatchGetNamedQuery(const Request& request);
  Result UpdateNamedQuery(const Request& request);
  Result DeleteNamedQuery(const Request& request);
  Result CreatePreparedStatement(const Request& request);
  Result GetPreparedStatement(const Request& request);
  Result ListPreparedStatements(const Request& request);
  Result BatchGetPreparedStatement(const Request& request);
  Result UpdatePreparedStatement(const Request& request);
  Result DeletePreparedStatement(const Request& request);
  ::mallard::Result<WorkGroupRecord*> FindWorkGroup(Partition& partition, const std::string& name);

  // Data catalogs and the engine's catalogue (athena_catalog.cpp).
  Result CreateDataCatalog(const Request& request);
  Result GetDataCatalog(const Request& request);
  Result ListDataCatalogs(const Request& request);
  Result UpdateDataCatalog(const Request& request);
  Result DeleteDataCatalog(const Request& request);
  Result ListDatabases(const Request& request);
  Result GetDatabase(const Request& request);
  Result ListTableMetadata(const Request& request);
  Result GetTableMetadata(const Request& request);
  Status<> CheckCatalog(const Request& request, const std::string& catalog);
  // Applies the finished CREATE/DROP DATABASE executions to `databases` (caller holds mutex_).
  void SettleDatabaseDdl(Partition& partition);
  // The engine schema of `database` as `catalog` shows it (case-insensitive), or MetadataException.
  ::mallard::Result<std::string> VisibleSchema(const Request& request, const std::string& catalog,
                                               const std::string& database);

  // Tags and capacity reservations (athena_capacity.cpp).
  Result TagResource(const Request& request);
  Result UntagResource(const Request& request);
  Result ListTagsForResource(const Request& request);
  Result CreateCapacityReservation(const Request& request);
  Result GetCapacityReservation(const Request& request);
  Result ListCapacityReservations(const Request& request);
  Result UpdateCapacityReservation(const Request& request);
  Result CancelCapacityReservation(const Request& request);
  Result DeleteCapacityReservation(const Request& request);
  Result PutCapacityAssignmentConfiguration(const Request& request);
  Result GetCapacityAssignmentConfiguration(const Request& request);
  // Moves reservations along PENDING → ACTIVE and CANCELLING → CANCELLED (caller holds mutex_).
  void AdvanceCapacityReservations(Partition& partition);
  // The ARN of an Athena resource of this request's account and region ("workgroup", "datacatalog",
  // "capacity-reservation").
  static std::string ResourceArn(const Request& request, std::string_view kind, const std::string& name);
  // Validates the Tags member of a request (TagResource, Create*).
  ::mallard::Result<TagList> ReadTags(const boost::json::object& input) const;
  Status<> FindTaggedResource(const Request& request, Partition& partition, const std::string& arn);
  std::string EngineSchema(const std::string& athena_database) const;
  std::string AthenaDatabase(const std::string& engine_schema) const;

  std::unique_ptr<sqlengine::QueryRunner> runner_;
  services::ServiceContext runtime_;
  services::kit::OperationExecutor executor_;
  std::mutex mutex_;
  std::unordered_map<std::string, Partition> partitions_;
  std::atomic<std::uint64_t> engine_query_sequence_{0};  // the NNNNN of engine query ids
  // External tables' metadata mirror (athena_external_tables.hpp); shared with work that outlives
  // a call (partitions registered after a CTAS on the runner's pool).
  std::shared_ptr<external::ExternalCatalog> external_catalog_ = std::make_shared<external::ExternalCatalog>();
  std::unique_ptr<services::ServiceState> state_;
};

}  // namespace mallard::athena
