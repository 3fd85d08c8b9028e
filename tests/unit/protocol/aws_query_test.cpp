#include "protocol/aws_query.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "services/sqs/sqs_shapes.hpp"

namespace mallard::protocol {
namespace json = boost::json;

TEST(AwsQueryTest, DecodesFlattenedMapsListsAndNestedStructures) {
  FormParameters form;
  ASSERT_TRUE(ParseFormInto(
                  "Action=SendMessageBatch&QueueUrl=http%3A%2F%2Fh%2F000000000000%2Fq"
                  "&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=hi+there"
                  "&SendMessageBatchRequestEntry.1.DelaySeconds=5"
                  "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=color"
                  "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String"
                  "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=red"
                  "&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=x",
                  form)
                  .ok());
  auto input = FormToJson(form, sqs::SqsOperationShapes("SendMessageBatch")->input);
  ASSERT_TRUE(input.ok());
  auto expected = json::parse(R"({"QueueUrl":"http://h/000000000000/q","Entries":[
      {"Id":"a","MessageBody":"hi there","DelaySeconds":5,
       "MessageAttributes":{"color":{"DataType":"String","StringValue":"red"}}},
      {"Id":"b","MessageBody":"x"}]})");
  EXPECT_EQ(json::value(*input), expected) << json::serialize(*input);
}

TEST(AwsQueryTest, NonNumericIntegerIsInvalidParameterValue) {
  FormParameters form;
  ASSERT_TRUE(ParseFormInto("QueueUrl=u&MaxNumberOfMessages=ten", form).ok());
  auto input = FormToJson(form, sqs::SqsOperationShapes("ReceiveMessage")->input);
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().code, "InvalidParameterValue");
}

TEST(AwsQueryTest, RendersFlattenedResultWithNamespaceAndRequestId) {
  auto output = json::parse(R"({"Attributes":{"VisibilityTimeout":"30","QueueArn":"arn:x"}})").as_object();
  auto response = RenderQueryResult("GetQueueAttributes", output, sqs::SqsOperationShapes("GetQueueAttributes")->output,
                                    QueryStyle{"http://queue.amazonaws.com/doc/2012-11-05/"}, "rid-1");
  EXPECT_EQ(response.body,
            "<?xml version=\"1.0\"?><GetQueueAttributesResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>"
            "<Attribute><Name>QueueArn</Name><Value>arn:x</Value></Attribute></GetQueueAttributesResult>"
            "<ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata></GetQueueAttributesResponse>");
}

TEST(AwsQueryTest, ErrorResponseShape) {
  AwsError error{"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400, FaultSide::Sender, "a<b", {}};
  auto response = RenderQueryError(error, QueryStyle{"ns"}, "rid");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body,
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"ns\"><Error><Type>Sender</Type>"
            "<Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>a&lt;b</Message><Detail/></Error>"
            "<RequestId>rid</RequestId></ErrorResponse>");
}

TEST(AwsQueryTest, MalformedEscapeIsMalformedQueryString) {
  FormParameters form;
  auto status = ParseFormInto("Action=ListQueues&x=%G1", form);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "MalformedQueryString");
}

}  // namespace mallard::protocol
