#pragma once
// Writing the Parquet files of a DuckLake through DuckDB's own writer: data files carry the
// columns' field ids and come back with exact statistics (COPY ... RETURN_STATS); delete files
// hold sorted, distinct row positions.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "infra/duckdb/duckdb_wrapper.hpp"
#include "lake/lake_types.hpp"

namespace mallard::lake {

struct ColumnFileStats {
  CatalogValue min_value, max_value;
  std::optional<std::int64_t> null_count;
  std::optional<std::int64_t> column_size_bytes;
  std::optional<bool> contains_nan;
};

struct WrittenFile {
  std::string absolute_path;
  std::string file_name;  // relative to the table directory
  std::int64_t record_count = 0;
  std::int64_t file_size_bytes = 0;
  std::int64_t footer_size = 0;
  std::map<std::string, ColumnFileStats> column_stats;  // by RETURN_STATS key
};

// The row group size of data files written on connections that do not preserve insertion order.
inline constexpr const char* kRowGroupBytes = "8MB";

// New file names as the extension makes them: ducklake-<uuidv7>.parquet / -delete.parquet.
std::string NewDataFileName();
std::string NewDeleteFileName();

// COPY (SELECT <columns cast to their types> FROM (<select_sql>)) TO <directory>/<new name>.
// The select must produce every column of `columns` by name. An empty result writes no file
// (record_count 0, the file removed).
LakeResult<WrittenFile> WriteDataFile(duckdb::Connection& connection, const std::string& directory,
                                      const std::vector<LakeColumn>& columns, const std::string& select_sql);
// Writes `positions_sql` (one BIGINT column `pos`, distinct) sorted into a delete file for the
// data file at `data_file_path`.
LakeResult<WrittenFile> WriteDeleteFile(duckdb::Connection& connection, const std::string& directory,
                                        const std::string& data_file_path, const std::string& positions_sql);

// Runs a query that returns one BIGINT and returns it.
LakeResult<std::int64_t> QueryCount(duckdb::Connection& connection, const std::string& sql);
LakeStatus RunStatement(duckdb::Connection& connection, const std::string& sql);
// Rows of VARCHAR-castable columns, as text (for small results: file lists, counts per file).
LakeResult<std::vector<std::vector<std::string>>> QueryText(duckdb::Connection& connection, const std::string& sql);

// Turns one of DuckDB's optimizers off on a connection until Restore() or the end of the scope,
// and then gives the connection back its own `disabled_optimizers` setting.
class OptimizerDisabled {
 public:
  static LakeResult<OptimizerDisabled> Apply(duckdb::Connection& connection, const std::string& optimizer);
  OptimizerDisabled(OptimizerDisabled&& other) noexcept
      : connection_(std::exchange(other.connection_, nullptr)), previous_(std::move(other.previous_)) {}
  OptimizerDisabled& operator=(OptimizerDisabled&&) = delete;
  ~OptimizerDisabled() { Restore(); }
  void Restore();

 private:
  OptimizerDisabled(duckdb::Connection& connection, std::string previous)
      : connection_(&connection), previous_(std::move(previous)) {}
  duckdb::Connection* connection_;
  std::string previous_;
};

// A read_parquet list literal: ['a', 'b'].
std::string FileListLiteral(const std::vector<std::string>& paths);
void RemoveFileQuietly(const std::string& path);

}  // namespace mallard::lake
