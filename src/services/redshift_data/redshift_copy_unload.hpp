#pragma once
// Redshift's COPY and UNLOAD carried out on the SQL engine over Mallard's S3 file store, where the
// object s3://bucket/key is the plain file ROOT/bucket/key (services/kit/s3_local_files.hpp).
//
// The Redshift Data service runs its statements on an engine wrapped by WithCopyUnload: a request
// without COPY/UNLOAD goes to the engine untouched; one with them is planned statement by statement
// when it runs (files under the prefix or in the manifest, the target table's columns, UNLOAD's
// result columns), each COPY/UNLOAD replaced by engine SQL (INSERT … SELECT over read_csv /
// read_json_objects / read_parquet; COPY (…) TO a staging directory), and the whole request then
// runs as one (a batch stays one transaction). Afterwards UNLOAD's staged files are moved to the
// names Redshift gives them and its manifest written, and a failed or partly skipped load is
// recorded in stl_load_errors, outside the transaction, as Redshift's STL tables are.
#include <memory>
#include <string>

#include "services/kit/s3_local_files.hpp"
#include "sqlengine/sql_engine.hpp"

namespace mallard::redshift_data {

// Where COPY records rejected rows: a table with Redshift's stl_load_errors columns, in a schema of
// Mallard's own (`_mallard_…` schemas are left out of the catalogue APIs). It exists from the start
// and again after a reset, so a view or macro over it (the Redshift dialect's `stl_load_errors`)
// always binds.
inline constexpr const char* kLoadErrorsSchema = "_mallard_redshift_system";
inline constexpr const char* kLoadErrorsTable = "stl_load_errors";

// `engine` with COPY and UNLOAD; `s3_files` may be null (then both fail, saying why).
std::shared_ptr<sqlengine::SqlEngine> WithCopyUnload(std::shared_ptr<sqlengine::SqlEngine> engine,
                                                     std::shared_ptr<const services::S3LocalFiles> s3_files);

// Redshift's date/time format ('YYYY-MM-DD HH24:MI:SS') as a strptime format ('%Y-%m-%d %H:%M:%S');
// empty when a part has no equivalent.
std::string StrptimeFormat(std::string_view redshift_format);

}  // namespace mallard::redshift_data
