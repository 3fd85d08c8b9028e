// Topics: create (idempotent for equal attributes and tags), delete, attributes, listing, tags,
// permissions (statements of the topic's policy) and data protection policies.
#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "services/kit/resource_policy.hpp"
#include "services/sns/model/delivery_policy.hpp"
#include "services/sns/model/sns_errors.hpp"
#include "services/sns/sns_input.hpp"
#include "services/sns/sns_service.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

constexpr std::size_t kTopicsPerAccount = 100000;  // standard topics; FIFO topics count too
constexpr std::size_t kTagsPerTopic = 50;

bool TopicNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool ValidTopicName(const std::string& name, bool fifo) {
  std::string base = name;
  if (fifo) {
    if (name.size() < 6 || name.compare(name.size() - 5, 5, ".fifo") != 0) return false;
    base = name.substr(0, name.size() - 5);
  }
  if (base.empty() || name.size() > 256) return false;
  return std::all_of(base.begin(), base.end(), TopicNameCharacter);
}

// The attributes a topic may carry, and which of them only at creation or only on FIFO topics.
const std::set<std::string>& SettableTopicAttributes() {
  static const std::set<std::string> names = {
      "DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion",
      "ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy", "DataProtectionPolicy", "MaximumMessageSize",
      "ApplicationSuccessFeedbackRoleArn", "ApplicationSuccessFeedbackSampleRate", "ApplicationFailureFeedbackRoleArn",
      "HTTPSuccessFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate", "HTTPFailureFeedbackRoleArn",
      "LambdaSuccessFeedbackRoleArn", "LambdaSuccessFeedbackSampleRate", "LambdaFailureFeedbackRoleArn",
      "FirehoseSuccessFeedbackRoleArn", "FirehoseSuccessFeedbackSampleRate", "FirehoseFailureFeedbackRoleArn",
      "SQSSuccessFeedbackRoleArn", "SQSSuccessFeedbackSampleRate", "SQSFailureFeedbackRoleArn"};
  return names;
}

bool AllDigits(const std::string& text) {
  return !text.empty() && text.size() <= 10 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Checks one attribute's value; `prefix` is "Invalid parameter: " (SetTopicAttributes) or
// "Invalid parameter: Attributes Reason: " (CreateTopic).
Status<> CheckTopicAttribute(const std::string& name, const std::string& value, bool fifo, const std::string& prefix) {
  auto invalid = [&](const std::string& reason) { return Fail(errors::InvalidParameter(prefix + reason)); };
  if (name == "FifoTopic") return Done{};  // creation decides it
  if (SettableTopicAttributes().count(name) == 0) return invalid("AttributeName");
  if (name == "DisplayName" && value.size() > 100) return invalid("DisplayName");
  if (name == "SignatureVersion" && value != "1" && value != "2") {
    return invalid("SignatureVersion: Invalid value [" + value + "]. Must be 1 or 2.");
  }
  if (name == "TracingConfig" && value != "PassThrough" && value != "Active") {
    return invalid("TracingConfig: Invalid value [" + value + "]. Must be PassThrough or Active.");
  }
  if (name == "ContentBasedDeduplication" || name == "FifoThroughputScope" || name == "ArchivePolicy") {
    if (!fifo) return invalid("Attributes Reason: " + name + " is only valid for FIFO topics");
  }
  if (name == "ContentBasedDeduplication" && value != "true" && value != "false") {
    return invalid("ContentBasedDeduplication: Invalid value [" + value + "]. Must be true or false.");
  }
  if (name == "FifoThroughputScope" && value != "Topic" && value != "MessageGroup") {
    return invalid("FifoThroughputScope: Invalid value [" + value + "]. Must be Topic or MessageGroup.");
  }
  if (name == "MaximumMessageSize") {
    if (!AllDigits(value) || std::stoll(value) < 1024 || std::stoll(value) > 1048576) {
      return invalid("MaximumMessageSize: Invalid value [" + value + "]. Must be between 1024 and 1048576.");
    }
  }
  if (name == "DeliveryPolicy" && !value.empty()) {
    auto policy = ParseTopicDeliveryPolicy(value);
    if (!policy) return Fail(policy.error());
  }
  if (name == "Policy") {
    auto policy = services::kit::ResourcePolicy::Parse(value);
    if (!policy) return invalid("Policy Error: " + policy.error().message);
  }
  if ((name == "ArchivePolicy" || name == "DataProtectionPolicy") && !value.empty()) {
    auto parsed = ParseJson(value);
    if (!parsed || !parsed->is_object()) return invalid(name + ": failed to parse JSON.");
  }
  return Done{};
}

Result<Tags> ReadTags(const json::object& input, const char* member) {
  Tags tags;
  const json::array* list = input::List(input, member);
  if (list == nullptr) return tags;
  std::set<std::string> keys;
  for (const auto& item : *list) {
    if (!item.is_object()) continue;
    std::string key = input::TextOr(item.get_object(), "Key");
    std::string value = input::TextOr(item.get_object(), "Value");
    if (key.empty() || key.size() > 128) {
      return Fail(errors::InvalidParameter("Invalid parameter: Tags Reason: Tag key must be between 1 and 128 characters"));
    }
    if (value.size() > 256) {
      return Fail(errors::InvalidParameter("Invalid parameter: Tags Reason: Tag value must be at most 256 characters"));
    }
    if (!keys.insert(key).second) return Fail(errors::InvalidParameter("Invalid parameter: Duplicated keys are not allowed."));
    tags.emplace_back(std::move(key), std::move(value));
  }
  return tags;
}



}  // namespace

protocol::OperationResult SnsService::CreateTopic(const Request& request) {
  std::string name = input::TextOr(request.input, "Name");
  AttributeMap attributes = input::Map(request.input, "Attributes");
  bool fifo = false;
  if (auto found = attributes.find("FifoTopic"); found != attributes.end()) {
    std::string lowered = found->second;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
    fifo = lowered == "true";
    // AWS does not keep an explicit FifoTopic=false.
    if (fifo) found->second = "true"; else attributes.erase(found);
  }
  if (!ValidTopicName(name, fifo)) return Fail(errors::InvalidParameter("Invalid parameter: Topic Name"));
  for (const auto& [attribute, value] : attributes) {
    MALLARD_RETURN_IF_ERROR(CheckTopicAttribute(attribute, value, fifo, "Invalid parameter: Attributes Reason: "));
  }
  MALLARD_ASSIGN_OR_RETURN(auto tags, ReadTags(request.input, "Tags"));
  if (tags.size() > kTagsPerTopic) return Fail(errors::TagLimitExceeded());
  if (auto data_protection = input::Text(request.input, "DataProtectionPolicy"); data_protection && !data_protection->empty()) {
    MALLARD_RETURN_IF_ERROR(CheckTopicAttribute("DataProtectionPolicy", *data_protection, fifo, "Invalid parameter: "));
    attributes["DataProtectionPolicy"] = *data_protection;
  }
  if (fifo && attributes.count("ContentBasedDeduplication") == 0) attributes["ContentBasedDeduplication"] = "false";

  TopicRecord topic;
  topic.arn = "arn:aws:sns:" + request.context.region + ":" + request.context.account_id + ":" + name;
  topic.name = name;
  topic.account = request.context.account_id;
  topic.region = request.context.region;
  topic.attributes = attributes;
  topic.tags = tags;
  topic.created_millis = Now();

  auto existing = store_->Get(Collection::Topic, topic.arn);
  if (!existing) return Fail(errors::FromStore(existing.error()));
  if (!*existing) {
    auto count = store_->Count(Collection::Topic, "arn:aws:sns:" + topic.region + ":" + topic.account + ":");
    if (!count) return Fail(errors::FromStore(count.error()));
    if (*count >= kTopicsPerAccount) return Fail(errors::TopicLimitExceeded());
    auto put = store_->Put(Collection::Topic, topic.arn, ToDocument(topic), 0);
    if (put) return Json{{"TopicArn", topic.arn}};
    if (put.error().code != StoreErrc::AlreadyExists) return Fail(errors::FromStore(put.error()));
    existing = store_->Get(Collection::Topic, topic.arn);  // created concurrently: compare with it
    if (!existing) return Fail(errors::FromStore(existing.error()));
    if (!*existing) return Fail(errors::InternalError("topic vanished while being created"));
  }
  // CreateTopic is idempotent: the same name with the same attributes (and tags) answers the ARN.
  auto current = TopicFromDocument((*existing)->document);
  if (!current) return Fail(errors::InternalError("unreadable topic record"));
  for (const auto& [attribute, value] : topic.attributes) {
    if (attribute == "ContentBasedDeduplication" && value == "false" && current->Attribute(attribute, "false") == "false") continue;
    if (current->Attribute(attribute) != value) {
      return Fail(errors::InvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes"));
    }
  }
  if (current->Fifo() != fifo) {
    return Fail(errors::InvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes"));
  }
  for (const auto& tag : tags) {
    if (std::find(current->tags.begin(), current->tags.end(), tag) == current->tags.end()) {
      return Fail(errors::InvalidParameter("Invalid parameter: Tags Reason: Topic already exists with different tags"));
    }
  }
  return Json{{"TopicArn", topic.arn}};
}

protocol::OperationResult SnsService::DeleteTopic(const Request& request) {
  auto loaded = TopicForAction(request, "TopicArn", "DeleteTopic");
  // Deleting a topic that does not exist succeeds, as in AWS.
  if (!loaded) return loaded.error().code == "NotFound" ? Result_(Json{}) : Result_(Fail(loaded.error()));
  const auto& topic = loaded->first;
  MALLARD_ASSIGN_OR_RETURN(auto subscriptions, SubscriptionsOf(topic.arn));
  for (const auto& subscription : subscriptions) {
    auto removed = store_->Delete(Collection::Subscription, subscription.arn);
    if (!removed && removed.error().code != StoreErrc::NotFound) return Fail(errors::FromStore(removed.error()));
    if (!subscription.token.empty()) (void)store_->Delete(Collection::ConfirmationToken, subscription.token);
  }
  auto removed = store_->Delete(Collection::Topic, topic.arn);
  if (!removed && removed.error().code != StoreErrc::NotFound) return Fail(errors::FromStore(removed.error()));
  return Json{};
}

protocol::OperationResult SnsService::GetTopicAttributes(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto loaded, TopicForAction(request, "TopicArn", "GetTopicAttributes"));
  const auto& topic = loaded.first;
  MALLARD_ASSIGN_OR_RETURN(auto subscriptions, SubscriptionsOf(topic.arn));
  std::size_t pending = 0;
  for (const auto& subscription : subscriptions) pending += subscription.pending ? 1 : 0;
  Json attributes;
  for (const auto& [name, value] : topic.attributes) {
    if (name == "DataProtectionPolicy") continue;  // read through GetDataProtectionPolicy
    attributes[name] = value;
  }
  attributes["TopicArn"] = topic.arn;
  attributes["Owner"] = topic.account;
  if (!attributes.contains("Policy")) attributes["Policy"] = DefaultTopicPolicy(topic.arn, topic.account);
  if (!attributes.contains("DisplayName")) attributes["DisplayName"] = "";
  attributes["SubscriptionsPending"] = std::to_string(pending);
  attributes["SubscriptionsConfirmed"] = std::to_string(subscriptions.size() - pending);
  attributes["SubscriptionsDeleted"] = std::to_string(topic.subscriptions_deleted);
  std::string delivery = topic.Attribute("DeliveryPolicy");
  attributes["EffectiveDeliveryPolicy"] = delivery.empty() ? DefaultEffectiveDeliveryPolicy() : delivery;
  return Json{{"Attributes", std::move(attributes)}};
}

protocol::OperationResult SnsService::SetTopicAttributes(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto loaded, TopicForAction(request, "TopicArn", "SetTopicAttributes"));
  std::string name = input::TextOr(request.input, "AttributeName");
  std::string value = input::TextOr(request.input, "AttributeValue");
  if (name == "FifoTopic") return Fail(errors::InvalidParameter("Invalid parameter: AttributeName"));
  MALLARD_RETURN_IF_ERROR(CheckTopicAttribute(name, value, loaded.first.Fifo(), "Invalid parameter: "));
  MALLARD_ASSIGN_OR_RETURN(auto updated, UpdateTopic(loaded.first.arn, [&](TopicRecord& topic) -> Status<> {
    // An empty value clears the attributes a topic may go without.
    if (value.empty() && (name == "DeliveryPolicy" || name == "Policy" || name == "KmsMasterKeyId" ||
                          name == "DataProtectionPolicy" || name == "ArchivePolicy")) {
      topic.attributes.erase(name);
    } else {
      topic.attributes[name] = value;
    }
    return Done{};
  }));
  (void)updated;
  return Json{};
}

protocol::OperationResult SnsService::ListTopics(const Request& request) {
  const std::string prefix = "arn:aws:sns:" + request.context.region + ":" + request.context.account_id + ":";
  MALLARD_ASSIGN_OR_RETURN(auto page, ListPage(Collection::Topic, prefix, request.input));
  json::array topics;
  for (const auto& record : page.records) topics.push_back(Json{{"TopicArn", record.key}});
  Json output{{"Topics", std::move(topics)}};
  if (page.next_token) output["NextToken"] = *page.next_token;
  return output;
}

protocol::OperationResult SnsService::AddPermission(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto loaded, TopicForAction(request, "TopicArn", "AddPermission"));
  std::string label = input::TextOr(request.input, "Label");
  std::vector<std::string> accounts;
  std::vector<std::string> actions;
  if (const auto* list = input::List(request.input, "AWSAccountId")) {
    for (const auto& item : *list) if (item.is_string()) accounts.emplace_back(item.get_string());
  }
  if (const auto* list = input::List(request.input, "ActionName")) {
    for (const auto& item : *list) if (item.is_string()) actions.emplace_back(item.get_string());
  }
  if (label.empty()) return Fail(errors::InvalidParameter("Invalid parameter: Label"));
  if (accounts.empty()) return Fail(errors::InvalidParameter("Invalid parameter: AWSAccountId"));
  if (actions.empty()) return Fail(errors::InvalidParameter("Invalid parameter: ActionName"));
  static const std::set<std::string> kTopicActions = {"GetTopicAttributes", "SetTopicAttributes", "AddPermission",
                                                     "RemovePermission",   "DeleteTopic",        "Subscribe",
                                                     "ListSubscriptionsByTopic", "Publish", "Receive", "*"};
  for (const auto& action : actions) {
    if (kTopicActions.count(action) == 0) {
      return Fail(errors::InvalidParameter("Invalid parameter: Policy statement action out of service scope!"));
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto updated, UpdateTopic(loaded.first.arn, [&](TopicRecord& topic) -> Status<> {
    auto parsed = ParseJson(topic.Attribute("Policy", DefaultTopicPolicy(topic.arn, topic.account)));
    if (!parsed || !parsed->is_object()) return Fail(errors::InternalError("the topic's policy is not JSON"));
    json::object& policy = parsed->get_object();
    json::value& statements = policy["Statement"];
    if (!statements.is_array()) statements = json::array{statements.is_object() ? statements : json::value()};
    for (const auto& statement : statements.get_array()) {
      if (statement.is_object() && statement.get_object().contains("Sid") && statement.get_object().at("Sid") == label.c_str()) {
        return Fail(errors::InvalidParameter("Invalid parameter: Statement already exists"));
      }
    }
    json::array principals;
    for (const auto& account : accounts) {
      principals.push_back(json::string(account.find(':') == std::string::npos ? "arn:aws:iam::" + account + ":root" : account));
    }
    json::array action_list;
    for (const auto& action : actions) action_list.push_back(json::string("SNS:" + action));
    json::object statement{{"Sid", label},
                           {"Effect", "Allow"},
                           {"Principal", json::object{{"AWS", principals.size() == 1 ? principals[0] : json::value(principals)}}},
                           {"Action", action_list.size() == 1 ? action_list[0] : json::value(action_list)},
                           {"Resource", topic.arn}};
    statements.get_array().push_back(std::move(statement));
    topic.attributes["Policy"] = json::serialize(policy);
    return Done{};
  }));
  (void)updated;
  return Json{};
}

protocol::OperationResult SnsService::RemovePermission(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto loaded, TopicForAction(request, "TopicArn", "RemovePermission"));
  std::string label = input::TextOr(request.input, "Label");
  if (label.empty()) return Fail(errors::InvalidParameter("Invalid parameter: Label"));
  MALLARD_ASSIGN_OR_RETURN(auto updated, UpdateTopic(loaded.first.arn, [&](TopicRecord& topic) -> Status<> {
    auto parsed = ParseJson(topic.Attribute("Policy", DefaultTopicPolicy(topic.arn, topic.account)));
    if (!parsed || !parsed->is_object()) return Done{};
    json::object& policy = parsed->get_object();
    json::value* statements = policy.if_contains("Statement");
    if (statements == nullptr || !statements->is_array()) return Done{};
    auto& list = statements->get_array();
    bool removed = false;
    for (auto it = list.begin(); it != list.end();) {
      if (it->is_object() && it->get_object().contains("Sid") && it->get_object().at("Sid") == label.c_str()) {
        it = list.erase(it);
        removed = true;
      } else {
        ++it;
      }
    }
    // Removing a label that is not there succeeds and changes nothing, as in AWS.
    if (removed) topic.attributes["Policy"] = json::serialize(policy);
    return Done{};
  }));
  (void)updated;
  return Json{};
}

namespace {

// Tag operations address a topic by ARN (ResourceArn): an unknown one is ResourceNotFound.
Result<std::string> TaggableTopicArn(const json::object& input, const RequestContext& context) {
  std::string arn = input::TextOr(input, "ResourceArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, "ResourceArn"));
  if (parsed.service != "sns" || parsed.region != context.region) return Fail(errors::ResourceNotFound());
  return arn;
}

}  // namespace

protocol::OperationResult SnsService::TagResource(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, TaggableTopicArn(request.input, request.context));
  MALLARD_ASSIGN_OR_RETURN(auto tags, ReadTags(request.input, "Tags"));
  auto updated = UpdateTopic(arn, [&](TopicRecord& topic) -> Status<> {
    for (auto& [key, value] : tags) {
      auto existing = std::find_if(topic.tags.begin(), topic.tags.end(), [&](const auto& tag) { return tag.first == key; });
      if (existing != topic.tags.end()) {
        existing->second = value;
      } else {
        topic.tags.emplace_back(key, value);
      }
    }
    if (topic.tags.size() > kTagsPerTopic) return Fail(errors::TagLimitExceeded());
    return Done{};
  });
  if (!updated) return Fail(updated.error().code == "NotFound" ? errors::ResourceNotFound() : updated.error());
  return Json{};
}

protocol::OperationResult SnsService::UntagResource(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, TaggableTopicArn(request.input, request.context));
  std::set<std::string> keys;
  if (const auto* list = input::List(request.input, "TagKeys")) {
    for (const auto& item : *list) if (item.is_string()) keys.emplace(item.get_string());
  }
  auto updated = UpdateTopic(arn, [&](TopicRecord& topic) -> Status<> {
    std::erase_if(topic.tags, [&](const auto& tag) { return keys.count(tag.first) > 0; });
    return Done{};
  });
  if (!updated) return Fail(updated.error().code == "NotFound" ? errors::ResourceNotFound() : updated.error());
  return Json{};
}

protocol::OperationResult SnsService::ListTagsForResource(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, TaggableTopicArn(request.input, request.context));
  auto topic = LoadTopic(arn);
  if (!topic) return Fail(topic.error().code == "NotFound" ? errors::ResourceNotFound() : topic.error());
  json::array tags;
  for (const auto& [key, value] : topic->tags) tags.push_back(Json{{"Key", key}, {"Value", value}});
  return Json{{"Tags", std::move(tags)}};
}

protocol::OperationResult SnsService::GetDataProtectionPolicy(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto loaded, TopicForAction(request, "ResourceArn", "GetDataProtectionPolicy"));
  Json output;
  std::string policy = loaded.first.Attribute("DataProtectionPolicy");
  if (!policy.empty()) output["DataProtectionPolicy"] = policy;
  return output;
}

protocol::OperationResult SnsService::PutDataProtectionPolicy(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto loaded, TopicForAction(request, "ResourceArn", "PutDataProtectionPolicy"));
  std::string policy = input::TextOr(request.input, "DataProtectionPolicy");
  auto parsed = ParseJson(policy);
  if (!parsed || !parsed->is_object()) {
    return Fail(errors::InvalidParameter("Invalid parameter: DataProtectionPolicy: failed to parse JSON."));
  }
  MALLARD_ASSIGN_OR_RETURN(auto updated, UpdateTopic(loaded.first.arn, [&](TopicRecord& topic) -> Status<> {
    topic.attributes["DataProtectionPolicy"] = policy;
    return Done{};
  }));
  (void)updated;
  return Json{};
}

}  // namespace mallard::sns
