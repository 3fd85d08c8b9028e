#include "lake/catalog_view.hpp"

#include <algorithm>

namespace mallard::lake {
namespace {

LakeResult<SnapshotRow> SnapshotFrom(const std::vector<CatalogRow>& rows, const std::string& what) {
  if (rows.empty()) return LakeFail(LakeErrorCode::kNotFound, what);
  const auto& row = rows[0];
  SnapshotRow snapshot;
  snapshot.snapshot_id = CatalogInt(row[0]);
  snapshot.schema_version = CatalogInt(row[1]);
  snapshot.next_catalog_id = CatalogInt(row[2]);
  snapshot.next_file_id = CatalogInt(row[3]);
  snapshot.snapshot_time = row[4].value_or("");
  return snapshot;
}

constexpr const char* kSnapshotColumns =
    "SELECT snapshot_id, schema_version, next_catalog_id, next_file_id, CAST(snapshot_time AS VARCHAR) "
    "FROM ducklake_snapshot ";

std::string JoinPath(const std::string& base, const CatalogValue& path, bool relative) {
  if (!path) return base;  // NULL path: the parent's directory
  if (!relative) return *path;
  return base + *path;
}

// Builds the column trees of every table from rows ordered parent-first. A column that names itself
// as parent (a damaged catalog) is refused: attaching it would move it into its own children.
LakeStatus AttachColumns(std::vector<TableEntry>& tables, const std::vector<CatalogRow>& rows) {
  std::map<std::int64_t, std::vector<CatalogRow>> by_table;
  for (const auto& row : rows) by_table[CatalogInt(row[0])].push_back(row);
  for (auto& table : tables) {
    auto found = by_table.find(table.table_id);
    if (found == by_table.end()) continue;
    // Rows: table_id, column_id, column_order, name, type, initial_default, default_value, nulls_allowed, parent
    std::map<std::int64_t, LakeColumn> nodes;
    std::vector<std::pair<std::int64_t, std::int64_t>> order;  // (parent or -1, column_id) in row order
    for (const auto& row : found->second) {
      LakeColumn column;
      column.column_id = CatalogInt(row[1]);
      column.name = row[3].value_or("");
      column.type = row[4].value_or("");
      column.initial_default = row[5];
      column.default_value = row[6];
      column.nulls_allowed = !row[7] || CatalogBool(row[7]);
      std::int64_t parent = row[8] ? CatalogInt(row[8]) : -1;
      if (parent == column.column_id) {
        return LakeFail(LakeErrorCode::kInvalid, "catalog column " + std::to_string(parent) + " of table " +
                                                     std::to_string(table.table_id) + " is its own parent");
      }
      order.emplace_back(parent, column.column_id);
      nodes[column.column_id] = std::move(column);
    }
    // Children were ordered after their parents; attach bottom-up so grandchildren land first.
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if (it->first < 0) continue;
      auto parent = nodes.find(it->first);
      if (parent == nodes.end()) continue;
      parent->second.children.insert(parent->second.children.begin(), std::move(nodes[it->second]));
    }
    for (const auto& [parent, id] : order) {
      if (parent < 0) table.columns.push_back(std::move(nodes[id]));
    }
  }
  return Done{};
}

}  // namespace

std::string VisibleAt(const std::string& alias, std::int64_t snapshot_id) {
  std::string s = std::to_string(snapshot_id);
  return alias + ".begin_snapshot <= " + s + " AND (" + alias + ".end_snapshot IS NULL OR " + s + " < " + alias +
         ".end_snapshot)";
}

bool IsPathSafeName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

const SchemaEntry* CatalogView::FindSchema(const std::string& name) const {
  for (const auto& schema : schemas) {
    if (schema.name == name) return &schema;
  }
  return nullptr;
}

const SchemaEntry* CatalogView::SchemaById(std::int64_t schema_id) const {
  for (const auto& schema : schemas) {
    if (schema.schema_id == schema_id) return &schema;
  }
  return nullptr;
}

TableEntry* CatalogView::FindTable(const std::string& schema, const std::string& name) {
  const SchemaEntry* owner = FindSchema(schema);
  if (owner == nullptr) return nullptr;
  for (auto& table : tables) {
    if (table.schema_id == owner->schema_id && table.name == name) return &table;
  }
  return nullptr;
}

const TableEntry* CatalogView::FindTable(const std::string& schema, const std::string& name) const {
  return const_cast<CatalogView*>(this)->FindTable(schema, name);
}

const TableEntry* CatalogView::TableById(std::int64_t table_id) const {
  for (const auto& table : tables) {
    if (table.table_id == table_id) return &table;
  }
  return nullptr;
}

std::string CatalogView::TableDirectory(const TableEntry& table) const {
  const SchemaEntry* schema = SchemaById(table.schema_id);
  std::string schema_dir = schema ? JoinPath(data_path, schema->path, schema->path_is_relative) : data_path;
  return JoinPath(schema_dir, table.path, table.path_is_relative);
}

std::string CatalogView::DataFilePath(const TableEntry& table, const std::string& path, bool relative) const {
  return relative ? TableDirectory(table) + path : path;
}

LakeResult<SnapshotRow> LoadLatestSnapshot(CatalogStore& store) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query(std::string(kSnapshotColumns) +
                                                  "WHERE snapshot_id = (SELECT max(snapshot_id) FROM ducklake_snapshot)"));
  return SnapshotFrom(rows, "the DuckLake catalog has no snapshot");
}

LakeResult<SnapshotRow> LoadSnapshot(CatalogStore& store, std::int64_t snapshot_id) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query(std::string(kSnapshotColumns) +
                                                  "WHERE snapshot_id = " + std::to_string(snapshot_id)));
  return SnapshotFrom(rows, "snapshot " + std::to_string(snapshot_id) + " does not exist");
}

LakeResult<CatalogView> LoadCatalogView(CatalogStore& store, const SnapshotRow& snapshot, const std::string& data_path) {
  CatalogView view;
  view.snapshot = snapshot;
  view.data_path = data_path;
  std::int64_t s = snapshot.snapshot_id;
  MALLARD_ASSIGN_OR_RETURN(auto schema_rows,
                           store.Query("SELECT schema_id, schema_name, path, path_is_relative FROM ducklake_schema s WHERE " +
                                       VisibleAt("s", s) + " ORDER BY schema_id"));
  for (const auto& row : schema_rows) {
    view.schemas.push_back({CatalogInt(row[0]), row[1].value_or(""), row[2], !row[3] || CatalogBool(row[3])});
  }
  MALLARD_ASSIGN_OR_RETURN(auto table_rows,
                           store.Query("SELECT table_id, schema_id, CAST(table_uuid AS VARCHAR), table_name, path, "
                                       "path_is_relative FROM ducklake_table t WHERE " +
                                       VisibleAt("t", s) + " ORDER BY table_id"));
  for (const auto& row : table_rows) {
    TableEntry table;
    table.table_id = CatalogInt(row[0]);
    table.schema_id = CatalogInt(row[1]);
    table.uuid = row[2].value_or("");
    table.name = row[3].value_or("");
    table.path = row[4];
    table.path_is_relative = !row[5] || CatalogBool(row[5]);
    view.tables.push_back(std::move(table));
  }
  MALLARD_ASSIGN_OR_RETURN(auto column_rows,
                           store.Query("SELECT table_id, column_id, column_order, column_name, column_type, "
                                       "initial_default, default_value, nulls_allowed, parent_column "
                                       "FROM ducklake_column c WHERE " +
                                       VisibleAt("c", s) +
                                       " ORDER BY table_id, parent_column NULLS FIRST, column_order, column_id"));
  MALLARD_RETURN_IF_ERROR(AttachColumns(view.tables, column_rows));
  // Column ids are never reused: live files may still hold a dropped column's field id. Its
  // catalog rows may be gone (snapshot expiry by older versions removed them), so the ids in the
  // files' statistics count too.
  MALLARD_ASSIGN_OR_RETURN(auto max_rows, store.Query(
      "SELECT table_id, max(column_id) FROM (SELECT table_id, column_id FROM ducklake_column WHERE begin_snapshot <= " +
      std::to_string(s) + " UNION ALL SELECT table_id, column_id FROM ducklake_file_column_stats) AS ids GROUP BY table_id"));
  for (const auto& row : max_rows) {
    for (auto& table : view.tables) {
      if (table.table_id == CatalogInt(row[0])) table.next_column_id = CatalogInt(row[1]) + 1;
    }
  }
  return view;
}

LakeStatus LoadTableFiles(CatalogStore& store, CatalogView& view, std::int64_t table_id) {
  std::int64_t s = view.snapshot.snapshot_id;
  std::string sql =
      "SELECT d.data_file_id, d.path, d.path_is_relative, d.record_count, d.row_id_start, d.partial_max, "
      "x.delete_file_id, x.path, x.path_is_relative, x.delete_count, x.partial_max, d.mapping_id "
      "FROM ducklake_data_file d LEFT JOIN (SELECT * FROM ducklake_delete_file x WHERE " +
      VisibleAt("x", s) + ") x ON x.data_file_id = d.data_file_id WHERE d.table_id = " + std::to_string(table_id) +
      " AND " + VisibleAt("d", s) + " ORDER BY d.data_file_id";
  MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query(sql));
  std::vector<DataFileEntry> files;
  files.reserve(rows.size());
  for (const auto& row : rows) {
    DataFileEntry file;
    file.data_file_id = CatalogInt(row[0]);
    file.path = row[1].value_or("");
    file.path_is_relative = !row[2] || CatalogBool(row[2]);
    file.record_count = CatalogInt(row[3]);
    file.row_id_start = CatalogInt(row[4]);
    if (row[5]) file.partial_max = CatalogInt(row[5]);
    file.name_mapped = row[11].has_value();
    if (row[6]) {
      file.deletes = DeleteFileEntry{CatalogInt(row[6]), row[7].value_or(""), !row[8] || CatalogBool(row[8]),
                                     CatalogInt(row[9]), std::nullopt};
      if (row[10]) file.deletes->partial_max = CatalogInt(row[10]);
    }
    files.push_back(std::move(file));
  }
  view.files[table_id] = std::move(files);
  return Done{};
}

}  // namespace mallard::lake
