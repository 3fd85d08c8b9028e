#pragma once
// Data inlining: the ducklake extension (1.0 does so by default, up to 10 rows per insert) keeps
// small inserts in catalog tables `ducklake_inlined_data_<table>_<schema version>` (row_id,
// begin_snapshot, end_snapshot, then the table's columns as they were at that schema version), and
// small deletes of Parquet rows in `ducklake_inlined_delete_<table>` (file_id, row_id = position,
// begin_snapshot). Mallard reads both; it does not write them.
#include <cstdint>
#include <string>
#include <vector>

#include "lake/catalog_store.hpp"
#include "lake/catalog_view.hpp"

namespace mallard::lake {

struct InlinedData {
  // Live rows at the view's snapshot, each with one text value per top-level column of the table
  // as the view has it (NULL for a column the row's schema version did not have), in row-id order.
  // Blob values are hex text.
  std::vector<CatalogRow> rows;
  // Positions deleted from Parquet files by inlined deletes: (data_file_id, row position).
  std::vector<std::pair<std::int64_t, std::int64_t>> deleted_positions;
  bool empty() const { return rows.empty() && deleted_positions.empty(); }
};

LakeResult<InlinedData> LoadInlinedData(CatalogStore& store, const CatalogView& view, const TableEntry& table);

// Writes that must see every row (deletes by key, truncation, compaction) are refused on a table
// that has inlined rows or deletes live at `snapshot_id`: Mallard does not write inlined data.
LakeStatus RefuseWritesOverInlinedData(CatalogStore& store, std::int64_t table_id, std::int64_t snapshot_id,
                                       const std::string& table_name, const std::string& what);

}  // namespace mallard::lake
