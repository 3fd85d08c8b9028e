#pragma once
// Attaches a DuckLake to the SQL engine behind Athena and Redshift Data: each lake table is a
// view in DuckDB schema `lake` (lake schema `main`) or `lake_<schema>` (any other lake schema),
// refreshed after every lake commit; and `lake.<table> AT (VERSION => n)` /
// `AT (TIMESTAMP => '…')` in a statement reads the table as of that snapshot (the ducklake
// extension's syntax).
#include <memory>
#include <string>

#include "sqlengine/duckdb/duckdb_sql_engine.hpp"
#include "lake/lake.hpp"

namespace mallard::app {

// The DuckDB schema that shows lake schema `lake_schema`.
std::string SqlEngineSchemaForLake(const std::string& lake_schema);

// Rewrites the AT (VERSION|TIMESTAMP => …) clauses of lake tables in `sql` into scans of that
// snapshot. Statements without one come back unchanged.
Result<std::string, std::string> RewriteLakeTimeTravel(lake::Lake& lake, const std::string& sql);

// Creates the views, keeps them current, and installs the time-travel rewrite.
Result<Done, std::string> AttachLakeToSqlEngine(std::shared_ptr<lake::Lake> lake,
                                                std::shared_ptr<duckdb::DuckDbSqlEngine> backend);

}  // namespace mallard::app
