#pragma once
// SHOW TABLES/DATABASES/COLUMNS/PARTITIONS/CREATE TABLE/TBLPROPERTIES and DESCRIBE as Athena
// answers them (its column names: tab_name, database_name, field, partition, createtab_stmt,
// prpt_name/prpt_value, col_name/data_type/comment), each planned as one SELECT the engine runs;
// and the Parameters the catalog APIs report for an external table.
#include <string>
#include <utility>
#include <vector>

#include "services/athena/athena_external_planner.hpp"

namespace mallard::athena::external {

// A SELECT answering `rows` under `columns` (all VARCHAR); no rows gives the typed empty result.
std::string SelectRows(const std::vector<std::string>& columns, const std::vector<std::vector<std::string>>& rows);

ExternalPlan PlanShowTables(const ExternalContext& context, const ShowTables& show);
ExternalPlan PlanShowDatabases(const ExternalContext& context, const ShowDatabases& show);
ExternalPlan PlanShowPartitions(const ExternalTable& table);
ExternalPlan PlanShowTableProperties(const ExternalTable& table);
// `table` is null for a table of the engine's own (not external).
ExternalPlan PlanShowCreateTable(const ExternalContext& context, const ExternalTable* table, const TableName& name);
ExternalPlan PlanShowColumns(const ExternalContext& context, const ExternalTable* table, const TableName& name);
ExternalPlan PlanDescribe(const ExternalContext& context, const ExternalTable* table, const DescribeTable& describe);

// SHOW CREATE TABLE's text for an external table, one line per element.
std::vector<std::string> CreateTableText(const ExternalTable& table);
// GetTableMetadata's Parameters: EXTERNAL, location, inputformat, outputformat,
// serde.serialization.lib, serde.param.*, classification, transient_lastDdlTime, TBLPROPERTIES.
std::vector<std::pair<std::string, std::string>> CatalogParameters(const ExternalTable& table);
// The `classification` of a table's format (parquet, csv, json, orc, avro).
std::string Classification(const ExternalTable& table);

}  // namespace mallard::athena::external
