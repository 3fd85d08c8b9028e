// The README's table of supported operations must stay true: every operation a service answers
// is named there.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "backends/memory/memory_sqs_backend.hpp"
#include "services/sqs/sqs_service.hpp"

namespace mallard {

TEST(ReadmeOperationsTest, EverySqsOperationIsListed) {
  std::ifstream file(MALLARD_SOURCE_DIR "/README.md");
  ASSERT_TRUE(file.good());
  std::stringstream readme;
  readme << file.rdbuf();
  sqs::SqsService service(std::make_unique<sqs::MemorySqsBackend>(), services::ServiceRuntime{});
  for (const auto& operation : service.Descriptor().operations) {
    EXPECT_NE(readme.str().find(operation), std::string::npos) << operation << " is missing from README.md";
  }
}

}  // namespace mallard
