#include "services/sqs/model/sqs_validation.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "services/sqs/model/sqs_input.hpp"
#include "services/sqs/model/sqs_message_md5.hpp"

namespace mallard::sqs {
namespace json = boost::json;

TEST(SqsValidationTest, QueueNames) {
  EXPECT_TRUE(ValidateQueueName("orders-1_x", false).ok());
  EXPECT_TRUE(ValidateQueueName(std::string(80, 'a'), false).ok());
  EXPECT_FALSE(ValidateQueueName(std::string(81, 'a'), false).ok());
  EXPECT_FALSE(ValidateQueueName("has.dot", false).ok());
  EXPECT_FALSE(ValidateQueueName("", false).ok());
  EXPECT_TRUE(ValidateQueueName("orders.fifo", true).ok());
  EXPECT_FALSE(ValidateQueueName("orders", true).ok());
  EXPECT_FALSE(ValidateQueueName(".fifo", true).ok());
  EXPECT_EQ(ValidateQueueName("bad name", false).error().code, "InvalidParameterValueException");
}

TEST(SqsValidationTest, MessageTextCharacters) {
  EXPECT_TRUE(IsValidMessageText("plain \t\r\n text \xE2\x82\xAC \xF0\x9F\xA6\x86"));
  EXPECT_FALSE(IsValidMessageText(std::string("nul\0", 4)));
  EXPECT_FALSE(IsValidMessageText("\x01"));
  EXPECT_FALSE(IsValidMessageText("\xEF\xBF\xBF"));  // U+FFFF
  EXPECT_FALSE(IsValidMessageText("\xC3"));           // truncated sequence
}

// The digest boto3 verifies for these three attributes (String, Number, Binary), per AWS's algorithm.
// Overlong forms decoded to allowed characters ("\xC0\xAF" is '/') and were stored; every later
// ReceiveMessage returning them was invalid XML/JSON.
TEST(SqsValidationTest, MessageTextIsStrictUtf8) {
  for (const char* bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                          "\x80", "\xFF"}) {
    EXPECT_FALSE(IsValidMessageText(std::string("a") + bad + "b")) << bad;
  }
  EXPECT_EQ(FirstInvalidMessageCharacter("ok\xC0\xAF").value_or(""), "#xC0");
  EXPECT_EQ(FirstInvalidMessageCharacter("ok\xEF\xBF\xBF").value_or(""), "#xFFFF");
  EXPECT_EQ(FirstInvalidMessageCharacter(std::string("a\0", 2)).value_or(""), "#x0");
  EXPECT_FALSE(FirstInvalidMessageCharacter("caf\xC3\xA9 \xF4\x8F\xBF\xBF").has_value());
  auto status = CheckMessageText("\x07", "the message body");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "InvalidMessageContents");
  EXPECT_EQ(status.error().message,
            "Invalid binary character '#x7' was found in the message body, the set of allowed characters is "
            "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].");
}

TEST(SqsValidationTest, Md5OfMessageAttributesMatchesAws) {
  auto input = json::parse(R"({"s":{"DataType":"String","StringValue":"x"},
                               "n":{"DataType":"Number","StringValue":"1.5"},
                               "b":{"DataType":"Binary","BinaryValue":"AAE="}})");
  auto attributes = ParseMessageAttributes(input, false);
  ASSERT_TRUE(attributes.ok());
  EXPECT_EQ(Md5OfMessageAttributes(*attributes), "de3ddbdad75bb2699bb07068363f6e59");
  EXPECT_EQ(Md5OfMessageAttributes({}), "");
}

TEST(SqsValidationTest, RejectsBadMessageAttributes) {
  auto check = [](const char* text) { return ParseMessageAttributes(json::parse(text), false); };
  EXPECT_FALSE(check(R"({"AWS.x":{"DataType":"String","StringValue":"v"}})").ok());
  EXPECT_FALSE(check(R"({"a..b":{"DataType":"String","StringValue":"v"}})").ok());
  EXPECT_FALSE(check(R"({"a":{"DataType":"Integer","StringValue":"1"}})").ok());
  EXPECT_FALSE(check(R"({"a":{"DataType":"Number","StringValue":"abc"}})").ok());
  EXPECT_FALSE(check(R"({"a":{"DataType":"Number","StringValue":"1e200"}})").ok());
  EXPECT_FALSE(check(R"({"a":{"DataType":"String","StringValue":""}})").ok());
  EXPECT_FALSE(check(R"({"a":{"DataType":"Binary","BinaryValue":"!!"}})").ok());
  EXPECT_TRUE(check(R"({"a":{"DataType":"Number.int","StringValue":"-12.5e3"}})").ok());
  json::object eleven;
  for (int i = 0; i < 11; ++i) eleven[std::to_string(i).insert(0, 1, 'k')] = json::parse(R"({"DataType":"String","StringValue":"v"})");
  EXPECT_FALSE(ParseMessageAttributes(eleven, false).ok());
}

// AWS accepts Latin-1/Latin Extended-A letters in attribute names and words each refusal on its own.
TEST(SqsValidationTest, MessageAttributeNamesAsAwsJudgesThem) {
  auto message_for = [](const std::string& name) {
    json::object attributes;
    attributes[name] = json::parse(R"({"DataType":"String","StringValue":"v"})");
    auto result = ParseMessageAttributes(attributes, false);
    return result.ok() ? std::string("OK") : result.error().message;
  };
  EXPECT_EQ(message_for("attr.1\xC3\xB8\xC3\x9F\xC3\xA4"), "OK");  // attr.1øßä
  EXPECT_EQ(message_for(std::string(255, 'a')), "OK");
  EXPECT_EQ(message_for(std::string(256, 'a')), "Message (user) attribute names must be shorter than 256 Bytes");
  const std::string bad_characters =
      "Message (user) attributes name can only contain upper and lower score characters, digits, periods, hyphens "
      "and underscores. ";
  for (const char* name : {"Invalid-!-attr", "Invalid-(-attr", "sp ace", "euro\xE2\x82\xAC"}) {
    EXPECT_EQ(message_for(name), bad_characters) << name;
  }
  const std::string reserved =
      "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for "
      "internal use. Additionally, they cannot start or end with '.'.";
  for (const char* name : {"aWs.-Invalid-attr", "AMAZON.-x", ".-Invalid-attr", "trailing."}) {
    EXPECT_EQ(message_for(name), reserved) << name;
  }
  json::object empty_value;
  empty_value["ErrorDetails"] = json::parse(R"({"DataType":"String","StringValue":""})");
  EXPECT_EQ(ParseMessageAttributes(empty_value, false).error().message,
            "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.");
}

TEST(SqsValidationTest, BatchEntryIds) {
  EXPECT_TRUE(IsValidBatchEntryId("a-B_9"));
  EXPECT_FALSE(IsValidBatchEntryId(""));
  EXPECT_FALSE(IsValidBatchEntryId("a.b"));
  EXPECT_FALSE(IsValidBatchEntryId(std::string(81, 'a')));
}

// Integers may arrive as any JSON number (botocore sends 5, some clients 5.0). A double outside
// int64's range was converted before it was checked: undefined behaviour, found by
// fuzz_sqs_attributes under UBSan ({"DelaySeconds": 1e300}).
TEST(SqsValidationTest, IntegerInputsOutsideInt64AreInvalidNotConverted) {
  auto read = [](const char* json_text) { return input::OptionalInt(json::parse(json_text).as_object(), "n"); };
  ASSERT_TRUE(read(R"({"n": 5.0})").ok());
  EXPECT_EQ(**read(R"({"n": 5.0})"), 5);
  EXPECT_EQ(**read(R"({"n": -9223372036854775808.0})"), INT64_MIN);
  for (const char* bad : {R"({"n": 1e300})", R"({"n": -1e300})", R"({"n": 9223372036854775808.0})", R"({"n": 1e400})",
                          R"({"n": 2.5})"}) {
    auto result = read(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code, "InvalidParameterValueException") << bad;
  }
}

}  // namespace mallard::sqs
