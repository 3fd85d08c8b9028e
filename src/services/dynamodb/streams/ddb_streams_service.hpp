#pragma once
// DynamoDbStreamsService: the DynamoDB Streams API (awsJson 1.0, DynamoDBStreams_20120810, signed
// as "dynamodb") over the stream records the DynamoDB store keeps with every write.
#include <memory>

#include "services/dynamodb/model/ddb_store.hpp"
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
  protocol::OperationResult Dispatch(const protocol::OperationRequest& request);

  std::shared_ptr<DynamoDbStore> store_;
  services::ServiceContext runtime_;
};

}  // namespace mallard::dynamodb
