#pragma once
// CommitBuilder: the catalog rows of one snapshot, collected while a transaction's changes are
// replayed on the latest catalog view — ids, row-id ranges, file statistics and the widened
// table statistics — and rendered as one SQL batch.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lake/catalog_store.hpp"
#include "lake/catalog_view.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::lake {

struct TableStatsRow {
  bool exists = false;
  std::int64_t record_count = 0, next_row_id = 0, file_size_bytes = 0;
};

struct ColumnStatsRow {
  bool exists = false, changed = false;
  std::optional<bool> contains_null, contains_nan;
  CatalogValue min_value, max_value;
};

struct CommitBuilder {
  CommitBuilder(CatalogStore& store, std::int64_t snapshot_id) : store(&store), snapshot_id(snapshot_id) {}

  CatalogStore* store;
  std::int64_t snapshot_id;
  std::vector<std::string> statements;
  std::vector<std::string> changes;
  bool schema_changed = false;
  std::set<std::int64_t> altered_tables;
  std::vector<std::string> superseded_files;  // removed from disk once the commit succeeded

  void Change(const std::string& entry);
  // Registers a data file: its row, its per-column statistics, the table's statistics.
  // Returns the file's row_id_start. `new_rows` is false for a rewrite of rows already counted
  // (compaction): they get new row ids but do not add to the table's gross record count.
  LakeResult<std::int64_t> AddDataFile(const TableEntry& table, std::int64_t data_file_id, const WrittenFile& file,
                                       bool new_rows = true);
  void AddDeleteFile(std::int64_t table_id, std::int64_t data_file_id, const DeleteFileEntry& deletes,
                     const WrittenFile& file);
  // The live delete file of a data file is superseded: ended, or (if this commit wrote it)
  // removed outright.
  void RetireDeleteFile(const DeleteFileEntry& deletes, const std::string& table_directory);
  // The whole batch: snapshot row, the changes' rows, schema versions, statistics, changes row.
  std::string Finish(const SnapshotRow& previous, const SnapshotRow& counters, const CatalogValue& author,
                     const CatalogValue& message, const CatalogValue& extra_info);

 private:
  LakeResult<TableStatsRow*> TableStats(std::int64_t table_id);
  LakeResult<std::map<std::int64_t, ColumnStatsRow>*> ColumnStats(std::int64_t table_id);

  std::map<std::int64_t, TableStatsRow> table_stats_;
  std::map<std::int64_t, std::map<std::int64_t, ColumnStatsRow>> column_stats_;
  std::set<std::int64_t> created_delete_files_;
};

}  // namespace mallard::lake
