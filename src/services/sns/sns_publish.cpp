// Publish and PublishBatch: the message checked in AWS's order, FIFO deduplication and sequence
// numbers, then the fan-out to the topic's subscribers (sns_delivery.cpp). A publish answers once
// every SQS subscriber has the message (in-process, so a receive right after sees it, and a FIFO
// publisher's order is each queue's order); HTTP deliveries continue on SNS's own pool.
#include <boost/json.hpp>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "common/ids.hpp"
#include "services/sns/model/phone_numbers.hpp"
#include "services/sns/model/sns_errors.hpp"
#include "services/sns/sns_delivery.hpp"
#include "services/sns/sns_input.hpp"
#include "services/sns/sns_service.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

constexpr std::size_t kDefaultMaximumMessageSize = 262144;  // 256 KiB unless the topic says more
constexpr std::size_t kLargestMaximumMessageSize = 1048576;
constexpr std::size_t kBatchEntries = 10;
constexpr std::int64_t kDeduplicationWindowMillis = 5 * 60 * 1000;

// A subject: ASCII, starting with a letter, digit or punctuation, no line breaks or control
// characters, at most 100 characters.
bool ValidSubject(const std::string& subject) {
  if (subject.empty() || subject.size() > 100) return false;
  unsigned char first = static_cast<unsigned char>(subject[0]);
  if (!(first > 0x20 && first < 0x7F)) return false;
  return std::all_of(subject.begin(), subject.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7F;
  });
}

bool ValidGroupOrDeduplicationId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F;
  });
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  char buffer[3];
  for (unsigned char byte : digest) {
    std::snprintf(buffer, sizeof buffer, "%02x", byte);
    hex += buffer;
  }
  return hex;
}

// AWS's FIFO sequence numbers are 20-digit decimal strings that only grow.
std::string FormatSequence(std::uint64_t number) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%020llu", static_cast<unsigned long long>(number));
  return buffer;
}

// Reads MessageStructure=json: one string per protocol, "default" required (unless the target is
// a platform endpoint, which reads its platform's key). Non-string members are ignored, as in AWS.
Status<> ReadStructure(const std::string& structure, OutgoingMessage& message, bool endpoint_target) {
  if (structure.empty()) return Done{};
  if (structure != "json") return Fail(errors::InvalidParameter("Invalid parameter: MessageStructure"));
  auto parsed = ParseJson(message.message);
  if (!parsed || !parsed->is_object()) {
    return Fail(errors::InvalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse"));
  }
  for (const auto& [key, value] : parsed->get_object()) {
    if (value.is_string()) message.per_protocol[std::string(key)] = std::string(value.get_string());
  }
  if (message.per_protocol.count("default") == 0 && !endpoint_target) {
    return Fail(errors::InvalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body"));
  }
  message.json_structure = true;
  return Done{};
}

}  // namespace

void SnsService::Publish(Request request, protocol::OperationCallback done) {
  const Json& in = request.input;
  OutgoingMessage message;
  auto subject = input::Text(in, "Subject");
  if (subject && !ValidSubject(*subject)) return done(Fail(errors::InvalidParameter("Invalid parameter: Subject")));
  message.subject = subject.value_or("");
  message.message = input::TextOr(in, "Message");
  if (message.message.empty()) return done(Fail(errors::InvalidParameter("Invalid parameter: Empty message")));
  auto phone = input::Text(in, "PhoneNumber");
  if (phone && !ValidE164(*phone)) {
    return done(Fail(errors::InvalidParameter("Invalid parameter: PhoneNumber Reason: " + *phone + " is not valid to publish to")));
  }
  auto attributes = ReadMessageAttributes(in.if_contains("MessageAttributes"));
  if (!attributes) return done(Fail(attributes.error()));
  message.attributes = std::move(attributes).value();
  std::size_t size = message.message.size() + MessageAttributesSize(message.attributes);
  if (size > kLargestMaximumMessageSize) return done(Fail(errors::InvalidParameter("Invalid parameter: Message too long")));

  std::string topic_arn = input::TextOr(in, "TopicArn");
  std::string target_arn = input::TextOr(in, "TargetArn");
  int targets = !topic_arn.empty() + !target_arn.empty() + (phone.has_value() && !phone->empty());
  if (targets == 0) {
    return done(Fail(errors::InvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")));
  }
  if (targets > 1) {
    return done(Fail(errors::InvalidParameter(
        "Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be set")));
  }
  const std::string& arn = topic_arn.empty() ? target_arn : topic_arn;
  const char* arn_member = topic_arn.empty() ? "TargetArn" : "TopicArn";
  message.group_id = input::TextOr(in, "MessageGroupId");
  message.deduplication_id = input::TextOr(in, "MessageDeduplicationId");
  bool fifo = EndsWith(arn, ".fifo");
  if (fifo && message.group_id.empty()) {
    return done(Fail(errors::InvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")));
  }
  if (!fifo && !message.deduplication_id.empty()) {
    return done(Fail(errors::InvalidParameter(
        "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is "
        "not valid for this topic type")));
  }
  if (!message.group_id.empty() && !ValidGroupOrDeduplicationId(message.group_id)) {
    return done(Fail(errors::InvalidParameter("Invalid parameter: MessageGroupId Reason: must be 1 to 128 alphanumeric or punctuation characters")));
  }
  if (!message.deduplication_id.empty() && !ValidGroupOrDeduplicationId(message.deduplication_id)) {
    return done(Fail(errors::InvalidParameter("Invalid parameter: MessageDeduplicationId Reason: must be 1 to 128 alphanumeric or punctuation characters")));
  }
  bool endpoint_target = !target_arn.empty() && target_arn.find(":endpoint/") != std::string::npos;
  if (auto structured = ReadStructure(input::TextOr(in, "MessageStructure"), message, endpoint_target); !structured) {
    return done(Fail(structured.error()));
  }
  message.message_id = NewUuid();
  message.timestamp = SnsTimestamp(WallClockMillis());

  if (phone && !phone->empty()) {
    if (size > kDefaultMaximumMessageSize) return done(Fail(errors::InvalidParameter("Invalid parameter: Message too long")));
    auto sent = PublishToPhone(request, *phone, message.TextFor("sms"), message.attributes, "", "");
    if (!sent) return done(Fail(sent.error()));
    return done(Json{{"MessageId", *sent}});
  }
  if (endpoint_target) {
    if (size > kDefaultMaximumMessageSize) return done(Fail(errors::InvalidParameter("Invalid parameter: Message too long")));
    auto sent = PublishToEndpoint(request, target_arn, message.message, message.json_structure ? "json" : "", message.attributes);
    if (!sent) return done(Fail(sent.error()));
    return done(Json{{"MessageId", *sent}});
  }
  auto loaded = TopicForAction(request, arn_member, "Publish");
  if (!loaded) return done(Fail(loaded.error()));
  TopicRecord topic = std::move(loaded->first);
  std::size_t limit = std::stoull(topic.Attribute("MaximumMessageSize", std::to_string(kDefaultMaximumMessageSize)));
  if (size > limit) return done(Fail(errors::InvalidParameter("Invalid parameter: Message too long")));
  if (topic.Fifo()) {
    if (message.deduplication_id.empty()) {
      if (!topic.ContentBasedDeduplication()) {
        return done(Fail(errors::InvalidParameter(
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
            "provided explicitly")));
      }
      message.deduplication_id = Sha256Hex(message.message);
    }
    // FifoThroughputScope MessageGroup deduplicates per group; Topic (the default) across the topic.
    std::string scope = topic.arn;
    if (topic.Attribute("FifoThroughputScope") == "MessageGroup") scope += "\n" + message.group_id;
    auto earlier = store_->RememberDeduplication(scope, message.deduplication_id, message.message_id, Now(),
                                                 kDeduplicationWindowMillis);
    if (!earlier) return done(Fail(errors::FromStore(earlier.error())));
    auto sequence = store_->NextSequenceNumber(topic.arn);
    if (!sequence) return done(Fail(errors::FromStore(sequence.error())));
    message.sequence_number = FormatSequence(*sequence);
    // A duplicate is accepted and answered with the first message's id, and delivered to no one.
    if (*earlier) return done(Json{{"MessageId", **earlier}, {"SequenceNumber", message.sequence_number}});
  }
  auto subscriptions = SubscriptionsOf(topic.arn);
  if (!subscriptions) return done(Fail(subscriptions.error()));
  Json output{{"MessageId", message.message_id}};
  if (topic.Fifo()) output["SequenceNumber"] = message.sequence_number;
  auto fanout = std::make_shared<FanoutJob>();
  fanout->topic = std::move(topic);
  fanout->subscriptions = std::move(subscriptions).value();
  fanout->messages.push_back(std::move(message));
  fanout->caller = request.context;
  DeliverToSubscribers(std::move(fanout), [done = std::move(done), output = std::move(output)]() mutable { done(std::move(output)); });
}

void SnsService::PublishBatch(Request request, protocol::OperationCallback done) {
  const Json& in = request.input;
  const json::array* entries = input::List(in, "PublishBatchRequestEntries");
  if (entries == nullptr || entries->empty()) return done(Fail(errors::EmptyBatchRequest()));
  if (entries->size() > kBatchEntries) return done(Fail(errors::TooManyEntriesInBatchRequest()));
  auto loaded = TopicForAction(request, "TopicArn", "Publish");
  if (!loaded) return done(Fail(loaded.error()));
  TopicRecord topic = std::move(loaded->first);
  std::set<std::string> ids;
  for (const auto& entry : *entries) {
    std::string id = entry.is_object() ? input::TextOr(entry.get_object(), "Id") : std::string();
    if (!ids.insert(id).second) return done(Fail(errors::BatchEntryIdsNotDistinct()));
  }
  for (const auto& id : ids) {
    if (id.size() > 80) {
      return done(Fail(errors::InvalidBatchEntryId("The Id of a batch entry in the batch request is too long: " + id)));
    }
    bool valid = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (!valid) {
      return done(Fail(errors::InvalidBatchEntryId(
          "The Id of a batch entry in the batch request contains an impermissible character: " + id)));
    }
  }
  std::vector<OutgoingMessage> messages;
  std::vector<std::string> entry_ids;
  std::size_t total = 0;
  std::size_t position = 0;
  for (const auto& value : *entries) {
    ++position;
    const Json& entry = value.get_object();
    OutgoingMessage message;
    message.message = input::TextOr(entry, "Message");
    if (message.message.empty()) return done(Fail(errors::InvalidParameter("Invalid parameter: Empty message")));
    auto subject = input::Text(entry, "Subject");
    if (subject && !ValidSubject(*subject)) return done(Fail(errors::InvalidParameter("Invalid parameter: Subject")));
    message.subject = subject.value_or("");
    auto attributes = ReadMessageAttributes(entry.if_contains("MessageAttributes"), position);
    if (!attributes) return done(Fail(attributes.error()));
    message.attributes = std::move(attributes).value();
    total += message.message.size() + MessageAttributesSize(message.attributes);
    if (auto structured = ReadStructure(input::TextOr(entry, "MessageStructure"), message, false); !structured) {
      return done(Fail(structured.error()));
    }
    message.group_id = input::TextOr(entry, "MessageGroupId");
    message.deduplication_id = input::TextOr(entry, "MessageDeduplicationId");
    if (topic.Fifo()) {
      if (message.group_id.empty()) {
        return done(Fail(errors::InvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")));
      }
      if (message.deduplication_id.empty() && !topic.ContentBasedDeduplication()) {
        return done(Fail(errors::InvalidParameter(
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
            "provided explicitly")));
      }
    } else if (!message.deduplication_id.empty()) {
      return done(Fail(errors::InvalidParameter(
          "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that "
          "is not valid for this topic type")));
    }
    message.message_id = NewUuid();
    message.timestamp = SnsTimestamp(WallClockMillis());
    messages.push_back(std::move(message));
    entry_ids.push_back(input::TextOr(entry, "Id"));
  }
  std::size_t limit = std::stoull(topic.Attribute("MaximumMessageSize", std::to_string(kDefaultMaximumMessageSize)));
  if (total > limit) return done(Fail(errors::BatchRequestTooLong()));

  json::array successful;
  json::array failed;
  std::vector<OutgoingMessage> deliver;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto& message = messages[i];
    Json success{{"Id", entry_ids[i]}, {"MessageId", message.message_id}};
    if (topic.Fifo()) {
      if (message.deduplication_id.empty()) message.deduplication_id = Sha256Hex(message.message);
      std::string scope = topic.arn;
      if (topic.Attribute("FifoThroughputScope") == "MessageGroup") scope += "\n" + message.group_id;
      auto earlier = store_->RememberDeduplication(scope, message.deduplication_id, message.message_id, Now(),
                                                   kDeduplicationWindowMillis);
      auto sequence = earlier ? store_->NextSequenceNumber(topic.arn) : StoreResult<std::uint64_t>(Fail(earlier.error()));
      if (!earlier || !sequence) {
        const auto& error = !earlier ? earlier.error() : sequence.error();
        failed.push_back(Json{{"Id", entry_ids[i]}, {"Code", "InternalError"}, {"Message", error.detail}, {"SenderFault", false}});
        continue;
      }
      message.sequence_number = FormatSequence(*sequence);
      success["SequenceNumber"] = message.sequence_number;
      if (*earlier) {
        success["MessageId"] = **earlier;
        successful.push_back(std::move(success));
        continue;
      }
    }
    successful.push_back(std::move(success));
    deliver.push_back(std::move(message));
  }
  auto subscriptions = SubscriptionsOf(topic.arn);
  if (!subscriptions) return done(Fail(subscriptions.error()));
  Json output{{"Successful", std::move(successful)}, {"Failed", std::move(failed)}};
  auto fanout = std::make_shared<FanoutJob>();
  fanout->topic = std::move(topic);
  fanout->subscriptions = std::move(subscriptions).value();
  fanout->messages = std::move(deliver);
  fanout->caller = request.context;
  DeliverToSubscribers(std::move(fanout), [done = std::move(done), output = std::move(output)]() mutable { done(std::move(output)); });
}

}  // namespace mallard::sns
