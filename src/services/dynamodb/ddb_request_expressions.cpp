#include "services/dynamodb/ddb_request_expressions.hpp"

#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_item_rules.hpp"

namespace mallard::dynamodb {
namespace {

// ConditionalOperator combines two or more legacy conditions; AWS rejects it without them (messages
// as AWS answers, quoted from captures against DynamoDB in ExtendDB's PR #213; ScyllaDB's
// test_update_expected_empty and test_conditional_operator_expected_missing, run against AWS).
Status<> CheckConditionalOperator(const boost::json::object& input, const ExpressionUse& use) {
  const auto* given = input.if_contains("ConditionalOperator");
  if (!given || given->is_null() || !(use.condition || use.filter)) return Done{};
  const auto* conditions = input.if_contains(use.condition ? "Expected" : use.filter_legacy_name);
  if (!conditions || conditions->is_null())
    return Fail(errors::Validation("ConditionalOperator cannot be used without Filter or Expected"));
  if (conditions->is_object() && conditions->get_object().size() < 2)
    return Fail(errors::Validation("ConditionalOperator can only be used when Filter or Expected has two or more elements"));
  return Done{};
}

}  // namespace

Result<RequestExpressions> ParseRequestExpressions(const boost::json::object& input, const ExpressionUse& use,
                                                   const KeySchemaInfo* keys) {
  std::vector<std::string_view> expression_params, legacy_params;
  if (use.projection) expression_params.push_back("ProjectionExpression");
  if (use.filter) expression_params.push_back("FilterExpression");
  if (use.key_condition) expression_params.push_back("KeyConditionExpression");
  if (use.update) expression_params.push_back("UpdateExpression");
  if (use.condition) expression_params.push_back("ConditionExpression");
  if (use.projection) legacy_params.push_back("AttributesToGet");
  if (use.filter) legacy_params.push_back(use.filter_legacy_name);
  if (use.key_condition) legacy_params.push_back("KeyConditions");
  if (use.update) legacy_params.push_back("AttributeUpdates");
  if (use.condition) legacy_params.push_back("Expected");
  if (use.condition || use.filter) legacy_params.push_back("ConditionalOperator");
  MALLARD_RETURN_IF_ERROR(CheckParameterStyle(input, expression_params, legacy_params));

  RequestExpressions parsed;
  MALLARD_ASSIGN_OR_RETURN(parsed.inputs, rules::ParseExpressionInputs(input));
  MALLARD_ASSIGN_OR_RETURN(auto conditional_operator,
                           input::EnumMember(input, "ConditionalOperator", {"AND", "OR"}, "AND"));
  MALLARD_RETURN_IF_ERROR(CheckConditionalOperator(input, use));
  if (use.projection) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "ProjectionExpression"));
    MALLARD_ASSIGN_OR_RETURN(auto legacy, input::OptionalArray(input, "AttributesToGet"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.projection, ParseProjection(*text, parsed.inputs));
    } else if (legacy) {
      if (legacy->empty())
        return Fail(input::ConstraintError("AttributesToGet", "'[]'", "Member must have length greater than or equal to 1"));
      MALLARD_ASSIGN_OR_RETURN(parsed.projection, ConvertAttributesToGet(*legacy));
    }
  }
  if (use.filter) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "FilterExpression"));
    MALLARD_ASSIGN_OR_RETURN(auto legacy, input::OptionalObject(input, use.filter_legacy_name));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.filter, ParseCondition(*text, ExpressionKind::Filter, parsed.inputs));
    } else if (legacy) {
      MALLARD_ASSIGN_OR_RETURN(parsed.filter, ConvertFilter(*legacy, conditional_operator));
    }
  }
  if (use.key_condition) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "KeyConditionExpression"));
    MALLARD_ASSIGN_OR_RETURN(auto legacy, input::OptionalObject(input, "KeyConditions"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.key_condition, ParseKeyCondition(*text, parsed.inputs, *keys));
    } else if (legacy) {
      MALLARD_ASSIGN_OR_RETURN(parsed.key_condition, ConvertKeyConditions(*legacy, *keys));
    }
  }
  if (use.update) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "UpdateExpression"));
    MALLARD_ASSIGN_OR_RETURN(auto legacy, input::OptionalObject(input, "AttributeUpdates"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.update, ParseUpdate(*text, parsed.inputs));
    } else if (legacy) {
      MALLARD_ASSIGN_OR_RETURN(parsed.legacy_update, ConvertAttributeUpdates(*legacy));
    }
  }
  if (use.condition) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "ConditionExpression"));
    MALLARD_ASSIGN_OR_RETURN(auto legacy, input::OptionalObject(input, "Expected"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.condition, ParseCondition(*text, ExpressionKind::Condition, parsed.inputs));
    } else if (legacy) {
      MALLARD_ASSIGN_OR_RETURN(parsed.condition, ConvertExpected(*legacy, conditional_operator));
    }
  }
  MALLARD_RETURN_IF_ERROR(parsed.inputs.CheckAllUsed());
  return parsed;
}

}  // namespace mallard::dynamodb
