#pragma once
// Lake: a DuckLake (format 1.0) — a SQL catalog plus Parquet files under a data path — written
// and read by Mallard itself through DuckDB's C API. Every change goes through a LakeTransaction
// and becomes one snapshot; readers get SQL that any DuckDB connection can run over the files
// live at a snapshot (time travel included).
//
// Threading: a Lake may be shared by threads. Transactions write their Parquet files on the
// caller's DuckDB connection without holding any lock; commits and catalog reads are serialised
// on the one catalog connection. Concurrent committers (other threads, other processes on a
// PostgreSQL catalog) are detected and retried as the DuckLake spec describes.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "infra/duckdb/duckdb_wrapper.hpp"
#include "lake/catalog_store.hpp"
#include "lake/catalog_view.hpp"
#include "lake/lake_types.hpp"

namespace mallard::lake {

class LakeTransaction;

struct LakeOptions {
  // A DuckDB file path (":memory:" for a throw-away lake) or a PostgreSQL connection string
  // ("postgres://…", "postgresql://…", "postgres:dbname=… host=…").
  std::string catalog;
  // Where Parquet files go. Empty: "<catalog>.files/" for a file catalog (the extension's default);
  // required for PostgreSQL and in-memory catalogs. Relative paths are made absolute.
  std::string data_path;
  // The lake's own DuckDB, used for type resolution and maintenance rewrites.
  unsigned work_threads = 1;
  std::string work_memory_limit = "512MB";
  std::string work_temp_directory;  // empty: <data_path>/.tmp
  // Only reads: a DuckDB-file catalog that another process holds is read from a consistent
  // private copy, and a missing catalog is an error instead of being created.
  bool read_only = false;
  int max_commit_attempts = 10;
  int retry_wait_ms = 20;
};

struct SnapshotInfo {
  std::int64_t snapshot_id = 0;
  std::string snapshot_time;
  std::int64_t schema_version = 0;
  CatalogValue changes_made, author, commit_message, commit_extra_info;
};

struct TableInfo {
  std::string schema;
  std::string name;
  std::int64_t table_id = 0;
  std::vector<LakeColumn> columns;
};

struct MaintenanceReport {
  std::int64_t snapshot_id = 0;      // the snapshot the work committed (0: nothing committed)
  std::int64_t files_rewritten = 0;  // compaction: data files merged
  std::int64_t files_written = 0;
  std::int64_t snapshots_expired = 0;
  std::int64_t files_scheduled = 0;  // expiry: files queued for deletion
  std::int64_t files_deleted = 0;    // cleanup: files removed from disk
};

class Lake : public std::enable_shared_from_this<Lake> {
 public:
  // Opens the lake in `options.catalog`, creating it (tables and snapshot 0) when absent.
  static LakeResult<std::shared_ptr<Lake>> Open(const LakeOptions& options);
  ~Lake();

  const std::string& DataPath() const { return data_path_; }
  const std::string& CatalogSpec() const { return options_.catalog; }

  LakeResult<std::unique_ptr<LakeTransaction>> Begin();

  LakeResult<SnapshotInfo> CurrentSnapshot();
  LakeResult<std::vector<SnapshotInfo>> Snapshots();
  // The latest snapshot committed at or before `timestamp` (any text the catalog casts to TIMESTAMPTZ).
  LakeResult<std::int64_t> SnapshotAsOf(const std::string& timestamp);
  LakeResult<std::vector<std::string>> ListSchemas(std::optional<std::int64_t> snapshot = std::nullopt);
  LakeResult<std::vector<TableInfo>> ListTables(std::optional<std::int64_t> snapshot = std::nullopt);
  LakeResult<TableInfo> DescribeTable(const std::string& schema, const std::string& table,
                                      std::optional<std::int64_t> snapshot = std::nullopt);
  // A SELECT over the table's rows at `snapshot` (latest when unset), for any DuckDB connection.
  LakeResult<std::string> ScanSql(const std::string& schema, const std::string& table,
                                  std::optional<std::int64_t> snapshot = std::nullopt);

  // Maintenance, as the extension's functions do it (see lake_maintenance.cpp).
  // Rewrites the live rows of a table's data files (those of at most `max_file_rows` rows) into
  // one file when there are at least `min_files` of them (or any has a delete file).
  LakeResult<MaintenanceReport> CompactTable(const std::string& schema, const std::string& table, int min_files = 2,
                                             std::int64_t max_file_rows = INT64_MAX);
  // Removes snapshots older than `older_than` (catalog timestamp text) but always keeps the
  // latest `keep_last` (>= 1); files no kept snapshot can see are scheduled for deletion.
  LakeResult<MaintenanceReport> ExpireSnapshots(std::optional<std::string> older_than, std::int64_t keep_last);
  // Deletes scheduled files and orphans (files under the data path no snapshot references,
  // e.g. left by a crash between writing and committing) older than `min_age_seconds`.
  LakeResult<MaintenanceReport> CleanupFiles(std::int64_t min_age_seconds);

  // Called after every commit with the new snapshot id (on the committing thread).
  void AddCommitListener(std::function<void(std::int64_t)> listener);

  // A read of the catalog database itself (diagnostics, tests, `mallard lake`).
  LakeResult<std::vector<CatalogRow>> QueryCatalog(const std::string& sql);

  // For transactions and maintenance: a connection to the lake's own DuckDB.
  LakeResult<duckdb::Connection> WorkConnection();

 private:
  friend class LakeTransaction;
  Lake(LakeOptions options, std::unique_ptr<CatalogStore> store, std::string data_path)
      : options_(std::move(options)), store_(std::move(store)), data_path_(std::move(data_path)) {}
  LakeResult<CatalogView> ViewAt(std::optional<std::int64_t> snapshot);  // caller holds catalog_mutex_
  void NotifyCommitted(std::int64_t snapshot_id);

  LakeOptions options_;
  std::mutex catalog_mutex_;
  std::unique_ptr<CatalogStore> store_;
  std::string data_path_;
  std::mutex work_mutex_;
  std::shared_ptr<duckdb::Database> work_database_;
  std::mutex listeners_mutex_;
  std::vector<std::function<void(std::int64_t)>> listeners_;
};

}  // namespace mallard::lake
