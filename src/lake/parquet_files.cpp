#include "lake/parquet_files.hpp"

#include <filesystem>
#include <system_error>

#include "common/ids.hpp"

namespace mallard::lake {
namespace {

// Parquet field ids Iceberg reserves for positional delete files.
constexpr std::int64_t kDeleteFilePathFieldId = 2147483546;
constexpr std::int64_t kDeletePosFieldId = 2147483545;

LakeError IoError(const std::string& what, const duckdb::DuckDbError& error) {
  return {LakeErrorCode::kIo, what + ": " + error.message};
}

std::optional<std::int64_t> ParseInt(const std::string& text) {
  try {
    return std::stoll(text);
  } catch (...) {
    return std::nullopt;
  }
}

// Reads MAP(VARCHAR, VARCHAR) entries of row `row` of a map vector.
std::map<std::string, std::string> InnerMap(const duckdb::Vector& map_vector, std::size_t row) {
  std::map<std::string, std::string> out;
  if (!map_vector.IsValid(row)) return out;
  const auto* entries = map_vector.Data<duckdb_list_entry>();
  duckdb::Vector entry_struct = map_vector.ListChild();
  duckdb::Vector keys = entry_struct.StructChild(0);
  duckdb::Vector values = entry_struct.StructChild(1);
  for (std::uint64_t i = entries[row].offset; i < entries[row].offset + entries[row].length; ++i) {
    if (!keys.IsValid(i) || !values.IsValid(i)) continue;
    out.emplace(std::string(duckdb::StringAt(keys, i)), std::string(duckdb::StringAt(values, i)));
  }
  return out;
}

// column_statistics: MAP(VARCHAR, MAP(VARCHAR, VARCHAR)) — decoded from vectors, since DuckDB's
// per-value accessors return NULL for maps.
std::map<std::string, ColumnFileStats> DecodeColumnStats(const duckdb::Vector& column, std::size_t row) {
  std::map<std::string, ColumnFileStats> out;
  if (!column.IsValid(row)) return out;
  const auto* entries = column.Data<duckdb_list_entry>();
  duckdb::Vector entry_struct = column.ListChild();
  duckdb::Vector keys = entry_struct.StructChild(0);
  duckdb::Vector values = entry_struct.StructChild(1);
  for (std::uint64_t i = entries[row].offset; i < entries[row].offset + entries[row].length; ++i) {
    ColumnFileStats stats;
    for (const auto& [key, value] : InnerMap(values, i)) {
      if (key == "min") stats.min_value = value;
      else if (key == "max") stats.max_value = value;
      else if (key == "null_count") stats.null_count = ParseInt(value);
      else if (key == "column_size_bytes") stats.column_size_bytes = ParseInt(value);
      else if (key == "has_nan") stats.contains_nan = value == "true" || value == "1";
    }
    out.emplace(std::string(duckdb::StringAt(keys, i)), std::move(stats));
  }
  return out;
}

std::int64_t Int64Cell(const duckdb::Vector& vector, std::size_t row) {
  auto type = vector.Type().Id();
  if (type == DUCKDB_TYPE_BIGINT) return vector.Data<std::int64_t>()[row];
  if (type == DUCKDB_TYPE_UBIGINT) return static_cast<std::int64_t>(vector.Data<std::uint64_t>()[row]);
  if (type == DUCKDB_TYPE_INTEGER) return vector.Data<std::int32_t>()[row];
  if (type == DUCKDB_TYPE_HUGEINT) return static_cast<std::int64_t>(vector.Data<duckdb_hugeint>()[row].lower);
  return 0;
}

LakeResult<WrittenFile> RunCopy(duckdb::Connection& connection, const std::string& sql, WrittenFile file) {
  auto statement = connection.Prepare(sql);
  if (!statement.ok()) return Fail(IoError("cannot write " + file.absolute_path, statement.error()));
  auto result = statement->ExecuteStreaming();
  if (!result.ok()) {
    RemoveFileQuietly(file.absolute_path);
    return Fail(IoError("cannot write " + file.absolute_path, result.error()));
  }
  // Columns: filename, count, file_size_bytes, footer_size_bytes, column_statistics, partition_keys
  bool seen = false;
  while (true) {
    auto chunk = result->NextChunk();
    if (!chunk.ok()) {
      RemoveFileQuietly(file.absolute_path);
      return Fail(IoError("cannot write " + file.absolute_path, chunk.error()));
    }
    if (!chunk->has_value()) break;
    auto& data = **chunk;
    if (data.Size() == 0) continue;
    seen = true;
    file.record_count = Int64Cell(data.Column(1), 0);
    file.file_size_bytes = Int64Cell(data.Column(2), 0);
    file.footer_size = Int64Cell(data.Column(3), 0);
    file.column_stats = DecodeColumnStats(data.Column(4), 0);
  }
  if (!seen) return LakeFail(LakeErrorCode::kIo, "COPY returned no statistics for " + file.absolute_path);
  return file;
}

LakeStatus EnsureDirectory(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return LakeFail(LakeErrorCode::kIo, "cannot create directory " + directory + ": " + error.message());
  return Done{};
}

}  // namespace

std::string NewDataFileName() { return "ducklake-" + NewUuidV7() + ".parquet"; }
std::string NewDeleteFileName() { return "ducklake-" + NewUuidV7() + "-delete.parquet"; }

void RemoveFileQuietly(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

std::string FileListLiteral(const std::vector<std::string>& paths) {
  std::string out = "[";
  for (std::size_t i = 0; i < paths.size(); ++i) out += (i ? ", " : "") + SqlString(paths[i]);
  return out + "]";
}

LakeResult<WrittenFile> WriteDataFile(duckdb::Connection& connection, const std::string& directory,
                                      const std::vector<LakeColumn>& columns, const std::string& select_sql) {
  MALLARD_RETURN_IF_ERROR(EnsureDirectory(directory));
  WrittenFile file;
  file.file_name = NewDataFileName();
  file.absolute_path = directory + file.file_name;
  std::string projection;
  for (const auto& column : columns) {
    MALLARD_ASSIGN_OR_RETURN(auto type, DuckDbTypeSql(column));
    if (!projection.empty()) projection += ", ";
    std::string value = "CAST(" + SqlIdentifier(column.name) + " AS " + type + ")";
    // DuckDB's Parquet writer (1.4) keeps a TIMETZ's clock time but drops its offset; normalising
    // to UTC first keeps the instant (Parquet TIME is UTC-adjusted).
    if (column.type == "timetz") value = "CAST(timezone('UTC', " + value + ") AS TIMETZ)";
    projection += value + " AS " + SqlIdentifier(column.name);
  }
  // DuckDB's writer buffers a whole row group (122,880 rows) in memory: wide rows under a small
  // memory limit fail with out-of-memory. Where the connection allows it (insertion order not
  // preserved), row groups are bounded by bytes instead.
  MALLARD_ASSIGN_OR_RETURN(auto order, QueryText(connection, "SELECT current_setting('preserve_insertion_order')::VARCHAR"));
  bool bounded = !order.empty() && !order[0].empty() && order[0][0] == "false";
  // zstd at DuckDB's default level (3). Level 1 made a pipe snapshot ~8 % faster but lake_bench's
  // 10-column rows 46 % larger (104 MB against 71 MB): not worth it for files that are kept.
  std::string sql = "COPY (SELECT " + projection + " FROM (" + select_sql + ") AS lake_source) TO " +
                    SqlString(file.absolute_path) + " (FORMAT parquet, COMPRESSION zstd, FIELD_IDS " +
                    FieldIdsOption(columns) + (bounded ? ", ROW_GROUP_SIZE_BYTES '" + std::string(kRowGroupBytes) + "'" : "") +
                    ", RETURN_STATS)";
  MALLARD_ASSIGN_OR_RETURN(file, RunCopy(connection, sql, std::move(file)));
  if (file.record_count == 0) RemoveFileQuietly(file.absolute_path);
  return file;
}

LakeResult<WrittenFile> WriteDeleteFile(duckdb::Connection& connection, const std::string& directory,
                                        const std::string& data_file_path, const std::string& positions_sql) {
  MALLARD_RETURN_IF_ERROR(EnsureDirectory(directory));
  WrittenFile file;
  file.file_name = NewDeleteFileName();
  file.absolute_path = directory + file.file_name;
  std::string sql = "COPY (SELECT CAST(" + SqlString(data_file_path) + " AS VARCHAR) AS file_path, CAST(pos AS BIGINT) AS pos FROM (" +
                    positions_sql + ") AS lake_positions ORDER BY pos) TO " + SqlString(file.absolute_path) +
                    " (FORMAT parquet, COMPRESSION zstd, FIELD_IDS {'file_path': " +
                    std::to_string(kDeleteFilePathFieldId) + ", 'pos': " + std::to_string(kDeletePosFieldId) +
                    "}, RETURN_STATS)";
  return RunCopy(connection, sql, std::move(file));
}

LakeStatus RunStatement(duckdb::Connection& connection, const std::string& sql) {
  auto status = connection.Execute(sql);
  if (!status.ok()) return LakeFail(LakeErrorCode::kIo, status.error().message);
  return Done{};
}

LakeResult<OptimizerDisabled> OptimizerDisabled::Apply(duckdb::Connection& connection, const std::string& optimizer) {
  MALLARD_ASSIGN_OR_RETURN(auto current, QueryText(connection, "SELECT current_setting('disabled_optimizers')"));
  std::string previous = current.empty() || current[0].empty() ? "" : current[0][0];
  std::string disabled = previous.empty() ? optimizer : previous + "," + optimizer;
  MALLARD_RETURN_IF_ERROR(RunStatement(connection, "SET disabled_optimizers = " + SqlString(disabled)));
  return OptimizerDisabled(connection, std::move(previous));
}

void OptimizerDisabled::Restore() {
  if (connection_ == nullptr) return;
  (void)RunStatement(*connection_, "SET disabled_optimizers = " + SqlString(previous_));
  connection_ = nullptr;
}

LakeResult<std::vector<std::vector<std::string>>> QueryText(duckdb::Connection& connection, const std::string& sql) {
  auto statement = connection.Prepare("SELECT COLUMNS(*)::VARCHAR FROM (" + sql + ") AS q");
  if (!statement.ok()) return LakeFail(LakeErrorCode::kIo, statement.error().message);
  auto result = statement->ExecuteStreaming();
  if (!result.ok()) return LakeFail(LakeErrorCode::kIo, result.error().message);
  std::vector<std::vector<std::string>> rows;
  while (true) {
    auto chunk = result->NextChunk();
    if (!chunk.ok()) return LakeFail(LakeErrorCode::kIo, chunk.error().message);
    if (!chunk->has_value()) break;
    auto& data = **chunk;
    for (std::size_t row = 0; row < data.Size(); ++row) {
      std::vector<std::string> out;
      for (std::size_t column = 0; column < data.ColumnCount(); ++column) {
        auto vector = data.Column(column);
        out.emplace_back(vector.IsValid(row) ? std::string(duckdb::StringAt(vector, row)) : std::string());
      }
      rows.push_back(std::move(out));
    }
  }
  return rows;
}

LakeResult<std::int64_t> QueryCount(duckdb::Connection& connection, const std::string& sql) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, QueryText(connection, sql));
  if (rows.empty() || rows[0].empty() || rows[0][0].empty()) return std::int64_t{0};
  return std::stoll(rows[0][0]);
}

}  // namespace mallard::lake
