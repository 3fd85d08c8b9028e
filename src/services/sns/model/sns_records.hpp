#pragma once
// What SNS keeps about a topic, a subscription and a pending confirmation, and how each is written
// as the JSON document the store holds. Also the ARNs: SNS's own (topics, subscriptions, platform
// objects) and the ones subscribers name (SQS queues), parsed as AWS parses them so that a bad ARN
// is answered with AWS's message ("... An ARN must have at least 6 elements, not 1").
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace mallard::sns {

// The parts of "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE" (RESOURCE may contain ':').
struct Arn {
  std::string partition;
  std::string service;
  std::string region;
  std::string account;
  std::string resource;
  std::string Text() const { return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource; }
};
// `parameter` names the request member in the message ("TopicArn", "SubscriptionArn").
Result<Arn> ParseArn(const std::string& text, const std::string& parameter);

using Tags = std::vector<std::pair<std::string, std::string>>;  // in the order they were given
using AttributeMap = std::map<std::string, std::string>;

struct TopicRecord {
  std::string arn;
  std::string name;
  std::string account;
  std::string region;
  AttributeMap attributes;  // what the user set (DisplayName, Policy, FifoTopic, ...), verbatim
  Tags tags;
  std::uint64_t subscriptions_deleted = 0;
  std::int64_t created_millis = 0;

  bool Fifo() const;
  bool ContentBasedDeduplication() const;
  std::string Attribute(const std::string& name, const std::string& fallback = "") const;
};

struct SubscriptionRecord {
  std::string arn;
  std::string topic_arn;
  std::string protocol;  // "sqs", "http", ...
  std::string endpoint;
  std::string owner;      // the account that subscribed
  std::string principal;  // SubscriptionPrincipal: the caller's ARN at Subscribe
  bool pending = false;   // waits for ConfirmSubscription
  bool confirmation_authenticated = false;
  std::string token;      // the confirmation token while pending
  AttributeMap attributes;  // RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, DeliveryPolicy, ...
  std::int64_t created_millis = 0;

  bool RawMessageDelivery() const;
  std::string Attribute(const std::string& name, const std::string& fallback = "") const;
};

// A token SNS sent with a SubscriptionConfirmation (or UnsubscribeConfirmation).
struct ConfirmationTokenRecord {
  std::string token;
  std::string subscription_arn;
  std::string topic_arn;
  std::int64_t created_millis = 0;
};

std::string ToDocument(const TopicRecord& topic);
std::string ToDocument(const SubscriptionRecord& subscription);
std::string ToDocument(const ConfirmationTokenRecord& token);
// nullopt: the document is not one this version wrote (a corrupt or foreign record).
std::optional<TopicRecord> TopicFromDocument(const std::string& document);
std::optional<SubscriptionRecord> SubscriptionFromDocument(const std::string& document);
std::optional<ConfirmationTokenRecord> TokenFromDocument(const std::string& document);

// The policy a topic gets when none is given: its owner may do everything (AWS's document).
std::string DefaultTopicPolicy(const std::string& topic_arn, const std::string& account);
// The delivery policy AWS reports for a topic without one (http: 3 retries, 20 s apart).
std::string DefaultEffectiveDeliveryPolicy();

// Helpers for the JSON the service builds.
std::string SerializeCompact(const boost::json::value& value);
// Parses JSON with a depth far above Boost's default 32 (policies nest); nullopt when not JSON.
std::optional<boost::json::value> ParseJson(std::string_view text);

}  // namespace mallard::sns
