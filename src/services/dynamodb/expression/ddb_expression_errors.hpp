#pragma once
// The ValidationException constructors of the expression language, with AWS's message texts.
#include <string>
#include <string_view>

#include "common/aws_error.hpp"
#include "services/dynamodb/expression/ddb_expression.hpp"

namespace mallard::dynamodb {

inline AwsError ValidationError(std::string message) {
  return AwsError::Make("ValidationException", 400, std::move(message));
}
// "Invalid ConditionExpression: <detail>" and the like.
inline AwsError InvalidExpression(ExpressionKind kind, std::string_view detail) {
  std::string message = "Invalid ";
  message += ExpressionParamName(kind);
  message += ": ";
  message += detail;
  return ValidationError(std::move(message));
}

// Runtime update errors (messages as DynamoDB words them).
inline constexpr std::string_view kIncorrectOperandType =
    "An operand in the update expression has an incorrect data type";
inline constexpr std::string_view kMissingOperandAttribute =
    "The provided expression refers to an attribute that does not exist in the item";
inline constexpr std::string_view kInvalidUpdatePath =
    "The document path provided in the update expression is invalid for update";

// Case-insensitive lookup in DynamoDB's 573 reserved words.
bool IsReservedWord(std::string_view word);

}  // namespace mallard::dynamodb
