// Subscriptions: subscribe (idempotent per endpoint, confirmation for endpoints that must opt in),
// confirm, unsubscribe, listings and attributes, each validated as AWS validates it.
#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "common/ids.hpp"
#include "services/sns/filter/json_syntax_error.hpp"
#include "services/sns/model/delivery_policy.hpp"
#include "services/sns/model/sns_errors.hpp"
#include "services/sns/sns_input.hpp"
#include "services/sns/model/phone_numbers.hpp"
#include "services/sns/sns_service.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

constexpr std::size_t kFifoSubscriptionsPerTopic = 100;
constexpr std::size_t kSubscriptionsPerTopic = 12500000;
constexpr std::size_t kLargeMessageSubscriptionsPerTopic = 100;  // topics with MaximumMessageSize above 256 KiB
constexpr std::size_t kFilterPoliciesPerTopic = 200;

const std::set<std::string>& Protocols() {
  static const std::set<std::string> protocols = {"http", "https", "email", "email-json", "sms",
                                                  "sqs",  "application", "lambda", "firehose"};
  return protocols;
}

const std::set<std::string>& SubscriptionAttributeNames() {
  static const std::set<std::string> names = {"DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
                                              "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy"};
  return names;
}

std::string Lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A confirmation token as AWS shapes one: long, hex, unguessable.
std::string NewToken() {
  std::string token;
  while (token.size() < 256) {
    std::string id = NewUuid();
    id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
    token += id;
  }
  return token.substr(0, 256);
}

}  // namespace

// Validates one subscription attribute. Subscribe words its errors "Invalid parameter: Attributes
// Reason: …", SetSubscriptionAttributes "Invalid parameter: …".
static Status<> CheckSubscriptionAttribute(const std::string& name, std::string& value, const std::string& protocol,
                                           const std::string& topic_arn, const std::string& endpoint,
                                           const std::string& filter_scope, bool subscribe_call) {
  const std::string prefix = subscribe_call ? "Invalid parameter: Attributes Reason: " : "Invalid parameter: ";
  auto invalid = [&](const std::string& reason) { return Fail(errors::InvalidParameter(prefix + reason)); };
  if (SubscriptionAttributeNames().count(name) == 0) return invalid("AttributeName");
  if (name == "RawMessageDelivery") {
    std::string lowered = Lowered(value);
    if (lowered != "true" && lowered != "false") {
      return invalid("RawMessageDelivery: Invalid value [" + value + "]. Must be true or false.");
    }
    if (lowered == "true" && protocol != "sqs" && protocol != "http" && protocol != "https" && protocol != "firehose") {
      return invalid("Delivery protocol [" + protocol + "] does not support raw message delivery.");
    }
    value = lowered;
  } else if (name == "FilterPolicyScope") {
    if (value != "MessageAttributes" && value != "MessageBody") {
      return invalid("FilterPolicyScope: Invalid value [" + value + "]. Please use either MessageBody or MessageAttributes");
    }
  } else if (name == "FilterPolicy") {
    if (value.empty()) return Done{};
    auto parsed = FilterPolicy::Parse(value, filter_scope == "MessageBody" ? FilterPolicyScope::MessageBody
                                                                          : FilterPolicyScope::MessageAttributes);
    if (!parsed) {
      const auto& failure = parsed.error();
      std::string message = subscribe_call && !failure.subscribe_message.empty() ? failure.subscribe_message : failure.message;
      AwsError error = errors::InvalidParameter(message);
      if (!parsed.error().code.empty()) error.code = error.query_code = parsed.error().code;
      return Fail(error);
    }
  } else if (name == "RedrivePolicy") {
    if (value.empty()) return Done{};
    auto parsed = ParseJson(value);
    if (!parsed) {
      std::string detail = JacksonSyntaxError(value);
      return invalid("RedrivePolicy: failed to parse JSON." + (detail.empty() ? std::string() : " " + detail));
    }
    if (!parsed->is_object()) return invalid("RedrivePolicy: deadLetterTargetArn is an invalid arn");
    const json::value* target = parsed->get_object().if_contains("deadLetterTargetArn");
    std::string dlq = target != nullptr && target->is_string() ? std::string(target->get_string()) : std::string();
    auto arn = ParseArn(dlq, "deadLetterTargetArn");
    if (!arn || arn->service != "sqs") return invalid("RedrivePolicy: deadLetterTargetArn is an invalid arn");
    if (EndsWith(topic_arn, ".fifo") && EndsWith(endpoint, ".fifo") && !EndsWith(arn->resource, ".fifo")) {
      return invalid("RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.");
    }
  } else if (name == "DeliveryPolicy") {
    if (value.empty()) return Done{};
    if (protocol != "http" && protocol != "https") {
      return invalid("DeliveryPolicy: Delivery policy is only supported for http and https protocols");
    }
    auto policy = ParseSubscriptionDeliveryPolicy(value);
    if (!policy) return Fail(policy.error());
  } else if (name == "SubscriptionRoleArn") {
    auto arn = ParseArn(value, "SubscriptionRoleArn");
    if (!arn || arn->service != "iam") return invalid("SubscriptionRoleArn");
  } else if (name == "ReplayPolicy") {
    auto parsed = ParseJson(value);
    if (!value.empty() && (!parsed || !parsed->is_object())) return invalid("ReplayPolicy: failed to parse JSON.");
  }
  return Done{};
}

protocol::OperationResult SnsService::Subscribe(const Request& request) {
  std::string topic_arn = input::TextOr(request.input, "TopicArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed_topic, ParseArn(topic_arn, "TopicArn"));
  if (parsed_topic.region != request.context.region) return Fail(errors::InvalidParameter("Invalid parameter: TopicArn"));
  std::string protocol = input::TextOr(request.input, "Protocol");
  std::string endpoint = input::TextOr(request.input, "Endpoint");
  if (Protocols().count(protocol) == 0) {
    return Fail(errors::InvalidParameter("Invalid parameter: Amazon SNS does not support this protocol string: " + protocol));
  }
  if (endpoint.empty()) return Fail(errors::InvalidParameter("Invalid parameter: Endpoint"));
  if ((protocol == "http" || protocol == "https") && endpoint.rfind(protocol + "://", 0) != 0) {
    return Fail(errors::InvalidParameter("Invalid parameter: Endpoint must match the specified protocol"));
  }
  if ((protocol == "email" || protocol == "email-json") &&
      (endpoint.find('@') == std::string::npos || endpoint.front() == '@' || endpoint.back() == '@')) {
    return Fail(errors::InvalidParameter("Invalid parameter: Email address"));
  }
  if (protocol == "sms" && !ValidSmsEndpoint(endpoint)) {
    return Fail(errors::InvalidParameter("Invalid SMS endpoint: " + endpoint));
  }
  std::optional<Arn> endpoint_arn;
  if (protocol == "sqs" || protocol == "lambda" || protocol == "firehose" || protocol == "application") {
    auto parsed = ParseArn(endpoint, "Endpoint");
    std::string expected = protocol == "application" ? "sns" : protocol;
    if (!parsed || parsed->service != expected) {
      static const std::map<std::string, std::string> kWhat = {
          {"sqs", "SQS endpoint ARN"}, {"lambda", "Lambda endpoint ARN"}, {"firehose", "Firehose endpoint ARN"},
          {"application", "ApplicationEndpoint ARN"}};
      return Fail(errors::InvalidParameter("Invalid parameter: " + kWhat.at(protocol)));
    }
    endpoint_arn = *parsed;
  }
  MALLARD_ASSIGN_OR_RETURN(auto loaded, TopicForAction(request, "TopicArn", "Subscribe"));
  const TopicRecord& topic = loaded.first;
  if (protocol == "sqs" && !topic.Fifo() && EndsWith(endpoint, ".fifo")) {
    return Fail(errors::InvalidParameter(
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"));
  }
  if (topic.Fifo() && protocol != "sqs" && protocol != "lambda" && protocol != "firehose") {
    return Fail(errors::InvalidParameter("Invalid parameter: Invalid protocol type: " + protocol));
  }
  if (protocol == "application") {
    auto found = store_->Get(Collection::PlatformEndpoint, endpoint);
    if (!found) return Fail(errors::FromStore(found.error()));
    if (!*found) {
      return Fail(errors::InvalidParameter("Invalid parameter: Endpoint Reason: Endpoint does not exist for endpoint arn" +
                                           endpoint));
    }
  }
  AttributeMap attributes = input::Map(request.input, "Attributes");
  std::string scope = attributes.count("FilterPolicyScope") ? attributes["FilterPolicyScope"] : "MessageAttributes";
  if (scope != "MessageAttributes" && scope != "MessageBody") scope = "MessageAttributes";
  for (auto& [name, value] : attributes) {
    MALLARD_RETURN_IF_ERROR(CheckSubscriptionAttribute(name, value, protocol, topic_arn, endpoint, scope, true));
  }
  if (protocol == "firehose" && attributes.count("SubscriptionRoleArn") == 0) {
    return Fail(errors::InvalidParameter("Invalid parameter: Attributes Reason: SubscriptionRoleArn is required for firehose subscriptions"));
  }
  if (attributes.count("FilterPolicy") && attributes["FilterPolicy"].empty()) attributes.erase("FilterPolicy");

  MALLARD_ASSIGN_OR_RETURN(auto existing, SubscriptionsOf(topic.arn));
  // One subscription per (protocol, endpoint): subscribing again answers the same one, unless the
  // attributes asked for differ from it.
  for (const auto& subscription : existing) {
    if (subscription.protocol != protocol || subscription.endpoint != endpoint) continue;
    for (const auto& [name, value] : attributes) {
      if (subscription.Attribute(name) != value) {
        return Fail(errors::InvalidParameter(
            "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"));
      }
    }
    bool show_arn = !subscription.pending || input::Flag(request.input, "ReturnSubscriptionArn");
    return Json{{"SubscriptionArn", show_arn ? subscription.arn : std::string("pending confirmation")}};
  }
  std::size_t limit = topic.Fifo() ? kFifoSubscriptionsPerTopic : kSubscriptionsPerTopic;
  if (std::stoll(topic.Attribute("MaximumMessageSize", "262144")) > 262144) limit = kLargeMessageSubscriptionsPerTopic;
  if (existing.size() >= limit) return Fail(errors::SubscriptionLimitExceeded());
  if (attributes.count("FilterPolicy")) {
    std::size_t with_policies = 0;
    for (const auto& subscription : existing) with_policies += subscription.attributes.count("FilterPolicy");
    if (with_policies >= kFilterPoliciesPerTopic) return Fail(errors::FilterPolicyLimitExceeded());
  }

  SubscriptionRecord subscription;
  subscription.arn = topic.arn + ":" + NewUuid();
  subscription.topic_arn = topic.arn;
  subscription.protocol = protocol;
  subscription.endpoint = endpoint;
  subscription.owner = request.context.account_id;
  subscription.principal = request.context.caller_arn;
  subscription.attributes = std::move(attributes);
  if (subscription.attributes.count("RawMessageDelivery") == 0) subscription.attributes["RawMessageDelivery"] = "false";
  if (subscription.attributes.count("FilterPolicy") && subscription.attributes.count("FilterPolicyScope") == 0) {
    subscription.attributes["FilterPolicyScope"] = "MessageAttributes";
  }
  subscription.created_millis = Now();
  // Endpoints a subscriber does not own must opt in: HTTP/S and email always, a queue or function
  // of another account than the caller's.
  bool foreign = endpoint_arn && (protocol == "sqs" || protocol == "lambda") && endpoint_arn->account != request.context.account_id;
  subscription.pending = protocol == "http" || protocol == "https" || protocol == "email" || protocol == "email-json" || foreign;
  subscription.confirmation_authenticated = !subscription.pending;
  std::string token;
  if (subscription.pending) {
    token = NewToken();
    subscription.token = token;
  }
  auto put = store_->Put(Collection::Subscription, subscription.arn, ToDocument(subscription), 0);
  if (!put) return Fail(errors::FromStore(put.error()));
  if (subscription.pending) {
    ConfirmationTokenRecord record{token, subscription.arn, topic.arn, Now()};
    auto saved = store_->Put(Collection::ConfirmationToken, token, ToDocument(record), 0);
    if (!saved) return Fail(errors::FromStore(saved.error()));
    SendSubscriptionConfirmation(request, subscription, topic, token, false);
  }
  bool show_arn = !subscription.pending || input::Flag(request.input, "ReturnSubscriptionArn");
  return Json{{"SubscriptionArn", show_arn ? subscription.arn : std::string("pending confirmation")}};
}

protocol::OperationResult SnsService::ConfirmSubscription(const Request& request) {
  std::string topic_arn = input::TextOr(request.input, "TopicArn");
  std::string token = input::TextOr(request.input, "Token");
  auto parsed = ParseArn(topic_arn, "TopicArn");
  if (!parsed) return Fail(errors::InvalidParameter("Invalid parameter: Topic"));
  // As AWS answers (recorded): a token that is not hexadecimal is "Invalid token"; one that could
  // be a token but names no pending confirmation is "Invalid parameter: Token". The token names
  // its subscription, so a TopicArn that differs only in name is not checked, but its region is.
  bool hexadecimal = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
  if (!hexadecimal) return Fail(errors::InvalidParameter("Invalid token"));
  auto record = store_->Get(Collection::ConfirmationToken, token);
  if (!record) return Fail(errors::FromStore(record.error()));
  if (!*record) return Fail(errors::InvalidParameter("Invalid parameter: Token"));
  auto confirmation = TokenFromDocument((*record)->document);
  if (!confirmation) return Fail(errors::InvalidParameter("Invalid parameter: Token"));
  auto token_topic = ParseArn(confirmation->topic_arn, "TopicArn");
  if (!token_topic || token_topic->region != parsed->region) return Fail(errors::InvalidParameter("Invalid parameter: Topic"));
  bool authenticate = input::Flag(request.input, "AuthenticateOnUnsubscribe");
  auto updated = UpdateSubscription(confirmation->subscription_arn, [&](SubscriptionRecord& subscription) -> Status<> {
    // Confirming twice answers the same ARN and changes nothing.
    if (!subscription.pending) return Done{};
    subscription.pending = false;
    subscription.confirmation_authenticated = authenticate;
    return Done{};
  });
  if (!updated) {
    if (updated.error().code == "NotFound") return Fail(errors::InvalidParameter("Invalid parameter: Token"));
    return Fail(updated.error());
  }
  return Json{{"SubscriptionArn", updated->arn}};
}

protocol::OperationResult SnsService::Unsubscribe(const Request& request) {
  std::string arn = input::TextOr(request.input, "SubscriptionArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, "SubscriptionArn"));
  // A topic ARN (no subscription id after it) names no subscription.
  if (parsed.resource.find(':') == std::string::npos) return Fail(errors::InvalidParameter("Invalid parameter: SubscriptionId"));
  auto loaded = LoadSubscription(arn);
  if (!loaded) {
    // Unsubscribing twice succeeds, as in AWS.
    if (loaded.error().code == "NotFound") return Json{};
    return Fail(loaded.error());
  }
  const auto& subscription = loaded->first;
  // The subscriber's or the topic owner's account may unsubscribe. Anyone else only through the
  // UnsubscribeURL (an unsigned request), and not even so once the subscription was confirmed with
  // AuthenticateOnUnsubscribe.
  auto topic = LoadTopic(subscription.topic_arn);
  std::string topic_owner = topic ? topic->account : parsed.account;
  bool owner = request.context.account_id == subscription.owner || request.context.account_id == topic_owner;
  bool signed_request = !request.context.access_key_id.empty();
  if (!owner && (signed_request || subscription.confirmation_authenticated)) {
    return Fail(errors::AuthorizationError("User: " + request.context.caller_arn +
                                           " is not authorized to perform: SNS:Unsubscribe on resource: " + arn));
  }
  auto removed = store_->Delete(Collection::Subscription, arn);
  if (!removed && removed.error().code != StoreErrc::NotFound) return Fail(errors::FromStore(removed.error()));
  if (!subscription.token.empty()) (void)store_->Delete(Collection::ConfirmationToken, subscription.token);
  if (topic) {
    (void)UpdateTopic(topic->arn, [](TopicRecord& record) -> Status<> {
      ++record.subscriptions_deleted;
      return Done{};
    });
    // An HTTP/S subscriber hears that it was unsubscribed, with a token to subscribe again.
    if (subscription.protocol == "http" || subscription.protocol == "https") {
      std::string token = NewToken();
      ConfirmationTokenRecord record{token, subscription.arn, topic->arn, Now()};
      (void)store_->Put(Collection::ConfirmationToken, token, ToDocument(record), 0);
      SendSubscriptionConfirmation(request, subscription, *topic, token, true);
    }
  }
  return Json{};
}

namespace {

json::object SubscriptionSummary(const SubscriptionRecord& subscription) {
  return json::object{{"SubscriptionArn", subscription.pending ? std::string("PendingConfirmation") : subscription.arn},
              {"Owner", subscription.owner},
              {"Protocol", subscription.protocol},
              {"Endpoint", subscription.endpoint},
              {"TopicArn", subscription.topic_arn}};
}

json::object SubscriptionsPage(const ListingPage& page) {
  json::array subscriptions;
  for (const auto& record : page.records) {
    if (auto subscription = SubscriptionFromDocument(record.document)) subscriptions.push_back(SubscriptionSummary(*subscription));
  }
  json::object output{{"Subscriptions", std::move(subscriptions)}};
  if (page.next_token) output["NextToken"] = *page.next_token;
  return output;
}


}  // namespace

protocol::OperationResult SnsService::ListSubscriptions(const Request& request) {
  const std::string prefix = "arn:aws:sns:" + request.context.region + ":" + request.context.account_id + ":";
  MALLARD_ASSIGN_OR_RETURN(auto page, ListPage(Collection::Subscription, prefix, request.input));
  return SubscriptionsPage(page);
}

protocol::OperationResult SnsService::ListSubscriptionsByTopic(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto loaded, TopicForAction(request, "TopicArn", "ListSubscriptionsByTopic"));
  MALLARD_ASSIGN_OR_RETURN(auto page, ListPage(Collection::Subscription, loaded.first.arn + ":", request.input));
  return SubscriptionsPage(page);
}

protocol::OperationResult SnsService::GetSubscriptionAttributes(const Request& request) {
  std::string arn = input::TextOr(request.input, "SubscriptionArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, "SubscriptionArn"));
  (void)parsed;
  MALLARD_ASSIGN_OR_RETURN(auto loaded, LoadSubscription(arn));
  const auto& subscription = loaded.first;
  Json attributes;
  for (const auto& [name, value] : subscription.attributes) attributes[name] = value;
  attributes["SubscriptionArn"] = subscription.arn;
  attributes["TopicArn"] = subscription.topic_arn;
  attributes["Owner"] = subscription.owner;
  attributes["Protocol"] = subscription.protocol;
  attributes["Endpoint"] = subscription.endpoint;
  attributes["PendingConfirmation"] = subscription.pending ? "true" : "false";
  attributes["ConfirmationWasAuthenticated"] = subscription.confirmation_authenticated ? "true" : "false";
  attributes["SubscriptionPrincipal"] = subscription.principal;
  if (!attributes.contains("RawMessageDelivery")) attributes["RawMessageDelivery"] = "false";
  if (subscription.protocol == "http" || subscription.protocol == "https") {
    std::string topic_policy;
    if (auto topic = LoadTopic(subscription.topic_arn)) topic_policy = topic->Attribute("DeliveryPolicy");
    attributes["EffectiveDeliveryPolicy"] =
        EffectiveSubscriptionDeliveryPolicyText(EffectiveDeliveryPolicy(topic_policy, subscription.Attribute("DeliveryPolicy")));
  }
  return Json{{"Attributes", std::move(attributes)}};
}

protocol::OperationResult SnsService::SetSubscriptionAttributes(const Request& request) {
  std::string arn = input::TextOr(request.input, "SubscriptionArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, "SubscriptionArn"));
  (void)parsed;
  std::string name = input::TextOr(request.input, "AttributeName");
  std::string value = input::TextOr(request.input, "AttributeValue");
  MALLARD_ASSIGN_OR_RETURN(auto loaded, LoadSubscription(arn));
  const auto& current = loaded.first;
  std::string scope = current.Attribute("FilterPolicyScope", "MessageAttributes");
  if (name == "FilterPolicyScope") scope = value;
  MALLARD_RETURN_IF_ERROR(
      CheckSubscriptionAttribute(name, value, current.protocol, current.topic_arn, current.endpoint, scope, false));
  // A new scope must still read the policy the subscription has.
  if (name == "FilterPolicyScope" && !current.Attribute("FilterPolicy").empty()) {
    std::string policy = current.Attribute("FilterPolicy");
    MALLARD_RETURN_IF_ERROR(CheckSubscriptionAttribute("FilterPolicy", policy, current.protocol, current.topic_arn,
                                                       current.endpoint, scope, false));
  }
  if (name == "FilterPolicy" && !value.empty() && current.Attribute("FilterPolicy").empty()) {
    MALLARD_ASSIGN_OR_RETURN(auto siblings, SubscriptionsOf(current.topic_arn));
    std::size_t with_policies = 0;
    for (const auto& subscription : siblings) with_policies += subscription.attributes.count("FilterPolicy");
    if (with_policies >= kFilterPoliciesPerTopic) return Fail(errors::FilterPolicyLimitExceeded());
  }
  MALLARD_ASSIGN_OR_RETURN(auto updated, UpdateSubscription(arn, [&](SubscriptionRecord& subscription) -> Status<> {
    if (value.empty() && (name == "FilterPolicy" || name == "RedrivePolicy" || name == "DeliveryPolicy" ||
                          name == "ReplayPolicy")) {
      subscription.attributes.erase(name);
      if (name == "FilterPolicy") subscription.attributes.erase("FilterPolicyScope");
      return Done{};
    }
    subscription.attributes[name] = value;
    if (name == "FilterPolicy" && subscription.attributes.count("FilterPolicyScope") == 0) {
      subscription.attributes["FilterPolicyScope"] = "MessageAttributes";
    }
    return Done{};
  }));
  (void)updated;
  return Json{};
}

}  // namespace mallard::sns
