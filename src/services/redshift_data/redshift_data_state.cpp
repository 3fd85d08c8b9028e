#include "services/redshift_data/redshift_data_state.hpp"

#include <algorithm>

#include "sqlengine/query_outcome_json.hpp"
#include "services/redshift_data/redshift_data_service.hpp"
#include "services/redshift_data/redshift_data_status.hpp"

namespace mallard::redshift_data {
namespace {

namespace json = boost::json;
using sqlengine::JobState;

// Why a statement that was running at save time reads FAILED after a load: the engine cannot
// resume a query from another process, and Redshift fails statements whose session goes away.
constexpr const char* kInterrupted = "statement was still running when the state snapshot was taken and cannot be resumed";

std::string PartitionKey(const services::StateScope& scope) { return scope.account + "/" + scope.region; }

std::optional<JobState> StateFromStatus(std::string_view status) {
  if (status == "SUBMITTED" || status == "PICKED") return JobState::Queued;
  if (status == "STARTED") return JobState::Running;
  if (status == "FINISHED") return JobState::Succeeded;
  if (status == "FAILED") return JobState::Failed;
  if (status == "ABORTED") return JobState::Cancelled;
  return std::nullopt;
}

json::object StatementBody(const StatementRecord& record, const StatementView& view) {
  json::array sql;
  for (const auto& text : record.sql) sql.emplace_back(text);
  json::object body{{"Id", record.id},
                    {"QueryStrings", std::move(sql)},
                    {"IsBatchStatement", record.is_batch},
                    {"Database", record.database},
                    {"ClusterIdentifier", record.cluster_identifier},
                    {"WorkgroupName", record.workgroup_name},
                    {"DbUser", record.db_user},
                    {"SecretArn", record.secret_arn},
                    {"StatementName", record.statement_name},
                    {"QueryParameters", record.parameters},
                    {"WithEvent", record.with_event},
                    {"ResultFormat", record.result_format},
                    {"CreatedAt", record.created_ms},
                    {"RedshiftQueryId", record.query_id},
                    {"Status", StatusName(view.state)},
                    {"settled_error", record.settled_error},
                    {"started_ms", view.started_ms},
                    {"completed_ms", view.completed_ms}};
  if (view.outcomes) body["outcomes"] = sqlengine::OutcomesToJson(*view.outcomes);
  return body;
}

Result<std::string, std::string> Text(const json::object& body, std::string_view key, bool required = false) {
  const auto* found = body.if_contains(key);
  if (found == nullptr) {
    if (required) return Fail("missing " + std::string(key));
    return std::string();
  }
  if (!found->is_string()) return Fail(std::string(key) + " is not a string");
  return std::string(found->get_string());
}

Result<std::int64_t, std::string> Int(const json::object& body, std::string_view key) {
  const auto* found = body.if_contains(key);
  if (found == nullptr) return std::int64_t{0};
  if (const auto* number = found->if_int64()) return *number;
  return Fail(std::string(key) + " is not an integer");
}

Result<bool, std::string> Bool(const json::object& body, std::string_view key) {
  const auto* found = body.if_contains(key);
  if (found == nullptr) return false;
  if (!found->is_bool()) return Fail(std::string(key) + " is not a boolean");
  return found->get_bool();
}

Result<StatementRecord, std::string> StatementFromBody(const json::object& body) {
  StatementRecord record;
  MALLARD_ASSIGN_OR_RETURN(record.id, Text(body, "Id", true));
  if (!IsStatementId(record.id) || SubStatementIndex(record.id) != -1) return Fail("Id " + record.id + " is not a statement id");
  const auto* sql = body.if_contains("QueryStrings");
  if (sql == nullptr || !sql->is_array() || sql->get_array().empty()) return Fail(std::string("QueryStrings must be a non-empty array"));
  for (const auto& text : sql->get_array()) {
    if (!text.is_string()) return Fail(std::string("QueryStrings holds a non-string"));
    record.sql.emplace_back(text.get_string());
  }
  MALLARD_ASSIGN_OR_RETURN(record.is_batch, Bool(body, "IsBatchStatement"));
  MALLARD_ASSIGN_OR_RETURN(record.database, Text(body, "Database"));
  MALLARD_ASSIGN_OR_RETURN(record.cluster_identifier, Text(body, "ClusterIdentifier"));
  MALLARD_ASSIGN_OR_RETURN(record.workgroup_name, Text(body, "WorkgroupName"));
  MALLARD_ASSIGN_OR_RETURN(record.db_user, Text(body, "DbUser"));
  MALLARD_ASSIGN_OR_RETURN(record.secret_arn, Text(body, "SecretArn"));
  MALLARD_ASSIGN_OR_RETURN(record.statement_name, Text(body, "StatementName"));
  if (const auto* parameters = body.if_contains("QueryParameters")) {
    if (!parameters->is_array()) return Fail(std::string("QueryParameters is not an array"));
    record.parameters = parameters->get_array();
  }
  MALLARD_ASSIGN_OR_RETURN(record.with_event, Bool(body, "WithEvent"));
  MALLARD_ASSIGN_OR_RETURN(record.result_format, Text(body, "ResultFormat"));
  if (record.result_format != "JSON" && record.result_format != "CSV") return Fail("ResultFormat " + record.result_format + " is not JSON or CSV");
  MALLARD_ASSIGN_OR_RETURN(record.created_ms, Int(body, "CreatedAt"));
  MALLARD_ASSIGN_OR_RETURN(record.query_id, Int(body, "RedshiftQueryId"));
  MALLARD_ASSIGN_OR_RETURN(record.settled_error, Text(body, "settled_error"));
  MALLARD_ASSIGN_OR_RETURN(auto status, Text(body, "Status", true));
  auto state = StateFromStatus(status);
  if (!state) return Fail("unknown Status " + status);
  sqlengine::QueryJob::Snapshot snapshot;
  snapshot.state = *state;
  snapshot.submitted_ms = record.created_ms;
  MALLARD_ASSIGN_OR_RETURN(snapshot.started_ms, Int(body, "started_ms"));
  MALLARD_ASSIGN_OR_RETURN(snapshot.completed_ms, Int(body, "completed_ms"));
  if (const auto* outcomes = body.if_contains("outcomes")) {
    MALLARD_ASSIGN_OR_RETURN(auto parsed, sqlengine::OutcomesFromJson(*outcomes));
    snapshot.outcomes = std::make_shared<const std::vector<sqlengine::QueryOutcome>>(std::move(parsed));
  }
  if (snapshot.state == JobState::Queued || snapshot.state == JobState::Running) {
    snapshot.state = JobState::Failed;
    if (snapshot.started_ms == 0) snapshot.started_ms = record.created_ms;
    snapshot.completed_ms = snapshot.started_ms;
    snapshot.outcomes = nullptr;
    record.settled_error = kInterrupted;
  }
  record.restored = std::move(snapshot);
  return record;
}

}  // namespace

Result<std::vector<services::StateScope>, std::string> RedshiftDataState::Scopes() {
  std::vector<services::StateScope> scopes;
  std::lock_guard lock(service_.mutex_);
  for (const auto& [key, partition] : service_.partitions_) {
    if (partition.statements.empty() && partition.client_tokens.empty()) continue;
    auto slash = key.find('/');
    scopes.push_back({key.substr(0, slash), slash == std::string::npos ? "" : key.substr(slash + 1)});
  }
  std::sort(scopes.begin(), scopes.end());
  return scopes;
}

Status<std::string> RedshiftDataState::Save(const services::StateScope& scope, const services::StateRecordSink& sink) {
  std::vector<services::StateRecord> records;
  {
    // One moment for the whole scope: statements and their states are copied under the lock (the
    // results are shared, immutable once a statement finishes); serialising happens outside it.
    std::vector<std::pair<StatementRecord, StatementView>> statements;
    std::vector<std::pair<std::string, std::string>> tokens;
    {
      std::lock_guard lock(service_.mutex_);
      auto found = service_.partitions_.find(PartitionKey(scope));
      if (found == service_.partitions_.end()) return Done{};
      for (const auto& id : found->second.order) {
        auto statement = found->second.statements.find(id);
        if (statement == found->second.statements.end()) continue;
        statements.emplace_back(statement->second, ViewOf(statement->second, 0));
      }
      tokens.assign(found->second.client_tokens.begin(), found->second.client_tokens.end());
    }
    for (const auto& [record, view] : statements) records.push_back({"statement", StatementBody(record, view)});
    for (const auto& [token, id] : tokens) records.push_back({"client_token", json::object{{"ClientToken", token}, {"Id", id}}});
  }
  for (auto& record : records) MALLARD_RETURN_IF_ERROR(sink(std::move(record)));
  return Done{};
}

Status<std::string> RedshiftDataState::Load(const services::StateScope& scope, int record_version,
                                            const services::StateRecordSource& records) {
  if (record_version > RecordVersion()) {
    return Fail("redshift-data: snapshot record version " + std::to_string(record_version) +
                " is newer than this Mallard reads (" + std::to_string(RecordVersion()) + ")");
  }
  // Everything is read and checked before the scope changes, so a bad record changes nothing.
  std::vector<StatementRecord> statements;
  std::vector<std::pair<std::string, std::string>> tokens;
  for (std::size_t index = 1;; ++index) {
    MALLARD_ASSIGN_OR_RETURN(auto next, records());
    if (!next) break;
    auto where = [&] { return "redshift-data: record " + std::to_string(index) + " (" + next->kind + "): "; };
    if (next->kind == "statement") {
      auto parsed = StatementFromBody(next->body);
      if (!parsed.ok()) return Fail(where() + parsed.error());
      statements.push_back(std::move(parsed).value());
    } else if (next->kind == "client_token") {
      auto token = Text(next->body, "ClientToken", true);
      auto id = Text(next->body, "Id", true);
      if (!token.ok()) return Fail(where() + token.error());
      if (!id.ok()) return Fail(where() + id.error());
      tokens.emplace_back(std::move(token).value(), std::move(id).value());
    } else {
      return Fail("redshift-data: record " + std::to_string(index) + ": unknown record kind \"" + next->kind + "\"");
    }
  }
  // A live statement a loaded one replaces stops, as Clear stops a scope's.
  std::vector<std::shared_ptr<sqlengine::QueryJob>> replaced_jobs;
  {
    std::lock_guard lock(service_.mutex_);
    auto& partition = service_.partitions_[PartitionKey(scope)];
    // A token must lead to a statement (ExecuteStatement answers a repeated token with it).
    for (const auto& [token, id] : tokens) {
      bool known = partition.statements.count(id) != 0 ||
                   std::any_of(statements.begin(), statements.end(), [&](const StatementRecord& record) { return record.id == id; });
      if (!known) return Fail("redshift-data: client_token " + token + " names statement " + id + ", which the records do not hold");
    }
    for (auto& record : statements) {
      service_.next_query_id_ = std::max(service_.next_query_id_, record.query_id + 1);
      std::string id = record.id;
      if (auto live = partition.statements.find(id); live != partition.statements.end() && live->second.job)
        replaced_jobs.push_back(live->second.job);
      auto [slot, inserted] = partition.statements.insert_or_assign(id, std::move(record));
      if (inserted) partition.order.push_back(id);
    }
    for (auto& [token, id] : tokens) partition.client_tokens[token] = id;
  }
  for (const auto& job : replaced_jobs) job->Cancel(service_.runner_->GetClock());
  return Done{};
}

Status<std::string> RedshiftDataState::Clear(const services::StateScope& scope) {
  std::vector<std::shared_ptr<sqlengine::QueryJob>> jobs;
  {
    std::lock_guard lock(service_.mutex_);
    auto found = service_.partitions_.find(PartitionKey(scope));
    if (found == service_.partitions_.end()) return Done{};
    for (const auto& [id, record] : found->second.statements) {
      if (record.job) jobs.push_back(record.job);
    }
    service_.partitions_.erase(found);
  }
  // Statements of a cleared scope stop: nobody can ask for them any more.
  for (const auto& job : jobs) job->Cancel(service_.runner_->GetClock());
  return Done{};
}

}  // namespace mallard::redshift_data
