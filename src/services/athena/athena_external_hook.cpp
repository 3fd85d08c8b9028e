// Where the service meets Athena's DDL over S3 (athena_external_*.hpp, athena_ctas_unload.hpp):
// StartQueryExecution hands every statement to StartExternalStatement before the dialect
// translation; the other queries get their external tables' views refreshed in front of them;
// the catalog APIs describe external tables from their metadata.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>

#include "services/athena/athena_ctas_unload.hpp"
#include "services/athena/athena_external_planner.hpp"
#include "services/athena/athena_external_show.hpp"
#include "services/athena/athena_service.hpp"
#include "sqlengine/dialect/athena_dialect.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::athena {
namespace json = boost::json;
using sqlengine::JobState;

namespace {

std::string Lowered(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

std::shared_ptr<const std::vector<sqlengine::QueryOutcome>> Outcome(bool succeeded, std::string message) {
  sqlengine::QueryOutcome outcome;
  outcome.succeeded = succeeded;
  outcome.error_message = std::move(message);
  outcome.statement_kind = sqlengine::StatementKind::Ddl;
  return std::make_shared<const std::vector<sqlengine::QueryOutcome>>(1, std::move(outcome));
}

// The planning context of one execution. Everything in it outlives the service's calls: the
// engine (shared with the runner), the S3 file view (shared), the catalog (shared), strings.
external::ExternalContext ContextFor(sqlengine::SqlEngine& engine, const services::S3LocalFiles* files,
                                     const std::shared_ptr<external::ExternalCatalog>& catalog,
                                     const ExecutionRecord& record, std::int64_t now_ms) {
  external::ExternalContext context;
  context.engine = &engine;
  context.files = files;
  context.catalog_owner = catalog;
  const std::string default_schema = engine.DefaultSchema();
  context.engine_schema = [default_schema](const std::string& database) {
    return Lowered(database) == "default" ? default_schema : database;
  };
  context.database = record.database.empty() ? "default" : Lowered(record.database);
  context.query_id = record.id;
  if (const auto* output = record.result_configuration.if_contains("OutputLocation"); output && output->is_string()) {
    std::string location(output->get_string());
    context.output_location = location.substr(0, location.rfind('/') + 1);  // without "<id>.txt"
  }
  context.now_seconds = now_ms / 1000;
  context.translate = [default_schema](const std::string& query) -> Result<std::string, std::string> {
    auto translated = sqlengine::dialect::TranslateAthena(
        query, sqlengine::dialect::AthenaNames{{{"default", default_schema}}, "awsdatacatalog"});
    if (!translated.ok()) return Fail(sqlengine::dialect::AthenaErrorReason(translated.error()));
    return std::move(translated).value();
  };
  return context;
}

}  // namespace

bool AthenaService::StartExternalStatement(ExecutionRecord& record, const RequestContext& caller) {
  auto context = ContextFor(runner_->Engine(), runtime_.s3_files.get(), external_catalog_, record, Now());
  auto plan = external::PlanExternalStatement(*external_catalog_, context, record.query);
  if (!plan) return false;
  if (!plan->substatement_type.empty() && plan->substatement_type != "UNKNOWN") {
    record.statement_type = plan->statement_type;
    record.substatement_type = plan->substatement_type;
  }
  if (plan->failure) {
    if (plan->changes_catalog) external_catalog_->MarkStale();
    record.settled_state = JobState::Failed;
    record.settled_outcomes = Outcome(false, *plan->failure);
    return true;
  }
  ResultWrite writer = ResultWriter(record, caller);
  if (plan->statements.empty()) {
    // Nothing for the engine (CREATE … IF NOT EXISTS of a table that exists): an empty result.
    record.settled_state = JobState::Succeeded;
    record.settled_outcomes = Outcome(true, "");
    if (writer) {
      auto write = [writer, outcomes = record.settled_outcomes] { writer(JobState::Succeeded, outcomes); };
      if (runtime_.blocking_pool != nullptr) boost::asio::post(*runtime_.blocking_pool, std::move(write));
      else write();
    }
    return true;
  }
  // Catalog DDL without file writes runs at once (below); CTAS/INSERT/UNLOAD as a job, after the
  // views of the external tables their query reads are brought up to date.
  const bool catalog_only = plan->changes_catalog && plan->service_copies.empty();
  if (!plan->service_copies.empty()) {
    std::string statements;
    for (const auto& statement : plan->statements) statements += statement + "\n";
    auto refresh = external::RefreshStatements(*external_catalog_, context, statements);
    if (!refresh.ok()) {
      if (plan->changes_catalog) external_catalog_->MarkStale();
      record.settled_state = JobState::Failed;
      record.settled_outcomes = Outcome(false, refresh.error());
      return true;
    }
    plan->statements.insert(plan->statements.begin(), refresh->begin(), refresh->end());
    for (auto& index : plan->service_copies) index += refresh->size();
  }
  sqlengine::QueryRequest engine_request;
  engine_request.statements = std::move(plan->statements);
  engine_request.single_transaction = plan->single_transaction;
  engine_request.service_copies = std::move(plan->service_copies);
  engine_request.schema = context.engine_schema(context.database);
  if (catalog_only) {
    // Catalog DDL (metadata row and view) runs now, under the service's lock: one at a time in
    // submission order, so two ALTER TABLE … ADD PARTITION at once neither conflict in the engine
    // nor leave it with the older of two states. It takes milliseconds.
    std::vector<sqlengine::QueryOutcome> outcomes;
    {
      std::lock_guard persist(external_catalog_->PersistMutex());
      outcomes = runner_->Engine().Prepare(std::move(engine_request))->Run();
    }
    const bool succeeded = !outcomes.empty() && outcomes.back().succeeded;
    if (!succeeded) external_catalog_->MarkStale();
    record.settled_state = succeeded ? JobState::Succeeded : JobState::Failed;
    record.settled_outcomes = std::make_shared<const std::vector<sqlengine::QueryOutcome>>(std::move(outcomes));
    if (succeeded && writer) {
      auto write = [writer, outcomes = record.settled_outcomes] { writer(JobState::Succeeded, outcomes); };
      if (runtime_.blocking_pool != nullptr) boost::asio::post(*runtime_.blocking_pool, std::move(write));
      else write();
    }
    return true;
  }
  std::string manifest;
  if (!plan->written_location.empty() && !context.output_location.empty()) {
    manifest = context.output_location + record.id + "-manifest.csv";
    record.data_manifest_location = manifest;
  }
  auto finished = [writer, journal = JournalWhenFinished(caller), after_success = plan->after_success,
                   catalog = external_catalog_, context,
                   written = plan->written_location, manifest,
                   changes_catalog = plan->changes_catalog](const sqlengine::QueryJob& job) {
    auto snapshot = job.Read();
    if (snapshot.state == JobState::Succeeded) {
      if (after_success) after_success();
      if (!manifest.empty()) external::WriteDataManifest(context, written, manifest);
    } else if (changes_catalog) {
      catalog->MarkStale();  // the mirror ran ahead of a change the engine did not make
    }
    if (writer) writer(snapshot.state, snapshot.outcomes);
    journal();
  };
  record.job = runner_->Submit(std::move(engine_request), std::move(finished));
  return true;
}

bool AthenaService::PrependExternalRefresh(ExecutionRecord& record, sqlengine::QueryRequest& engine_request) {
  if (!runtime_.s3_files) return true;
  auto context = ContextFor(runner_->Engine(), runtime_.s3_files.get(), external_catalog_, record, Now());
  std::string statements;
  for (const auto& statement : engine_request.statements) statements += statement + "\n";
  auto refresh = external::RefreshStatements(*external_catalog_, context, statements);
  if (!refresh.ok()) {
    record.settled_state = JobState::Failed;
    record.settled_outcomes = Outcome(false, refresh.error());
    return false;
  }
  engine_request.statements.insert(engine_request.statements.begin(), refresh->begin(), refresh->end());
  return true;
}

void AthenaService::RegisterExternalRefresher() {
  auto* refreshers = runner_->Engine().Refreshers();
  if (refreshers == nullptr || !runtime_.s3_files) return;
  // The refresher lives in the engine; it holds the catalog weakly (a replaced or destroyed
  // service refreshes nothing) and the engine by pointer (it is only called through the engine).
  std::weak_ptr<external::ExternalCatalog> catalog = external_catalog_;
  std::shared_ptr<const services::S3LocalFiles> files = runtime_.s3_files;
  sqlengine::SqlEngine* engine = &runner_->Engine();
  auto clock = runtime_.clock;
  refreshers->Register("athena", [catalog, files, engine, clock](std::string_view sql)
                                     -> ::mallard::Result<std::vector<std::string>, std::string> {
    auto owner = catalog.lock();
    if (!owner) return std::vector<std::string>{};
    external::ExternalContext context;
    context.engine = engine;
    context.files = files.get();
    context.catalog_owner = owner;
    const std::string default_schema = engine->DefaultSchema();
    context.engine_schema = [default_schema](const std::string& database) {
      return Lowered(database) == "default" ? default_schema : database;
    };
    context.database = "default";  // another service's unqualified names are in the default schema
    context.now_seconds = clock() / 1000;
    return external::RefreshStatements(*owner, context, sql);
  });
}

void AthenaService::ForgetExternalTables(const std::string& database, sqlengine::QueryRequest& engine_request) {
  if (!external_catalog_->Load(runner_->Engine()).ok()) return;
  const std::string name = Lowered(database);
  auto tables = external_catalog_->Names();
  if (std::none_of(tables.begin(), tables.end(), [&](const auto& table) { return table.first == name; })) return;
  for (auto& statement : external::MetadataSetupStatements()) engine_request.statements.push_back(std::move(statement));
  engine_request.statements.push_back(std::string("DELETE FROM ") + external::kMetadataTable + " WHERE database_name = " +
                                      sqlengine::dialect::QuoteString(name));
  engine_request.single_transaction = true;
  external_catalog_->MarkStale();  // reloaded from the engine at the next use, whichever way the DROP went
}

std::optional<json::object> AthenaService::ExternalTableMetadata(const std::string& schema, const std::string& table) {
  if (!external_catalog_->Load(runner_->Engine()).ok()) return std::nullopt;
  auto found = external_catalog_->Find(AthenaDatabase(schema), Lowered(table));
  if (!found) return std::nullopt;
  auto columns = [](const std::vector<external::ColumnSpec>& list) {
    json::array out;
    for (const auto& column : list) {
      json::object described{{"Name", column.name}, {"Type", external::HiveTypeText(column.type)}};
      if (!column.comment.empty()) described["Comment"] = column.comment;
      out.push_back(std::move(described));
    }
    return out;
  };
  json::object parameters;
  for (const auto& [key, value] : external::CatalogParameters(*found)) parameters[key] = value;
  return json::object{{"Name", found->spec.table.name},
                      {"CreateTime", found->created_seconds},
                      {"TableType", "EXTERNAL_TABLE"},
                      {"Columns", columns(found->spec.columns)},
                      {"PartitionKeys", columns(found->spec.partition_columns)},
                      {"Parameters", std::move(parameters)}};
}

}  // namespace mallard::athena
