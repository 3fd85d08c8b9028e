#pragma once
// Parses every expression of one request — in the expression style or the legacy parameter style
// (Expected, AttributesToGet, KeyConditions, QueryFilter/ScanFilter, AttributeUpdates) — into the
// shared ASTs, and checks placeholder use across all of them, as AWS does per request.
#include <boost/json/object.hpp>

#include <optional>

#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/expression/ddb_legacy_conditions.hpp"

namespace mallard::dynamodb {

struct RequestExpressions {
  ExpressionInputs inputs;  // the ASTs point into it; it moves with them
  std::optional<Condition> condition;
  std::optional<Condition> filter;
  std::optional<Projection> projection;
  std::optional<UpdateExpression> update;
  std::optional<LegacyUpdates> legacy_update;  // AttributeUpdates
  std::optional<KeyCondition> key_condition;

  // The update in whichever style the request used.
  bool HasUpdate() const { return update || legacy_update; }
  // AttributeUpdates: {} (an UpdateExpression always has an action).
  bool HasNoActions() const { return legacy_update && legacy_update->updates.empty(); }
  Result<Item> ApplyUpdate(const Item* old_item, Item key) const {
    return update ? update->Apply(old_item, std::move(key)) : legacy_update->Apply(old_item, std::move(key));
  }
  std::vector<std::string> UpdatedTopLevelNames() const {
    return update ? update->TopLevelNames() : legacy_update->TopLevelNames();
  }
  Item ProjectUpdated(const Item& item) const {
    return update ? update->ProjectUpdated(item) : legacy_update->ProjectUpdated(item);
  }
};

// Which expressions an operation accepts.
struct ExpressionUse {
  bool condition = false;      // ConditionExpression / Expected
  bool filter = false;         // FilterExpression / QueryFilter or ScanFilter
  bool projection = false;     // ProjectionExpression / AttributesToGet
  bool update = false;         // UpdateExpression / AttributeUpdates
  bool key_condition = false;  // KeyConditionExpression / KeyConditions
  const char* filter_legacy_name = "QueryFilter";
};

// `keys`: the key schema the key condition applies to (table or index); needed for key_condition.
Result<RequestExpressions> ParseRequestExpressions(const boost::json::object& input, const ExpressionUse& use,
                                                   const KeySchemaInfo* keys = nullptr);

}  // namespace mallard::dynamodb
