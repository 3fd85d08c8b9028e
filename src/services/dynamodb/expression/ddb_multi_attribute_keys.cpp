// Query key conditions on a multi-attribute index key (global secondary indexes with up to four
// HASH and four RANGE attributes, AWS since November 2025). DynamoDB Developer Guide, "Multi-attribute
// key schema": every HASH attribute needs an equality; the RANGE attributes are queried left to
// right, equalities on the leading ones and at most one final condition (=, <, <=, >, >=, BETWEEN,
// begins_with) on the last one used; a skipped RANGE attribute is an error.
//
// The messages are those DynamoDB gives for the same mistakes on a single-attribute key ("Query
// condition missed key schema element: <attribute>", which moto's AWS-verified tests see naming the
// skipped RANGE attribute; "Query key condition not supported" for a range condition where an
// equality is needed).
#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/expression/ddb_expression_errors.hpp"

namespace mallard::dynamodb {
namespace {

const KeyConditionTerm* FindTerm(const std::vector<KeyConditionTerm>& terms, const std::string& name) {
  for (const KeyConditionTerm& term : terms)
    if (term.name == name) return &term;
  return nullptr;
}

AwsError MissedElement(const std::string& name) {
  return ValidationError("Query condition missed key schema element: " + name);
}

Status<> CheckTypes(const KeyConditionTerm& term, AttrType type) {
  for (const AttributeValue* value : term.values)
    if (value->type != type)
      return Fail(ValidationError("One or more parameter values were invalid: Condition parameter type does not match schema type"));
  return Ok();
}

}  // namespace

Result<KeyCondition> ReduceMultiAttributeKeyCondition(const std::vector<KeyConditionTerm>& terms,
                                                      const KeySchemaInfo& schema) {
  std::vector<std::pair<std::string, AttrType>> hashes{{schema.partition_name, schema.partition_type}};
  hashes.insert(hashes.end(), schema.more_partition.begin(), schema.more_partition.end());
  std::vector<std::pair<std::string, AttrType>> ranges;
  if (schema.sort_name) ranges.emplace_back(*schema.sort_name, schema.sort_type);
  ranges.insert(ranges.end(), schema.more_sort.begin(), schema.more_sort.end());
  const std::size_t key_count = hashes.size() + ranges.size();
  if (terms.size() > key_count)
    return Fail(ValidationError("The number of query conditions (" + std::to_string(terms.size()) +
                                ") exceeds the number of key attributes defined in the schema (" +
                                std::to_string(key_count) + ")"));
  KeyCondition out;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    const KeyConditionTerm* term = FindTerm(terms, hashes[i].first);
    if (!term) return Fail(MissedElement(hashes[i].first));
    MALLARD_RETURN_IF_ERROR(CheckTypes(*term, hashes[i].second));
    if (term->op != SortKeyCondition::Op::Eq) return Fail(ValidationError("Query key condition not supported"));
    (i == 0 ? out.partition_value : out.more_partition_values.emplace_back()) = *term->values[0];
  }
  // The RANGE attributes used: a prefix of them, judged left to right.
  std::size_t used = 0;  // one past the last RANGE attribute a term names
  std::size_t range_terms = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (FindTerm(terms, ranges[i].first)) {
      used = i + 1;
      ++range_terms;
    }
  }
  if (hashes.size() + range_terms != terms.size()) {
    // A condition on an attribute outside the key: the first RANGE attribute not named is missing.
    for (const auto& range : ranges)
      if (!FindTerm(terms, range.first)) return Fail(MissedElement(range.first));
  }
  for (std::size_t i = 0; i < used; ++i) {
    const KeyConditionTerm* term = FindTerm(terms, ranges[i].first);
    if (!term) return Fail(MissedElement(ranges[i].first));
    MALLARD_RETURN_IF_ERROR(CheckTypes(*term, ranges[i].second));
    if (i + 1 < used) {
      if (term->op != SortKeyCondition::Op::Eq) return Fail(ValidationError("Query key condition not supported"));
      out.sort_prefix.push_back(*term->values[0]);
      continue;
    }
    SortKeyCondition condition;
    condition.op = term->op;
    condition.value = *term->values[0];
    if (term->values.size() > 1) condition.value2 = *term->values[1];
    out.sort = std::move(condition);
  }
  return out;
}

}  // namespace mallard::dynamodb
