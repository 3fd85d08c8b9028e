#include "services/dynamodb/ddb_state.hpp"

#include <boost/json.hpp>

#include "common/ids.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using services::StateRecord;
using services::StateScope;

namespace {

std::string StoreProblem(const StoreError& error) {
  return "the DynamoDB store failed" + (error.detail.empty() ? std::string() : ": " + error.detail);
}

// Reads one record body's members with an error naming the record and the member.
class Reader {
 public:
  Reader(const json::object& body, std::string what) : body_(body), what_(std::move(what)) {}

  Result<std::string, std::string> Text(std::string_view name, bool required = true) const {
    const auto* value = body_.if_contains(name);
    if (!value || value->is_null()) {
      if (required) return Fail(Missing(name));
      return std::string();
    }
    if (!value->is_string()) return Fail(what_ + ": " + std::string(name) + " is not a string");
    return std::string(value->get_string());
  }
  Result<std::int64_t, std::string> Integer(std::string_view name, bool required = false) const {
    const auto* value = body_.if_contains(name);
    if (!value || value->is_null()) {
      if (required) return Fail(Missing(name));
      return std::int64_t{0};
    }
    if (value->is_int64()) return value->get_int64();
    if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
      return static_cast<std::int64_t>(value->get_uint64());
    return Fail(what_ + ": " + std::string(name) + " is not an integer");
  }
  Result<bool, std::string> Bool(std::string_view name) const {
    const auto* value = body_.if_contains(name);
    if (!value || value->is_null()) return false;
    if (!value->is_bool()) return Fail(what_ + ": " + std::string(name) + " is not a boolean");
    return value->get_bool();
  }
  Result<const json::object*, std::string> Object(std::string_view name, bool required = false) const {
    const auto* value = body_.if_contains(name);
    if (!value || value->is_null()) {
      if (required) return Fail(Missing(name));
      return static_cast<const json::object*>(nullptr);
    }
    if (!value->is_object()) return Fail(what_ + ": " + std::string(name) + " is not an object");
    return &value->get_object();
  }
  Result<const json::array*, std::string> Array(std::string_view name) const {
    static const json::array empty;
    const auto* value = body_.if_contains(name);
    if (!value || value->is_null()) return &empty;
    if (!value->is_array()) return Fail(what_ + ": " + std::string(name) + " is not an array");
    return &value->get_array();
  }
  Result<Item, std::string> ItemAt(std::string_view name) const {
    MALLARD_ASSIGN_OR_RETURN(const json::object* object, Object(name, true));
    auto item = MapFromJson(*object);
    if (!item.ok()) return Fail(what_ + ": " + std::string(name) + ": " + item.error());
    return std::move(item).value();
  }
  const std::string& What() const { return what_; }

 private:
  std::string Missing(std::string_view name) const { return what_ + ": " + std::string(name) + " is missing"; }
  const json::object& body_;
  std::string what_;
};

Result<const json::object*, std::string> ElementObject(const json::value& value, const std::string& what) {
  if (!value.is_object()) return Fail(what + ": an element is not an object");
  return &value.get_object();
}

// ---- Keys, indexes, throughput

json::array KeySchemaRecord(const KeySchema& keys) {
  json::array out;
  bool hash = true;
  auto add = [&](const KeyElement& element, const char* key_type) {
    out.push_back(json::object{{"AttributeName", element.name},
                               {"KeyType", key_type},
                               {"AttributeType", std::string(TypeTag(element.type))}});
  };
  add(keys.partition, "HASH");
  for (const auto& element : keys.more_partition) add(element, "HASH");
  if (keys.sort) add(*keys.sort, "RANGE");
  for (const auto& element : keys.more_sort) add(element, "RANGE");
  (void)hash;
  return out;
}

Result<KeySchema, std::string> KeySchemaFrom(const json::array& array, const std::string& what) {
  KeySchema keys;
  bool have_partition = false;
  for (const auto& value : array) {
    MALLARD_ASSIGN_OR_RETURN(const json::object* object, ElementObject(value, what + ": KeySchema"));
    Reader reader(*object, what + ": KeySchema");
    KeyElement element;
    MALLARD_ASSIGN_OR_RETURN(element.name, reader.Text("AttributeName"));
    MALLARD_ASSIGN_OR_RETURN(auto type, reader.Text("AttributeType"));
    if (!ParseTypeTag(type, element.type)) return Fail(what + ": KeySchema: unknown AttributeType " + type);
    MALLARD_ASSIGN_OR_RETURN(auto key_type, reader.Text("KeyType"));
    if (key_type == "HASH") {
      if (!have_partition) {
        keys.partition = std::move(element);
        have_partition = true;
      } else {
        keys.more_partition.push_back(std::move(element));
      }
    } else if (key_type == "RANGE") {
      if (!keys.sort)
        keys.sort = std::move(element);
      else
        keys.more_sort.push_back(std::move(element));
    } else {
      return Fail(what + ": KeySchema: unknown KeyType " + key_type);
    }
  }
  if (!have_partition) return Fail(what + ": KeySchema has no HASH key");
  return keys;
}

json::object ThroughputRecord(const Throughput& throughput) {
  return json::object{{"ReadCapacityUnits", throughput.read_units},
                      {"WriteCapacityUnits", throughput.write_units},
                      {"LastIncreaseDateTime", throughput.last_increase_millis},
                      {"LastDecreaseDateTime", throughput.last_decrease_millis},
                      {"NumberOfDecreasesToday", throughput.decreases_today}};
}

Result<Throughput, std::string> ThroughputFrom(const json::object* object, const std::string& what) {
  Throughput throughput;
  if (!object) return throughput;
  Reader reader(*object, what + ": ProvisionedThroughput");
  MALLARD_ASSIGN_OR_RETURN(throughput.read_units, reader.Integer("ReadCapacityUnits"));
  MALLARD_ASSIGN_OR_RETURN(throughput.write_units, reader.Integer("WriteCapacityUnits"));
  MALLARD_ASSIGN_OR_RETURN(throughput.last_increase_millis, reader.Integer("LastIncreaseDateTime"));
  MALLARD_ASSIGN_OR_RETURN(throughput.last_decrease_millis, reader.Integer("LastDecreaseDateTime"));
  MALLARD_ASSIGN_OR_RETURN(throughput.decreases_today, reader.Integer("NumberOfDecreasesToday"));
  return throughput;
}

json::object WarmRecord(const WarmThroughput& warm) {
  return json::object{{"ReadUnitsPerSecond", warm.read_units_per_second},
                      {"WriteUnitsPerSecond", warm.write_units_per_second}};
}

Result<WarmThroughput, std::string> WarmFrom(const json::object* object, const std::string& what) {
  WarmThroughput warm;
  if (!object) return warm;
  Reader reader(*object, what + ": WarmThroughput");
  MALLARD_ASSIGN_OR_RETURN(warm.read_units_per_second, reader.Integer("ReadUnitsPerSecond"));
  MALLARD_ASSIGN_OR_RETURN(warm.write_units_per_second, reader.Integer("WriteUnitsPerSecond"));
  return warm;
}

const char* ProjectionName(ProjectionType type) {
  switch (type) {
    case ProjectionType::All: return "ALL";
    case ProjectionType::KeysOnly: return "KEYS_ONLY";
    case ProjectionType::Include: return "INCLUDE";
  }
  return "ALL";
}

json::array StringArray(const std::vector<std::string>& strings) {
  json::array out;
  for (const auto& text : strings) out.push_back(json::string(text));
  return out;
}

Result<std::vector<std::string>, std::string> StringsFrom(const json::array& array, const std::string& what) {
  std::vector<std::string> out;
  for (const auto& value : array) {
    if (!value.is_string()) return Fail(what + ": an element is not a string");
    out.emplace_back(value.get_string());
  }
  return out;
}

json::object IndexRecord(const IndexDefinition& index) {
  json::object projection{{"ProjectionType", ProjectionName(index.projection.type)}};
  if (index.projection.type == ProjectionType::Include)
    projection["NonKeyAttributes"] = StringArray(index.projection.non_key_attributes);
  return json::object{{"IndexName", index.name},
                      {"KeySchema", KeySchemaRecord(index.keys)},
                      {"Projection", std::move(projection)},
                      {"ProvisionedThroughput", ThroughputRecord(index.throughput)},
                      {"IndexStatus", index.status},
                      {"IndexArn", index.arn},
                      {"WarmThroughput", WarmRecord(index.warm)}};
}

Result<IndexDefinition, std::string> IndexFrom(const json::object& object, bool global, const std::string& what) {
  Reader reader(object, what);
  IndexDefinition index;
  index.global = global;
  MALLARD_ASSIGN_OR_RETURN(index.name, reader.Text("IndexName"));
  const std::string where = what + " " + index.name;
  MALLARD_ASSIGN_OR_RETURN(const json::array* keys, reader.Array("KeySchema"));
  MALLARD_ASSIGN_OR_RETURN(index.keys, KeySchemaFrom(*keys, where));
  MALLARD_ASSIGN_OR_RETURN(const json::object* projection, reader.Object("Projection", true));
  Reader projection_reader(*projection, where + ": Projection");
  MALLARD_ASSIGN_OR_RETURN(auto type, projection_reader.Text("ProjectionType"));
  if (type == "ALL") {
    index.projection.type = ProjectionType::All;
  } else if (type == "KEYS_ONLY") {
    index.projection.type = ProjectionType::KeysOnly;
  } else if (type == "INCLUDE") {
    index.projection.type = ProjectionType::Include;
    MALLARD_ASSIGN_OR_RETURN(const json::array* names, projection_reader.Array("NonKeyAttributes"));
    MALLARD_ASSIGN_OR_RETURN(index.projection.non_key_attributes, StringsFrom(*names, where + ": NonKeyAttributes"));
  } else {
    return Fail(where + ": unknown ProjectionType " + type);
  }
  MALLARD_ASSIGN_OR_RETURN(const json::object* throughput, reader.Object("ProvisionedThroughput"));
  MALLARD_ASSIGN_OR_RETURN(index.throughput, ThroughputFrom(throughput, where));
  MALLARD_ASSIGN_OR_RETURN(index.status, reader.Text("IndexStatus"));
  MALLARD_ASSIGN_OR_RETURN(index.arn, reader.Text("IndexArn", false));
  MALLARD_ASSIGN_OR_RETURN(const json::object* warm, reader.Object("WarmThroughput"));
  MALLARD_ASSIGN_OR_RETURN(index.warm, WarmFrom(warm, where));
  return index;
}

}  // namespace

json::object StreamRecordJson(const StreamRecord& record, const std::string& stream_arn, const std::string& shard_id) {
  json::object out{{"StreamArn", stream_arn},
                   {"ShardId", shard_id},
                   {"eventID", record.event_id},
                   {"eventName", record.event_name},
                   {"SequenceNumber", record.sequence_number},
                   {"ApproximateCreationDateTime", record.created_millis},
                   {"Keys", MapToJson(record.keys)},
                   {"SizeBytes", static_cast<std::int64_t>(record.size_bytes)},
                   {"StreamViewType", record.view_type},
                   {"by_ttl", record.by_ttl}};
  if (record.old_image) out["OldImage"] = MapToJson(*record.old_image);
  if (record.new_image) out["NewImage"] = MapToJson(*record.new_image);
  return out;
}

Result<StreamRecord, std::string> StreamRecordFrom(const json::object& body) {
  Reader reader(body, "stream_record");
  StreamRecord record;
  MALLARD_ASSIGN_OR_RETURN(record.event_id, reader.Text("eventID"));
  MALLARD_ASSIGN_OR_RETURN(record.event_name, reader.Text("eventName"));
  MALLARD_ASSIGN_OR_RETURN(record.sequence_number, reader.Text("SequenceNumber"));
  if (ParseSequence(record.sequence_number) == 0)
    return Fail("stream_record: SequenceNumber " + record.sequence_number + " is not a sequence number");
  MALLARD_ASSIGN_OR_RETURN(record.created_millis, reader.Integer("ApproximateCreationDateTime", true));
  MALLARD_ASSIGN_OR_RETURN(record.keys, reader.ItemAt("Keys"));
  if (body.contains("OldImage")) {
    MALLARD_ASSIGN_OR_RETURN(auto image, reader.ItemAt("OldImage"));
    record.old_image = std::move(image);
  }
  if (body.contains("NewImage")) {
    MALLARD_ASSIGN_OR_RETURN(auto image, reader.ItemAt("NewImage"));
    record.new_image = std::move(image);
  }
  MALLARD_ASSIGN_OR_RETURN(auto size, reader.Integer("SizeBytes"));
  record.size_bytes = static_cast<std::size_t>(size < 0 ? 0 : size);
  MALLARD_ASSIGN_OR_RETURN(record.view_type, reader.Text("StreamViewType"));
  MALLARD_ASSIGN_OR_RETURN(record.by_ttl, reader.Bool("by_ttl"));
  return record;
}

json::object StreamJson(const StreamExport& stream) {
  const auto& description = stream.description;
  json::array shards;
  for (const auto& shard : description.shards)
    shards.push_back(json::object{{"ShardId", shard.shard_id},
                                  {"ParentShardId", shard.parent_shard_id},
                                  {"StartingSequenceNumber", shard.starting_sequence_number},
                                  {"EndingSequenceNumber", shard.ending_sequence_number}});
  return json::object{{"StreamArn", description.arn},
                      {"StreamLabel", description.label},
                      {"TableName", description.table_name},
                      {"StreamStatus", description.status},
                      {"StreamViewType", description.view_type},
                      {"KeySchema", KeySchemaRecord(description.keys)},
                      {"CreationRequestDateTime", description.created_millis},
                      {"Shards", std::move(shards)},
                      {"closed_millis", stream.closed_millis}};
}

Result<StreamExport, std::string> StreamFrom(const json::object& body) {
  Reader reader(body, "stream");
  StreamExport stream;
  auto& description = stream.description;
  MALLARD_ASSIGN_OR_RETURN(description.arn, reader.Text("StreamArn"));
  MALLARD_ASSIGN_OR_RETURN(description.label, reader.Text("StreamLabel"));
  MALLARD_ASSIGN_OR_RETURN(description.table_name, reader.Text("TableName"));
  MALLARD_ASSIGN_OR_RETURN(description.status, reader.Text("StreamStatus"));
  MALLARD_ASSIGN_OR_RETURN(description.view_type, reader.Text("StreamViewType"));
  MALLARD_ASSIGN_OR_RETURN(const json::array* keys, reader.Array("KeySchema"));
  MALLARD_ASSIGN_OR_RETURN(description.keys, KeySchemaFrom(*keys, "stream " + description.arn));
  MALLARD_ASSIGN_OR_RETURN(description.created_millis, reader.Integer("CreationRequestDateTime"));
  MALLARD_ASSIGN_OR_RETURN(const json::array* shards, reader.Array("Shards"));
  for (const auto& value : *shards) {
    MALLARD_ASSIGN_OR_RETURN(const json::object* object, ElementObject(value, "stream: Shards"));
    Reader shard_reader(*object, "stream " + description.arn + ": Shards");
    StreamShard shard;
    MALLARD_ASSIGN_OR_RETURN(shard.shard_id, shard_reader.Text("ShardId"));
    MALLARD_ASSIGN_OR_RETURN(shard.parent_shard_id, shard_reader.Text("ParentShardId", false));
    MALLARD_ASSIGN_OR_RETURN(shard.starting_sequence_number, shard_reader.Text("StartingSequenceNumber", false));
    MALLARD_ASSIGN_OR_RETURN(shard.ending_sequence_number, shard_reader.Text("EndingSequenceNumber", false));
    description.shards.push_back(std::move(shard));
  }
  if (description.shards.empty()) return Fail("stream " + description.arn + " has no shard");
  MALLARD_ASSIGN_OR_RETURN(stream.closed_millis, reader.Integer("closed_millis"));
  return stream;
}

json::object BackupJson(const BackupDescription& backup) {
  return json::object{{"BackupArn", backup.arn},
                      {"BackupName", backup.name},
                      {"TableName", backup.table_name},
                      {"TableArn", backup.table_arn},
                      {"TableId", backup.table_id},
                      {"BackupStatus", backup.status},
                      {"BackupType", backup.type},
                      {"BackupCreationDateTime", backup.created_millis},
                      {"BackupSizeBytes", backup.size_bytes},
                      {"ItemCount", backup.item_count},
                      {"Table", TableRecordJson(backup.table)}};
}

Result<BackupDescription, std::string> BackupFrom(const json::object& body) {
  Reader reader(body, "backup");
  BackupDescription backup;
  MALLARD_ASSIGN_OR_RETURN(backup.arn, reader.Text("BackupArn"));
  MALLARD_ASSIGN_OR_RETURN(backup.name, reader.Text("BackupName"));
  MALLARD_ASSIGN_OR_RETURN(backup.table_name, reader.Text("TableName"));
  MALLARD_ASSIGN_OR_RETURN(backup.table_arn, reader.Text("TableArn", false));
  MALLARD_ASSIGN_OR_RETURN(backup.table_id, reader.Text("TableId", false));
  MALLARD_ASSIGN_OR_RETURN(backup.status, reader.Text("BackupStatus"));
  MALLARD_ASSIGN_OR_RETURN(backup.type, reader.Text("BackupType"));
  MALLARD_ASSIGN_OR_RETURN(backup.created_millis, reader.Integer("BackupCreationDateTime"));
  MALLARD_ASSIGN_OR_RETURN(backup.size_bytes, reader.Integer("BackupSizeBytes"));
  MALLARD_ASSIGN_OR_RETURN(backup.item_count, reader.Integer("ItemCount"));
  MALLARD_ASSIGN_OR_RETURN(const json::object* table, reader.Object("Table", true));
  auto definition = TableFromRecord(*table);
  if (!definition.ok()) return Fail("backup " + backup.arn + ": " + definition.error());
  backup.table = std::move(definition).value();
  return backup;
}

namespace {

Status<std::string> Emit(const services::StateRecordSink& sink, const char* kind, json::object body) {
  return sink(StateRecord{kind, std::move(body)});
}

}  // namespace

json::object TableRecordJson(const TableDefinition& table) {
  json::array definitions;
  for (const auto& [name, type] : table.attribute_definitions)
    definitions.push_back(json::object{{"AttributeName", name}, {"AttributeType", std::string(TypeTag(type))}});
  json::array global_indexes;
  json::array local_indexes;
  for (const auto& index : table.indexes) (index.global ? global_indexes : local_indexes).push_back(IndexRecord(index));
  json::object tags;
  for (const auto& [key, value] : table.tags) tags[key] = value;
  json::array policies;
  for (const auto& [resource, policy] : table.policies)
    policies.push_back(json::object{{"Resource", resource}, {"Policy", policy.document}, {"RevisionId", policy.revision_id}});
  return json::object{
      {"TableName", table.name},
      {"TableId", table.table_id},
      {"TableArn", table.arn},
      {"KeySchema", KeySchemaRecord(table.keys)},
      {"AttributeDefinitions", std::move(definitions)},
      {"GlobalSecondaryIndexes", std::move(global_indexes)},
      {"LocalSecondaryIndexes", std::move(local_indexes)},
      {"BillingMode", table.billing_mode},
      {"LastUpdateToPayPerRequestDateTime", table.billing_mode_changed_millis},
      {"ProvisionedThroughput", ThroughputRecord(table.throughput)},
      {"CreationDateTime", table.created_millis},
      {"TableStatus", table.status},
      {"StreamSpecification", json::object{{"StreamEnabled", table.stream.enabled},
                                           {"StreamViewType", table.stream.view_type}}},
      {"LatestStreamLabel", table.stream.label},
      {"TimeToLiveSpecification", json::object{{"Enabled", !table.ttl_attribute.empty()},
                                               {"AttributeName", table.ttl_attribute}}},
      {"PointInTimeRecovery", json::object{{"Enabled", table.pitr_enabled},
                                           {"EnabledDateTime", table.pitr_enabled_millis},
                                           {"RecoveryPeriodInDays", table.pitr_recovery_days}}},
      {"DeletionProtectionEnabled", table.deletion_protection},
      {"TableClass", table.table_class},
      {"Tags", std::move(tags)},
      {"RestoreSummary", json::object{{"SourceBackupArn", table.restored_from_backup_arn},
                                      {"SourceTableArn", table.restored_from_table_arn},
                                      {"RestoreDateTime", table.restored_millis}}},
      {"KMSMasterKeyArn", table.sse_kms_key_arn},
      {"WarmThroughput", WarmRecord(table.warm)},
      {"ResourcePolicies", std::move(policies)}};
}

Result<TableDefinition, std::string> TableFromRecord(const json::object& body) {
  Reader reader(body, "table");
  TableDefinition table;
  MALLARD_ASSIGN_OR_RETURN(table.name, reader.Text("TableName"));
  const std::string what = "table " + table.name;
  Reader named(body, what);
  MALLARD_ASSIGN_OR_RETURN(table.table_id, named.Text("TableId", false));
  MALLARD_ASSIGN_OR_RETURN(table.arn, named.Text("TableArn"));
  MALLARD_ASSIGN_OR_RETURN(const json::array* keys, named.Array("KeySchema"));
  MALLARD_ASSIGN_OR_RETURN(table.keys, KeySchemaFrom(*keys, what));
  MALLARD_ASSIGN_OR_RETURN(const json::array* definitions, named.Array("AttributeDefinitions"));
  for (const auto& value : *definitions) {
    MALLARD_ASSIGN_OR_RETURN(const json::object* object, ElementObject(value, what + ": AttributeDefinitions"));
    Reader element(*object, what + ": AttributeDefinitions");
    MALLARD_ASSIGN_OR_RETURN(auto name, element.Text("AttributeName"));
    MALLARD_ASSIGN_OR_RETURN(auto type_tag, element.Text("AttributeType"));
    AttrType type;
    if (!ParseTypeTag(type_tag, type)) return Fail(what + ": unknown AttributeType " + type_tag);
    table.attribute_definitions[name] = type;
  }
  for (const auto& [member, global] : {std::pair{"GlobalSecondaryIndexes", true}, std::pair{"LocalSecondaryIndexes", false}}) {
    MALLARD_ASSIGN_OR_RETURN(const json::array* indexes, named.Array(member));
    for (const auto& value : *indexes) {
      MALLARD_ASSIGN_OR_RETURN(const json::object* object, ElementObject(value, what + ": " + member));
      MALLARD_ASSIGN_OR_RETURN(auto index, IndexFrom(*object, global, what + ": " + member));
      table.indexes.push_back(std::move(index));
    }
  }
  MALLARD_ASSIGN_OR_RETURN(table.billing_mode, named.Text("BillingMode"));
  MALLARD_ASSIGN_OR_RETURN(table.billing_mode_changed_millis, named.Integer("LastUpdateToPayPerRequestDateTime"));
  MALLARD_ASSIGN_OR_RETURN(const json::object* throughput, named.Object("ProvisionedThroughput"));
  MALLARD_ASSIGN_OR_RETURN(table.throughput, ThroughputFrom(throughput, what));
  MALLARD_ASSIGN_OR_RETURN(table.created_millis, named.Integer("CreationDateTime"));
  MALLARD_ASSIGN_OR_RETURN(table.status, named.Text("TableStatus"));
  MALLARD_ASSIGN_OR_RETURN(const json::object* stream, named.Object("StreamSpecification"));
  if (stream) {
    Reader stream_reader(*stream, what + ": StreamSpecification");
    MALLARD_ASSIGN_OR_RETURN(table.stream.enabled, stream_reader.Bool("StreamEnabled"));
    MALLARD_ASSIGN_OR_RETURN(table.stream.view_type, stream_reader.Text("StreamViewType", false));
  }
  MALLARD_ASSIGN_OR_RETURN(table.stream.label, named.Text("LatestStreamLabel", false));
  MALLARD_ASSIGN_OR_RETURN(const json::object* ttl, named.Object("TimeToLiveSpecification"));
  if (ttl) {
    Reader ttl_reader(*ttl, what + ": TimeToLiveSpecification");
    MALLARD_ASSIGN_OR_RETURN(bool enabled, ttl_reader.Bool("Enabled"));
    if (enabled) {
      MALLARD_ASSIGN_OR_RETURN(table.ttl_attribute, ttl_reader.Text("AttributeName"));
    }
  }
  MALLARD_ASSIGN_OR_RETURN(const json::object* pitr, named.Object("PointInTimeRecovery"));
  if (pitr) {
    Reader pitr_reader(*pitr, what + ": PointInTimeRecovery");
    MALLARD_ASSIGN_OR_RETURN(table.pitr_enabled, pitr_reader.Bool("Enabled"));
    MALLARD_ASSIGN_OR_RETURN(table.pitr_enabled_millis, pitr_reader.Integer("EnabledDateTime"));
    if (pitr->contains("RecoveryPeriodInDays")) {  // absent: the table's default (35 days)
      MALLARD_ASSIGN_OR_RETURN(table.pitr_recovery_days, pitr_reader.Integer("RecoveryPeriodInDays"));
    }
  }
  MALLARD_ASSIGN_OR_RETURN(table.deletion_protection, named.Bool("DeletionProtectionEnabled"));
  MALLARD_ASSIGN_OR_RETURN(table.table_class, named.Text("TableClass"));
  MALLARD_ASSIGN_OR_RETURN(const json::object* tags, named.Object("Tags"));
  if (tags)
    for (const auto& [key, value] : *tags) {
      if (!value.is_string()) return Fail(what + ": tag " + std::string(key) + " is not a string");
      table.tags[std::string(key)] = std::string(value.get_string());
    }
  MALLARD_ASSIGN_OR_RETURN(const json::object* restore, named.Object("RestoreSummary"));
  if (restore) {
    Reader restore_reader(*restore, what + ": RestoreSummary");
    MALLARD_ASSIGN_OR_RETURN(table.restored_from_backup_arn, restore_reader.Text("SourceBackupArn", false));
    MALLARD_ASSIGN_OR_RETURN(table.restored_from_table_arn, restore_reader.Text("SourceTableArn", false));
    MALLARD_ASSIGN_OR_RETURN(table.restored_millis, restore_reader.Integer("RestoreDateTime"));
  }
  MALLARD_ASSIGN_OR_RETURN(table.sse_kms_key_arn, named.Text("KMSMasterKeyArn", false));
  MALLARD_ASSIGN_OR_RETURN(const json::object* warm, named.Object("WarmThroughput"));
  MALLARD_ASSIGN_OR_RETURN(table.warm, WarmFrom(warm, what));
  MALLARD_ASSIGN_OR_RETURN(const json::array* policies, named.Array("ResourcePolicies"));
  for (const auto& value : *policies) {
    MALLARD_ASSIGN_OR_RETURN(const json::object* object, ElementObject(value, what + ": ResourcePolicies"));
    Reader policy_reader(*object, what + ": ResourcePolicies");
    MALLARD_ASSIGN_OR_RETURN(auto resource, policy_reader.Text("Resource", false));
    ResourcePolicy policy;
    MALLARD_ASSIGN_OR_RETURN(policy.document, policy_reader.Text("Policy"));
    MALLARD_ASSIGN_OR_RETURN(policy.revision_id, policy_reader.Text("RevisionId"));
    table.policies[resource] = std::move(policy);
  }
  return table;
}

Result<std::vector<StateScope>, std::string> DynamoDbState::Scopes() {
  auto scopes = store_->ListStateScopes();
  if (!scopes) return Fail(StoreProblem(scopes.error()));
  std::vector<StateScope> out;
  for (const auto& scope : scopes.value()) out.push_back(StateScope{scope.account, scope.region});
  return out;
}

Status<std::string> DynamoDbState::Save(const StateScope& state_scope, const services::StateRecordSink& sink) {
  const Scope scope{state_scope.account, state_scope.region};
  std::string table_name;
  std::string backup_arn;
  ScopeExportVisitor visit;
  visit.table = [&](const TableDefinition& table) {
    table_name = table.name;
    return Emit(sink, "table", TableRecordJson(table));
  };
  visit.item = [&](const Item& item) {
    return Emit(sink, "item", json::object{{"TableName", table_name}, {"Item", MapToJson(item)}});
  };
  visit.pitr_change = [&](const PitrChange& change) {
    json::object body{{"TableName", table_name}, {"changed_millis", change.millis}, {"Key", MapToJson(change.key)}};
    if (change.before) body["Before"] = MapToJson(*change.before);
    return Emit(sink, "pitr_change", std::move(body));
  };
  visit.stream = [&](const StreamExport& stream) -> Status<std::string> {
    MALLARD_RETURN_IF_ERROR(Emit(sink, "stream", StreamJson(stream)));
    const std::string& shard_id = stream.description.shards.front().shard_id;
    for (const auto& record : stream.records)
      MALLARD_RETURN_IF_ERROR(Emit(sink, "stream_record", StreamRecordJson(record, stream.description.arn, shard_id)));
    return Done{};
  };
  visit.backup = [&](const BackupDescription& backup) {
    backup_arn = backup.arn;
    return Emit(sink, "backup", BackupJson(backup));
  };
  visit.backup_item = [&](const Item& item) {
    return Emit(sink, "backup_item", json::object{{"BackupArn", backup_arn}, {"Item", MapToJson(item)}});
  };
  auto exported = store_->ExportScope(scope, WallClockMillis(), visit);
  if (!exported) return Fail(StoreProblem(exported.error()));
  return std::move(exported).value();
}

Status<std::string> DynamoDbState::Load(const StateScope& state_scope, int record_version,
                                        const services::StateRecordSource& records) {
  if (record_version > RecordVersion())
    return Fail("DynamoDB records of version " + std::to_string(record_version) + " are newer than this Mallard reads (" +
                std::to_string(RecordVersion()) + ")");
  const Scope scope{state_scope.account, state_scope.region};
  std::optional<TableImport> table;          // the table (or deleted table's streams) being gathered
  std::optional<BackupImport> backup;
  std::size_t number = 0;
  auto flush = [&]() -> Status<std::string> {
    if (table) {
      auto imported = store_->ImportTable(scope, std::move(*table));
      table.reset();
      if (!imported) return Fail(StoreProblem(imported.error()));
    }
    if (backup) {
      auto imported = store_->ImportBackup(scope, std::move(*backup));
      backup.reset();
      if (!imported) return Fail(StoreProblem(imported.error()));
    }
    return Done{};
  };
  auto current_table = [&]() -> std::string {
    if (!table) return {};
    if (table->definition) return table->definition->name;
    return table->streams.empty() ? std::string() : table->streams.front().description.table_name;
  };
  auto load_one = [&](StateRecord& record) -> Status<std::string> {
    Reader reader(record.body, record.kind);
    if (record.kind == "table") {
      MALLARD_RETURN_IF_ERROR(flush());
      MALLARD_ASSIGN_OR_RETURN(auto definition, TableFromRecord(record.body));
      table.emplace();
      table->definition = std::move(definition);
    } else if (record.kind == "item" || record.kind == "pitr_change") {
      MALLARD_ASSIGN_OR_RETURN(auto name, reader.Text("TableName"));
      if (!table || !table->definition || table->definition->name != name || backup)
        return Fail(record.kind + " of table " + name + " does not follow that table's record");
      if (record.kind == "item") {
        MALLARD_ASSIGN_OR_RETURN(auto item, reader.ItemAt("Item"));
        if (!HasKeyAttributes(table->definition->keys, item))
          return Fail("an item of table " + name + " lacks the table's key attributes");
        table->items.push_back(std::move(item));
      } else {
        PitrChange change;
        MALLARD_ASSIGN_OR_RETURN(change.millis, reader.Integer("changed_millis", true));
        MALLARD_ASSIGN_OR_RETURN(change.key, reader.ItemAt("Key"));
        if (!HasKeyAttributes(table->definition->keys, change.key))
          return Fail("a pitr_change of table " + name + " lacks the table's key attributes");
        if (record.body.contains("Before")) {
          MALLARD_ASSIGN_OR_RETURN(auto before, reader.ItemAt("Before"));
          change.before = std::move(before);
        }
        table->history.push_back(std::move(change));
      }
    } else if (record.kind == "stream") {
      MALLARD_ASSIGN_OR_RETURN(auto stream, StreamFrom(record.body));
      if (backup || current_table() != stream.description.table_name) {
        // A deleted table's streams: gathered on their own, replacing that name's streams.
        MALLARD_RETURN_IF_ERROR(flush());
        table.emplace();
      }
      table->streams.push_back(std::move(stream));
    } else if (record.kind == "stream_record") {
      MALLARD_ASSIGN_OR_RETURN(auto arn, reader.Text("StreamArn"));
      MALLARD_ASSIGN_OR_RETURN(auto shard_id, reader.Text("ShardId"));
      if (!table || table->streams.empty() || table->streams.back().description.arn != arn)
        return Fail("a stream_record of stream " + arn + " does not follow that stream's record");
      auto& stream = table->streams.back();
      if (stream.description.shards.front().shard_id != shard_id)
        return Fail("a stream_record names shard " + shard_id + ", which stream " + arn + " does not have");
      MALLARD_ASSIGN_OR_RETURN(auto stream_record, StreamRecordFrom(record.body));
      if (!stream.records.empty() && ParseSequence(stream.records.back().sequence_number) >=
                                         ParseSequence(stream_record.sequence_number))
        return Fail("stream_record " + stream_record.sequence_number + " of stream " + arn +
                    " is not after the one before it");
      stream.records.push_back(std::move(stream_record));
    } else if (record.kind == "backup") {
      MALLARD_RETURN_IF_ERROR(flush());
      MALLARD_ASSIGN_OR_RETURN(auto description, BackupFrom(record.body));
      backup.emplace();
      backup->description = std::move(description);
    } else if (record.kind == "backup_item") {
      MALLARD_ASSIGN_OR_RETURN(auto arn, reader.Text("BackupArn"));
      if (!backup || backup->description.arn != arn)
        return Fail("a backup_item of backup " + arn + " does not follow that backup's record");
      MALLARD_ASSIGN_OR_RETURN(auto item, reader.ItemAt("Item"));
      if (!HasKeyAttributes(backup->description.table.keys, item))
        return Fail("an item of backup " + arn + " lacks the table's key attributes");
      backup->items.push_back(std::move(item));
    } else {
      return Fail("DynamoDB has no record kind '" + record.kind + "'");
    }
    return Done{};
  };
  for (;;) {
    MALLARD_ASSIGN_OR_RETURN(auto next, records());
    if (!next) break;
    ++number;
    if (auto loaded = load_one(*next); !loaded.ok())
      return Fail("DynamoDB record " + std::to_string(number) + " (" + next->kind + "): " + loaded.error());
  }
  return flush();
}

Status<std::string> DynamoDbState::Clear(const StateScope& scope) {
  auto cleared = store_->ClearScope(Scope{scope.account, scope.region});
  if (!cleared) return Fail(StoreProblem(cleared.error()));
  return Done{};
}

}  // namespace mallard::dynamodb
