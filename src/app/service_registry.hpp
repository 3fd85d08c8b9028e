#pragma once
// The services this build serves: one explicit list (service_registry.cpp), one line per module,
// in the order the gateway tries them. Server set-up, configuration, --help, build info and the
// health endpoint all read it.
#include <vector>

#include "services/kit/service_module.hpp"

namespace mallard::app {

const std::vector<services::kit::ServiceModule>& BuiltInModules();

}  // namespace mallard::app
