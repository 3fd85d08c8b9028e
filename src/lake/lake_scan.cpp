#include "lake/lake_scan.hpp"

#include <map>

#include "lake/parquet_files.hpp"

namespace mallard::lake {

namespace {

// The live inlined rows as a SELECT with the table's columns and types.
LakeResult<std::string> InlinedRowsSql(const TableEntry& table, const InlinedData& inlined) {
  std::string projection, names, values;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    const auto& column = table.columns[c];
    MALLARD_ASSIGN_OR_RETURN(auto type, DuckDbTypeSql(column));
    std::string value = "v" + std::to_string(c);
    names += (c == 0 ? "" : ", ") + value;
    projection += (c == 0 ? "" : ", ");
    projection += column.type == "blob" ? "from_hex(" + value + ")" : "CAST(" + value + " AS " + type + ")";
    projection += " AS " + SqlIdentifier(column.name);
  }
  for (const auto& row : inlined.rows) {
    values += values.empty() ? "(" : ", (";
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) values += ", ";
      values += SqlOptString(row[c]);
    }
    values += ")";
  }
  return "SELECT " + projection + " FROM (VALUES " + values + ") AS lake_inlined(" + names + ")";
}

}  // namespace

LakeResult<std::string> BuildScanSql(const CatalogView& view, const TableEntry& table,
                                     const std::vector<DataFileEntry>& files, const InlinedData* inlined) {
  std::string projection;
  for (const auto& column : table.columns) {
    std::string name = SqlIdentifier(column.name);
    if (!projection.empty()) projection += ", ";
    if (ContainsJson(column)) {
      MALLARD_ASSIGN_OR_RETURN(auto type, DuckDbTypeSql(column));
      projection += "CAST(" + name + " AS " + type + ") AS " + name;
    } else {
      projection += name;
    }
  }
  const bool inlined_rows = inlined != nullptr && !inlined->rows.empty();
  if (files.empty() && !inlined_rows) {
    std::string typed_nulls;
    for (const auto& column : table.columns) {
      MALLARD_ASSIGN_OR_RETURN(auto type, DuckDbTypeSql(column));
      typed_nulls += (typed_nulls.empty() ? "" : ", ") + ("CAST(NULL AS " + type + ") AS " + SqlIdentifier(column.name));
    }
    return "SELECT " + typed_nulls + " LIMIT 0";
  }
  if (files.empty()) return InlinedRowsSql(table, *inlined);
  const std::int64_t snapshot = view.snapshot.snapshot_id;
  std::vector<std::string> data_paths, delete_paths, windowed_delete_paths, windowed_data_paths;
  std::map<std::int64_t, std::string> path_of_file;
  std::string delete_map;
  for (const auto& file : files) {
    if (file.name_mapped) {
      // Read by field id, such a file would not just miss columns: DuckDB fails internally.
      return LakeFail(LakeErrorCode::kUnsupported, "table \"" + table.name + "\" has files registered with a name "
                                                   "mapping (ducklake_add_data_files), which Mallard does not read");
    }
    std::string data_path = view.DataFilePath(table, file.path, file.path_is_relative);
    data_paths.push_back(data_path);
    path_of_file[file.data_file_id] = data_path;
    // A merged file read at a snapshot older than some of its rows: those rows are left out.
    if (file.partial_max && *file.partial_max > snapshot) windowed_data_paths.push_back(data_path);
    if (file.deletes) {
      std::string delete_path = view.DataFilePath(table, file.deletes->path, file.deletes->path_is_relative);
      bool windowed = file.deletes->partial_max && *file.deletes->partial_max > snapshot;
      (windowed ? windowed_delete_paths : delete_paths).push_back(delete_path);
      // Built piecewise: the one-expression form trips GCC 12's -Wrestrict false positive.
      if (!delete_map.empty()) delete_map += ", ";
      delete_map += "(";
      delete_map += SqlString(delete_path);
      delete_map += ", ";
      delete_map += SqlString(data_path);
      delete_map += ")";
    }
  }
  std::vector<std::string> deleted;  // SELECTs of (__lake_file, file_row_number) to leave out
  // Delete files are matched to their data files through the catalog, not through their own
  // file_path column, which other writers fill differently. Snapshot-tagged ones (a third column)
  // read at an older snapshot count only the positions deleted by then.
  auto deleted_positions = [&](const std::vector<std::string>& paths, const std::string& condition) {
    return "SELECT lake_map.data_file AS __lake_file, lake_deletes.pos AS file_row_number FROM read_parquet(" +
           FileListLiteral(paths) + ", filename = '__lake_delete_file', union_by_name = true) AS lake_deletes JOIN "
           "(VALUES " + delete_map + ") AS lake_map(delete_file, data_file) ON lake_deletes.__lake_delete_file = "
           "lake_map.delete_file" + condition;
  };
  if (!delete_paths.empty()) deleted.push_back(deleted_positions(delete_paths, ""));
  if (!windowed_delete_paths.empty()) {
    deleted.push_back(deleted_positions(windowed_delete_paths, " WHERE lake_deletes._ducklake_internal_snapshot_id <= " +
                                                                   std::to_string(snapshot)));
  }
  if (!windowed_data_paths.empty()) {
    deleted.push_back("SELECT __lake_file, file_row_number FROM read_parquet(" + FileListLiteral(windowed_data_paths) +
                      ", filename = '__lake_file', file_row_number = true, union_by_name = true) "
                      "WHERE _ducklake_internal_snapshot_id > " + std::to_string(snapshot));
  }
  if (inlined != nullptr) {
    std::string positions;
    for (const auto& [file_id, position] : inlined->deleted_positions) {
      auto path = path_of_file.find(file_id);
      if (path == path_of_file.end()) continue;  // a file no longer live
      positions += (positions.empty() ? "(" : ", (") + SqlString(path->second) + ", " + std::to_string(position) + ")";
    }
    if (!positions.empty()) {
      deleted.push_back("SELECT data_file AS __lake_file, CAST(pos AS BIGINT) AS file_row_number FROM (VALUES " +
                        positions + ") AS lake_inlined_deletes(data_file, pos)");
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto schema_argument, ReadSchemaArgument(table.columns));
  std::string sql = "SELECT " + projection + " FROM read_parquet(" + FileListLiteral(data_paths) +
                    ", schema = " + schema_argument + ", filename = '__lake_file', file_row_number = true) AS lake_data";
  if (!deleted.empty()) {
    std::string all_deleted;
    for (const auto& part : deleted) all_deleted += (all_deleted.empty() ? "" : " UNION ALL ") + part;
    sql += " ANTI JOIN (" + all_deleted + ") AS lake_deleted USING (__lake_file, file_row_number)";
  }
  if (inlined_rows) {
    MALLARD_ASSIGN_OR_RETURN(auto rows_sql, InlinedRowsSql(table, *inlined));
    sql = "SELECT * FROM (" + sql + ") UNION ALL (" + rows_sql + ")";
  }
  return sql;
}

}  // namespace mallard::lake
