#pragma once
// SQS's typed errors: each carries the awsJson shape name, the legacy awsQuery code (also sent in
// x-amzn-query-error) and the HTTP status from the SQS API reference.
#include <string>

#include "common/aws_error.hpp"

namespace mallard::sqs::errors {

AwsError QueueDoesNotExist();
AwsError QueueNameExists(const std::string& attribute);  // the attribute that differs
AwsError QueueDeletedRecently(const std::string& name);
AwsError InvalidAttributeName(const std::string& name);
// DeduplicationScope or FifoThroughputLimit given to a standard queue (AWS's recorded wording).
AwsError FifoOnlyAttribute(const std::string& name);
AwsError InvalidAttributeValue(const std::string& message);
// DeleteMessage quotes the handle; ChangeMessageVisibility answers without it (`handle` empty).
AwsError ReceiptHandleIsInvalid(const std::string& handle);
AwsError MessageNotInflight();
AwsError PurgeQueueInProgress(const std::string& queue_name);
AwsError EmptyBatchRequest(const std::string& entry_shape);
AwsError TooManyEntriesInBatchRequest(std::size_t count);
AwsError BatchEntryIdsNotDistinct(const std::string& id);
AwsError BatchRequestTooLong(std::size_t bytes);
AwsError InvalidBatchEntryId();
// `character` is the first offending character as SQS names it ("#xFFFF"); `where` is "the
// message body" or "the message attribute 'name' value".
AwsError InvalidMessageContents(const std::string& character, const std::string& where);
AwsError OverLimit(const std::string& message);
AwsError ResourceNotFound(const std::string& message);
AwsError UnsupportedOperation(const std::string& message);
AwsError InvalidParameterValue(const std::string& message);
AwsError MissingParameter(const std::string& name);
AwsError InvalidAddress(const std::string& url);
AwsError InvalidAction(const std::string& action);
AwsError InternalFailure(const std::string& detail);
AwsError ServiceUnavailable(const std::string& detail);

}  // namespace mallard::sqs::errors
