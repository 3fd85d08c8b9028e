#pragma once
// Byte encodings of primary and index keys whose memcmp order is the order DynamoDB reads in:
// partitions grouped by a 32-bit hash of the partition key (so Scan walks partitions in hash order
// and a parallel-scan segment is one contiguous hash range), then sort keys in key order (numbers
// numerically, strings and binaries by bytes). Any ordered store (std::map, a Redis sorted set
// with equal scores) can keep items under these keys.
#include <cstdint>
#include <string>

#include "services/dynamodb/model/ddb_model.hpp"

namespace mallard::dynamodb {

std::uint32_t PartitionHash(const AttributeValue& partition);
// hash32 | length | partition bytes: the prefix every key of one partition starts with.
std::string PartitionPrefix(const AttributeValue& partition);
// The same for a multi-attribute partition key (`partition` the first HASH value, `more` the others,
// in KeySchema order); with `more` empty, PartitionPrefix(partition).
std::string PartitionPrefix(const AttributeValue& partition, const std::vector<AttributeValue>& more);
// The partition prefix and hash of `item` (which has the key attributes) under `keys`.
std::string PartitionPrefixOf(const KeySchema& keys, const Item& item);
std::uint32_t PartitionHashOf(const KeySchema& keys, const Item& item);
// Appends an order-preserving, prefix-free form of a sort-key value (0x00 escaped as 0x00 0xFF,
// terminated by 0x00 0x00), so that a longer key never sorts inside a shorter one's range.
void AppendSortComponent(std::string& out, const AttributeValue& value);
// Primary key of `item` (which carries the key attributes) under `keys`.
std::string EncodePrimaryKey(const KeySchema& keys, const Item& item);
// Index key: the index's partition prefix and sort components (one per RANGE attribute), then the table's primary key, so
// that entries with equal index keys stay distinct and ordered by table key.
std::string EncodeIndexKey(const KeySchema& index_keys, const KeySchema& table_keys, const Item& item);
// The first key of segment `segment` of `total` (a hash range boundary); "" for segment 0.
std::string SegmentStart(int segment, int total);
// True when `item` has every key attribute of `keys` with the right type (sparse indexes skip the rest).
bool HasKeyAttributes(const KeySchema& keys, const Item& item);
// True when `item` belongs in an index with these keys: it has them (HasKeyAttributes), no string or
// binary one is empty and none exceeds DynamoDB's key sizes (2,048 bytes hash, 1,024 bytes range).
// Writes refuse such items; an index added later skips the existing ones, as DynamoDB's backfill does.
bool IsIndexable(const KeySchema& keys, const Item& item);

}  // namespace mallard::dynamodb
