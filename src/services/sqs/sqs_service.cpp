#include "services/sqs/sqs_service.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "common/encoding.hpp"
#include "services/sqs/model/sqs_attributes.hpp"
#include "services/sqs/model/sqs_errors.hpp"
#include "services/sqs/model/sqs_input.hpp"
#include "services/sqs/model/sqs_shapes.hpp"
#include "services/sqs/model/sqs_validation.hpp"

namespace mallard::sqs {
namespace json = boost::json;
namespace asio = boost::asio;
using protocol::OperationResult;

namespace {

// Paging tokens are opaque to clients; they carry the last name returned.
std::string EncodeToken(const std::string& last_name) { return Base64Encode("v1:" + last_name); }
std::optional<std::string> DecodeToken(const std::string& token) {
  auto decoded = Base64Decode(token);
  if (!decoded || decoded->rfind("v1:", 0) != 0) return std::nullopt;
  return decoded->substr(3);
}

Result<std::optional<std::int64_t>> PageSize(const json::object& input) {
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input::OptionalInt(input, "MaxResults"));
  if (max_results && (*max_results < 1 || *max_results > 1000)) {
    return Fail(errors::InvalidParameterValue("Value " + std::to_string(*max_results) +
                                              " for parameter MaxResults is invalid. Reason: MaxResults must be an "
                                              "integer between 1 and 1000."));
  }
  return max_results;
}

bool IsValidLabel(const std::string& label) {
  if (label.empty() || label.size() > 80) return false;
  for (char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

AwsError ToAwsError(const StoreError& error) {
  switch (error.code) {
    case StoreErrc::NotFound: return errors::QueueDoesNotExist();
    case StoreErrc::AlreadyExists: return errors::QueueNameExists(error.detail);
    case StoreErrc::DeletedRecently: return errors::QueueDeletedRecently(error.detail);
    case StoreErrc::PurgeInProgress: return errors::PurgeQueueInProgress(error.detail);
    case StoreErrc::InvalidReceipt: return errors::ReceiptHandleIsInvalid(error.detail);
    case StoreErrc::NotInFlight: return errors::MessageNotInflight();
    case StoreErrc::VisibilityLimit:
      return errors::InvalidParameterValue("Value " + error.detail +
                                           " for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout "
                                           "for the message is beyond the limit [43200 seconds]");
    case StoreErrc::StaleReceipt:
      return errors::InvalidParameterValue("Value " + error.detail +
                                           " for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.");
    case StoreErrc::Conflict: return errors::InternalFailure("A concurrent update conflicted; retry.");
    case StoreErrc::Unavailable: return errors::ServiceUnavailable(error.detail);
  }
  return errors::InternalFailure(error.detail);
}

SqsService::SqsService(std::shared_ptr<SqsStore> store, services::ServiceContext runtime)
    : store_(std::move(store)),
      runtime_(std::move(runtime)),
      executor_("sqs", runtime_, errors::InternalFailure(""), store_->IsInline()),
      runner_id_(NewUuid()) {
  if (runtime_.timers) ScheduleMoveTaskSweep(std::make_shared<asio::steady_timer>(runtime_.timers));
}

SqsService::~SqsService() { Shutdown(); }

namespace {
// A row of the table: every SQS operation works on the store (RunOn::Store: inline in memory, on
// the pool with Redis), and takes its awsQuery shapes from the SQS model by its name (the model
// stays apart because the fuzz targets link it alone). A row the model lacks fails the table's
// first use (server start, every unit test) instead of answering without shapes.
template <typename Handler>
services::kit::Operation<SqsService> StoreOperation(const char* name, Handler handler) {
  const protocol::OperationShapes* shapes = SqsOperationShapes(name);
  if (shapes == nullptr) throw std::logic_error(std::string("SQS operation without awsQuery shapes: ") + name);
  return {name, handler, services::kit::RunOn::Store, *shapes};
}
}  // namespace

const services::kit::OperationTable<SqsService>& SqsService::Operations() {
  // ReceiveMessage answers when a message arrives or its wait ends (a long poll): asynchronous.
  static const services::kit::OperationTable<SqsService> table = {
      StoreOperation("CreateQueue", &SqsService::CreateQueue),
      StoreOperation("DeleteQueue", &SqsService::DeleteQueue),
      StoreOperation("GetQueueUrl", &SqsService::GetQueueUrl),
      StoreOperation("ListQueues", &SqsService::ListQueues),
      StoreOperation("GetQueueAttributes", &SqsService::GetQueueAttributes),
      StoreOperation("SetQueueAttributes", &SqsService::SetQueueAttributes),
      StoreOperation("PurgeQueue", &SqsService::PurgeQueue),
      StoreOperation("TagQueue", &SqsService::TagQueue),
      StoreOperation("UntagQueue", &SqsService::UntagQueue),
      StoreOperation("ListQueueTags", &SqsService::ListQueueTags),
      StoreOperation("AddPermission", &SqsService::AddPermission),
      StoreOperation("RemovePermission", &SqsService::RemovePermission),
      StoreOperation("ListDeadLetterSourceQueues", &SqsService::ListDeadLetterSourceQueues),
      StoreOperation("StartMessageMoveTask", &SqsService::StartMessageMoveTask),
      StoreOperation("CancelMessageMoveTask", &SqsService::CancelMessageMoveTask),
      StoreOperation("ListMessageMoveTasks", &SqsService::ListMessageMoveTasks),
      StoreOperation("SendMessage", &SqsService::SendMessage),
      StoreOperation("SendMessageBatch", &SqsService::SendMessageBatch),
      StoreOperation("ReceiveMessage", &SqsService::ReceiveMessage),
      StoreOperation("DeleteMessage", &SqsService::DeleteMessage),
      StoreOperation("DeleteMessageBatch", &SqsService::DeleteMessageBatch),
      StoreOperation("ChangeMessageVisibility", &SqsService::ChangeMessageVisibility),
      StoreOperation("ChangeMessageVisibilityBatch", &SqsService::ChangeMessageVisibilityBatch),
  };
  // The rows take their shapes from the model by name; an operation the model has and no row
  // names would be shapes nobody serves: both name the same operations, checked once.
  static const bool same_operations = [] {
    if (table.Names() != SqsModelOperationNames()) {
      throw std::logic_error("SQS: the operation table and the awsQuery model name different operations");
    }
    return true;
  }();
  (void)same_operations;
  return table;
}

const services::ServiceDescriptor& SqsService::Descriptor() const {
  static const services::ServiceDescriptor descriptor = [] {
    services::ServiceDescriptor d;
    d.name = "sqs";
    d.signing_name = "sqs";
    d.json_target_prefix = "AmazonSQS";
    d.json_1_1 = false;
    d.json_error_namespace = "com.amazonaws.sqs#";
    d.query_compatible = true;
    d.query_xmlns = "http://queue.amazonaws.com/doc/2012-11-05/";
    d.operations = Operations().Names();
    return d;
  }();
  return descriptor;
}

const protocol::OperationShapes* SqsService::QueryShapes(std::string_view operation) const {
  return Operations().Shapes(operation);
}

void SqsService::RunStoreWork(std::function<void()> work) {
  // Long-poll retries and move-task steps run on timer and pool threads, outside any request and
  // so outside the executor's guard, where an escaping exception would end the thread; they
  // complete their requests themselves, so here a bug is logged and contained.
  auto guarded = [work = std::move(work)] {
    try {
      work();
    } catch (const std::exception& e) {
      spdlog::error("sqs: unexpected exception in store work: {}", e.what());
    }
  };
  if (store_->IsInline() || runtime_.blocking_pool == nullptr) {
    guarded();
  } else {
    asio::post(*runtime_.blocking_pool, std::move(guarded));
  }
}

void SqsService::Invoke(Request request, protocol::OperationCallback done) {
  if (request.protocol == protocol::WireProtocol::AwsQuery) {
    // SQS words a missing queue differently per protocol (AWS-recorded): awsQuery still says
    // "…for this wsdl version.", awsJson "The specified queue does not exist.".
    done = [done = std::move(done)](OperationResult result) {
      if (!result.ok() && result.error().code == "QueueDoesNotExist") {
        AwsError error = std::move(result).error();
        error.message = "The specified queue does not exist for this wsdl version.";
        result = Fail(std::move(error));
      }
      done(std::move(result));
    };
  }
  executor_.Dispatch(*this, Operations(), std::move(request), &errors::InvalidAction, std::move(done));
}

void SqsService::Reset() { store_->Reset(); }

// ---- helpers -------------------------------------------------------------------------------

Result<QueueKey> SqsService::ResolveQueue(const Request& request) const {
  MALLARD_ASSIGN_OR_RETURN(auto url, input::OptionalString(request.input, "QueueUrl"));
  // awsQuery clients may address the queue by the request path instead ("/ACCOUNT/NAME").
  std::string address = url && !url->empty() ? *url : request.http_path;
  if (address.empty() || address == "/") return Fail(errors::MissingParameter("QueueUrl"));
  // SQS also accepts the queue's bare name there: a queue of the caller's account.
  if (address.find('/') == std::string::npos) return QueueKey{request.context.account_id, request.context.region, address};
  std::string_view path = address;
  if (auto scheme = path.find("://"); scheme != std::string_view::npos) {
    path = path.substr(scheme + 3);
    auto slash = path.find('/');
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  auto last = path.rfind('/');
  if (last == std::string_view::npos || last == 0) {
    return Fail(errors::QueueDoesNotExist());
  }
  std::string name(path.substr(last + 1));
  std::string_view before = path.substr(0, last);
  std::string account(before.substr(before.rfind('/') + 1));
  if (account.size() != 12 || account.find_first_not_of("0123456789") != std::string::npos) {
    return Fail(errors::QueueDoesNotExist());
  }
  return QueueKey{account, request.context.region, name};
}

Result<QueueRecord> SqsService::LoadQueue(const QueueKey& key) const {
  auto record = store_->GetQueue(key);
  if (!record) return Fail(ToAwsError(record.error()));
  return std::move(record).value();
}

std::string SqsService::QueueUrl(const Request& request, const QueueKey& key) const {
  return request.context.endpoint_base + "/" + key.account_id + "/" + key.name;
}

Result<json::object> SqsService::PageOfQueueUrls(const Request& request, const std::vector<QueueRecord>& queues,
                                                  const char* member) const {
  MALLARD_ASSIGN_OR_RETURN(auto token, input::OptionalString(request.input, "NextToken"));
  MALLARD_ASSIGN_OR_RETURN(auto page_size, PageSize(request.input));
  std::string after;
  if (token && !token->empty()) {
    auto decoded = DecodeToken(*token);
    if (!decoded) return Fail(errors::InvalidParameterValue("Invalid NextToken value."));
    after = *decoded;
  }
  // Without MaxResults SQS returns up to 1000 and no token.
  std::size_t limit = page_size ? static_cast<std::size_t>(*page_size) : 1000;
  json::array urls;
  std::string last;
  bool more = false;
  for (const auto& queue : queues) {  // sorted by name
    if (!after.empty() && queue.key.name <= after) continue;
    if (urls.size() == limit) {
      more = true;
      break;
    }
    urls.emplace_back(QueueUrl(request, queue.key));
    last = queue.key.name;
  }
  json::object output;
  output[member] = std::move(urls);
  if (more && page_size) output["NextToken"] = EncodeToken(last);
  return output;
}

Status<> SqsService::ValidateRedrive(const QueueKey& source, bool source_fifo, const std::string& redrive_policy) const {
  if (redrive_policy.empty()) return Done{};
  AttributeMap as_map = {{"RedrivePolicy", redrive_policy}};
  auto policy = ParseRedrivePolicy(as_map);
  auto invalid = [&](const std::string& reason) {
    return errors::InvalidParameterValue("Value " + redrive_policy + " for parameter RedrivePolicy is invalid. Reason: " + reason);
  };
  if (!policy) return Fail(invalid("Redrive policy is not valid."));
  auto target_key = QueueKeyFromArn(policy->dead_letter_target_arn);
  if (!target_key || target_key->region != source.region) return Fail(invalid("Dead-letter target does not exist."));
  auto target = store_->GetQueue(*target_key);
  if (!target) return Fail(invalid("Dead-letter target does not exist."));
  if (target->fifo != source_fifo) {
    return Fail(invalid(source_fifo ? "Dead-letter target queue must be a FIFO queue."
                                    : "Dead-letter target queue must be a standard queue."));
  }
  auto allow = target->attributes.find("RedriveAllowPolicy");
  if (allow != target->attributes.end() && !allow->second.empty()) {
    auto parsed = json::parse(allow->second);
    std::string mode(parsed.at("redrivePermission").as_string());
    bool allowed = mode == "allowAll";
    if (mode == "byQueue") {
      for (const auto& arn : parsed.at("sourceQueueArns").as_array()) allowed = allowed || arn.as_string() == source.Arn();
    }
    if (!allowed) {
      return Fail(invalid("Queue " + source.Arn() + " is not allowed to use " + target_key->Arn() +
                          " as a dead-letter queue by its RedriveAllowPolicy."));
    }
  }
  return Done{};
}

// ---- queue lifecycle -----------------------------------------------------------------------

namespace {

// QueueName given but empty is a bad value, not a missing parameter, as SQS answers it.
Result<std::string> QueueNameInput(const json::object& input) {
  MALLARD_ASSIGN_OR_RETURN(auto name, input::OptionalString(input, "QueueName"));
  if (!name) return Fail(errors::MissingParameter("QueueName"));
  if (name->empty()) {
    return Fail(errors::InvalidParameterValue("Value for parameter QueueName is invalid. Reason: Must specify a queue name."));
  }
  return std::move(*name);
}

}  // namespace

OperationResult SqsService::CreateQueue(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto name, QueueNameInput(request.input));
  MALLARD_ASSIGN_OR_RETURN(auto given, input::OptionalObject(request.input, "Attributes"));
  MALLARD_ASSIGN_OR_RETURN(auto tags, input::OptionalObject(request.input, "tags"));
  bool fifo = false;
  if (const auto* flag = given.if_contains("FifoQueue")) {
    std::string text = flag->is_string() ? std::string(flag->get_string()) : json::serialize(*flag);
    fifo = text == "true" || text == "True" || text == "TRUE";
  }
  MALLARD_RETURN_IF_ERROR(ValidateQueueName(name, fifo));
  MALLARD_ASSIGN_OR_RETURN(auto attributes, ValidateQueueAttributes(given, fifo, true));
  QueueKey key{request.context.account_id, request.context.region, name};
  if (auto redrive = attributes.find("RedrivePolicy"); redrive != attributes.end()) {
    MALLARD_RETURN_IF_ERROR(ValidateRedrive(key, fifo, redrive->second));
  }
  if (tags.size() > 50) return Fail(errors::InvalidParameterValue("Too many tags added for queue " + name + "."));
  MALLARD_RETURN_IF_ERROR(ValidateQueueTags(tags));

  QueueRecord record;
  record.key = key;
  record.fifo = fifo;
  record.attributes = DefaultQueueAttributes(fifo);
  for (auto& [attribute, value] : attributes) {
    if (!value.empty()) record.attributes[attribute] = value;
  }
  if (record.attributes.count("KmsMasterKeyId")) {
    record.attributes["SqsManagedSseEnabled"] = "false";
    record.attributes.emplace("KmsDataKeyReusePeriodSeconds", "300");
  }
  for (const auto& tag : tags) {
    record.tags[std::string(tag.key())] =
        tag.value().is_string() ? std::string(tag.value().get_string()) : json::serialize(tag.value());
  }
  auto now = Now();
  record.created_seconds = record.last_modified_seconds = now / 1000;
  auto outcome = store_->CreateQueue(record, now);
  if (!outcome) return Fail(ToAwsError(outcome.error()));
  if (!outcome->created) {
    // Idempotent only when every attribute asked for matches the existing queue.
    const auto& existing = outcome->record.attributes;
    for (const auto& [attribute, value] : attributes) {
      auto current = existing.find(attribute);
      std::string current_value = current == existing.end() ? std::string() : current->second;
      if (current_value != value) return Fail(errors::QueueNameExists(attribute));
    }
    if (outcome->record.fifo != fifo) return Fail(errors::QueueNameExists("FifoQueue"));
  }
  Json output;
  output["QueueUrl"] = QueueUrl(request, key);
  return output;
}

OperationResult SqsService::DeleteQueue(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  auto deleted = store_->DeleteQueue(key, Now());
  if (!deleted) return Fail(ToAwsError(deleted.error()));
  return Json();
}

OperationResult SqsService::GetQueueUrl(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto name, QueueNameInput(request.input));
  MALLARD_ASSIGN_OR_RETURN(auto owner, input::OptionalString(request.input, "QueueOwnerAWSAccountId"));
  QueueKey key{owner && !owner->empty() ? *owner : request.context.account_id, request.context.region, name};
  MALLARD_ASSIGN_OR_RETURN(auto record, LoadQueue(key));
  Json output;
  output["QueueUrl"] = QueueUrl(request, record.key);
  return output;
}

OperationResult SqsService::ListQueues(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto prefix, input::OptionalString(request.input, "QueueNamePrefix"));
  auto queues = store_->ListQueues(request.context.account_id, request.context.region, prefix.value_or(""));
  if (!queues) return Fail(ToAwsError(queues.error()));
  MALLARD_ASSIGN_OR_RETURN(auto page, PageOfQueueUrls(request, *queues, "QueueUrls"));
  if (page.at("QueueUrls").as_array().empty()) page.erase("QueueUrls");
  return page;
}

OperationResult SqsService::GetQueueAttributes(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto names, input::StringList(request.input, "AttributeNames"));
  for (const auto& name : names) {
    if (!IsKnownQueueAttribute(name)) return Fail(errors::InvalidAttributeName(name));
  }
  MALLARD_ASSIGN_OR_RETURN(auto record, LoadQueue(key));
  bool all = std::find(names.begin(), names.end(), "All") != names.end();
  auto wanted = [&](const std::string& name) { return all || std::find(names.begin(), names.end(), name) != names.end(); };
  json::object attributes;
  for (const auto& [name, value] : record.attributes) {
    if (wanted(name)) attributes[name] = value;
  }
  if (wanted("ApproximateNumberOfMessages") || wanted("ApproximateNumberOfMessagesNotVisible") ||
      wanted("ApproximateNumberOfMessagesDelayed")) {
    auto now = Now();
    (void)store_->ExpireMessages(key, AttributeInt(record.attributes, "MessageRetentionPeriod", 345600), now);
    auto counts = store_->CountMessages(key, now);
    if (!counts) return Fail(ToAwsError(counts.error()));
    if (wanted("ApproximateNumberOfMessages")) attributes["ApproximateNumberOfMessages"] = std::to_string(counts->visible);
    if (wanted("ApproximateNumberOfMessagesNotVisible")) {
      attributes["ApproximateNumberOfMessagesNotVisible"] = std::to_string(counts->in_flight);
    }
    if (wanted("ApproximateNumberOfMessagesDelayed")) {
      attributes["ApproximateNumberOfMessagesDelayed"] = std::to_string(counts->delayed);
    }
  }
  if (wanted("CreatedTimestamp")) attributes["CreatedTimestamp"] = std::to_string(record.created_seconds);
  if (wanted("LastModifiedTimestamp")) attributes["LastModifiedTimestamp"] = std::to_string(record.last_modified_seconds);
  if (wanted("QueueArn")) attributes["QueueArn"] = key.Arn();
  Json output;
  if (!attributes.empty()) output["Attributes"] = std::move(attributes);
  return output;
}

OperationResult SqsService::SetQueueAttributes(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto given, input::OptionalObject(request.input, "Attributes"));
  MALLARD_ASSIGN_OR_RETURN(auto current, LoadQueue(key));
  MALLARD_ASSIGN_OR_RETURN(auto attributes, ValidateQueueAttributes(given, current.fifo, false));
  if (auto redrive = attributes.find("RedrivePolicy"); redrive != attributes.end()) {
    MALLARD_RETURN_IF_ERROR(ValidateRedrive(key, current.fifo, redrive->second));
  }
  auto now_seconds = Now() / 1000;
  auto updated = store_->UpdateQueue(key, [&](QueueRecord& record) -> Status<> {
    for (const auto& [name, value] : attributes) {
      if (value.empty() && (name == "RedrivePolicy" || name == "RedriveAllowPolicy" || name == "Policy" ||
                            name == "KmsMasterKeyId")) {
        record.attributes.erase(name);
      } else {
        record.attributes[name] = value;
      }
    }
    if (attributes.count("KmsMasterKeyId") && record.attributes.count("KmsMasterKeyId")) {
      record.attributes["SqsManagedSseEnabled"] = "false";
      record.attributes.emplace("KmsDataKeyReusePeriodSeconds", "300");
    }
    record.last_modified_seconds = now_seconds;
    return Done{};
  });
  if (!updated) return Fail(ToAwsError(updated.error()));
  if (!updated->ok()) return Fail(updated->error());
  return Json();
}

OperationResult SqsService::PurgeQueue(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  auto purged = store_->PurgeQueue(key, Now());
  if (!purged) {
    if (purged.error().code == StoreErrc::PurgeInProgress) return Fail(errors::PurgeQueueInProgress(key.name));
    return Fail(ToAwsError(purged.error()));
  }
  return Json();
}

// ---- tags and permissions ------------------------------------------------------------------

OperationResult SqsService::TagQueue(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto tags, input::OptionalObject(request.input, "Tags"));
  if (tags.empty()) return Fail(errors::MissingParameter("Tags"));
  MALLARD_RETURN_IF_ERROR(ValidateQueueTags(tags));
  auto updated = store_->UpdateQueue(key, [&](QueueRecord& record) -> Status<> {
    auto merged = record.tags;
    for (const auto& tag : tags) merged[std::string(tag.key())] = std::string(tag.value().get_string());
    if (merged.size() > 50) return Fail(errors::InvalidParameterValue("Too many tags added for queue " + key.name + "."));
    record.tags = std::move(merged);
    return Done{};
  });
  if (!updated) return Fail(ToAwsError(updated.error()));
  if (!updated->ok()) return Fail(updated->error());
  return Json();
}

OperationResult SqsService::UntagQueue(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto keys, input::StringList(request.input, "TagKeys"));
  if (keys.empty()) return Fail(errors::InvalidParameterValue("Tag keys must be between 1 and 128 characters in length."));
  auto updated = store_->UpdateQueue(key, [&](QueueRecord& record) -> Status<> {
    for (const auto& tag_key : keys) record.tags.erase(tag_key);
    return Done{};
  });
  if (!updated) return Fail(ToAwsError(updated.error()));
  return Json();
}

OperationResult SqsService::ListQueueTags(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto record, LoadQueue(key));
  Json output;
  if (!record.tags.empty()) {
    json::object tags;
    for (const auto& [tag_key, value] : record.tags) tags[tag_key] = value;
    output["Tags"] = std::move(tags);
  }
  return output;
}

OperationResult SqsService::AddPermission(const Request& request) {
  static const std::set<std::string> kActions = {
      "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes",
      "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue", "ListQueueTags", "ListQueues"};
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto label, input::RequiredString(request.input, "Label"));
  MALLARD_ASSIGN_OR_RETURN(auto accounts, input::StringList(request.input, "AWSAccountIds"));
  MALLARD_ASSIGN_OR_RETURN(auto actions, input::StringList(request.input, "Actions"));
  if (actions.empty()) return Fail(errors::MissingParameter("Actions"));
  if (accounts.empty()) {
    return Fail(errors::InvalidParameterValue("Value [] for parameter PrincipalId is invalid. Reason: Unable to verify."));
  }
  if (!IsValidLabel(label)) {
    return Fail(errors::InvalidParameterValue("Value " + label + " for parameter Label is invalid. Reason: Can only "
                                              "include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."));
  }
  if (actions.size() > 7) {
    return Fail(errors::OverLimit(std::to_string(actions.size()) + " Actions were found, maximum allowed is 7."));
  }
  for (const auto& action : actions) {
    if (!kActions.count(action)) {
      return Fail(errors::InvalidParameterValue("Value SQS:" + action + " for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action."));
    }
  }
  auto arn = key.Arn();
  auto updated = store_->UpdateQueue(key, [&](QueueRecord& record) -> Status<> {
    json::object policy;
    if (auto existing = record.attributes.find("Policy"); existing != record.attributes.end() && !existing->second.empty()) {
      boost::system::error_code error;
      auto parsed = json::parse(existing->second, error);
      if (!error && parsed.is_object()) policy = parsed.as_object();
    }
    if (policy.empty()) {
      policy["Version"] = "2012-10-17";
      policy["Id"] = arn + "/SQSDefaultPolicy";
      policy["Statement"] = json::array();
    }
    if (!policy["Statement"].is_array()) policy["Statement"] = json::array();
    auto& statements = policy["Statement"].as_array();
    for (const auto& statement : statements) {
      if (statement.is_object() && statement.as_object().contains("Sid") && statement.at("Sid") == json::value(label)) {
        return Fail(errors::InvalidParameterValue("Value " + label + " for parameter Label is invalid. Reason: Already exists."));
      }
    }
    json::array principals, action_names;
    for (const auto& account : accounts) principals.emplace_back("arn:aws:iam::" + account + ":root");
    for (const auto& action : actions) action_names.emplace_back("SQS:" + action);
    json::object statement;
    statement["Sid"] = label;
    statement["Effect"] = "Allow";
    statement["Principal"] = {{"AWS", principals.size() == 1 ? principals[0] : json::value(principals)}};
    statement["Action"] = action_names.size() == 1 ? action_names[0] : json::value(action_names);
    statement["Resource"] = arn;
    statements.push_back(std::move(statement));
    record.attributes["Policy"] = json::serialize(policy);
    return Done{};
  });
  if (!updated) return Fail(ToAwsError(updated.error()));
  if (!updated->ok()) return Fail(updated->error());
  return Json();
}

OperationResult SqsService::RemovePermission(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto label, input::RequiredString(request.input, "Label"));
  auto updated = store_->UpdateQueue(key, [&](QueueRecord& record) -> Status<> {
    auto not_found = errors::InvalidParameterValue("Value " + label +
                                                   " for parameter Label is invalid. Reason: can't find label.");
    auto existing = record.attributes.find("Policy");
    if (existing == record.attributes.end()) return Fail(not_found);
    boost::system::error_code error;
    auto policy = json::parse(existing->second, error);
    if (error || !policy.is_object() || !policy.as_object().contains("Statement") || !policy.at("Statement").is_array()) {
      return Fail(not_found);
    }
    auto& statements = policy.as_object()["Statement"].as_array();
    auto before = statements.size();
    for (auto it = statements.begin(); it != statements.end();) {
      if (it->is_object() && it->as_object().contains("Sid") && it->at("Sid") == json::value(label)) {
        it = statements.erase(it);
      } else {
        ++it;
      }
    }
    if (statements.size() == before) return Fail(not_found);
    if (statements.empty()) {
      record.attributes.erase("Policy");
    } else {
      record.attributes["Policy"] = json::serialize(policy);
    }
    return Done{};
  });
  if (!updated) return Fail(ToAwsError(updated.error()));
  if (!updated->ok()) return Fail(updated->error());
  return Json();
}

OperationResult SqsService::ListDeadLetterSourceQueues(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto key, ResolveQueue(request));
  MALLARD_ASSIGN_OR_RETURN(auto target, LoadQueue(key));
  auto queues = store_->ListQueues(key.account_id, key.region, "");
  if (!queues) return Fail(ToAwsError(queues.error()));
  std::erase_if(*queues, [&](const QueueRecord& queue) {
    auto policy = ParseRedrivePolicy(queue.attributes);
    return !policy || policy->dead_letter_target_arn != target.key.Arn();
  });
  return PageOfQueueUrls(request, *queues, "queueUrls");
}

// ---- message move tasks --------------------------------------------------------------------

}  // namespace mallard::sqs
