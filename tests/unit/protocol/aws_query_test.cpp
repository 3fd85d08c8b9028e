#include "protocol/aws_query.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/encoding.hpp"
#include "protocol/aws_json.hpp"
#include "services/sqs/model/sqs_shapes.hpp"

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

// Every response is well-formed in its protocol whatever bytes a client sent: strict UTF-8
// decoding, excerpts cut on code-point boundaries, and the XML/JSON renderers as a backstop.
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

// Inputs a client can put into a message over awsQuery (percent-decoded bytes): NUL and other C0
// controls, overlong forms, surrogates, code points above U+10FFFF, truncated sequences, stray
// continuation bytes, U+FFFE/U+FFFF.
const std::vector<std::string>& HostileTexts() {
  static const std::vector<std::string> texts = {
      std::string("a\0b", 3), "\x01\x08\x0B\x0C\x1F", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
      "\xF4\x90\x80\x80",     "\xE2\x82",          "x\xE2", "\x80\xBF", "\xEF\xBF\xBE\xEF\xBF\xBF", "\xFF\xFE"};
  return texts;
}

// True when `text` is strictly valid UTF-8 and every character is allowed by XML 1.0.
bool IsXmlText(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    Utf8Step step = DecodeUtf8At(text, i);
    if (!step.valid || !IsXmlChar(step.code_point)) return false;
    i += step.length;
  }
  return true;
}

}  // namespace

TEST(Utf8Test, StrictDecodingRejectsOverlongSurrogatesAndOutOfRange) {
  EXPECT_TRUE(IsValidUtf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  for (const char* bad : {"\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xE0\x9F\xBF", "\xF0\x80\x80\xAF",
                          "\xED\xA0\x80", "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xE2\x82",
                          "\x80", "\xC3"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
  Utf8Step step = DecodeUtf8At("\xF0\x9F\x98\x80", 0);
  EXPECT_TRUE(step.valid);
  EXPECT_EQ(step.code_point, 0x1F600u);
  EXPECT_EQ(step.length, 4u);
}

TEST(Utf8Test, RepairReplacesEachMaximalInvalidSubpart) {
  EXPECT_EQ(ToValidUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(ToValidUtf8("a\xC0\xAF" "b"), "a" + kReplacement + kReplacement + "b");
  EXPECT_EQ(ToValidUtf8("a\xE2\x82" "b"), "a" + kReplacement + "b");
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);
  for (const auto& text : HostileTexts()) EXPECT_TRUE(IsValidUtf8(ToValidUtf8(text)));
}

TEST(Utf8Test, PrefixNeverSplitsACharacter) {
  const std::string text = "ab\xE2\x82\xAC" "cd";  // "ab€cd"
  EXPECT_EQ(Utf8Prefix(text, 2), "ab");
  EXPECT_EQ(Utf8Prefix(text, 3), "ab");
  EXPECT_EQ(Utf8Prefix(text, 4), "ab");
  EXPECT_EQ(Utf8Prefix(text, 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(Utf8Prefix(text, 100), text);
}

TEST(XmlEscapingTest, ForbiddenCharactersAndInvalidUtf8BecomeReplacementCharacters) {
  std::string out;
  AppendXmlEscaped(out, std::string("a\0b\x01" "c\xC0\xAF" "d\xEF\xBF\xBF" "e\t\n\xC3\xA9", 16));
  EXPECT_EQ(out, "a" + kReplacement + "b" + kReplacement + "c" + kReplacement + kReplacement + "d" + kReplacement +
                     "e\t\n\xC3\xA9");
  for (const auto& text : HostileTexts()) {
    std::string escaped;
    AppendXmlEscaped(escaped, text);
    EXPECT_TRUE(IsXmlText(escaped)) << escaped;
  }
}

TEST(WellFormedOutputTest, QueryErrorEchoingClientBytesIsXml) {
  for (const auto& text : HostileTexts()) {
    AwsError error = AwsError::Make("InvalidAction", 400, "The action " + text + " is not valid for this endpoint.");
    auto response = RenderQueryError(error, QueryStyle{"ns"}, "rid");
    EXPECT_TRUE(IsXmlText(response.body)) << response.body;
    auto as_json = RenderQueryErrorAsJson(error, "rid");
    EXPECT_TRUE(IsValidUtf8(as_json.body)) << as_json.body;
    boost::system::error_code parse_error;
    json::parse(as_json.body, parse_error);
    EXPECT_FALSE(parse_error) << as_json.body;
  }
}

TEST(WellFormedOutputTest, QueryResultWithHostileMapKeysAndValuesIsXml) {
  json::object tags;
  for (const auto& text : HostileTexts()) tags["k" + text] = "v" + text;
  json::object output{{"Tags", std::move(tags)}};
  auto response = RenderQueryResult("ListQueueTags", output, sqs::SqsOperationShapes("ListQueueTags")->output,
                                    QueryStyle{"http://queue.amazonaws.com/doc/2012-11-05/"}, "rid");
  EXPECT_TRUE(IsXmlText(response.body)) << response.body;
}

TEST(WellFormedOutputTest, JsonErrorAndResultAreValidUtf8) {
  for (const auto& text : HostileTexts()) {
    AwsError error = AwsError::Make("ValidationException", 400, "Statement wasn't well formed, near '" + text + "'");
    error.extra_json = "{\"Item\":\"x\"}";
    auto response = RenderJsonError(error, JsonErrorStyle{false, "com.amazonaws.dynamodb.v20120810#", false}, "rid");
    EXPECT_TRUE(IsValidUtf8(response.body)) << response.body;
    boost::system::error_code parse_error;
    json::value parsed = json::parse(response.body, parse_error);
    ASSERT_FALSE(parse_error) << response.body;
    EXPECT_EQ(parsed.at("Item"), "x");

    auto result = RenderJsonResult(json::object{{"Body", text}, {text, 1}}, false, "rid");
    EXPECT_TRUE(IsValidUtf8(result.body)) << result.body;
    json::parse(result.body, parse_error);
    EXPECT_FALSE(parse_error) << result.body;
  }
  // Valid text passes through byte for byte.
  auto result = RenderJsonResult(json::object{{"Body", "caf\xC3\xA9 \xF0\x9F\x98\x80"}}, false, "rid");
  EXPECT_EQ(result.body, "{\"Body\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}");
}

TEST(WellFormedOutputTest, ExtraJsonMembersWithInvalidUtf8AreRepairedNotDropped) {
  AwsError error = AwsError::Make("ConditionalCheckFailedException", 400, "The conditional request failed");
  error.extra_json = "{\"Item\":{\"S\":\"a\xC0\xAF\"}}";
  auto response = RenderJsonError(error, JsonErrorStyle{}, "rid");
  boost::system::error_code parse_error;
  json::value parsed = json::parse(response.body, parse_error);
  ASSERT_FALSE(parse_error) << response.body;
  EXPECT_EQ(parsed.at("Item").at("S").as_string(), "a" + kReplacement + kReplacement);
}

}  // namespace mallard::protocol
