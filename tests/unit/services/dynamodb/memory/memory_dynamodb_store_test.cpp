// MemoryDynamoDbStore runs the DynamoDbStore conformance suite; links services_dynamodb_memory alone.
#include "services/dynamodb/memory/memory_dynamodb_store.hpp"
#include "../ddb_store_conformance.hpp"

namespace mallard::dynamodb::conformance {
namespace {

StorePair MakeMemory() {
  auto store = std::make_shared<MemoryDynamoDbStore>();
  return {store, store};
}

INSTANTIATE_TEST_SUITE_P(Memory, DynamoDbStoreConformance,
                         ::testing::Values(DynamoDbStoreFactory{"Memory", MakeMemory}), FactoryName);

}  // namespace
}  // namespace mallard::dynamodb::conformance
