// SqsService's message operations: send, receive (with long polling), delete, change visibility,
// and their batch forms.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <set>

#include <spdlog/spdlog.h>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "services/sqs/model/sqs_attributes.hpp"
#include "services/sqs/model/sqs_errors.hpp"
#include "services/sqs/model/sqs_input.hpp"
#include "services/sqs/model/sqs_message_md5.hpp"
#include "services/sqs/sqs_service.hpp"
#include "services/sqs/model/sqs_validation.hpp"

namespace mallard::sqs {
namespace json = boost::json;
namespace asio = boost::asio;
using protocol::OperationResult;

namespace {

constexpr std::int64_t kMaxVisibilitySeconds = 43200;

const std::set<std::string>& SystemAttributeNames() {
  static const std::set<std::string> names = {
      "All", "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
      "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn"};
  return names;
}

bool IsValidFifoToken(const std::string& token) {
  if (token.empty() || token.size() > 128) return false;
  for (unsigned char c : token) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

json::object AttributeValueJson(const MessageAttributeValue& value) {
  json::object object;
  object["DataType"] = value.data_type;
  if (value.data_type.rfind("Binary", 0) == 0) {
    object["BinaryValue"] = Base64Encode(value.binary_value);
  } else {
    object["StringValue"] = value.string_value;
  }
  return object;
}

json::object FailureJson(const std::string& id, const AwsError& error) {
  json::object entry;
  entry["Id"] = id;
  entry["SenderFault"] = error.fault == FaultSide::Sender;
  entry["Code"] = error.query_code.empty() ? error.code : error.query_code;
  entry["Message"] = error.message;
  return entry;
}

// Checks shared by all batch operations; failures here fail the whole call.
Result<json::array> BatchEntries(const json::object& input, const std::string& entry_shape) {
  const auto* entries = input.if_contains("Entries");
  if (!entries || entries->is_null()) return Fail(errors::MissingParameter("Entries"));
  if (!entries->is_array()) return Fail(errors::InvalidParameterValue("Entries must be a list."));
  const auto& list = entries->get_array();
  if (list.empty()) return Fail(errors::EmptyBatchRequest(entry_shape));
  if (list.size() > kMaxBatchEntries) return Fail(errors::TooManyEntriesInBatchRequest(list.size()));
  std::set<std::string> ids;
  for (const auto& entry : list) {
    if (!entry.is_object()) return Fail(errors::InvalidParameterValue("Each batch entry must be a structure."));
    const auto* id = entry.get_object().if_contains("Id");
    if (!id || !id->is_string()) return Fail(errors::MissingParameter("Id"));
    std::string id_text(id->get_string());
    if (!IsValidBatchEntryId(id_text)) return Fail(errors::InvalidBatchEntryId());
    if (!ids.insert(id_text).second) return Fail(errors::BatchEntryIdsNotDistinct(id_text));
  }
  return list;
}

// Validates one message (SendMessage or a batch entry) against its queue.
// SQS's SenderId: the IAM user id behind a long-term key, the ROLEID:SESSION of an assumed role.
std::string SenderIdOf(const RequestContext& context) {
  if (context.access_key_id.rfind("ASIA", 0) == 0 && context.caller_identity_user_id != context.account_id) {
    return context.caller_identity_user_id;
  }
  return UserIdForAccessKey(context.access_key_id.empty() ? context.account_id : context.access_key_id);
}

// `in_batch`: SQS words the size error of a batch entry differently ("cannot be validated").
Result<NewMessage> PrepareMessage(const json::object& entry, const QueueRecord& queue, const std::string& sender_id,
                                  bool in_batch) {
  NewMessage message;
  MALLARD_ASSIGN_OR_RETURN(auto body, input::OptionalString(entry, "MessageBody"));
  if (!body || body->empty()) return Fail(errors::MissingParameter("MessageBody"));
  MALLARD_RETURN_IF_ERROR(CheckMessageText(*body, "the message body"));
  message.body = std::move(*body);
  const json::value* attributes = entry.if_contains("MessageAttributes");
  MALLARD_ASSIGN_OR_RETURN(message.attributes, ParseMessageAttributes(attributes ? *attributes : json::value(), false));
  const json::value* system = entry.if_contains("MessageSystemAttributes");
  MALLARD_ASSIGN_OR_RETURN(message.system_attributes, ParseMessageAttributes(system ? *system : json::value(), true));
  auto bytes = MessagePayloadBytes(message.body, message.attributes);
  auto limit = AttributeInt(queue.attributes, "MaximumMessageSize", kMaxMessageBytes);
  if (static_cast<std::int64_t>(bytes) > limit) {
    return Fail(errors::InvalidParameterValue(std::string(in_batch ? "One or more parameters cannot be validated."
                                                                   : "One or more parameters are invalid.") +
                                              " Reason: Message must be shorter than " + std::to_string(limit) +
                                              " bytes."));
  }

  MALLARD_ASSIGN_OR_RETURN(auto delay, input::OptionalInt(entry, "DelaySeconds"));
  MALLARD_ASSIGN_OR_RETURN(auto group, input::OptionalString(entry, "MessageGroupId"));
  MALLARD_ASSIGN_OR_RETURN(auto dedup, input::OptionalString(entry, "MessageDeduplicationId"));
  if (delay && (*delay < 0 || *delay > 900)) {
    return Fail(errors::InvalidParameterValue("Value " + std::to_string(*delay) +
                                              " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."));
  }
  if (queue.fifo) {
    if (delay && *delay != 0) {
      return Fail(errors::InvalidParameterValue("Value " + std::to_string(*delay) +
                                                " for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."));
    }
    if (!group || group->empty()) return Fail(errors::MissingParameter("MessageGroupId"));
    if (!IsValidFifoToken(*group)) {
      return Fail(errors::InvalidParameterValue("Value " + *group + " for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."));
    }
    if (dedup) {  // given, even empty: it must be valid (AWS-recorded: "Value  for parameter …")
      if (!IsValidFifoToken(*dedup)) {
        return Fail(errors::InvalidParameterValue("Value " + *dedup + " for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length."));
      }
      message.deduplication_id = *dedup;
    } else if (queue.attributes.count("ContentBasedDeduplication") &&
               queue.attributes.at("ContentBasedDeduplication") == "true") {
      message.deduplication_id = Sha256Hex(message.body);
    } else {
      return Fail(errors::InvalidParameterValue(
          "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"));
    }
    message.group_id = *group;
    message.delay_seconds = AttributeInt(queue.attributes, "DelaySeconds", 0);
  } else {
    if (dedup) {
      return Fail(errors::InvalidParameterValue("The request include parameter MessageDeduplicationId that is not valid for this queue type"));
    }
    if (group) {
      if (!IsValidFifoToken(*group)) {
        return Fail(errors::InvalidParameterValue("Value " + *group + " for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."));
      }
      message.group_id = *group;  // fair queues: accepted and returned, no ordering implied
    }
    message.delay_seconds = delay ? *delay : AttributeInt(queue.attributes, "DelaySeconds", 0);
  }
  message.md5_of_body = Md5Hex(message.body);
  message.md5_of_attributes = Md5OfMessageAttributes(message.attributes);
  message.md5_of_system_attributes = Md5OfMessageAttributes(message.system_attributes);
  message.sender_id = sender_id;
  return message;
}

// A FIFO batch with an entry lacking its group id, or its deduplication id on a queue without
// content-based deduplication, fails as a whole (not as a Failed entry), as SQS answers it.
Status<> CheckFifoBatchEntries(const json::array& entries, const QueueRecord& queue) {
  auto content_based = queue.attributes.find("ContentBasedDeduplication");
  const bool dedup_required = content_based == queue.attributes.end() || content_based->second != "true";
  auto missing = [](const json::object& entry, const char* name) {
    const auto* value = entry.if_contains(name);
    return !value || value->is_null() || (value->is_string() && value->get_string().empty());
  };
  for (const auto& entry : entries) {
    const auto& fields = entry.get_object();
    if (dedup_required && missing(fields, "MessageDeduplicationId")) {
      return Fail(errors::InvalidParameterValue(
          "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"));
    }
    if (missing(fields, "MessageGroupId")) {
      return Fail(errors::InvalidParameterValue("The request must contain the parameter MessageGroupId."));
    }
  }
  return Done{};
}

// The bytes a batch entry adds to the request's total, counted before any entry is validated (SQS
// refuses an oversized batch as a whole): body plus each attribute's name, type and value.
std::size_t RawEntryBytes(const json::object& entry) {
  std::size_t total = 0;
  if (const auto* body = entry.if_contains("MessageBody"); body && body->is_string()) total += body->get_string().size();
  const auto* attributes = entry.if_contains("MessageAttributes");
  if (!attributes || !attributes->is_object()) return total;
  for (const auto& attribute : attributes->get_object()) {
    total += attribute.key().size();
    if (!attribute.value().is_object()) continue;
    const auto& fields = attribute.value().get_object();
    if (const auto* type = fields.if_contains("DataType"); type && type->is_string()) total += type->get_string().size();
    if (const auto* text = fields.if_contains("StringValue"); text && text->is_string()) total += text->get_string().size();
    if (const auto* binary = fields.if_contains("BinaryValue"); binary && binary->is_string()) {
      auto decoded = Base64Decode(binary->get_string());
      total += decoded ? decoded->size() : binary->get_string().size();
    }
  }
  return total;
}

json::object SendResultJson(const NewMessage& message, const SendResult& result) {
  json::object output;
  output["MD5OfMessageBody"] = message.md5_of_body;
  if (!message.md5_of_attributes.empty()) output["MD5OfMessageAttributes"] = message.md5_of_attributes;
  if (!message.md5_of_system_attributes.empty()) output["MD5OfMessageSystemAttributes"] = message.md5_of_system_attributes;
  output["MessageId"] = result.message_id;
  if (!result.sequence_number.empty()) output["SequenceNumber"] = result.sequence_number;
  return output;
}

}  // namespace

// ---- send ----------------------------------------------------------------------------------

OperationResult SqsService::SendMessage(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto queue, LoadQueue(key));
  MALLARD_ASSIGN_OR_RETURN(auto message, PrepareMessage(request.input, queue, SenderIdOf(request.context), false));
  auto results = store_->SendMessages(key, {message}, Now());
  if (!results) return Fail(ToAwsError(results.error()));
  return SendResultJson(message, results->front());
}

OperationResult SqsService::SendMessageBatch(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto entries, BatchEntries(request.input, "SendMessageBatchRequestEntry"));
  MALLARD_ASSIGN_OR_RETURN(auto queue, LoadQueue(key));
  if (queue.fifo) MALLARD_RETURN_IF_ERROR(CheckFifoBatchEntries(entries, queue));
  std::size_t total_bytes = 0;
  for (const auto& entry : entries) total_bytes += RawEntryBytes(entry.get_object());
  if (total_bytes > kMaxMessageBytes) return Fail(errors::BatchRequestTooLong(total_bytes));
  std::vector<NewMessage> accepted;
  std::vector<std::string> accepted_ids;
  json::array failed;
  auto sender_id = SenderIdOf(request.context);
  for (const auto& entry : entries) {
    const auto& fields = entry.get_object();
    std::string id(fields.at("Id").get_string());
    auto message = PrepareMessage(fields, queue, sender_id, true);
    if (!message) {
      failed.push_back(FailureJson(id, message.error()));
      continue;
    }
    accepted.push_back(std::move(message).value());
    accepted_ids.push_back(std::move(id));
  }
  json::array successful;
  if (!accepted.empty()) {
    auto results = store_->SendMessages(key, accepted, Now());
    if (!results) return Fail(ToAwsError(results.error()));
    for (std::size_t index = 0; index < accepted.size(); ++index) {
      auto entry = SendResultJson(accepted[index], (*results)[index]);
      entry["Id"] = accepted_ids[index];
      successful.push_back(std::move(entry));
    }
  }
  Json output;
  output["Successful"] = std::move(successful);
  output["Failed"] = std::move(failed);
  return output;
}

// ---- delete and visibility -----------------------------------------------------------------

namespace {

// One delete or visibility change; the single operations and each batch entry share the members.
Status<> DeleteByReceipt(SqsStore& store, const QueueKey& key, const json::object& fields, std::int64_t now) {
  MALLARD_ASSIGN_OR_RETURN(auto receipt, input::RequiredString(fields, "ReceiptHandle"));
  auto deleted = store.DeleteMessage(key, receipt, now);
  if (!deleted) return Fail(ToAwsError(deleted.error()));
  return Done{};
}

Status<> ChangeVisibilityByReceipt(SqsStore& store, const QueueKey& key, const json::object& fields,
                                   std::int64_t now) {
  MALLARD_ASSIGN_OR_RETURN(auto receipt, input::RequiredString(fields, "ReceiptHandle"));
  MALLARD_ASSIGN_OR_RETURN(auto timeout, input::OptionalInt(fields, "VisibilityTimeout"));
  if (!timeout) return Fail(errors::MissingParameter("VisibilityTimeout"));
  if (*timeout < 0 || *timeout > kMaxVisibilitySeconds) {
    return Fail(errors::InvalidParameterValue("Value " + std::to_string(*timeout) +
                                              " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided."));
  }
  auto changed = store.ChangeVisibility(key, receipt, *timeout, now);
  if (!changed && changed.error().code == StoreErrc::InvalidReceipt) return Fail(errors::ReceiptHandleIsInvalid(""));
  if (!changed) return Fail(ToAwsError(changed.error()));
  return Done{};
}

// Applies `apply` to each entry and reports each entry's outcome, as SQS batches do.
template <typename Apply>
json::object RunBatch(const json::array& entries, Apply&& apply) {
  json::array successful, failed;
  for (const auto& entry : entries) {
    const auto& fields = entry.get_object();
    std::string id(fields.at("Id").get_string());
    auto status = apply(fields);
    if (!status) {
      failed.push_back(FailureJson(id, status.error()));
    } else {
      successful.push_back(json::object{{"Id", id}});
    }
  }
  return json::object{{"Successful", std::move(successful)}, {"Failed", std::move(failed)}};
}

}  // namespace

OperationResult SqsService::DeleteMessage(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_RETURN_IF_ERROR(DeleteByReceipt(*store_, key, request.input, Now()));
  return Json();
}

OperationResult SqsService::DeleteMessageBatch(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto entries, BatchEntries(request.input, "DeleteMessageBatchRequestEntry"));
  MALLARD_ASSIGN_OR_RETURN(auto queue, LoadQueue(key));
  return RunBatch(entries, [&](const json::object& fields) { return DeleteByReceipt(*store_, key, fields, Now()); });
}

OperationResult SqsService::ChangeMessageVisibility(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_RETURN_IF_ERROR(ChangeVisibilityByReceipt(*store_, key, request.input, Now()));
  return Json();
}

OperationResult SqsService::ChangeMessageVisibilityBatch(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto entries, BatchEntries(request.input, "ChangeMessageVisibilityBatchRequestEntry"));
  MALLARD_ASSIGN_OR_RETURN(auto queue, LoadQueue(key));
  return RunBatch(entries,
                  [&](const json::object& fields) { return ChangeVisibilityByReceipt(*store_, key, fields, Now()); });
}

// ---- receive and long polling --------------------------------------------------------------

struct SqsService::ReceivePlan {
  QueueKey key;
  ReceiveOptions options;
  std::int64_t wait_seconds = 0;
  std::set<std::string> system_attributes;  // names to return; contains "All" for all
  std::vector<std::string> message_attribute_filters;
};

struct SqsService::PendingReceive {
  ReceivePlan plan;
  protocol::OperationCallback done;
  std::unique_ptr<SqsStore::Subscription> subscription;
  std::unique_ptr<asio::steady_timer> timer;
  std::int64_t deadline_millis = 0;
  std::mutex mutex;
  bool finished = false;
  bool retry_running = false;
  bool retry_again = false;
};

Result<SqsService::ReceivePlan> SqsService::PlanReceive(const Request& request) {
  ReceivePlan plan;
  MALLARD_ASSIGN_OR_RETURN(plan.key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto max_messages, input::OptionalInt(request.input, "MaxNumberOfMessages"));
  MALLARD_ASSIGN_OR_RETURN(auto visibility, input::OptionalInt(request.input, "VisibilityTimeout"));
  MALLARD_ASSIGN_OR_RETURN(auto wait, input::OptionalInt(request.input, "WaitTimeSeconds"));
  MALLARD_ASSIGN_OR_RETURN(auto attempt_id, input::OptionalString(request.input, "ReceiveRequestAttemptId"));
  MALLARD_ASSIGN_OR_RETURN(auto names, input::StringList(request.input, "AttributeNames"));
  MALLARD_ASSIGN_OR_RETURN(auto system_names, input::StringList(request.input, "MessageSystemAttributeNames"));
  MALLARD_ASSIGN_OR_RETURN(plan.message_attribute_filters, input::StringList(request.input, "MessageAttributeNames"));
  if (max_messages && (*max_messages < 1 || *max_messages > 10)) {
    return Fail(errors::InvalidParameterValue("Value " + std::to_string(*max_messages) +
                                              " for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."));
  }
  if (visibility && (*visibility < 0 || *visibility > kMaxVisibilitySeconds)) {
    return Fail(errors::InvalidParameterValue("Value " + std::to_string(*visibility) +
                                              " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided."));
  }
  if (wait && (*wait < 0 || *wait > 20)) {
    return Fail(errors::InvalidParameterValue("Value " + std::to_string(*wait) +
                                              " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."));
  }
  for (auto* list : {&names, &system_names}) {
    for (const auto& name : *list) {
      if (SystemAttributeNames().count(name)) {
        plan.system_attributes.insert(name);
      } else if (!IsKnownQueueAttribute(name)) {
        return Fail(errors::InvalidAttributeName(name));
      }
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto queue, LoadQueue(plan.key));
  plan.options.max_messages = static_cast<int>(max_messages.value_or(1));
  plan.options.visibility_timeout_seconds = visibility ? *visibility : AttributeInt(queue.attributes, "VisibilityTimeout", 30);
  plan.options.retention_seconds = AttributeInt(queue.attributes, "MessageRetentionPeriod", 345600);
  plan.options.request_attempt_id = queue.fifo ? attempt_id.value_or("") : "";
  plan.wait_seconds = wait ? *wait : AttributeInt(queue.attributes, "ReceiveMessageWaitTimeSeconds", 0);
  if (auto redrive = ParseRedrivePolicy(queue.attributes)) {
    plan.options.dead_letter_queue = QueueKeyFromArn(redrive->dead_letter_target_arn);
    plan.options.max_receive_count = redrive->max_receive_count;
  }
  return plan;
}

namespace {

bool WantsMessageAttribute(const std::vector<std::string>& filters, const std::string& name) {
  for (const auto& filter : filters) {
    if (filter == "All" || filter == ".*" || filter == name) return true;
    // "bar.*" is a prefix pattern: every name that starts with "bar".
    if (filter.size() > 2 && filter.compare(filter.size() - 2, 2, ".*") == 0 &&
        name.compare(0, filter.size() - 2, filter, 0, filter.size() - 2) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

json::object ReceivedMessageJson(const ReceivedMessage& received, const std::set<std::string>& system_names,
                                 const std::vector<std::string>& attribute_filters) {
  const auto& stored = received.message;
  const auto& content = stored.content;
  json::object message;
  message["MessageId"] = stored.message_id;
  message["ReceiptHandle"] = received.receipt_handle;
  message["MD5OfBody"] = content.md5_of_body;
  message["Body"] = content.body;
  bool all = system_names.count("All") > 0;
  json::object attributes;
  auto add = [&](const char* name, const std::string& value) {
    if ((all || system_names.count(name)) && !value.empty()) attributes[name] = value;
  };
  add("SenderId", content.sender_id);
  add("SentTimestamp", std::to_string(stored.sent_millis));
  add("ApproximateReceiveCount", std::to_string(stored.receive_count));
  add("ApproximateFirstReceiveTimestamp", std::to_string(stored.first_receive_millis));
  add("SequenceNumber", stored.sequence_number);
  add("MessageDeduplicationId", content.deduplication_id);
  add("MessageGroupId", content.group_id);
  add("DeadLetterQueueSourceArn", content.dead_letter_source_arn);
  if (auto trace = content.system_attributes.find("AWSTraceHeader"); trace != content.system_attributes.end()) {
    add("AWSTraceHeader", trace->second.string_value);
  }
  if (!attributes.empty()) message["Attributes"] = std::move(attributes);
  MessageAttributes returned;
  for (const auto& [name, value] : content.attributes) {
    if (WantsMessageAttribute(attribute_filters, name)) returned.emplace(name, value);
  }
  if (!returned.empty()) {
    json::object values;
    for (const auto& [name, value] : returned) values[name] = AttributeValueJson(value);
    message["MD5OfMessageAttributes"] = Md5OfMessageAttributes(returned);
    message["MessageAttributes"] = std::move(values);
  }
  return message;
}

Result<std::optional<json::object>> SqsService::TryReceive(const ReceivePlan& plan,
                                                           std::optional<std::int64_t>* next_visible) {
  auto outcome = store_->ReceiveMessages(plan.key, plan.options, Now());
  if (!outcome) return Fail(ToAwsError(outcome.error()));
  if (next_visible) *next_visible = outcome->next_visible_millis;
  if (outcome->messages.empty()) return std::optional<json::object>();
  json::array messages;
  for (const auto& received : outcome->messages) {
    messages.push_back(ReceivedMessageJson(received, plan.system_attributes, plan.message_attribute_filters));
  }
  json::object output;
  output["Messages"] = std::move(messages);
  return std::optional<json::object>(std::move(output));
}

// An asynchronous row of the table: the executor runs it where the store needs (and guards this
// synchronous part); it answers now, or keeps `done` for a long poll that RetryPending finishes.
void SqsService::ReceiveMessage(Request request, protocol::OperationCallback done) {
  Result<ReceivePlan> plan = PlanReceive(request);
  if (!plan) return done(Fail(std::move(plan).error()));
  if (plan->wait_seconds == 0) {
    Result<std::optional<json::object>> received = TryReceive(*plan, nullptr);
    if (!received) return done(Fail(std::move(received).error()));
    return done(received->has_value() ? std::move(**received) : json::object());
  }
  auto pending = std::make_shared<PendingReceive>();
  pending->plan = std::move(plan).value();
  pending->done = std::move(done);
  pending->deadline_millis = Now() + pending->plan.wait_seconds * 1000;
  pending->timer = std::make_unique<asio::steady_timer>(runtime_.timers);
  {
    std::lock_guard lock(pending_mutex_);
    pending_.insert(pending);
  }
  // Subscribe before the first attempt so that a message sent in between is not missed.
  std::weak_ptr<PendingReceive> weak = pending;
  pending->subscription = store_->WatchQueue(pending->plan.key, [this, weak] {
    if (auto locked = weak.lock()) {
      asio::post(runtime_.timers, [this, locked] { RetryPending(locked); });
    }
  });
  RetryPending(pending);
}

void SqsService::RetryPending(const std::shared_ptr<PendingReceive>& pending) {
  {
    std::lock_guard lock(pending->mutex);
    if (pending->finished) return;
    // Coalesce notifications that arrive while an attempt is running.
    if (pending->retry_running) {
      pending->retry_again = true;
      return;
    }
    pending->retry_running = true;
  }
  RunStoreWork([this, pending] {
    for (;;) {
      std::optional<std::int64_t> next_visible;
      // A retry runs on a timer or pool thread, after the request's executor guard has returned:
      // a bug here finishes the poll with the internal error, as the guard would have answered.
      Result<std::optional<json::object>> received = Fail(errors::InternalFailure(""));
      try {
        received = TryReceive(pending->plan, &next_visible);
      } catch (const std::exception& e) {
        spdlog::error("sqs.ReceiveMessage failed: {} (long-poll retry)", e.what());
      }
      if (!received) return FinishPending(pending, Fail(std::move(received).error()));
      if (received->has_value()) return FinishPending(pending, std::move(**received));
      auto now = Now();
      if (now >= pending->deadline_millis) return FinishPending(pending, json::object());
      std::unique_lock lock(pending->mutex);
      if (pending->finished) return;
      if (pending->retry_again) {
        pending->retry_again = false;
        continue;
      }
      pending->retry_running = false;
      auto wake_at = std::min(pending->deadline_millis, next_visible.value_or(pending->deadline_millis));
      pending->timer->expires_after(std::chrono::milliseconds(std::max<std::int64_t>(1, wake_at - now)));
      std::weak_ptr<PendingReceive> weak = pending;
      pending->timer->async_wait([this, weak](boost::system::error_code error) {
        if (error) return;
        if (auto locked = weak.lock()) RetryPending(locked);
      });
      return;
    }
  });
}

void SqsService::FinishPending(const std::shared_ptr<PendingReceive>& pending, OperationResult result) {
  protocol::OperationCallback done;
  {
    std::lock_guard lock(pending->mutex);
    if (pending->finished) return;
    pending->finished = true;
    done = std::move(pending->done);
  }
  asio::post(runtime_.timers, [pending] {
    pending->timer->cancel();
    pending->subscription.reset();
  });
  {
    std::lock_guard lock(pending_mutex_);
    pending_.erase(pending);
  }
  done(std::move(result));
}

void SqsService::Shutdown() {
  *alive_ = false;
  std::vector<std::shared_ptr<PendingReceive>> waiting;
  {
    std::lock_guard lock(pending_mutex_);
    waiting.assign(pending_.begin(), pending_.end());
  }
  for (auto& pending : waiting) FinishPending(pending, json::object());
}

}  // namespace mallard::sqs
