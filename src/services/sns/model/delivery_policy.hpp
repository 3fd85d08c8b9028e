#pragma once
// HTTP/S delivery policies: how often and how far apart SNS retries a failed delivery (phases: no
// delay, pre-backoff at minDelayTarget, backoff from min to max by backoffFunction, post-backoff at
// maxDelayTarget; 1 + numRetries attempts in all), how fast it may deliver (throttlePolicy) and the
// Content-Type it sends. A subscription's policy overrides its topic's unless the topic says
// disableSubscriptionOverrides. AWS adds jitter; we do not, so tests are deterministic.
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace mallard::sns {

struct RetryPolicy {
  int min_delay_seconds = 20;
  int max_delay_seconds = 20;
  int num_retries = 3;
  int num_no_delay_retries = 0;
  int num_min_delay_retries = 0;
  int num_max_delay_retries = 0;
  std::string backoff_function = "linear";  // linear, arithmetic, geometric, exponential

  // Seconds to wait before retry number `retry` (1-based); nullopt when the policy allows no more.
  std::optional<int> DelayBeforeRetry(int retry) const;
};

struct HttpDeliveryPolicy {
  RetryPolicy retry;
  std::optional<int> max_receives_per_second;  // throttle; nullopt = unthrottled
  std::string content_type = "text/plain; charset=UTF-8";
  bool disable_subscription_overrides = false;  // topic policies only
};

// Validates a topic DeliveryPolicy ({"http": {"defaultHealthyRetryPolicy": …}}); the error is AWS's
// InvalidParameter message. An empty text is no policy.
Result<std::optional<HttpDeliveryPolicy>> ParseTopicDeliveryPolicy(const std::string& text);
// Validates a subscription DeliveryPolicy ({"healthyRetryPolicy": …, "throttlePolicy": …}).
Result<std::optional<HttpDeliveryPolicy>> ParseSubscriptionDeliveryPolicy(const std::string& text);
// The policy that applies to a delivery: the subscription's when given and allowed, else the
// topic's, else AWS's default (3 retries, 20 s apart).
HttpDeliveryPolicy EffectiveDeliveryPolicy(const std::string& topic_policy, const std::string& subscription_policy);
// The EffectiveDeliveryPolicy attribute of an HTTP/S subscription (JSON text).
std::string EffectiveSubscriptionDeliveryPolicyText(const HttpDeliveryPolicy& policy);

}  // namespace mallard::sns
