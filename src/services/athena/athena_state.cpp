#include "services/athena/athena_state.hpp"

#include <algorithm>

#include "sqlengine/query_outcome_json.hpp"
#include "services/athena/athena_service.hpp"

namespace mallard::athena {
namespace {

namespace json = boost::json;
using sqlengine::JobState;

// Why an execution running at save time reads FAILED after a load: the engine cannot resume a
// query of another process (Athena fails queries it loses, too).
constexpr const char* kInterrupted = "Query was still running when the state snapshot was taken and cannot be resumed.";

std::string PartitionKey(const services::StateScope& scope) { return scope.account + "/" + scope.region; }

const char* StateText(JobState state) {
  switch (state) {
    case JobState::Queued: return "QUEUED";
    case JobState::Running: return "RUNNING";
    case JobState::Succeeded: return "SUCCEEDED";
    case JobState::Failed: return "FAILED";
    case JobState::Cancelled: return "CANCELLED";
  }
  return "FAILED";
}

std::optional<JobState> StateFromText(std::string_view text) {
  for (auto state : {JobState::Queued, JobState::Running, JobState::Succeeded, JobState::Failed, JobState::Cancelled}) {
    if (text == StateText(state)) return state;
  }
  return std::nullopt;
}

// Field readers: a missing optional field reads as its default, a wrong type is an error naming it.
struct Fields {
  const json::object& body;
  Result<std::string, std::string> Text(std::string_view key, bool required = false) const {
    const auto* found = body.if_contains(key);
    if (found == nullptr) {
      if (required) return Fail("missing " + std::string(key));
      return std::string();
    }
    if (!found->is_string()) return Fail(std::string(key) + " is not a string");
    return std::string(found->get_string());
  }
  Result<std::int64_t, std::string> Int(std::string_view key) const {
    const auto* found = body.if_contains(key);
    if (found == nullptr) return std::int64_t{0};
    if (const auto* number = found->if_int64()) return *number;
    return Fail(std::string(key) + " is not an integer");
  }
  Result<bool, std::string> Bool(std::string_view key) const {
    const auto* found = body.if_contains(key);
    if (found == nullptr) return false;
    if (!found->is_bool()) return Fail(std::string(key) + " is not a boolean");
    return found->get_bool();
  }
  Result<json::object, std::string> Object(std::string_view key) const {
    const auto* found = body.if_contains(key);
    if (found == nullptr) return json::object{};
    if (!found->is_object()) return Fail(std::string(key) + " is not an object");
    return found->get_object();
  }
  Result<std::vector<std::string>, std::string> Strings(const json::value* value, std::string_view key) const {
    std::vector<std::string> out;
    if (value == nullptr) return out;
    if (!value->is_array()) return Fail(std::string(key) + " is not an array");
    for (const auto& item : value->get_array()) {
      if (!item.is_string()) return Fail(std::string(key) + " holds a non-string");
      out.emplace_back(item.get_string());
    }
    return out;
  }
};

json::array StringArray(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

json::object ExecutionBody(const ExecutionRecord& record, const sqlengine::QueryJob::Snapshot& snapshot) {
  json::object body{{"QueryExecutionId", record.id},
                    {"Query", record.query},
                    {"QueryExecutionContext", json::object{{"Database", record.database}, {"Catalog", record.catalog}}},
                    {"WorkGroup", record.work_group},
                    {"ResultConfiguration", record.result_configuration},
                    {"ExecutionParameters", StringArray(record.execution_parameters)},
                    {"StatementType", record.statement_type},
                    {"SubstatementType", record.substatement_type},
                    {"State", StateText(snapshot.state)},
                    {"SubmissionDateTime", snapshot.submitted_ms != 0 ? snapshot.submitted_ms : record.submitted_ms},
                    {"started_ms", snapshot.started_ms},
                    {"CompletionDateTime", snapshot.completed_ms},
                    {"DataManifestLocation", record.data_manifest_location}};
  if (snapshot.outcomes) body["outcomes"] = sqlengine::OutcomesToJson(*snapshot.outcomes);
  return body;
}

Result<ExecutionRecord, std::string> ExecutionFromBody(const Fields& fields) {
  ExecutionRecord record;
  MALLARD_ASSIGN_OR_RETURN(record.id, fields.Text("QueryExecutionId", true));
  MALLARD_ASSIGN_OR_RETURN(record.query, fields.Text("Query"));
  MALLARD_ASSIGN_OR_RETURN(auto context, fields.Object("QueryExecutionContext"));
  Fields context_fields{context};
  MALLARD_ASSIGN_OR_RETURN(record.database, context_fields.Text("Database"));
  MALLARD_ASSIGN_OR_RETURN(record.catalog, context_fields.Text("Catalog"));
  MALLARD_ASSIGN_OR_RETURN(record.work_group, fields.Text("WorkGroup", true));
  MALLARD_ASSIGN_OR_RETURN(record.result_configuration, fields.Object("ResultConfiguration"));
  MALLARD_ASSIGN_OR_RETURN(record.execution_parameters,
                           fields.Strings(fields.body.if_contains("ExecutionParameters"), "ExecutionParameters"));
  MALLARD_ASSIGN_OR_RETURN(record.statement_type, fields.Text("StatementType"));
  MALLARD_ASSIGN_OR_RETURN(record.substatement_type, fields.Text("SubstatementType"));
  MALLARD_ASSIGN_OR_RETURN(record.data_manifest_location, fields.Text("DataManifestLocation"));
  MALLARD_ASSIGN_OR_RETURN(record.submitted_ms, fields.Int("SubmissionDateTime"));
  MALLARD_ASSIGN_OR_RETURN(auto state_text, fields.Text("State", true));
  auto state = StateFromText(state_text);
  if (!state) return Fail("unknown State " + state_text);
  sqlengine::QueryJob::Snapshot snapshot;
  snapshot.state = *state;
  snapshot.submitted_ms = record.submitted_ms;
  MALLARD_ASSIGN_OR_RETURN(snapshot.started_ms, fields.Int("started_ms"));
  MALLARD_ASSIGN_OR_RETURN(snapshot.completed_ms, fields.Int("CompletionDateTime"));
  if (const auto* outcomes = fields.body.if_contains("outcomes")) {
    MALLARD_ASSIGN_OR_RETURN(auto parsed, sqlengine::OutcomesFromJson(*outcomes));
    snapshot.outcomes = std::make_shared<const std::vector<sqlengine::QueryOutcome>>(std::move(parsed));
  }
  if (snapshot.state == JobState::Queued || snapshot.state == JobState::Running) {
    snapshot.state = JobState::Failed;
    if (snapshot.started_ms == 0) snapshot.started_ms = record.submitted_ms;
    snapshot.completed_ms = snapshot.started_ms;
    sqlengine::QueryOutcome failed;
    failed.error_message = kInterrupted;
    failed.user_error = false;
    snapshot.outcomes = std::make_shared<const std::vector<sqlengine::QueryOutcome>>(1, std::move(failed));
  }
  record.restored = std::move(snapshot);
  return record;
}

}  // namespace

Result<std::vector<services::StateScope>, std::string> AthenaState::Scopes() {
  std::vector<services::StateScope> scopes;
  std::lock_guard lock(service_.mutex_);
  for (const auto& [key, partition] : service_.partitions_) {
    auto slash = key.find('/');
    scopes.push_back({key.substr(0, slash), slash == std::string::npos ? "" : key.substr(slash + 1)});
  }
  std::sort(scopes.begin(), scopes.end());
  return scopes;
}

Status<std::string> AthenaState::Save(const services::StateScope& scope, const services::StateRecordSink& sink) {
  // The scope as of one moment: copied under the lock (results are shared and immutable once a
  // query finishes), turned into records and written outside it.
  AthenaService::Partition partition;
  std::vector<std::pair<const ExecutionRecord*, sqlengine::QueryJob::Snapshot>> executions;
  {
    std::lock_guard lock(service_.mutex_);
    auto found = service_.partitions_.find(PartitionKey(scope));
    if (found == service_.partitions_.end()) return Done{};
    // Pending bookkeeping first, so the records say what the APIs would answer now.
    service_.SettleDatabaseDdl(found->second);
    service_.AdvanceCapacityReservations(found->second);
    partition = found->second;
    for (const auto& id : partition.execution_order) {
      auto execution = partition.executions.find(id);
      if (execution != partition.executions.end()) executions.emplace_back(&execution->second, ReadExecution(execution->second));
    }
  }
  auto write = [&](const char* kind, json::object body) { return sink(services::StateRecord{kind, std::move(body)}); };
  for (const auto& [name, group] : partition.work_groups) {
    MALLARD_RETURN_IF_ERROR(write("work_group", {{"Name", group.name}, {"Description", group.description}, {"State", group.state},
                                                 {"Configuration", group.configuration}, {"CreationTime", group.created_ms}}));
  }
  for (const auto& [name, catalog] : partition.catalogs) {
    MALLARD_RETURN_IF_ERROR(write("data_catalog", {{"Name", catalog.name}, {"Type", catalog.type},
                                                   {"Description", catalog.description}, {"Parameters", catalog.parameters}}));
  }
  for (const auto& [name, database] : partition.databases) {
    MALLARD_RETURN_IF_ERROR(write("database", {{"Name", name}, {"CatalogName", database.catalog}, {"Description", database.description}}));
  }
  for (const auto& [id, query] : partition.named_queries) {
    MALLARD_RETURN_IF_ERROR(write("named_query", {{"NamedQueryId", query.id}, {"Name", query.name}, {"Description", query.description},
                                                  {"Database", query.database}, {"QueryString", query.query}, {"WorkGroup", query.work_group}}));
  }
  for (const auto& [key, statement] : partition.prepared_statements) {
    MALLARD_RETURN_IF_ERROR(write("prepared_statement", {{"StatementName", statement.name}, {"WorkGroupName", statement.work_group},
                                                         {"QueryStatement", statement.query}, {"Description", statement.description},
                                                         {"LastModifiedTime", statement.last_modified_ms}}));
  }
  for (const auto& [name, reservation] : partition.capacity_reservations) {
    json::array assignments;
    for (const auto& groups : reservation.assignments) assignments.emplace_back(StringArray(groups));
    MALLARD_RETURN_IF_ERROR(write("capacity_reservation", {{"Name", reservation.name}, {"Status", reservation.status},
                                                           {"TargetDpus", reservation.target_dpus}, {"CreationTime", reservation.created_ms},
                                                           {"AllocationRequestTime", reservation.allocation_requested_ms},
                                                           {"AllocationCompletionTime", reservation.allocation_completed_ms},
                                                           {"cancel_requested_ms", reservation.cancel_requested_ms},
                                                           {"CapacityAssignments", std::move(assignments)},
                                                           {"has_assignment_configuration", reservation.has_assignment_configuration}}));
  }
  for (const auto& [arn, tags] : partition.tags) {
    json::array list;
    for (const auto& [key, value] : tags) list.emplace_back(json::object{{"Key", key}, {"Value", value}});
    MALLARD_RETURN_IF_ERROR(write("tag", {{"ResourceARN", arn}, {"Tags", std::move(list)}}));
  }
  for (const auto& [record, snapshot] : executions) MALLARD_RETURN_IF_ERROR(write("query_execution", ExecutionBody(*record, snapshot)));
  for (const auto& [token, id] : partition.execution_tokens) {
    MALLARD_RETURN_IF_ERROR(write("client_request_token", {{"ClientRequestToken", token}, {"QueryExecutionId", id}}));
  }
  for (const auto& [token, id] : partition.named_query_tokens) {
    MALLARD_RETURN_IF_ERROR(write("client_request_token", {{"ClientRequestToken", token}, {"NamedQueryId", id}}));
  }
  return Done{};
}

Status<std::string> AthenaState::Load(const services::StateScope& scope, int record_version,
                                      const services::StateRecordSource& records) {
  if (record_version > RecordVersion()) {
    return Fail("athena: snapshot record version " + std::to_string(record_version) + " is newer than this Mallard reads (" +
                std::to_string(RecordVersion()) + ")");
  }
  // Everything is read and checked into `loaded` before the scope changes.
  AthenaService::Partition loaded;
  std::vector<std::string> tag_order;
  for (std::size_t index = 1;; ++index) {
    MALLARD_ASSIGN_OR_RETURN(auto next, records());
    if (!next) break;
    Fields fields{next->body};
    auto apply = [&]() -> Status<std::string> {
      const std::string& kind = next->kind;
      if (kind == "work_group") {
        WorkGroupRecord group;
        MALLARD_ASSIGN_OR_RETURN(group.name, fields.Text("Name", true));
        MALLARD_ASSIGN_OR_RETURN(group.description, fields.Text("Description"));
        MALLARD_ASSIGN_OR_RETURN(group.state, fields.Text("State"));
        if (group.state != "ENABLED" && group.state != "DISABLED") return Fail("State " + group.state + " is not ENABLED or DISABLED");
        MALLARD_ASSIGN_OR_RETURN(group.configuration, fields.Object("Configuration"));
        MALLARD_ASSIGN_OR_RETURN(group.created_ms, fields.Int("CreationTime"));
        loaded.work_groups[group.name] = std::move(group);
      } else if (kind == "data_catalog") {
        DataCatalogRecord catalog;
        MALLARD_ASSIGN_OR_RETURN(catalog.name, fields.Text("Name", true));
        MALLARD_ASSIGN_OR_RETURN(catalog.type, fields.Text("Type"));
        MALLARD_ASSIGN_OR_RETURN(catalog.description, fields.Text("Description"));
        MALLARD_ASSIGN_OR_RETURN(catalog.parameters, fields.Object("Parameters"));
        loaded.catalogs[catalog.name] = std::move(catalog);
      } else if (kind == "database") {
        MALLARD_ASSIGN_OR_RETURN(auto name, fields.Text("Name", true));
        DatabaseRecord database;
        MALLARD_ASSIGN_OR_RETURN(database.catalog, fields.Text("CatalogName"));
        MALLARD_ASSIGN_OR_RETURN(database.description, fields.Text("Description"));
        loaded.databases[name] = std::move(database);
      } else if (kind == "named_query") {
        NamedQueryRecord query;
        MALLARD_ASSIGN_OR_RETURN(query.id, fields.Text("NamedQueryId", true));
        MALLARD_ASSIGN_OR_RETURN(query.name, fields.Text("Name"));
        MALLARD_ASSIGN_OR_RETURN(query.description, fields.Text("Description"));
        MALLARD_ASSIGN_OR_RETURN(query.database, fields.Text("Database"));
        MALLARD_ASSIGN_OR_RETURN(query.query, fields.Text("QueryString"));
        MALLARD_ASSIGN_OR_RETURN(query.work_group, fields.Text("WorkGroup", true));
        loaded.named_queries[query.id] = std::move(query);
      } else if (kind == "prepared_statement") {
        PreparedStatementRecord statement;
        MALLARD_ASSIGN_OR_RETURN(statement.name, fields.Text("StatementName", true));
        MALLARD_ASSIGN_OR_RETURN(statement.work_group, fields.Text("WorkGroupName", true));
        MALLARD_ASSIGN_OR_RETURN(statement.query, fields.Text("QueryStatement"));
        MALLARD_ASSIGN_OR_RETURN(statement.description, fields.Text("Description"));
        MALLARD_ASSIGN_OR_RETURN(statement.last_modified_ms, fields.Int("LastModifiedTime"));
        auto key = std::make_pair(statement.work_group, statement.name);
        loaded.prepared_statements[key] = std::move(statement);
      } else if (kind == "capacity_reservation") {
        CapacityReservationRecord reservation;
        MALLARD_ASSIGN_OR_RETURN(reservation.name, fields.Text("Name", true));
        MALLARD_ASSIGN_OR_RETURN(reservation.status, fields.Text("Status", true));
        MALLARD_ASSIGN_OR_RETURN(reservation.target_dpus, fields.Int("TargetDpus"));
        MALLARD_ASSIGN_OR_RETURN(reservation.created_ms, fields.Int("CreationTime"));
        MALLARD_ASSIGN_OR_RETURN(reservation.allocation_requested_ms, fields.Int("AllocationRequestTime"));
        MALLARD_ASSIGN_OR_RETURN(reservation.allocation_completed_ms, fields.Int("AllocationCompletionTime"));
        MALLARD_ASSIGN_OR_RETURN(reservation.cancel_requested_ms, fields.Int("cancel_requested_ms"));
        MALLARD_ASSIGN_OR_RETURN(reservation.has_assignment_configuration, fields.Bool("has_assignment_configuration"));
        if (const auto* assignments = next->body.if_contains("CapacityAssignments")) {
          if (!assignments->is_array()) return Fail(std::string("CapacityAssignments is not an array"));
          for (const auto& groups : assignments->get_array()) {
            MALLARD_ASSIGN_OR_RETURN(auto names, fields.Strings(&groups, "CapacityAssignments"));
            reservation.assignments.push_back(std::move(names));
          }
        }
        loaded.capacity_reservations[reservation.name] = std::move(reservation);
      } else if (kind == "tag") {
        MALLARD_ASSIGN_OR_RETURN(auto arn, fields.Text("ResourceARN", true));
        const auto* list = next->body.if_contains("Tags");
        if (list == nullptr || !list->is_array()) return Fail(std::string("Tags is not an array"));
        TagList tags;
        for (const auto& tag : list->get_array()) {
          if (!tag.is_object()) return Fail(std::string("a tag is not an object"));
          Fields tag_fields{tag.get_object()};
          MALLARD_ASSIGN_OR_RETURN(auto key, tag_fields.Text("Key", true));
          MALLARD_ASSIGN_OR_RETURN(auto value, tag_fields.Text("Value"));
          tags.emplace_back(std::move(key), std::move(value));
        }
        loaded.tags[arn] = std::move(tags);
      } else if (kind == "query_execution") {
        MALLARD_ASSIGN_OR_RETURN(auto record, ExecutionFromBody(fields));
        std::string id = record.id;
        if (loaded.executions.insert_or_assign(id, std::move(record)).second) loaded.execution_order.push_back(id);
      } else if (kind == "client_request_token") {
        MALLARD_ASSIGN_OR_RETURN(auto token, fields.Text("ClientRequestToken", true));
        MALLARD_ASSIGN_OR_RETURN(auto execution, fields.Text("QueryExecutionId"));
        MALLARD_ASSIGN_OR_RETURN(auto named_query, fields.Text("NamedQueryId"));
        // The service answers a repeated token with the resource it names, so it must exist.
        if (!execution.empty() && loaded.executions.count(execution) != 0) {
          loaded.execution_tokens[token] = execution;
        } else if (!named_query.empty() && loaded.named_queries.count(named_query) != 0) {
          loaded.named_query_tokens[token] = named_query;
        } else {
          return Fail("token " + token + " names no query execution or named query of these records");
        }
      } else {
        return Fail("unknown record kind \"" + kind + "\"");
      }
      return Done{};
    };
    auto applied = apply();
    if (!applied.ok()) return Fail("athena: record " + std::to_string(index) + " (" + next->kind + "): " + applied.error());
  }
  // A live execution a loaded one replaces stops: its result would land on the loaded one's id.
  std::vector<std::shared_ptr<sqlengine::QueryJob>> replaced_jobs;
  {
    std::lock_guard lock(service_.mutex_);
    auto& partition = service_.partitions_[PartitionKey(scope)];
    for (auto& [name, group] : loaded.work_groups) partition.work_groups[name] = std::move(group);
    for (auto& [name, catalog] : loaded.catalogs) partition.catalogs[name] = std::move(catalog);
    for (auto& [name, database] : loaded.databases) partition.databases[name] = std::move(database);
    for (auto& [id, query] : loaded.named_queries) partition.named_queries[id] = std::move(query);
    for (auto& [key, statement] : loaded.prepared_statements) partition.prepared_statements[key] = std::move(statement);
    for (auto& [name, reservation] : loaded.capacity_reservations) partition.capacity_reservations[name] = std::move(reservation);
    for (auto& [arn, tags] : loaded.tags) partition.tags[arn] = std::move(tags);
    for (auto& id : loaded.execution_order) {
      if (auto live = partition.executions.find(id); live != partition.executions.end() && live->second.job)
        replaced_jobs.push_back(live->second.job);
      if (partition.executions.insert_or_assign(id, std::move(loaded.executions.at(id))).second) partition.execution_order.push_back(id);
    }
    for (auto& [token, id] : loaded.execution_tokens) partition.execution_tokens[token] = id;
    for (auto& [token, id] : loaded.named_query_tokens) partition.named_query_tokens[token] = id;
  }
  for (const auto& job : replaced_jobs) job->Cancel(service_.runner_->GetClock());
  return Done{};
}

Status<std::string> AthenaState::Clear(const services::StateScope& scope) {
  std::vector<std::shared_ptr<sqlengine::QueryJob>> jobs;
  {
    std::lock_guard lock(service_.mutex_);
    auto found = service_.partitions_.find(PartitionKey(scope));
    if (found == service_.partitions_.end()) return Done{};
    for (const auto& [id, record] : found->second.executions) {
      if (record.job) jobs.push_back(record.job);
    }
    service_.partitions_.erase(found);
  }
  // Queries of a cleared scope stop: nobody can ask for them any more.
  for (const auto& job : jobs) job->Cancel(service_.runner_->GetClock());
  return Done{};
}

}  // namespace mallard::athena
