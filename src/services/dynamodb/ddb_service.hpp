#pragma once
// DynamoDbService: the DynamoDB API (awsJson 1.0, DynamoDB_20120810) over a DynamoDbStore.
// Validation, the expression language and AWS semantics live here; items, indexes and stream
// records live in the store. DynamoDbStreamsService (ddb_streams_service.hpp) shares the store.
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "services/dynamodb/model/ddb_store.hpp"
#include "services/dynamodb/ddb_state.hpp"
#include "services/dynamodb/ddb_table_transitions.hpp"
#include "services/kit/operation_executor.hpp"
#include "services/kit/operation_table.hpp"
#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"

namespace mallard::dynamodb {
namespace transfer {
struct TransferJobs;
}

struct DynamoDbOptions {
  // How long tables stay CREATING / UPDATING / DELETING and new indexes CREATING (backfilling);
  // 0: instant. `mallard serve` sets --ddb-table-transition-ms; embedding code and tests get 0.
  std::int64_t table_transition_millis = 0;
};

class DynamoDbService final : public services::Service {
 public:
  DynamoDbService(std::shared_ptr<DynamoDbStore> store, services::ServiceContext runtime,
                  DynamoDbOptions options = {});
  ~DynamoDbService() override;

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override;
  std::string StoreName() const override { return store_->Name(); }
  // Snapshots: tables, items, streams, backups and PITR history (ddb_state.hpp).
  services::ServiceState* State() override { return &state_; }
  // Item counts and sizes per table (ddb_metrics.cpp).
  void CollectMetrics(observability::MetricsSink& sink) const override;
  void Shutdown() override;

  // Judges the request, then runs its operation, on the calling thread (Invoke runs it through the
  // executor; PartiQL runs native operations through it).
  protocol::OperationResult Run(const RequestContext& context, const std::string& operation,
                                const boost::json::object& input);
  // Deletes items whose TTL attribute has passed, in every table with TTL enabled.
  void SweepExpiredItems();

  // Everything an operation handler needs about the call.
  struct Call {
    const RequestContext& context;
    const boost::json::object& input;
    Scope scope;
    std::int64_t now_millis;
  };
  using Json = boost::json::object;

 private:
  using CallHandler = Result<Json> (DynamoDbService::*)(const Call&);
  // The one list of DynamoDB operations: the descriptor and Run's dispatch read it. Its handlers
  // take a Call, which Run builds after judging the request.
  using Table = services::kit::OperationTable<DynamoDbService, CallHandler>;
  static const Table& Operations();
  // Run with the operation's row already looked up (null: not an operation; judged first anyway).
  protocol::OperationResult RunRow(const RequestContext& context, const Table::Row* row, const std::string& operation,
                                   const boost::json::object& input);
  void ScheduleTtlSweep();

  // Control plane (ddb_tables.cpp).
  Result<Json> CreateTable(const Call& call);
  Result<Json> DescribeTable(const Call& call);
  Result<Json> UpdateTable(const Call& call);
  Result<Json> DeleteTable(const Call& call);
  Result<Json> ListTables(const Call& call);
  Result<Json> UpdateTimeToLive(const Call& call);
  Result<Json> DescribeTimeToLive(const Call& call);
  Result<Json> TagResource(const Call& call);
  Result<Json> UntagResource(const Call& call);
  Result<Json> ListTagsOfResource(const Call& call);
  Result<Json> DescribeLimits(const Call& call);
  Result<Json> DescribeEndpoints(const Call& call);
  // Resource-based policies (ddb_resource_policies.cpp).
  Result<Json> PutResourcePolicy(const Call& call);
  Result<Json> GetResourcePolicy(const Call& call);
  Result<Json> DeleteResourcePolicy(const Call& call);
  // Backups and point-in-time recovery (ddb_backups.cpp).
  Result<Json> CreateBackup(const Call& call);
  Result<Json> DescribeBackup(const Call& call);
  Result<Json> ListBackups(const Call& call);
  Result<Json> DeleteBackup(const Call& call);
  Result<Json> RestoreTableFromBackup(const Call& call);
  Result<Json> RestoreTableToPointInTime(const Call& call);
  Result<Json> UpdateContinuousBackups(const Call& call);
  Result<Json> DescribeContinuousBackups(const Call& call);
  // Exports to and imports from S3 (ddb_export.cpp, ddb_import.cpp).
  Result<Json> ExportTableToPointInTime(const Call& call);
  Result<Json> DescribeExport(const Call& call);
  Result<Json> ListExports(const Call& call);
  Result<Json> ImportTable(const Call& call);
  Result<Json> DescribeImport(const Call& call);
  Result<Json> ListImports(const Call& call);
  // Items (ddb_items.cpp).
  Result<Json> PutItem(const Call& call);
  Result<Json> GetItem(const Call& call);
  Result<Json> UpdateItem(const Call& call);
  Result<Json> DeleteItem(const Call& call);
  Result<Json> BatchGetItem(const Call& call);
  Result<Json> BatchWriteItem(const Call& call);
  // Transactions (ddb_transactions.cpp).
  Result<Json> TransactGetItems(const Call& call);
  Result<Json> TransactWriteItems(const Call& call);
  // Reads (ddb_query.cpp).
  Result<Json> Query(const Call& call);
  Result<Json> Scan(const Call& call);
  // PartiQL (ddb_service.cpp, over partiql::*).
  Result<Json> ExecuteStatement(const Call& call);
  Result<Json> BatchExecuteStatement(const Call& call);
  Result<Json> ExecuteTransaction(const Call& call);

  // Shared helpers.
  Result<TableDefinition> LoadTable(const Scope& scope, const std::string& name_or_arn) const;
  Result<Json> DescribeTableJson(const Call& call, const TableDefinition& table) const;

  std::shared_ptr<DynamoDbStore> store_;
  services::ServiceContext runtime_;
  services::kit::OperationExecutor executor_;
  TableTransitions transitions_;
  DynamoDbState state_{store_};
  std::unique_ptr<boost::asio::steady_timer> ttl_timer_;
  // Where the next TTL sweep of a table resumes (touched only by the sweep, one at a time).
  std::map<std::pair<Scope, std::string>, Item> ttl_cursors_;
  std::atomic<bool> stopping_{false};
  // Export and import descriptions, shared with the jobs that update them.
  std::shared_ptr<transfer::TransferJobs> transfers_;

  // TransactWriteItems idempotency: ClientRequestToken -> the request it came with and its answer,
  // for 10 minutes.
  struct IdempotentCall {
    std::string request_fingerprint;
    Json response;
    std::int64_t expires_millis;
  };
  std::mutex idempotency_mutex_;
  std::map<std::string, IdempotentCall> idempotent_calls_;
  friend struct TransactionRunner;
};

}  // namespace mallard::dynamodb
