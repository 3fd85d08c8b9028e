#include "lake/commit_builder.hpp"

#include <algorithm>

namespace mallard::lake {
namespace {

std::string OptInt(const std::optional<std::int64_t>& value) { return value ? std::to_string(*value) : "NULL"; }
std::string OptBool(const std::optional<bool>& value) { return value ? (*value ? "true" : "false") : "NULL"; }

// The extension stores no min/max that holds a NUL byte.
CatalogValue StatText(const CatalogValue& value) {
  if (value && value->find('\0') != std::string::npos) return std::nullopt;
  return value;
}

}  // namespace

void CommitBuilder::Change(const std::string& entry) {
  if (std::find(changes.begin(), changes.end(), entry) == changes.end()) changes.push_back(entry);
}

LakeResult<TableStatsRow*> CommitBuilder::TableStats(std::int64_t table_id) {
  auto found = table_stats_.find(table_id);
  if (found != table_stats_.end()) return &found->second;
  MALLARD_ASSIGN_OR_RETURN(auto rows, store->Query("SELECT record_count, next_row_id, file_size_bytes FROM "
                                                   "ducklake_table_stats WHERE table_id = " + std::to_string(table_id)));
  TableStatsRow row;
  if (!rows.empty()) {
    row.exists = true;
    row.record_count = CatalogInt(rows[0][0]);
    row.next_row_id = CatalogInt(rows[0][1]);
    row.file_size_bytes = CatalogInt(rows[0][2]);
  }
  return &table_stats_.emplace(table_id, row).first->second;
}

LakeResult<std::map<std::int64_t, ColumnStatsRow>*> CommitBuilder::ColumnStats(std::int64_t table_id) {
  auto found = column_stats_.find(table_id);
  if (found != column_stats_.end()) return &found->second;
  MALLARD_ASSIGN_OR_RETURN(auto rows, store->Query("SELECT column_id, contains_null, contains_nan, min_value, max_value "
                                                   "FROM ducklake_table_column_stats WHERE table_id = " +
                                                   std::to_string(table_id)));
  std::map<std::int64_t, ColumnStatsRow> stats;
  for (const auto& row : rows) {
    ColumnStatsRow column;
    column.exists = true;
    if (row[1]) column.contains_null = CatalogBool(row[1]);
    if (row[2]) column.contains_nan = CatalogBool(row[2]);
    column.min_value = row[3];
    column.max_value = row[4];
    stats[CatalogInt(row[0])] = column;
  }
  return &column_stats_.emplace(table_id, std::move(stats)).first->second;
}

LakeResult<std::int64_t> CommitBuilder::AddDataFile(const TableEntry& table, std::int64_t data_file_id,
                                                    const WrittenFile& file, bool new_rows) {
  MALLARD_ASSIGN_OR_RETURN(auto* table_stats, TableStats(table.table_id));
  std::int64_t row_id_start = table_stats->next_row_id;
  if (new_rows) table_stats->record_count += file.record_count;
  table_stats->next_row_id += file.record_count;
  table_stats->file_size_bytes += file.file_size_bytes;
  std::string id = std::to_string(data_file_id), tid = std::to_string(table.table_id);
  statements.push_back(
      "INSERT INTO ducklake_data_file (data_file_id, table_id, begin_snapshot, end_snapshot, file_order, path, "
      "path_is_relative, file_format, record_count, file_size_bytes, footer_size, row_id_start, partition_id, "
      "encryption_key, mapping_id, partial_max) VALUES (" +
      id + ", " + tid + ", " + std::to_string(snapshot_id) + ", NULL, NULL, " + SqlString(file.file_name) +
      ", true, 'parquet', " + std::to_string(file.record_count) + ", " + std::to_string(file.file_size_bytes) + ", " +
      std::to_string(file.footer_size) + ", " + std::to_string(row_id_start) + ", NULL, NULL, NULL, NULL)");
  MALLARD_ASSIGN_OR_RETURN(auto* column_stats, ColumnStats(table.table_id));
  for (const auto& leaf : LeafColumns(table.columns)) {
    auto found = file.column_stats.find(leaf.stats_key);
    ColumnFileStats stats = found == file.column_stats.end() ? ColumnFileStats{} : found->second;
    std::optional<std::int64_t> value_count;
    if (leaf.top_level && stats.null_count) value_count = file.record_count - *stats.null_count;
    CatalogValue min_value = StatText(stats.min_value), max_value = StatText(stats.max_value);
    statements.push_back(
        "INSERT INTO ducklake_file_column_stats (data_file_id, table_id, column_id, column_size_bytes, value_count, "
        "null_count, min_value, max_value, contains_nan, extra_stats) VALUES (" +
        id + ", " + tid + ", " + std::to_string(leaf.column->column_id) + ", " + OptInt(stats.column_size_bytes) +
        ", " + OptInt(value_count) + ", " + OptInt(stats.null_count) + ", " + SqlOptString(min_value) + ", " +
        SqlOptString(max_value) + ", " + OptBool(stats.contains_nan) + ", NULL)");
    // Widen the table-level statistics: min of mins, max of maxes, OR of the flags. A file
    // without a known null count may hold nulls.
    auto& table_column = (*column_stats)[leaf.column->column_id];
    table_column.changed = true;
    bool file_nulls = !stats.null_count || *stats.null_count > 0;
    table_column.contains_null = table_column.contains_null.value_or(false) || file_nulls;
    if (stats.contains_nan) table_column.contains_nan = table_column.contains_nan.value_or(false) || *stats.contains_nan;
    // A file whose column is all NULL has no min/max: it widens nothing.
    const std::string& type = leaf.column->type;
    if (min_value && (!table_column.min_value || CompareStatValues(type, *min_value, *table_column.min_value) < 0)) {
      table_column.min_value = min_value;
    }
    if (max_value && (!table_column.max_value || CompareStatValues(type, *max_value, *table_column.max_value) > 0)) {
      table_column.max_value = max_value;
    }
  }
  return row_id_start;
}

void CommitBuilder::AddDeleteFile(std::int64_t table_id, std::int64_t data_file_id, const DeleteFileEntry& deletes,
                                  const WrittenFile& file) {
  statements.push_back(
      "INSERT INTO ducklake_delete_file (delete_file_id, table_id, begin_snapshot, end_snapshot, data_file_id, path, "
      "path_is_relative, format, delete_count, file_size_bytes, footer_size, encryption_key, partial_max) VALUES (" +
      std::to_string(deletes.delete_file_id) + ", " + std::to_string(table_id) + ", " + std::to_string(snapshot_id) +
      ", NULL, " + std::to_string(data_file_id) + ", " + SqlString(deletes.path) + ", true, 'parquet', " +
      std::to_string(deletes.delete_count) + ", " + std::to_string(file.file_size_bytes) + ", " +
      std::to_string(file.footer_size) + ", NULL, NULL)");
  created_delete_files_.insert(deletes.delete_file_id);
}

void CommitBuilder::RetireDeleteFile(const DeleteFileEntry& deletes, const std::string& table_directory) {
  std::string id = std::to_string(deletes.delete_file_id);
  if (created_delete_files_.count(deletes.delete_file_id)) {
    // Superseded within this very commit: no snapshot ever saw it.
    statements.push_back("DELETE FROM ducklake_delete_file WHERE delete_file_id = " + id);
    superseded_files.push_back(deletes.path_is_relative ? table_directory + deletes.path : deletes.path);
    return;
  }
  statements.push_back("UPDATE ducklake_delete_file SET end_snapshot = " + std::to_string(snapshot_id) +
                       " WHERE delete_file_id = " + id + " AND end_snapshot IS NULL");
}

std::string CommitBuilder::Finish(const SnapshotRow& previous, const SnapshotRow& counters, const CatalogValue& author,
                                  const CatalogValue& message, const CatalogValue& extra_info) {
  std::int64_t schema_version = previous.schema_version + (schema_changed ? 1 : 0);
  std::string n = std::to_string(snapshot_id);
  // The snapshot row goes first: a concurrent committer of the same id fails on its key early.
  std::string sql = "INSERT INTO ducklake_snapshot (snapshot_id, snapshot_time, schema_version, next_catalog_id, "
                    "next_file_id) VALUES (" + n + ", now(), " + std::to_string(schema_version) + ", " +
                    std::to_string(counters.next_catalog_id) + ", " + std::to_string(counters.next_file_id) + ");\n";
  for (const auto& statement : statements) sql += statement + ";\n";
  for (auto table_id : altered_tables) {
    sql += "INSERT INTO ducklake_schema_versions (begin_snapshot, schema_version, table_id) VALUES (" + n + ", " +
           std::to_string(schema_version) + ", " + std::to_string(table_id) + ");\n";
  }
  for (const auto& [table_id, stats] : table_stats_) {
    std::string tid = std::to_string(table_id);
    if (stats.exists) {
      sql += "UPDATE ducklake_table_stats SET record_count = " + std::to_string(stats.record_count) +
             ", next_row_id = " + std::to_string(stats.next_row_id) + ", file_size_bytes = " +
             std::to_string(stats.file_size_bytes) + " WHERE table_id = " + tid + ";\n";
    } else {
      sql += "INSERT INTO ducklake_table_stats (table_id, record_count, next_row_id, file_size_bytes) VALUES (" + tid +
             ", " + std::to_string(stats.record_count) + ", " + std::to_string(stats.next_row_id) + ", " +
             std::to_string(stats.file_size_bytes) + ");\n";
    }
  }
  for (const auto& [table_id, columns] : column_stats_) {
    std::string tid = std::to_string(table_id);
    for (const auto& [column_id, stats] : columns) {
      if (!stats.changed) continue;
      std::string cid = std::to_string(column_id);
      if (stats.exists) {
        sql += "UPDATE ducklake_table_column_stats SET contains_null = " + OptBool(stats.contains_null) +
               ", contains_nan = " + OptBool(stats.contains_nan) + ", min_value = " + SqlOptString(stats.min_value) +
               ", max_value = " + SqlOptString(stats.max_value) + " WHERE table_id = " + tid + " AND column_id = " +
               cid + ";\n";
      } else {
        sql += "INSERT INTO ducklake_table_column_stats (table_id, column_id, contains_null, contains_nan, min_value, "
               "max_value, extra_stats) VALUES (" + tid + ", " + cid + ", " + OptBool(stats.contains_null) + ", " +
               OptBool(stats.contains_nan) + ", " + SqlOptString(stats.min_value) + ", " +
               SqlOptString(stats.max_value) + ", NULL);\n";
      }
    }
  }
  std::string changes_made;
  for (const auto& change : changes) changes_made += (changes_made.empty() ? "" : ",") + change;
  sql += "INSERT INTO ducklake_snapshot_changes (snapshot_id, changes_made, author, commit_message, commit_extra_info) "
         "VALUES (" + n + ", " + (changes_made.empty() ? std::string("NULL") : SqlString(changes_made)) + ", " +
         SqlOptString(author) + ", " + SqlOptString(message) + ", " + SqlOptString(extra_info) + ");\n";
  return sql;
}

}  // namespace mallard::lake
