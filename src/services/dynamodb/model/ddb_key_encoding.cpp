#include "services/dynamodb/model/ddb_key_encoding.hpp"

namespace mallard::dynamodb {
namespace {

void AppendBigEndian32(std::string& out, std::uint32_t value) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

void AppendPartition(std::string& out, const AttributeValue& partition) {
  const std::string bytes = OrderedKeyBytes(partition);
  AppendBigEndian32(out, PartitionHash(partition));
  AppendBigEndian32(out, static_cast<std::uint32_t>(bytes.size()));
  out += bytes;
}

std::uint32_t Fnv1a(std::string_view bytes) {
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

// A multi-attribute partition is one partition: its values, each in the prefix-free sort form, make
// its bytes (so no two value lists share them), hashed and length-prefixed like a single value.
void AppendMultiPartition(std::string& out, const std::vector<const AttributeValue*>& values) {
  std::string bytes;
  for (const AttributeValue* value : values) AppendSortComponent(bytes, *value);
  AppendBigEndian32(out, Fnv1a(bytes));
  AppendBigEndian32(out, static_cast<std::uint32_t>(bytes.size()));
  out += bytes;
}

const AttributeValue& KeyValue(const Item& item, const KeyElement& element) { return item.at(element.name); }

std::vector<const AttributeValue*> PartitionValues(const KeySchema& keys, const Item& item) {
  std::vector<const AttributeValue*> values;
  for (std::size_t i = 0; i < keys.PartitionCount(); ++i) values.push_back(&KeyValue(item, keys.PartitionAt(i)));
  return values;
}

void AppendIndexPartition(std::string& out, const KeySchema& keys, const Item& item) {
  if (keys.more_partition.empty())
    AppendPartition(out, KeyValue(item, keys.partition));
  else
    AppendMultiPartition(out, PartitionValues(keys, item));
}

}  // namespace

std::uint32_t PartitionHash(const AttributeValue& partition) {
  // FNV-1a over the ordered bytes: stable across runs and processes, so scans page consistently.
  return Fnv1a(OrderedKeyBytes(partition));
}

std::string PartitionPrefix(const AttributeValue& partition) {
  std::string out;
  AppendPartition(out, partition);
  return out;
}

std::string PartitionPrefix(const AttributeValue& partition, const std::vector<AttributeValue>& more) {
  if (more.empty()) return PartitionPrefix(partition);
  std::vector<const AttributeValue*> values{&partition};
  for (const auto& value : more) values.push_back(&value);
  std::string out;
  AppendMultiPartition(out, values);
  return out;
}

std::string PartitionPrefixOf(const KeySchema& keys, const Item& item) {
  std::string out;
  AppendIndexPartition(out, keys, item);
  return out;
}

std::uint32_t PartitionHashOf(const KeySchema& keys, const Item& item) {
  if (keys.more_partition.empty()) return PartitionHash(KeyValue(item, keys.partition));
  std::string bytes;
  for (const AttributeValue* value : PartitionValues(keys, item)) AppendSortComponent(bytes, *value);
  return Fnv1a(bytes);
}

void AppendSortComponent(std::string& out, const AttributeValue& value) {
  for (char c : OrderedKeyBytes(value)) {
    out.push_back(c);
    if (c == '\0') out.push_back('\xff');
  }
  out.push_back('\0');
  out.push_back('\0');
}

std::string EncodePrimaryKey(const KeySchema& keys, const Item& item) {
  std::string out;
  AppendPartition(out, KeyValue(item, keys.partition));
  if (keys.sort) AppendSortComponent(out, KeyValue(item, *keys.sort));
  return out;
}

std::string EncodeIndexKey(const KeySchema& index_keys, const KeySchema& table_keys, const Item& item) {
  std::string out;
  AppendIndexPartition(out, index_keys, item);
  for (std::size_t i = 0; i < index_keys.SortCount(); ++i) AppendSortComponent(out, KeyValue(item, index_keys.SortAt(i)));
  out += EncodePrimaryKey(table_keys, item);
  return out;
}

std::string SegmentStart(int segment, int total) {
  if (segment <= 0) return {};
  const std::uint64_t boundary = (std::uint64_t{1} << 32) * static_cast<std::uint64_t>(segment) /
                                 static_cast<std::uint64_t>(total);
  std::string out;
  AppendBigEndian32(out, static_cast<std::uint32_t>(boundary));
  return out;
}

bool HasKeyAttributes(const KeySchema& keys, const Item& item) {
  auto has = [&](const KeyElement& element) {
    auto it = item.find(element.name);
    return it != item.end() && it->second.type == element.type;
  };
  if (!has(keys.partition) || (keys.sort && !has(*keys.sort))) return false;
  for (const auto& element : keys.more_partition)
    if (!has(element)) return false;
  for (const auto& element : keys.more_sort)
    if (!has(element)) return false;
  return true;
}

bool IsIndexable(const KeySchema& keys, const Item& item) {
  if (!HasKeyAttributes(keys, item)) return false;
  auto fits = [&](const KeyElement& element, std::size_t limit) {
    const AttributeValue& value = item.at(element.name);
    if (value.type == AttrType::N) return true;  // at most 38 digits: always within the limits
    return !value.bytes.empty() && value.bytes.size() <= limit;
  };
  if (!keys.IsMultiAttribute()) return fits(keys.partition, 2048) && (!keys.sort || fits(*keys.sort, 1024));
  // Multi-attribute keys: no value empty, and the values of each part together within the part's limit.
  auto part_fits = [&](std::size_t count, auto element_at, std::size_t limit) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (!fits(element_at(i), limit)) return false;
      const AttributeValue& value = item.at(element_at(i).name);
      total += value.type == AttrType::N ? value.number.StorageSize() : value.bytes.size();
    }
    return total <= limit;
  };
  return part_fits(keys.PartitionCount(), [&](std::size_t i) -> const KeyElement& { return keys.PartitionAt(i); }, 2048) &&
         part_fits(keys.SortCount(), [&](std::size_t i) -> const KeyElement& { return keys.SortAt(i); }, 1024);
}

Item ExtractKey(const KeySchema& keys, const Item& item) {
  Item key;
  key.emplace(keys.partition.name, item.at(keys.partition.name));
  if (keys.sort) key.emplace(keys.sort->name, item.at(keys.sort->name));
  for (const auto& element : keys.more_partition) key.emplace(element.name, item.at(element.name));
  for (const auto& element : keys.more_sort) key.emplace(element.name, item.at(element.name));
  return key;
}

}  // namespace mallard::dynamodb
