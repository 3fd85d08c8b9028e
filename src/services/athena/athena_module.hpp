#pragma once
// Athena as a module: no store setting of its own; it runs on the SQL engine the program provides
// (the one Redshift Data shares, so a table created through one is visible through the other).
#include "services/kit/service_module.hpp"

namespace mallard::athena {

services::kit::ServiceModule AthenaModule();

}  // namespace mallard::athena
