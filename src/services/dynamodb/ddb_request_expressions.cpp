#include "services/dynamodb/ddb_request_expressions.hpp"

#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_item_rules.hpp"

namespace mallard::dynamodb {

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
  if (use.projection) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "ProjectionExpression"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.projection, ParseProjection(*text, parsed.inputs));
    }
  }
  if (use.filter) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "FilterExpression"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.filter, ParseCondition(*text, ExpressionKind::Filter, parsed.inputs));
    }
  }
  if (use.key_condition) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "KeyConditionExpression"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.key_condition, ParseKeyCondition(*text, parsed.inputs, *keys));
    }
  }
  if (use.update) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "UpdateExpression"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.update, ParseUpdate(*text, parsed.inputs));
    }
  }
  if (use.condition) {
    MALLARD_ASSIGN_OR_RETURN(auto text, rules::ExpressionText(input, "ConditionExpression"));
    if (text) {
      MALLARD_ASSIGN_OR_RETURN(parsed.condition, ParseCondition(*text, ExpressionKind::Condition, parsed.inputs));
    }
  }
  MALLARD_RETURN_IF_ERROR(parsed.inputs.CheckAllUsed());
  return parsed;
}

}  // namespace mallard::dynamodb
