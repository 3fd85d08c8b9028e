// Athena work groups, named queries and prepared statements: API state kept per account and region.
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "common/ids.hpp"
#include "services/athena/athena_errors.hpp"
#include "services/athena/athena_service.hpp"
#include "services/kit/api_input.hpp"

namespace mallard::athena {
namespace json = boost::json;
using services::kit::ApiInput;
using services::kit::EpochSeconds;

namespace {

AwsError InvalidInput(std::string message) { return errors::InvalidRequest(message); }

Status<> CheckWorkGroupName(const ApiInput& input, const std::string& name) {
  // The model's pattern [a-zA-Z0-9._-]{1,128}, checked by hand (no std::regex on client input).
  const bool valid = !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  if (!valid) {
    return Fail(input.Invalid("Name", name, "Member must satisfy regular expression pattern: [a-zA-Z0-9._-]{1,128}"));
  }
  return Ok();
}

json::object EngineVersion() {
  return json::object{{"SelectedEngineVersion", "AUTO"}, {"EffectiveEngineVersion", "Athena engine version 3"}};
}

json::object DescribeWorkGroup(const WorkGroupRecord& group) {
  // Athena answers with every flag spelled out and an empty ResultConfiguration when none is set
  // (the primary work group: {ResultConfiguration: {}, EnforceWorkGroupConfiguration: false, ...}).
  json::object configuration = group.configuration;
  if (!configuration.contains("ResultConfiguration")) configuration["ResultConfiguration"] = json::object{};
  if (!configuration.contains("EnforceWorkGroupConfiguration")) configuration["EnforceWorkGroupConfiguration"] = false;
  if (!configuration.contains("PublishCloudWatchMetricsEnabled")) configuration["PublishCloudWatchMetricsEnabled"] = false;
  if (!configuration.contains("RequesterPaysEnabled")) configuration["RequesterPaysEnabled"] = false;
  configuration["EngineVersion"] = EngineVersion();
  if (!configuration.contains("EnableMinimumEncryptionConfiguration")) {
    configuration["EnableMinimumEncryptionConfiguration"] = false;
  }
  json::object described{{"Name", group.name},
                         {"State", group.state},
                         {"Configuration", std::move(configuration)},
                         {"CreationTime", EpochSeconds(group.created_ms)}};
  if (!group.description.empty()) described["Description"] = group.description;
  return described;
}

json::object DescribeNamedQuery(const NamedQueryRecord& query) {
  json::object described{{"Name", query.name},
                         {"Database", query.database},
                         {"QueryString", query.query},
                         {"NamedQueryId", query.id},
                         {"WorkGroup", query.work_group}};
  if (!query.description.empty()) described["Description"] = query.description;
  return described;
}

json::object DescribePrepared(const PreparedStatementRecord& statement) {
  json::object described{{"StatementName", statement.name},
                         {"QueryStatement", statement.query},
                         {"WorkGroupName", statement.work_group},
                         {"LastModifiedTime", EpochSeconds(statement.last_modified_ms)}};
  if (!statement.description.empty()) described["Description"] = statement.description;
  return described;
}

// Applies UpdateWorkGroup's ConfigurationUpdates to a stored configuration.
void ApplyConfigurationUpdates(json::object& configuration, const json::object& updates) {
  for (const auto& member : updates) {
    std::string_view key = member.key();
    if (key == "ResultConfigurationUpdates" && member.value().is_object()) {
      json::object result;
      if (const auto* existing = configuration.if_contains("ResultConfiguration"); existing && existing->is_object()) {
        result = existing->get_object();
      }
      for (const auto& update : member.value().get_object()) {
        std::string_view name = update.key();
        if (name.rfind("Remove", 0) == 0) {
          if (update.value().is_bool() && update.value().get_bool()) result.erase(name.substr(6));
        } else {
          result[name] = update.value();
        }
      }
      configuration["ResultConfiguration"] = std::move(result);
    } else if (key.rfind("Remove", 0) == 0) {
      if (member.value().is_bool() && member.value().get_bool()) configuration.erase(key.substr(6));
    } else {
      configuration[key] = member.value();
    }
  }
}

}  // namespace

Result<WorkGroupRecord*> AthenaService::FindWorkGroup(Partition& partition, const std::string& name) {
  auto found = partition.work_groups.find(name);
  if (found == partition.work_groups.end()) return Fail(errors::WorkGroupNotFound());
  return &found->second;
}

// ---- work groups ---------------------------------------------------------------------------

AthenaService::Result AthenaService::CreateWorkGroup(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("Name", 128));
  MALLARD_RETURN_IF_ERROR(CheckWorkGroupName(input, name));
  MALLARD_ASSIGN_OR_RETURN(auto description, input.Optional("Description", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto configuration, input.Object("Configuration"));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  if (partition.work_groups.count(name) != 0) return Fail(errors::InvalidRequest("WorkGroup already exists"));
  MALLARD_ASSIGN_OR_RETURN(auto tags, ReadTags(request.input));
  if (!tags.empty()) partition.tags[ResourceArn(request, "workgroup", name)] = std::move(tags);
  WorkGroupRecord group;
  group.name = name;
  group.description = description.value_or("");
  configuration.erase("EngineVersion");
  // A work group created through the API enforces its settings unless told otherwise (Athena's
  // default; only the account's primary work group starts with enforcement off).
  if (!configuration.contains("EnforceWorkGroupConfiguration")) configuration["EnforceWorkGroupConfiguration"] = true;
  group.configuration = std::move(configuration);
  group.created_ms = Now();
  partition.work_groups.emplace(name, std::move(group));
  return Json{};
}

AthenaService::Result AthenaService::GetWorkGroup(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("WorkGroup", 128));
  std::lock_guard lock(mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto* group, FindWorkGroup(PartitionFor(request), name));
  return Json{{"WorkGroup", DescribeWorkGroup(*group)}};
}

AthenaService::Result AthenaService::ListWorkGroups(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 1, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  std::vector<const WorkGroupRecord*> groups;
  for (const auto& [name, group] : partition.work_groups) groups.push_back(&group);
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(groups.size(), token, max_results.value_or(50), "workgroups",
                                                          &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) {
    const auto& group = *groups[i];
    json::object summary{{"Name", group.name},
                         {"State", group.state},
                         {"CreationTime", EpochSeconds(group.created_ms)},
                         {"EngineVersion", EngineVersion()}};
    if (!group.description.empty()) summary["Description"] = group.description;
    listed.push_back(std::move(summary));
  }
  Json output{{"WorkGroups", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

AthenaService::Result AthenaService::UpdateWorkGroup(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("WorkGroup", 128));
  MALLARD_ASSIGN_OR_RETURN(auto description, input.Optional("Description", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto updates, input.Object("ConfigurationUpdates"));
  MALLARD_ASSIGN_OR_RETURN(auto state, input.Optional("State", 16));
  if (state && *state != "ENABLED" && *state != "DISABLED") {
    return Fail(input.Invalid("State", *state, "Member must satisfy enum value set: [ENABLED, DISABLED]"));
  }
  std::lock_guard lock(mutex_);
  MALLARD_ASSIGN_OR_RETURN(auto* group, FindWorkGroup(PartitionFor(request), name));
  if (description) group->description = *description;
  if (state) group->state = *state;
  updates.erase("EngineVersion");
  ApplyConfigurationUpdates(group->configuration, updates);
  return Json{};
}

AthenaService::Result AthenaService::DeleteWorkGroup(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("WorkGroup", 128));
  MALLARD_ASSIGN_OR_RETURN(bool recursive, input.Bool("RecursiveDeleteOption", false));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, name));
  if (name == "primary") return Fail(errors::InvalidRequest("Cannot delete primary workgroup"));
  bool has_content = false;
  for (const auto& [id, query] : partition.named_queries) has_content = has_content || query.work_group == name;
  for (const auto& [key, statement] : partition.prepared_statements) has_content = has_content || key.first == name;
  if (has_content && !recursive) {
    return Fail(errors::InvalidRequest("WorkGroup " + name +
                                       " is not empty. Set RecursiveDeleteOption to delete it with its contents."));
  }
  std::erase_if(partition.named_queries, [&](const auto& entry) { return entry.second.work_group == name; });
  std::erase_if(partition.prepared_statements, [&](const auto& entry) { return entry.first.first == name; });
  partition.work_groups.erase(name);
  partition.tags.erase(ResourceArn(request, "workgroup", name));
  return Json{};
}

// ---- named queries -------------------------------------------------------------------------

AthenaService::Result AthenaService::CreateNamedQuery(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("Name", 128));
  MALLARD_ASSIGN_OR_RETURN(auto database, input.Required("Database", 255));
  MALLARD_ASSIGN_OR_RETURN(auto query, input.Required("QueryString", 262144));
  MALLARD_ASSIGN_OR_RETURN(auto description, input.Optional("Description", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("ClientRequestToken", 128));
  MALLARD_ASSIGN_OR_RETURN(auto work_group, input.Optional("WorkGroup", 128));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  NamedQueryRecord record{NewUuid(), name, description.value_or(""), database, query, work_group.value_or("primary")};
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, record.work_group));
  if (token) {
    if (auto known = partition.named_query_tokens.find(*token); known != partition.named_query_tokens.end()) {
      return Json{{"NamedQueryId", known->second}};
    }
    partition.named_query_tokens[*token] = record.id;
  }
  std::string id = record.id;
  partition.named_queries.emplace(id, std::move(record));
  return Json{{"NamedQueryId", id}};
}

AthenaService::Result AthenaService::GetNamedQuery(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("NamedQueryId", 128));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.named_queries.find(id);
  if (found == partition.named_queries.end()) return Fail(errors::InvalidRequest("NamedQuery " + id + " was not found"));
  return Json{{"NamedQuery", DescribeNamedQuery(found->second)}};
}

AthenaService::Result AthenaService::ListNamedQueries(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 0, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  MALLARD_ASSIGN_OR_RETURN(auto work_group, input.Optional("WorkGroup", 128));
  std::string group = work_group.value_or("primary");
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, group));
  std::vector<std::string> ids;
  for (const auto& [id, query] : partition.named_queries) {
    if (query.work_group == group) ids.push_back(id);
  }
  std::size_t limit = max_results && *max_results > 0 ? static_cast<std::size_t>(*max_results) : 50;
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(ids.size(), token, limit, "named/" + group, &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) listed.emplace_back(ids[i]);
  Json output{{"NamedQueryIds", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

AthenaService::Result AthenaService::BatchGetNamedQuery(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto ids, input.Strings("NamedQueryIds", 1, 50));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  return services::kit::BatchGet(
      ids, "NamedQueries", "UnprocessedNamedQueryIds", "NamedQueryId", "INVALID_INPUT",
      [&](const std::string& id) -> std::optional<Json> {
        auto found = partition.named_queries.find(id);
        if (found == partition.named_queries.end()) return std::nullopt;
        return DescribeNamedQuery(found->second);
      },
      [](const std::string& id) { return "NamedQuery " + id + " was not found"; });
}

AthenaService::Result AthenaService::UpdateNamedQuery(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("NamedQueryId", 128));
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("Name", 128));
  MALLARD_ASSIGN_OR_RETURN(auto query, input.Required("QueryString", 262144));
  MALLARD_ASSIGN_OR_RETURN(auto description, input.Optional("Description", 1024));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.named_queries.find(id);
  if (found == partition.named_queries.end()) return Fail(errors::InvalidRequest("NamedQuery " + id + " was not found"));
  found->second.name = name;
  found->second.query = query;
  found->second.description = description.value_or("");
  return Json{};
}

AthenaService::Result AthenaService::DeleteNamedQuery(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto id, input.Required("NamedQueryId", 128));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  if (partition.named_queries.erase(id) == 0) return Fail(errors::InvalidRequest("NamedQuery " + id + " was not found"));
  return Json{};
}

// ---- prepared statements -------------------------------------------------------------------

AthenaService::Result AthenaService::CreatePreparedStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("StatementName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto work_group, input.Required("WorkGroup", 128));
  MALLARD_ASSIGN_OR_RETURN(auto query, input.Required("QueryStatement", 262144));
  MALLARD_ASSIGN_OR_RETURN(auto description, input.Optional("Description", 1024));
  // [a-zA-Z_][a-zA-Z0-9_@:]{0,255} (the model says {1,256} and length 1..256, so one character is
  // accepted), checked by hand.
  const auto is_first = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  const auto is_rest = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@' || c == ':'; };
  const bool valid_name = !name.empty() && name.size() <= 256 && is_first(name.front()) &&
                          std::all_of(name.begin() + 1, name.end(), is_rest);
  if (!valid_name) {
    return Fail(input.Invalid("StatementName", name,
                              "Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_@:]{1,256}"));
  }
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, work_group));
  auto key = std::make_pair(work_group, name);
  if (partition.prepared_statements.count(key) != 0) {
    return Fail(errors::InvalidRequest("Prepared statement " + name + " already exists in WorkGroup " + work_group));
  }
  partition.prepared_statements.emplace(key, PreparedStatementRecord{name, work_group, query, description.value_or(""), Now()});
  return Json{};
}

AthenaService::Result AthenaService::GetPreparedStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("StatementName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto work_group, input.Required("WorkGroup", 128));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, work_group));
  auto found = partition.prepared_statements.find({work_group, name});
  if (found == partition.prepared_statements.end()) {
    return Fail(errors::ResourceNotFound("Prepared statement " + name + " was not found in WorkGroup " + work_group, name));
  }
  return Json{{"PreparedStatement", DescribePrepared(found->second)}};
}

AthenaService::Result AthenaService::ListPreparedStatements(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto work_group, input.Required("WorkGroup", 128));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 1, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, work_group));
  std::vector<const PreparedStatementRecord*> statements;
  for (const auto& [key, statement] : partition.prepared_statements) {
    if (key.first == work_group) statements.push_back(&statement);
  }
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(statements.size(), token, max_results.value_or(50),
                                                          "prepared/" + work_group, &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) {
    listed.push_back(Json{{"StatementName", statements[i]->name},
                          {"LastModifiedTime", EpochSeconds(statements[i]->last_modified_ms)}});
  }
  Json output{{"PreparedStatements", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

AthenaService::Result AthenaService::BatchGetPreparedStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto names, input.Strings("PreparedStatementNames", 1, 50));
  MALLARD_ASSIGN_OR_RETURN(auto work_group, input.Required("WorkGroup", 128));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, work_group));
  return services::kit::BatchGet(
      names, "PreparedStatements", "UnprocessedPreparedStatementNames", "StatementName", "STATEMENT_NOT_FOUND",
      [&](const std::string& name) -> std::optional<Json> {
        auto found = partition.prepared_statements.find({work_group, name});
        if (found == partition.prepared_statements.end()) return std::nullopt;
        return DescribePrepared(found->second);
      },
      [](const std::string& name) { return "Prepared statement " + name + " was not found"; });
}

AthenaService::Result AthenaService::UpdatePreparedStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("StatementName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto work_group, input.Required("WorkGroup", 128));
  MALLARD_ASSIGN_OR_RETURN(auto query, input.Required("QueryStatement", 262144));
  MALLARD_ASSIGN_OR_RETURN(auto description, input.Optional("Description", 1024));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, work_group));
  auto found = partition.prepared_statements.find({work_group, name});
  if (found == partition.prepared_statements.end()) {
    return Fail(errors::ResourceNotFound("Prepared statement " + name + " was not found in WorkGroup " + work_group, name));
  }
  found->second.query = query;
  if (description) found->second.description = *description;
  found->second.last_modified_ms = Now();
  return Json{};
}

AthenaService::Result AthenaService::DeletePreparedStatement(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required("StatementName", 256));
  MALLARD_ASSIGN_OR_RETURN(auto work_group, input.Required("WorkGroup", 128));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindWorkGroup(partition, work_group));
  if (partition.prepared_statements.erase({work_group, name}) == 0) {
    return Fail(errors::ResourceNotFound("Prepared statement " + name + " was not found in WorkGroup " + work_group, name));
  }
  return Json{};
}

}  // namespace mallard::athena
