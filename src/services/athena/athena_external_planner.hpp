#pragma once
// What the service runs for an Athena statement over S3 (athena_external_ddl.hpp reads it): the
// engine statements (metadata rows, the table's view, a SHOW's answer as a SELECT, COPY … TO for
// CTAS/INSERT/UNLOAD), or a failure settled without the engine. Also the view refresh in front of
// every other query (athena_external_tables.hpp says why views are rebuilt).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/athena/athena_external_tables.hpp"

namespace mallard::athena::external {

struct ExternalContext {
  sqlengine::SqlEngine* engine = nullptr;
  const services::S3LocalFiles* files = nullptr;  // null: the server has no S3 module
  // Athena database → the engine's schema ("default" → "main").
  std::function<std::string(const std::string&)> engine_schema;
  std::string database = "default";  // the query's database (QueryExecutionContext), lower case
  std::string query_id;
  std::string output_location;  // the query's output location (s3://…/), for CTAS without a location
  std::int64_t now_seconds = 0;
  // The catalog again, owned, for work that outlives the planning call (ExternalPlan::after_success).
  std::shared_ptr<ExternalCatalog> catalog_owner;
  // Athena SQL → the engine's (the dialect translator); identity when unset.
  std::function<Result<std::string, std::string>(const std::string&)> translate;
};

struct ExternalPlan {
  std::vector<std::string> statements;  // the last one's result is the query's result
  bool single_transaction = false;
  std::vector<std::size_t> service_copies;  // the COPY … TO statements Mallard built (QueryRequest::service_copies)
  std::optional<std::string> failure;   // settle FAILED with this message, nothing runs
  std::string statement_type = "DDL";   // Athena's StatementType / SubstatementType
  std::string substatement_type;
  bool changes_catalog = false;  // the mirror was updated ahead of the engine: a failed job marks it stale

  // Runs on the query runner's pool once the engine succeeded, before the result files are written
  // (registers the partitions a CTAS or INSERT wrote).
  std::function<void()> after_success;
  // Where CTAS/INSERT/UNLOAD write their files (s3://…/): the data manifest lists the files there
  // whose names start with the query id.
  std::string written_location;
};

ExternalPlan Failed(std::string message, std::string substatement_type);

// nullopt: `sql` is not one of these statements (or DROP/INSERT on a table that is not external),
// and takes the usual path.
std::optional<ExternalPlan> PlanExternalStatement(ExternalCatalog& catalog, const ExternalContext& context,
                                                  std::string_view sql);

// CREATE OR REPLACE VIEW statements to run before `sql`, for each external table it names whose
// files moved to new directories (or out of all) since its view was built. The error (an S3
// location that no longer resolves, a projection gone wrong) fails the query.
Result<std::vector<std::string>, std::string> RefreshStatements(ExternalCatalog& catalog, const ExternalContext& context,
                                                                std::string_view sql);

// Helpers shared with the CTAS/INSERT/UNLOAD planner.
std::string TableNotFound(const std::string& database, const std::string& name);
// The view and metadata statements that (re)register `table` (its view over the current files).
Result<std::vector<std::string>, std::string> RegisterStatements(ExternalCatalog& catalog, const ExternalContext& context,
                                                                 const ExternalTable& table, bool replace);
// Whether the engine has a table or view `name` in the schema of Athena database `database`.
bool EngineHasTable(const ExternalContext& context, const std::string& database, const std::string& name);
bool EngineHasDatabase(const ExternalContext& context, const std::string& database);

}  // namespace mallard::athena::external
