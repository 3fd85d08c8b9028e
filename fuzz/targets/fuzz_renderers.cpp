// Renderer round trip: whatever bytes a client manages to get into an error's code or message (or
// into a value a result echoes), the response must be well-formed in its protocol — strict JSON in
// valid UTF-8 for awsJson and awsQuery-as-JSON, well-formed XML 1.0 for awsQuery.
//
// Input layout: byte 0 = length of the `code` part (mod input size), then code, then message.
#include <boost/json.hpp>

#include "fuzz/targets/strict_checks.hpp"
#include "protocol/aws_json.hpp"
#include "protocol/aws_query.hpp"
#include "services/sqs/model/sqs_shapes.hpp"

namespace json = boost::json;
using namespace mallard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t code_size = rest.empty() ? 0 : data[0] % (rest.size() + 1);
  std::string code(rest.substr(0, code_size));
  std::string message(rest.substr(code_size));

  // The message is where client input really ends up (InvalidAction echoes the Action, validation
  // messages echo names and values); the code stays a fixed model name.
  AwsError echoed = AwsError::Make("InvalidParameterValue", 400, message);
  protocol::JsonErrorStyle sqs_json{false, "com.amazonaws.sqs#", true};
  protocol::JsonErrorStyle ddb_json{false, "com.amazonaws.dynamodb.v20120810#", false};
  fuzz::CheckStrictJson(protocol::RenderJsonError(echoed, sqs_json, "req-1").body, "RenderJsonError(sqs)");
  fuzz::CheckStrictJson(protocol::RenderJsonError(echoed, ddb_json, "req-1").body, "RenderJsonError(dynamodb)");
  protocol::QueryStyle sqs_query{"http://queue.amazonaws.com/doc/2012-11-05/"};
  fuzz::CheckWellFormedXml(protocol::RenderQueryError(echoed, sqs_query, "req-1").body, "RenderQueryError");
  fuzz::CheckStrictJson(protocol::RenderQueryErrorAsJson(echoed, "req-1").body, "RenderQueryErrorAsJson");

  // A query code taken from input (e.g. an awsQuery service that echoes an unknown parameter).
  AwsError coded = echoed;
  coded.query_code = code;
  fuzz::CheckWellFormedXml(protocol::RenderQueryError(coded, sqs_query, "req-1").body, "RenderQueryError(code)");
  fuzz::CheckStrictJson(protocol::RenderQueryErrorAsJson(coded, "req-1").body, "RenderQueryErrorAsJson(code)");

  // Results that echo stored client strings: ListQueueTags (tag key and value) and ReceiveMessage
  // (body, attribute name and value). Only text that input validation admits (XML 1.0 characters,
  // as SQS documents) can be stored, so only such text is rendered here; the escaping must hold.
  if (!fuzz::IsXmlText(code) || !fuzz::IsXmlText(message)) return 0;
  const auto* tags = sqs::SqsOperationShapes("ListQueueTags");
  json::object tag_output{{"Tags", json::object{{code, message}}}};
  fuzz::CheckWellFormedXml(protocol::RenderQueryResult("ListQueueTags", tag_output, tags->output, sqs_query, "req-1").body,
                           "RenderQueryResult(ListQueueTags)");
  const auto* receive = sqs::SqsOperationShapes("ReceiveMessage");
  json::object message_output{
      {"Messages", json::array{json::object{{"MessageId", "m-1"},
                                            {"Body", message},
                                            {"Attributes", json::object{{"SenderId", code}}},
                                            {"MessageAttributes",
                                             json::object{{code, json::object{{"DataType", "String"},
                                                                              {"StringValue", message}}}}}}}}};
  fuzz::CheckWellFormedXml(
      protocol::RenderQueryResult("ReceiveMessage", message_output, receive->output, sqs_query, "req-1").body,
      "RenderQueryResult(ReceiveMessage)");
  fuzz::CheckStrictJson(protocol::RenderJsonResult(message_output, false, "req-1").body, "RenderJsonResult");
  return 0;
}
