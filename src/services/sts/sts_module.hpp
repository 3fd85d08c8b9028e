#pragma once
// STS as a module: no store setting; it issues into the server's credential registry (the one
// SigV4 verification reads) and asks the gateway which account a key belongs to.
#include "services/kit/service_module.hpp"

namespace mallard::sts {

services::kit::ServiceModule StsModule();

}  // namespace mallard::sts
