#include "services/athena/athena_errors.hpp"

#include <boost/json.hpp>

namespace mallard::athena::errors {

AwsError InvalidRequest(const std::string& message, const std::string& athena_error_code) {
  AwsError error = AwsError::Make("InvalidRequestException", 400, message);
  error.extra_json = boost::json::serialize(boost::json::object{{"AthenaErrorCode", athena_error_code}});
  return error;
}

AwsError QueryNotFound(const std::string& id) {
  return InvalidRequest("QueryExecution " + id + " was not found");
}

AwsError WorkGroupNotFound() {
  return InvalidRequest("WorkGroup does not exist");
}

AwsError MetadataNotFound(const std::string& message) {
  return AwsError::Make("MetadataException", 400, message);
}

AwsError ResourceNotFound(const std::string& message, const std::string& resource_name) {
  AwsError error = AwsError::Make("ResourceNotFoundException", 400, message);
  error.extra_json = boost::json::serialize(boost::json::object{{"ResourceName", resource_name}});
  return error;
}

AwsError InternalServer(const std::string& message) {
  return AwsError::Make("InternalServerException", 500, message, FaultSide::Receiver);
}

AwsError UnknownOperation(const std::string& operation) {
  return AwsError::Make("UnknownOperationException", 400, "Unknown operation " + operation);
}

}  // namespace mallard::athena::errors
