// Lake maintenance, as the ducklake extension's functions do it: compaction (merge files),
// snapshot expiry (forget old snapshots, schedule the files only they could see) and cleanup
// (delete scheduled files and orphans left by writers that died before committing).
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "lake/lake.hpp"
#include "lake/lake_transaction.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::lake {
namespace {

// Absolute directory of every table that ever existed, by table id (paths survive renames).
LakeResult<std::map<std::int64_t, std::string>> TableDirectories(CatalogStore& store, const std::string& data_path) {
  MALLARD_ASSIGN_OR_RETURN(auto schemas, store.Query("SELECT schema_id, path, path_is_relative FROM ducklake_schema"));
  std::map<std::int64_t, std::string> schema_dirs;
  for (const auto& row : schemas) {
    std::string dir = data_path;
    if (row[1]) dir = (!row[2] || CatalogBool(row[2])) ? data_path + *row[1] : *row[1];
    schema_dirs[CatalogInt(row[0])] = dir;
  }
  MALLARD_ASSIGN_OR_RETURN(auto tables, store.Query("SELECT table_id, schema_id, path, path_is_relative FROM ducklake_table"));
  std::map<std::int64_t, std::string> out;
  for (const auto& row : tables) {
    auto schema_dir = schema_dirs.count(CatalogInt(row[1])) ? schema_dirs[CatalogInt(row[1])] : data_path;
    std::string dir = schema_dir;
    if (row[2]) dir = (!row[3] || CatalogBool(row[3])) ? schema_dir + *row[2] : *row[2];
    out[CatalogInt(row[0])] = dir;
  }
  return out;
}

std::string FilePath(const std::map<std::int64_t, std::string>& directories, std::int64_t table_id,
                     const CatalogValue& path, const CatalogValue& relative) {
  if (relative && !CatalogBool(relative)) return path.value_or("");
  auto found = directories.find(table_id);
  return (found == directories.end() ? std::string() : found->second) + path.value_or("");
}

}  // namespace

LakeResult<MaintenanceReport> Lake::CompactTable(const std::string& schema, const std::string& table, int min_files,
                                                 std::int64_t max_file_rows) {
  MaintenanceReport report;
  MALLARD_ASSIGN_OR_RETURN(auto transaction, Begin());
  MALLARD_ASSIGN_OR_RETURN(auto work, WorkConnection());
  MALLARD_ASSIGN_OR_RETURN(report.files_rewritten, transaction->Compact(schema, table, work, min_files, max_file_rows));
  if (report.files_rewritten == 0) return report;
  report.files_written = 1;
  transaction->SetCommitInfo(std::string("mallard"), std::string("compaction"), std::nullopt);
  MALLARD_ASSIGN_OR_RETURN(report.snapshot_id, transaction->Commit());
  return report;
}

LakeResult<MaintenanceReport> Lake::ExpireSnapshots(std::optional<std::string> older_than, std::int64_t keep_last) {
  if (keep_last < 1) return LakeFail(LakeErrorCode::kInvalid, "at least the latest snapshot must be kept");
  MaintenanceReport report;
  std::lock_guard lock(catalog_mutex_);
  CatalogStore& store = *store_;
  MALLARD_RETURN_IF_ERROR(store.Begin());
  auto fail = [&](LakeError error) -> LakeResult<MaintenanceReport> {
    store.Rollback();
    return Fail(std::move(error));
  };
  // The oldest snapshot to keep: the newest `keep_last` always stay, and with `older_than`
  // also every snapshot taken at or after it.
  std::string keep_query = "SELECT min(snapshot_id) FROM (SELECT snapshot_id FROM ducklake_snapshot ORDER BY "
                           "snapshot_id DESC LIMIT " + std::to_string(keep_last) + ") AS newest";
  auto newest = store.Query(keep_query);
  if (!newest.ok()) return fail(newest.error());
  std::int64_t keep_from = CatalogInt((*newest)[0][0]);
  if (older_than) {
    auto recent = store.Query("SELECT min(snapshot_id) FROM ducklake_snapshot WHERE snapshot_time >= CAST(" +
                              SqlString(*older_than) + " AS TIMESTAMPTZ)");
    if (!recent.ok()) return fail({LakeErrorCode::kInvalid, "bad timestamp '" + *older_than + "': " + recent.error().message});
    if (!recent->empty() && (*recent)[0][0]) keep_from = std::min(keep_from, CatalogInt((*recent)[0][0]));
  }
  std::string k = std::to_string(keep_from);
  auto expired = store.Query("SELECT count(*) FROM ducklake_snapshot WHERE snapshot_id < " + k);
  if (!expired.ok()) return fail(expired.error());
  report.snapshots_expired = CatalogInt((*expired)[0][0]);
  if (report.snapshots_expired == 0) {
    store.Rollback();
    return report;
  }
  auto directories = TableDirectories(store, data_path_);
  if (!directories.ok()) return fail(directories.error());
  // Files no kept snapshot can see: ended at or before the oldest kept one.
  std::string gone = "end_snapshot IS NOT NULL AND end_snapshot <= " + k;
  std::string sql;
  for (const char* kind : {"data", "delete"}) {
    std::string table = std::string("ducklake_") + kind + "_file";
    std::string id_column = std::string(kind) + "_file_id";
    auto files = store.Query("SELECT " + id_column + ", table_id, path, path_is_relative FROM " + table + " WHERE " + gone);
    if (!files.ok()) return fail(files.error());
    for (const auto& row : *files) {
      std::string path = FilePath(*directories, CatalogInt(row[1]), row[2], row[3]);
      sql += "INSERT INTO ducklake_files_scheduled_for_deletion (data_file_id, path, path_is_relative, schedule_start) "
             "VALUES (" + row[0].value_or("NULL") + ", " + SqlString(path) + ", false, now());\n";
      ++report.files_scheduled;
    }
  }
  sql += "DELETE FROM ducklake_file_column_stats WHERE data_file_id IN (SELECT data_file_id FROM ducklake_data_file WHERE " +
         gone + ");\n";
  sql += "DELETE FROM ducklake_file_partition_value WHERE data_file_id IN (SELECT data_file_id FROM ducklake_data_file "
         "WHERE " + gone + ");\n";
  // A dropped column's last row stays while its table lives: ADD COLUMN takes the largest id ever
  // plus one, and live files written before the drop still hold the old id (a reused id read the
  // dropped column's values as the new column's). Rows superseded by a rename or retype go.
  sql += "DELETE FROM ducklake_column WHERE " + gone + " AND (EXISTS (SELECT 1 FROM ducklake_column AS newer WHERE "
         "newer.table_id = ducklake_column.table_id AND newer.column_id = ducklake_column.column_id AND "
         "newer.begin_snapshot > ducklake_column.begin_snapshot) OR NOT EXISTS (SELECT 1 FROM ducklake_table AS t WHERE "
         "t.table_id = ducklake_column.table_id AND (t.end_snapshot IS NULL OR t.end_snapshot > " + k + ")));\n";
  for (const char* table : {"ducklake_data_file", "ducklake_delete_file", "ducklake_table", "ducklake_schema",
                            "ducklake_view", "ducklake_tag", "ducklake_column_tag", "ducklake_partition_info",
                            "ducklake_sort_info"}) {
    sql += std::string("DELETE FROM ") + table + " WHERE " + gone + ";\n";
  }
  sql += "DELETE FROM ducklake_snapshot_changes WHERE snapshot_id < " + k + ";\n";
  sql += "DELETE FROM ducklake_snapshot WHERE snapshot_id < " + k + ";\n";
  auto status = store.Execute(sql);
  if (status.ok()) status = store.Commit();
  if (!status.ok()) return fail(status.error());
  return report;
}

LakeResult<MaintenanceReport> Lake::CleanupFiles(std::int64_t min_age_seconds) {
  MaintenanceReport report;
  std::set<std::string> referenced;
  std::vector<std::pair<std::string, std::string>> scheduled;  // (path, original path text)
  std::set<std::string> not_due;
  {
    std::lock_guard lock(catalog_mutex_);
    CatalogStore& store = *store_;
    MALLARD_ASSIGN_OR_RETURN(auto directories, TableDirectories(store, data_path_));
    for (const char* table : {"ducklake_data_file", "ducklake_delete_file"}) {
      MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query(std::string("SELECT table_id, path, path_is_relative FROM ") + table));
      for (const auto& row : rows) referenced.insert(FilePath(directories, CatalogInt(row[0]), row[1], row[2]));
    }
    MALLARD_ASSIGN_OR_RETURN(auto queued, store.Query("SELECT path, path_is_relative, schedule_start <= now() - INTERVAL '" +
                                                      std::to_string(min_age_seconds) + " seconds' "
                                                      "FROM ducklake_files_scheduled_for_deletion"));
    for (const auto& row : queued) {
      std::string path = (row[1] && !CatalogBool(row[1])) ? row[0].value_or("") : data_path_ + row[0].value_or("");
      if (CatalogBool(row[2])) {
        scheduled.emplace_back(path, row[0].value_or(""));
      } else {
        not_due.insert(path);  // its turn comes later; not an orphan
      }
    }
  }
  for (const auto& [path, stored] : scheduled) {
    // A path that is live again (never in practice) is left alone.
    if (!referenced.count(path)) {
      std::error_code error;
      if (std::filesystem::remove(path, error)) ++report.files_deleted;
    }
  }
  if (!scheduled.empty()) {
    std::lock_guard lock(catalog_mutex_);
    std::string sql;
    for (const auto& [path, stored] : scheduled) {
      sql += "DELETE FROM ducklake_files_scheduled_for_deletion WHERE path = " + SqlString(stored) + ";\n";
    }
    MALLARD_RETURN_IF_ERROR(store_->Execute(sql));
  }
  // Orphans: our own file names under the data path that no catalog row references.
  auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(min_age_seconds);
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(data_path_, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file()) continue;
    std::string name = it->path().filename().string();
    if (name.rfind("ducklake-", 0) != 0 || it->path().extension() != ".parquet") continue;
    std::string path = it->path().string();
    if (referenced.count(path) || not_due.count(path)) continue;
    std::error_code time_error;
    if (std::filesystem::last_write_time(it->path(), time_error) > cutoff || time_error) continue;
    if (std::filesystem::remove(it->path(), time_error)) ++report.files_deleted;
  }
  return report;
}

}  // namespace mallard::lake
