#include "lake/lake.hpp"

#include <filesystem>

#include "lake/catalog_schema.hpp"
#include "lake/inlined_data.hpp"
#include "lake/lake_transaction.hpp"
#include "lake/lake_scan.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::lake {
namespace {

std::string WithTrailingSlash(std::string path) {
  if (path.empty() || path.back() != '/') path += '/';
  return path;
}

LakeResult<std::string> ResolveDataPath(const LakeOptions& options) {
  std::string path = options.data_path;
  if (path.empty()) {
    if (IsPostgresCatalogSpec(options.catalog) || options.catalog == ":memory:") {
      return LakeFail(LakeErrorCode::kInvalid, "a data path is required for a PostgreSQL or in-memory DuckLake catalog");
    }
    path = options.catalog + ".files";
  }
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  if (error) return LakeFail(LakeErrorCode::kInvalid, "bad data path '" + path + "': " + error.message());
  return WithTrailingSlash(absolute.lexically_normal().string());
}

SnapshotInfo SnapshotFromRow(const CatalogRow& row) {
  SnapshotInfo info;
  info.snapshot_id = CatalogInt(row[0]);
  info.snapshot_time = row[1].value_or("");
  info.schema_version = CatalogInt(row[2]);
  info.changes_made = row[3];
  info.author = row[4];
  info.commit_message = row[5];
  info.commit_extra_info = row[6];
  return info;
}

constexpr const char* kSnapshotInfoQuery =
    "SELECT s.snapshot_id, CAST(s.snapshot_time AS VARCHAR), s.schema_version, c.changes_made, c.author, "
    "c.commit_message, c.commit_extra_info FROM ducklake_snapshot s LEFT JOIN ducklake_snapshot_changes c "
    "ON c.snapshot_id = s.snapshot_id ";

}  // namespace

LakeResult<std::shared_ptr<Lake>> Lake::Open(const LakeOptions& options) {
  // (A connection string that does not parse is left to OpenCatalogStore, which refuses it
  // without echoing it: it may hold a password.)
  if (options.read_only && !IsPostgresCatalogSpec(options.catalog) && !StartsWithLibpqKeyword(options.catalog) &&
      options.catalog != ":memory:" && !std::filesystem::exists(options.catalog)) {
    return LakeFail(LakeErrorCode::kNotFound, "no DuckLake catalog at '" + options.catalog + "'");
  }
  MALLARD_ASSIGN_OR_RETURN(auto store, OpenCatalogStore(options.catalog, options.read_only));
  MALLARD_ASSIGN_OR_RETURN(bool exists, CatalogExists(*store));
  std::string data_path;
  if (!exists && options.read_only) {
    // A connection string is not echoed: it may hold a password.
    return LakeFail(LakeErrorCode::kNotFound, IsPostgresCatalogSpec(options.catalog)
                                                  ? std::string("no DuckLake in that PostgreSQL database")
                                                  : "no DuckLake at '" + options.catalog + "'");
  }
  if (!exists) {
    MALLARD_ASSIGN_OR_RETURN(data_path, ResolveDataPath(options));
    std::error_code error;
    std::filesystem::create_directories(data_path, error);
    if (error) return LakeFail(LakeErrorCode::kIo, "cannot create data path " + data_path + ": " + error.message());
    auto initialized = InitializeCatalog(*store, data_path, std::string("Mallard ") + MALLARD_LAKE_VERSION);
    if (!initialized.ok()) {
      // Another process may have created the lake first; if so, open what it made.
      MALLARD_ASSIGN_OR_RETURN(bool now_exists, CatalogExists(*store));
      if (!now_exists) return Fail(initialized.error());
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto metadata, store->Query("SELECT key, value FROM ducklake_metadata WHERE scope IS NULL"));
  std::string version;
  for (const auto& row : metadata) {
    if (row[0] == "data_path" && row[1]) data_path = WithTrailingSlash(*row[1]);
    if (row[0] == "version" && row[1]) version = *row[1];
    if (row[0] == "encrypted" && row[1] == "true") {
      return LakeFail(LakeErrorCode::kUnsupported, "the DuckLake is encrypted; Mallard does not read encrypted lakes");
    }
  }
  if (version != kDuckLakeFormatVersion) {
    return LakeFail(LakeErrorCode::kUnsupported, "the DuckLake catalog has format version '" + version +
                                                     "'; Mallard reads and writes version " + kDuckLakeFormatVersion);
  }
  if (data_path.empty()) return LakeFail(LakeErrorCode::kCatalog, "the DuckLake catalog has no data_path");
  return std::shared_ptr<Lake>(new Lake(options, std::move(store), data_path));
}

Lake::~Lake() = default;

LakeResult<duckdb::Connection> Lake::WorkConnection() {
  std::lock_guard lock(work_mutex_);
  if (!work_database_) {
    duckdb::DatabaseOptions options;
    options.threads = options_.work_threads;
    options.memory_limit = options_.work_memory_limit;
    options.temp_directory = options_.work_temp_directory.empty() ? data_path_ + ".tmp" : options_.work_temp_directory;
    options.preserve_insertion_order = false;  // compaction output is unordered; row groups bounded by bytes
    auto database = duckdb::Database::Open(options);
    if (!database.ok()) return LakeFail(LakeErrorCode::kIo, "cannot start the lake's DuckDB: " + database.error().message);
    work_database_ = database.value();
  }
  auto connection = work_database_->Connect();
  if (!connection.ok()) return LakeFail(LakeErrorCode::kIo, connection.error().message);
  return std::move(connection).value();
}

LakeResult<std::unique_ptr<LakeTransaction>> Lake::Begin() {
  std::lock_guard lock(catalog_mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto latest, LoadLatestSnapshot(*store_));
  MALLARD_ASSIGN_OR_RETURN(auto view, LoadCatalogView(*store_, latest, data_path_));
  return std::unique_ptr<LakeTransaction>(new LakeTransaction(shared_from_this(), std::move(view)));
}

LakeResult<CatalogView> Lake::ViewAt(std::optional<std::int64_t> snapshot) {
  SnapshotRow row;
  if (snapshot) {
    MALLARD_ASSIGN_OR_RETURN(row, LoadSnapshot(*store_, *snapshot));
  } else {
    MALLARD_ASSIGN_OR_RETURN(row, LoadLatestSnapshot(*store_));
  }
  return LoadCatalogView(*store_, row, data_path_);
}

LakeResult<SnapshotInfo> Lake::CurrentSnapshot() {
  std::lock_guard lock(catalog_mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto rows, store_->Query(std::string(kSnapshotInfoQuery) +
                                                    "WHERE s.snapshot_id = (SELECT max(snapshot_id) FROM ducklake_snapshot)"));
  if (rows.empty()) return LakeFail(LakeErrorCode::kCatalog, "the DuckLake catalog has no snapshot");
  return SnapshotFromRow(rows[0]);
}

LakeResult<std::vector<SnapshotInfo>> Lake::Snapshots() {
  std::lock_guard lock(catalog_mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto rows, store_->Query(std::string(kSnapshotInfoQuery) + "ORDER BY s.snapshot_id"));
  std::vector<SnapshotInfo> out;
  for (const auto& row : rows) out.push_back(SnapshotFromRow(row));
  return out;
}

LakeResult<std::int64_t> Lake::SnapshotAsOf(const std::string& timestamp) {
  std::lock_guard lock(catalog_mutex_);
  auto rows = store_->Query("SELECT max(snapshot_id) FROM ducklake_snapshot WHERE snapshot_time <= CAST(" +
                            SqlString(timestamp) + " AS TIMESTAMPTZ)");
  if (!rows.ok()) return LakeFail(LakeErrorCode::kInvalid, "bad timestamp '" + timestamp + "': " + rows.error().message);
  if (rows->empty() || !(*rows)[0][0]) {
    return LakeFail(LakeErrorCode::kNotFound, "no snapshot was committed at or before " + timestamp);
  }
  return CatalogInt((*rows)[0][0]);
}

LakeResult<std::vector<std::string>> Lake::ListSchemas(std::optional<std::int64_t> snapshot) {
  std::lock_guard lock(catalog_mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto view, ViewAt(snapshot));
  std::vector<std::string> out;
  for (const auto& schema : view.schemas) out.push_back(schema.name);
  return out;
}

LakeResult<std::vector<TableInfo>> Lake::ListTables(std::optional<std::int64_t> snapshot) {
  std::lock_guard lock(catalog_mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto view, ViewAt(snapshot));
  std::vector<TableInfo> out;
  for (const auto& table : view.tables) {
    const SchemaEntry* schema = view.SchemaById(table.schema_id);
    out.push_back({schema ? schema->name : "", table.name, table.table_id, table.columns});
  }
  return out;
}

LakeResult<TableInfo> Lake::DescribeTable(const std::string& schema, const std::string& table,
                                          std::optional<std::int64_t> snapshot) {
  std::lock_guard lock(catalog_mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto view, ViewAt(snapshot));
  const TableEntry* entry = view.FindTable(schema, table);
  if (!entry) return LakeFail(LakeErrorCode::kNotFound, "table \"" + schema + "\".\"" + table + "\" does not exist");
  return TableInfo{schema, table, entry->table_id, entry->columns};
}

LakeResult<std::string> Lake::ScanSql(const std::string& schema, const std::string& table,
                                      std::optional<std::int64_t> snapshot) {
  std::unique_lock lock(catalog_mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto view, ViewAt(snapshot));
  const TableEntry* entry = view.FindTable(schema, table);
  if (!entry) {
    return LakeFail(LakeErrorCode::kNotFound, "table \"" + schema + "\".\"" + table + "\" does not exist" +
                                                  (snapshot ? " at snapshot " + std::to_string(*snapshot) : ""));
  }
  MALLARD_RETURN_IF_ERROR(LoadTableFiles(*store_, view, entry->table_id));
  MALLARD_ASSIGN_OR_RETURN(auto inlined, LoadInlinedData(*store_, view, *entry));
  lock.unlock();

  return BuildScanSql(view, *entry, view.files[entry->table_id], &inlined);
}

LakeResult<std::vector<CatalogRow>> Lake::QueryCatalog(const std::string& sql) {
  std::lock_guard lock(catalog_mutex_);
  return store_->Query(sql);
}

void Lake::AddCommitListener(std::function<void(std::int64_t)> listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.push_back(std::move(listener));
}

void Lake::NotifyCommitted(std::int64_t snapshot_id) {
  std::vector<std::function<void(std::int64_t)>> listeners;
  {
    std::lock_guard lock(listeners_mutex_);
    listeners = listeners_;
  }
  for (const auto& listener : listeners) listener(snapshot_id);
}

}  // namespace mallard::lake
