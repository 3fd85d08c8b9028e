#pragma once
// The rules every item operation shares: decoding items, keys and expression values with AWS's
// messages; validating items and keys against a table's schema and its indexes; capacity units.
#include <boost/json/object.hpp>

#include <optional>

#include "common/result.hpp"
#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/model/ddb_model.hpp"

namespace mallard::dynamodb::rules {

// A whole item for a write: key attributes present with the schema's types and non-empty, index
// key attributes (when present) of the right type and non-empty, within 400 KB.
Status<> ValidateItem(const TableDefinition& table, const Item& item);
// The request's `Key`: exactly the table's key attributes, with the right types.
Result<Item> ParseKey(const TableDefinition& table, const boost::json::value* key_json);
Result<Item> ParseItem(const boost::json::value* item_json);
// ExpressionAttributeNames / ExpressionAttributeValues of a request.
Result<ExpressionInputs> ParseExpressionInputs(const boost::json::object& input);
// An optional expression string member; an empty string is AWS's error for that member.
Result<std::optional<std::string>> ExpressionText(const boost::json::object& input, std::string_view member);

KeySchemaInfo KeyInfo(const KeySchema& keys);

// ReturnConsumedCapacity: NONE (or absent), TOTAL, INDEXES.
enum class CapacityDetail : unsigned char { None, Total, Indexes };
Result<CapacityDetail> ParseCapacityDetail(const boost::json::object& input);
// Read units for `bytes` read: 4 KB units, halved for eventually consistent reads, at least 0.5.
double ReadUnits(std::size_t bytes, bool consistent);
// Write units for an item of `bytes`: 1 KB units, at least 1.
double WriteUnits(std::size_t bytes);
// The ConsumedCapacity member for a table (and, with INDEXES, its index share). A write costs
// `units` on the table and again on every index in `written_indexes`.
boost::json::object CapacityJson(const TableDefinition& table, double units, bool write, CapacityDetail detail,
                                 const std::vector<std::string>& written_indexes = {});
// The same for a read of `units` from the index `index_name` (a Query or Scan of an index): the
// table's share is 0 and the units are the index's.
boost::json::object IndexReadCapacityJson(const TableDefinition& table, const std::string& index_name, double units,
                                          CapacityDetail detail);
// ReturnItemCollectionMetrics: SIZE (true) or NONE (false, or absent).
Result<bool> ParseItemCollectionMetrics(const boost::json::object& input);
// ItemCollectionMetrics for a write of the item with `key`: only tables with a local secondary index
// have item collections; for others DynamoDB returns none (nullopt).
std::optional<boost::json::object> ItemCollectionMetricsJson(const TableDefinition& table, const Item& key);
// Indexes a write touches: those where the old or the new item has the index's key attributes.
std::vector<std::string> WrittenIndexes(const TableDefinition& table, const Item* old_item, const Item* new_item);

// Validates ReturnValues against the operation's allowed set.
Result<std::string> ParseReturnValues(const boost::json::object& input, std::initializer_list<const char*> allowed,
                                      const char* message_when_invalid);
// ReturnValuesOnConditionCheckFailure: true when ALL_OLD.
Result<bool> ParseReturnOldOnConditionFailure(const boost::json::object& input);

}  // namespace mallard::dynamodb::rules
