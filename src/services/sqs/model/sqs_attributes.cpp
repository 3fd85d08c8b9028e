#include "services/sqs/model/sqs_attributes.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <set>

#include "services/sqs/model/sqs_errors.hpp"
#include "services/sqs/model/sqs_validation.hpp"

namespace mallard::sqs {
namespace json = boost::json;

namespace {

struct IntRange {
  const char* name;
  std::int64_t min;
  std::int64_t max;
};
constexpr IntRange kIntegerAttributes[] = {
    {"DelaySeconds", 0, 900},
    {"MaximumMessageSize", 1024, static_cast<std::int64_t>(kMaxMessageBytes)},
    {"MessageRetentionPeriod", 60, 1209600},
    {"ReceiveMessageWaitTimeSeconds", 0, 20},
    {"VisibilityTimeout", 0, 43200},
    {"KmsDataKeyReusePeriodSeconds", 60, 86400},
};

const std::set<std::string>& ComputedAttributes() {
  static const std::set<std::string> names = {
      "All", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
      "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"};
  return names;
}

const std::set<std::string>& SettableAttributes() {
  static const std::set<std::string> names = {
      "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
      "VisibilityTimeout", "KmsDataKeyReusePeriodSeconds", "Policy", "RedrivePolicy", "RedriveAllowPolicy",
      "KmsMasterKeyId", "SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope",
      "FifoThroughputLimit"};
  return names;
}

AwsError InvalidValue(const std::string& name) {
  return errors::InvalidAttributeValue("Invalid value for the parameter " + name + ".");
}

std::optional<std::int64_t> ParseInt(const std::string& text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<std::string> ParseBool(const std::string& text) {
  std::string lower = text;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "false") return lower;
  return std::nullopt;
}

Result<std::string> CanonicalRedrivePolicy(const std::string& text) {
  if (text.empty() || text == "{}") return std::string();
  boost::system::error_code error;
  json::value parsed = json::parse(text, error);
  auto invalid = [&](const std::string& reason) {
    return errors::InvalidParameterValue("Value " + text + " for parameter RedrivePolicy is invalid. Reason: " + reason);
  };
  if (error || !parsed.is_object()) return Fail(invalid("Redrive policy is not a valid JSON map."));
  const auto& object = parsed.get_object();
  const auto* target = object.if_contains("deadLetterTargetArn");
  const auto* count = object.if_contains("maxReceiveCount");
  if (!target || !target->is_string() || !count) {
    return Fail(invalid("Redrive policy does not contain mandatory attribute: " +
                        std::string(!target ? "deadLetterTargetArn" : "maxReceiveCount") + "."));
  }
  std::optional<std::int64_t> max_count;
  if (count->is_int64()) max_count = count->get_int64();
  if (count->is_string()) max_count = ParseInt(std::string(count->get_string()));
  if (!max_count || *max_count < 1 || *max_count > 1000) {
    return Fail(invalid("Invalid value for maxReceiveCount: " + json::serialize(*count) +
                        ", valid values are from 1 to 1000 both inclusive."));
  }
  if (!QueueKeyFromArn(std::string(target->get_string()))) return Fail(invalid("Invalid value for deadLetterTargetArn."));
  json::object canonical;
  canonical["deadLetterTargetArn"] = target->get_string();
  canonical["maxReceiveCount"] = *max_count;
  return json::serialize(canonical);
}

Result<std::string> CanonicalRedriveAllowPolicy(const std::string& text) {
  if (text.empty()) return std::string();
  boost::system::error_code error;
  json::value parsed = json::parse(text, error);
  auto invalid = [&](const std::string& reason) {
    return errors::InvalidParameterValue("Value " + text + " for parameter RedriveAllowPolicy is invalid. Reason: " + reason);
  };
  if (error || !parsed.is_object()) return Fail(invalid("Redrive allow policy is not a valid JSON map."));
  const auto& object = parsed.get_object();
  const auto* permission = object.if_contains("redrivePermission");
  if (!permission || !permission->is_string()) return Fail(invalid("Amazon SQS can't find a redrivePermission."));
  std::string mode(permission->get_string());
  const auto* sources = object.if_contains("sourceQueueArns");
  if (mode == "byQueue") {
    if (!sources || !sources->is_array() || sources->get_array().empty()) {
      return Fail(invalid("Amazon SQS can't find any source queue ARNs. You must specify a source queue ARN to use byQueue."));
    }
    if (sources->get_array().size() > 10) return Fail(invalid("Amazon SQS supports a maximum of 10 source queue ARNs."));
    for (const auto& arn : sources->get_array()) {
      if (!arn.is_string() || !QueueKeyFromArn(std::string(arn.get_string()))) {
        return Fail(invalid("Invalid source queue ARN."));
      }
    }
  } else if (mode == "allowAll" || mode == "denyAll") {
    if (sources) return Fail(invalid("Only specify source queue ARNs with the redrivePermission byQueue."));
  } else {
    return Fail(invalid("Invalid value for redrivePermission: " + mode + "."));
  }
  return json::serialize(object);
}

}  // namespace

AttributeMap DefaultQueueAttributes(bool fifo) {
  AttributeMap attributes = {
      {"DelaySeconds", "0"},          {"MaximumMessageSize", std::to_string(kMaxMessageBytes)}, {"MessageRetentionPeriod", "345600"},
      {"ReceiveMessageWaitTimeSeconds", "0"}, {"VisibilityTimeout", "30"}, {"SqsManagedSseEnabled", "true"},
  };
  if (fifo) {
    attributes["FifoQueue"] = "true";
    attributes["ContentBasedDeduplication"] = "false";
    attributes["DeduplicationScope"] = "queue";
    attributes["FifoThroughputLimit"] = "perQueue";
  }
  return attributes;
}

bool IsKnownQueueAttribute(const std::string& name) {
  return SettableAttributes().count(name) || ComputedAttributes().count(name);
}

Result<AttributeMap> ValidateQueueAttributes(const json::object& given, bool fifo, bool creating) {
  AttributeMap result;
  for (const auto& entry : given) {
    std::string name(entry.key());
    if (!SettableAttributes().count(name)) {
      return Fail(errors::InvalidAttributeName(name));
    }
    std::string value = entry.value().is_string() ? std::string(entry.value().get_string())
                                                  : json::serialize(entry.value());
    bool handled = false;
    for (const auto& range : kIntegerAttributes) {
      if (name != range.name) continue;
      auto number = ParseInt(value);
      if (!number || *number < range.min || *number > range.max) return Fail(InvalidValue(name));
      value = std::to_string(*number);
      handled = true;
    }
    if (handled) {
    } else if (name == "FifoQueue") {
      // As AWS answers (recorded in LocalStack's AWS-validated snapshots): a standard queue knows no
      // FifoQueue attribute, whatever its value, at creation or later; a FIFO queue accepts
      // FifoQueue=true again and refuses false.
      auto flag = ParseBool(value);
      if (!flag) return Fail(InvalidValue(name));
      if (!fifo) return Fail(errors::InvalidAttributeName(name));
      if (*flag == "false") {
        return Fail(errors::InvalidAttributeValue(
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."));
      }
      if (!creating) continue;
      value = *flag;
    } else if (name == "ContentBasedDeduplication" || name == "SqsManagedSseEnabled") {
      auto flag = ParseBool(value);
      if (!flag) return Fail(InvalidValue(name));
      if (name == "ContentBasedDeduplication" && !fifo) return Fail(errors::InvalidAttributeName(name));
      value = *flag;
    } else if (name == "DeduplicationScope") {
      if (!fifo) return Fail(errors::FifoOnlyAttribute(name));
      if (value != "messageGroup" && value != "queue") return Fail(InvalidValue(name));
    } else if (name == "FifoThroughputLimit") {
      if (!fifo) return Fail(errors::FifoOnlyAttribute(name));
      if (value != "perQueue" && value != "perMessageGroupId") return Fail(InvalidValue(name));
    } else if (name == "RedrivePolicy") {
      MALLARD_ASSIGN_OR_RETURN(value, CanonicalRedrivePolicy(value));
    } else if (name == "RedriveAllowPolicy") {
      MALLARD_ASSIGN_OR_RETURN(value, CanonicalRedriveAllowPolicy(value));
    } else if (name == "Policy") {
      if (!value.empty()) {
        boost::system::error_code error;
        auto parsed = json::parse(value, error);
        if (error || !parsed.is_object()) return Fail(InvalidValue(name));
      }
    } else if (name == "KmsMasterKeyId") {
      // Echoed by GetQueueAttributes: only characters a response can carry.
      if (value.size() > 2048 || !IsValidMessageText(value)) return Fail(InvalidValue(name));
    }
    result[name] = value;
  }
  auto scope = result.find("DeduplicationScope");
  auto limit = result.find("FifoThroughputLimit");
  if (limit != result.end() && limit->second == "perMessageGroupId" && scope != result.end() &&
      scope->second == "queue") {
    return Fail(errors::InvalidAttributeValue(
        "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup."));
  }
  return result;
}

std::int64_t AttributeInt(const AttributeMap& attributes, const std::string& name, std::int64_t fallback) {
  auto found = attributes.find(name);
  if (found == attributes.end()) return fallback;
  return ParseInt(found->second).value_or(fallback);
}

std::optional<RedrivePolicy> ParseRedrivePolicy(const AttributeMap& attributes) {
  auto found = attributes.find("RedrivePolicy");
  if (found == attributes.end() || found->second.empty()) return std::nullopt;
  boost::system::error_code error;
  auto parsed = json::parse(found->second, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const auto& object = parsed.get_object();
  RedrivePolicy policy;
  if (const auto* arn = object.if_contains("deadLetterTargetArn"); arn && arn->is_string()) {
    policy.dead_letter_target_arn = std::string(arn->get_string());
  }
  if (const auto* count = object.if_contains("maxReceiveCount"); count && count->is_int64()) {
    policy.max_receive_count = count->get_int64();
  }
  if (policy.dead_letter_target_arn.empty() || policy.max_receive_count < 1) return std::nullopt;
  return policy;
}

std::optional<QueueKey> QueueKeyFromArn(const std::string& arn) {
  // arn:aws:sqs:REGION:ACCOUNT:NAME (the partition may be aws, aws-cn, aws-us-gov)
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int index = 0; index < 5; ++index) {
    auto colon = arn.find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(arn.substr(start));
  if (parts[0] != "arn" || parts[2] != "sqs" || parts[3].empty() || parts[4].empty() || parts[5].empty()) {
    return std::nullopt;
  }
  return QueueKey{parts[4], parts[3], parts[5]};
}

}  // namespace mallard::sqs
