#include "infra/duckdb/duckdb_info.hpp"

#include <duckdb.h>

namespace mallard::duckdb {

std::string DuckDbVersion() {
#if MALLARD_DUCKDB_LAZY
  // Without loading the library (health and --help must not): the loader accepts no other version.
  return MALLARD_DUCKDB_VERSION;
#else
  const char* version = ::duckdb_library_version();
  return version != nullptr ? std::string(version) : std::string();
#endif
}

}  // namespace mallard::duckdb
