#pragma once
// Athena's typed errors (API reference "Errors"): InvalidRequestException carries an
// AthenaErrorCode member, MetadataException and ResourceNotFoundException their own shapes.
#include <string>

#include "common/aws_error.hpp"

namespace mallard::athena::errors {

// InvalidRequestException with AthenaErrorCode (INVALID_INPUT unless stated).
AwsError InvalidRequest(const std::string& message, const std::string& athena_error_code = "INVALID_INPUT");
AwsError QueryNotFound(const std::string& id);
AwsError WorkGroupNotFound();
AwsError MetadataNotFound(const std::string& message);
AwsError ResourceNotFound(const std::string& message, const std::string& resource_name);
AwsError InternalServer(const std::string& message);
AwsError UnknownOperation(const std::string& operation);

}  // namespace mallard::athena::errors
