#include "services/dynamodb/ddb_key_encoding.hpp"

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

const AttributeValue& KeyValue(const Item& item, const KeyElement& element) { return item.at(element.name); }

}  // namespace

std::uint32_t PartitionHash(const AttributeValue& partition) {
  // FNV-1a over the ordered bytes: stable across runs and processes, so scans page consistently.
  const std::string bytes = OrderedKeyBytes(partition);
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

std::string PartitionPrefix(const AttributeValue& partition) {
  std::string out;
  AppendPartition(out, partition);
  return out;
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
  AppendPartition(out, KeyValue(item, index_keys.partition));
  if (index_keys.sort) AppendSortComponent(out, KeyValue(item, *index_keys.sort));
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
  return has(keys.partition) && (!keys.sort || has(*keys.sort));
}

bool IsIndexable(const KeySchema& keys, const Item& item) {
  if (!HasKeyAttributes(keys, item)) return false;
  auto fits = [&](const KeyElement& element, std::size_t limit) {
    const AttributeValue& value = item.at(element.name);
    if (value.type == AttrType::N) return true;  // at most 38 digits: always within the limits
    return !value.bytes.empty() && value.bytes.size() <= limit;
  };
  return fits(keys.partition, 2048) && (!keys.sort || fits(*keys.sort, 1024));
}

Item ExtractKey(const KeySchema& keys, const Item& item) {
  Item key;
  key.emplace(keys.partition.name, item.at(keys.partition.name));
  if (keys.sort) key.emplace(keys.sort->name, item.at(keys.sort->name));
  return key;
}

}  // namespace mallard::dynamodb
