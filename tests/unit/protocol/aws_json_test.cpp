#include "protocol/aws_json.hpp"

#include <gtest/gtest.h>

namespace mallard::protocol {

TEST(AwsJsonTest, EmptyBodyIsAnEmptyObject) {
  auto decoded = DecodeJsonBody("  ");
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(AwsJsonTest, MalformedAndNonObjectBodiesAreSerializationExceptions) {
  for (const char* body : {"{", "[1,2]", "\"text\"", "{\"a\":}"}) {
    auto decoded = DecodeJsonBody(body);
    ASSERT_FALSE(decoded.ok()) << body;
    EXPECT_EQ(decoded.error().code, "SerializationException");
    EXPECT_EQ(decoded.error().http_status, 400);
  }
}

TEST(AwsJsonTest, AcceptsDynamoDbDepthButBoundsHostileNesting) {
  std::string legal;
  for (int level = 0; level < 70; ++level) legal += "{\"M\":";
  legal += "1";
  for (int level = 0; level < 70; ++level) legal += "}";
  EXPECT_TRUE(DecodeJsonBody(legal).ok());
  std::string hostile(100000, '[');
  EXPECT_FALSE(DecodeJsonBody("{\"a\":" + hostile).ok());
}

TEST(AwsJsonTest, ErrorShapeCarriesTypeHeadersAndQueryCode) {
  AwsError error{"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400, FaultSide::Sender, "gone", {}};
  auto response = RenderJsonError(error, JsonErrorStyle{false, "com.amazonaws.sqs#", true}, "rid");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"})");
  bool saw_query_error = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "x-amzn-query-error") {
      saw_query_error = true;
      EXPECT_EQ(value, "AWS.SimpleQueueService.NonExistentQueue;Sender");
    }
  }
  EXPECT_TRUE(saw_query_error);
}

}  // namespace mallard::protocol
