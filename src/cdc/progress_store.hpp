#pragma once
// Where the pipeline records, per source table, what the lake holds: state, the snapshot point
// and the commit LSN of the last transaction applied. The row lives in the lake's catalog
// database (table `mallard_cdc_tables`, outside the ducklake_ namespace) and is written in the
// same catalog transaction as the data it describes, so the lake and its progress never disagree.
#include <cstdint>
#include <string>
#include <vector>

#include "cdc/table_schema.hpp"
#include "lake/lake.hpp"

namespace mallard::cdc {

enum class TableState { kSnapshot, kCatchup, kStreaming, kError };
const char* TableStateName(TableState state);
TableState TableStateFromName(const std::string& name);

struct TableProgress {
  TableName source;
  TableName target;
  TableState state = TableState::kSnapshot;
  std::uint64_t snapshot_lsn = 0;
  // Every transaction of this table with commit LSN <= applied_lsn is in the lake.
  std::uint64_t applied_lsn = 0;
  std::int64_t rows_synced = 0;
  std::string error;
  // A transaction in the lake in part: a column change or TRUNCATE inside it was applied as a lake
  // commit of its own, with the rows before it. Its first `partial_changes` row changes (and
  // TRUNCATEs) of this table, in stream order, are in the lake; a replay of the transaction skips
  // them and the descriptions among them (they describe columns the lake no longer has).
  std::uint64_t partial_lsn = 0;
  std::int64_t partial_changes = 0;
};

lake::LakeStatus EnsureProgressTable(lake::Lake& lake);
lake::LakeResult<std::vector<TableProgress>> LoadProgress(lake::Lake& lake, const std::string& group);
// Statements that replace the table's progress row (for LakeTransaction::AddCatalogStatement).
std::vector<std::string> ProgressStatements(const std::string& group, const TableProgress& progress);
std::vector<std::string> ForgetProgressStatements(const std::string& group, const TableName& source);

}  // namespace mallard::cdc
