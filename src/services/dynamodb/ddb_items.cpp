// DynamoDB single-item operations and the batch operations built from them.
#include <boost/json/serialize.hpp>

#include <set>

#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_item_rules.hpp"
#include "services/dynamodb/ddb_request_expressions.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = DynamoDbService::Json;
using errors::Validation;

namespace {

constexpr std::size_t kMaxBatchGetKeys = 100;
constexpr std::size_t kMaxBatchWriteRequests = 25;
constexpr std::size_t kMaxBatchGetResponseBytes = 16 * 1024 * 1024;

Status<> RejectKeyUpdates(const TableDefinition& table, const RequestExpressions& expressions) {
  for (const auto& name : expressions.UpdatedTopLevelNames()) {
    if (name == table.keys.partition.name || (table.keys.sort && name == table.keys.sort->name))
      return Fail(Validation("One or more parameter values were invalid: Cannot update attribute " + name +
                             ". This attribute is part of the key"));
  }
  return Done{};
}

AwsError ConditionFailure(const Item* current, bool return_old) {
  if (return_old && current) return errors::ConditionalCheckFailed(json::serialize(MapToJson(*current)));
  return errors::ConditionalCheckFailed();
}

// A key's attribute values are judged (empty values, bad numbers, ...) before its table is looked up;
// whether they match the table's schema only after.
Status<> PrecheckKeyValues(const json::value* key_json) {
  if (key_json && key_json->is_object()) MALLARD_RETURN_IF_ERROR(DecodeMap(key_json->get_object()));
  return Done{};
}

AwsError TableMissing(const StoreError& error) {
  if (error.code == StoreErrc::TableNotFound) return errors::ResourceNotFound();
  return errors::FromStore(error);
}

}  // namespace

Result<Json> DynamoDbService::PutItem(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  MALLARD_ASSIGN_OR_RETURN(auto item, rules::ParseItem(call.input.if_contains("Item")));
  MALLARD_ASSIGN_OR_RETURN(auto return_values,
                           rules::ParseReturnValues(call.input, {"NONE", "ALL_OLD"}, "ReturnValues can only be ALL_OLD or NONE"));
  MALLARD_ASSIGN_OR_RETURN(bool return_old_on_failure, rules::ParseReturnOldOnConditionFailure(call.input));
  MALLARD_ASSIGN_OR_RETURN(auto capacity, rules::ParseCapacityDetail(call.input));
  MALLARD_ASSIGN_OR_RETURN(bool collection_metrics, rules::ParseItemCollectionMetrics(call.input));
  MALLARD_ASSIGN_OR_RETURN(auto expressions, ParseRequestExpressions(call.input, {.condition = true}));
  // Only a request AWS would accept reaches the table lookup (issue 15: validation order).
  MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, table_name));
  MALLARD_RETURN_IF_ERROR(rules::ValidateItem(table, item));

  const std::size_t new_size = ItemSize(item);
  std::size_t old_size = 0;
  ItemRef ref{table.name, ExtractKey(table.keys, item)};
  auto written = store_->WriteItems(
      call.scope, {ref},
      [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
        if (expressions.condition && !expressions.condition->Matches(current[0]))
          return Fail(ConditionFailure(current[0], return_old_on_failure));
        old_size = current[0] ? ItemSize(*current[0]) : 0;
        return std::vector<ItemWrite>{{ItemWrite::Kind::Put, item}};
      },
      {call.now_millis, false});
  if (!written) return Fail(TableMissing(written.error()));
  if (!written->ok()) return Fail(std::move(*written).error());
  Json output;
  const auto& old_item = written->value().old_items[0];
  if (return_values == "ALL_OLD" && old_item) output["Attributes"] = MapToJson(*old_item);
  if (capacity != rules::CapacityDetail::None)
    output["ConsumedCapacity"] =
        rules::CapacityJson(table, rules::WriteUnits(std::max(new_size, old_size)), true, capacity,
                            rules::WrittenIndexes(table, old_item ? &*old_item : nullptr, &item));
  if (collection_metrics)
    if (auto metrics = rules::ItemCollectionMetricsJson(table, ref.key)) output["ItemCollectionMetrics"] = std::move(*metrics);
  return output;
}

Result<Json> DynamoDbService::GetItem(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  MALLARD_RETURN_IF_ERROR(PrecheckKeyValues(call.input.if_contains("Key")));
  MALLARD_ASSIGN_OR_RETURN(auto consistent, input::OptionalBool(call.input, "ConsistentRead"));
  MALLARD_ASSIGN_OR_RETURN(auto capacity, rules::ParseCapacityDetail(call.input));
  MALLARD_ASSIGN_OR_RETURN(auto expressions, ParseRequestExpressions(call.input, {.projection = true}));
  MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, table_name));
  MALLARD_ASSIGN_OR_RETURN(auto key, rules::ParseKey(table, call.input.if_contains("Key")));
  auto found = store_->GetItems(call.scope, {ItemRef{table.name, std::move(key)}});
  if (!found) return Fail(TableMissing(found.error()));
  Json output;
  std::size_t bytes = 0;
  if (const auto& item = found.value()[0]) {
    bytes = ItemSize(*item);
    output["Item"] = MapToJson(expressions.projection ? expressions.projection->Apply(*item) : *item);
  }
  if (capacity != rules::CapacityDetail::None)
    output["ConsumedCapacity"] =
        rules::CapacityJson(table, rules::ReadUnits(bytes, consistent.value_or(false)), false, capacity);
  return output;
}

Result<Json> DynamoDbService::DeleteItem(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  MALLARD_RETURN_IF_ERROR(PrecheckKeyValues(call.input.if_contains("Key")));
  MALLARD_ASSIGN_OR_RETURN(auto return_values,
                           rules::ParseReturnValues(call.input, {"NONE", "ALL_OLD"}, "ReturnValues can only be ALL_OLD or NONE"));
  MALLARD_ASSIGN_OR_RETURN(bool return_old_on_failure, rules::ParseReturnOldOnConditionFailure(call.input));
  MALLARD_ASSIGN_OR_RETURN(auto capacity, rules::ParseCapacityDetail(call.input));
  MALLARD_ASSIGN_OR_RETURN(bool collection_metrics, rules::ParseItemCollectionMetrics(call.input));
  MALLARD_ASSIGN_OR_RETURN(auto expressions, ParseRequestExpressions(call.input, {.condition = true}));
  MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, table_name));
  MALLARD_ASSIGN_OR_RETURN(auto key, rules::ParseKey(table, call.input.if_contains("Key")));
  auto written = store_->WriteItems(
      call.scope, {ItemRef{table.name, key}},
      [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
        if (expressions.condition && !expressions.condition->Matches(current[0]))
          return Fail(ConditionFailure(current[0], return_old_on_failure));
        return std::vector<ItemWrite>{{ItemWrite::Kind::Delete, {}}};
      },
      {call.now_millis, false});
  if (!written) return Fail(TableMissing(written.error()));
  if (!written->ok()) return Fail(std::move(*written).error());
  Json output;
  const auto& old_item = written->value().old_items[0];
  if (return_values == "ALL_OLD" && old_item) output["Attributes"] = MapToJson(*old_item);
  if (capacity != rules::CapacityDetail::None)
    output["ConsumedCapacity"] =
        rules::CapacityJson(table, rules::WriteUnits(old_item ? ItemSize(*old_item) : 0), true, capacity,
                            rules::WrittenIndexes(table, old_item ? &*old_item : nullptr, nullptr));
  if (collection_metrics)
    if (auto metrics = rules::ItemCollectionMetricsJson(table, key)) output["ItemCollectionMetrics"] = std::move(*metrics);
  return output;
}

Result<Json> DynamoDbService::UpdateItem(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  MALLARD_RETURN_IF_ERROR(PrecheckKeyValues(call.input.if_contains("Key")));
  MALLARD_ASSIGN_OR_RETURN(auto return_values,
                           rules::ParseReturnValues(call.input, {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}, ""));
  MALLARD_ASSIGN_OR_RETURN(bool return_old_on_failure, rules::ParseReturnOldOnConditionFailure(call.input));
  MALLARD_ASSIGN_OR_RETURN(auto capacity, rules::ParseCapacityDetail(call.input));
  MALLARD_ASSIGN_OR_RETURN(bool collection_metrics, rules::ParseItemCollectionMetrics(call.input));
  MALLARD_ASSIGN_OR_RETURN(auto expressions, ParseRequestExpressions(call.input, {.condition = true, .update = true}));
  MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, table_name));
  MALLARD_ASSIGN_OR_RETURN(auto key, rules::ParseKey(table, call.input.if_contains("Key")));
  if (expressions.HasUpdate()) MALLARD_RETURN_IF_ERROR(RejectKeyUpdates(table, expressions));

  std::optional<Item> new_item;
  auto written = store_->WriteItems(
      call.scope, {ItemRef{table.name, key}},
      [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
        if (expressions.condition && !expressions.condition->Matches(current[0]))
          return Fail(ConditionFailure(current[0], return_old_on_failure));
        Item updated;
        if (expressions.HasUpdate()) {
          MALLARD_ASSIGN_OR_RETURN(updated, expressions.ApplyUpdate(current[0], key));
        } else {
          updated = current[0] ? *current[0] : key;
        }
        if (!current[0] && expressions.HasUpdate() && !expressions.HasNoActions() && updated.size() == key.size()) {
          // An update that only removes attributes does not bring a missing item into existence; one
          // without any action (AttributeUpdates: {}) does, as an UpdateItem with no update does
          // (ScyllaDB's test_update_item_non_existent, run against AWS).
          return std::vector<ItemWrite>{{ItemWrite::Kind::Keep, {}}};
        }
        if (ItemSize(updated) > kMaxItemSize)
          return Fail(Validation("Item size to update has exceeded the maximum allowed size"));
        MALLARD_RETURN_IF_ERROR(rules::ValidateItem(table, updated));
        new_item = updated;
        return std::vector<ItemWrite>{{ItemWrite::Kind::Put, std::move(updated)}};
      },
      {call.now_millis, false});
  if (!written) return Fail(TableMissing(written.error()));
  if (!written->ok()) return Fail(std::move(*written).error());
  const auto& old_item = written->value().old_items[0];
  Json output;
  if (return_values == "ALL_OLD" && old_item) {
    output["Attributes"] = MapToJson(*old_item);
  } else if (return_values == "ALL_NEW" && new_item) {
    output["Attributes"] = MapToJson(*new_item);
  } else if (return_values == "UPDATED_OLD" && old_item && expressions.HasUpdate()) {
    Item updated = expressions.ProjectUpdated(*old_item);
    if (!updated.empty()) output["Attributes"] = MapToJson(updated);
  } else if (return_values == "UPDATED_NEW" && new_item && expressions.HasUpdate()) {
    Item updated = expressions.ProjectUpdated(*new_item);
    if (!updated.empty()) output["Attributes"] = MapToJson(updated);
  }
  if (capacity != rules::CapacityDetail::None) {
    const std::size_t bytes = std::max(old_item ? ItemSize(*old_item) : 0, new_item ? ItemSize(*new_item) : 0);
    output["ConsumedCapacity"] =
        rules::CapacityJson(table, rules::WriteUnits(bytes), true, capacity,
                            rules::WrittenIndexes(table, old_item ? &*old_item : nullptr, new_item ? &*new_item : nullptr));
  }
  if (collection_metrics && (old_item || new_item))
    if (auto metrics = rules::ItemCollectionMetricsJson(table, key)) output["ItemCollectionMetrics"] = std::move(*metrics);
  return output;
}

Result<Json> DynamoDbService::BatchGetItem(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto request_items, input::OptionalObject(call.input, "RequestItems"));
  if (!request_items) return Fail(input::MissingMember("RequestItems"));
  if (request_items->empty())
    return Fail(input::ConstraintError("RequestItems", "'{}'", "Member must have length greater than or equal to 1"));
  MALLARD_ASSIGN_OR_RETURN(auto capacity, rules::ParseCapacityDetail(call.input));
  struct TableRequest {
    TableDefinition table;
    std::vector<Item> keys;
    RequestExpressions expressions;
    bool consistent = false;
    const json::object* raw;
  };
  std::vector<TableRequest> requests;
  std::size_t total_keys = 0;
  for (const auto& [name, value] : *request_items) {
    if (!value.is_object()) return Fail(input::WrongType("RequestItems", "structure"));
    const auto& table_request = value.get_object();
    MALLARD_ASSIGN_OR_RETURN(auto keys_json, input::OptionalArray(table_request, "Keys"));
    if (!keys_json) return Fail(input::MissingMember("Keys"));
    if (keys_json->empty())
      return Fail(input::ConstraintError("RequestItems." + std::string(name) + ".member.keys", "'[]'",
                                         "Member must have length greater than or equal to 1"));
    TableRequest request{{}, {}, {}, false, &table_request};
    request.table.name = std::string(name);  // looked up once the whole request has been judged
    for (const auto& key_json : *keys_json) MALLARD_RETURN_IF_ERROR(PrecheckKeyValues(&key_json));
    total_keys += keys_json->size();
    if (total_keys > kMaxBatchGetKeys)
      return Fail(Validation("Too many items requested for the BatchGetItem call"));
    MALLARD_ASSIGN_OR_RETURN(request.expressions, ParseRequestExpressions(table_request, {.projection = true}));
    MALLARD_ASSIGN_OR_RETURN(auto consistent, input::OptionalBool(table_request, "ConsistentRead"));
    request.consistent = consistent.value_or(false);
    requests.push_back(std::move(request));
  }
  for (auto& request : requests) {
    MALLARD_ASSIGN_OR_RETURN(request.table, LoadTable(call.scope, request.table.name));
    std::set<std::string> seen;
    for (const auto& key_json : request.raw->at("Keys").get_array()) {
      MALLARD_ASSIGN_OR_RETURN(auto key, rules::ParseKey(request.table, &key_json));
      if (!seen.insert(json::serialize(MapToJson(key))).second)
        return Fail(Validation("Provided list of item keys contains duplicates"));
      request.keys.push_back(std::move(key));
    }
  }
  Json responses, unprocessed;
  json::array capacities;
  std::size_t response_bytes = 0;
  for (auto& request : requests) {
    std::vector<ItemRef> refs;
    for (auto& key : request.keys) refs.push_back({request.table.name, key});
    auto found = store_->GetItems(call.scope, refs);
    if (!found) return Fail(TableMissing(found.error()));
    json::array items;
    json::array left_over;
    double units = 0;
    for (std::size_t i = 0; i < refs.size(); ++i) {
      if (response_bytes >= kMaxBatchGetResponseBytes) {
        left_over.push_back(MapToJson(request.keys[i]));
        continue;
      }
      const auto& item = found.value()[i];
      if (!item) {
        units += rules::ReadUnits(0, request.consistent);  // a key that finds nothing costs the minimum
        continue;
      }
      const std::size_t bytes = ItemSize(*item);
      response_bytes += bytes;
      units += rules::ReadUnits(bytes, request.consistent);
      items.push_back(MapToJson(request.expressions.projection ? request.expressions.projection->Apply(*item) : *item));
    }
    responses[request.table.name] = std::move(items);
    if (!left_over.empty()) {
      json::object retry = *request.raw;
      retry["Keys"] = std::move(left_over);
      unprocessed[request.table.name] = std::move(retry);
    }
    if (capacity != rules::CapacityDetail::None)
      capacities.push_back(rules::CapacityJson(request.table, units, false, capacity));
  }
  Json output{{"Responses", std::move(responses)}, {"UnprocessedKeys", std::move(unprocessed)}};
  if (capacity != rules::CapacityDetail::None) output["ConsumedCapacity"] = std::move(capacities);
  return output;
}

Result<Json> DynamoDbService::BatchWriteItem(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto request_items, input::OptionalObject(call.input, "RequestItems"));
  if (!request_items) return Fail(input::MissingMember("RequestItems"));
  MALLARD_ASSIGN_OR_RETURN(auto capacity, rules::ParseCapacityDetail(call.input));
  MALLARD_ASSIGN_OR_RETURN(bool collection_metrics, rules::ParseItemCollectionMetrics(call.input));
  struct Write {
    const TableDefinition* table;
    bool put;
    Item item_or_key;
  };
  std::vector<TableDefinition> tables;
  tables.reserve(request_items->size());
  std::vector<Write> writes;
  std::size_t count = 0;
  for (const auto& [name, value] : *request_items) {
    if (!value.is_array()) return Fail(input::WrongType("RequestItems", "list"));
    count += value.get_array().size();
    if (value.get_array().empty() || count > kMaxBatchWriteRequests)
      return Fail(Validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map "
                             "value must satisfy constraint: [Member must have length less than or equal to 25, "
                             "Member must have length greater than or equal to 1]"));
  }
  if (request_items->empty())
    return Fail(input::ConstraintError("RequestItems", "'{}'", "Member must have length greater than or equal to 1"));
  // Items and key values are judged before any table is looked up, as AWS does.
  for (const auto& [name, value] : *request_items) {
    for (const auto& request_value : value.get_array()) {
      if (!request_value.is_object()) continue;
      const auto* put = request_value.get_object().if_contains("PutRequest");
      const auto* remove = request_value.get_object().if_contains("DeleteRequest");
      if (put && put->is_object()) MALLARD_RETURN_IF_ERROR(rules::ParseItem(put->get_object().if_contains("Item")));
      if (remove && remove->is_object()) MALLARD_RETURN_IF_ERROR(PrecheckKeyValues(remove->get_object().if_contains("Key")));
    }
  }
  for (const auto& [name, value] : *request_items) {
    MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, std::string(name)));
    tables.push_back(std::move(table));
  }
  std::size_t table_index = 0;
  for (const auto& [name, value] : *request_items) {
    const TableDefinition& table = tables[table_index++];
    std::set<std::string> seen;
    for (const auto& request_value : value.get_array()) {
      if (!request_value.is_object()) return Fail(input::WrongType("WriteRequest", "structure"));
      const auto& request = request_value.get_object();
      MALLARD_ASSIGN_OR_RETURN(auto put, input::OptionalObject(request, "PutRequest"));
      MALLARD_ASSIGN_OR_RETURN(auto remove, input::OptionalObject(request, "DeleteRequest"));
      if ((put != nullptr) == (remove != nullptr))
        return Fail(Validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
                               "the supported datatypes"));
      Write write{&table, put != nullptr, {}};
      if (put) {
        MALLARD_ASSIGN_OR_RETURN(write.item_or_key, rules::ParseItem(put->if_contains("Item")));
        MALLARD_RETURN_IF_ERROR(rules::ValidateItem(table, write.item_or_key));
      } else {
        MALLARD_ASSIGN_OR_RETURN(write.item_or_key, rules::ParseKey(table, remove->if_contains("Key")));
      }
      const std::string key_text = json::serialize(MapToJson(ExtractKey(table.keys, write.item_or_key)));
      if (!seen.insert(key_text).second) return Fail(Validation("Provided list of item keys contains duplicates"));
      writes.push_back(std::move(write));
    }
  }
  std::map<std::string, double> units_by_table;
  std::map<std::string, json::array> metrics_by_table;
  for (auto& write : writes) {
    ItemRef ref{write.table->name, ExtractKey(write.table->keys, write.item_or_key)};
    const std::size_t bytes = write.put ? ItemSize(write.item_or_key) : 0;
    std::size_t old_bytes = 0;
    auto written = store_->WriteItems(
        call.scope, {ref},
        [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
          old_bytes = current[0] ? ItemSize(*current[0]) : 0;
          if (write.put) return std::vector<ItemWrite>{{ItemWrite::Kind::Put, write.item_or_key}};
          return std::vector<ItemWrite>{{ItemWrite::Kind::Delete, {}}};
        },
        {call.now_millis, false});
    if (!written) return Fail(TableMissing(written.error()));
    units_by_table[write.table->name] += rules::WriteUnits(std::max(bytes, old_bytes));
    if (collection_metrics)
      if (auto metrics = rules::ItemCollectionMetricsJson(*write.table, ref.key))
        metrics_by_table[write.table->name].push_back(std::move(*metrics));
  }
  Json output{{"UnprocessedItems", Json{}}};
  if (collection_metrics) {
    Json metrics;
    for (auto& [name, list] : metrics_by_table) metrics[name] = std::move(list);
    output["ItemCollectionMetrics"] = std::move(metrics);
  }
  if (capacity != rules::CapacityDetail::None) {
    json::array capacities;
    for (const auto& table : tables)
      capacities.push_back(rules::CapacityJson(table, units_by_table[table.name], true, capacity));
    output["ConsumedCapacity"] = std::move(capacities);
  }
  return output;
}

}  // namespace mallard::dynamodb
