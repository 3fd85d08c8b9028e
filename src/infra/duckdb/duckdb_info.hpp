#pragma once

#include <string>

namespace mallard::duckdb {

// Version of the DuckDB library used at run time, e.g. "v1.4.4": duckdb_library_version() when
// linked, the pinned version (the only one the loader accepts) when loaded on first use.
std::string DuckDbVersion();

}  // namespace mallard::duckdb
