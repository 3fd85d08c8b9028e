#include "services/dynamodb/model/ddb_store_support.hpp"

#include <cstdio>

#include "common/ids.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"

namespace mallard::dynamodb {

StreamRecord MakeStreamRecord(const TableDefinition& table, const std::optional<Item>& before,
                              const std::optional<Item>& after, const WriteContext& context) {
  StreamRecord record;
  record.event_id = RandomHex(32);
  record.event_name = !before ? "INSERT" : !after ? "REMOVE" : "MODIFY";
  record.created_millis = context.now_millis;
  record.keys = ExtractKey(table.keys, after ? *after : *before);
  record.view_type = table.stream.view_type;
  record.by_ttl = context.by_ttl;
  const bool wants_new = record.view_type == "NEW_IMAGE" || record.view_type == "NEW_AND_OLD_IMAGES";
  const bool wants_old = record.view_type == "OLD_IMAGE" || record.view_type == "NEW_AND_OLD_IMAGES";
  record.size_bytes = ItemSize(record.keys);
  if (wants_new && after) {
    record.new_image = after;
    record.size_bytes += ItemSize(*after);
  }
  if (wants_old && before) {
    record.old_image = before;
    record.size_bytes += ItemSize(*before);
  }
  return record;
}

Item ProjectForIndex(const IndexDefinition& index, const KeySchema& table_keys, const Item& item) {
  if (index.projection.type == ProjectionType::All) return item;
  Item projected = ExtractKey(table_keys, item);
  auto copy = [&](const std::string& name) {
    if (auto it = item.find(name); it != item.end()) projected.emplace(name, it->second);
  };
  copy(index.keys.partition.name);
  if (index.keys.sort) copy(index.keys.sort->name);
  for (const auto& element : index.keys.more_partition) copy(element.name);
  for (const auto& element : index.keys.more_sort) copy(element.name);
  if (index.projection.type == ProjectionType::Include)
    for (const auto& name : index.projection.non_key_attributes) copy(name);
  return projected;
}

std::string QueryPrefix(const QueryRequest& request) {
  std::string prefix = PartitionPrefix(request.partition, request.more_partition);
  for (const auto& value : request.sort_prefix) AppendSortComponent(prefix, value);
  return prefix;
}

const KeyElement* ConditionedSortKey(const KeySchema& keys, const QueryRequest& request) {
  if (!request.sort || request.sort_prefix.size() >= keys.SortCount()) return nullptr;
  return &keys.SortAt(request.sort_prefix.size());
}

int QueryPosition(const KeySchema& keys, const QueryRequest& request, const Item& item) {
  const KeyElement* conditioned = ConditionedSortKey(keys, request);
  if (!conditioned) return 0;
  auto it = item.find(conditioned->name);
  return SortPosition(request.sort, it == item.end() ? nullptr : &it->second);
}

Item LastEvaluatedKey(const TableDefinition& definition, const IndexDefinition* index, const Item& item) {
  Item last = ExtractKey(definition.keys, item);
  if (index)
    for (auto& [name, value] : ExtractKey(index->keys, item)) last.insert_or_assign(name, std::move(value));
  return last;
}

int SortPosition(const std::optional<SortCondition>& sort, const AttributeValue* value) {
  if (!sort || value == nullptr) return 0;
  const int low = CompareScalar(*value, sort->value);
  switch (sort->op) {
    case SortOp::Eq: return low < 0 ? -1 : low > 0 ? 1 : 0;
    case SortOp::Lt: return low < 0 ? 0 : 1;
    case SortOp::Le: return low <= 0 ? 0 : 1;
    case SortOp::Gt: return low > 0 ? 0 : -1;
    case SortOp::Ge: return low >= 0 ? 0 : -1;
    case SortOp::Between: return low < 0 ? -1 : CompareScalar(*value, sort->upper) <= 0 ? 0 : 1;
    case SortOp::BeginsWith: {
      const std::string& prefix = sort->value.bytes;
      if (value->bytes.compare(0, prefix.size(), prefix) == 0) return 0;
      return low < 0 ? -1 : 1;
    }
  }
  return 0;
}

std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

StoreResult<const IndexDefinition*> ResolveIndex(const TableDefinition& definition, const std::string& name) {
  if (name.empty()) return static_cast<const IndexDefinition*>(nullptr);
  const IndexDefinition* index = definition.FindIndex(name);
  if (!index) return StoreFail(StoreErrc::IndexNotFound, name);
  return index;
}

StoreResult<std::string> EncodeStartKey(const TableDefinition& definition, const IndexDefinition* index,
                                          const Item& start) {
  if (!HasKeyAttributes(definition.keys, start) || (index && !HasKeyAttributes(index->keys, start)))
    return StoreFail(StoreErrc::InvalidStartKey, "The provided starting key is invalid");
  return index ? EncodeIndexKey(index->keys, definition.keys, start) : EncodePrimaryKey(definition.keys, start);
}

std::string FormatSequence(std::uint64_t sequence) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "1%020llu", static_cast<unsigned long long>(sequence));
  return buffer;
}

std::uint64_t ParseSequence(std::string_view text) {
  if (text.size() != 21 || text[0] != '1') return 0;
  std::uint64_t value = 0;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return 0;
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  return value;
}

}  // namespace mallard::dynamodb
