#pragma once
// The DynamoDB expression language: ConditionExpression, FilterExpression, KeyConditionExpression,
// ProjectionExpression and UpdateExpression, parsed once per request into compact ASTs, validated
// with AWS's exact ValidationException messages, and evaluated against items without copying them.
//
// Typical use in a request handler:
//   MALLARD_ASSIGN_OR_RETURN(auto inputs, ExpressionInputs::Make(names_json_or_null, values_or_null));
//   MALLARD_ASSIGN_OR_RETURN(auto update, ParseUpdate(update_text, inputs));
//   MALLARD_ASSIGN_OR_RETURN(auto cond, ParseCondition(cond_text, ExpressionKind::Condition, inputs));
//   MALLARD_RETURN_IF_ERROR(inputs.CheckAllUsed());
//   ... bool ok = *cond.Evaluate(old_item_or_null); ... update.Apply(old_item_or_null, key) ...
// The ASTs point into `inputs` (ExpressionAttributeValues): keep it alive (it may be moved) while
// the parsed expressions are used.
#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "services/dynamodb/model/ddb_value.hpp"

namespace mallard::dynamodb {

// ---------------------------------------------------------------- document paths --------------
struct PathElement {
  std::string name;         // map member / attribute name (when !is_index)
  std::uint32_t index = 0;  // list index (when is_index)
  bool is_index = false;
  bool operator==(const PathElement& other) const {
    return is_index == other.is_index && (is_index ? index == other.index : name == other.name);
  }
};
using DocumentPath = std::vector<PathElement>;

// AWS's rendering in messages: "[a, b, [0]]".
std::string PathToString(const DocumentPath& path);
// The value at `path` in `item`, or nullptr (missing attribute, wrong container type, index out of
// range). No copies.
const AttributeValue* ResolvePath(const Item& item, const DocumentPath& path);

// ---------------------------------------------------------------- inputs ----------------------
enum class ExpressionKind : unsigned char { Condition, Filter, KeyCondition, Projection, Update };
// "ConditionExpression", "FilterExpression", "KeyConditionExpression", "ProjectionExpression",
// "UpdateExpression".
std::string_view ExpressionParamName(ExpressionKind kind);

// ExpressionAttributeNames / ExpressionAttributeValues of one request, with the record of which
// placeholders the request's expressions used.
class ExpressionInputs {
 public:
  ExpressionInputs() = default;
  // `names`: the ExpressionAttributeNames JSON object (nullptr when absent); `values`: the decoded
  // ExpressionAttributeValues (nullopt when absent). Errors: "ExpressionAttributeNames must not be
  // empty", "ExpressionAttributeValues must not be empty", invalid placeholder keys.
  static Result<ExpressionInputs> Make(const boost::json::object* names, std::optional<AttributeMap> values);

  // After every expression of the request was parsed: AWS's "Value provided in
  // ExpressionAttributeNames unused in expressions: keys: {#n}" (names first, then values).
  Status<> CheckAllUsed() const;

  bool has_names() const { return has_names_; }
  bool has_values() const { return has_values_; }

  // Used by the parsers: resolve a placeholder and mark it used; nullptr when undefined.
  const std::string* UseName(std::string_view placeholder);
  const AttributeValue* UseValue(std::string_view placeholder);

 private:
  struct Name {
    std::string key;
    std::string value;
    bool used = false;
  };
  std::vector<Name> names_;  // request order
  AttributeMap values_;      // nodes are stable across moves: the ASTs point into them
  std::vector<const AttributeValue*> used_values_;
  bool has_names_ = false;
  bool has_values_ = false;
};

// Which parameters of a request are the expression kind and which are legacy, and the checks AWS
// does on their combination before parsing anything:
//   "Can not use both expression and non-expression parameters in the same request:
//    Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
//   "ExpressionAttributeNames can only be specified when using expressions"
//   "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
// `expression_params` are the operation's expression parameter names in AWS's order (e.g. for
// UpdateItem {"UpdateExpression", "ConditionExpression"}; for Query {"ProjectionExpression",
// "FilterExpression", "KeyConditionExpression"}), `legacy_params` its legacy ones.
Status<> CheckParameterStyle(const boost::json::object& request,
                             const std::vector<std::string_view>& expression_params,
                             const std::vector<std::string_view>& legacy_params);

// ---------------------------------------------------------------- conditions ------------------
struct Operand {
  enum class Kind : unsigned char { Path, Value, Size };
  Kind kind = Kind::Path;
  DocumentPath path;                     // Path, Size
  const AttributeValue* value = nullptr;  // Value; Size of a value (size(:v))
};

enum class CondOp : unsigned char {
  And, Or, Not,
  Eq, Ne, Lt, Le, Gt, Ge, Between, In,
  AttributeExists, AttributeNotExists, AttributeType, BeginsWith, Contains,
};

struct CondNode {
  CondOp op = CondOp::Eq;
  std::vector<std::uint32_t> children;  // And / Or / Not: indexes into Condition::nodes
  std::vector<Operand> operands;        // comparisons and functions
};

class Condition {
 public:
  // Never fails today (type mismatches make a comparison false, as in DynamoDB); Result keeps room
  // for runtime errors. `item` nullptr = the item does not exist.
  Result<bool> Evaluate(const Item* item) const;
  bool Matches(const Item* item) const;
  // Every document path the condition mentions (e.g. to reject key attributes in a Query filter:
  // "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk").
  const std::vector<DocumentPath>& paths() const { return paths_; }

  std::vector<CondNode> nodes;
  std::uint32_t root = 0;
  // Values owned by the AST (legacy conditions); expression conditions point into ExpressionInputs.
  std::vector<std::unique_ptr<AttributeValue>> owned_values;
  std::vector<DocumentPath> paths_;
};

// ConditionExpression / FilterExpression (kind Condition or Filter; KeyCondition for the raw tree).
Result<Condition> ParseCondition(std::string_view text, ExpressionKind kind, ExpressionInputs& inputs);

// ---------------------------------------------------------------- projection ------------------
class Projection {
 public:
  Projection() = default;
  explicit Projection(std::vector<DocumentPath> paths);
  // The projected item: nested paths keep their structure, list elements are compacted in index
  // order (DynamoDB's behaviour).
  Item Apply(const Item& item) const;
  const std::vector<DocumentPath>& paths() const { return paths_; }
  // Top-level attribute names mentioned, in order of first mention.
  std::vector<std::string> TopLevelNames() const;

  struct Node;  // the merged path tree (ddb_expression_eval.cpp)

 private:
  std::vector<DocumentPath> paths_;
  std::shared_ptr<const Node> tree_;
};

Result<Projection> ParseProjection(std::string_view text, ExpressionInputs& inputs);

// ---------------------------------------------------------------- updates ---------------------
struct UpdateValue {
  enum class Kind : unsigned char { Operand, Plus, Minus, IfNotExists, ListAppend };
  Kind kind = Kind::Operand;
  Operand operand;                 // Kind::Operand
  std::vector<UpdateValue> args;   // the others: two arguments
};

struct UpdateAction {
  enum class Kind : unsigned char { Set, Remove, Add, Delete };
  Kind kind = Kind::Set;
  DocumentPath path;
  UpdateValue value;                      // Set
  const AttributeValue* literal = nullptr;  // Add / Delete
};

class UpdateExpression {
 public:
  // The new item: `old_item` (nullptr when the item does not exist, then the item starts as `key`)
  // with the actions applied as DynamoDB does (SET values computed from the old item; list indexes
  // refer to the old list). Errors are AWS's runtime ValidationExceptions.
  Result<Item> Apply(const Item* old_item, Item key) const;
  // Top-level attribute names the expression assigns or removes (key-attribute check).
  std::vector<std::string> TopLevelNames() const;
  // The updated paths of `item` (ReturnValues UPDATED_OLD on the old item, UPDATED_NEW on the new).
  Item ProjectUpdated(const Item& item) const { return updated_.Apply(item); }
  const std::vector<DocumentPath>& paths() const { return updated_.paths(); }

  std::vector<UpdateAction> actions;  // in expression order
  Projection updated_;
};

Result<UpdateExpression> ParseUpdate(std::string_view text, ExpressionInputs& inputs);

// ---------------------------------------------------------------- key conditions --------------
struct KeySchemaInfo {
  std::string partition_name;
  AttrType partition_type = AttrType::S;
  std::optional<std::string> sort_name;
  AttrType sort_type = AttrType::S;
  // Multi-attribute index keys: the other HASH and RANGE attributes, in KeySchema order.
  std::vector<std::pair<std::string, AttrType>> more_partition;
  std::vector<std::pair<std::string, AttrType>> more_sort;
  bool IsMultiAttribute() const { return !more_partition.empty() || !more_sort.empty(); }
};

struct SortKeyCondition {
  enum class Op : unsigned char { Eq, Lt, Le, Gt, Ge, Between, BeginsWith };
  Op op = Op::Eq;
  AttributeValue value;   // the bound (lower bound for Between)
  AttributeValue value2;  // upper bound for Between
  bool Matches(const AttributeValue& sort_value) const;
};

struct KeyCondition {
  AttributeValue partition_value;
  std::optional<SortKeyCondition> sort;
  // Multi-attribute index keys: the values of the other HASH attributes, and the equalities on the
  // leading RANGE attributes; `sort` then applies to the RANGE attribute after them.
  std::vector<AttributeValue> more_partition_values;
  std::vector<AttributeValue> sort_prefix;
};

// One condition of a Query's key condition (expression or legacy KeyConditions), by attribute.
struct KeyConditionTerm {
  std::string name;
  SortKeyCondition::Op op = SortKeyCondition::Op::Eq;
  std::vector<const AttributeValue*> values;
};
// The key condition of a Query on a multi-attribute index key: equality on every HASH attribute and,
// on the RANGE attributes in KeySchema order, equalities then at most one final condition.
Result<KeyCondition> ReduceMultiAttributeKeyCondition(const std::vector<KeyConditionTerm>& terms,
                                                      const KeySchemaInfo& schema);

Result<KeyCondition> ParseKeyCondition(std::string_view text, ExpressionInputs& inputs,
                                       const KeySchemaInfo& schema);

}  // namespace mallard::dynamodb
