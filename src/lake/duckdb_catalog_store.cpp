#include "lake/duckdb_catalog_store.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/ids.hpp"

namespace mallard::lake {
namespace {

LakeError CatalogError(const duckdb::DuckDbError& error) { return {LakeErrorCode::kCatalog, error.message}; }

std::string HugeintText(duckdb_hugeint value) {
  __int128 number = (static_cast<__int128>(value.upper) << 64) | value.lower;
  if (number == 0) return "0";
  bool negative = number < 0;
  unsigned __int128 magnitude = negative ? -static_cast<unsigned __int128>(number) : number;
  std::string digits;
  while (magnitude > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  }
  return negative ? "-" + digits : digits;
}

// The catalog's own columns are BIGINT, VARCHAR and BOOLEAN; aggregates add HUGEINT and DOUBLE.
// Anything else (UUID, TIMESTAMPTZ) is cast to VARCHAR by the query that selects it.
LakeResult<CatalogValue> CellText(const duckdb::Vector& vector, duckdb_type type, std::size_t row) {
  if (!vector.IsValid(row)) return CatalogValue{};
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN: return CatalogValue{vector.Data<bool>()[row] ? "true" : "false"};
    case DUCKDB_TYPE_TINYINT: return CatalogValue{std::to_string(vector.Data<std::int8_t>()[row])};
    case DUCKDB_TYPE_SMALLINT: return CatalogValue{std::to_string(vector.Data<std::int16_t>()[row])};
    case DUCKDB_TYPE_INTEGER: return CatalogValue{std::to_string(vector.Data<std::int32_t>()[row])};
    case DUCKDB_TYPE_BIGINT: return CatalogValue{std::to_string(vector.Data<std::int64_t>()[row])};
    case DUCKDB_TYPE_UTINYINT: return CatalogValue{std::to_string(vector.Data<std::uint8_t>()[row])};
    case DUCKDB_TYPE_USMALLINT: return CatalogValue{std::to_string(vector.Data<std::uint16_t>()[row])};
    case DUCKDB_TYPE_UINTEGER: return CatalogValue{std::to_string(vector.Data<std::uint32_t>()[row])};
    case DUCKDB_TYPE_UBIGINT: return CatalogValue{std::to_string(vector.Data<std::uint64_t>()[row])};
    case DUCKDB_TYPE_HUGEINT: return CatalogValue{HugeintText(vector.Data<duckdb_hugeint>()[row])};
    case DUCKDB_TYPE_DOUBLE: return CatalogValue{std::to_string(vector.Data<double>()[row])};
    case DUCKDB_TYPE_VARCHAR: return CatalogValue{std::string(duckdb::StringAt(vector, row))};
    default:
      return LakeFail(LakeErrorCode::kCatalog, "catalog query returned a column of DuckDB type " +
                                                   std::to_string(static_cast<int>(type)) + "; cast it to VARCHAR");
  }
}

}  // namespace

std::string CatalogInUseMessage(const std::string& path, const std::string& duckdb_message) {
  return "the DuckLake catalog '" + path + "' is in use by another process (a running `mallard pipe` or `mallard "
         "serve`?), and DuckDB lets one process at a time write a database file. Two ways work: host the pipe in "
         "`mallard serve` (--lake-catalog and the pipe options) and read the lake there through Athena or Redshift "
         "Data, or put the catalog in PostgreSQL (--lake-catalog postgres://…), which any number of processes share. "
         "`mallard lake scan`, `tables` and `snapshots` read a copy of a file catalog in use. (" + duckdb_message + ")";
}

namespace {

bool IsLockConflict(const std::string& message) { return message.find("Could not set lock on file") != std::string::npos; }

// What identifies a file's contents cheaply: size and modification time (absent: -1).
std::pair<std::int64_t, std::int64_t> FileStamp(const std::string& path) {
  std::error_code error;
  auto size = std::filesystem::file_size(path, error);
  if (error) return {-1, -1};
  auto time = std::filesystem::last_write_time(path, error);
  if (error) return {-1, -1};
  return {static_cast<std::int64_t>(size), static_cast<std::int64_t>(time.time_since_epoch().count())};
}

}  // namespace

DuckDbCatalogStore::RemovedDirectory::~RemovedDirectory() {
  if (path.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

LakeResult<std::unique_ptr<DuckDbCatalogStore>> DuckDbCatalogStore::OpenCopy(const std::string& path) {
  namespace fs = std::filesystem;
  std::string last_error = "the file kept changing";
  // The writer commits and checkpoints at any moment: a copy counts only when neither the file
  // nor its WAL changed while it was taken, and DuckDB opens it.
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20 + 10 * attempt));
    std::string directory = (fs::temp_directory_path() / ("mallard-catalog-copy-" + RandomAlnum(10))).string();
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) return LakeFail(LakeErrorCode::kIo, "cannot create " + directory + ": " + error.message());
    std::string copy = directory + "/catalog.duckdb";
    auto before = std::make_pair(FileStamp(path), FileStamp(path + ".wal"));
    fs::copy_file(path, copy, error);
    if (!error && before.second.first >= 0) fs::copy_file(path + ".wal", copy + ".wal", error);
    auto after = std::make_pair(FileStamp(path), FileStamp(path + ".wal"));
    if (error || before != after) {
      if (error) last_error = error.message();
      fs::remove_all(directory, error);
      continue;
    }
    auto store = Open(copy, false);
    if (!store.ok()) {
      last_error = store.error().message;
      fs::remove_all(directory, error);
      continue;
    }
    (*store)->copy_directory_.path = directory;
    return store;
  }
  return LakeFail(LakeErrorCode::kCatalog, "cannot take a consistent copy of the DuckLake catalog '" + path +
                                               "', which another process is writing: " + last_error);
}

LakeResult<std::unique_ptr<DuckDbCatalogStore>> DuckDbCatalogStore::Open(const std::string& path, bool read_only) {
  duckdb::DatabaseOptions options;
  options.path = path;
  // The catalog holds metadata only: one thread and a small memory budget are plenty, and spilling
  // goes next to the file rather than into the working directory.
  options.threads = 1;
  options.memory_limit = "256MB";
  options.temp_directory = path == ":memory:" ? "" : path + ".tmp";
  auto database = duckdb::Database::Open(options);
  if (!database.ok() && IsLockConflict(database.error().message)) {
    if (read_only) return OpenCopy(path);
    return LakeFail(LakeErrorCode::kCatalog, CatalogInUseMessage(path, database.error().message));
  }
  if (!database.ok()) return LakeFail(LakeErrorCode::kCatalog, "cannot open DuckLake catalog '" + path + "': " + database.error().message);
  auto connection = database.value()->Connect();
  if (!connection.ok()) return Fail(CatalogError(connection.error()));
  return std::unique_ptr<DuckDbCatalogStore>(new DuckDbCatalogStore(database.value(), std::move(connection).value()));
}

LakeStatus DuckDbCatalogStore::Execute(const std::string& sql) {
  // duckdb_query runs a multi-statement text one statement after another (a later statement may
  // use a table an earlier one created), which preparing them all up front would not.
  duckdb_result result;
  bool ok = duckdb_query(connection_.get(), sql.c_str(), &result) == DuckDBSuccess;
  std::string message = ok ? "" : duckdb_result_error(&result);
  duckdb_destroy_result(&result);
  if (!ok) return LakeFail(LakeErrorCode::kCatalog, message);
  return Done{};
}

LakeResult<std::vector<CatalogRow>> DuckDbCatalogStore::Query(const std::string& sql) {
  auto statement = connection_.Prepare(sql);
  if (!statement.ok()) return Fail(CatalogError(statement.error()));
  auto result = statement->ExecuteStreaming();
  if (!result.ok()) return Fail(CatalogError(result.error()));
  std::vector<duckdb_type> types;
  for (std::size_t column = 0; column < result->ColumnCount(); ++column) types.push_back(result->ColumnType(column).Id());
  std::vector<CatalogRow> rows;
  while (true) {
    auto chunk = result->NextChunk();
    if (!chunk.ok()) return Fail(CatalogError(chunk.error()));
    if (!chunk->has_value()) break;
    auto& data = **chunk;
    std::vector<duckdb::Vector> columns;
    for (std::size_t column = 0; column < types.size(); ++column) columns.push_back(data.Column(column));
    for (std::size_t row = 0; row < data.Size(); ++row) {
      CatalogRow out;
      out.reserve(types.size());
      for (std::size_t column = 0; column < types.size(); ++column) {
        MALLARD_ASSIGN_OR_RETURN(auto cell, CellText(columns[column], types[column], row));
        out.push_back(std::move(cell));
      }
      rows.push_back(std::move(out));
    }
  }
  return rows;
}

void DuckDbCatalogStore::Rollback() { (void)connection_.Execute("ROLLBACK"); }

}  // namespace mallard::lake
