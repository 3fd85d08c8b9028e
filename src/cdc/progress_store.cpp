#include "cdc/progress_store.hpp"

#include "lake/lake_transaction.hpp"

namespace mallard::cdc {
namespace {

using lake::SqlString;

std::string Where(const std::string& group, const TableName& source) {
  return "group_name = " + SqlString(group) + " AND source_schema = " + SqlString(source.schema) +
         " AND source_table = " + SqlString(source.name);
}

}  // namespace

const char* TableStateName(TableState state) {
  switch (state) {
    case TableState::kSnapshot: return "SNAPSHOT";
    case TableState::kCatchup: return "CATCHUP";
    case TableState::kStreaming: return "STREAMING";
    case TableState::kError: return "ERROR";
  }
  return "ERROR";
}

TableState TableStateFromName(const std::string& name) {
  if (name == "CATCHUP") return TableState::kCatchup;
  if (name == "STREAMING") return TableState::kStreaming;
  if (name == "ERROR") return TableState::kError;
  return TableState::kSnapshot;
}

lake::LakeStatus EnsureProgressTable(lake::Lake& lake) {
  MALLARD_ASSIGN_OR_RETURN(auto transaction, lake.Begin());
  transaction->AddCatalogStatement(
      "CREATE TABLE IF NOT EXISTS mallard_cdc_tables(group_name VARCHAR NOT NULL, source_schema VARCHAR NOT NULL, "
      "source_table VARCHAR NOT NULL, target_schema VARCHAR, target_table VARCHAR, state VARCHAR, snapshot_lsn BIGINT, "
      "applied_lsn BIGINT, rows_synced BIGINT, error VARCHAR, partial_lsn BIGINT, partial_changes BIGINT)");
  // Catalogs made before the partial position existed get its columns (appended, as above).
  transaction->AddCatalogStatement("ALTER TABLE mallard_cdc_tables ADD COLUMN IF NOT EXISTS partial_lsn BIGINT");
  transaction->AddCatalogStatement("ALTER TABLE mallard_cdc_tables ADD COLUMN IF NOT EXISTS partial_changes BIGINT");
  MALLARD_ASSIGN_OR_RETURN(auto ignored, transaction->Commit());
  (void)ignored;
  return Done{};
}

lake::LakeResult<std::vector<TableProgress>> LoadProgress(lake::Lake& lake, const std::string& group) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, lake.QueryCatalog(
      "SELECT source_schema, source_table, target_schema, target_table, state, snapshot_lsn, applied_lsn, rows_synced, "
      "error, partial_lsn, partial_changes FROM mallard_cdc_tables WHERE group_name = " + SqlString(group) + " ORDER BY source_schema, source_table"));
  std::vector<TableProgress> out;
  for (const auto& row : rows) {
    TableProgress progress;
    progress.source = {row[0].value_or(""), row[1].value_or("")};
    progress.target = {row[2].value_or(""), row[3].value_or("")};
    progress.state = TableStateFromName(row[4].value_or(""));
    progress.snapshot_lsn = static_cast<std::uint64_t>(lake::CatalogInt(row[5]));
    progress.applied_lsn = static_cast<std::uint64_t>(lake::CatalogInt(row[6]));
    progress.rows_synced = lake::CatalogInt(row[7]);
    progress.error = row[8].value_or("");
    progress.partial_lsn = static_cast<std::uint64_t>(lake::CatalogInt(row[9]));
    progress.partial_changes = lake::CatalogInt(row[10]);
    out.push_back(std::move(progress));
  }
  return out;
}

std::vector<std::string> ProgressStatements(const std::string& group, const TableProgress& progress) {
  return {"DELETE FROM mallard_cdc_tables WHERE " + Where(group, progress.source),
          "INSERT INTO mallard_cdc_tables VALUES (" + SqlString(group) + ", " + SqlString(progress.source.schema) + ", " +
              SqlString(progress.source.name) + ", " + SqlString(progress.target.schema) + ", " +
              SqlString(progress.target.name) + ", " + SqlString(TableStateName(progress.state)) + ", " +
              std::to_string(static_cast<std::int64_t>(progress.snapshot_lsn)) + ", " +
              std::to_string(static_cast<std::int64_t>(progress.applied_lsn)) + ", " +
              std::to_string(progress.rows_synced) + ", " + (progress.error.empty() ? "NULL" : SqlString(progress.error)) +
              ", " + std::to_string(static_cast<std::int64_t>(progress.partial_lsn)) + ", " +
              std::to_string(progress.partial_changes) + ")"};
}

std::vector<std::string> ForgetProgressStatements(const std::string& group, const TableName& source) {
  return {"DELETE FROM mallard_cdc_tables WHERE " + Where(group, source)};
}

}  // namespace mallard::cdc
