#pragma once
// DynamoDB and DynamoDB Streams as one module: one store setting (both services read the same
// tables), the table transition time, and the two services.
#include "services/kit/service_module.hpp"

namespace mallard::dynamodb {

services::kit::ServiceModule DynamoDbModule();

}  // namespace mallard::dynamodb
