#include "infra/duckdb/duckdb_info.hpp"

#include <duckdb.h>

namespace mallard::duckdb {

std::string DuckDbVersion() {
  const char* version = ::duckdb_library_version();
  return version != nullptr ? std::string(version) : std::string();
}

}  // namespace mallard::duckdb
