// The request judgement that precedes every DynamoDB operation: wire types, then all constraints
// (src/services/dynamodb/ddb_request_validation.hpp). Expected messages are the real service's (issue 15).
#include "services/dynamodb/ddb_request_validation.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "protocol/aws_json.hpp"
#include "services/dynamodb/model/ddb_errors.hpp"

namespace mallard::dynamodb {
namespace {
namespace json = boost::json;
using request_validation::CheckRequest;
using request_validation::ModelService;

std::optional<AwsError> Check(std::string_view operation, std::string_view body) {
  return CheckRequest(ModelService::DynamoDb, operation, json::parse(body).as_object());
}

TEST(DdbRequestValidationTest, WireTypesComeFirstInDocumentOrder) {
  auto error = Check("GetItem", R"({"ReturnConsumedCapacity": "hi", "ConsistentRead": "23", "TableName": true})");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "SerializationException");
  EXPECT_EQ(error->message, "Unexpected token received from parser");
  EXPECT_EQ(error->type_namespace, "com.amazon.coral.service#");
  EXPECT_EQ(error->message_member, "Message");
}

TEST(DdbRequestValidationTest, AttributeValuesInCollectionsAreValuePositions) {
  auto error = Check("PutItem", R"({"Item": {"a": {"M": {"b": {"L": [17]}}}}})");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message, "Unexpected value type in payload");
  error = Check("PutItem", R"({"Item": {"a": {"NS": [1]}}})");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message, "NUMBER_VALUE cannot be converted to String");
}

TEST(DdbRequestValidationTest, EveryViolationInOneMessage) {
  auto error = Check("Scan", R"({"TableName": "a", "Limit": 0, "Select": "x"})");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "ValidationException");
  EXPECT_EQ(error->type_namespace, "com.amazon.coral.validate#");
  EXPECT_EQ(error->message,
            "3 validation errors detected: "
            "Value 'a' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; "
            "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; "
            "Value 'x' at 'select' failed to satisfy constraint: Member must satisfy enum value set: "
            "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]");
}

TEST(DdbRequestValidationTest, NestedPathsAndStructureRenderings) {
  auto error = Check("TransactWriteItems", R"({"TransactItems": [{"Put": {"TableName": "t!t", "Item": {}}},
                                               {"Delete": {"TableName": "abc"}}]})");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message,
            "2 validation errors detected: "
            "Value 't!t' at 'transactItems.1.member.put.tableName' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: [a-zA-Z0-9_.-]+; "
            "Value null at 'transactItems.2.member.delete.key' failed to satisfy constraint: Member must not be null");
}

TEST(DdbRequestValidationTest, TableArnsStandInForNames) {
  EXPECT_FALSE(Check("GetItem", R"({"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/t", "Key": {}})"));
  EXPECT_FALSE(Check("DescribeTable", R"({"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/t"})"));
}

TEST(DdbRequestValidationTest, ValidRequestsPass) {
  EXPECT_FALSE(Check("ListTables", "{}"));
  EXPECT_FALSE(Check("PutItem", R"({"TableName": "abc", "Item": {"a": {"B": "YWJj"}, "b": {"L": [{"N": "1"}]}},
                                    "ReturnValues": "ALL_OLD", "Unknown": [1, 2]})"));
  EXPECT_FALSE(Check("UnknownOperation", R"({"TableName": 1})"));
}

TEST(DdbRequestValidationTest, WireErrorNamespacesAndMessageMembers) {
  const protocol::JsonErrorStyle style{false, "com.amazonaws.dynamodb.v20120810#", false};
  auto body = [&](const AwsError& error) { return protocol::RenderJsonError(error, style, "id").body; };
  EXPECT_EQ(body(errors::OnTheWire(AwsError::Make("SerializationException", 400, ""))),
            R"({"__type":"com.amazon.coral.service#SerializationException"})");
  EXPECT_EQ(body(errors::Serialization("Unexpected field type")),
            R"({"__type":"com.amazon.coral.service#SerializationException","Message":"Unexpected field type"})");
  EXPECT_EQ(body(errors::OnTheWire(AwsError::Make("UnknownOperationException", 400, "x"))),
            R"({"__type":"com.amazon.coral.service#UnknownOperationException"})");
  EXPECT_EQ(body(errors::Validation("m")), R"({"__type":"com.amazon.coral.validate#ValidationException","message":"m"})");
  EXPECT_EQ(body(errors::ResourceNotFound()),
            R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"})");
}

}  // namespace
}  // namespace mallard::dynamodb
