// The README's table of supported operations must stay true: every operation a service answers
// is named there.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "backends/memory/memory_dynamodb_backend.hpp"
#include "backends/memory/memory_sqs_backend.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/ddb_streams_service.hpp"
#include "services/sqs/sqs_service.hpp"
#include "services/sts/sts_service.hpp"

namespace mallard {

namespace {

std::string ReadmeText() {
  std::ifstream file(MALLARD_SOURCE_DIR "/README.md");
  std::stringstream readme;
  readme << file.rdbuf();
  return readme.str();
}

void ExpectListed(const services::Service& service) {
  const std::string readme = ReadmeText();
  ASSERT_FALSE(readme.empty());
  for (const auto& operation : service.Descriptor().operations)
    EXPECT_NE(readme.find(operation), std::string::npos) << operation << " is missing from README.md";
}

}  // namespace

TEST(ReadmeOperationsTest, EverySqsOperationIsListed) {
  ExpectListed(sqs::SqsService(std::make_unique<sqs::MemorySqsBackend>(), services::ServiceContext{}));
}

TEST(ReadmeOperationsTest, EveryStsOperationIsListed) {
  ExpectListed(sts::StsService(std::make_shared<CredentialRegistry>(), services::ServiceContext{}));
}

TEST(ReadmeOperationsTest, EveryDynamoDbAndStreamsOperationIsListed) {
  auto backend = std::make_shared<dynamodb::MemoryDynamoDbBackend>();
  ExpectListed(dynamodb::DynamoDbService(backend, services::ServiceContext{}));
  ExpectListed(dynamodb::DynamoDbStreamsService(backend, services::ServiceContext{}));
}

}  // namespace mallard
