#pragma once
// SNS as a module of the server: its settings (the store, the queue-policy mode), its stores and
// how it is built.
#include "services/kit/service_module.hpp"

namespace mallard::sns {

services::kit::ServiceModule SnsModule();

}  // namespace mallard::sns
