// DynamoDB Query and Scan: pages come from the store (key conditions, order, Limit, the 1 MB
// budget); filters, projections and Select run here, after the page is read, as in DynamoDB —
// Limit counts evaluated items, so Count <= ScannedCount.
#include <set>

#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_item_rules.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"
#include "services/dynamodb/ddb_request_expressions.hpp"
#include "services/dynamodb/ddb_service.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = DynamoDbService::Json;
using errors::InvalidParameter;
using errors::Validation;

namespace {

struct ReadPlan {
  TableDefinition table;
  const IndexDefinition* index = nullptr;
  std::string select;
  std::optional<std::int64_t> limit;
  bool consistent = false;
  std::optional<Item> exclusive_start_key;
  rules::CapacityDetail capacity = rules::CapacityDetail::None;
};

Result<ReadPlan> PlanRead(const json::object& input, TableDefinition table) {
  ReadPlan plan;
  plan.table = std::move(table);
  MALLARD_ASSIGN_OR_RETURN(auto index_name, input::OptionalString(input, "IndexName"));
  if (index_name) {
    plan.index = plan.table.FindIndex(*index_name);
    if (!plan.index) return Fail(Validation("The table does not have the specified index: " + *index_name));
    // A global index UpdateTable added is CREATING until its backfill ends (LoadTable shows it so).
    if (plan.index->global && plan.index->status == "CREATING")
      return Fail(Validation("Cannot read from backfilling global secondary index"));
  }
  MALLARD_ASSIGN_OR_RETURN(plan.select, input::EnumMember(input, "Select",
                                                          {"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES",
                                                           "SPECIFIC_ATTRIBUTES", "COUNT"},
                                                          ""));
  const bool has_projection = input.contains("ProjectionExpression") || input.contains("AttributesToGet");
  if (plan.select == "ALL_PROJECTED_ATTRIBUTES" && !plan.index)
    return Fail(Validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"));
  if (plan.select == "SPECIFIC_ATTRIBUTES" && !has_projection)
    return Fail(Validation("Select type SPECIFIC_ATTRIBUTES requires ProjectionExpression or AttributesToGet"));
  if (has_projection && !plan.select.empty() && plan.select != "SPECIFIC_ATTRIBUTES")
    return Fail(Validation("Cannot specify the " +
                           std::string(input.contains("ProjectionExpression") ? "ProjectionExpression" : "AttributesToGet") +
                           " when choosing to get " + plan.select));
  if (plan.select == "ALL_ATTRIBUTES" && plan.index && plan.index->global &&
      plan.index->projection.type != ProjectionType::All)
    return Fail(InvalidParameter("Select type ALL_ATTRIBUTES is not supported for global secondary index " +
                                 plan.index->name + " because its projection type is not ALL"));
  MALLARD_ASSIGN_OR_RETURN(plan.limit, input::OptionalInt(input, "Limit"));
  if (plan.limit && *plan.limit < 1)
    return Fail(input::ConstraintError("Limit", "'" + std::to_string(*plan.limit) + "'",
                                       "Member must have value greater than or equal to 1"));
  MALLARD_ASSIGN_OR_RETURN(auto consistent, input::OptionalBool(input, "ConsistentRead"));
  plan.consistent = consistent.value_or(false);
  if (plan.consistent && plan.index && plan.index->global)
    return Fail(Validation("Consistent reads are not supported on global secondary indexes"));
  MALLARD_ASSIGN_OR_RETURN(auto start, input::OptionalObject(input, "ExclusiveStartKey"));
  if (start) {
    MALLARD_ASSIGN_OR_RETURN(auto key, DecodeMap(*start));
    plan.exclusive_start_key = std::move(key);
  }
  MALLARD_ASSIGN_OR_RETURN(plan.capacity, rules::ParseCapacityDetail(input));
  return plan;
}

AwsError InvalidStartKey() { return Validation("The provided starting key is invalid"); }

// AWS accepts an ExclusiveStartKey only when it is exactly a key of what is read: the table's key
// attributes (and the index's), with their types, and nothing else.
Status<> CheckStartKeyShape(const ReadPlan& plan, const Item& start) {
  std::set<std::string> expected;
  auto has = [&](const KeyElement& element) {
    expected.insert(element.name);
    auto it = start.find(element.name);
    return it != start.end() && it->second.type == element.type;
  };
  bool ok = has(plan.table.keys.partition) && (!plan.table.keys.sort || has(*plan.table.keys.sort));
  if (plan.index) ForEachKeyElement(plan.index->keys, [&](const KeyElement& element) { ok = has(element) && ok; });
  if (!ok || start.size() != expected.size()) return Fail(InvalidStartKey());
  return Done{};
}

// The parallel-scan segment a partition falls in: the stores cut the 32-bit partition hash space
// into `total` ranges starting at 2^32 * segment / total (SegmentStart).
int SegmentOf(std::uint32_t partition_hash, int total) {
  const std::uint64_t hash = partition_hash;
  auto start = [&](std::uint64_t segment) { return (std::uint64_t{1} << 32) * segment / static_cast<std::uint64_t>(total); };
  std::uint64_t segment = hash * static_cast<std::uint64_t>(total) >> 32;
  while (segment + 1 < static_cast<std::uint64_t>(total) && start(segment + 1) <= hash) ++segment;
  while (segment > 0 && start(segment) > hash) --segment;
  return static_cast<int>(segment);
}

SortOp ToStoreOp(SortKeyCondition::Op op) {
  switch (op) {
    case SortKeyCondition::Op::Eq: return SortOp::Eq;
    case SortKeyCondition::Op::Lt: return SortOp::Lt;
    case SortKeyCondition::Op::Le: return SortOp::Le;
    case SortKeyCondition::Op::Gt: return SortOp::Gt;
    case SortKeyCondition::Op::Ge: return SortOp::Ge;
    case SortKeyCondition::Op::Between: return SortOp::Between;
    case SortKeyCondition::Op::BeginsWith: return SortOp::BeginsWith;
  }
  return SortOp::Eq;
}

Json RenderPage(const ReadPlan& plan, const RequestExpressions& expressions, Page page) {
  json::array items;
  std::int64_t count = 0;
  const bool count_only = plan.select == "COUNT";
  for (const auto& item : page.items) {
    if (expressions.filter && !expressions.filter->Matches(&item)) continue;
    ++count;
    if (count_only) continue;
    items.push_back(MapToJson(expressions.projection ? expressions.projection->Apply(item) : item));
  }
  Json output;
  if (!count_only) output["Items"] = std::move(items);
  output["Count"] = count;
  output["ScannedCount"] = static_cast<std::int64_t>(page.items.size());
  if (page.last_evaluated_key) output["LastEvaluatedKey"] = MapToJson(*page.last_evaluated_key);
  if (plan.capacity != rules::CapacityDetail::None) {
    const double units = rules::ReadUnits(page.bytes_read, plan.consistent);
    output["ConsumedCapacity"] = plan.index ? rules::IndexReadCapacityJson(plan.table, plan.index->name, units, plan.capacity)
                                            : rules::CapacityJson(plan.table, units, false, plan.capacity);
  }
  return output;
}

// A local index shares its partition with the table, so DynamoDB fetches attributes the index
// does not project from the table when the request asks for them.
bool WantsWholeItems(const ReadPlan& plan, const RequestExpressions& expressions) {
  if (!plan.index || plan.index->global) return false;
  return plan.select == "ALL_ATTRIBUTES" || expressions.projection.has_value() || expressions.filter.has_value();
}

Status<> RejectKeyAttributesInFilter(const Condition& filter, const KeySchema& keys) {
  for (const auto& path : filter.paths()) {
    if (path.empty() || path[0].is_index) continue;
    const std::string& name = path[0].name;
    bool key = false;
    ForEachKeyElement(keys, [&](const KeyElement& element) { key = key || element.name == name; });
    if (key)
      return Fail(Validation("Filter Expression can only contain non-primary key attributes: Primary key attribute: " +
                             name));
  }
  return Done{};
}

// The part of a Query's expressions AWS judges before the table: the syntax of each expression and
// its placeholders (undefined or unused). Only for requests in expression style; the key condition's
// key-schema rules, and everything legacy, are judged with the table by ParseRequestExpressions, which
// repeats these checks in the same order (projection, filter, key condition, unused placeholders).
Status<> JudgeQueryExpressionsBeforeLookup(const json::object& input) {
  for (const char* legacy : {"KeyConditions", "QueryFilter", "AttributesToGet", "ConditionalOperator"})
    if (input.contains(legacy)) return Done{};
  MALLARD_ASSIGN_OR_RETURN(auto key_condition, rules::ExpressionText(input, "KeyConditionExpression"));
  if (!key_condition) return Done{};
  MALLARD_ASSIGN_OR_RETURN(auto inputs, rules::ParseExpressionInputs(input));
  MALLARD_ASSIGN_OR_RETURN(auto projection, rules::ExpressionText(input, "ProjectionExpression"));
  if (projection) MALLARD_RETURN_IF_ERROR(ParseProjection(*projection, inputs));
  MALLARD_ASSIGN_OR_RETURN(auto filter, rules::ExpressionText(input, "FilterExpression"));
  if (filter) MALLARD_RETURN_IF_ERROR(ParseCondition(*filter, ExpressionKind::Filter, inputs));
  MALLARD_RETURN_IF_ERROR(ParseCondition(*key_condition, ExpressionKind::KeyCondition, inputs));
  return inputs.CheckAllUsed();
}

}  // namespace

Result<Json> DynamoDbService::Query(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  if (!call.input.contains("KeyConditionExpression") && !call.input.contains("KeyConditions"))
    return Fail(Validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."));
  MALLARD_RETURN_IF_ERROR(JudgeQueryExpressionsBeforeLookup(call.input));
  MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, table_name));
  MALLARD_ASSIGN_OR_RETURN(auto plan, PlanRead(call.input, std::move(table)));
  const KeySchema& keys = plan.index ? plan.index->keys : plan.table.keys;
  const KeySchemaInfo key_info = rules::KeyInfo(keys);
  MALLARD_ASSIGN_OR_RETURN(auto expressions,
                           ParseRequestExpressions(call.input,
                                                   {.filter = true, .projection = true, .key_condition = true,
                                                    .filter_legacy_name = "QueryFilter"},
                                                   &key_info));
  if (!expressions.key_condition)
    return Fail(Validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."));
  if (expressions.filter) MALLARD_RETURN_IF_ERROR(RejectKeyAttributesInFilter(*expressions.filter, keys));
  MALLARD_ASSIGN_OR_RETURN(auto forward, input::OptionalBool(call.input, "ScanIndexForward"));
  QueryRequest request;
  request.table = plan.table.name;
  request.index = plan.index ? plan.index->name : "";
  request.partition = expressions.key_condition->partition_value;
  request.more_partition = expressions.key_condition->more_partition_values;
  request.sort_prefix = expressions.key_condition->sort_prefix;
  if (expressions.key_condition->sort) {
    const auto& sort = *expressions.key_condition->sort;
    request.sort = SortCondition{ToStoreOp(sort.op), sort.value, sort.value2};
  }
  request.forward = forward.value_or(true);
  if (plan.exclusive_start_key) {
    MALLARD_RETURN_IF_ERROR(CheckStartKeyShape(plan, *plan.exclusive_start_key));
    if (!Equals(plan.exclusive_start_key->at(keys.partition.name), request.partition)) return Fail(InvalidStartKey());
    for (std::size_t i = 0; i < request.more_partition.size(); ++i)
      if (!Equals(plan.exclusive_start_key->at(keys.PartitionAt(i + 1).name), request.more_partition[i]))
        return Fail(InvalidStartKey());
  }
  request.exclusive_start_key = plan.exclusive_start_key;
  request.limit = static_cast<std::size_t>(plan.limit.value_or(0));
  request.whole_items = WantsWholeItems(plan, expressions);
  auto page = store_->Query(call.scope, request);
  if (!page) return Fail(errors::FromStore(page.error()));
  return RenderPage(plan, expressions, std::move(page).value());
}

Result<Json> DynamoDbService::Scan(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  MALLARD_ASSIGN_OR_RETURN(auto expressions,
                           ParseRequestExpressions(call.input, {.filter = true, .projection = true,
                                                                .filter_legacy_name = "ScanFilter"}));
  MALLARD_ASSIGN_OR_RETURN(auto segment, input::OptionalInt(call.input, "Segment"));
  MALLARD_ASSIGN_OR_RETURN(auto total, input::OptionalInt(call.input, "TotalSegments"));
  if (segment && !total)
    return Fail(Validation("The TotalSegments parameter is required but was not present in the request when Segment "
                           "parameter is present"));
  if (total && !segment)
    return Fail(Validation("The Segment parameter is required but was not present in the request when parameter "
                           "TotalSegments is present"));
  if (total && (*total < 1 || *total > 1000000))
    return Fail(input::ConstraintError("TotalSegments", "'" + std::to_string(*total) + "'",
                                       *total < 1 ? "Member must have value greater than or equal to 1"
                                                  : "Member must have value less than or equal to 1000000"));
  if (segment && *segment < 0)
    return Fail(input::ConstraintError("Segment", "'" + std::to_string(*segment) + "'",
                                       "Member must have value greater than or equal to 0"));
  if (segment && *segment >= *total)
    return Fail(Validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: " +
                           std::to_string(*segment) + " is not less than TotalSegments: " + std::to_string(*total)));
  // Only now, with the request judged, the table (issue 15: validation order).
  MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, table_name));
  MALLARD_ASSIGN_OR_RETURN(auto plan, PlanRead(call.input, std::move(table)));
  ScanRequest request;
  request.table = plan.table.name;
  request.index = plan.index ? plan.index->name : "";
  request.segment = static_cast<int>(segment.value_or(0));
  request.total_segments = static_cast<int>(total.value_or(1));
  if (plan.exclusive_start_key) {
    MALLARD_RETURN_IF_ERROR(CheckStartKeyShape(plan, *plan.exclusive_start_key));
    const KeySchema& keys = plan.index ? plan.index->keys : plan.table.keys;
    if (SegmentOf(PartitionHashOf(keys, *plan.exclusive_start_key), request.total_segments) != request.segment)
      return Fail(InvalidStartKey());
  }
  request.exclusive_start_key = plan.exclusive_start_key;
  request.limit = static_cast<std::size_t>(plan.limit.value_or(0));
  request.whole_items = WantsWholeItems(plan, expressions);
  auto page = store_->Scan(call.scope, request);
  if (!page) return Fail(errors::FromStore(page.error()));
  return RenderPage(plan, expressions, std::move(page).value());
}

}  // namespace mallard::dynamodb
