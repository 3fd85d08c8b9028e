#include "services/redshift_data/redshift_data_errors.hpp"

#include <boost/json.hpp>

namespace mallard::redshift_data::errors {

AwsError Validation(const std::string& message) { return AwsError::Make("ValidationException", 400, message); }

AwsError ResourceNotFound(const std::string& message, const std::string& resource_id) {
  AwsError error = AwsError::Make("ResourceNotFoundException", 400, message);
  error.extra_json = boost::json::serialize(boost::json::object{{"ResourceId", resource_id}});
  return error;
}

AwsError QueryTimeout(const std::string& message) { return AwsError::Make("QueryTimeoutException", 400, message); }

AwsError InternalServer(const std::string& message) {
  return AwsError::Make("InternalServerException", 500, message, FaultSide::Receiver);
}

AwsError UnknownOperation(const std::string& operation) {
  return AwsError::Make("UnknownOperationException", 400, "Unknown operation " + operation);
}

}  // namespace mallard::redshift_data::errors
