#include "lake/inlined_data.hpp"

#include <map>

namespace mallard::lake {
namespace {

struct InlinedTable {
  std::string name;
  std::int64_t schema_version = 0;
};

std::string InlinedDeleteTable(std::int64_t table_id) { return "ducklake_inlined_delete_" + std::to_string(table_id); }

// The inlined tables of a table that exist in the catalog database, found in one query: every
// scan and every delete asks, and for a table the extension never touched the answer is empty.
struct InlinedTables {
  std::vector<InlinedTable> data;  // by schema version
  bool has_deletes = false;
};

LakeResult<InlinedTables> ExistingInlinedTables(CatalogStore& store, std::int64_t table_id) {
  const std::string deletes = InlinedDeleteTable(table_id);
  MALLARD_ASSIGN_OR_RETURN(
      auto rows, store.Query("SELECT r.table_name, r.schema_version FROM ducklake_inlined_data_tables r WHERE r.table_id = " +
                             std::to_string(table_id) +
                             " AND r.table_name IN (SELECT table_name FROM information_schema.tables) UNION ALL "
                             "SELECT table_name, NULL FROM information_schema.tables WHERE table_name = " +
                             SqlString(deletes) + " ORDER BY 2"));
  InlinedTables tables;
  for (const auto& row : rows) {
    if (!row[0]) continue;
    if (*row[0] == deletes && !row[1]) {
      tables.has_deletes = true;
    } else {
      tables.data.push_back({*row[0], CatalogInt(row[1])});
    }
  }
  return tables;
}

// The top-level column ids of the table at the first snapshot of `schema_version`, in column
// order: the columns an inlined table of that version was created with.
LakeResult<std::vector<std::pair<std::int64_t, std::string>>> ColumnsAtSchemaVersion(CatalogStore& store,
                                                                                    std::int64_t table_id,
                                                                                    std::int64_t schema_version) {
  MALLARD_ASSIGN_OR_RETURN(auto snapshot_rows,
                           store.Query("SELECT min(snapshot_id) FROM ducklake_snapshot WHERE schema_version >= " +
                                       std::to_string(schema_version)));
  if (snapshot_rows.empty() || !snapshot_rows[0][0]) {
    return LakeFail(LakeErrorCode::kCatalog, "no snapshot has schema version " + std::to_string(schema_version));
  }
  MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query("SELECT column_id, column_name FROM ducklake_column c WHERE table_id = " +
                                                  std::to_string(table_id) + " AND parent_column IS NULL AND " +
                                                  VisibleAt("c", CatalogInt(snapshot_rows[0][0])) +
                                                  " ORDER BY column_order"));
  std::vector<std::pair<std::int64_t, std::string>> columns;
  for (const auto& row : rows) columns.emplace_back(CatalogInt(row[0]), row[1].value_or(""));
  return columns;
}

LakeResult<std::vector<std::string>> PhysicalColumns(CatalogStore& store, const std::string& table_name) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query("SELECT column_name FROM information_schema.columns WHERE table_name = " +
                                                  SqlString(table_name) + " ORDER BY ordinal_position"));
  std::vector<std::string> names;
  for (const auto& row : rows) names.push_back(row[0].value_or(""));
  return names;
}

// A column's value as text that DuckDB casts back to the column's type (blobs as hex).
std::string TextOf(const CatalogStore& store, const LakeColumn& column, const std::string& physical_name) {
  std::string name = SqlIdentifier(physical_name);
  if (column.type == "blob") {
    return store.Dialect() == "postgres" ? "encode(" + name + ", 'hex')" : "hex(" + name + ")";
  }
  return "CAST(" + name + " AS VARCHAR)";
}

}  // namespace

LakeResult<InlinedData> LoadInlinedData(CatalogStore& store, const CatalogView& view, const TableEntry& table) {
  InlinedData data;
  const std::int64_t s = view.snapshot.snapshot_id;
  std::map<std::int64_t, std::size_t> position_of_column;
  for (std::size_t i = 0; i < table.columns.size(); ++i) position_of_column[table.columns[i].column_id] = i;

  MALLARD_ASSIGN_OR_RETURN(auto inlined_tables, ExistingInlinedTables(store, table.table_id));
  for (const auto& inlined : inlined_tables.data) {
    MALLARD_ASSIGN_OR_RETURN(auto columns, ColumnsAtSchemaVersion(store, table.table_id, inlined.schema_version));
    MALLARD_ASSIGN_OR_RETURN(auto physical, PhysicalColumns(store, inlined.name));
    bool layout_matches = physical.size() == columns.size() + 3 && physical[0] == "row_id";
    for (std::size_t i = 0; layout_matches && i < columns.size(); ++i) layout_matches = physical[i + 3] == columns[i].second;
    if (!layout_matches) {
      return LakeFail(LakeErrorCode::kUnsupported, "inlined data table " + inlined.name + " of table \"" + table.name +
                                                       "\" does not have the columns of schema version " +
                                                       std::to_string(inlined.schema_version));
    }
    // Which of today's columns each inlined column is (renames keep the id; dropped ones are skipped).
    std::vector<std::pair<std::size_t, std::string>> selected;  // (position in table.columns, SQL text)
    for (const auto& [column_id, name] : columns) {
      auto found = position_of_column.find(column_id);
      if (found == position_of_column.end()) continue;
      selected.emplace_back(found->second, TextOf(store, table.columns[found->second], name));
    }
    std::string projection = "row_id";
    for (const auto& [position, text] : selected) projection += ", " + text;
    MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query("SELECT " + projection + " FROM " + SqlIdentifier(inlined.name) +
                                                    " i WHERE " + VisibleAt("i", s) + " ORDER BY row_id"));
    // A column added after this schema version reads as its initial default, as in older files.
    CatalogRow defaults(table.columns.size());
    for (std::size_t c = 0; c < table.columns.size(); ++c) defaults[c] = table.columns[c].initial_default;
    for (auto& row : rows) {
      CatalogRow values = defaults;
      for (std::size_t i = 0; i < selected.size(); ++i) values[selected[i].first] = std::move(row[i + 1]);
      data.rows.push_back(std::move(values));
    }
  }

  if (inlined_tables.has_deletes) {
    MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query("SELECT file_id, row_id FROM " +
                                                    SqlIdentifier(InlinedDeleteTable(table.table_id)) +
                                                    " WHERE begin_snapshot <= " + std::to_string(s) +
                                                    " ORDER BY file_id, row_id"));
    for (const auto& row : rows) data.deleted_positions.emplace_back(CatalogInt(row[0]), CatalogInt(row[1]));
  }
  return data;
}

LakeStatus RefuseWritesOverInlinedData(CatalogStore& store, std::int64_t table_id, std::int64_t snapshot_id,
                                       const std::string& table_name, const std::string& what) {
  MALLARD_ASSIGN_OR_RETURN(auto inlined_tables, ExistingInlinedTables(store, table_id));
  std::vector<std::string> names;
  for (const auto& inlined : inlined_tables.data) names.push_back(inlined.name);
  if (inlined_tables.has_deletes) names.push_back(InlinedDeleteTable(table_id));
  const std::string s = std::to_string(snapshot_id);
  for (const auto& name : names) {
    bool is_data = name != InlinedDeleteTable(table_id);
    MALLARD_ASSIGN_OR_RETURN(auto rows, store.Query("SELECT count(*) FROM " + SqlIdentifier(name) + " i WHERE " +
                                                    (is_data ? VisibleAt("i", snapshot_id) : "begin_snapshot <= " + s)));
    if (!rows.empty() && CatalogInt(rows[0][0]) > 0) {
      return LakeFail(LakeErrorCode::kUnsupported,
                      "table \"" + table_name + "\" has rows inlined in the catalog (" + name +
                          ", written by the ducklake extension with data inlining); Mallard reads them but cannot " +
                          what + " it — run ducklake_flush_inlined_data() in DuckDB first");
    }
  }
  return Done{};
}

}  // namespace mallard::lake
