#include "protocol/aws_json.hpp"

#include <boost/json.hpp>
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

// Boost.JSON 1.81 parsed "-0.00e890" (zero with a huge exponent) as NaN and "1e400" as infinity,
// which render as invalid JSON; found by fuzz_aws_json.
TEST(AwsJsonTest, ZeroWithHugeExponentIsZeroNotNaN) {
  auto decoded = DecodeJsonBody(R"({"n": -0.00e890, "m": [0e999], "s": "\u00e9"})");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->at("n").as_double(), 0.0);
  EXPECT_EQ(decoded->at("m").as_array().at(0).as_double(), 0.0);
  auto rendered = RenderJsonResult(*decoded, false, "rid");
  boost::system::error_code error;
  boost::json::parse(rendered.body, error);
  EXPECT_FALSE(error) << rendered.body;
}

TEST(AwsJsonTest, NumberBeyondDoubleRangeIsSerializationException) {
  for (const char* body : {R"({"Limit": 1e400})", R"({"a": [1, {"b": -10123e167889}]})"}) {
    auto decoded = DecodeJsonBody(body);
    ASSERT_FALSE(decoded.ok()) << body;
    EXPECT_EQ(decoded.error().code, "SerializationException");
  }
  EXPECT_TRUE(DecodeJsonBody(R"({"a": 1.7976931348623157e308, "b": 5e-324})").ok());
}

TEST(AwsJsonTest, ErrorShapeCarriesTypeHeadersAndQueryCode) {
  AwsError error{"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400, FaultSide::Sender, "gone", {}};
  auto response = RenderJsonError(error, JsonErrorStyle{false, "com.amazonaws.sqs#", true}, "rid");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"})");
  bool saw_query_error = false, saw_error_type = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "x-amzn-query-error") {
      saw_query_error = true;
      EXPECT_EQ(value, "AWS.SimpleQueueService.NonExistentQueue;Sender");
    }
    if (name == "x-amzn-ErrorType") {
      saw_error_type = true;
      EXPECT_EQ(value, "com.amazonaws.sqs#QueueDoesNotExist");  // namespaced, as SQS sends it
    }
  }
  EXPECT_TRUE(saw_query_error);
  EXPECT_TRUE(saw_error_type);
}

TEST(AwsJsonTest, ErrorTypeHeaderOfOtherServicesIsTheBareCode) {
  auto error = AwsError::Make("ResourceNotFoundException", 400, "gone");
  auto response = RenderJsonError(error, JsonErrorStyle{false, "com.amazonaws.athena#", false}, "rid");
  for (const auto& [name, value] : response.headers) {
    if (name == "x-amzn-ErrorType") EXPECT_EQ(value, "ResourceNotFoundException");
  }
}

}  // namespace mallard::protocol
