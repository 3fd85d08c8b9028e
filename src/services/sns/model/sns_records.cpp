#include "services/sns/model/sns_records.hpp"

#include <boost/json.hpp>

#include "services/sns/model/sns_errors.hpp"

namespace mallard::sns {
namespace json = boost::json;

Result<Arn> ParseArn(const std::string& text, const std::string& parameter) {
  if (text.empty()) {
    return Fail(errors::InvalidParameter("Invalid parameter: " + parameter + " Reason: no value for required parameter"));
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  // The resource is everything after the fifth ':' (a subscription ARN has one more).
  while (parts.size() < 5) {
    auto colon = text.find(':', start);
    if (colon == std::string::npos) break;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(text.substr(start));
  if (parts.size() < 6) {
    return Fail(errors::InvalidParameter("Invalid parameter: " + parameter + " Reason: An ARN must have at least 6 elements, not " +
                                         std::to_string(parts.size())));
  }
  if (parts[0] != "arn") {
    return Fail(errors::InvalidParameter("Invalid parameter: " + parameter));
  }
  return Arn{parts[1], parts[2], parts[3], parts[4], parts[5]};
}

bool TopicRecord::Fifo() const { return Attribute("FifoTopic") == "true"; }
bool TopicRecord::ContentBasedDeduplication() const { return Attribute("ContentBasedDeduplication") == "true"; }
std::string TopicRecord::Attribute(const std::string& name, const std::string& fallback) const {
  auto found = attributes.find(name);
  return found == attributes.end() ? fallback : found->second;
}
bool SubscriptionRecord::RawMessageDelivery() const { return Attribute("RawMessageDelivery") == "true"; }
std::string SubscriptionRecord::Attribute(const std::string& name, const std::string& fallback) const {
  auto found = attributes.find(name);
  return found == attributes.end() ? fallback : found->second;
}

namespace {

json::object AttributesToJson(const AttributeMap& attributes) {
  json::object out;
  for (const auto& [name, value] : attributes) out[name] = value;
  return out;
}

AttributeMap AttributesFromJson(const json::value* value) {
  AttributeMap out;
  if (value == nullptr || !value->is_object()) return out;
  for (const auto& [name, text] : value->get_object()) {
    if (text.is_string()) out[std::string(name)] = std::string(text.get_string());
  }
  return out;
}

std::string Text(const json::object& object, const char* name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::int64_t Integer(const json::object& object, const char* name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  return 0;
}

bool Flag(const json::object& object, const char* name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_bool() && value->get_bool();
}

std::optional<json::object> ObjectOf(const std::string& document) {
  auto parsed = ParseJson(document);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  return std::move(parsed->get_object());
}

}  // namespace

std::string SerializeCompact(const json::value& value) { return json::serialize(value); }

std::optional<json::value> ParseJson(std::string_view text) {
  json::parse_options options;
  options.max_depth = 10000;
  boost::system::error_code error;
  json::value value = json::parse(text, error, {}, options);
  if (error) return std::nullopt;
  return value;
}

std::string ToDocument(const TopicRecord& topic) {
  json::array tags;
  for (const auto& [key, value] : topic.tags) tags.push_back(json::array{json::string(key), json::string(value)});
  return json::serialize(json::object{{"arn", topic.arn},
                                      {"name", topic.name},
                                      {"account", topic.account},
                                      {"region", topic.region},
                                      {"attributes", AttributesToJson(topic.attributes)},
                                      {"tags", std::move(tags)},
                                      {"subscriptions_deleted", topic.subscriptions_deleted},
                                      {"created", topic.created_millis}});
}

std::optional<TopicRecord> TopicFromDocument(const std::string& document) {
  auto object = ObjectOf(document);
  if (!object) return std::nullopt;
  TopicRecord topic;
  topic.arn = Text(*object, "arn");
  if (topic.arn.empty()) return std::nullopt;
  topic.name = Text(*object, "name");
  topic.account = Text(*object, "account");
  topic.region = Text(*object, "region");
  topic.attributes = AttributesFromJson(object->if_contains("attributes"));
  if (const json::value* tags = object->if_contains("tags"); tags != nullptr && tags->is_array()) {
    for (const auto& pair : tags->get_array()) {
      if (pair.is_array() && pair.get_array().size() == 2 && pair.get_array()[0].is_string() &&
          pair.get_array()[1].is_string()) {
        topic.tags.emplace_back(std::string(pair.get_array()[0].get_string()), std::string(pair.get_array()[1].get_string()));
      }
    }
  }
  topic.subscriptions_deleted = static_cast<std::uint64_t>(Integer(*object, "subscriptions_deleted"));
  topic.created_millis = Integer(*object, "created");
  return topic;
}

std::string ToDocument(const SubscriptionRecord& subscription) {
  return json::serialize(json::object{{"arn", subscription.arn},
                                      {"topic", subscription.topic_arn},
                                      {"protocol", subscription.protocol},
                                      {"endpoint", subscription.endpoint},
                                      {"owner", subscription.owner},
                                      {"principal", subscription.principal},
                                      {"pending", subscription.pending},
                                      {"authenticated", subscription.confirmation_authenticated},
                                      {"token", subscription.token},
                                      {"attributes", AttributesToJson(subscription.attributes)},
                                      {"created", subscription.created_millis}});
}

std::optional<SubscriptionRecord> SubscriptionFromDocument(const std::string& document) {
  auto object = ObjectOf(document);
  if (!object) return std::nullopt;
  SubscriptionRecord subscription;
  subscription.arn = Text(*object, "arn");
  if (subscription.arn.empty()) return std::nullopt;
  subscription.topic_arn = Text(*object, "topic");
  subscription.protocol = Text(*object, "protocol");
  subscription.endpoint = Text(*object, "endpoint");
  subscription.owner = Text(*object, "owner");
  subscription.principal = Text(*object, "principal");
  subscription.pending = Flag(*object, "pending");
  subscription.confirmation_authenticated = Flag(*object, "authenticated");
  subscription.token = Text(*object, "token");
  subscription.attributes = AttributesFromJson(object->if_contains("attributes"));
  subscription.created_millis = Integer(*object, "created");
  return subscription;
}

std::string ToDocument(const ConfirmationTokenRecord& token) {
  return json::serialize(json::object{{"token", token.token},
                                      {"subscription", token.subscription_arn},
                                      {"topic", token.topic_arn},
                                      {"created", token.created_millis}});
}

std::optional<ConfirmationTokenRecord> TokenFromDocument(const std::string& document) {
  auto object = ObjectOf(document);
  if (!object) return std::nullopt;
  ConfirmationTokenRecord token;
  token.token = Text(*object, "token");
  token.subscription_arn = Text(*object, "subscription");
  token.topic_arn = Text(*object, "topic");
  token.created_millis = Integer(*object, "created");
  if (token.subscription_arn.empty()) return std::nullopt;
  return token;
}

std::string DefaultTopicPolicy(const std::string& topic_arn, const std::string& account) {
  json::array actions = {"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                         "SNS:RemovePermission",   "SNS:DeleteTopic",        "SNS:Subscribe",
                         "SNS:ListSubscriptionsByTopic", "SNS:Publish"};
  json::object statement{{"Sid", "__default_statement_ID"},
                         {"Effect", "Allow"},
                         {"Principal", json::object{{"AWS", "*"}}},
                         {"Action", std::move(actions)},
                         {"Resource", topic_arn},
                         {"Condition", json::object{{"StringEquals", json::object{{"AWS:SourceOwner", account}}}}}};
  return json::serialize(json::object{{"Version", "2008-10-17"},
                                      {"Id", "__default_policy_ID"},
                                      {"Statement", json::array{std::move(statement)}}});
}

std::string DefaultEffectiveDeliveryPolicy() {
  return R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})";
}

}  // namespace mallard::sns
