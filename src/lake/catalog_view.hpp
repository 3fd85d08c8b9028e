#pragma once
// CatalogView: what a DuckLake holds at one snapshot — schemas, tables with their column trees,
// and (loaded per table, on demand) the live data files with their delete files. Loaded from the
// catalog with the spec's visibility rule: begin_snapshot <= S AND (end_snapshot IS NULL OR S < end_snapshot).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lake/catalog_store.hpp"
#include "lake/lake_types.hpp"

namespace mallard::lake {

struct SnapshotRow {
  std::int64_t snapshot_id = 0;
  std::int64_t schema_version = 0;
  std::int64_t next_catalog_id = 0;
  std::int64_t next_file_id = 0;
  std::string snapshot_time;
};

struct SchemaEntry {
  std::int64_t schema_id = 0;
  std::string name;
  CatalogValue path;
  bool path_is_relative = true;
};

struct TableEntry {
  std::int64_t table_id = 0;
  std::int64_t schema_id = 0;
  std::string uuid;
  std::string name;
  CatalogValue path;
  bool path_is_relative = true;
  std::vector<LakeColumn> columns;
  // One past the largest column id the table ever had (dropped columns included): ids are
  // never reused.
  std::int64_t next_column_id = 1;
};

struct DeleteFileEntry {
  std::int64_t delete_file_id = 0;
  std::string path;
  bool path_is_relative = true;
  std::int64_t delete_count = 0;
  // Set on the extension's snapshot-tagged delete files: each position carries the snapshot that
  // deleted it (_ducklake_internal_snapshot_id), the largest of which this is.
  std::optional<std::int64_t> partial_max;
};

struct DataFileEntry {
  std::int64_t data_file_id = 0;
  std::string path;
  bool path_is_relative = true;
  std::int64_t record_count = 0;
  std::int64_t row_id_start = 0;
  // Set on files the extension merged from several snapshots: each row carries the snapshot that
  // inserted it (_ducklake_internal_snapshot_id), the largest of which this is.
  std::optional<std::int64_t> partial_max;
  // Registered by ducklake_add_data_files: columns are found by name through a mapping, the file
  // has no field ids.
  bool name_mapped = false;
  std::optional<DeleteFileEntry> deletes;
};

class CatalogView {
 public:
  SnapshotRow snapshot;
  std::string data_path;  // ends in '/'
  std::vector<SchemaEntry> schemas;
  std::vector<TableEntry> tables;
  // Per table: live files at `snapshot`, loaded by LoadTableFiles.
  std::map<std::int64_t, std::vector<DataFileEntry>> files;

  const SchemaEntry* FindSchema(const std::string& name) const;
  const SchemaEntry* SchemaById(std::int64_t schema_id) const;
  TableEntry* FindTable(const std::string& schema, const std::string& name);
  const TableEntry* FindTable(const std::string& schema, const std::string& name) const;
  const TableEntry* TableById(std::int64_t table_id) const;
  // Absolute directory of a table's files, ending in '/'.
  std::string TableDirectory(const TableEntry& table) const;
  std::string DataFilePath(const TableEntry& table, const std::string& path, bool relative) const;
};

LakeResult<SnapshotRow> LoadLatestSnapshot(CatalogStore& store);
LakeResult<SnapshotRow> LoadSnapshot(CatalogStore& store, std::int64_t snapshot_id);
// Schemas, tables and columns at `snapshot` (files are not loaded).
LakeResult<CatalogView> LoadCatalogView(CatalogStore& store, const SnapshotRow& snapshot, const std::string& data_path);
// Fills view.files[table_id] (live data files and their live delete files at the view's snapshot).
LakeStatus LoadTableFiles(CatalogStore& store, CatalogView& view, std::int64_t table_id);

// "<begin> <= S AND (<end> IS NULL OR S < <end>)" for a table alias.
std::string VisibleAt(const std::string& alias, std::int64_t snapshot_id);
// A name may be used as a path segment when it has only [A-Za-z0-9_-].
bool IsPathSafeName(const std::string& name);

}  // namespace mallard::lake
