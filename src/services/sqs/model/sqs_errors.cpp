#include "services/sqs/model/sqs_errors.hpp"

namespace mallard::sqs::errors {
namespace {

AwsError Make(std::string shape, std::string query_code, int status, std::string message,
              FaultSide fault = FaultSide::Sender) {
  AwsError error = AwsError::Make(std::move(shape), status, std::move(message), fault);
  error.query_code = std::move(query_code);
  return error;
}

}  // namespace

AwsError QueueDoesNotExist() {
  return Make("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400,
              "The specified queue does not exist.");
}
AwsError QueueNameExists(const std::string& attribute) {
  // AWS names the first attribute that differs (recorded: "…a different value for attribute DelaySeconds").
  return Make("QueueNameExists", "QueueAlreadyExists", 400,
              "A queue already exists with the same name and a different value for attribute " + attribute);
}
AwsError QueueDeletedRecently(const std::string& name) {
  return Make("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently", 400,
              "You must wait 60 seconds after deleting a queue before you can create another with the same name.");
}
AwsError InvalidAttributeName(const std::string& name) {
  return Make("InvalidAttributeName", "InvalidAttributeName", 400, "Unknown Attribute " + name + ".");
}
AwsError FifoOnlyAttribute(const std::string& name) {
  return Make("InvalidAttributeName", "InvalidAttributeName", 400,
              "You can specify the " + name + " only when FifoQueue is set to true.");
}
AwsError InvalidAttributeValue(const std::string& message) {
  return Make("InvalidAttributeValue", "InvalidAttributeValue", 400, message);
}
AwsError ReceiptHandleIsInvalid(const std::string& handle) {
  return Make("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404,
              handle.empty() ? std::string("The input receipt handle is invalid.")
                             : "The input receipt handle \"" + handle + "\" is not a valid receipt handle.");
}
AwsError MessageNotInflight() {
  return Make("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400,
              "The message referred to isn't in flight.");
}
AwsError PurgeQueueInProgress(const std::string& queue_name) {
  return Make("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403,
              "Only one PurgeQueue operation on " + queue_name + " is allowed every 60 seconds.");
}
AwsError EmptyBatchRequest(const std::string& entry_shape) {
  return Make("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400,
              "There should be at least one " + entry_shape + " in the request.");
}
AwsError TooManyEntriesInBatchRequest(std::size_t count) {
  return Make("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400,
              "Maximum number of entries per request are 10. You have sent " + std::to_string(count) + ".");
}
AwsError BatchEntryIdsNotDistinct(const std::string& id) {
  return Make("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400,
              "Id " + id + " repeated.");
}
AwsError BatchRequestTooLong(std::size_t bytes) {
  return Make("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400,
              "Batch requests cannot be longer than 1048576 bytes. You have sent " + std::to_string(bytes) + " bytes.");
}
AwsError InvalidBatchEntryId() {
  return Make("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400,
              "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
              "It can be at most 80 letters long.");
}
AwsError InvalidMessageContents(const std::string& character, const std::string& where) {
  // AWS's wording for a body ("Invalid binary character '#xFFFF' was found in the message body, the
  // set of allowed characters is ..."); attribute values name the attribute in the same sentence.
  return Make("InvalidMessageContents", "InvalidMessageContents", 400,
              "Invalid binary character '" + character + "' was found in " + where +
                  ", the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | "
                  "[#x10000-#x10FFFF].");
}
AwsError OverLimit(const std::string& message) { return Make("OverLimit", "OverLimit", 403, message); }
AwsError ResourceNotFound(const std::string& message) {
  return Make("ResourceNotFoundException", "ResourceNotFoundException", 404, message);
}
AwsError UnsupportedOperation(const std::string& message) {
  return Make("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400, message);
}
// Not in SQS's model: AWS's awsJson `__type` for these is another name than the query code
// (recorded from AWS: com.amazonaws.sqs#InvalidParameterValueException, #MissingRequiredParameterException).
AwsError InvalidParameterValue(const std::string& message) {
  return Make("InvalidParameterValueException", "InvalidParameterValue", 400, message);
}
AwsError MissingParameter(const std::string& name) {
  return Make("MissingRequiredParameterException", "MissingParameter", 400,
              "The request must contain the parameter " + name + ".");
}
AwsError InvalidAddress(const std::string& url) {
  return Make("InvalidAddress", "InvalidAddress", 404, "The address " + url + " is not valid for this endpoint.");
}
AwsError InvalidAction(const std::string& action) {
  return Make("InvalidAction", "InvalidAction", 400,
              "The action " + action + " is not valid for this endpoint.");
}
AwsError InternalFailure(const std::string& detail) {
  return Make("InternalFailure", "InternalFailure", 500,
              "The request processing has failed because of an unknown error, exception or failure." +
                  (detail.empty() ? std::string() : " " + detail),
              FaultSide::Receiver);
}
AwsError ServiceUnavailable(const std::string& detail) {
  return Make("ServiceUnavailable", "ServiceUnavailable", 503,
              "The request has failed due to a temporary failure of the server." +
                  (detail.empty() ? std::string() : " " + detail),
              FaultSide::Receiver);
}

}  // namespace mallard::sqs::errors
