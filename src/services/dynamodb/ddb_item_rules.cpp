#include "services/dynamodb/ddb_item_rules.hpp"

#include <algorithm>
#include <cmath>

#include "services/dynamodb/ddb_input.hpp"

namespace mallard::dynamodb::rules {
namespace json = boost::json;
using errors::InvalidParameter;
using errors::Validation;

namespace {
constexpr std::size_t kMaxPartitionKeyBytes = 2048;
constexpr std::size_t kMaxSortKeyBytes = 1024;
constexpr std::size_t kMaxAttributeNameBytes = 65535;

std::size_t KeyBytes(const AttributeValue& value) {
  return value.type == AttrType::N ? value.number.StorageSize() : value.bytes.size();
}

// AWS's wording, including the missing space in "of2048" (quoted by dynalite's and moto's tests, which
// were checked against DynamoDB).
Status<> CheckKeySize(const AttributeValue& value, bool sort) {
  if (!sort && KeyBytes(value) > kMaxPartitionKeyBytes)
    return Fail(InvalidParameter("Size of hashkey has exceeded the maximum size limit of2048 bytes"));
  if (sort && KeyBytes(value) > kMaxSortKeyBytes)
    return Fail(InvalidParameter("Aggregated size of all range keys has exceeded the size limit of 1024 bytes"));
  return Done{};
}

Status<> CheckKeyValue(const KeyElement& element, const AttributeValue& value, bool sort) {
  if (value.type != element.type)
    return Fail(InvalidParameter("Type mismatch for key " + element.name + " expected: " +
                                 std::string(TypeTag(element.type)) + " actual: " + std::string(TypeTag(value.type))));
  if ((value.type == AttrType::S || value.type == AttrType::B) && value.bytes.empty())
    return Fail(Validation(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty " +
        std::string(value.type == AttrType::S ? "string" : "binary") + " value. Key: " + element.name));
  return CheckKeySize(value, sort);
}

// Every key element of an index's key: HASH ones, then RANGE ones (nullptr for an absent sort key).
std::vector<const KeyElement*> IndexKeyElements(const KeySchema& keys) {
  std::vector<const KeyElement*> elements{&keys.partition, keys.sort ? &*keys.sort : nullptr};
  for (const auto& element : keys.more_partition) elements.push_back(&element);
  for (const auto& element : keys.more_sort) elements.push_back(&element);
  return elements;
}

bool IsRangeElement(const KeySchema& keys, const KeyElement* element) {
  if (keys.sort && element == &*keys.sort) return true;
  return !keys.more_sort.empty() && element >= keys.more_sort.data() &&
         element < keys.more_sort.data() + keys.more_sort.size();
}

// Attribute names: at most 64 KB - 1 (AWS accepts 65,535 bytes and refuses 65,536), never empty.
Status<> CheckAttributeNames(const Item& item) {
  for (const auto& [name, value] : item) {
    if (name.empty()) return Fail(InvalidParameter("Empty attribute name in the item"));
    if (name.size() > kMaxAttributeNameBytes)
      return Fail(InvalidParameter("Attribute name length exceeds the maximum of 65535 bytes"));
  }
  return Done{};
}

}  // namespace

Status<> ValidateItem(const TableDefinition& table, const Item& item) {
  auto check_key = [&](const KeyElement& element, bool sort) -> Status<> {
    auto it = item.find(element.name);
    if (it == item.end()) return Fail(InvalidParameter("Missing the key " + element.name + " in the item"));
    return CheckKeyValue(element, it->second, sort);
  };
  MALLARD_RETURN_IF_ERROR(check_key(table.keys.partition, false));
  if (table.keys.sort) MALLARD_RETURN_IF_ERROR(check_key(*table.keys.sort, true));
  for (const auto& index : table.indexes) {
    // Multi-attribute keys: the values of each part count together against the part's limit.
    std::size_t hash_bytes = 0, range_bytes = 0;
    for (const KeyElement* element : IndexKeyElements(index.keys)) {
      if (!element) continue;
      auto it = item.find(element->name);
      if (it == item.end()) continue;  // sparse index: the item is simply not indexed
      if (it->second.type != element->type)
        return Fail(InvalidParameter("Type mismatch for Index Key " + element->name + " Expected: " +
                                     std::string(TypeTag(element->type)) + " Actual: " +
                                     std::string(TypeTag(it->second.type)) + " IndexName: " + index.name));
      if ((it->second.type == AttrType::S || it->second.type == AttrType::B) && it->second.bytes.empty())
        return Fail(Validation(
            "One or more parameter values are not valid. A value specified for a secondary index key is not "
            "supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: " +
            index.name + ", IndexKey: " + element->name));
      // Index keys have the table's key limits (2,048 bytes hash, 1,024 bytes range).
      const bool range = IsRangeElement(index.keys, element);
      MALLARD_RETURN_IF_ERROR(CheckKeySize(it->second, range));
      (range ? range_bytes : hash_bytes) += KeyBytes(it->second);
    }
    if (index.keys.IsMultiAttribute()) {
      if (hash_bytes > kMaxPartitionKeyBytes)
        return Fail(InvalidParameter("Size of hashkey has exceeded the maximum size limit of2048 bytes"));
      if (range_bytes > kMaxSortKeyBytes)
        return Fail(InvalidParameter("Aggregated size of all range keys has exceeded the size limit of 1024 bytes"));
    }
  }
  MALLARD_RETURN_IF_ERROR(CheckAttributeNames(item));
  if (ItemSize(item) > kMaxItemSize) return Fail(Validation("Item size has exceeded the maximum allowed size"));
  return Done{};
}

Result<Item> ParseItem(const json::value* item_json) {
  if (!item_json || item_json->is_null()) return Fail(input::MissingMember("Item"));
  if (!item_json->is_object()) return Fail(input::WrongType("Item", "map"));
  return DecodeMap(item_json->get_object());
}

Result<Item> ParseKey(const TableDefinition& table, const json::value* key_json) {
  if (!key_json || key_json->is_null()) return Fail(input::MissingMember("Key"));
  if (!key_json->is_object()) return Fail(input::WrongType("Key", "map"));
  MALLARD_ASSIGN_OR_RETURN(auto key, DecodeMap(key_json->get_object()));
  const std::size_t expected = table.keys.sort ? 2 : 1;
  auto matches = [&](const KeyElement& element) {
    auto it = key.find(element.name);
    return it != key.end() && it->second.type == element.type;
  };
  if (key.size() != expected || !matches(table.keys.partition) || (table.keys.sort && !matches(*table.keys.sort)))
    return Fail(Validation("The provided key element does not match the schema"));
  MALLARD_RETURN_IF_ERROR(CheckKeyValue(table.keys.partition, key.at(table.keys.partition.name), false));
  if (table.keys.sort) MALLARD_RETURN_IF_ERROR(CheckKeyValue(*table.keys.sort, key.at(table.keys.sort->name), true));
  return key;
}

Result<ExpressionInputs> ParseExpressionInputs(const json::object& input) {
  MALLARD_ASSIGN_OR_RETURN(auto names, input::OptionalObject(input, "ExpressionAttributeNames"));
  MALLARD_ASSIGN_OR_RETURN(auto values_json, input::OptionalObject(input, "ExpressionAttributeValues"));
  std::optional<AttributeMap> values;
  if (values_json) {
    values.emplace();
    for (const auto& member : *values_json) {
      auto value = DecodeValue(member.value());
      if (!value) {
        AwsError error = std::move(value).error();
        if (error.code == "ValidationException")
          error.message = "ExpressionAttributeValues contains invalid value: " + error.message + " for key " +
                          std::string(member.key());
        return Fail(std::move(error));
      }
      values->emplace(std::string(member.key()), std::move(value).value());
    }
  }
  return ExpressionInputs::Make(names, std::move(values));
}

Result<std::optional<std::string>> ExpressionText(const json::object& input, std::string_view member) {
  MALLARD_ASSIGN_OR_RETURN(auto text, input::OptionalString(input, member));
  if (text && text->empty())
    return Fail(Validation("Invalid " + std::string(member) + ": The expression can not be empty;"));
  return text;
}

KeySchemaInfo KeyInfo(const KeySchema& keys) {
  KeySchemaInfo info;
  info.partition_name = keys.partition.name;
  info.partition_type = keys.partition.type;
  if (keys.sort) {
    info.sort_name = keys.sort->name;
    info.sort_type = keys.sort->type;
  }
  for (const auto& element : keys.more_partition) info.more_partition.emplace_back(element.name, element.type);
  for (const auto& element : keys.more_sort) info.more_sort.emplace_back(element.name, element.type);
  return info;
}

Result<CapacityDetail> ParseCapacityDetail(const json::object& input) {
  MALLARD_ASSIGN_OR_RETURN(auto detail, input::EnumMember(input, "ReturnConsumedCapacity",
                                                          {"INDEXES", "TOTAL", "NONE"}, "NONE"));
  return detail == "INDEXES" ? CapacityDetail::Indexes : detail == "TOTAL" ? CapacityDetail::Total
                                                                           : CapacityDetail::None;
}

double ReadUnits(std::size_t bytes, bool consistent) {
  const double units = std::max(1.0, std::ceil(static_cast<double>(bytes) / 4096.0));
  return consistent ? units : units / 2.0;
}

double WriteUnits(std::size_t bytes) { return std::max(1.0, std::ceil(static_cast<double>(bytes) / 1024.0)); }

namespace {
// A Capacity structure as DynamoDB fills it per table and index: CapacityUnits only (responses
// recorded from DynamoDB leave the Read/WriteCapacityUnits split out there).
json::object Units(double units, bool) { return json::object{{"CapacityUnits", units}}; }
}  // namespace

json::object CapacityJson(const TableDefinition& table, double units, bool write, CapacityDetail detail,
                          const std::vector<std::string>& written_indexes) {
  const double total = units * static_cast<double>(1 + (write ? written_indexes.size() : 0));
  json::object capacity{{"TableName", table.name}, {"CapacityUnits", total}};
  capacity[write ? "WriteCapacityUnits" : "ReadCapacityUnits"] = total;
  if (detail == CapacityDetail::Indexes) {
    capacity["Table"] = Units(units, write);
    json::object globals, locals;
    for (const auto& name : write ? written_indexes : std::vector<std::string>{}) {
      const IndexDefinition* index = table.FindIndex(name);
      if (index) (index->global ? globals : locals)[name] = Units(units, write);
    }
    if (!globals.empty()) capacity["GlobalSecondaryIndexes"] = std::move(globals);
    if (!locals.empty()) capacity["LocalSecondaryIndexes"] = std::move(locals);
  }
  return capacity;
}

json::object IndexReadCapacityJson(const TableDefinition& table, const std::string& index_name, double units,
                                   CapacityDetail detail) {
  json::object capacity{{"TableName", table.name}, {"CapacityUnits", units}, {"ReadCapacityUnits", units}};
  const IndexDefinition* index = table.FindIndex(index_name);
  if (detail == CapacityDetail::Indexes && index) {
    capacity["Table"] = Units(0, false);
    capacity[index->global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes"] =
        json::object{{index_name, Units(units, false)}};
  }
  return capacity;
}

Result<bool> ParseItemCollectionMetrics(const json::object& input) {
  MALLARD_ASSIGN_OR_RETURN(auto value, input::EnumMember(input, "ReturnItemCollectionMetrics", {"SIZE", "NONE"}, "NONE"));
  return value == "SIZE";
}

std::optional<json::object> ItemCollectionMetricsJson(const TableDefinition& table, const Item& key) {
  const bool has_local_index = std::any_of(table.indexes.begin(), table.indexes.end(),
                                           [](const IndexDefinition& index) { return !index.global; });
  if (!has_local_index) return std::nullopt;
  json::object collection_key;
  collection_key[table.keys.partition.name] = ValueToJson(key.at(table.keys.partition.name));
  // DynamoDB's estimate of the item collection's size, a range in GB; a collection far below 1 GB
  // (everything a local store holds per partition here) is reported as [0.0, 1.0].
  return json::object{{"ItemCollectionKey", std::move(collection_key)},
                      {"SizeEstimateRangeGB", json::array{0.0, 1.0}}};
}

std::vector<std::string> WrittenIndexes(const TableDefinition& table, const Item* old_item, const Item* new_item) {
  std::vector<std::string> names;
  for (const auto& index : table.indexes) {
    auto indexed = [&](const Item* item) {
      if (!item) return false;
      bool all = true;
      ForEachKeyElement(index.keys, [&](const KeyElement& element) { all = all && item->count(element.name) > 0; });
      return all;
    };
    if (indexed(old_item) || indexed(new_item)) names.push_back(index.name);
  }
  return names;
}

Result<std::string> ParseReturnValues(const json::object& input, std::initializer_list<const char*> allowed,
                                      const char* message_when_invalid) {
  MALLARD_ASSIGN_OR_RETURN(auto value, input::EnumMember(input, "ReturnValues",
                                                         {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"},
                                                         "NONE"));
  for (const char* option : allowed)
    if (value == option) return value;
  return Fail(Validation(message_when_invalid));
}

Result<bool> ParseReturnOldOnConditionFailure(const json::object& input) {
  MALLARD_ASSIGN_OR_RETURN(auto value,
                           input::EnumMember(input, "ReturnValuesOnConditionCheckFailure", {"ALL_OLD", "NONE"}, "NONE"));
  return value == "ALL_OLD";
}

}  // namespace mallard::dynamodb::rules
