// GetStatementResult: typed Field records and ColumnMetadata, paged by size as Redshift pages them.
#include <boost/json.hpp>

#include "services/redshift_data/redshift_data_errors.hpp"
#include "services/redshift_data/redshift_data_service.hpp"
#include "services/redshift_data/redshift_data_status.hpp"
#include "services/redshift_data/redshift_data_types.hpp"
#include "services/kit/api_input.hpp"

namespace mallard::redshift_data {
namespace json = boost::json;

namespace {

AwsError InvalidInput(std::string message) { return errors::Validation(message); }

AwsError NoResult(const std::string& id) {
  return errors::ResourceNotFound("Query does not have result. Please check query status with DescribeStatement.", id);
}

std::size_t EstimatedSize(const sqlengine::SqlValue& value) {
  std::size_t size = 24 + value.text.size();
  for (const auto& item : value.items) size += EstimatedSize(item);
  return size;
}

}  // namespace

RedshiftDataService::Result RedshiftDataService::GetStatementResult(const Request& request) {
  services::kit::ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("Id", 64));
  if (!IsStatementId(id)) {
    return Fail(input.Invalid("Id", id, std::string("Member must satisfy regular expression pattern: ") + kStatementIdPattern));
  }
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  StatementView view;
  bool is_batch = false;
  {
    std::lock_guard lock(mutex_);
    Partition& partition = PartitionFor(request);
    auto found = partition.statements.find(ParentId(id));
    if (found == partition.statements.end()) return Fail(errors::ResourceNotFound("Query does not exist.", id));
    view = ViewOf(found->second, Now());
    is_batch = found->second.is_batch;
  }
  int sub_index = id == ParentId(id) ? -1 : SubStatementIndex(id);
  if (view.state != sqlengine::JobState::Succeeded || (is_batch && sub_index < 0) || (!is_batch && sub_index >= 0)) {
    return Fail(NoResult(id));
  }
  const sqlengine::QueryOutcome* outcome = view.Outcome(sub_index);
  if (outcome == nullptr || !outcome->has_result_set) return Fail(NoResult(id));
  std::size_t start = 0;
  if (token) {
    auto offset = services::kit::DecodePageToken(id, *token);
    if (!offset || *offset > outcome->rows.size()) return Fail(errors::Validation("Invalid NextToken: " + *token));
    start = *offset;
  }
  json::array records;
  std::size_t bytes = 0;
  std::size_t index = start;
  for (; index < outcome->rows.size(); ++index) {
    const auto& row = outcome->rows[index];
    std::size_t row_bytes = 0;
    for (const auto& value : row) row_bytes += EstimatedSize(value);
    if (index > start && bytes + row_bytes > page_bytes_) break;
    bytes += row_bytes;
    json::array fields;
    for (std::size_t column = 0; column < row.size(); ++column) fields.push_back(Field(row[column], outcome->columns[column].type));
    records.push_back(std::move(fields));
  }
  json::array metadata;
  for (const auto& column : outcome->columns) metadata.push_back(ColumnMetadata(column, true, "", ""));
  Json output{{"Records", std::move(records)},
              {"ColumnMetadata", std::move(metadata)},
              {"TotalNumRows", static_cast<std::int64_t>(outcome->rows.size())}};
  if (index < outcome->rows.size()) output["NextToken"] = services::kit::EncodePageToken(id, index);
  return output;
}

}  // namespace mallard::redshift_data
