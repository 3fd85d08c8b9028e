#pragma once
// SQS as a module of the program: its store setting (memory or Redis) and its service.
#include "services/kit/service_module.hpp"

namespace mallard::sqs {

services::kit::ServiceModule SqsModule();

}  // namespace mallard::sqs
