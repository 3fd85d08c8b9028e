// Athena data catalogs (API state) and the database/table metadata APIs, which read the engine's
// real catalogue: an Athena database is an engine schema, with Athena's "default" standing for the
// engine's default schema (DuckDB's "main"), so unqualified names mean the same table everywhere.
#include <boost/json.hpp>


#include "services/athena/athena_errors.hpp"
#include "services/athena/athena_service.hpp"
#include "services/athena/athena_types.hpp"
#include "services/sqlengine/api_input.hpp"
#include "services/sqlengine/sql_text.hpp"

namespace mallard::athena {
namespace json = boost::json;
using sqlengine::ApiInput;

namespace {

constexpr const char* kDefaultCatalog = "AwsDataCatalog";

AwsError InvalidInput(std::string message) { return errors::InvalidRequest(message); }

json::object DescribeCatalog(const DataCatalogRecord& catalog) {
  json::object described{{"Name", catalog.name}, {"Type", catalog.type}, {"Parameters", catalog.parameters}};
  if (!catalog.description.empty()) described["Description"] = catalog.description;
  return described;
}

DataCatalogRecord DefaultCatalog(const std::string& account) {
  return DataCatalogRecord{kDefaultCatalog, "GLUE", "", json::object{{"catalog-id", account}}};
}

// The engine schema behind an Athena database must exist: MetadataException otherwise.
Status<> RequireSchema(sqlengine::QueryExecutionBackend& backend, const std::string& schema,
                       const std::string& database) {
  auto schemas = backend.ListSchemas();
  if (!schemas.ok()) return Fail(errors::InternalServer(schemas.error()));
  if (std::find(schemas->begin(), schemas->end(), schema) == schemas->end()) {
    return Fail(errors::MetadataNotFound("Database " + database + " not found."));
  }
  return Ok();
}

Status<> CheckCatalogType(const ApiInput& input, const std::string& type) {
  if (type != "LAMBDA" && type != "GLUE" && type != "HIVE" && type != "FEDERATED") {
    return Fail(input.Invalid("Type", type, "Member must satisfy enum value set: [LAMBDA, GLUE, HIVE, FEDERATED]"));
  }
  return Ok();
}

}  // namespace

std::string AthenaService::EngineSchema(const std::string& athena_database) const {
  std::string lowered = athena_database;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered == "default" ? runner_->Backend().DefaultSchema() : athena_database;
}

std::string AthenaService::AthenaDatabase(const std::string& engine_schema) const {
  return engine_schema == runner_->Backend().DefaultSchema() ? "default" : engine_schema;
}

Status<> AthenaService::CheckCatalog(const Request& request, const std::string& catalog) {
  if (catalog == kDefaultCatalog) return Ok();
  std::lock_guard lock(mutex_);
  if (PartitionFor(request).catalogs.count(catalog) != 0) return Ok();
  return Fail(errors::MetadataNotFound("Catalog " + catalog + " not found."));
}

// ---- data catalogs -------------------------------------------------------------------------

AthenaService::Result AthenaService::CreateDataCatalog(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("Name", 256));
  MALLARD_ASSIGN_OR_RETURN(auto type, input.Required("Type", 16));
  MALLARD_RETURN_IF_ERROR(CheckCatalogType(input, type));
  MALLARD_ASSIGN_OR_RETURN(auto description, input.Optional("Description", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto parameters, input.Object("Parameters"));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  if (name == kDefaultCatalog || partition.catalogs.count(name) != 0) {
    return Fail(errors::InvalidRequest("Catalog " + name + " already exists."));
  }
  DataCatalogRecord catalog{name, type, description.value_or(""), std::move(parameters)};
  Json described = DescribeCatalog(catalog);
  partition.catalogs.emplace(name, std::move(catalog));
  return Json{{"DataCatalog", std::move(described)}};
}

AthenaService::Result AthenaService::GetDataCatalog(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("Name", 256));
  if (name == kDefaultCatalog) return Json{{"DataCatalog", DescribeCatalog(DefaultCatalog(request.context.account_id))}};
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.catalogs.find(name);
  if (found == partition.catalogs.end()) return Fail(errors::InvalidRequest("Catalog " + name + " was not found."));
  return Json{{"DataCatalog", DescribeCatalog(found->second)}};
}

AthenaService::Result AthenaService::ListDataCatalogs(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 2, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  std::vector<DataCatalogRecord> catalogs{DefaultCatalog(request.context.account_id)};
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, catalog] : PartitionFor(request).catalogs) catalogs.push_back(catalog);
  }
  MALLARD_ASSIGN_OR_RETURN(auto window, sqlengine::PageOf(catalogs.size(), token, max_results.value_or(50), "catalogs",
                                                          &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) {
    listed.push_back(Json{{"CatalogName", catalogs[i].name}, {"Type", catalogs[i].type}});
  }
  Json output{{"DataCatalogsSummary", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

AthenaService::Result AthenaService::UpdateDataCatalog(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("Name", 256));
  MALLARD_ASSIGN_OR_RETURN(auto type, input.Required("Type", 16));
  MALLARD_RETURN_IF_ERROR(CheckCatalogType(input, type));
  MALLARD_ASSIGN_OR_RETURN(auto description, input.Optional("Description", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto parameters, input.Object("Parameters"));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.catalogs.find(name);
  if (found == partition.catalogs.end()) return Fail(errors::InvalidRequest("Catalog " + name + " was not found."));
  found->second.type = type;
  if (description) found->second.description = *description;
  found->second.parameters = std::move(parameters);
  return Json{};
}

AthenaService::Result AthenaService::DeleteDataCatalog(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("Name", 256));
  if (name == kDefaultCatalog) return Fail(errors::InvalidRequest("Catalog " + name + " cannot be deleted."));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.catalogs.find(name);
  if (found == partition.catalogs.end()) return Fail(errors::InvalidRequest("Catalog " + name + " was not found."));
  Json described = DescribeCatalog(found->second);
  partition.catalogs.erase(found);
  return Json{{"DataCatalog", std::move(described)}};
}

// ---- databases and tables (the engine's catalogue) -----------------------------------------

AthenaService::Result AthenaService::ListDatabases(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto catalog, input.Required("CatalogName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 1, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  MALLARD_RETURN_IF_ERROR(CheckCatalog(request, catalog));
  auto schemas = runner_->Backend().ListSchemas();
  if (!schemas.ok()) return Fail(errors::InternalServer(schemas.error()));
  std::vector<std::string> names;
  for (const auto& schema : schemas.value()) names.push_back(AthenaDatabase(schema));
  std::sort(names.begin(), names.end());
  MALLARD_ASSIGN_OR_RETURN(auto window, sqlengine::PageOf(names.size(), token, max_results.value_or(50),
                                                          "databases/" + catalog, &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) {
    listed.push_back(Json{{"Name", names[i]}, {"Parameters", Json{}}});
  }
  Json output{{"DatabaseList", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

AthenaService::Result AthenaService::GetDatabase(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto catalog, input.Required("CatalogName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto database, input.Required("DatabaseName", 128));
  MALLARD_RETURN_IF_ERROR(CheckCatalog(request, catalog));
  std::string schema = EngineSchema(database);
  MALLARD_RETURN_IF_ERROR(RequireSchema(runner_->Backend(), schema, database));
  return Json{{"Database", Json{{"Name", AthenaDatabase(schema)}, {"Parameters", Json{}}}}};
}

namespace {

json::object DescribeTableMetadata(const sqlengine::TableInfo& table) {
  json::array columns;
  for (const auto& column : table.columns) {
    columns.push_back(json::object{{"Name", column.name}, {"Type", HiveTypeName(column.type)}});
  }
  json::object parameters{{"numRows", std::to_string(table.estimated_rows)}};
  // As Athena marks an Iceberg table ("table_type": "ICEBERG"), a lake table says what it is.
  if (!table.storage_format.empty()) parameters["table_type"] = table.storage_format;
  return json::object{{"Name", table.name},
                      {"TableType", table.is_view ? "VIRTUAL_VIEW" : "EXTERNAL_TABLE"},
                      {"Columns", std::move(columns)},
                      {"PartitionKeys", json::array{}},
                      {"Parameters", std::move(parameters)}};
}

}  // namespace

AthenaService::Result AthenaService::ListTableMetadata(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto catalog, input.Required("CatalogName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto database, input.Required("DatabaseName", 128));
  MALLARD_ASSIGN_OR_RETURN(auto expression, input.Optional("Expression", 256));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 1, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  MALLARD_RETURN_IF_ERROR(CheckCatalog(request, catalog));
  std::string schema = EngineSchema(database);
  MALLARD_RETURN_IF_ERROR(RequireSchema(runner_->Backend(), schema, database));
  auto tables = runner_->Backend().ListTables(schema);
  if (!tables.ok()) return Fail(errors::InternalServer(tables.error()));
  std::vector<const sqlengine::TableInfo*> matching;
  for (const auto& table : tables.value()) {
    // Hive's pattern language (`*`, `|`), matched without std::regex: a 60,000-character table name
    // overflowed std::regex's recursion.
    if (!expression || expression->empty() || sqlengine::MatchesHivePattern(table.name, *expression)) {
      matching.push_back(&table);
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto window, sqlengine::PageOf(matching.size(), token, max_results.value_or(50),
                                                          "tables/" + catalog + "/" + schema, &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) listed.push_back(DescribeTableMetadata(*matching[i]));
  Json output{{"TableMetadataList", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

AthenaService::Result AthenaService::GetTableMetadata(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto catalog, input.Required("CatalogName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto database, input.Required("DatabaseName", 128));
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input.Required("TableName", 128));
  MALLARD_RETURN_IF_ERROR(CheckCatalog(request, catalog));
  auto table = runner_->Backend().DescribeTable(EngineSchema(database), table_name);
  if (!table.ok()) return Fail(errors::InternalServer(table.error()));
  if (!table.value()) return Fail(errors::MetadataNotFound("Table " + database + "." + table_name + " not found."));
  return Json{{"TableMetadata", DescribeTableMetadata(**table)}};
}

}  // namespace mallard::athena
