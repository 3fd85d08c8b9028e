#pragma once
// Athena statements that write files into S3: CREATE TABLE … WITH (…) AS SELECT (files at
// external_location, or `<output>/tables/<query id>/` for a managed table, then an external table
// over them), INSERT INTO an external table (new files under its location; partitioned tables into
// `k=v/` directories, registered afterwards) and UNLOAD (…) TO 's3://…' WITH (…). Each becomes
// DuckDB's COPY (query) TO <the S3 file store's path>, with the query translated to the engine's
// SQL; the S3 file store turns the written files into objects.
#include "services/athena/athena_external_planner.hpp"

namespace mallard::athena::external {

ExternalPlan PlanCreateTableAs(ExternalCatalog& catalog, const ExternalContext& context, const CreateTableAs& ctas);
ExternalPlan PlanInsertInto(ExternalCatalog& catalog, const ExternalContext& context, const InsertInto& insert,
                            const ExternalTable& table);
ExternalPlan PlanUnload(const ExternalContext& context, const Unload& unload);

// Writes `manifest_location` (s3://…-manifest.csv): one s3:// URL per line of each file under
// `written_location` whose name starts with the query id, as Athena's data manifest lists them.
void WriteDataManifest(const ExternalContext& context, const std::string& written_location,
                       const std::string& manifest_location);

// After a CTAS or INSERT into a partitioned table succeeded: registers the `k=v/` directories now
// under its location (not for projected tables, which need no registration).
void RegisterWrittenPartitions(ExternalCatalog& catalog, const ExternalContext& context, const std::string& database,
                               const std::string& name);

}  // namespace mallard::athena::external
