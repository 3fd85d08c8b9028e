// KeyConditionExpression: parsed with the condition grammar and validation, then reduced to the
// partition-key value and an optional sort-key condition, checked against the key schema.
#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/expression/ddb_expression_errors.hpp"

namespace mallard::dynamodb {
namespace {

using KeyTerm = KeyConditionTerm;

// The key-schema checks of a KeyConditionExpression answer without the "Invalid KeyConditionExpression: "
// prefix of parse errors (dynalite's query tests, which compare AWS's messages exactly).
AwsError KeyError(std::string_view detail) { return ValidationError(std::string(detail)); }

std::string_view OpName(CondOp op) {
  switch (op) {
    case CondOp::Or: return "OR";
    case CondOp::Not: return "NOT";
    case CondOp::In: return "IN";
    case CondOp::Ne: return "<>";
    case CondOp::AttributeExists: return "attribute_exists";
    case CondOp::AttributeNotExists: return "attribute_not_exists";
    case CondOp::AttributeType: return "attribute_type";
    case CondOp::Contains: return "contains";
    default: return "";
  }
}

Status<> Collect(const Condition& condition, std::uint32_t index, std::vector<KeyTerm>& terms) {
  const CondNode& node = condition.nodes[index];
  if (node.op == CondOp::And) {
    MALLARD_RETURN_IF_ERROR(Collect(condition, node.children[0], terms));
    return Collect(condition, node.children[1], terms);
  }
  std::string_view bad = OpName(node.op);
  if (!bad.empty()) return Fail(AwsError::Make("ValidationException", 400, "Invalid operator used in KeyConditionExpression: " + std::string(bad)));
  // BETWEEN and begins_with name the key first; AWS checks that before nested operations
  // (":a between size(b) and size(a)" is this error, dynalite's query tests).
  if ((node.op == CondOp::Between || node.op == CondOp::BeginsWith) && !node.operands.empty() &&
      node.operands[0].kind == Operand::Kind::Value) {
    return Fail(KeyError(std::string("Invalid condition in KeyConditionExpression: ") +
                         (node.op == CondOp::Between ? "BETWEEN" : "begins_with") +
                         " operator must have the key attribute as its first operand"));
  }
  const DocumentPath* path = nullptr;
  std::size_t path_index = 0;
  for (std::size_t i = 0; i < node.operands.size(); ++i) {
    const Operand& operand = node.operands[i];
    if (operand.kind == Operand::Kind::Size) return Fail(KeyError("KeyConditionExpressions cannot contain nested operations"));
    if (operand.kind != Operand::Kind::Path) continue;
    if (path) return Fail(KeyError("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"));
    if (operand.path.size() > 1) return Fail(KeyError("KeyConditionExpressions cannot have conditions on nested attributes"));
    path = &operand.path;
    path_index = i;
  }
  if ((node.op == CondOp::Between || node.op == CondOp::BeginsWith) && path && path_index != 0) {
    return Fail(KeyError(std::string("Invalid condition in KeyConditionExpression: ") +
                         (node.op == CondOp::Between ? "BETWEEN" : "begins_with") +
                         " operator must have the key attribute as its first operand"));
  }
  if (!path) return Fail(KeyError("Invalid condition in KeyConditionExpression: No key attribute specified"));
  KeyTerm term;
  term.name = (*path)[0].name;
  for (const KeyTerm& other : terms) {
    if (other.name == term.name) return Fail(KeyError("KeyConditionExpressions must only contain one condition per key"));
  }
  bool flipped = path_index != 0;
  using Op = SortKeyCondition::Op;
  switch (node.op) {
    case CondOp::Eq: term.op = Op::Eq; break;
    case CondOp::Lt: term.op = flipped ? Op::Gt : Op::Lt; break;
    case CondOp::Le: term.op = flipped ? Op::Ge : Op::Le; break;
    case CondOp::Gt: term.op = flipped ? Op::Lt : Op::Gt; break;
    case CondOp::Ge: term.op = flipped ? Op::Le : Op::Ge; break;
    case CondOp::Between: term.op = Op::Between; break;
    case CondOp::BeginsWith: term.op = Op::BeginsWith; break;
    default: return Fail(AwsError::Make("ValidationException", 400, "Invalid operator used in KeyConditionExpression: " + std::string(OpName(node.op))));
  }
  for (std::size_t i = 0; i < node.operands.size(); ++i) {
    if (i != path_index) term.values.push_back(node.operands[i].value);
  }
  terms.push_back(std::move(term));
  return Ok();
}

}  // namespace

Result<KeyCondition> ParseKeyCondition(std::string_view text, ExpressionInputs& inputs, const KeySchemaInfo& schema) {
  MALLARD_ASSIGN_OR_RETURN(Condition condition, ParseCondition(text, ExpressionKind::KeyCondition, inputs));
  std::vector<KeyTerm> terms;
  MALLARD_RETURN_IF_ERROR(Collect(condition, condition.root, terms));
  if (schema.IsMultiAttribute()) return ReduceMultiAttributeKeyCondition(terms, schema);
  std::size_t key_count = schema.sort_name ? 2 : 1;
  if (terms.size() > key_count) {
    return Fail(ValidationError("The number of query conditions (" + std::to_string(terms.size()) +
                                ") exceeds the number of key attributes defined in the schema (" + std::to_string(key_count) + ")"));
  }
  const KeyTerm* partition = nullptr;
  const KeyTerm* sort = nullptr;
  for (const KeyTerm& term : terms) {
    if (term.name == schema.partition_name) partition = &term;
    else if (schema.sort_name && term.name == *schema.sort_name) sort = &term;
  }
  auto type_mismatch = [] {
    return ValidationError("One or more parameter values were invalid: Condition parameter type does not match schema type");
  };
  if (!partition) return Fail(ValidationError("Query condition missed key schema element: " + schema.partition_name));
  for (const AttributeValue* value : partition->values) {
    if (value->type != schema.partition_type) return Fail(type_mismatch());
  }
  if (partition->op != SortKeyCondition::Op::Eq) return Fail(ValidationError("Query key condition not supported"));
  if (terms.size() == 2 && !sort) {
    return Fail(ValidationError("Query condition missed key schema element: " + (schema.sort_name ? *schema.sort_name : std::string())));
  }
  KeyCondition out;
  out.partition_value = *partition->values[0];
  if (sort) {
    for (const AttributeValue* value : sort->values) {
      if (value->type != schema.sort_type) return Fail(type_mismatch());
    }
    SortKeyCondition sort_condition;
    sort_condition.op = sort->op;
    sort_condition.value = *sort->values[0];
    if (sort->values.size() > 1) sort_condition.value2 = *sort->values[1];
    out.sort = std::move(sort_condition);
  }
  return out;
}

}  // namespace mallard::dynamodb
