// SQS input rules and message digests: message attributes (both protocols' shapes), message body
// character rules, queue attributes, names and batch ids, and the MD5 of attributes.
// Property checked beyond "no crash": whatever the validators accept must be text SQS documents
// as valid (XML 1.0 characters in strict UTF-8), since it is stored and echoed in every later
// ReceiveMessage.
//
// Input layout: byte 0 selects the mode (mod 4), the rest is the input.
#include <boost/json.hpp>

#include "fuzz/targets/strict_checks.hpp"
#include "protocol/aws_json.hpp"
#include "protocol/aws_query.hpp"
#include "services/sqs/model/sqs_attributes.hpp"
#include "services/sqs/model/sqs_input.hpp"
#include "services/sqs/model/sqs_message_md5.hpp"
#include "services/sqs/model/sqs_shapes.hpp"
#include "services/sqs/model/sqs_validation.hpp"

namespace json = boost::json;
using namespace mallard;

namespace {

void CheckAccepted(const sqs::MessageAttributes& attributes, std::string_view input) {
  for (const auto& [name, value] : attributes) {
    if (!value.string_value.empty() && !fuzz::IsXmlText(value.string_value))
      fuzz::FailCheck("ParseMessageAttributes accepted a StringValue outside SQS's character set", input);
    if (!fuzz::IsXmlText(name)) fuzz::FailCheck("accepted an attribute name that is not XML text", input);
    if (!fuzz::IsXmlText(value.data_type)) fuzz::FailCheck("accepted a DataType that is not XML text", input);
  }
  std::string digest = sqs::Md5OfMessageAttributes(attributes);
  if (attributes.empty() != digest.empty() || (!digest.empty() && digest.size() != 32))
    fuzz::FailCheck("Md5OfMessageAttributes returned " + digest, input);
  (void)sqs::MessagePayloadBytes("body", attributes);
}

// The message attribute path of SendMessage as the service sees it after either protocol decoded
// the request.
void CheckSendInput(const json::object& request, std::string_view input) {
  // The typed readers every SQS operation uses on its input (integers arrive as any JSON number).
  for (const char* field : {"DelaySeconds", "MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds"})
    (void)sqs::input::OptionalInt(request, field);
  (void)sqs::input::OptionalString(request, "QueueUrl");
  (void)sqs::input::StringList(request, "AttributeNames");
  if (const auto* body = request.if_contains("MessageBody"); body && body->is_string()) {
    std::string text(body->get_string());
    if (sqs::IsValidMessageText(text) && !fuzz::IsXmlText(text))
      fuzz::FailCheck("IsValidMessageText accepted a body outside SQS's character set", input);
  }
  for (const char* field : {"MessageAttributes", "MessageSystemAttributes"}) {
    const json::value* value = request.if_contains(field);
    auto parsed = sqs::ParseMessageAttributes(value ? *value : json::value(), field[7] == 'S');
    if (parsed.ok()) CheckAccepted(*parsed, input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {  // awsJson SendMessage body
      auto request = protocol::DecodeJsonBody(text);
      if (request.ok()) CheckSendInput(*request, text);
      break;
    }
    case 1: {  // awsQuery SendMessage form (bytes the JSON parser would never let through)
      protocol::FormParameters params;
      if (!protocol::ParseFormInto(text, params).ok()) break;
      auto request = protocol::FormToJson(params, sqs::SqsOperationShapes("SendMessage")->input);
      if (request.ok()) CheckSendInput(*request, text);
      break;
    }
    case 2: {  // queue attributes (CreateQueue / SetQueueAttributes) as awsJson
      auto request = protocol::DecodeJsonBody(text);
      if (!request.ok()) break;
      const json::value* attributes = request->if_contains("Attributes");
      if (attributes == nullptr || !attributes->is_object()) break;
      bool fifo = request->contains("fifo");
      for (bool creating : {true, false}) {
        auto valid = sqs::ValidateQueueAttributes(attributes->get_object(), fifo, creating);
        if (!valid.ok()) continue;
        (void)sqs::ParseRedrivePolicy(*valid);
        (void)sqs::AttributeInt(*valid, "VisibilityTimeout", 30);
      }
      break;
    }
    default: {  // names, ids, ARNs, raw body text
      std::string raw(text);
      (void)sqs::ValidateQueueName(raw, raw.ends_with(".fifo"));
      (void)sqs::IsValidBatchEntryId(raw);
      (void)sqs::IsKnownQueueAttribute(raw);
      if (auto key = sqs::QueueKeyFromArn(raw)) (void)key->Arn();
      if (sqs::IsValidMessageText(raw) && !fuzz::IsXmlText(raw))
        fuzz::FailCheck("IsValidMessageText accepted text outside SQS's character set", text);
      break;
    }
  }
  return 0;
}
