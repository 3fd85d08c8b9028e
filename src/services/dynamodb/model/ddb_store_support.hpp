#pragma once
// Pieces every DynamoDbStore implementation shares, whatever it stores in: the stream record a
// write produces, an index's projection of an item, where a sort key lies against a condition,
// key-range arithmetic, index and start-key resolution, and the stream sequence-number format.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "services/dynamodb/model/ddb_store.hpp"

namespace mallard::dynamodb {

// The record a write from `before` to `after` (nullopt = absent) adds to the table's stream, with
// the images the stream's view type asks for and its size as AWS counts it.
StreamRecord MakeStreamRecord(const TableDefinition& table, const std::optional<Item>& before,
                              const std::optional<Item>& after, const WriteContext& context);

// What an index stores of `item`: all of it, or the table and index keys plus included attributes.
Item ProjectForIndex(const IndexDefinition& index, const KeySchema& table_keys, const Item& item);

// The ordering-key prefix every entry a Query reads starts with: its partition, then the leading
// RANGE values it fixes by equality (multi-attribute keys).
std::string QueryPrefix(const QueryRequest& request);
// The key attribute a Query's sort condition applies to (nullptr when it has none).
const KeyElement* ConditionedSortKey(const KeySchema& keys, const QueryRequest& request);
// Where a Query's sort condition places `item`, as SortPosition.
int QueryPosition(const KeySchema& keys, const QueryRequest& request, const Item& item);
// The key attributes of `item` that name where a page ends: the table's, and the index's.
Item LastEvaluatedKey(const TableDefinition& definition, const IndexDefinition* index, const Item& item);

// -1: `value` lies before the sort condition's range (in key order), 0: inside, 1: after.
// A missing condition or value is inside.
int SortPosition(const std::optional<SortCondition>& sort, const AttributeValue* value);

// The smallest string greater than every string starting with `prefix` ("" = none).
std::string PrefixSuccessor(std::string prefix);

// The index a request names (nullptr for the table itself), or IndexNotFound.
StoreResult<const IndexDefinition*> ResolveIndex(const TableDefinition& definition, const std::string& name);
// The ordering key of an ExclusiveStartKey in the table or index, or InvalidStartKey.
StoreResult<std::string> EncodeStartKey(const TableDefinition& definition, const IndexDefinition* index,
                                          const Item& start);

// Stream sequence numbers: 21 digits, "1" and the counter, so they sort as text and as numbers.
std::string FormatSequence(std::uint64_t sequence);
// 0 when the text is not a sequence number of ours.
std::uint64_t ParseSequence(std::string_view text);

}  // namespace mallard::dynamodb
