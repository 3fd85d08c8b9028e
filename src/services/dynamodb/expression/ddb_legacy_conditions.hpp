#pragma once
// The legacy (pre-expression) parameters, converted to the expression ASTs so that evaluation is
// shared: Expected + ConditionalOperator, QueryFilter / ScanFilter, KeyConditions, AttributesToGet
// and AttributeUpdates. Inputs are the raw request JSON members; values are decoded here with the
// usual AttributeValue validation. Mixing with expression parameters: CheckParameterStyle.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/dynamodb/expression/ddb_expression.hpp"

namespace mallard::dynamodb {

// Expected: {"attr": {"Value"?, "Exists"?, "ComparisonOperator"?, "AttributeValueList"?}}.
// `conditional_operator` is "AND" (also for "") or "OR".
Result<Condition> ConvertExpected(const boost::json::object& expected, std::string_view conditional_operator);
// QueryFilter / ScanFilter: {"attr": {"ComparisonOperator", "AttributeValueList"?}}.
Result<Condition> ConvertFilter(const boost::json::object& filter, std::string_view conditional_operator);
// KeyConditions of a Query against the table's or index's key schema.
Result<KeyCondition> ConvertKeyConditions(const boost::json::object& key_conditions, const KeySchemaInfo& schema);
// AttributesToGet: top-level names.
Result<Projection> ConvertAttributesToGet(const boost::json::array& names);

// AttributeUpdates: {"attr": {"Action"?: PUT|ADD|DELETE, "Value"?}}.
class LegacyUpdates {
 public:
  struct Update {
    enum class Action : unsigned char { Put, Add, Delete };
    std::string name;
    Action action = Action::Put;
    std::optional<AttributeValue> value;
  };
  Result<Item> Apply(const Item* old_item, Item key) const;
  std::vector<std::string> TopLevelNames() const;
  // Only the updated attributes of `item` (ReturnValues UPDATED_OLD / UPDATED_NEW).
  Item ProjectUpdated(const Item& item) const;

  std::vector<Update> updates;
};
Result<LegacyUpdates> ConvertAttributeUpdates(const boost::json::object& updates);

}  // namespace mallard::dynamodb
