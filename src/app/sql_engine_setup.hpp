#pragma once
// The SQL engine behind Athena and Redshift Data: one SqlEngine shared by both
// services, so a table created through one is visible through the other.
#include <filesystem>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "sqlengine/sql_engine.hpp"

namespace mallard::lake {
class Lake;
}

namespace mallard::app {

// The default --sqlengine-duckdb value of this build: ":memory:" with DuckDB, "off" without.
std::string DefaultSqlEngineSpec();
// "off" → the in-memory engine (queries recorded, empty results); ":memory:" or a file path → a
// DuckDB database. Returns nullptr and sets `error` when the spec cannot be honoured.
std::shared_ptr<sqlengine::SqlEngine> MakeSqlEngine(const std::string& spec, std::string& error);
// Opens --lake-catalog and attaches it to `engine` (which must be the DuckDB engine). Returns
// an error text, empty on success.
std::string AttachLake(const ServeConfig& config, const std::shared_ptr<sqlengine::SqlEngine>& engine,
                       std::shared_ptr<lake::Lake>* opened_lake = nullptr);
// Confines the DuckDB engine's file access to the lake's data directory (all host files with
// --sql-allow-host-files) and locks its configuration, so client SQL can neither read or write
// other files nor change settings for everyone. Call after AttachLake, before the server starts.
// `lake` may be null (no lake attached). Returns an error text, empty on success; does nothing
// for the in-memory engine.
// `s3_root` is where the S3 file store keeps objects as files (empty for the memory store): client
// SQL may read and write there (S3 objects), never the store's neighbours.
std::string SandboxSqlEngine(const ServeConfig& config, const std::shared_ptr<sqlengine::SqlEngine>& engine,
                             const lake::Lake* lake, const std::filesystem::path& s3_root);
}  // namespace mallard::app
