// Athena data catalogs (API state) and the database/table metadata APIs, which read the engine's
// real catalogue: an Athena database is an engine schema, with Athena's "default" standing for the
// engine's default schema (DuckDB's "main"), so unqualified names mean the same table everywhere.
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "services/athena/athena_errors.hpp"
#include "services/athena/athena_service.hpp"
#include "services/athena/athena_types.hpp"
#include "services/kit/api_input.hpp"
#include "sqlengine/sql_text.hpp"

namespace mallard::athena {
namespace json = boost::json;
using services::kit::ApiInput;
using sqlengine::JobState;

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

// Glue's description of the database every account starts with.
constexpr const char* kDefaultDatabaseDescription = "Default Hive database";

std::string Lowered(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered;
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

Status<> CheckCatalogType(const ApiInput& input, const std::string& type) {
  if (type != "LAMBDA" && type != "GLUE" && type != "HIVE" && type != "FEDERATED") {
    return Fail(input.Invalid("Type", type, "Member must satisfy enum value set: [LAMBDA, GLUE, HIVE, FEDERATED]"));
  }
  return Ok();
}

}  // namespace

bool IsDefaultCatalog(std::string_view name) { return SameName(name, kDefaultCatalog); }

std::string AthenaService::EngineSchema(const std::string& athena_database) const {
  std::string lowered = athena_database;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered == "default" ? runner_->Engine().DefaultSchema() : athena_database;
}

// Athena (Glue) keeps database and table names in lower case, whatever case the DDL used.
std::string AthenaService::AthenaDatabase(const std::string& engine_schema) const {
  return engine_schema == runner_->Engine().DefaultSchema() ? "default" : Lowered(engine_schema);
}

Status<> AthenaService::CheckCatalog(const Request& request, const std::string& catalog) {
  if (IsDefaultCatalog(catalog)) return Ok();
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
  if (IsDefaultCatalog(name) || partition.catalogs.count(name) != 0) {
    return Fail(errors::InvalidRequest("DataCatalog already exists"));
  }
  MALLARD_ASSIGN_OR_RETURN(auto tags, ReadTags(request.input));
  if (!tags.empty()) partition.tags[ResourceArn(request, "datacatalog", name)] = std::move(tags);
  DataCatalogRecord catalog{name, type, description.value_or(""), std::move(parameters)};
  Json described = DescribeCatalog(catalog);
  partition.catalogs.emplace(name, std::move(catalog));
  return Json{{"DataCatalog", std::move(described)}};
}

AthenaService::Result AthenaService::GetDataCatalog(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("Name", 256));
  if (IsDefaultCatalog(name)) return Json{{"DataCatalog", DescribeCatalog(DefaultCatalog(request.context.account_id))}};
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
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(catalogs.size(), token, max_results.value_or(50), "catalogs",
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
  if (IsDefaultCatalog(name)) return Fail(errors::InvalidRequest("Catalog " + name + " cannot be deleted."));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.catalogs.find(name);
  if (found == partition.catalogs.end()) return Fail(errors::InvalidRequest("Catalog " + name + " was not found."));
  Json described = DescribeCatalog(found->second);
  partition.catalogs.erase(found);
  partition.tags.erase(ResourceArn(request, "datacatalog", name));
  return Json{{"DataCatalog", std::move(described)}};
}

// ---- databases and tables (the engine's catalogue) -----------------------------------------

void AthenaService::SettleDatabaseDdl(Partition& partition) {
  std::size_t settled = 0;
  for (; settled < partition.pending_database_ddl.size(); ++settled) {
    auto found = partition.executions.find(partition.pending_database_ddl[settled]);
    if (found == partition.executions.end()) continue;
    const ExecutionRecord& execution = found->second;
    JobState state = execution.job ? execution.job->Read().state : execution.settled_state;
    if (state == JobState::Queued || state == JobState::Running) break;  // later ones wait: order matters
    if (state != JobState::Succeeded || !execution.database_ddl) continue;
    const DatabaseDdl& ddl = *execution.database_ddl;
    if (!ddl.create) {
      partition.databases.erase(ddl.database);
    } else if (!ddl.if_clause || partition.databases.count(ddl.database) == 0) {
      const bool default_catalog = execution.catalog.empty() || IsDefaultCatalog(execution.catalog);
      partition.databases[ddl.database] = DatabaseRecord{default_catalog ? "" : execution.catalog, ddl.comment};
    }
  }
  partition.pending_database_ddl.erase(partition.pending_database_ddl.begin(),
                                       partition.pending_database_ddl.begin() + static_cast<std::ptrdiff_t>(settled));
}

Result<std::string> AthenaService::VisibleSchema(const Request& request, const std::string& catalog,
                                                 const std::string& database) {
  auto schemas = runner_->Engine().ListSchemas();
  if (!schemas.ok()) return Fail(errors::InternalServer(schemas.error()));
  const std::string wanted = SameName(database, "default") ? runner_->Engine().DefaultSchema() : Lowered(database);
  auto schema = std::find_if(schemas->begin(), schemas->end(), [&](const std::string& name) {
    return name == runner_->Engine().DefaultSchema() ? wanted == name : SameName(name, wanted);
  });
  if (schema != schemas->end()) {
    std::lock_guard lock(mutex_);
    Partition& partition = PartitionFor(request);
    SettleDatabaseDdl(partition);
    auto record = partition.databases.find(AthenaDatabase(*schema));
    const std::string owner = record == partition.databases.end() ? "" : record->second.catalog;
    if (IsDefaultCatalog(catalog) ? owner.empty() : owner == catalog) return *schema;
  }
  return Fail(errors::MetadataNotFound("Database " + database + " not found."));
}

AthenaService::Result AthenaService::ListDatabases(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto catalog, input.Required("CatalogName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 1, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  auto schemas = runner_->Engine().ListSchemas();
  if (!schemas.ok()) return Fail(errors::InternalServer(schemas.error()));
  // Each database shows under the catalog it was created in (AwsDataCatalog unless the creating
  // query named another); a catalog Athena does not know lists no databases, as Athena answers.
  std::vector<std::pair<std::string, std::string>> databases;  // name, description
  {
    std::lock_guard lock(mutex_);
    Partition& partition = PartitionFor(request);
    SettleDatabaseDdl(partition);
    const bool default_catalog = IsDefaultCatalog(catalog);
    if (default_catalog || partition.catalogs.count(catalog) != 0) {
      for (const auto& schema : schemas.value()) {
        std::string name = AthenaDatabase(schema);
        auto record = partition.databases.find(name);
        const std::string owner = record == partition.databases.end() ? "" : record->second.catalog;
        if (default_catalog ? !owner.empty() : owner != catalog) continue;
        std::string description = record == partition.databases.end() ? "" : record->second.description;
        if (name == "default" && description.empty()) description = kDefaultDatabaseDescription;
        databases.emplace_back(std::move(name), std::move(description));
      }
    }
  }
  std::sort(databases.begin(), databases.end());
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(databases.size(), token, max_results.value_or(50),
                                                          "databases/" + catalog, &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) {
    Json database{{"Name", databases[i].first}};
    if (!databases[i].second.empty()) database["Description"] = databases[i].second;
    database["Parameters"] = Json{};
    listed.push_back(std::move(database));
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
  MALLARD_ASSIGN_OR_RETURN(auto schema, VisibleSchema(request, catalog, database));
  std::string name = AthenaDatabase(schema);
  std::string description;
  {
    std::lock_guard lock(mutex_);
    Partition& partition = PartitionFor(request);
    if (auto record = partition.databases.find(name); record != partition.databases.end()) {
      description = record->second.description;
    }
  }
  if (name == "default" && description.empty()) description = kDefaultDatabaseDescription;
  Json described{{"Name", name}};
  if (!description.empty()) described["Description"] = description;
  described["Parameters"] = Json{};
  return Json{{"Database", std::move(described)}};
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
  return json::object{{"Name", Lowered(table.name)},
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
  MALLARD_ASSIGN_OR_RETURN(auto schema, VisibleSchema(request, catalog, database));
  auto tables = runner_->Engine().ListTables(schema);
  if (!tables.ok()) return Fail(errors::InternalServer(tables.error()));
  std::vector<const sqlengine::TableInfo*> matching;
  for (const auto& table : tables.value()) {
    // Hive's pattern language (`*`, `|`), matched without std::regex: a 60,000-character table name
    // overflowed std::regex's recursion.
    if (!expression || expression->empty() || sqlengine::MatchesHivePattern(Lowered(table.name), *expression)) {
      matching.push_back(&table);
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(matching.size(), token, max_results.value_or(50),
                                                          "tables/" + catalog + "/" + schema, &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) {
    auto external = ExternalTableMetadata(schema, matching[i]->name);  // CREATE EXTERNAL TABLE's own description
    listed.push_back(external ? std::move(*external) : DescribeTableMetadata(*matching[i]));
  }
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
  MALLARD_ASSIGN_OR_RETURN(auto schema, VisibleSchema(request, catalog, database));
  // Names are matched as Athena matches them: case-insensitively.
  auto tables = runner_->Engine().ListTables(schema);
  if (!tables.ok()) return Fail(errors::InternalServer(tables.error()));
  auto table = std::find_if(tables->begin(), tables->end(),
                            [&](const sqlengine::TableInfo& info) { return SameName(info.name, table_name); });
  if (table == tables->end()) return Fail(errors::MetadataNotFound("Table " + database + "." + table_name + " not found."));
  if (auto external = ExternalTableMetadata(schema, table->name)) return Json{{"TableMetadata", std::move(*external)}};
  return Json{{"TableMetadata", DescribeTableMetadata(*table)}};
}

}  // namespace mallard::athena
