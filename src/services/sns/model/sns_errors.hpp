#pragma once
// SNS's typed errors, with the codes, statuses and messages AWS answers (recorded against AWS:
// "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1", 404 NotFound
// "Topic does not exist", ...). awsQuery renders them as <ErrorResponse><Error><Type>Sender…
#include <string>

#include "common/aws_error.hpp"
#include "services/sns/model/sns_store.hpp"

namespace mallard::sns::errors {

// 400 InvalidParameter with the message verbatim ("Invalid parameter: Subject").
AwsError InvalidParameter(std::string message);
// 400 ParameterValueInvalid (message attribute checks answer with this code).
AwsError ParameterValueInvalid(std::string message);
// 400 ValidationError "1 validation error detected: Value null at '<path>' failed to satisfy constraint: Member must not be null".
AwsError MemberMustNotBeNull(const std::string& path);
AwsError ValidationError(std::string message);
AwsError TopicNotFound();                // 404 NotFound "Topic does not exist"
AwsError SubscriptionNotFound();         // 404 NotFound "Subscription does not exist"
AwsError NotFound(std::string message);  // 404 NotFound
AwsError ResourceNotFound();             // 404 ResourceNotFound "Resource does not exist" (tags)
AwsError EndpointDisabled();             // 400 EndpointDisabled "Endpoint is disabled"
AwsError AuthorizationError(std::string message);  // 403
AwsError TopicLimitExceeded();           // 403 TopicLimitExceeded
AwsError SubscriptionLimitExceeded();    // 403 SubscriptionLimitExceeded
AwsError FilterPolicyLimitExceeded();    // 403 FilterPolicyLimitExceeded
AwsError TagLimitExceeded();             // 400 TagLimitExceeded
AwsError TagPolicy(std::string message);  // 400 TagPolicy
AwsError TooManyEntriesInBatchRequest();
AwsError BatchEntryIdsNotDistinct();
AwsError EmptyBatchRequest();
AwsError InvalidBatchEntryId(std::string message);
AwsError BatchRequestTooLong();
AwsError InvalidAction(const std::string& action);
AwsError InternalError(const std::string& detail);  // 500 InternalError
AwsError ServiceUnavailable(const std::string& detail);

// A store failure as the client sees it (NotFound/AlreadyExists are the caller's to interpret;
// here they become InternalError: reaching this with them is a bug).
AwsError FromStore(const StoreError& error);

}  // namespace mallard::sns::errors
