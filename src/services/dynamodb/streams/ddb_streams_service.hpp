#pragma once
// DynamoDbStreamsService: the DynamoDB Streams API (awsJson 1.0, DynamoDBStreams_20120810, signed
// as "dynamodb") over the stream records the DynamoDB store keeps with every write.
#include <memory>

#include "services/dynamodb/model/ddb_store.hpp"
#include "services/kit/operation_executor.hpp"
#include "services/kit/operation_table.hpp"
#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"

namespace mallard::dynamodb {

class DynamoDbStreamsService final : public services::Service {
 public:
  DynamoDbStreamsService(std::shared_ptr<DynamoDbStore> store, services::ServiceContext runtime);

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override {}  // the DynamoDB service resets the shared store
  std::string StoreName() const override { return store_->Name(); }

 private:
  // The one list of DynamoDB Streams operations: descriptor and dispatch read it.
  using Table = services::kit::OperationTable<DynamoDbStreamsService>;
  static const Table& Operations();
  // The request's judgement, then its operation (`row`: looked up once by Invoke; null: unknown).
  protocol::OperationResult Judged(const protocol::OperationRequest& request, const Table::Row* row);
  protocol::OperationResult ListStreams(const protocol::OperationRequest& request);
  protocol::OperationResult DescribeStream(const protocol::OperationRequest& request);
  protocol::OperationResult GetShardIterator(const protocol::OperationRequest& request);
  protocol::OperationResult GetRecords(const protocol::OperationRequest& request);

  std::shared_ptr<DynamoDbStore> store_;
  services::ServiceContext runtime_;
  services::kit::OperationExecutor executor_;
};

}  // namespace mallard::dynamodb
