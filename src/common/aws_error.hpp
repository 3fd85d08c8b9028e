#pragma once
// AwsError: the typed error every service returns. It carries everything a protocol codec needs to
// render it in the exact wire shape of its protocol; codecs never invent codes of their own.
#include <string>

namespace mallard {

enum class FaultSide : unsigned char { Sender, Receiver };

struct AwsError {
  std::string code;         // the model's error shape name, e.g. "QueueDoesNotExist"
  std::string query_code;   // the awsQuery / legacy code, e.g. "AWS.SimpleQueueService.NonExistentQueue"
  int http_status = 400;
  FaultSide fault = FaultSide::Sender;
  std::string message;
  // A JSON object whose members the awsJson renderer adds to the error body (DynamoDB's
  // CancellationReasons and Item); kept serialised so that common code needs no JSON library.
  std::string extra_json;
  // awsJson: the `__type` namespace when it is not the service's own (DynamoDB names
  // ValidationException in com.amazon.coral.validate#, SerializationException in
  // com.amazon.coral.service#); empty = the service's.
  std::string type_namespace;
  // awsJson: the body member that carries the message. AWS's coral deserialiser writes
  // SerializationException's as "Message"; empty = no message member at all (DynamoDB's answer to
  // a body that is not JSON).
  std::string message_member = "message";

  static AwsError Make(std::string code, int http_status, std::string message,
                       FaultSide fault = FaultSide::Sender) {
    AwsError error;
    error.code = code;
    error.query_code = std::move(code);
    error.http_status = http_status;
    error.fault = fault;
    error.message = std::move(message);
    return error;
  }
};

// Errors every AWS service shares (the "common errors" of the API references).
namespace common_errors {
inline AwsError InternalFailure(std::string message = "The request processing has failed because of an unknown error, exception or failure.") {
  return AwsError::Make("InternalFailure", 500, std::move(message), FaultSide::Receiver);
}
inline AwsError ServiceUnavailable(std::string message = "The request has failed due to a temporary failure of the server.") {
  return AwsError::Make("ServiceUnavailable", 503, std::move(message), FaultSide::Receiver);
}
inline AwsError MissingParameter(const std::string& name) {
  return AwsError::Make("MissingParameter", 400, "The request must contain the parameter " + name + ".");
}
inline AwsError InvalidParameterValue(std::string message) {
  return AwsError::Make("InvalidParameterValue", 400, std::move(message));
}
inline AwsError InvalidAction(const std::string& action, const std::string& service) {
  return AwsError::Make("InvalidAction", 400,
                        "The action or operation requested is invalid. Verify that the action is typed correctly. "
                        "Action " + action + " is not valid for service " + service + ".");
}
inline AwsError MalformedInput(std::string code, std::string message) {
  return AwsError::Make(std::move(code), 400, std::move(message));
}
inline AwsError RequestEntityTooLarge(std::size_t limit) {
  return AwsError::Make("RequestEntityTooLarge", 413,
                        "Request body is larger than the limit of " + std::to_string(limit) + " bytes.");
}
}  // namespace common_errors

}  // namespace mallard
