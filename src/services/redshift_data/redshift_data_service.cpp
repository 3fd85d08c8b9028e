#include "services/redshift_data/redshift_data_service.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <unordered_set>

#include "common/ids.hpp"
#include "services/redshift_data/redshift_copy_unload.hpp"
#include "services/redshift_data/redshift_copy_unload_parse.hpp"
#include "services/redshift_data/redshift_data_errors.hpp"
#include "services/redshift_data/redshift_data_state.hpp"
#include "services/redshift_data/redshift_data_status.hpp"
#include "services/kit/api_input.hpp"
#include "sqlengine/dialect/redshift_dialect.hpp"
#include "sqlengine/sql_text.hpp"

namespace mallard::redshift_data {
namespace json = boost::json;
using services::kit::ApiInput;
using services::kit::EpochSeconds;
using sqlengine::JobState;

namespace {

constexpr const char* kDatabase = "dev";  // the database name Redshift clusters start with

AwsError InvalidInput(std::string message) { return errors::Validation(message); }

json::array ParameterList(const json::array& parameters) {
  json::array list;
  for (const auto& parameter : parameters) list.push_back(parameter);
  return list;
}

}  // namespace

RedshiftDataService::RedshiftDataService(std::shared_ptr<sqlengine::SqlEngine> engine,
                                         services::ServiceContext runtime, unsigned query_workers,
                                         std::size_t page_bytes)
    : runner_(std::make_unique<sqlengine::QueryRunner>(WithCopyUnload(std::move(engine), runtime.s3_files), query_workers,
                                                       runtime.clock)),
      runtime_(std::move(runtime)),
      executor_("redshift-data", runtime_, errors::InternalServer("Internal error")),
      page_bytes_(page_bytes),
      state_(std::make_unique<RedshiftDataState>(*this)) {}

RedshiftDataService::~RedshiftDataService() { Shutdown(); }

const services::ServiceDescriptor& RedshiftDataService::Descriptor() const {
  static const services::ServiceDescriptor descriptor = [] {
    services::ServiceDescriptor d;
    d.name = "redshift-data";
    d.signing_name = "redshift-data";
    d.json_target_prefix = "RedshiftData";
    d.json_1_1 = true;
    d.operations = Operations().Names();
    return d;
  }();
  return descriptor;
}

void RedshiftDataService::Invoke(Request request, protocol::OperationCallback done) {
  done = static_cast<RedshiftDataState&>(*state_).Journal().Wrap(request, std::move(done));
  executor_.Dispatch(*this, Operations(), std::move(request), &errors::UnknownOperation, std::move(done));
}

const services::kit::OperationTable<RedshiftDataService>& RedshiftDataService::Operations() {
  using services::kit::RunOn;
  // Catalogue reads query the engine, and a result page may render up to 100 MB: both run on the
  // service's pool rather than a network thread.
  static const services::kit::OperationTable<RedshiftDataService> table = {
      {"ExecuteStatement", &RedshiftDataService::ExecuteStatement, RunOn::Inline},
      {"BatchExecuteStatement", &RedshiftDataService::BatchExecuteStatement, RunOn::Inline},
      {"DescribeStatement", &RedshiftDataService::DescribeStatement, RunOn::Inline},
      {"CancelStatement", &RedshiftDataService::CancelStatement, RunOn::Inline},
      {"ListStatements", &RedshiftDataService::ListStatements, RunOn::Inline},
      {"GetStatementResult", &RedshiftDataService::GetStatementResult, RunOn::Pool},
      {"ListDatabases", &RedshiftDataService::ListDatabases, RunOn::Inline},
      {"ListSchemas", &RedshiftDataService::ListSchemas, RunOn::Pool},
      {"ListTables", &RedshiftDataService::ListTables, RunOn::Pool},
      {"DescribeTable", &RedshiftDataService::DescribeTable, RunOn::Pool},
  };
  return table;
}

namespace {

// Objects another service keeps current outside SQL (Athena's external-table views, rebuilt when
// their S3 directories change) are refreshed by their owner's refresher before the query runs, as
// that service does before its own queries (sqlengine/engine_refreshers.hpp). A refresh that cannot
// be computed (the table's bucket is gone, its serde has no reader) or does not run is logged, and
// the query reads the view as it was: the refresher finds tables by the words of the text, so the
// word alone (`SELECT 1 AS t`) must not fail a statement that does not read the table.
void RefreshEngineObjects(sqlengine::SqlEngine& engine, const sqlengine::QueryRequest& request) {
  auto* refreshers = engine.Refreshers();
  if (refreshers == nullptr) return;
  std::string statements;
  for (const auto& statement : request.statements) statements += statement + "\n";
  auto refresh = refreshers->StatementsFor(statements);
  if (!refresh.ok()) {
    spdlog::info("redshift-data: no view refresh before a query: {}", refresh.error());
    return;
  }
  if (refresh->empty()) return;
  sqlengine::QueryRequest rebuild;
  rebuild.statements = std::move(refresh).value();
  rebuild.single_transaction = true;
  for (const auto& outcome : engine.Prepare(std::move(rebuild))->Run()) {
    if (!outcome.succeeded) spdlog::warn("redshift-data: refreshing a view before a query failed: {}", outcome.error_message);
  }
}

}  // namespace

void RedshiftDataService::Reset() {
  static_cast<RedshiftDataState&>(*state_).Journal().Reset([this] { ResetState(); });
}

void RedshiftDataService::ResetState() {
  // Wait for the cancelled statements to settle, or one still running would recreate what the
  // engine's reset below drops.
  if (!runner_->CancelAllAndWait(std::chrono::seconds(5))) {
    spdlog::warn("redshift-data: reset went ahead with statements still running after 5 s");
  }
  {
    std::lock_guard lock(mutex_);
    partitions_.clear();
  }
  runner_->Engine().Reset();
}

void RedshiftDataService::Shutdown() { runner_->CancelAll(); }

RedshiftDataService::Partition& RedshiftDataService::PartitionFor(const Request& request) {
  return partitions_[request.context.account_id + "/" + request.context.region];
}

bool RedshiftDataService::IsKnownDatabase(const std::string& database) const {
  return database == kDatabase || database == runner_->Engine().DatabaseName();
}

std::string RedshiftDataService::EngineSchema(const std::string& redshift_schema) const {
  return redshift_schema == "public" ? runner_->Engine().DefaultSchema() : redshift_schema;
}

std::string RedshiftDataService::RedshiftSchema(const std::string& engine_schema) const {
  return engine_schema == runner_->Engine().DefaultSchema() ? "public" : engine_schema;
}

::mallard::Result<RedshiftDataService::Target> RedshiftDataService::ReadTarget(const Request& request,
                                                                              bool database_required) const {
  ApiInput input(request.input, &InvalidInput);
  Target target;
  MALLARD_ASSIGN_OR_RETURN(auto cluster, input.Optional("ClusterIdentifier", 63));
  MALLARD_ASSIGN_OR_RETURN(auto workgroup, input.Optional("WorkgroupName", 128));
  MALLARD_ASSIGN_OR_RETURN(auto database, input.Optional("Database", 127));
  MALLARD_ASSIGN_OR_RETURN(auto db_user, input.Optional("DbUser", 128));
  MALLARD_ASSIGN_OR_RETURN(auto secret_arn, input.Optional("SecretArn", 2048));
  if (cluster && workgroup) {
    return Fail(errors::Validation("Either ClusterIdentifier or WorkgroupName may be specified, but not both."));
  }
  if (!cluster && !workgroup) {
    return Fail(errors::Validation("Either ClusterIdentifier or WorkgroupName must be specified."));
  }
  if (database_required && (!database || database->empty())) {
    return Fail(input.Invalid("Database", "", "Member must not be null"));
  }
  if (cluster && !db_user && !secret_arn) {
    return Fail(errors::Validation("Either DbUser or SecretArn must be specified to connect to a provisioned cluster."));
  }
  target.database = database.value_or(kDatabase);
  target.cluster_identifier = cluster.value_or("");
  target.workgroup_name = workgroup.value_or("");
  target.db_user = db_user.value_or(cluster ? "" : "IAMR:" + request.context.caller_arn);
  target.secret_arn = secret_arn.value_or("");
  return target;
}

// ---- ExecuteStatement / BatchExecuteStatement ----------------------------------------------

RedshiftDataService::Result RedshiftDataService::ExecuteStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto sql, input.Required("Sql", 100000));
  return Submit(request, {sql}, false);
}

RedshiftDataService::Result RedshiftDataService::BatchExecuteStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto sqls, input.Strings("Sqls", 1, 40));
  for (const auto& sql : sqls) {
    if (sql.empty()) return Fail(input.Invalid("Sqls", "", "Member must have length greater than or equal to 1"));
  }
  return Submit(request, std::move(sqls), true);
}

RedshiftDataService::Result RedshiftDataService::Submit(const Request& request, std::vector<std::string> sql,
                                                        bool is_batch) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto target, ReadTarget(request, true));
  MALLARD_ASSIGN_OR_RETURN(auto statement_name, input.Optional("StatementName", 2048));
  MALLARD_ASSIGN_OR_RETURN(bool with_event, input.Bool("WithEvent", false));
  MALLARD_ASSIGN_OR_RETURN(auto client_token, input.Optional("ClientToken", 64));
  MALLARD_ASSIGN_OR_RETURN(auto result_format, input.Optional("ResultFormat", 8));
  MALLARD_ASSIGN_OR_RETURN(auto parameters, input.Array("Parameters"));
  if (result_format && *result_format != "JSON" && *result_format != "CSV") {
    return Fail(input.Invalid("ResultFormat", *result_format, "Member must satisfy enum value set: [JSON, CSV]"));
  }
  // Parameters: {name, value} pairs, bound as text and cast by the engine as Redshift does.
  std::vector<sqlengine::SqlParameter> bound;
  for (const auto& parameter : parameters) {
    const auto* object = parameter.if_object();
    const auto* name = object ? object->if_contains("name") : nullptr;
    const auto* value = object ? object->if_contains("value") : nullptr;
    if (name == nullptr || !name->is_string() || value == nullptr || !value->is_string()) {
      return Fail(errors::Validation("Each parameter must have a name and a value."));
    }
    std::string parameter_name(name->get_string());
    // The model's pattern ^[0-9a-zA-Z_]+$, checked by hand: std::regex recursed once per character
    // and a 40,000-character name overflowed the stack.
    const bool valid_name = !parameter_name.empty() && std::all_of(parameter_name.begin(), parameter_name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!valid_name) {
      return Fail(input.Invalid("Parameters.member.name", parameter_name,
                                "Member must satisfy regular expression pattern: ^[0-9a-zA-Z_]+$"));
    }
    if (value->get_string().empty()) {
      return Fail(input.Invalid("Parameters.member.value", "", "Member must have length greater than or equal to 1"));
    }
    sqlengine::SqlParameter item;
    item.kind = sqlengine::SqlParameter::Kind::Text;
    item.name = parameter_name;
    item.text = std::string(value->get_string());
    bound.push_back(std::move(item));
  }
  StatementRecord record;
  record.sql = sql;
  record.is_batch = is_batch;
  record.database = target.database;
  record.cluster_identifier = target.cluster_identifier;
  record.workgroup_name = target.workgroup_name;
  record.db_user = target.db_user;
  record.secret_arn = target.secret_arn;
  record.statement_name = statement_name.value_or("");
  record.parameters = parameters;
  record.with_event = with_event;
  record.result_format = result_format.value_or("JSON");

  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  if (client_token) {
    if (auto known = partition.client_tokens.find(*client_token); known != partition.client_tokens.end()) {
      const auto& previous = partition.statements.at(known->second);
      return Json{{"Id", previous.id}, {"CreatedAt", EpochSeconds(previous.created_ms)}, {"Database", previous.database}};
    }
  }
  record.id = NewUuid();
  record.created_ms = Now();
  record.query_id = ++next_query_id_;
  if (!IsKnownDatabase(target.database)) {
    record.settled_error = "database \"" + target.database + "\" does not exist";
  } else {
    sqlengine::QueryRequest engine_request;
    sqlengine::dialect::RedshiftSession session;  // each submission is one Redshift session
    if (!target.db_user.empty()) session.user = target.db_user;
    session.process_id = 1073741824 + record.query_id % 100000;
    for (const auto& text : sql) {
      // COPY and UNLOAD (alone, or among other statements of the text) reach the engine as written:
      // WithCopyUnload plans and runs them, and translates the text's other statements.
      if (ClassifyBulkStatement(text) != BulkStatementKind::None || !SplitAroundBulkStatements(text).empty()) {
        engine_request.statements.push_back(text);
        continue;
      }
      // Redshift's SQL in the engine's; the session carries SET search_path to later statements.
      auto translated = sqlengine::dialect::TranslateRedshift(text, session);
      if (!translated.ok()) {
        record.settled_error = sqlengine::dialect::RedshiftErrorText(translated.error());
        break;
      }
      engine_request.statements.push_back(sqlengine::RewriteNamedParameters(translated.value(), nullptr));
    }
    engine_request.single_transaction = is_batch;
    engine_request.parameters = std::move(bound);
    if (record.settled_error.empty()) RefreshEngineObjects(runner_->Engine(), engine_request);
    if (record.settled_error.empty()) {
      // The finished statement's state and results, journaled under --data-dir (nothing otherwise).
      auto journal = std::weak_ptr(static_cast<RedshiftDataState&>(*state_).JournalHandle());
      record.job = runner_->Submit(std::move(engine_request),
                                   [journal, scope = services::StateScope{request.context.account_id, request.context.region}](
                                       const sqlengine::QueryJob&) {
                                     if (auto held = journal.lock()) held->Changed(scope);
                                   });
    }
  }
  Json output{{"Id", record.id}, {"CreatedAt", EpochSeconds(record.created_ms)}, {"Database", record.database}};
  if (!record.cluster_identifier.empty()) output["ClusterIdentifier"] = record.cluster_identifier;
  if (!record.workgroup_name.empty()) output["WorkgroupName"] = record.workgroup_name;
  if (!record.db_user.empty()) output["DbUser"] = record.db_user;
  if (!record.secret_arn.empty()) output["SecretArn"] = record.secret_arn;
  output["DbGroups"] = json::array{};
  if (client_token) partition.client_tokens[*client_token] = record.id;
  partition.order.push_back(record.id);
  partition.statements.emplace(record.id, std::move(record));
  return output;
}

// ---- DescribeStatement / CancelStatement / ListStatements ----------------------------------

RedshiftDataService::Result RedshiftDataService::DescribeStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("Id", 64));
  if (!IsStatementId(id)) {
    return Fail(input.Invalid("Id", id, std::string("Member must satisfy regular expression pattern: ") + kStatementIdPattern));
  }
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.statements.find(ParentId(id));
  int sub_index = id == ParentId(id) ? -1 : SubStatementIndex(id);
  if (found == partition.statements.end() ||
      (sub_index >= 0 && (!found->second.is_batch || static_cast<std::size_t>(sub_index) >= found->second.sql.size()))) {
    return Fail(errors::ResourceNotFound("Query does not exist.", id));
  }
  const StatementRecord& record = found->second;
  StatementView view = ViewOf(record, Now());
  Json described = view.Describe(record, sub_index);
  if (sub_index >= 0) return described;
  if (!record.cluster_identifier.empty()) described["ClusterIdentifier"] = record.cluster_identifier;
  if (!record.workgroup_name.empty()) described["WorkgroupName"] = record.workgroup_name;
  if (!record.db_user.empty()) described["DbUser"] = record.db_user;
  if (!record.secret_arn.empty()) described["SecretArn"] = record.secret_arn;
  described["Database"] = record.database;
  described["RedshiftPid"] = record.query_id % 100000 + 1073741824;
  described["ResultFormat"] = record.result_format;
  if (!record.parameters.empty()) described["QueryParameters"] = ParameterList(record.parameters);
  if (record.is_batch) {
    json::array subs;
    for (std::size_t i = 0; i < record.sql.size(); ++i) subs.push_back(view.Describe(record, static_cast<int>(i)));
    described["SubStatements"] = std::move(subs);
    described["QueryString"] = "";
  }
  return described;
}

RedshiftDataService::Result RedshiftDataService::CancelStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("Id", 64));
  if (!IsStatementId(id)) {
    return Fail(input.Invalid("Id", id, std::string("Member must satisfy regular expression pattern: ") + kStatementIdPattern));
  }
  std::shared_ptr<sqlengine::QueryJob> job;
  StatementRecord found_record;
  {
    std::lock_guard lock(mutex_);
    Partition& partition = PartitionFor(request);
    auto found = partition.statements.find(id);
    if (found == partition.statements.end()) return Fail(errors::ResourceNotFound("Query does not exist.", id));
    job = found->second.job;
    found_record = found->second;
  }
  if (!job || !job->Cancel(runner_->GetClock())) {
    std::string status = job ? StatusName(job->Read().state) : StatusName(ViewOf(found_record, 0).state);
    return Fail(errors::Validation("Could not cancel a query that is already in " + status + " state with ID: " + id));
  }
  return Json{{"Status", true}};
}

RedshiftDataService::Result RedshiftDataService::ListStatements(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 0, 100));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto statement_name, input.Optional("StatementName", 2048));
  MALLARD_ASSIGN_OR_RETURN(auto status, input.Optional("Status", 16));
  MALLARD_ASSIGN_OR_RETURN(auto database, input.Optional("Database", 127));
  MALLARD_ASSIGN_OR_RETURN(auto cluster, input.Optional("ClusterIdentifier", 63));
  MALLARD_ASSIGN_OR_RETURN(auto workgroup, input.Optional("WorkgroupName", 128));
  static const std::unordered_set<std::string> statuses = {"ABORTED", "ALL",     "FAILED",   "FINISHED",
                                                           "PICKED",  "STARTED", "SUBMITTED"};
  if (status && statuses.count(*status) == 0) {
    return Fail(input.Invalid("Status", *status,
                              "Member must satisfy enum value set: [ABORTED, ALL, FAILED, FINISHED, PICKED, STARTED, SUBMITTED]"));
  }
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  std::vector<Json> matching;
  for (auto it = partition.order.rbegin(); it != partition.order.rend(); ++it) {
    const StatementRecord& record = partition.statements.at(*it);
    if (statement_name && record.statement_name.rfind(*statement_name, 0) != 0) continue;
    if (database && record.database != *database) continue;
    if (cluster && record.cluster_identifier != *cluster) continue;
    if (workgroup && record.workgroup_name != *workgroup) continue;
    StatementView view = ViewOf(record, Now());
    if (status && *status != "ALL" && view.status != *status) continue;
    Json summary{{"Id", record.id},
                 {"Status", view.status},
                 {"CreatedAt", EpochSeconds(record.created_ms)},
                 {"UpdatedAt", EpochSeconds(view.updated_ms)},
                 {"IsBatchStatement", record.is_batch},
                 {"ResultFormat", record.result_format}};
    if (record.is_batch) {
      json::array texts;
      for (const auto& sql : record.sql) texts.emplace_back(sql);
      summary["QueryStrings"] = std::move(texts);
    } else {
      summary["QueryString"] = record.sql.front();
    }
    if (!record.statement_name.empty()) summary["StatementName"] = record.statement_name;
    if (!record.secret_arn.empty()) summary["SecretArn"] = record.secret_arn;
    if (!record.parameters.empty()) summary["QueryParameters"] = ParameterList(record.parameters);
    matching.push_back(std::move(summary));
  }
  std::size_t limit = max_results && *max_results > 0 ? static_cast<std::size_t>(*max_results) : 100;
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(matching.size(), token, limit, "statements", &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) listed.push_back(std::move(matching[i]));
  Json output{{"Statements", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

}  // namespace mallard::redshift_data
