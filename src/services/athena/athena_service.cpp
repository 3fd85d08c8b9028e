#include "services/athena/athena_service.hpp"
#include "services/athena/athena_state.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "common/ids.hpp"
#include "services/athena/athena_errors.hpp"
#include "services/kit/api_input.hpp"
#include "services/kit/peer_directory.hpp"
#include "sqlengine/dialect/athena_dialect.hpp"
#include "sqlengine/sql_text.hpp"

namespace mallard::athena {
namespace json = boost::json;
using services::kit::ApiInput;
using services::kit::EpochSeconds;
using sqlengine::JobState;

namespace {

AwsError InvalidInput(std::string message) { return errors::InvalidRequest(message); }

const char* StateName(JobState state) {
  switch (state) {
    case JobState::Queued: return "QUEUED";
    case JobState::Running: return "RUNNING";
    case JobState::Succeeded: return "SUCCEEDED";
    case JobState::Failed: return "FAILED";
    case JobState::Cancelled: return "CANCELLED";
  }
  return "FAILED";
}

// Athena's classification of a statement by its leading keyword.
void Classify(const std::string& sql, std::string& statement_type, std::string& substatement_type) {
  std::string keyword = sqlengine::LeadingKeyword(sql);
  static const std::unordered_set<std::string> dml = {"SELECT", "WITH", "VALUES", "TABLE", "FROM", "INSERT",
                                                      "UPDATE", "DELETE", "MERGE", "UNLOAD"};
  static const std::unordered_set<std::string> ddl = {"CREATE", "DROP", "ALTER", "SHOW", "DESCRIBE", "MSCK"};
  if (dml.count(keyword) != 0) {
    statement_type = "DML";
    substatement_type = keyword == "WITH" || keyword == "VALUES" || keyword == "TABLE" || keyword == "FROM" ? "SELECT" : keyword;
  } else if (ddl.count(keyword) != 0) {
    statement_type = "DDL";
    std::string rest;
    auto words = sqlengine::LeadingWords(sql, 3, &rest);
    substatement_type = keyword;
    if (words.size() >= 2) {
      std::string object = words[1];
      for (char& c : object) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (object == "OR" || object == "EXTERNAL" || object == "TEMP" || object == "TEMPORARY") {
        object = words.size() >= 3 ? words[2] : object;
        for (char& c : object) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      substatement_type = keyword + "_" + object;
    }
  } else {
    statement_type = "UTILITY";
    substatement_type = keyword.empty() ? "UNKNOWN" : keyword;
  }
}

std::shared_ptr<const std::vector<sqlengine::QueryOutcome>> FailedOutcome(std::string message) {
  sqlengine::QueryOutcome outcome;
  outcome.error_message = std::move(message);
  return std::make_shared<const std::vector<sqlengine::QueryOutcome>>(1, std::move(outcome));
}

std::shared_ptr<const std::vector<sqlengine::QueryOutcome>> EmptySuccess() {
  sqlengine::QueryOutcome outcome;
  outcome.succeeded = true;
  outcome.statement_kind = sqlengine::StatementKind::Utility;
  return std::make_shared<const std::vector<sqlengine::QueryOutcome>>(1, std::move(outcome));
}

// The work group's result configuration applies when the request gives none, and always when the
// work group enforces it.
json::object EffectiveResultConfiguration(const json::object& requested, const WorkGroupRecord& work_group) {
  json::object effective = requested;
  const auto* group_result = work_group.configuration.if_contains("ResultConfiguration");
  bool enforce = false;
  if (const auto* flag = work_group.configuration.if_contains("EnforceWorkGroupConfiguration")) {
    enforce = flag->is_bool() && flag->get_bool();
  }
  if (group_result != nullptr && group_result->is_object()) {
    for (const auto& member : group_result->get_object()) {
      if (enforce || !effective.contains(member.key())) effective[member.key()] = member.value();
    }
  }
  return effective;
}

// Runs `writer` with the job's final state, then `then` (on the query runner's pool).
std::function<void(const sqlengine::QueryJob&)> OnEngineFinished(ResultWrite writer, std::function<void()> then) {
  return [writer = std::move(writer), then = std::move(then)](const sqlengine::QueryJob& job) {
    if (writer) {
      auto snapshot = job.Read();
      writer(snapshot.state, snapshot.outcomes);
    }
    if (then) then();
  };
}

}  // namespace

sqlengine::QueryJob::Snapshot ReadExecution(const ExecutionRecord& record) {
  sqlengine::QueryJob::Snapshot snapshot;
  if (record.restored) {
    snapshot = *record.restored;
  } else if (record.job) {
    snapshot = record.job->Read();
  } else {
    snapshot.state = record.settled_state;
    snapshot.submitted_ms = snapshot.started_ms = snapshot.completed_ms = record.submitted_ms;
    snapshot.outcomes = record.settled_outcomes;
  }
  if (snapshot.state != JobState::Succeeded || !record.result_files) return snapshot;
  // Athena reports SUCCEEDED only once the results are in S3.
  const ResultFiles& files = *record.result_files;
  if (!files.Done()) {
    snapshot.state = JobState::Running;
    snapshot.completed_ms = 0;
    return snapshot;
  }
  snapshot.completed_ms = std::max(snapshot.completed_ms, files.CompletedMs());
  if (auto failure = files.Failure()) {
    snapshot.state = JobState::Failed;
    auto outcomes = snapshot.outcomes ? *snapshot.outcomes : std::vector<sqlengine::QueryOutcome>{};
    sqlengine::QueryOutcome failed;
    failed.error_message = *failure;
    outcomes.push_back(std::move(failed));
    snapshot.outcomes = std::make_shared<const std::vector<sqlengine::QueryOutcome>>(std::move(outcomes));
  }
  return snapshot;
}

std::function<void()> AthenaService::JournalWhenFinished(const RequestContext& caller) {
  // The finished query's state and results, journaled under --data-dir (nothing otherwise).
  return [journal = std::weak_ptr(static_cast<AthenaState&>(*state_).JournalHandle()),
          scope = services::StateScope{caller.account_id, caller.region}] {
    if (auto held = journal.lock()) held->Changed(scope);
  };
}

ResultWrite AthenaService::ResultWriter(ExecutionRecord& record, const RequestContext& caller) {
  const auto* location = record.result_configuration.if_contains("OutputLocation");
  if (runtime_.peers == nullptr || !runtime_.peers->Has("s3") || location == nullptr || !location->is_string()) {
    return {};
  }
  record.result_files = std::make_shared<ResultFiles>();
  // A query reads SUCCEEDED once its files are written: journaled then (under --data-dir).
  record.result_files->OnFinish(JournalWhenFinished(caller));
  std::string url(location->get_string());
  bool ddl = url.size() >= 4 && url.compare(url.size() - 4, 4, ".txt") == 0;
  // The write may outlive this service object (the runner's pool is joined in its destructor):
  // everything it needs is copied here.
  return [peers = runtime_.peers, caller, url, ddl, clock = runtime_.clock, files = record.result_files,
          sequence = engine_query_sequence_.fetch_add(1) + 1](
             JobState state, const std::shared_ptr<const std::vector<sqlengine::QueryOutcome>>& outcomes) {
    if (state != JobState::Succeeded) {
      files->Finish(clock(), std::nullopt);  // nothing is written for a failed or cancelled query
      return;
    }
    static const sqlengine::QueryOutcome kEmpty;
    const auto& outcome = outcomes && !outcomes->empty() ? outcomes->back() : kEmpty;
    WriteResultFiles(*peers, caller, url, outcome, ddl, EngineQueryId(clock(), sequence), clock, files);
  };
}

AthenaService::AthenaService(std::shared_ptr<sqlengine::SqlEngine> engine, services::ServiceContext runtime,
                             unsigned query_workers)
    : runner_(std::make_unique<sqlengine::QueryRunner>(std::move(engine), query_workers, runtime.clock)),
      runtime_(std::move(runtime)),
      executor_("athena", runtime_, errors::InternalServer("Internal error")),
      state_(std::make_unique<AthenaState>(*this)) {
  RegisterExternalRefresher();
}

AthenaService::~AthenaService() { Shutdown(); }

const services::ServiceDescriptor& AthenaService::Descriptor() const {
  static const services::ServiceDescriptor descriptor = [] {
    services::ServiceDescriptor d;
    d.name = "athena";
    d.signing_name = "athena";
    d.json_target_prefix = "AmazonAthena";
    d.json_1_1 = true;
    d.operations = Operations().Names();
    return d;
  }();
  return descriptor;
}

void AthenaService::Invoke(Request request, protocol::OperationCallback done) {
  done = static_cast<AthenaState&>(*state_).Journal().Wrap(request, std::move(done));
  executor_.Dispatch(*this, Operations(), std::move(request), &errors::UnknownOperation, std::move(done));
}

const services::kit::OperationTable<AthenaService>& AthenaService::Operations() {
  using services::kit::RunOn;
  // Query operations hand engine work to the QueryRunner and return at once; the catalogue
  // reads query the engine themselves, so they run on the service's pool.
  static const services::kit::OperationTable<AthenaService> table = {
      {"StartQueryExecution", &AthenaService::StartQueryExecutionChecked, RunOn::Inline},
      {"GetQueryExecution", &AthenaService::GetQueryExecution, RunOn::Inline},
      {"BatchGetQueryExecution", &AthenaService::BatchGetQueryExecution, RunOn::Inline},
      {"ListQueryExecutions", &AthenaService::ListQueryExecutions, RunOn::Inline},
      {"StopQueryExecution", &AthenaService::StopQueryExecution, RunOn::Inline},
      {"GetQueryResults", &AthenaService::GetQueryResults, RunOn::Inline},
      {"GetQueryRuntimeStatistics", &AthenaService::GetQueryRuntimeStatistics, RunOn::Inline},
      {"CreateWorkGroup", &AthenaService::CreateWorkGroup, RunOn::Inline},
      {"GetWorkGroup", &AthenaService::GetWorkGroup, RunOn::Inline},
      {"ListWorkGroups", &AthenaService::ListWorkGroups, RunOn::Inline},
      {"UpdateWorkGroup", &AthenaService::UpdateWorkGroup, RunOn::Inline},
      {"DeleteWorkGroup", &AthenaService::DeleteWorkGroup, RunOn::Inline},
      {"CreateNamedQuery", &AthenaService::CreateNamedQuery, RunOn::Inline},
      {"GetNamedQuery", &AthenaService::GetNamedQuery, RunOn::Inline},
      {"ListNamedQueries", &AthenaService::ListNamedQueries, RunOn::Inline},
      {"BatchGetNamedQuery", &AthenaService::BatchGetNamedQuery, RunOn::Inline},
      {"UpdateNamedQuery", &AthenaService::UpdateNamedQuery, RunOn::Inline},
      {"DeleteNamedQuery", &AthenaService::DeleteNamedQuery, RunOn::Inline},
      {"CreatePreparedStatement", &AthenaService::CreatePreparedStatement, RunOn::Inline},
      {"GetPreparedStatement", &AthenaService::GetPreparedStatement, RunOn::Inline},
      {"ListPreparedStatements", &AthenaService::ListPreparedStatements, RunOn::Inline},
      {"BatchGetPreparedStatement", &AthenaService::BatchGetPreparedStatement, RunOn::Inline},
      {"UpdatePreparedStatement", &AthenaService::UpdatePreparedStatement, RunOn::Inline},
      {"DeletePreparedStatement", &AthenaService::DeletePreparedStatement, RunOn::Inline},
      {"CreateDataCatalog", &AthenaService::CreateDataCatalog, RunOn::Inline},
      {"GetDataCatalog", &AthenaService::GetDataCatalog, RunOn::Inline},
      {"ListDataCatalogs", &AthenaService::ListDataCatalogs, RunOn::Inline},
      {"UpdateDataCatalog", &AthenaService::UpdateDataCatalog, RunOn::Inline},
      {"DeleteDataCatalog", &AthenaService::DeleteDataCatalog, RunOn::Inline},
      {"ListDatabases", &AthenaService::ListDatabases, RunOn::Pool},
      {"GetDatabase", &AthenaService::GetDatabase, RunOn::Pool},
      {"ListTableMetadata", &AthenaService::ListTableMetadata, RunOn::Pool},
      {"GetTableMetadata", &AthenaService::GetTableMetadata, RunOn::Pool},
      {"TagResource", &AthenaService::TagResource, RunOn::Inline},
      {"UntagResource", &AthenaService::UntagResource, RunOn::Inline},
      {"ListTagsForResource", &AthenaService::ListTagsForResource, RunOn::Inline},
      {"CreateCapacityReservation", &AthenaService::CreateCapacityReservation, RunOn::Inline},
      {"GetCapacityReservation", &AthenaService::GetCapacityReservation, RunOn::Inline},
      {"ListCapacityReservations", &AthenaService::ListCapacityReservations, RunOn::Inline},
      {"UpdateCapacityReservation", &AthenaService::UpdateCapacityReservation, RunOn::Inline},
      {"CancelCapacityReservation", &AthenaService::CancelCapacityReservation, RunOn::Inline},
      {"DeleteCapacityReservation", &AthenaService::DeleteCapacityReservation, RunOn::Inline},
      {"PutCapacityAssignmentConfiguration", &AthenaService::PutCapacityAssignmentConfiguration, RunOn::Inline},
      {"GetCapacityAssignmentConfiguration", &AthenaService::GetCapacityAssignmentConfiguration, RunOn::Inline},
  };
  return table;
}

void AthenaService::Reset() { static_cast<AthenaState&>(*state_).Journal().Reset([this] { ResetState(); }); }

void AthenaService::ResetState() {
  // Wait for the cancelled statements to settle, or one still running would recreate what the
  // engine's reset below drops.
  if (!runner_->CancelAllAndWait(std::chrono::seconds(5))) {
    spdlog::warn("athena: reset went ahead with statements still running after 5 s");
  }
  {
    std::lock_guard lock(mutex_);
    partitions_.clear();
  }
  runner_->Engine().Reset();
  external_catalog_->MarkStale();
}

void AthenaService::Shutdown() { runner_->CancelAll(); }

AthenaService::Partition& AthenaService::PartitionFor(const Request& request) {
  auto& partition = partitions_[request.context.account_id + "/" + request.context.region];
  if (partition.work_groups.empty()) {
    // Every account has the "primary" work group from the start.
    WorkGroupRecord primary;
    primary.name = "primary";
    primary.created_ms = Now();
    partition.work_groups.emplace(primary.name, std::move(primary));
  }
  return partition;
}

// ---- StartQueryExecution -------------------------------------------------------------------

void AthenaService::PlanExecution(Partition& partition, ExecutionRecord& record,
                                  sqlengine::QueryRequest& engine_request, bool& needs_engine) {
  needs_engine = true;
  std::string sql = record.query;
  std::vector<std::string> parameter_texts = record.execution_parameters;
  std::string keyword = sqlengine::LeadingKeyword(sql);
  // Athena's own prepared statements: PREPARE name FROM ..., EXECUTE name [USING ...],
  // DEALLOCATE PREPARE name. They are work-group state, not engine state.
  if (keyword == "PREPARE" || keyword == "DEALLOCATE" || keyword == "EXECUTE") {
    std::string rest;
    auto words = sqlengine::LeadingWords(sql, keyword == "DEALLOCATE" ? 3 : 2, &rest);
    std::string name = words.size() >= 2 ? words.back() : std::string();
    auto key = std::make_pair(record.work_group, name);
    if (keyword == "PREPARE") {
      std::string from;
      auto from_words = sqlengine::LeadingWords(rest, 1, &from);
      if (name.empty() || from_words.empty() || from_words[0].size() != 4 ||
          (from_words[0] != "FROM" && from_words[0] != "from")) {
        record.settled_state = JobState::Failed;
        record.settled_outcomes = FailedOutcome("line 1:1: mismatched input. Expected: PREPARE name FROM statement");
      } else {
        auto& statement = partition.prepared_statements[key];
        statement = PreparedStatementRecord{name, record.work_group, from, statement.description, Now()};
        record.settled_outcomes = EmptySuccess();
      }
      needs_engine = false;
      return;
    }
    if (keyword == "DEALLOCATE") {
      if (partition.prepared_statements.erase(key) == 0) {
        record.settled_state = JobState::Failed;
        record.settled_outcomes = FailedOutcome("Prepared statement not found: " + name);
      } else {
        record.settled_outcomes = EmptySuccess();
      }
      needs_engine = false;
      return;
    }
    auto found = partition.prepared_statements.find(key);
    if (found == partition.prepared_statements.end()) {
      record.settled_state = JobState::Failed;
      record.settled_outcomes = FailedOutcome("Prepared statement not found: " + name);
      needs_engine = false;
      return;
    }
    sql = found->second.query;
    // The executed statement decides the type (a prepared SELECT answers with a header row).
    Classify(sql, record.statement_type, record.substatement_type);
    std::string using_list;
    auto using_words = sqlengine::LeadingWords(rest, 1, &using_list);
    if (!using_words.empty()) parameter_texts = sqlengine::SplitLiteralList(using_list);
  }
  // Athena's SQL (Trino's dialect) becomes the engine's before the parameters are bound (they
  // stay placeholders); a statement Athena would reject fails here with Athena's error.
  auto translated = sqlengine::dialect::TranslateAthena(
      sql, sqlengine::dialect::AthenaNames{{{"default", runner_->Engine().DefaultSchema()}}, "awsdatacatalog"});
  if (!translated.ok()) {
    record.settled_state = JobState::Failed;
    record.settled_outcomes = FailedOutcome(sqlengine::dialect::AthenaErrorReason(translated.error()));
    needs_engine = false;
    return;
  }
  sql = std::move(translated).value();
  std::vector<sqlengine::BoundLiteral> literals;
  for (const auto& text : parameter_texts) {
    auto literal = sqlengine::ParseSqlLiteral(text);
    if (!literal.ok()) {
      record.settled_state = JobState::Failed;
      record.settled_outcomes = FailedOutcome(literal.error());
      needs_engine = false;
      return;
    }
    literals.push_back(std::move(literal.value()));
  }
  auto substituted = sqlengine::SubstitutePlaceholders(sql, literals);
  if (!substituted.ok()) {
    record.settled_state = JobState::Failed;
    record.settled_outcomes = FailedOutcome(substituted.error());
    needs_engine = false;
    return;
  }
  engine_request.statements.push_back(std::move(substituted.value()));
  for (auto& literal : literals) engine_request.parameters.push_back(std::move(literal.value));
  engine_request.schema = EngineSchema(record.database.empty() ? "default" : record.database);
}

std::optional<std::string> AthenaService::OutputBucketToVerify(const Request& request) {
  if (runtime_.peers == nullptr || !runtime_.peers->Has("s3")) return std::nullopt;
  json::object requested;
  if (const auto* given = request.input.if_contains("ResultConfiguration"); given != nullptr) {
    if (!given->is_object()) return std::nullopt;
    requested = given->get_object();
  }
  std::string work_group_name = "primary";
  if (const auto* given = request.input.if_contains("WorkGroup"); given != nullptr) {
    if (!given->is_string()) return std::nullopt;
    work_group_name = std::string(given->get_string());
  }
  json::object effective;
  {
    std::lock_guard lock(mutex_);
    Partition& partition = PartitionFor(request);
    auto found = partition.work_groups.find(work_group_name);
    if (found == partition.work_groups.end()) return std::nullopt;
    effective = EffectiveResultConfiguration(requested, found->second);
  }
  const auto* location = effective.if_contains("OutputLocation");
  if (location == nullptr || !location->is_string()) return std::nullopt;
  auto parsed = ParseS3Location(location->get_string());
  if (!parsed) return std::nullopt;
  return std::move(parsed).value().bucket;
}

void AthenaService::StartQueryExecutionChecked(Request request, protocol::OperationCallback done) {
  auto bucket = OutputBucketToVerify(request);
  if (!bucket) return done(StartQueryExecution(request));
  auto shared = std::make_shared<Request>(std::move(request));
  runtime_.peers->Invoke(
      "s3", "HeadBucket", json::object{{"Bucket", *bucket}}, shared->context,
      [this, shared, bucket = *bucket, done = std::move(done)](protocol::OperationResult answer) {
        if (!answer.ok() && answer.error().code == "NoSuchBucket") {
          return done(Fail(errors::InvalidRequest("Unable to verify/create output bucket " + bucket)));
        }
        // Back on this module's pool: S3's threads are S3's.
        auto start = [this, shared, done] { done(StartQueryExecution(*shared)); };
        if (runtime_.blocking_pool != nullptr) boost::asio::post(*runtime_.blocking_pool, std::move(start));
        else start();
      });
}

AthenaService::Result AthenaService::StartQueryExecution(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto query, input.Required("QueryString", 262144));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("ClientRequestToken", 128));
  MALLARD_ASSIGN_OR_RETURN(auto context, input.Object("QueryExecutionContext"));
  MALLARD_ASSIGN_OR_RETURN(auto result_configuration, input.Object("ResultConfiguration"));
  MALLARD_ASSIGN_OR_RETURN(auto work_group_name, input.Optional("WorkGroup", 128));
  MALLARD_ASSIGN_OR_RETURN(auto parameters, input.Strings("ExecutionParameters", 0, 1000));
  if (token && token->size() < 32) {
    return Fail(input.Invalid("ClientRequestToken", *token, "Member must have length greater than or equal to 32"));
  }
  if (request.input.contains("ExecutionParameters") && parameters.empty()) {
    return Fail(input.Invalid("ExecutionParameters", "", "Member must have length greater than or equal to 1"));
  }
  // Each parameter is 1 to 1024 characters in the model (ExecutionParameter), reported as Smithy
  // reports a list member's constraints.
  for (const auto& parameter : parameters) {
    if (parameter.empty() || parameter.size() > 1024) {
      return Fail(input.Invalid("ExecutionParameters", "",
                                "Member must satisfy constraint: [Member must have length less than or equal to 1024, "
                                "Member must have length greater than or equal to 1]"));
    }
  }
  ExecutionRecord record;
  record.query = query;
  record.work_group = work_group_name.value_or("primary");
  record.execution_parameters = parameters;
  if (const auto* database = context.if_contains("Database"); database && database->is_string()) {
    record.database = std::string(database->get_string());
  }
  if (const auto* catalog = context.if_contains("Catalog"); catalog && catalog->is_string()) {
    record.catalog = std::string(catalog->get_string());
  }
  Classify(query, record.statement_type, record.substatement_type);

  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_ASSIGN_OR_RETURN(auto* work_group, FindWorkGroup(partition, record.work_group));
  if (work_group->state != "ENABLED") {
    return Fail(errors::InvalidRequest("WorkGroup " + record.work_group + " is disabled."));
  }
  if (token) {
    if (auto known = partition.execution_tokens.find(*token); known != partition.execution_tokens.end()) {
      const auto& previous = partition.executions.at(known->second);
      if (previous.query != query || previous.work_group != record.work_group ||
          previous.execution_parameters != parameters) {
        return Fail(errors::InvalidRequest("The request token " + *token +
                                           " was already used with different parameters."));
      }
      return Json{{"QueryExecutionId", known->second}};
    }
  }
  json::object effective_result = EffectiveResultConfiguration(result_configuration, *work_group);
  const auto* output = effective_result.if_contains("OutputLocation");
  if (output == nullptr || !output->is_string() || output->get_string().empty()) {
    return Fail(errors::InvalidRequest("No output location provided. An output location is required either through the "
                                       "Workgroup result configuration setting or as an API input."));
  }
  record.id = NewUuid();
  std::string location(output->get_string());
  if (!location.empty() && location.back() != '/') location.push_back('/');
  effective_result["OutputLocation"] = location + record.id + (record.statement_type == "DDL" ? ".txt" : ".csv");
  record.result_configuration = std::move(effective_result);
  record.submitted_ms = Now();

  DatabaseDdlParse database_ddl = ParseDatabaseDdl(query);
  if (!record.catalog.empty() && !IsDefaultCatalog(record.catalog) && partition.catalogs.count(record.catalog) == 0) {
    record.settled_state = JobState::Failed;
    record.settled_outcomes = FailedOutcome("CATALOG_NOT_FOUND: Catalog '" + record.catalog + "' does not exist");
  } else if (!database_ddl.error.empty()) {
    record.settled_state = JobState::Failed;
    record.settled_outcomes = FailedOutcome(database_ddl.error);
  } else if (database_ddl.ddl && !database_ddl.ddl->create && database_ddl.ddl->database == "default") {
    record.settled_state = JobState::Failed;
    record.settled_outcomes = FailedOutcome("FAILED: SemanticException Can not drop default database");
  } else if (database_ddl.ddl) {
    // CREATE/DROP DATABASE becomes CREATE/DROP SCHEMA in the engine; which catalog the database
    // belongs to is recorded once the engine has carried it out.
    sqlengine::QueryRequest engine_request;
    engine_request.statements.push_back(EngineStatement(*database_ddl.ddl, EngineSchema(database_ddl.ddl->database)));
    if (!database_ddl.ddl->create) ForgetExternalTables(database_ddl.ddl->database, engine_request);
    record.database_ddl = std::move(database_ddl.ddl);
    record.job = runner_->Submit(std::move(engine_request),
                                 OnEngineFinished(ResultWriter(record, request.context), JournalWhenFinished(request.context)));
    partition.pending_database_ddl.push_back(record.id);
  } else if (StartExternalStatement(record, request.context)) {
    // Athena DDL over S3, CTAS, INSERT INTO an external table, UNLOAD (athena_external_hook.cpp).
  } else {
    sqlengine::QueryRequest engine_request;
    bool needs_engine = true;
    PlanExecution(partition, record, engine_request, needs_engine);
    if (needs_engine && !PrependExternalRefresh(record, engine_request)) needs_engine = false;
    if (needs_engine) {
      record.job = runner_->Submit(std::move(engine_request),
                                   OnEngineFinished(ResultWriter(record, request.context), JournalWhenFinished(request.context)));
    } else if (record.settled_state == JobState::Succeeded) {
      // Settled by the service (PREPARE, DEALLOCATE): its (empty) result files all the same, built
      // on the module's pool.
      if (auto writer = ResultWriter(record, request.context)) {
        auto write = [writer, outcomes = record.settled_outcomes] { writer(JobState::Succeeded, outcomes); };
        if (runtime_.blocking_pool != nullptr) boost::asio::post(*runtime_.blocking_pool, std::move(write));
        else write();
      }
    }
  }
  std::string id = record.id;
  if (token) partition.execution_tokens[*token] = id;
  partition.execution_order.push_back(id);
  partition.executions.emplace(id, std::move(record));
  return Json{{"QueryExecutionId", id}};
}

// ---- GetQueryExecution and friends ---------------------------------------------------------

boost::json::object AthenaService::DescribeExecution(const ExecutionRecord& record) const {
  sqlengine::QueryJob::Snapshot snapshot = ReadExecution(record);
  Json status{{"State", StateName(snapshot.state)}, {"SubmissionDateTime", EpochSeconds(snapshot.submitted_ms)}};
  bool finished = snapshot.completed_ms != 0;
  if (finished) status["CompletionDateTime"] = EpochSeconds(snapshot.completed_ms);
  std::int64_t engine_millis = 0;
  std::int64_t planning_millis = 0;
  std::int64_t data_bytes = 0;
  if (snapshot.outcomes) {
    for (const auto& outcome : *snapshot.outcomes) {
      engine_millis += outcome.engine_millis;
      planning_millis += outcome.planning_millis;
      data_bytes += outcome.result_bytes;
    }
    if (snapshot.state == JobState::Failed || snapshot.state == JobState::Cancelled) {
      std::string reason = snapshot.state == JobState::Cancelled ? "Query was cancelled by the user." : "";
      bool user_error = true;
      for (const auto& outcome : *snapshot.outcomes) {
        if (!outcome.succeeded && !outcome.cancelled) {
          // Engine errors in Trino's names (TABLE_NOT_FOUND, SYNTAX_ERROR, …), as Athena reports them.
          std::string database = record.database.empty() ? "default" : record.database;
          for (char& c : database) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          reason = sqlengine::dialect::AthenaEngineErrorReason(outcome.error_message, database, record.query);
          user_error = outcome.user_error;
        }
      }
      status["StateChangeReason"] = reason;
      if (snapshot.state == JobState::Failed) {
        status["AthenaError"] = Json{{"ErrorCategory", user_error ? 2 : 1},
                                     {"ErrorType", user_error ? 1000 : 200},
                                     {"Retryable", !user_error},
                                     {"ErrorMessage", reason}};
      }
    }
  }
  std::int64_t queue_millis =
      (snapshot.started_ms != 0 ? snapshot.started_ms : (finished ? snapshot.completed_ms : Now())) - snapshot.submitted_ms;
  std::int64_t total_millis = (finished ? snapshot.completed_ms : Now()) - snapshot.submitted_ms;
  Json statistics{{"EngineExecutionTimeInMillis", engine_millis},
                  // DuckDB reports no scanned-byte count; the size of the data the query produced
                  // stands in for it.
                  {"DataScannedInBytes", data_bytes},
                  {"TotalExecutionTimeInMillis", total_millis},
                  {"QueryQueueTimeInMillis", queue_millis},
                  {"QueryPlanningTimeInMillis", planning_millis},
                  {"ServicePreProcessingTimeInMillis", 0},
                  {"ServiceProcessingTimeInMillis", std::max<std::int64_t>(0, total_millis - queue_millis - engine_millis)},
                  {"ResultReuseInformation", Json{{"ReusedPreviousResult", false}}}};
  // CTAS, INSERT INTO and UNLOAD list the files they wrote (athena_external_hook.cpp).
  if (!record.data_manifest_location.empty() && snapshot.state == JobState::Succeeded) {
    statistics["DataManifestLocation"] = record.data_manifest_location;
  }
  Json context;
  if (!record.database.empty()) context["Database"] = record.database;
  context["Catalog"] = record.catalog.empty() ? "AwsDataCatalog" : record.catalog;
  Json execution{{"QueryExecutionId", record.id},
                 {"Query", record.query},
                 {"StatementType", record.statement_type},
                 {"SubstatementType", record.substatement_type},
                 {"ResultConfiguration", record.result_configuration},
                 {"ResultReuseConfiguration", Json{{"ResultReuseByAgeConfiguration", Json{{"Enabled", false}}}}},
                 {"QueryExecutionContext", std::move(context)},
                 {"Status", std::move(status)},
                 {"Statistics", std::move(statistics)},
                 {"WorkGroup", record.work_group},
                 {"EngineVersion", Json{{"SelectedEngineVersion", "AUTO"},
                                        {"EffectiveEngineVersion", "Athena engine version 3"}}}};
  if (!record.execution_parameters.empty()) {
    json::array parameters;
    for (const auto& parameter : record.execution_parameters) parameters.emplace_back(parameter);
    execution["ExecutionParameters"] = std::move(parameters);
  }
  return execution;
}

AthenaService::Result AthenaService::GetQueryExecution(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("QueryExecutionId", 128));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.executions.find(id);
  if (found == partition.executions.end()) return Fail(errors::QueryNotFound(id));
  return Json{{"QueryExecution", DescribeExecution(found->second)}};
}

AthenaService::Result AthenaService::BatchGetQueryExecution(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto ids, input.Strings("QueryExecutionIds", 1, 50));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  return services::kit::BatchGet(
      ids, "QueryExecutions", "UnprocessedQueryExecutionIds", "QueryExecutionId", "INVALID_INPUT",
      [&](const std::string& id) -> std::optional<Json> {
        auto found = partition.executions.find(id);
        if (found == partition.executions.end()) return std::nullopt;
        return DescribeExecution(found->second);
      },
      [](const std::string& id) { return "QueryExecution " + id + " was not found"; });
}

AthenaService::Result AthenaService::ListQueryExecutions(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 0, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto work_group_name, input.Optional("WorkGroup", 128));
  std::string work_group = work_group_name.value_or("primary");
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, work_group));
  // Newest first, as Athena lists them.
  std::vector<std::string> ids;
  for (auto it = partition.execution_order.rbegin(); it != partition.execution_order.rend(); ++it) {
    if (partition.executions.at(*it).work_group == work_group) ids.push_back(*it);
  }
  std::size_t start = 0;
  if (token) {
    auto offset = services::kit::DecodePageToken("executions/" + work_group, *token);
    if (!offset) return Fail(errors::InvalidRequest("Invalid NextToken: " + *token));
    start = *offset;
  }
  std::size_t limit = max_results && *max_results > 0 ? static_cast<std::size_t>(*max_results) : 50;
  json::array page;
  for (std::size_t i = start; i < ids.size() && page.size() < limit; ++i) page.emplace_back(ids[i]);
  Json output{{"QueryExecutionIds", std::move(page)}};
  if (start + limit < ids.size()) output["NextToken"] = services::kit::EncodePageToken("executions/" + work_group, start + limit);
  return output;
}

AthenaService::Result AthenaService::StopQueryExecution(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("QueryExecutionId", 128));
  std::shared_ptr<sqlengine::QueryJob> job;
  {
    std::lock_guard lock(mutex_);
    Partition& partition = PartitionFor(request);
    auto found = partition.executions.find(id);
    if (found == partition.executions.end()) return Fail(errors::QueryNotFound(id));
    job = found->second.job;
  }
  // Stopping a finished query is accepted and changes nothing, as in Athena.
  if (job) job->Cancel(runner_->GetClock());
  return Json{};
}

}  // namespace mallard::athena
