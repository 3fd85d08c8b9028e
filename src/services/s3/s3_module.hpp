#pragma once
// S3 as a module of the server: its store setting (file by default, memory) and how it is built.
#include "services/kit/service_module.hpp"

namespace mallard::s3 {

services::kit::ServiceModule S3Module();

}  // namespace mallard::s3
