#include "services/dynamodb/redis/redis_dynamodb_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>

namespace mallard::dynamodb::redis_codec {
namespace json = boost::json;

namespace {

// ---- Reading members tolerantly: a missing member reads as its default ----------------------

std::string Str(const json::object& object, std::string_view name) {
  auto it = object.find(name);
  return it != object.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

std::int64_t Int(const json::object& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
  return 0;
}

bool Bool(const json::object& object, std::string_view name) {
  auto it = object.find(name);
  return it != object.end() && it->value().is_bool() && it->value().get_bool();
}

const json::object& Obj(const json::object& object, std::string_view name) {
  static const json::object kEmpty;
  auto it = object.find(name);
  return it != object.end() && it->value().is_object() ? it->value().get_object() : kEmpty;
}

const json::array& Arr(const json::object& object, std::string_view name) {
  static const json::array kEmpty;
  auto it = object.find(name);
  return it != object.end() && it->value().is_array() ? it->value().get_array() : kEmpty;
}

Result<json::object, std::string> ParseObject(std::string_view text) {
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  if (error || !value.is_object()) return Fail(std::string("stored document is not a JSON object"));
  return std::move(value.get_object());
}

Result<Item, std::string> MapMember(const json::object& object, std::string_view name) {
  return MapFromJson(Obj(object, name));
}

// ---- Key schemas, indexes, throughput ------------------------------------------------------

json::object KeyElementJson(const KeyElement& element) {
  return {{"n", element.name}, {"t", TypeTag(element.type)}};
}

KeyElement KeyElementFrom(const json::object& object) {
  KeyElement element;
  element.name = Str(object, "n");
  ParseTypeTag(Str(object, "t"), element.type);
  return element;
}

json::object KeysJson(const KeySchema& keys) {
  json::object out{{"p", KeyElementJson(keys.partition)}};
  if (keys.sort) out["s"] = KeyElementJson(*keys.sort);
  // Multi-attribute GSI keys only, so definitions stored before them read back unchanged.
  auto elements = [](const std::vector<KeyElement>& more) {
    json::array array;
    for (const auto& element : more) array.push_back(KeyElementJson(element));
    return array;
  };
  if (!keys.more_partition.empty()) out["mp"] = elements(keys.more_partition);
  if (!keys.more_sort.empty()) out["ms"] = elements(keys.more_sort);
  return out;
}

KeySchema KeysFrom(const json::object& object) {
  KeySchema keys;
  keys.partition = KeyElementFrom(Obj(object, "p"));
  if (object.contains("s")) keys.sort = KeyElementFrom(Obj(object, "s"));
  if (object.contains("mp"))
    for (const auto& element : Arr(object, "mp"))
      if (element.is_object()) keys.more_partition.push_back(KeyElementFrom(element.get_object()));
  if (object.contains("ms"))
    for (const auto& element : Arr(object, "ms"))
      if (element.is_object()) keys.more_sort.push_back(KeyElementFrom(element.get_object()));
  return keys;
}

json::object ThroughputJson(const Throughput& throughput) {
  return {{"r", throughput.read_units},          {"w", throughput.write_units},
          {"li", throughput.last_increase_millis}, {"ld", throughput.last_decrease_millis},
          {"dt", throughput.decreases_today}};
}

Throughput ThroughputFrom(const json::object& object) {
  return {Int(object, "r"), Int(object, "w"), Int(object, "li"), Int(object, "ld"), Int(object, "dt")};
}

json::object WarmJson(const WarmThroughput& warm) {
  return {{"r", warm.read_units_per_second}, {"w", warm.write_units_per_second}};
}

WarmThroughput WarmFrom(const json::object& object) { return {Int(object, "r"), Int(object, "w")}; }

json::object PoliciesJson(const std::map<std::string, ResourcePolicy>& policies) {
  json::object out;
  for (const auto& [resource, policy] : policies)
    out[resource] = json::object{{"doc", policy.document}, {"rev", policy.revision_id}};
  return out;
}

json::object IndexJson(const IndexDefinition& index) {
  json::array included;
  for (const auto& name : index.projection.non_key_attributes) included.emplace_back(name);
  return {{"name", index.name},
          {"global", index.global},
          {"keys", KeysJson(index.keys)},
          {"proj", static_cast<int>(index.projection.type)},
          {"incl", std::move(included)},
          {"tp", ThroughputJson(index.throughput)},
          {"status", index.status},
          {"arn", index.arn},
          {"warm", WarmJson(index.warm)}};
}

IndexDefinition IndexFrom(const json::object& object) {
  IndexDefinition index;
  index.name = Str(object, "name");
  index.global = Bool(object, "global");
  index.keys = KeysFrom(Obj(object, "keys"));
  index.projection.type = static_cast<ProjectionType>(Int(object, "proj"));
  for (const auto& name : Arr(object, "incl"))
    if (name.is_string()) index.projection.non_key_attributes.emplace_back(name.get_string());
  index.throughput = ThroughputFrom(Obj(object, "tp"));
  index.status = Str(object, "status");
  index.arn = Str(object, "arn");
  index.warm = WarmFrom(Obj(object, "warm"));
  return index;
}

json::object TableJson(const TableDefinition& table) {
  json::object attributes;
  for (const auto& [name, type] : table.attribute_definitions) attributes[name] = TypeTag(type);
  json::array indexes;
  for (const auto& index : table.indexes) indexes.push_back(IndexJson(index));
  json::object tags;
  for (const auto& [key, value] : table.tags) tags[key] = value;
  return {{"name", table.name},
          {"id", table.table_id},
          {"arn", table.arn},
          {"keys", KeysJson(table.keys)},
          {"attrs", std::move(attributes)},
          {"indexes", std::move(indexes)},
          {"billing", table.billing_mode},
          {"billing_ms", table.billing_mode_changed_millis},
          {"tp", ThroughputJson(table.throughput)},
          {"created", table.created_millis},
          {"status", table.status},
          {"stream", json::object{{"on", table.stream.enabled},
                                  {"view", table.stream.view_type},
                                  {"label", table.stream.label}}},
          {"ttl", table.ttl_attribute},
          {"pitr", table.pitr_enabled},
          {"pitr_ms", table.pitr_enabled_millis},
          {"protect", table.deletion_protection},
          {"class", table.table_class},
          {"tags", std::move(tags)},
          {"from_backup", table.restored_from_backup_arn},
          {"from_table", table.restored_from_table_arn},
          {"restored", table.restored_millis},
          {"pitr_days", table.pitr_recovery_days},
          {"sse_key", table.sse_kms_key_arn},
          {"warm", WarmJson(table.warm)},
          {"policies", PoliciesJson(table.policies)}};
}

TableDefinition TableFrom(const json::object& object) {
  TableDefinition table;
  table.name = Str(object, "name");
  table.table_id = Str(object, "id");
  table.arn = Str(object, "arn");
  table.keys = KeysFrom(Obj(object, "keys"));
  for (const auto& [name, tag] : Obj(object, "attrs")) {
    AttrType type = AttrType::S;
    if (tag.is_string()) ParseTypeTag(tag.get_string(), type);
    table.attribute_definitions[std::string(name)] = type;
  }
  for (const auto& index : Arr(object, "indexes"))
    if (index.is_object()) table.indexes.push_back(IndexFrom(index.get_object()));
  table.billing_mode = Str(object, "billing");
  table.billing_mode_changed_millis = Int(object, "billing_ms");
  table.throughput = ThroughputFrom(Obj(object, "tp"));
  table.created_millis = Int(object, "created");
  table.status = Str(object, "status");
  const json::object& stream = Obj(object, "stream");
  table.stream = {Bool(stream, "on"), Str(stream, "view"), Str(stream, "label")};
  table.ttl_attribute = Str(object, "ttl");
  table.pitr_enabled = Bool(object, "pitr");
  table.pitr_enabled_millis = Int(object, "pitr_ms");
  table.deletion_protection = Bool(object, "protect");
  table.table_class = Str(object, "class");
  for (const auto& [key, value] : Obj(object, "tags"))
    if (value.is_string()) table.tags[std::string(key)] = std::string(value.get_string());
  table.restored_from_backup_arn = Str(object, "from_backup");
  table.restored_from_table_arn = Str(object, "from_table");
  table.restored_millis = Int(object, "restored");
  table.pitr_recovery_days = object.contains("pitr_days") ? Int(object, "pitr_days") : 35;
  table.sse_kms_key_arn = Str(object, "sse_key");
  table.warm = WarmFrom(Obj(object, "warm"));
  for (const auto& [resource, policy] : Obj(object, "policies"))
    if (policy.is_object())
      table.policies[std::string(resource)] = {Str(policy.get_object(), "doc"), Str(policy.get_object(), "rev")};
  return table;
}

}  // namespace

std::string ItemToText(const Item& item) { return json::serialize(MapToJson(item)); }

Result<Item, std::string> ItemFromText(std::string_view text) {
  MALLARD_ASSIGN_OR_RETURN(json::object object, ParseObject(text));
  return MapFromJson(object);
}

std::string TableToText(const TableDefinition& table) { return json::serialize(TableJson(table)); }

Result<TableDefinition, std::string> TableFromText(std::string_view text) {
  MALLARD_ASSIGN_OR_RETURN(json::object object, ParseObject(text));
  return TableFrom(object);
}

std::string StreamToText(const StreamDescription& stream) {
  json::array shards;
  for (const auto& shard : stream.shards)
    shards.push_back(json::object{{"id", shard.shard_id},
                                  {"parent", shard.parent_shard_id},
                                  {"start", shard.starting_sequence_number},
                                  {"end", shard.ending_sequence_number}});
  return json::serialize(json::object{{"arn", stream.arn},
                                      {"label", stream.label},
                                      {"table", stream.table_name},
                                      {"status", stream.status},
                                      {"view", stream.view_type},
                                      {"keys", KeysJson(stream.keys)},
                                      {"created", stream.created_millis},
                                      {"shards", std::move(shards)}});
}

Result<StreamDescription, std::string> StreamFromText(std::string_view text) {
  MALLARD_ASSIGN_OR_RETURN(json::object object, ParseObject(text));
  StreamDescription stream;
  stream.arn = Str(object, "arn");
  stream.label = Str(object, "label");
  stream.table_name = Str(object, "table");
  stream.status = Str(object, "status");
  stream.view_type = Str(object, "view");
  stream.keys = KeysFrom(Obj(object, "keys"));
  stream.created_millis = Int(object, "created");
  for (const auto& shard : Arr(object, "shards")) {
    if (!shard.is_object()) continue;
    const json::object& fields = shard.get_object();
    stream.shards.push_back({Str(fields, "id"), Str(fields, "parent"), Str(fields, "start"), Str(fields, "end")});
  }
  return stream;
}

std::string StreamRecordToText(const StreamRecord& record) {
  json::object out{{"id", record.event_id},
                   {"ev", record.event_name},
                   {"at", record.created_millis},
                   {"k", MapToJson(record.keys)},
                   {"sz", static_cast<std::uint64_t>(record.size_bytes)},
                   {"vt", record.view_type},
                   {"ttl", record.by_ttl}};
  if (record.old_image) out["o"] = MapToJson(*record.old_image);
  if (record.new_image) out["n"] = MapToJson(*record.new_image);
  return json::serialize(out);
}

Result<StreamRecord, std::string> StreamRecordFromText(std::string_view text) {
  MALLARD_ASSIGN_OR_RETURN(json::object object, ParseObject(text));
  StreamRecord record;
  record.event_id = Str(object, "id");
  record.event_name = Str(object, "ev");
  record.created_millis = Int(object, "at");
  MALLARD_ASSIGN_OR_RETURN(record.keys, MapMember(object, "k"));
  record.size_bytes = static_cast<std::size_t>(Int(object, "sz"));
  record.view_type = Str(object, "vt");
  record.by_ttl = Bool(object, "ttl");
  if (object.contains("o")) {
    MALLARD_ASSIGN_OR_RETURN(Item old_image, MapMember(object, "o"));
    record.old_image = std::move(old_image);
  }
  if (object.contains("n")) {
    MALLARD_ASSIGN_OR_RETURN(Item new_image, MapMember(object, "n"));
    record.new_image = std::move(new_image);
  }
  return record;
}

std::string BackupToText(const BackupDescription& backup) {
  return json::serialize(json::object{{"arn", backup.arn},
                                      {"name", backup.name},
                                      {"table", backup.table_name},
                                      {"table_arn", backup.table_arn},
                                      {"table_id", backup.table_id},
                                      {"status", backup.status},
                                      {"type", backup.type},
                                      {"created", backup.created_millis},
                                      {"size", backup.size_bytes},
                                      {"count", backup.item_count},
                                      {"def", TableJson(backup.table)}});
}

Result<BackupDescription, std::string> BackupFromText(std::string_view text) {
  MALLARD_ASSIGN_OR_RETURN(json::object object, ParseObject(text));
  BackupDescription backup;
  backup.arn = Str(object, "arn");
  backup.name = Str(object, "name");
  backup.table_name = Str(object, "table");
  backup.table_arn = Str(object, "table_arn");
  backup.table_id = Str(object, "table_id");
  backup.status = Str(object, "status");
  backup.type = Str(object, "type");
  backup.created_millis = Int(object, "created");
  backup.size_bytes = Int(object, "size");
  backup.item_count = Int(object, "count");
  backup.table = TableFrom(Obj(object, "def"));
  return backup;
}

}  // namespace mallard::dynamodb::redis_codec
