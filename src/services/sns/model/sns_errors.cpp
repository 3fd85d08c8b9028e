#include "services/sns/model/sns_errors.hpp"

namespace mallard::sns::errors {

AwsError InvalidParameter(std::string message) { return AwsError::Make("InvalidParameter", 400, std::move(message)); }
AwsError ParameterValueInvalid(std::string message) {
  return AwsError::Make("ParameterValueInvalid", 400, std::move(message));
}
AwsError ValidationError(std::string message) { return AwsError::Make("ValidationError", 400, std::move(message)); }
AwsError MemberMustNotBeNull(const std::string& path) {
  return ValidationError("1 validation error detected: Value null at '" + path +
                         "' failed to satisfy constraint: Member must not be null");
}
AwsError TopicNotFound() { return NotFound("Topic does not exist"); }
AwsError SubscriptionNotFound() { return NotFound("Subscription does not exist"); }
AwsError NotFound(std::string message) { return AwsError::Make("NotFound", 404, std::move(message)); }
AwsError ResourceNotFound() { return AwsError::Make("ResourceNotFound", 404, "Resource does not exist"); }
AwsError EndpointDisabled() { return AwsError::Make("EndpointDisabled", 400, "Endpoint is disabled"); }
AwsError AuthorizationError(std::string message) {
  return AwsError::Make("AuthorizationError", 403, std::move(message));
}
AwsError TopicLimitExceeded() {
  return AwsError::Make("TopicLimitExceeded", 403, "Topic limit exceeded");
}
AwsError SubscriptionLimitExceeded() {
  return AwsError::Make("SubscriptionLimitExceeded", 403, "Subscription limit exceeded");
}
AwsError FilterPolicyLimitExceeded() {
  return AwsError::Make("FilterPolicyLimitExceeded", 403, "Filter policy limit exceeded");
}
AwsError TagLimitExceeded() {
  return AwsError::Make("TagLimitExceeded", 400, "Could not complete request: tag quota of per resource exceeded");
}
AwsError TagPolicy(std::string message) { return AwsError::Make("TagPolicy", 400, std::move(message)); }
AwsError TooManyEntriesInBatchRequest() {
  return AwsError::Make("TooManyEntriesInBatchRequest", 400, "The batch request contains more entries than permissible.");
}
AwsError BatchEntryIdsNotDistinct() {
  return AwsError::Make("BatchEntryIdsNotDistinct", 400, "Two or more batch entries in the request have the same Id.");
}
AwsError EmptyBatchRequest() {
  return AwsError::Make("EmptyBatchRequest", 400, "The batch request doesn't contain any entries.");
}
AwsError InvalidBatchEntryId(std::string message) {
  return AwsError::Make("InvalidBatchEntryId", 400, std::move(message));
}
AwsError BatchRequestTooLong() {
  return AwsError::Make("BatchRequestTooLong", 400, "The length of all the messages put together is more than the limit.");
}
AwsError InvalidAction(const std::string& action) {
  return AwsError::Make("InvalidAction", 400, "The action " + action + " is not valid for this endpoint.");
}
AwsError InternalError(const std::string& detail) {
  return AwsError::Make("InternalError", 500, detail.empty() ? "Internal Error" : detail, FaultSide::Receiver);
}
AwsError ServiceUnavailable(const std::string& detail) {
  auto error = common_errors::ServiceUnavailable();
  if (!detail.empty()) error.message += " (" + detail + ")";
  return error;
}

AwsError FromStore(const StoreError& error) {
  switch (error.code) {
    case StoreErrc::Unavailable: return ServiceUnavailable(error.detail);
    case StoreErrc::Conflict: return InternalError("a concurrent change did not settle; retry");
    case StoreErrc::NotFound:
    case StoreErrc::AlreadyExists: break;
  }
  return InternalError("unexpected store answer");
}

}  // namespace mallard::sns::errors
