#pragma once
// Redshift Data as a module: no store setting of its own; it runs on the SQL engine the program provides
// (the one Athena shares, so a table created through one is visible through the other).
#include "services/kit/service_module.hpp"

namespace mallard::redshift_data {

services::kit::ServiceModule RedshiftDataModule();

}  // namespace mallard::redshift_data
