#pragma once
// Athena's external tables: their metadata (what CREATE EXTERNAL TABLE said, registered
// partitions) and the DuckDB view each one is realised as.
//
// Where the metadata lives: one row per table in `_mallard_athena.external_tables` (database,
// table, the definition as JSON) inside the engine's own database, so it survives a restart with a
// file database and goes with the engine's Reset (which drops every schema). The engine hides
// schemas whose name starts with `_mallard_` from its catalogue listings. `ExternalCatalog` is the
// in-memory mirror the service reads on every query; it reloads from the engine when marked stale
// (after a failed DDL job, a reset, a restart).
//
// The view: a table's files are the data files (names not starting with `_` or `.`, in
// directories not starting with them, not empty) under its location — or, when partitioned, under
// each registered or projected partition's location. The view reads `DIR/[!_.]*` for every
// directory that held a data file when it was built, so a new file in such a directory is read by
// the next query as it stands; a new directory (or an emptied one) changes the table's *source
// signature*, and the service rebuilds the view in front of the next query that names the table
// (`RefreshStatements`). A location without data files is a view over no rows, not an error.
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "services/athena/athena_external_ddl.hpp"
#include "services/kit/s3_local_files.hpp"
#include "sqlengine/sql_engine.hpp"

namespace mallard::athena::external {

inline constexpr const char* kMetadataSchema = "_mallard_athena";
inline constexpr const char* kMetadataTable = "_mallard_athena.external_tables";

struct ExternalTable {
  std::string database;  // Athena's name, lower case ("default")
  ExternalTableSpec spec;
  std::vector<PartitionSpec> partitions;  // registered, values in partition-column order
  std::int64_t created_seconds = 0;
};

std::string DefinitionJson(const ExternalTable& table);
Result<ExternalTable, std::string> ParseDefinitionJson(std::string_view json);

// Statements that (re)create the metadata table and write or delete one table's row.
std::vector<std::string> MetadataSetupStatements();
std::string MetadataDeleteStatement(const std::string& database, const std::string& name);
std::string MetadataInsertStatement(const ExternalTable& table);

// One place the view reads: a directory's data files and the partition values they carry.
struct Source {
  std::filesystem::path directory;
  std::vector<std::string> partition_values;  // in partition-column order
};

// The partitions a table reads: registered ones, or every projected one (TBLPROPERTIES
// projection.*) when projection is enabled. Each with its resolved location (s3://…).
Result<std::vector<PartitionSpec>, std::string> EffectivePartitions(const ExternalTable& table,
                                                                    const services::S3LocalFiles& files,
                                                                    std::int64_t now_seconds);
// Every directory holding data files for the table right now.
Result<std::vector<Source>, std::string> CurrentSources(const ExternalTable& table, const services::S3LocalFiles& files,
                                                        std::int64_t now_seconds);
std::string SourceSignature(const std::vector<Source>& sources);
// CREATE OR REPLACE VIEW "schema"."name" AS … over `sources`.
std::string ViewStatement(const ExternalTable& table, const std::string& engine_schema,
                          const std::vector<Source>& sources);
// The comment that marks the view as an external table's (COMMENT ON VIEW, after each
// ViewStatement: CREATE OR REPLACE drops it): Athena's information_schema shows such a view as a
// BASE TABLE and not among the views, as Athena shows a Glue table; Redshift's svv_tables keeps it
// out of remarks. The dialect module spells the same text (it may not depend on this service).
inline constexpr std::string_view kExternalViewComment = "mallard-external-table";
std::string ViewMarkerStatement(const ExternalTable& table, const std::string& engine_schema);

// Hive's partition directory name `k1=v1/k2=v2` (values escaped as Hive escapes them) and back.
std::string PartitionPath(const std::vector<std::string>& keys, const std::vector<std::string>& values);
std::string EscapePartitionValue(std::string_view value);
std::string UnescapePartitionValue(std::string_view value);
// `location` with exactly one trailing '/'.
std::string WithSlash(std::string location);
// Whether `directory` holds a data file, at any depth below non-hidden directories.
bool HasDataFiles(const std::filesystem::path& directory);

class ExternalCatalog {
 public:
  void MarkStale();
  bool Loaded();
  // Held while one table's state is written to the engine outside a planned job (Reconcile,
  // partitions registered after a CTAS/INSERT).
  std::mutex& PersistMutex() { return persist_mutex_; }
  // Loads from the engine when stale; afterwards the calls below read the mirror.
  Status<std::string> Load(sqlengine::SqlEngine& engine);
  std::optional<ExternalTable> Find(const std::string& database, const std::string& name);
  std::vector<ExternalTable> All();
  // (database, table) of every external table: cheap enough for every query.
  std::vector<std::pair<std::string, std::string>> Names();
  void Put(const ExternalTable& table);
  void Erase(const std::string& database, const std::string& name);
  // The signature the table's view was last built for ("" = unknown: rebuild). Setting returns
  // whether it changed.
  bool UpdateSignature(const std::string& database, const std::string& name, const std::string& signature);

 private:
  std::mutex mutex_;
  std::mutex persist_mutex_;
  bool loaded_ = false;
  std::map<std::pair<std::string, std::string>, ExternalTable> tables_;
  std::map<std::pair<std::string, std::string>, std::string> signatures_;
};

// Runs `statements` on the engine at once (catalogue reads of the planning step) and returns the
// last statement's rows; the error is the engine's message.
Result<std::vector<sqlengine::SqlRow>, std::string> RunNow(sqlengine::SqlEngine& engine,
                                                           std::vector<std::string> statements);

}  // namespace mallard::athena::external
