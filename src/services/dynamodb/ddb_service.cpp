#include "services/dynamodb/ddb_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "services/dynamodb/model/ddb_errors.hpp"
#include "services/dynamodb/ddb_request_validation.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"
#include "services/dynamodb/transfer/ddb_transfer_jobs.hpp"

namespace mallard::dynamodb {
namespace asio = boost::asio;
using protocol::OperationResult;

namespace {
constexpr std::int64_t kTtlSweepMillis = 1000;
}

DynamoDbService::DynamoDbService(std::shared_ptr<DynamoDbStore> store, services::ServiceContext runtime,
                                 DynamoDbOptions options)
    : store_(std::move(store)),
      runtime_(std::move(runtime)),
      executor_("dynamodb", runtime_, &errors::InternalServerError, store_->IsInline()),
      transitions_(options.table_transition_millis),
      transfers_(std::make_shared<transfer::TransferJobs>()) {
  if (runtime_.timers) {
    ttl_timer_ = std::make_unique<asio::steady_timer>(runtime_.timers);
    ScheduleTtlSweep();
  }
}

DynamoDbService::~DynamoDbService() { Shutdown(); }

const services::ServiceDescriptor& DynamoDbService::Descriptor() const {
  static const services::ServiceDescriptor descriptor = [] {
    services::ServiceDescriptor d;
    d.name = "dynamodb";
    d.signing_name = "dynamodb";
    d.json_target_prefix = "DynamoDB_20120810";
    d.json_1_1 = false;
    d.json_error_namespace = "com.amazonaws.dynamodb.v20120810#";
    d.crc32_header = true;
    d.json_error_on_the_wire = &errors::OnTheWire;
    d.operations = Operations().Names();
    d.empty_body_operations = {"TagResource", "UntagResource"};
    return d;
  }();
  return descriptor;
}

const DynamoDbService::Table& DynamoDbService::Operations() {
  using services::kit::RunOn;
  // Every operation works on the store: inline in memory, on the pool with Redis (RunOn::Store).
  static const services::kit::OperationTable<DynamoDbService, CallHandler> table = {
      {"CreateTable", &DynamoDbService::CreateTable, RunOn::Store},
      {"DescribeTable", &DynamoDbService::DescribeTable, RunOn::Store},
      {"UpdateTable", &DynamoDbService::UpdateTable, RunOn::Store},
      {"DeleteTable", &DynamoDbService::DeleteTable, RunOn::Store},
      {"ListTables", &DynamoDbService::ListTables, RunOn::Store},
      {"UpdateTimeToLive", &DynamoDbService::UpdateTimeToLive, RunOn::Store},
      {"DescribeTimeToLive", &DynamoDbService::DescribeTimeToLive, RunOn::Store},
      {"TagResource", &DynamoDbService::TagResource, RunOn::Store},
      {"UntagResource", &DynamoDbService::UntagResource, RunOn::Store},
      {"ListTagsOfResource", &DynamoDbService::ListTagsOfResource, RunOn::Store},
      {"DescribeLimits", &DynamoDbService::DescribeLimits, RunOn::Store},
      {"DescribeEndpoints", &DynamoDbService::DescribeEndpoints, RunOn::Store},
      {"CreateBackup", &DynamoDbService::CreateBackup, RunOn::Store},
      {"DescribeBackup", &DynamoDbService::DescribeBackup, RunOn::Store},
      {"ListBackups", &DynamoDbService::ListBackups, RunOn::Store},
      {"DeleteBackup", &DynamoDbService::DeleteBackup, RunOn::Store},
      {"RestoreTableFromBackup", &DynamoDbService::RestoreTableFromBackup, RunOn::Store},
      {"RestoreTableToPointInTime", &DynamoDbService::RestoreTableToPointInTime, RunOn::Store},
      {"UpdateContinuousBackups", &DynamoDbService::UpdateContinuousBackups, RunOn::Store},
      {"DescribeContinuousBackups", &DynamoDbService::DescribeContinuousBackups, RunOn::Store},
      {"PutItem", &DynamoDbService::PutItem, RunOn::Store},
      {"GetItem", &DynamoDbService::GetItem, RunOn::Store},
      {"UpdateItem", &DynamoDbService::UpdateItem, RunOn::Store},
      {"DeleteItem", &DynamoDbService::DeleteItem, RunOn::Store},
      {"BatchGetItem", &DynamoDbService::BatchGetItem, RunOn::Store},
      {"BatchWriteItem", &DynamoDbService::BatchWriteItem, RunOn::Store},
      {"TransactGetItems", &DynamoDbService::TransactGetItems, RunOn::Store},
      {"TransactWriteItems", &DynamoDbService::TransactWriteItems, RunOn::Store},
      {"Query", &DynamoDbService::Query, RunOn::Store},
      {"Scan", &DynamoDbService::Scan, RunOn::Store},
      {"ExecuteStatement", &DynamoDbService::ExecuteStatement, RunOn::Store},
      {"BatchExecuteStatement", &DynamoDbService::BatchExecuteStatement, RunOn::Store},
      {"ExecuteTransaction", &DynamoDbService::ExecuteTransaction, RunOn::Store},
      {"PutResourcePolicy", &DynamoDbService::PutResourcePolicy, RunOn::Store},
      {"GetResourcePolicy", &DynamoDbService::GetResourcePolicy, RunOn::Store},
      {"DeleteResourcePolicy", &DynamoDbService::DeleteResourcePolicy, RunOn::Store},
      {"ExportTableToPointInTime", &DynamoDbService::ExportTableToPointInTime, RunOn::Store},
      {"DescribeExport", &DynamoDbService::DescribeExport, RunOn::Store},
      {"ListExports", &DynamoDbService::ListExports, RunOn::Store},
      {"ImportTable", &DynamoDbService::ImportTable, RunOn::Store},
      {"DescribeImport", &DynamoDbService::DescribeImport, RunOn::Store},
      {"ListImports", &DynamoDbService::ListImports, RunOn::Store},
  };
  return table;
}

void DynamoDbService::Invoke(protocol::OperationRequest request, protocol::OperationCallback done) {
  // AWS judges the request before the operation is looked up (Run), so the executor cannot
  // dispatch through the table itself; the row still says where the operation runs. An unknown
  // operation touches no store: inline.
  const auto* row = Operations().Find(request.operation);
  const services::kit::RunOn run_on = row != nullptr ? row->run_on : services::kit::RunOn::Inline;
  executor_.Run(run_on, std::move(request), std::move(done), [this, row](const protocol::OperationRequest& request) {
    return RunRow(request.context, row, request.operation, request.input);
  });
}

OperationResult DynamoDbService::Run(const RequestContext& context, const std::string& operation,
                                     const boost::json::object& input) {
  return RunRow(context, Operations().Find(operation), operation, input);
}

OperationResult DynamoDbService::RunRow(const RequestContext& context, const Table::Row* row,
                                        const std::string& operation, const boost::json::object& input) {
  Call call{context, input, Scope{context.account_id, context.region}, runtime_.clock()};
  // AWS judges the request's wire types and constraints before the operation looks at anything
  // (an unknown operation included).
  if (auto rejected = request_validation::CheckRequest(request_validation::ModelService::DynamoDb, operation, input,
                                                       context.caller_arn))
    return Fail(std::move(*rejected));
  if (row == nullptr) return Fail(AwsError::Make("UnknownOperationException", 400, "Unknown operation " + operation));
  return (this->*(row->handler))(call);
}

void DynamoDbService::Reset() {
  store_->Reset();
  transitions_.Clear();
  transfers_->Clear();
  std::lock_guard lock(idempotency_mutex_);
  idempotent_calls_.clear();
}

void DynamoDbService::Shutdown() {
  // Not a cancel of the timer: this runs on a network thread while the timer thread may be
  // re-arming it, and a timer is not safe to share; the next tick sees the flag and ends.
  stopping_ = true;
}

void DynamoDbService::ScheduleTtlSweep() {
  ttl_timer_->expires_after(std::chrono::milliseconds(kTtlSweepMillis));
  ttl_timer_->async_wait([this](const boost::system::error_code& error) {
    if (error || stopping_) return;
    auto sweep = [this] {
      try {
        SweepExpiredItems();
      } catch (const std::exception& e) {
        spdlog::error("dynamodb: TTL sweep failed: {}", e.what());
      }
      if (!stopping_) asio::post(ttl_timer_->get_executor(), [this] { if (!stopping_) ScheduleTtlSweep(); });
    };
    if (store_->IsInline() || runtime_.blocking_pool == nullptr)
      sweep();
    else
      asio::post(*runtime_.blocking_pool, sweep);
  });
}

}  // namespace mallard::dynamodb
