#pragma once
// Shared by the COPY and UNLOAD halves of redshift_copy_unload (not part of the module's interface).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "services/kit/s3_local_files.hpp"
#include "services/redshift_data/redshift_copy_unload_parse.hpp"
#include "sqlengine/sql_engine.hpp"

namespace mallard::redshift_data::bulk {

// What a COPY/UNLOAD statement becomes, decided before the request runs.
struct BulkPlan {
  BulkStatementKind kind = BulkStatementKind::None;
  std::string engine_sql;  // runs in the statement's place
  std::string error;       // non-empty: the statement fails with exactly this message

  // COPY
  std::string table_display;   // the table as the user named it, for Redshift's messages
  std::string error_scan_sql;  // rows the load rejects, as stl_load_errors rows (empty: none to scan)
  bool table_known = false;    // the target existed when planned (else the engine reports a missing one)
  std::string first_file;      // for a failure recorded without a scan
  bool no_load = false;
  bool columnar = false;  // PARQUET: errors go to the client only, not to stl_load_errors
  bool rows_may_be_skipped = false;  // MAXERROR > 0: a load that succeeded may still have rejected rows

  // UNLOAD
  std::filesystem::path staging;         // where the engine writes (a directory of its own)
  std::filesystem::path bucket_root;     // ROOT/bucket
  std::string bucket;
  std::string key_prefix;                // the destination's key prefix ("unload/venue_")
  std::string extension;                 // appended to each part's name (".parquet", ".gz", "")
  bool parallel = true;
  bool manifest = false;
  bool manifest_verbose = false;
  bool count_records = false;
  UnloadFormat format = UnloadFormat::Text;
  std::string count_reader;              // read_… function text with {} for the path (record counts)
  std::vector<sqlengine::SqlColumn> columns;  // of the unloaded query (VERBOSE schema)
};

// Runs `statements` on the engine as one request (no transaction), in `schema`.
std::vector<sqlengine::QueryOutcome> RunOnEngine(sqlengine::SqlEngine& engine, std::vector<std::string> statements,
                                                 const std::string& schema);
// The rows of a one-statement query, or the engine's error.
Result<std::vector<sqlengine::SqlRow>, std::string> SelectRows(sqlengine::SqlEngine& engine, const std::string& sql,
                                                               const std::string& schema);

std::string SqlString(std::string_view text);       // '…' with ' doubled
std::string SqlIdentifier(std::string_view name);   // "…" with " doubled
std::string SqlPathList(const std::vector<std::string>& paths);  // ['a', 'b']

// Object keys under `bucket_root` that start with `key_prefix` (S3 prefix semantics, not a
// directory: "data/part" matches "data/part-1" and "data/partition/x"), sorted; plain files only.
std::vector<std::string> KeysWithPrefix(const std::filesystem::path& bucket_root, const std::string& key_prefix);

// The statements that create stl_load_errors' schema and table when missing (separate statements:
// the engine prepares the statements of one text together, before the schema would exist).
std::vector<std::string> LoadErrorsTableSql();

BulkPlan PlanCopy(sqlengine::SqlEngine& engine, const services::S3LocalFiles* files, const std::string& sql,
                  const std::string& schema);
BulkPlan PlanUnload(sqlengine::SqlEngine& engine, const services::S3LocalFiles* files, const std::string& sql,
                    const std::string& schema, const std::string& statement_tag);

// After the request ran: records a COPY's rejected rows (or its failure) in stl_load_errors and
// gives the outcome Redshift's message.
void FinishCopy(sqlengine::SqlEngine& engine, const BulkPlan& plan, const std::string& schema,
                sqlengine::QueryOutcome& outcome);
// After the request ran: moves the staged files to their Redshift names and writes the manifest;
// a failure here fails the outcome. Removes the staging directory either way.
void FinishUnload(sqlengine::SqlEngine& engine, const BulkPlan& plan, const std::string& schema,
                  sqlengine::QueryOutcome& outcome);

}  // namespace mallard::redshift_data::bulk
