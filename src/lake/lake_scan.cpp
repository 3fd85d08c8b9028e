#include "lake/lake_scan.hpp"

#include "lake/parquet_files.hpp"

namespace mallard::lake {

LakeResult<std::string> BuildScanSql(const CatalogView& view, const TableEntry& table,
                                     const std::vector<DataFileEntry>& files) {
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
  if (files.empty()) {
    std::string typed_nulls;
    for (const auto& column : table.columns) {
      MALLARD_ASSIGN_OR_RETURN(auto type, DuckDbTypeSql(column));
      typed_nulls += (typed_nulls.empty() ? "" : ", ") + ("CAST(NULL AS " + type + ") AS " + SqlIdentifier(column.name));
    }
    return "SELECT " + typed_nulls + " LIMIT 0";
  }
  std::vector<std::string> data_paths, delete_paths;
  std::string delete_map;
  for (const auto& file : files) {
    if (file.partial) {
      return LakeFail(LakeErrorCode::kUnsupported, "table \"" + table.name + "\" has merged files with per-row snapshots "
                                                   "(written by the ducklake extension); Mallard does not read them");
    }
    std::string data_path = view.DataFilePath(table, file.path, file.path_is_relative);
    data_paths.push_back(data_path);
    if (file.deletes) {
      std::string delete_path = view.DataFilePath(table, file.deletes->path, file.deletes->path_is_relative);
      delete_paths.push_back(delete_path);
      // Built piecewise: the one-expression form trips GCC 12's -Wrestrict false positive.
      if (!delete_map.empty()) delete_map += ", ";
      delete_map += "(";
      delete_map += SqlString(delete_path);
      delete_map += ", ";
      delete_map += SqlString(data_path);
      delete_map += ")";
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto schema_argument, ReadSchemaArgument(table.columns));
  std::string sql = "SELECT " + projection + " FROM read_parquet(" + FileListLiteral(data_paths) +
                    ", schema = " + schema_argument + ", filename = '__lake_file', file_row_number = true) AS lake_data";
  if (!delete_paths.empty()) {
    // Delete files are matched to their data files through the catalog, not through their own
    // file_path column, which other writers fill differently.
    sql += " ANTI JOIN (SELECT lake_map.data_file AS __lake_file, lake_deletes.pos AS file_row_number FROM read_parquet(" +
           FileListLiteral(delete_paths) + ", filename = '__lake_delete_file') AS lake_deletes JOIN (VALUES " + delete_map +
           ") AS lake_map(delete_file, data_file) ON lake_deletes.__lake_delete_file = lake_map.delete_file) AS lake_deleted "
           "USING (__lake_file, file_row_number)";
  }
  return sql;
}

}  // namespace mallard::lake
