#pragma once
// The SQL that reads a DuckLake table: its live data files mapped by Parquet field id (so
// renamed and added columns read right), minus the positions in their delete files, plus the rows
// inlined in the catalog.
#include <string>
#include <vector>

#include "lake/catalog_view.hpp"
#include "lake/inlined_data.hpp"

namespace mallard::lake {

// Column names `__lake_file`, `__lake_delete_file` and `file_row_number` are used internally
// and must not be table columns. `inlined`: rows and deletes the catalog holds (data inlining).
LakeResult<std::string> BuildScanSql(const CatalogView& view, const TableEntry& table,
                                     const std::vector<DataFileEntry>& files, const InlinedData* inlined = nullptr);

}  // namespace mallard::lake
