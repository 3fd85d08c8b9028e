#pragma once

#include <string>

namespace mallard::duckdb {

// Version of the DuckDB library linked at run time, e.g. "v1.4.4" (duckdb_library_version()).
std::string DuckDbVersion();

}  // namespace mallard::duckdb
