// GetQueryResults: Athena's result set shape. Every value travels as VarCharValue text in the form
// Athena's engine (Trino) prints it; ColumnInfo carries Athena's type names; a SELECT's first page
// starts with a header row of column names.
#include <boost/json.hpp>

#include "services/athena/athena_errors.hpp"
#include "services/athena/athena_service.hpp"
#include "services/athena/athena_types.hpp"
#include "services/kit/api_input.hpp"
#include "sqlengine/dialect/athena_dialect.hpp"

namespace mallard::athena {
namespace json = boost::json;
using sqlengine::JobState;
using sqlengine::QueryOutcome;

namespace {

AwsError InvalidInput(std::string message) { return errors::InvalidRequest(message); }

json::object VarChar(const std::optional<std::string>& text) {
  json::object datum;
  if (text) datum["VarCharValue"] = *text;
  return datum;
}

json::object ColumnInfo(const sqlengine::SqlColumn& column) {
  AthenaType type = AthenaTypeOf(column.type);
  return json::object{{"CatalogName", "hive"}, {"SchemaName", ""},       {"TableName", ""},
                      {"Name", column.name},   {"Label", column.name},   {"Type", type.name},
                      {"Precision", type.precision}, {"Scale", type.scale}, {"Nullable", "UNKNOWN"},
                      {"CaseSensitive", type.case_sensitive}};
}

}  // namespace

AthenaService::Result AthenaService::GetQueryResults(const Request& request) {
  services::kit::ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("QueryExecutionId", 128));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 1, 1000));
  std::string statement_type;
  sqlengine::QueryJob::Snapshot snapshot;
  {
    std::lock_guard lock(mutex_);
    Partition& partition = PartitionFor(request);
    auto found = partition.executions.find(id);
    if (found == partition.executions.end()) return Fail(errors::QueryNotFound(id));
    statement_type = found->second.statement_type;
    snapshot = ReadExecution(found->second);
  }
  switch (snapshot.state) {
    case JobState::Queued:
    case JobState::Running:
      return Fail(errors::InvalidRequest(std::string("Query has not yet finished. Current state: ") +
                                         (snapshot.state == JobState::Queued ? "QUEUED" : "RUNNING")));
    case JobState::Cancelled: return Fail(errors::InvalidRequest("Query was cancelled by the user."));
    case JobState::Failed: {
      std::string reason = "Query failed";
      for (const auto& outcome : *snapshot.outcomes) {
        if (!outcome.succeeded) reason = sqlengine::dialect::AthenaEngineErrorReason(outcome.error_message, "default");
      }
      return Fail(errors::InvalidRequest(reason));
    }
    case JobState::Succeeded: break;
  }
  static const QueryOutcome kEmpty;
  const QueryOutcome& outcome = snapshot.outcomes && !snapshot.outcomes->empty() ? snapshot.outcomes->back() : kEmpty;
  bool header = statement_type == "DML" && outcome.has_result_set && !outcome.columns.empty();
  std::size_t total = outcome.rows.size() + (header ? 1 : 0);
  std::size_t start = 0;
  if (token) {
    auto offset = services::kit::DecodePageToken(id, *token);
    if (!offset || *offset > total) return Fail(errors::InvalidRequest("Invalid NextToken: " + *token));
    start = *offset;
  }
  std::size_t limit = max_results ? static_cast<std::size_t>(*max_results) : 1000;
  std::size_t end = std::min(total, start + limit);
  std::vector<AthenaType> types;
  json::array column_info;
  for (const auto& column : outcome.columns) {
    types.push_back(AthenaTypeOf(column.type));
    column_info.push_back(ColumnInfo(column));
  }
  json::array rows;
  for (std::size_t index = start; index < end; ++index) {
    json::array data;
    if (header && index == 0) {
      for (const auto& column : outcome.columns) data.push_back(VarChar(column.name));
    } else {
      const auto& row = outcome.rows[index - (header ? 1 : 0)];
      for (std::size_t column = 0; column < row.size(); ++column) {
        data.push_back(VarChar(RenderAthenaValue(row[column], outcome.columns[column].type)));
      }
    }
    rows.push_back(json::object{{"Data", std::move(data)}});
  }
  json::object output{
      {"UpdateCount", outcome.rows_affected > 0 ? outcome.rows_affected : 0},
      {"ResultSet", json::object{{"Rows", std::move(rows)},
                                 {"ResultSetMetadata", json::object{{"ColumnInfo", std::move(column_info)}}}}}};
  if (end < total) output["NextToken"] = services::kit::EncodePageToken(id, end);
  return output;
}

AthenaService::Result AthenaService::GetQueryRuntimeStatistics(const Request& request) {
  services::kit::ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("QueryExecutionId", 128));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.executions.find(id);
  if (found == partition.executions.end()) return Fail(errors::QueryNotFound(id));
  json::object execution = DescribeExecution(found->second);
  const auto& statistics = execution["Statistics"].as_object();
  json::object timeline{{"QueryQueueTimeInMillis", statistics.at("QueryQueueTimeInMillis")},
                        {"QueryPlanningTimeInMillis", statistics.at("QueryPlanningTimeInMillis")},
                        {"EngineExecutionTimeInMillis", statistics.at("EngineExecutionTimeInMillis")},
                        {"ServiceProcessingTimeInMillis", statistics.at("ServiceProcessingTimeInMillis")},
                        {"TotalExecutionTimeInMillis", statistics.at("TotalExecutionTimeInMillis")}};
  std::int64_t output_rows = 0;
  if (found->second.job) {
    auto snapshot = found->second.job->Read();
    if (snapshot.outcomes && !snapshot.outcomes->empty()) {
      output_rows = static_cast<std::int64_t>(snapshot.outcomes->back().rows.size());
    }
  }
  json::object rows{{"OutputRows", output_rows}, {"OutputBytes", statistics.at("DataScannedInBytes")}};
  return json::object{{"QueryRuntimeStatistics", json::object{{"Timeline", std::move(timeline)}, {"Rows", std::move(rows)}}}};
}

}  // namespace mallard::athena
