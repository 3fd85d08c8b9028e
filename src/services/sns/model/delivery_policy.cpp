#include "services/sns/model/delivery_policy.hpp"

#include <boost/json.hpp>

#include <cmath>

#include "services/sns/model/sns_errors.hpp"
#include "services/sns/model/sns_records.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

constexpr int kMaxTotalRetrySeconds = 3600;  // AWS's hard limit on a policy's total retry time

AwsError Invalid(const std::string& reason) {
  return errors::InvalidParameter("Invalid parameter: DeliveryPolicy: " + reason);
}

Result<std::optional<int>> IntegerMember(const json::object& object, const char* name, int min, int max) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<int>();
  if (!value->is_int64() && !value->is_uint64()) return Fail(Invalid(std::string(name) + " must be an integer"));
  std::int64_t number = value->is_int64() ? value->get_int64() : static_cast<std::int64_t>(value->get_uint64());
  if (value->is_uint64() && value->get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) number = INT64_MAX;
  if (number < min || number > max) {
    return Fail(Invalid(std::string(name) + " must be between " + std::to_string(min) + " and " + std::to_string(max)));
  }
  return std::optional<int>(static_cast<int>(number));
}

Result<RetryPolicy> ParseRetry(const json::value& value) {
  if (!value.is_object()) return Fail(Invalid("healthyRetryPolicy must be an object"));
  const auto& object = value.get_object();
  RetryPolicy policy;
  MALLARD_ASSIGN_OR_RETURN(auto min_delay, IntegerMember(object, "minDelayTarget", 1, kMaxTotalRetrySeconds));
  MALLARD_ASSIGN_OR_RETURN(auto max_delay, IntegerMember(object, "maxDelayTarget", 1, kMaxTotalRetrySeconds));
  MALLARD_ASSIGN_OR_RETURN(auto retries, IntegerMember(object, "numRetries", 0, 100));
  MALLARD_ASSIGN_OR_RETURN(auto no_delay, IntegerMember(object, "numNoDelayRetries", 0, 100));
  MALLARD_ASSIGN_OR_RETURN(auto min_retries, IntegerMember(object, "numMinDelayRetries", 0, 100));
  MALLARD_ASSIGN_OR_RETURN(auto max_retries, IntegerMember(object, "numMaxDelayRetries", 0, 100));
  if (min_delay) policy.min_delay_seconds = *min_delay;
  if (max_delay) policy.max_delay_seconds = *max_delay;
  if (retries) policy.num_retries = *retries;
  policy.num_no_delay_retries = no_delay.value_or(0);
  policy.num_min_delay_retries = min_retries.value_or(0);
  policy.num_max_delay_retries = max_retries.value_or(0);
  if (const json::value* function = object.if_contains("backoffFunction"); function != nullptr && !function->is_null()) {
    if (!function->is_string()) return Fail(Invalid("backoffFunction must be a string"));
    std::string name(function->get_string());
    if (name != "linear" && name != "arithmetic" && name != "geometric" && name != "exponential") {
      return Fail(Invalid("backoffFunction must be one of linear, arithmetic, geometric, exponential"));
    }
    policy.backoff_function = name;
  }
  if (policy.min_delay_seconds > policy.max_delay_seconds) {
    return Fail(Invalid("minDelayTarget must be less than or equal to maxDelayTarget"));
  }
  if (policy.num_no_delay_retries + policy.num_min_delay_retries + policy.num_max_delay_retries > policy.num_retries) {
    return Fail(Invalid("numRetries must be greater than or equal to the sum of numNoDelayRetries, numMinDelayRetries "
                        "and numMaxDelayRetries"));
  }
  long total = 0;
  for (int retry = 1; retry <= policy.num_retries; ++retry) total += policy.DelayBeforeRetry(retry).value_or(0);
  if (total > kMaxTotalRetrySeconds) {
    return Fail(Invalid("total retry time must be less than or equal to " + std::to_string(kMaxTotalRetrySeconds) +
                        " seconds"));
  }
  return policy;
}

Status<> ParseThrottle(const json::value& value, HttpDeliveryPolicy& policy) {
  if (!value.is_object()) return Fail(Invalid("throttlePolicy must be an object"));
  MALLARD_ASSIGN_OR_RETURN(auto rate, IntegerMember(value.get_object(), "maxReceivesPerSecond", 1, 1000000));
  policy.max_receives_per_second = rate;
  return Done{};
}

Status<> ParseRequestPolicy(const json::value& value, HttpDeliveryPolicy& policy) {
  if (!value.is_object()) return Fail(Invalid("requestPolicy must be an object"));
  if (const json::value* type = value.get_object().if_contains("headerContentType"); type != nullptr) {
    if (!type->is_string()) return Fail(Invalid("headerContentType must be a string"));
    policy.content_type = std::string(type->get_string());
  }
  return Done{};
}

Result<json::object> ParseObject(const std::string& text) {
  auto parsed = ParseJson(text);
  if (!parsed) return Fail(Invalid("failed to parse JSON"));
  if (!parsed->is_object()) return Fail(Invalid("must be a JSON object"));
  return std::move(parsed->get_object());
}

}  // namespace

std::optional<int> RetryPolicy::DelayBeforeRetry(int retry) const {
  if (retry < 1 || retry > num_retries) return std::nullopt;
  if (retry <= num_no_delay_retries) return 0;
  retry -= num_no_delay_retries;
  if (retry <= num_min_delay_retries) return min_delay_seconds;
  retry -= num_min_delay_retries;
  int backoff_retries = num_retries - num_no_delay_retries - num_min_delay_retries - num_max_delay_retries;
  if (retry > backoff_retries) return max_delay_seconds;
  // The i-th of n backoff retries waits between min and max along the named curve.
  double fraction = static_cast<double>(retry) / backoff_retries;
  if (backoff_function == "arithmetic") {
    fraction = static_cast<double>(retry) * (retry + 1) / (static_cast<double>(backoff_retries) * (backoff_retries + 1));
  } else if (backoff_function == "geometric") {
    fraction = (std::pow(2.0, retry) - 1) / (std::pow(2.0, backoff_retries) - 1);
  } else if (backoff_function == "exponential") {
    fraction = (std::pow(4.0, retry) - 1) / (std::pow(4.0, backoff_retries) - 1);
  }
  return static_cast<int>(std::lround(min_delay_seconds + (max_delay_seconds - min_delay_seconds) * fraction));
}

Result<std::optional<HttpDeliveryPolicy>> ParseTopicDeliveryPolicy(const std::string& text) {
  if (text.empty()) return std::optional<HttpDeliveryPolicy>();
  MALLARD_ASSIGN_OR_RETURN(auto object, ParseObject(text));
  HttpDeliveryPolicy policy;
  if (const json::value* http = object.if_contains("http"); http != nullptr) {
    if (!http->is_object()) return Fail(Invalid("http must be an object"));
    const auto& members = http->get_object();
    if (const json::value* retry = members.if_contains("defaultHealthyRetryPolicy")) {
      MALLARD_ASSIGN_OR_RETURN(policy.retry, ParseRetry(*retry));
    }
    if (const json::value* throttle = members.if_contains("defaultThrottlePolicy")) {
      MALLARD_RETURN_IF_ERROR(ParseThrottle(*throttle, policy));
    }
    if (const json::value* request = members.if_contains("defaultRequestPolicy")) {
      MALLARD_RETURN_IF_ERROR(ParseRequestPolicy(*request, policy));
    }
    if (const json::value* disable = members.if_contains("disableSubscriptionOverrides")) {
      if (!disable->is_bool()) return Fail(Invalid("disableSubscriptionOverrides must be a boolean"));
      policy.disable_subscription_overrides = disable->get_bool();
    }
  }
  return std::optional<HttpDeliveryPolicy>(policy);
}

Result<std::optional<HttpDeliveryPolicy>> ParseSubscriptionDeliveryPolicy(const std::string& text) {
  if (text.empty()) return std::optional<HttpDeliveryPolicy>();
  MALLARD_ASSIGN_OR_RETURN(auto object, ParseObject(text));
  HttpDeliveryPolicy policy;
  if (const json::value* retry = object.if_contains("healthyRetryPolicy")) {
    MALLARD_ASSIGN_OR_RETURN(policy.retry, ParseRetry(*retry));
  }
  if (const json::value* throttle = object.if_contains("throttlePolicy")) {
    MALLARD_RETURN_IF_ERROR(ParseThrottle(*throttle, policy));
  }
  if (const json::value* request = object.if_contains("requestPolicy")) {
    MALLARD_RETURN_IF_ERROR(ParseRequestPolicy(*request, policy));
  }
  return std::optional<HttpDeliveryPolicy>(policy);
}

HttpDeliveryPolicy EffectiveDeliveryPolicy(const std::string& topic_policy, const std::string& subscription_policy) {
  auto topic = ParseTopicDeliveryPolicy(topic_policy);
  HttpDeliveryPolicy effective = topic && *topic ? **topic : HttpDeliveryPolicy{};
  if (effective.disable_subscription_overrides) return effective;
  auto subscription = ParseSubscriptionDeliveryPolicy(subscription_policy);
  if (subscription && *subscription) return **subscription;
  return effective;
}

std::string EffectiveSubscriptionDeliveryPolicyText(const HttpDeliveryPolicy& policy) {
  json::object retry{{"minDelayTarget", policy.retry.min_delay_seconds},
                     {"maxDelayTarget", policy.retry.max_delay_seconds},
                     {"numRetries", policy.retry.num_retries},
                     {"numMaxDelayRetries", policy.retry.num_max_delay_retries},
                     {"numNoDelayRetries", policy.retry.num_no_delay_retries},
                     {"numMinDelayRetries", policy.retry.num_min_delay_retries},
                     {"backoffFunction", policy.retry.backoff_function}};
  json::object out{{"healthyRetryPolicy", std::move(retry)},
                   {"sicklyRetryPolicy", nullptr},
                   {"throttlePolicy", policy.max_receives_per_second
                                          ? json::value(json::object{{"maxReceivesPerSecond", *policy.max_receives_per_second}})
                                          : json::value(nullptr)},
                   {"requestPolicy", json::object{{"headerContentType", policy.content_type}}},
                   {"guaranteed", false}};
  return json::serialize(out);
}

}  // namespace mallard::sns
