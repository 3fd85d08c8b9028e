#include "services/dynamodb/ddb_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "services/dynamodb/model/ddb_errors.hpp"
#include "services/dynamodb/ddb_request_validation.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"

namespace mallard::dynamodb {
namespace asio = boost::asio;
using protocol::OperationResult;

namespace {
constexpr std::int64_t kTtlSweepMillis = 1000;
}

DynamoDbService::DynamoDbService(std::shared_ptr<DynamoDbStore> store, services::ServiceContext runtime,
                                 DynamoDbOptions options)
    : store_(std::move(store)), runtime_(std::move(runtime)), transitions_(options.table_transition_millis) {
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
    d.operations = {"CreateTable", "DescribeTable", "UpdateTable", "DeleteTable", "ListTables",
                    "UpdateTimeToLive", "DescribeTimeToLive", "TagResource", "UntagResource",
                    "ListTagsOfResource", "DescribeLimits", "DescribeEndpoints", "CreateBackup",
                    "DescribeBackup", "ListBackups", "DeleteBackup", "RestoreTableFromBackup",
                    "RestoreTableToPointInTime", "UpdateContinuousBackups", "DescribeContinuousBackups",
                    "PutItem", "GetItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem",
                    "TransactGetItems", "TransactWriteItems", "Query", "Scan", "ExecuteStatement",
                    "BatchExecuteStatement", "ExecuteTransaction", "PutResourcePolicy", "GetResourcePolicy",
                    "DeleteResourcePolicy"};
    d.empty_body_operations = {"TagResource", "UntagResource"};
    return d;
  }();
  return descriptor;
}

void DynamoDbService::Invoke(protocol::OperationRequest request, protocol::OperationCallback done) {
  auto work = [this, request = std::move(request), done = std::move(done)]() mutable {
    done(Run(request.context, request.operation, request.input));
  };
  if (store_->IsInline() || runtime_.blocking_pool == nullptr)
    work();
  else
    asio::post(*runtime_.blocking_pool, std::move(work));
}

OperationResult DynamoDbService::Run(const RequestContext& context, const std::string& operation,
                                     const boost::json::object& input) {
  Call call{context, input, Scope{context.account_id, context.region}, runtime_.clock()};
  try {
    // AWS judges the request's wire types and constraints before the operation looks at anything.
    if (auto rejected = request_validation::CheckRequest(request_validation::ModelService::DynamoDb, operation, input,
                                                         context.caller_arn))
      return Fail(std::move(*rejected));
    return Dispatch(call, operation);
  } catch (const std::exception& e) {
    spdlog::error("dynamodb.{} failed: {} (request {})", operation, e.what(), context.request_id);
    return Fail(errors::InternalServerError(e.what()));
  }
}

OperationResult DynamoDbService::Dispatch(const Call& call, const std::string& operation) {
  using Handler = Result<Json> (DynamoDbService::*)(const Call&);
  static const std::map<std::string, Handler, std::less<>> handlers = {
      {"CreateTable", &DynamoDbService::CreateTable},
      {"DescribeTable", &DynamoDbService::DescribeTable},
      {"UpdateTable", &DynamoDbService::UpdateTable},
      {"DeleteTable", &DynamoDbService::DeleteTable},
      {"ListTables", &DynamoDbService::ListTables},
      {"UpdateTimeToLive", &DynamoDbService::UpdateTimeToLive},
      {"DescribeTimeToLive", &DynamoDbService::DescribeTimeToLive},
      {"TagResource", &DynamoDbService::TagResource},
      {"UntagResource", &DynamoDbService::UntagResource},
      {"ListTagsOfResource", &DynamoDbService::ListTagsOfResource},
      {"DescribeLimits", &DynamoDbService::DescribeLimits},
      {"DescribeEndpoints", &DynamoDbService::DescribeEndpoints},
      {"CreateBackup", &DynamoDbService::CreateBackup},
      {"DescribeBackup", &DynamoDbService::DescribeBackup},
      {"ListBackups", &DynamoDbService::ListBackups},
      {"DeleteBackup", &DynamoDbService::DeleteBackup},
      {"RestoreTableFromBackup", &DynamoDbService::RestoreTableFromBackup},
      {"RestoreTableToPointInTime", &DynamoDbService::RestoreTableToPointInTime},
      {"UpdateContinuousBackups", &DynamoDbService::UpdateContinuousBackups},
      {"DescribeContinuousBackups", &DynamoDbService::DescribeContinuousBackups},
      {"PutItem", &DynamoDbService::PutItem},
      {"GetItem", &DynamoDbService::GetItem},
      {"UpdateItem", &DynamoDbService::UpdateItem},
      {"DeleteItem", &DynamoDbService::DeleteItem},
      {"BatchGetItem", &DynamoDbService::BatchGetItem},
      {"BatchWriteItem", &DynamoDbService::BatchWriteItem},
      {"TransactGetItems", &DynamoDbService::TransactGetItems},
      {"TransactWriteItems", &DynamoDbService::TransactWriteItems},
      {"Query", &DynamoDbService::Query},
      {"Scan", &DynamoDbService::Scan},
      {"ExecuteStatement", &DynamoDbService::ExecuteStatement},
      {"BatchExecuteStatement", &DynamoDbService::BatchExecuteStatement},
      {"ExecuteTransaction", &DynamoDbService::ExecuteTransaction},
      {"PutResourcePolicy", &DynamoDbService::PutResourcePolicy},
      {"GetResourcePolicy", &DynamoDbService::GetResourcePolicy},
      {"DeleteResourcePolicy", &DynamoDbService::DeleteResourcePolicy},
  };
  auto it = handlers.find(operation);
  if (it == handlers.end())
    return Fail(AwsError::Make("UnknownOperationException", 400, "Unknown operation " + operation));
  return (this->*(it->second))(call);
}

void DynamoDbService::Reset() {
  store_->Reset();
  transitions_.Clear();
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
