// SNS's input readers: a Publish / PublishBatch / Subscribe form decoded with SNS's generated
// shapes, then the message attribute checks; delivery policies (topic and subscription); ARNs and
// phone numbers.
// Properties beyond "no crash": accepted message attribute names follow AWS's rule (letters, digits,
// '_', '-', '.'; no leading, trailing or doubled dot; under 256 bytes) and their types one of
// String/Number/Binary (with an optional ".suffix"); an accepted delivery policy waits between 0 and
// maxDelayTarget before each retry and at most 3,600 s in all; a parsed ARN has its six parts; a
// phone number accepted for Publish is E.164.
//
// Input layout: byte 0 selects the mode (mod 4), the rest is the input.
#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "fuzz/targets/strict_checks.hpp"
#include "protocol/aws_query.hpp"
#include "services/sns/model/delivery_policy.hpp"
#include "services/sns/model/message_attributes.hpp"
#include "services/sns/model/phone_numbers.hpp"
#include "services/sns/model/sns_records.hpp"
#include "services/sns/model/sns_shapes.hpp"

namespace json = boost::json;
using namespace mallard;

namespace {

bool NameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

void CheckAttributes(const sns::MessageAttributes& attributes, std::string_view input) {
  for (const auto& [name, attribute] : attributes) {
    bool ok = !name.empty() && name.size() <= 256 && name.front() != '.' && name.back() != '.' &&
              name.find("..") == std::string::npos;
    for (char c : name) ok = ok && NameCharacter(c);
    if (!ok) fuzz::FailCheck("ReadMessageAttributes accepted the name '" + name + "'", input);
    const std::string& type = attribute.data_type;
    bool known = false;
    for (std::string base : {"String", "Number", "Binary"}) {
      known = known || type == base || (type.size() > base.size() + 1 && type.compare(0, base.size(), base) == 0 &&
                                        type[base.size()] == '.');
    }
    if (!known) fuzz::FailCheck("ReadMessageAttributes accepted the type '" + type + "'", input);
    if (attribute.Value().empty()) fuzz::FailCheck("ReadMessageAttributes accepted an empty value", input);
  }
  (void)sns::MessageAttributesSize(attributes);
  (void)sns::EnvelopeAttributes(attributes);
  (void)sns::SqsMessageAttributes(attributes);
}

void DecodeForm(std::string_view form, std::string_view input) {
  protocol::FormParameters params;
  if (!protocol::ParseFormInto(form, params)) return;
  for (const char* operation : {"Publish", "PublishBatch", "Subscribe", "CreateTopic"}) {
    auto decoded = protocol::FormToJson(params, sns::SnsShapes(operation)->input);
    if (!decoded) continue;
    const json::object& request = decoded.value();
    if (auto read = sns::ReadMessageAttributes(request.if_contains("MessageAttributes"))) CheckAttributes(*read, input);
    if (const json::value* entries = request.if_contains("PublishBatchRequestEntries"); entries && entries->is_array()) {
      std::size_t position = 0;
      for (const auto& entry : entries->get_array()) {
        ++position;
        if (!entry.is_object()) continue;
        if (auto read = sns::ReadMessageAttributes(entry.get_object().if_contains("MessageAttributes"), position)) {
          CheckAttributes(*read, input);
        }
      }
    }
  }
}

void CheckPolicy(const std::optional<sns::HttpDeliveryPolicy>& policy, std::string_view input) {
  if (!policy) return;
  const sns::RetryPolicy& retry = policy->retry;
  long total = 0;
  for (int attempt = 1; attempt <= retry.num_retries; ++attempt) {
    auto delay = retry.DelayBeforeRetry(attempt);
    if (!delay || *delay < 0 || *delay > retry.max_delay_seconds) {
      fuzz::FailCheck("a retry waits outside [0, maxDelayTarget]", input);
    }
    total += *delay;
  }
  if (total > 3600) fuzz::FailCheck("an accepted policy retries for more than 3,600 s", input);
  if (retry.DelayBeforeRetry(retry.num_retries + 1)) fuzz::FailCheck("a retry past numRetries", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string text(input);
  switch (data[0] % 4) {
    case 0:
      DecodeForm(input, input);
      break;
    case 1: {
      if (auto topic = sns::ParseTopicDeliveryPolicy(text)) CheckPolicy(*topic, input);
      if (auto subscription = sns::ParseSubscriptionDeliveryPolicy(text)) CheckPolicy(*subscription, input);
      (void)sns::EffectiveDeliveryPolicy(text, text);
      break;
    }
    case 2: {
      if (auto arn = sns::ParseArn(text, "TopicArn")) {
        if (arn->Text() != text) fuzz::FailCheck("ParseArn does not give the text back", input);
      }
      (void)sns::TopicFromDocument(text);
      (void)sns::SubscriptionFromDocument(text);
      (void)sns::TokenFromDocument(text);
      break;
    }
    default: {
      if (sns::ValidE164(text)) {
        bool digits = text.size() >= 2;
        for (std::size_t i = text[0] == '+' ? 1 : 0; i < text.size(); ++i) digits = digits && text[i] >= '0' && text[i] <= '9';
        if (!digits) fuzz::FailCheck("ValidE164 accepted a non-number", input);
      }
      (void)sns::ValidSmsEndpoint(text);
      (void)sns::NormalizedPhoneNumber(text);
      break;
    }
  }
  return 0;
}
