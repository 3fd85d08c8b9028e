// DynamoDB control plane: tables, TTL, tags, limits and endpoints.
#include <set>

#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = DynamoDbService::Json;
using errors::InvalidParameter;
using errors::Validation;

namespace {
constexpr std::int64_t kMaxListTables = 100;
constexpr std::size_t kMaxTagsPerResource = 50;
}  // namespace

Result<TableDefinition> DynamoDbService::LoadTable(const Scope& scope, const std::string& name_or_arn) const {
  auto table = store_->GetTable(scope, codec::TableNameFromArnOrName(name_or_arn));
  if (!table) {
    if (table.error().code == StoreErrc::TableNotFound) return Fail(errors::ResourceNotFound());
    return Fail(errors::FromStore(table.error()));
  }
  TableDefinition loaded = std::move(table).value();
  if (auto transition = transitions_.Current(scope, loaded.name, runtime_.clock())) {
    // AWS answers reads and writes of a table still being created as if it did not exist yet;
    // an UPDATING table serves them (its new indexes are CREATING: Query/Scan refuse them).
    if (transition->table_status == "CREATING") return Fail(errors::ResourceNotFound());
    ApplyTransition(*transition, loaded);
  }
  return loaded;
}

Result<Json> DynamoDbService::DescribeTableJson(const Call& call, const TableDefinition& table) const {
  auto stats = store_->GetTableStats(call.scope, table.name);
  TableStats values = stats ? std::move(stats).value() : TableStats{};
  Json description = codec::TableDescriptionJson(table, values);
  // An index added by UpdateTable is CREATING while DynamoDB backfills it from the table's items.
  if (table.status == "UPDATING" && description.contains("GlobalSecondaryIndexes")) {
    for (auto& index : description["GlobalSecondaryIndexes"].as_array()) {
      auto& entry = index.as_object();
      if (entry["IndexStatus"] == "CREATING") entry["Backfilling"] = true;
    }
  }
  return description;
}

namespace {

AwsError TableInUse(const TableTransition& transition, const std::string& table) {
  const std::string prefix = "Attempt to change a resource which is still in use: ";
  if (transition.table_status == "CREATING") return errors::ResourceInUse(prefix + "Table is being created: " + table);
  if (transition.table_status == "DELETING") return errors::ResourceInUse(prefix + "Table is being deleted: " + table);
  return errors::ResourceInUse(prefix + "Table: " + table + " is in the process of being updated.");
}

}  // namespace

Result<Json> DynamoDbService::CreateTable(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table, codec::ParseCreateTable(call.input, call.scope, call.now_millis));
  // A table still DELETING holds its name (the store has dropped it already).
  if (auto transition = transitions_.Current(call.scope, table.name, call.now_millis);
      transition && transition->table_status == "DELETING")
    return Fail(errors::ResourceInUse("Table already exists: " + table.name));
  if (auto created = store_->CreateTable(call.scope, table); !created) {
    if (created.error().code == StoreErrc::TableExists)
      return Fail(errors::ResourceInUse("Table already exists: " + table.name));
    return Fail(errors::FromStore(created.error()));
  }
  // AWS's answer says CREATING (with its global indexes), whether or not the table is ACTIVE by
  // the time the client asks again.
  std::set<std::string> global_indexes;
  for (auto& index : table.indexes) {
    if (!index.global) continue;
    global_indexes.insert(index.name);
    index.status = "CREATING";
  }
  table.status = "CREATING";
  transitions_.Begin(call.scope, table.name, "CREATING", call.now_millis, std::move(global_indexes));
  MALLARD_ASSIGN_OR_RETURN(auto description, DescribeTableJson(call, table));
  return Json{{"TableDescription", std::move(description)}};
}

Result<Json> DynamoDbService::DescribeTable(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(call.input, "TableName"));
  const std::string table_name = codec::TableNameFromArnOrName(name);
  auto transition = transitions_.Current(call.scope, table_name, call.now_millis);
  if (transition && transition->table_status == "DELETING") return Json{{"Table", transition->deleted_description}};
  auto table = store_->GetTable(call.scope, table_name);
  if (!table) return Fail(errors::LookupFailed(table.error(), errors::TableNotFound(table_name)));
  if (transition) ApplyTransition(*transition, *table);
  MALLARD_ASSIGN_OR_RETURN(auto description, DescribeTableJson(call, *table));
  return Json{{"Table", std::move(description)}};
}

namespace {

constexpr const char* kNothingToUpdate =
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
    "SSESpecification or ReplicaUpdates is required";

// Applies one UpdateTable request to a table definition; runs inside the store's atomic update.
Status<> ApplyTableUpdate(const json::object& input, TableDefinition& table, std::int64_t now_millis) {
  bool changed = false;
  MALLARD_ASSIGN_OR_RETURN(auto definitions_json, input::OptionalArray(input, "AttributeDefinitions"));
  if (definitions_json) {
    MALLARD_ASSIGN_OR_RETURN(auto definitions, codec::ParseAttributeDefinitions(*definitions_json));
    for (const auto& [name, type] : definitions) {
      auto existing = table.attribute_definitions.find(name);
      if (existing != table.attribute_definitions.end() && existing->second != type)
        return Fail(InvalidParameter("Cannot change the type of an attribute definition: " + name));
      table.attribute_definitions[name] = type;
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto billing,
                           input::EnumMember(input, "BillingMode", {"PROVISIONED", "PAY_PER_REQUEST"}, ""));
  MALLARD_ASSIGN_OR_RETURN(auto throughput_json, input::OptionalObject(input, "ProvisionedThroughput"));
  if (!billing.empty() && billing != table.billing_mode) {
    if (billing == "PROVISIONED" && !throughput_json)
      return Fail(InvalidParameter(
          "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"));
    table.billing_mode = billing;
    table.billing_mode_changed_millis = now_millis;
  }
  // The current billing mode, named again, is an update AWS accepts (it changes nothing).
  if (!billing.empty()) changed = true;
  if (throughput_json) {
    if (table.billing_mode == "PAY_PER_REQUEST")
      return Fail(InvalidParameter(
          "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
    MALLARD_ASSIGN_OR_RETURN(auto requested, codec::ParseThroughput(*throughput_json, "ProvisionedThroughput"));
    if (requested.read_units == table.throughput.read_units && requested.write_units == table.throughput.write_units &&
        billing.empty()) {
      const auto r = std::to_string(requested.read_units), w = std::to_string(requested.write_units);
      return Fail(Validation(
          "The provisioned throughput for the table will not change. The requested value equals the current value. "
          "Current ReadCapacityUnits provisioned for the table: " + r + ". Requested ReadCapacityUnits: " + r +
          ". Current WriteCapacityUnits provisioned for the table: " + w + ". Requested WriteCapacityUnits: " + w +
          ". Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."));
    }
    const bool increase = requested.read_units > table.throughput.read_units ||
                          requested.write_units > table.throughput.write_units;
    const bool decrease = requested.read_units < table.throughput.read_units ||
                          requested.write_units < table.throughput.write_units;
    if (increase) table.throughput.last_increase_millis = now_millis;
    if (decrease) {
      table.throughput.last_decrease_millis = now_millis;
      ++table.throughput.decreases_today;
    }
    table.throughput.read_units = requested.read_units;
    table.throughput.write_units = requested.write_units;
    changed = true;
  }
  MALLARD_ASSIGN_OR_RETURN(auto stream_json, input::OptionalObject(input, "StreamSpecification"));
  if (stream_json) {
    MALLARD_ASSIGN_OR_RETURN(auto stream, codec::ParseStreamSpecification(*stream_json));
    if (stream.enabled && table.stream.enabled)
      return Fail(Validation("Table already has an enabled stream: TableName: " + table.name));
    if (!stream.enabled && !table.stream.enabled)
      return Fail(Validation("Table has no stream to disable: TableName: " + table.name));
    if (stream.enabled) {
      table.stream.enabled = true;
      table.stream.view_type = stream.view_type;
      table.stream.label = codec::StreamLabel(now_millis);
    } else {
      table.stream.enabled = false;
    }
    changed = true;
  }
  MALLARD_ASSIGN_OR_RETURN(auto gsi_updates, input::OptionalArray(input, "GlobalSecondaryIndexUpdates"));
  if (gsi_updates && !gsi_updates->empty()) {  // [] changes nothing: "At least one of …" below, as AWS answers
    int creates_or_deletes = 0;
    for (const auto& update_value : *gsi_updates) {
      if (!update_value.is_object()) return Fail(input::WrongType("GlobalSecondaryIndexUpdates", "structure"));
      const auto& update = update_value.get_object();
      MALLARD_ASSIGN_OR_RETURN(auto create, input::OptionalObject(update, "Create"));
      MALLARD_ASSIGN_OR_RETURN(auto remove, input::OptionalObject(update, "Delete"));
      MALLARD_ASSIGN_OR_RETURN(auto modify, input::OptionalObject(update, "Update"));
      if ((create != nullptr) + (remove != nullptr) + (modify != nullptr) != 1)
        return Fail(InvalidParameter("One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified"));
      if (create || remove) ++creates_or_deletes;
      if (creates_or_deletes > 1)
        return Fail(errors::LimitExceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"));
      if (create) {
        MALLARD_ASSIGN_OR_RETURN(auto index, codec::ParseIndex(*create, table, true));
        if (table.FindIndex(index.name))
          return Fail(Validation("Attempting to create an index which already exists"));
        std::size_t globals = 0;
        for (const auto& existing : table.indexes) globals += existing.global;
        if (globals >= 20)
          return Fail(errors::LimitExceeded("GlobalSecondaryIndex count exceeds the per-table limit of 20"));
        auto typed = [&](KeyElement& element) {
          auto it = table.attribute_definitions.find(element.name);
          if (it != table.attribute_definitions.end()) element.type = it->second;
        };
        ForEachKeyElement(index.keys, typed);
        table.indexes.push_back(std::move(index));
      } else if (remove) {
        MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(*remove, "IndexName"));
        auto it = std::find_if(table.indexes.begin(), table.indexes.end(),
                               [&](const IndexDefinition& index) { return index.global && index.name == name; });
        if (it == table.indexes.end())
          return Fail(errors::ResourceNotFound("Requested resource not found: Index: " + name + " not found"));
        table.indexes.erase(it);
      } else {
        MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(*modify, "IndexName"));
        auto it = std::find_if(table.indexes.begin(), table.indexes.end(),
                               [&](const IndexDefinition& index) { return index.global && index.name == name; });
        if (it == table.indexes.end())
          return Fail(errors::ResourceNotFound("Requested resource not found: Index: " + name + " not found"));
        MALLARD_ASSIGN_OR_RETURN(auto throughput, input::OptionalObject(*modify, "ProvisionedThroughput"));
        MALLARD_ASSIGN_OR_RETURN(auto index_warm, input::OptionalObject(*modify, "WarmThroughput"));
        if (index_warm) {
          MALLARD_ASSIGN_OR_RETURN(auto warm, codec::ParseWarmThroughput(*index_warm, "index " + name));
          MALLARD_RETURN_IF_ERROR(codec::RaiseWarmThroughput(it->warm, warm));
        }
        if (!throughput && !index_warm) return Fail(input::MissingMember("ProvisionedThroughput"));
        if (throughput) {
          MALLARD_ASSIGN_OR_RETURN(it->throughput, codec::ParseThroughput(*throughput, "ProvisionedThroughput"));
        }
      }
    }
    // Definitions may only name attributes that some key uses.
    std::map<std::string, AttrType> used;
    auto keep = [&](const KeyElement& element) { used[element.name] = table.attribute_definitions[element.name]; };
    keep(table.keys.partition);
    if (table.keys.sort) keep(*table.keys.sort);
    for (const auto& index : table.indexes) ForEachKeyElement(index.keys, keep);
    table.attribute_definitions = std::move(used);
    changed = true;
  }
  MALLARD_RETURN_IF_ERROR(codec::CheckIndexKeysDefined(table));
  MALLARD_ASSIGN_OR_RETURN(auto protection, input::OptionalBool(input, "DeletionProtectionEnabled"));
  if (protection) {
    table.deletion_protection = *protection;
    changed = true;
  }
  MALLARD_ASSIGN_OR_RETURN(auto table_class,
                           input::EnumMember(input, "TableClass", {"STANDARD", "STANDARD_INFREQUENT_ACCESS"}, ""));
  if (!table_class.empty()) {
    table.table_class = table_class;
    changed = true;
  }
  // WarmThroughput alone is an update too; it may only grow.
  MALLARD_ASSIGN_OR_RETURN(auto warm_json, input::OptionalObject(input, "WarmThroughput"));
  if (warm_json) {
    MALLARD_ASSIGN_OR_RETURN(auto warm, codec::ParseWarmThroughput(*warm_json, "table " + table.name));
    MALLARD_RETURN_IF_ERROR(codec::RaiseWarmThroughput(table.warm, warm));
    changed = true;
  }
  MALLARD_ASSIGN_OR_RETURN(auto sse_json, input::OptionalObject(input, "SSESpecification"));
  if (sse_json) {
    // The table's ARN carries the region and account the KMS key ARN is reported in.
    Scope scope;
    if (auto parts = table.arn.find(":dynamodb:"); parts != std::string::npos) {
      const std::string rest = table.arn.substr(parts + 10);
      scope.region = rest.substr(0, rest.find(':'));
      scope.account = rest.substr(scope.region.size() + 1, rest.find(':', scope.region.size() + 1) - scope.region.size() - 1);
    }
    MALLARD_ASSIGN_OR_RETURN(table.sse_kms_key_arn, codec::ParseSseSpecification(*sse_json, scope));
    changed = true;
  }
  if (!changed) return Fail(Validation(kNothingToUpdate));
  return Done{};
}

// Whether the request names anything UpdateTable could change. AWS answers kNothingToUpdate before it
// looks the table up (issue 15: validation order); what the named changes amount to is judged with
// the table (ApplyTableUpdate).
bool NamesAnUpdate(const json::object& input) {
  for (const char* member : {"ProvisionedThroughput", "BillingMode", "StreamSpecification", "SSESpecification",
                             "ReplicaUpdates", "DeletionProtectionEnabled", "TableClass", "WarmThroughput",
                             "OnDemandThroughput"}) {
    if (const auto* value = input.if_contains(member); value && !value->is_null()) return true;
  }
  const auto* gsi_updates = input.if_contains("GlobalSecondaryIndexUpdates");
  return gsi_updates && gsi_updates->is_array() && !gsi_updates->get_array().empty();
}

}  // namespace

Result<Json> DynamoDbService::UpdateTable(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(call.input, "TableName"));
  if (!NamesAnUpdate(call.input)) return Fail(Validation(kNothingToUpdate));
  const std::string table_name = codec::TableNameFromArnOrName(name);
  // A table still being created, updated or deleted cannot change yet.
  if (auto transition = transitions_.Current(call.scope, table_name, call.now_millis))
    return Fail(TableInUse(*transition, table_name));
  std::set<std::string> indexes_before;
  auto updated = store_->UpdateTable(call.scope, table_name, [&](TableDefinition& table) {
    indexes_before.clear();
    for (const auto& index : table.indexes) indexes_before.insert(index.name);
    return ApplyTableUpdate(call.input, table, call.now_millis);
  });
  if (!updated) {
    if (updated.error().code == StoreErrc::TableNotFound) return Fail(errors::TableNotFound(table_name));
    return Fail(errors::FromStore(updated.error()));
  }
  if (!updated->ok()) return Fail(std::move(*updated).error());
  TableDefinition table = std::move(*updated).value();
  // The answer says UPDATING, and an index this request added is CREATING (backfilling).
  std::set<std::string> backfilling;
  for (auto& index : table.indexes) {
    if (index.global && !indexes_before.count(index.name)) {
      backfilling.insert(index.name);
      index.status = "CREATING";
    }
  }
  table.status = "UPDATING";
  transitions_.Begin(call.scope, table_name, "UPDATING", call.now_millis, std::move(backfilling));
  MALLARD_ASSIGN_OR_RETURN(auto description, DescribeTableJson(call, table));
  return Json{{"TableDescription", std::move(description)}};
}

Result<Json> DynamoDbService::DeleteTable(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(call.input, "TableName"));
  const std::string table_name = codec::TableNameFromArnOrName(name);
  if (auto transition = transitions_.Current(call.scope, table_name, call.now_millis)) {
    // Deleting a table that is DELETING already is no error (DeleteTable API reference).
    if (transition->table_status == "DELETING") return Json{{"TableDescription", transition->deleted_description}};
    if (!transition->backfilling_indexes.empty() && transition->table_status == "UPDATING")
      return Fail(errors::ResourceInUse(
          "Attempt to change a resource which is still in use: Cannot delete table while indexes are being created, "
          "updated, or deleted."));
    return Fail(TableInUse(*transition, table_name));
  }
  auto table = store_->GetTable(call.scope, table_name);
  if (!table) return Fail(errors::LookupFailed(table.error(), errors::TableNotFound(table_name)));
  if (table->deletion_protection)
    return Fail(Validation(
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."));
  auto stats = store_->GetTableStats(call.scope, table_name);
  auto deleted = store_->DeleteTable(call.scope, table_name);
  if (!deleted) return Fail(errors::LookupFailed(deleted.error(), errors::TableNotFound(table_name)));
  TableDefinition gone = std::move(deleted).value();
  gone.status = "DELETING";
  Json description = codec::TableDescriptionJson(gone, stats ? stats.value() : TableStats{});
  transitions_.Begin(call.scope, table_name, "DELETING", call.now_millis, {}, description);
  return Json{{"TableDescription", codec::DeletedTableDescriptionJson(gone, stats ? stats.value() : TableStats{})}};
}

Result<Json> DynamoDbService::ListTables(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto limit, input::OptionalInt(call.input, "Limit"));
  MALLARD_ASSIGN_OR_RETURN(auto start, input::OptionalString(call.input, "ExclusiveStartTableName"));
  if (limit && (*limit < 1 || *limit > kMaxListTables))
    return Fail(input::ConstraintError("Limit", "'" + std::to_string(*limit) + "'",
                                       *limit < 1 ? "Member must have value greater than or equal to 1"
                                                  : "Member must have value less than or equal to 100"));
  if (start) MALLARD_RETURN_IF_ERROR(codec::ValidateTableName(*start, "ExclusiveStartTableName"));
  auto names = store_->ListTables(call.scope);
  if (!names) return Fail(errors::FromStore(names.error()));
  // Tables still DELETING are listed until they are gone, as AWS lists them.
  if (auto deleting = transitions_.Deleting(call.scope, call.now_millis); !deleting.empty()) {
    names->insert(names->end(), deleting.begin(), deleting.end());
    std::sort(names->begin(), names->end());
    names->erase(std::unique(names->begin(), names->end()), names->end());
  }
  const std::size_t page = static_cast<std::size_t>(limit.value_or(kMaxListTables));
  json::array listed;
  auto it = start ? std::upper_bound(names->begin(), names->end(), *start) : names->begin();
  for (; it != names->end() && listed.size() < page; ++it) listed.emplace_back(*it);
  Json output{{"TableNames", std::move(listed)}};
  if (it != names->end()) output["LastEvaluatedTableName"] = *(it - 1);
  return output;
}

Result<Json> DynamoDbService::UpdateTimeToLive(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(call.input, "TableName"));
  MALLARD_ASSIGN_OR_RETURN(auto spec, input::OptionalObject(call.input, "TimeToLiveSpecification"));
  if (!spec) return Fail(input::MissingMember("TimeToLiveSpecification"));
  MALLARD_ASSIGN_OR_RETURN(auto enabled, input::OptionalBool(*spec, "Enabled"));
  if (!enabled) return Fail(input::MissingMember("TimeToLiveSpecification.Enabled"));
  MALLARD_ASSIGN_OR_RETURN(auto attribute, input::RequiredString(*spec, "AttributeName"));
  if (attribute.empty() || attribute.size() > 255)
    return Fail(input::ConstraintError("TimeToLiveSpecification.AttributeName", "'" + attribute + "'",
                                       "Member must have length between 1 and 255"));
  const std::string table_name = codec::TableNameFromArnOrName(name);
  auto updated = store_->UpdateTable(call.scope, table_name, [&](TableDefinition& table) -> Status<> {
    if (*enabled && !table.ttl_attribute.empty()) return Fail(Validation("TimeToLive is already enabled"));
    if (!*enabled && table.ttl_attribute.empty()) return Fail(Validation("TimeToLive is already disabled"));
    if (!*enabled && table.ttl_attribute != attribute)
      return Fail(Validation("TimeToLive is active on a different AttributeName: current AttributeName is " +
                             table.ttl_attribute));
    table.ttl_attribute = *enabled ? attribute : "";
    return Done{};
  });
  if (!updated) return Fail(errors::ResourceNotFound());
  if (!updated->ok()) return Fail(std::move(*updated).error());
  return Json{{"TimeToLiveSpecification", Json{{"Enabled", *enabled}, {"AttributeName", attribute}}}};
}

Result<Json> DynamoDbService::DescribeTimeToLive(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(call.input, "TableName"));
  MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, name));
  Json description{{"TimeToLiveStatus", table.ttl_attribute.empty() ? "DISABLED" : "ENABLED"}};
  if (!table.ttl_attribute.empty()) description["AttributeName"] = table.ttl_attribute;
  return Json{{"TimeToLiveDescription", std::move(description)}};
}

namespace {

// Resolves a table ARN of the caller's account and region to a table name.
Result<std::string> TableFromResourceArn(const DynamoDbService::Call& call, const std::string& arn) {
  const std::string prefix = "arn:aws:dynamodb:" + call.scope.region + ":" + call.scope.account + ":table/";
  if (arn.rfind("arn:", 0) != 0 || arn.find(":table/") == std::string::npos)
    return Fail(Validation("Invalid TableArn: Invalid ResourceArn provided as input " + arn));
  if (arn.rfind(prefix, 0) != 0 || arn.find('/', prefix.size()) != std::string::npos)
    return Fail(errors::ResourceNotFound("Requested resource not found: ResourcArn: " + arn + " not found"));
  return arn.substr(prefix.size());
}

}  // namespace

Result<Json> DynamoDbService::TagResource(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "ResourceArn"));
  MALLARD_ASSIGN_OR_RETURN(auto tags_json, input::OptionalArray(call.input, "Tags"));
  if (!tags_json) return Fail(input::MissingMember("Tags"));
  MALLARD_ASSIGN_OR_RETURN(auto tags, codec::ParseTags(*tags_json));
  MALLARD_ASSIGN_OR_RETURN(auto table_name, TableFromResourceArn(call, arn));
  auto updated = store_->UpdateTable(call.scope, table_name, [&](TableDefinition& table) -> Status<> {
    for (const auto& [key, value] : tags) table.tags[key] = value;
    if (table.tags.size() > kMaxTagsPerResource)
      return Fail(errors::LimitExceeded("Too many tags for resource: the limit is 50"));
    return Done{};
  });
  if (!updated) return Fail(errors::ResourceNotFound("Requested resource not found: ResourcArn: " + arn + " not found"));
  if (!updated->ok()) return Fail(std::move(*updated).error());
  return Json{};
}

Result<Json> DynamoDbService::UntagResource(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "ResourceArn"));
  MALLARD_ASSIGN_OR_RETURN(auto keys_json, input::OptionalArray(call.input, "TagKeys"));
  if (!keys_json) return Fail(input::MissingMember("TagKeys"));
  MALLARD_ASSIGN_OR_RETURN(auto table_name, TableFromResourceArn(call, arn));
  auto updated = store_->UpdateTable(call.scope, table_name, [&](TableDefinition& table) -> Status<> {
    for (const auto& key : *keys_json)
      if (key.is_string()) table.tags.erase(std::string(key.get_string()));
    return Done{};
  });
  if (!updated) return Fail(errors::ResourceNotFound("Requested resource not found: ResourcArn: " + arn + " not found"));
  return Json{};
}

Result<Json> DynamoDbService::ListTagsOfResource(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "ResourceArn"));
  MALLARD_ASSIGN_OR_RETURN(auto table_name, TableFromResourceArn(call, arn));
  auto table = store_->GetTable(call.scope, table_name);
  if (!table)
    return Fail(errors::LookupFailed(
        table.error(), errors::ResourceNotFound("Requested resource not found: ResourcArn: " + arn + " not found")));
  json::array tags;
  for (const auto& [key, value] : table->tags) tags.push_back(Json{{"Key", key}, {"Value", value}});
  return Json{{"Tags", std::move(tags)}};
}

Result<Json> DynamoDbService::DescribeLimits(const Call&) {
  return Json{{"AccountMaxReadCapacityUnits", 80000},
              {"AccountMaxWriteCapacityUnits", 80000},
              {"TableMaxReadCapacityUnits", 40000},
              {"TableMaxWriteCapacityUnits", 40000}};
}

Result<Json> DynamoDbService::DescribeEndpoints(const Call& call) {
  // The endpoint clients should keep using is the one they reached us on.
  std::string address = call.context.endpoint_base;
  if (auto scheme = address.find("://"); scheme != std::string::npos) address = address.substr(scheme + 3);
  if (address.empty()) address = "dynamodb." + call.scope.region + ".amazonaws.com";
  return Json{{"Endpoints", json::array{Json{{"Address", address}, {"CachePeriodInMinutes", 1440}}}}};
}

}  // namespace mallard::dynamodb
