// SNS's generated awsQuery shapes, checked three ways: against botocore's model read here (every
// operation, every member, location names, list/map wire names), against form bodies botocore
// serialises (fixtures below, produced by botocore 1.29.27's query serializer), and against AWS's
// XML as its documentation shows it. test_sns_shapes_botocore.py drives the case-file test at the
// end with seeded random inputs and outputs of all 42 operations and checks them with botocore's
// own serializer and parser.
#include "services/sns/model/sns_shapes.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/aws_json.hpp"
#include "protocol/aws_query.hpp"

namespace mallard::sns {
namespace {
namespace json = boost::json;
using protocol::Shape;
using protocol::ShapeKind;

constexpr const char* kDebianModel = "/usr/lib/python3/dist-packages/botocore/data/sns/2010-03-31/service-2.json";
constexpr const char* kXmlns = "http://sns.amazonaws.com/doc/2010-03-31/";

std::string ModelPath() {
  const char* path = std::getenv("MALLARD_SNS_MODEL");
  return path != nullptr && *path != '\0' ? path : kDebianModel;
}

json::value ParseJsonText(const std::string& text) {
  json::parse_options options;
  options.max_depth = protocol::kMaxJsonDepth;
  return json::parse(text, {}, options);
}

json::value ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseJsonText(buffer.str());
}

const json::object& LoadModel() {
  static const json::value model = ReadJsonFile(ModelPath());
  static const json::object empty;
  return model.is_object() ? model.as_object() : empty;
}

std::string Text(const json::object& object, const char* key, const std::string& fallback = "") {
  auto found = object.find(key);
  return found != object.end() && found->value().is_string() ? std::string(found->value().get_string()) : fallback;
}

bool Flag(const json::object& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->value().is_bool() && found->value().get_bool();
}

ShapeKind KindOf(const std::string& model_type) {
  if (model_type == "structure") return ShapeKind::Structure;
  if (model_type == "list") return ShapeKind::List;
  if (model_type == "map") return ShapeKind::Map;
  if (model_type == "integer") return ShapeKind::Integer;
  if (model_type == "long") return ShapeKind::Long;
  if (model_type == "boolean") return ShapeKind::Boolean;
  if (model_type == "double" || model_type == "float") return ShapeKind::Double;
  if (model_type == "blob") return ShapeKind::Blob;
  if (model_type == "timestamp") return ShapeKind::Timestamp;
  return ShapeKind::String;
}

// Walks the model's shape `name` and the generated Shape side by side; `path` names the place for
// failure messages. Depth-limited: the generator refuses recursive shapes, so a deep walk is a bug.
void ExpectSameShape(const json::object& shapes, const std::string& name, const Shape* shape, const std::string& path,
                     int depth = 0) {
  ASSERT_LT(depth, 32) << path;
  ASSERT_NE(shape, nullptr) << path;
  auto found = shapes.find(name);
  ASSERT_NE(found, shapes.end()) << path << ": " << name;
  const json::object& model = found->value().as_object();
  const std::string type = Text(model, "type");
  ASSERT_EQ(static_cast<int>(shape->kind), static_cast<int>(KindOf(type))) << path << " (" << type << ")";
  if (type == "structure") {
    const json::object& members = model.at("members").as_object();
    ASSERT_EQ(shape->members.size(), members.size()) << path;
    std::size_t index = 0;
    for (const auto& member : members) {
      const auto& generated = shape->members[index++];
      const json::object& reference = member.value().as_object();
      EXPECT_EQ(generated.name, std::string(member.key())) << path;
      EXPECT_EQ(generated.WireName(), Text(reference, "locationName", std::string(member.key()))) << path;
      ExpectSameShape(shapes, Text(reference, "shape"), generated.shape, path + "." + std::string(member.key()),
                      depth + 1);
    }
  } else if (type == "list") {
    const json::object& element = model.at("member").as_object();
    EXPECT_EQ(shape->element_location_name, Text(element, "locationName", "member")) << path;
    EXPECT_EQ(shape->flattened, Flag(model, "flattened")) << path;
    ExpectSameShape(shapes, Text(element, "shape"), shape->element, path + "[]", depth + 1);
  } else if (type == "map") {
    const json::object& key = model.at("key").as_object();
    const json::object& value = model.at("value").as_object();
    EXPECT_EQ(shape->key_location_name, Text(key, "locationName", "key")) << path;
    EXPECT_EQ(shape->value_location_name, Text(value, "locationName", "value")) << path;
    EXPECT_EQ(shape->flattened, Flag(model, "flattened")) << path;
    ExpectSameShape(shapes, Text(key, "shape"), shape->key, path + "{key}", depth + 1);
    ExpectSameShape(shapes, Text(value, "shape"), shape->value, path + "{value}", depth + 1);
  }
}

TEST(SnsShapesTest, EveryOperationOfTheModelAndNoOther) {
  const json::object& model = LoadModel();
  ASSERT_FALSE(model.empty()) << "cannot read botocore's SNS model at " << ModelPath()
                              << " (set MALLARD_SNS_MODEL to its service-2.json)";
  std::vector<std::string> expected;
  for (const auto& operation : model.at("operations").as_object()) expected.emplace_back(operation.key());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(expected.size(), 42U);  // botocore 1.29.27 through 1.43.11; a new operation is a new review
  EXPECT_EQ(SnsOperationNames(), expected);
  EXPECT_TRUE(std::is_sorted(SnsOperationNames().begin(), SnsOperationNames().end()));
  EXPECT_EQ(SnsShapes("SendMessage"), nullptr);
  EXPECT_EQ(SnsShapes(""), nullptr);
  EXPECT_EQ(SnsShapes("publish"), nullptr);
}

TEST(SnsShapesTest, EveryShapeMatchesTheModelMemberByMember) {
  const json::object& model = LoadModel();
  ASSERT_FALSE(model.empty()) << ModelPath();
  const json::object& shapes = model.at("shapes").as_object();
  for (const auto& [name, operation_value] : model.at("operations").as_object()) {
    const json::object& operation = operation_value.as_object();
    const protocol::OperationShapes* generated = SnsShapes(name);
    ASSERT_NE(generated, nullptr) << name;
    if (auto input = operation.find("input"); input != operation.end()) {
      ExpectSameShape(shapes, Text(input->value().as_object(), "shape"), generated->input, std::string(name) + "<in>");
    } else {
      EXPECT_EQ(generated->input, nullptr) << name;
    }
    if (auto output = operation.find("output"); output != operation.end()) {
      // RenderQueryResult writes "<Operation>Result"; the model must agree for every operation.
      EXPECT_EQ(Text(output->value().as_object(), "resultWrapper"), std::string(name) + "Result");
      ExpectSameShape(shapes, Text(output->value().as_object(), "shape"), generated->output,
                      std::string(name) + "<out>");
    } else {
      EXPECT_EQ(generated->output, nullptr) << name << ": AWS writes no <" << name << "Result> for it";
    }
  }
}

json::object Decode(const std::string& operation, const std::string& body) {
  protocol::FormParameters form;
  EXPECT_TRUE(protocol::ParseFormInto(body, form).ok()) << body;
  auto input = protocol::FormToJson(form, SnsShapes(operation)->input);
  EXPECT_TRUE(input.ok()) << operation << ": " << (input.ok() ? "" : input.error().message);
  return input.ok() ? *input : json::object();
}

void ExpectDecodes(const std::string& operation, const std::string& body, const std::string& expected) {
  json::object input = Decode(operation, body);
  EXPECT_EQ(json::value(input), ParseJsonText(expected)) << operation << ": " << json::serialize(input);
}

// The bodies below are byte for byte what botocore sends (AWSRequest.prepare() of its query serializer).
TEST(SnsShapesTest, DecodesCreateTopicWithAttributesAndTags) {
  ExpectDecodes("CreateTopic",
                "Action=CreateTopic&Version=2010-03-31&Name=orders.fifo&Attributes.entry.1.key=FifoTopic"
                "&Attributes.entry.1.value=true&Attributes.entry.2.key=ContentBasedDeduplication"
                "&Attributes.entry.2.value=true&Attributes.entry.3.key=DisplayName"
                "&Attributes.entry.3.value=Orders+%26+more&Tags.member.1.Key=team&Tags.member.1.Value=payments"
                "&Tags.member.2.Key=env&Tags.member.2.Value=dev",
                R"({"Name":"orders.fifo",
                    "Attributes":{"FifoTopic":"true","ContentBasedDeduplication":"true","DisplayName":"Orders & more"},
                    "Tags":[{"Key":"team","Value":"payments"},{"Key":"env","Value":"dev"}]})");
}

TEST(SnsShapesTest, DecodesSubscribeWithAttributesAndABoolean) {
  ExpectDecodes("Subscribe",
                "Action=Subscribe&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders"
                "&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq1"
                "&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true"
                "&Attributes.entry.2.key=FilterPolicy"
                "&Attributes.entry.2.value=%7B%22color%22%3A+%5B%22red%22%2C+%7B%22prefix%22%3A+%22bl%22%7D%5D%7D"
                "&ReturnSubscriptionArn=true",
                R"({"TopicArn":"arn:aws:sns:us-east-1:000000000000:orders","Protocol":"sqs",
                    "Endpoint":"arn:aws:sqs:us-east-1:000000000000:q1",
                    "Attributes":{"RawMessageDelivery":"true",
                                  "FilterPolicy":"{\"color\": [\"red\", {\"prefix\": \"bl\"}]}"},
                    "ReturnSubscriptionArn":true})");
}

TEST(SnsShapesTest, DecodesPublishWithEveryMessageAttributeDataType) {
  // Binary values stay base64 text, as in the JSON protocols ("\x00\x01\xffbin" here).
  ExpectDecodes("Publish",
                "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders"
                "&Message=hello+w%C3%B6rld+%2B%3D%26&Subject=Hi&MessageAttributes.entry.1.Name=color"
                "&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=red"
                "&MessageAttributes.entry.2.Name=count&MessageAttributes.entry.2.Value.DataType=Number"
                "&MessageAttributes.entry.2.Value.StringValue=42.5&MessageAttributes.entry.3.Name=raw"
                "&MessageAttributes.entry.3.Value.DataType=Binary"
                "&MessageAttributes.entry.3.Value.BinaryValue=AAH%2FYmlu"
                "&MessageAttributes.entry.4.Name=sizes&MessageAttributes.entry.4.Value.DataType=String.Array"
                "&MessageAttributes.entry.4.Value.StringValue=%5B%22S%22%2C+%22M%22%2C+3%5D",
                R"({"TopicArn":"arn:aws:sns:us-east-1:000000000000:orders","Message":"hello wörld +=&","Subject":"Hi",
                    "MessageAttributes":{
                      "color":{"DataType":"String","StringValue":"red"},
                      "count":{"DataType":"Number","StringValue":"42.5"},
                      "raw":{"DataType":"Binary","BinaryValue":"AAH/Ymlu"},
                      "sizes":{"DataType":"String.Array","StringValue":"[\"S\", \"M\", 3]"}}})");
}

TEST(SnsShapesTest, DecodesPublishBatchEntriesWithTheirOwnAttributes) {
  ExpectDecodes(
      "PublishBatch",
      "Action=PublishBatch&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders.fifo"
      "&PublishBatchRequestEntries.member.1.Id=e1&PublishBatchRequestEntries.member.1.Message=one"
      "&PublishBatchRequestEntries.member.1.MessageGroupId=g1"
      "&PublishBatchRequestEntries.member.1.MessageDeduplicationId=d1"
      "&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=k"
      "&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType=String"
      "&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue=v1"
      "&PublishBatchRequestEntries.member.2.Id=e2&PublishBatchRequestEntries.member.2.Message=two"
      "&PublishBatchRequestEntries.member.2.MessageGroupId=g1"
      "&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Name=n"
      "&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.DataType=Number"
      "&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.StringValue=7"
      "&PublishBatchRequestEntries.member.2.MessageAttributes.entry.2.Name=b"
      "&PublishBatchRequestEntries.member.2.MessageAttributes.entry.2.Value.DataType=Binary"
      "&PublishBatchRequestEntries.member.2.MessageAttributes.entry.2.Value.BinaryValue=eHl6",
      R"({"TopicArn":"arn:aws:sns:us-east-1:000000000000:orders.fifo","PublishBatchRequestEntries":[
          {"Id":"e1","Message":"one","MessageGroupId":"g1","MessageDeduplicationId":"d1",
           "MessageAttributes":{"k":{"DataType":"String","StringValue":"v1"}}},
          {"Id":"e2","Message":"two","MessageGroupId":"g1",
           "MessageAttributes":{"n":{"DataType":"Number","StringValue":"7"},
                                "b":{"DataType":"Binary","BinaryValue":"eHl6"}}}]})");
}

TEST(SnsShapesTest, DecodesSetSubscriptionAttributes) {
  ExpectDecodes("SetSubscriptionAttributes",
                "Action=SetSubscriptionAttributes&Version=2010-03-31"
                "&SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders"
                "%3A6b0e71bd-7e97-4d97-80ce-4a0994e55286"
                "&AttributeName=FilterPolicyScope&AttributeValue=MessageBody",
                R"({"SubscriptionArn":"arn:aws:sns:us-east-1:000000000000:orders:6b0e71bd-7e97-4d97-80ce-4a0994e55286",
                    "AttributeName":"FilterPolicyScope","AttributeValue":"MessageBody"})");
}

TEST(SnsShapesTest, EmptyListsAndWrongScalarsAsBotocoreAndAwsSeeThem) {
  // botocore sends an empty list as "Member=" (UntagResource with no keys); an empty map not at all.
  ExpectDecodes("UntagResource", "Action=UntagResource&Version=2010-03-31&ResourceArn=arn&TagKeys=",
                R"({"ResourceArn":"arn","TagKeys":[]})");
  ExpectDecodes("GetSMSSandboxAccountStatus", "Action=GetSMSSandboxAccountStatus&Version=2010-03-31", "{}");
  protocol::FormParameters form;
  ASSERT_TRUE(protocol::ParseFormInto("TopicArn=t&Protocol=sqs&ReturnSubscriptionArn=yes", form).ok());
  auto input = protocol::FormToJson(form, SnsShapes("Subscribe")->input);
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().code, "InvalidParameterValue");
  form.clear();
  ASSERT_TRUE(protocol::ParseFormInto("MaxResults=ten", form).ok());
  EXPECT_FALSE(protocol::FormToJson(form, SnsShapes("ListOriginationNumbers")->input).ok());
}

std::string Render(const std::string& operation, const std::string& output_json) {
  const protocol::OperationShapes* shapes = SnsShapes(operation);
  return protocol::RenderQueryResult(operation, ParseJsonText(output_json).as_object(), shapes->output,
                                     protocol::QueryStyle{kXmlns}, "rid-1")
      .body;
}

std::string Envelope(const std::string& operation, const std::string& result) {
  return "<?xml version=\"1.0\"?><" + operation + "Response xmlns=\"" + kXmlns + "\">" + result +
         "<ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata></" + operation + "Response>";
}

// The expected XML is AWS's documented response (docs.aws.amazon.com/sns/latest/api/API_<Op>.html,
// "Example Response"), without its whitespace; test_sns_shapes_botocore.py parses such output
// with botocore's parser.
TEST(SnsShapesTest, RendersListTopicsWithNextToken) {
  EXPECT_EQ(Render("ListTopics", R"({"Topics":[{"TopicArn":"arn:aws:sns:us-east-2:123456789012:My-Topic"},
                                                {"TopicArn":"arn:aws:sns:us-east-2:123456789012:Other"}],
                                     "NextToken":"t&2"})"),
            Envelope("ListTopics",
                     "<ListTopicsResult><Topics><member><TopicArn>arn:aws:sns:us-east-2:123456789012:My-Topic"
                     "</TopicArn></member><member><TopicArn>arn:aws:sns:us-east-2:123456789012:Other</TopicArn>"
                     "</member></Topics><NextToken>t&amp;2</NextToken></ListTopicsResult>"));
}

TEST(SnsShapesTest, RendersGetTopicAttributesAsEntryKeyValue) {
  EXPECT_EQ(Render("GetTopicAttributes", R"({"Attributes":{"Owner":"123456789012",
                                             "Policy":"{\"Version\":\"2008-10-17\"}",
                                             "DisplayName":"a<b"}})"),
            Envelope("GetTopicAttributes",
                     "<GetTopicAttributesResult><Attributes>"
                     "<entry><key>Owner</key><value>123456789012</value></entry>"
                     "<entry><key>Policy</key><value>{&quot;Version&quot;:&quot;2008-10-17&quot;}</value></entry>"
                     "<entry><key>DisplayName</key><value>a&lt;b</value></entry>"
                     "</Attributes></GetTopicAttributesResult>"));
}

TEST(SnsShapesTest, RendersPublishBatchSuccessfulAndFailed) {
  EXPECT_EQ(Render("PublishBatch", R"({"Successful":[{"Id":"e1","MessageId":"m-1",
                                                        "SequenceNumber":"10000000000000000001"}],
                                       "Failed":[{"Id":"e2","Code":"InvalidParameter",
                                                  "Message":"Invalid parameter: Message","SenderFault":true}]})"),
            Envelope("PublishBatch",
                     "<PublishBatchResult><Successful><member><Id>e1</Id><MessageId>m-1</MessageId>"
                     "<SequenceNumber>10000000000000000001</SequenceNumber></member></Successful>"
                     "<Failed><member><Id>e2</Id><Code>InvalidParameter</Code>"
                     "<Message>Invalid parameter: Message</Message><SenderFault>true</SenderFault></member></Failed>"
                     "</PublishBatchResult>"));
}

TEST(SnsShapesTest, RendersListTagsForResource) {
  EXPECT_EQ(Render("ListTagsForResource", R"({"Tags":[{"Key":"team","Value":"payments"},{"Key":"env","Value":""}]})"),
            Envelope("ListTagsForResource",
                     "<ListTagsForResourceResult><Tags><member><Key>team</Key><Value>payments</Value></member>"
                     "<member><Key>env</Key><Value></Value></member></Tags></ListTagsForResourceResult>"));
}

TEST(SnsShapesTest, ResultElementOnlyWhereTheModelHasAnOutput) {
  EXPECT_EQ(Render("DeleteTopic", "{}"), Envelope("DeleteTopic", ""));
  EXPECT_EQ(Render("TagResource", "{}"), Envelope("TagResource", "<TagResourceResult></TagResourceResult>"));
  EXPECT_EQ(Render("CheckIfPhoneNumberIsOptedOut", R"({"isOptedOut":false})"),
            Envelope("CheckIfPhoneNumberIsOptedOut",
                     "<CheckIfPhoneNumberIsOptedOutResult><isOptedOut>false</isOptedOut>"
                     "</CheckIfPhoneNumberIsOptedOutResult>"));
}

// Answers a file of cases written by test_sns_shapes_botocore.py, one JSON object a line:
// {"kind":"decode","operation":…,"body":…} -> {"ok":true,"input":{…}} or {"ok":false,"code":…};
// {"kind":"encode","operation":…,"output":{…}} -> {"ok":true,"xml":…}. Skipped when run alone.
// Registered only when the pytest names its files, so ctest never lists it as skipped.
class SnsShapesAgainstBotocore : public ::testing::TestWithParam<int> {};
std::vector<int> WhenDrivenByThePytest() {
  if (std::getenv("MALLARD_SNS_SHAPES_CASES") == nullptr || std::getenv("MALLARD_SNS_SHAPES_RESULTS") == nullptr) return {};
  return {0};
}
INSTANTIATE_TEST_SUITE_P(Driven, SnsShapesAgainstBotocore, ::testing::ValuesIn(WhenDrivenByThePytest()));
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SnsShapesAgainstBotocore);

TEST_P(SnsShapesAgainstBotocore, AnswersCasesFile) {
  const char* cases_path = std::getenv("MALLARD_SNS_SHAPES_CASES");
  const char* results_path = std::getenv("MALLARD_SNS_SHAPES_RESULTS");
  std::ifstream cases(cases_path, std::ios::binary);
  ASSERT_TRUE(cases) << cases_path;
  std::ofstream results(results_path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(results) << results_path;
  std::string line;
  while (std::getline(cases, line)) {
    if (line.empty()) continue;
    const json::object request = ParseJsonText(line).as_object();
    const std::string operation(request.at("operation").as_string());
    const protocol::OperationShapes* shapes = SnsShapes(operation);
    json::object answer;
    if (shapes == nullptr) {
      answer = {{"ok", false}, {"code", "UnknownOperation"}};
    } else if (request.at("kind").as_string() == "decode") {
      protocol::FormParameters form;
      auto parsed = protocol::ParseFormInto(std::string(request.at("body").as_string()), form);
      auto input = protocol::FormToJson(form, shapes->input);
      if (!parsed.ok()) {
        answer = {{"ok", false}, {"code", parsed.error().code}, {"message", parsed.error().message}};
      } else if (input.ok()) {
        answer = {{"ok", true}, {"input", *input}};
      } else {
        answer = {{"ok", false}, {"code", input.error().code}, {"message", input.error().message}};
      }
    } else {
      auto response = protocol::RenderQueryResult(operation, request.at("output").as_object(), shapes->output,
                                                  protocol::QueryStyle{kXmlns}, "rid-1");
      answer = {{"ok", true}, {"xml", response.body}};
    }
    results << json::serialize(answer) << "\n";
  }
  EXPECT_TRUE(results.good());
}

}  // namespace
}  // namespace mallard::sns
