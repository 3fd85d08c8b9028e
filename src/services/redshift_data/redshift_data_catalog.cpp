// ListDatabases, ListSchemas, ListTables, DescribeTable: the engine's catalogue as Redshift names it
// (database "dev", the engine's default schema as "public"); patterns use SQL LIKE wildcards.
#include <boost/json.hpp>

#include "services/redshift_data/redshift_data_errors.hpp"
#include "services/redshift_data/redshift_data_service.hpp"
#include "services/redshift_data/redshift_data_types.hpp"
#include "services/kit/api_input.hpp"
#include "sqlengine/sql_text.hpp"

namespace mallard::redshift_data {
namespace json = boost::json;
using services::kit::ApiInput;

namespace {

AwsError InvalidInput(std::string message) { return errors::Validation(message); }

}  // namespace

::mallard::Result<RedshiftDataService::Target> RedshiftDataService::ReadCatalogTarget(const Request& request) const {
  MALLARD_ASSIGN_OR_RETURN(auto target, ReadTarget(request, true));
  if (!IsKnownDatabase(target.database)) {
    return Fail(errors::Validation("database \"" + target.database + "\" does not exist"));
  }
  return target;
}

RedshiftDataService::Result RedshiftDataService::ListDatabases(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_RETURN_IF_ERROR(ReadTarget(request, true));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 0, 1000));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  std::vector<std::string> databases{"dev"};
  std::size_t limit = max_results && *max_results > 0 ? static_cast<std::size_t>(*max_results) : 1000;
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(databases.size(), token, limit, "databases", &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) listed.emplace_back(databases[i]);
  Json output{{"Databases", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

RedshiftDataService::Result RedshiftDataService::ListSchemas(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_RETURN_IF_ERROR(ReadCatalogTarget(request));
  MALLARD_ASSIGN_OR_RETURN(auto pattern, input.Optional("SchemaPattern", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 0, 1000));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  auto schemas = runner_->Engine().ListSchemas();
  if (!schemas.ok()) return Fail(errors::InternalServer(schemas.error()));
  std::vector<std::string> names;
  for (const auto& schema : schemas.value()) {
    std::string name = RedshiftSchema(schema);
    if (!pattern || sqlengine::MatchesLikePattern(name, *pattern)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::size_t limit = max_results && *max_results > 0 ? static_cast<std::size_t>(*max_results) : 1000;
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(names.size(), token, limit, "schemas", &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) listed.emplace_back(names[i]);
  Json output{{"Schemas", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

RedshiftDataService::Result RedshiftDataService::ListTables(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_RETURN_IF_ERROR(ReadCatalogTarget(request));
  MALLARD_ASSIGN_OR_RETURN(auto schema_pattern, input.Optional("SchemaPattern", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto table_pattern, input.Optional("TablePattern", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 0, 1000));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  auto tables = runner_->Engine().ListTables("");
  if (!tables.ok()) return Fail(errors::InternalServer(tables.error()));
  std::vector<Json> matching;
  for (const auto& table : tables.value()) {
    std::string schema = RedshiftSchema(table.schema);
    if (schema_pattern && !sqlengine::MatchesLikePattern(schema, *schema_pattern)) continue;
    if (table_pattern && !sqlengine::MatchesLikePattern(table.name, *table_pattern)) continue;
    matching.push_back(Json{{"name", table.name}, {"schema", schema}, {"type", table.is_view ? "VIEW" : "TABLE"}});
  }
  std::size_t limit = max_results && *max_results > 0 ? static_cast<std::size_t>(*max_results) : 1000;
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(matching.size(), token, limit, "tables", &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) listed.push_back(std::move(matching[i]));
  Json output{{"Tables", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

RedshiftDataService::Result RedshiftDataService::DescribeTable(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_RETURN_IF_ERROR(ReadCatalogTarget(request));
  MALLARD_ASSIGN_OR_RETURN(auto schema, input.Optional("Schema", 128));
  MALLARD_ASSIGN_OR_RETURN(auto table, input.Optional("Table", 128));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 0, 1000));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  std::string redshift_schema = schema.value_or("public");
  auto tables = runner_->Engine().ListTables(EngineSchema(redshift_schema));
  if (!tables.ok()) return Fail(errors::InternalServer(tables.error()));
  std::vector<Json> columns;
  for (const auto& info : tables.value()) {
    if (table && info.name != *table) continue;
    for (std::size_t i = 0; i < info.columns.size(); ++i) {
      bool nullable = i < info.column_nullable.size() ? info.column_nullable[i] : true;
      columns.push_back(ColumnMetadata(info.columns[i], nullable, redshift_schema, info.name));
    }
  }
  std::size_t limit = max_results && *max_results > 0 ? static_cast<std::size_t>(*max_results) : 1000;
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(columns.size(), token, limit,
                                                          "columns/" + redshift_schema + "/" + table.value_or(""),
                                                          &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) listed.push_back(std::move(columns[i]));
  Json output{{"ColumnList", std::move(listed)}};
  if (table) output["TableName"] = *table;
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

}  // namespace mallard::redshift_data
