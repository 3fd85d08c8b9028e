#pragma once
// Redshift Data API's typed errors (API reference "Errors").
#include <string>

#include "common/aws_error.hpp"

namespace mallard::redshift_data::errors {

AwsError Validation(const std::string& message);
AwsError ResourceNotFound(const std::string& message, const std::string& resource_id);
AwsError QueryTimeout(const std::string& message);
AwsError InternalServer(const std::string& message);
AwsError UnknownOperation(const std::string& operation);

}  // namespace mallard::redshift_data::errors
