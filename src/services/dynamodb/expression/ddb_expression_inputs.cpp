// ExpressionAttributeNames / ExpressionAttributeValues bookkeeping and the checks on which
// parameters a request combines.
#include <algorithm>
#include <cctype>

#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/expression/ddb_expression_errors.hpp"

namespace mallard::dynamodb {
namespace {

// "#name" / ":value": the sigil then one or more [0-9A-Za-z_].
bool IsPlaceholderKey(std::string_view key, char sigil) {
  if (key.size() < 2 || key[0] != sigil) return false;
  return std::all_of(key.begin() + 1, key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string JoinBraced(const std::vector<std::string_view>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  out += '}';
  return out;
}

}  // namespace

Result<ExpressionInputs> ExpressionInputs::Make(const boost::json::object* names, std::optional<AttributeMap> values) {
  ExpressionInputs inputs;
  if (names) {
    inputs.has_names_ = true;
    if (names->empty()) return Fail(ValidationError("ExpressionAttributeNames must not be empty"));
    inputs.names_.reserve(names->size());
    for (const auto& entry : *names) {
      std::string_view key = entry.key();
      if (!IsPlaceholderKey(key, '#')) {
        return Fail(ValidationError("ExpressionAttributeNames contains invalid key: Syntax error; key: \"" + std::string(key) + "\""));
      }
      if (!entry.value().is_string()) {
        return Fail(ValidationError("ExpressionAttributeNames contains invalid value: value for key " + std::string(key) +
                                    " must be a string"));
      }
      const auto& value = entry.value().get_string();
      if (value.empty()) {
        return Fail(ValidationError("ExpressionAttributeNames contains invalid value: Empty attribute name for key " +
                                    std::string(key)));
      }
      inputs.names_.push_back(Name{std::string(key), std::string(value.data(), value.size()), false});
    }
  }
  if (values) {
    inputs.has_values_ = true;
    if (values->empty()) return Fail(ValidationError("ExpressionAttributeValues must not be empty"));
    for (const auto& [key, value] : *values) {
      if (!IsPlaceholderKey(key, ':')) {
        return Fail(ValidationError("ExpressionAttributeValues contains invalid key: Syntax error; key: \"" + key + "\""));
      }
    }
    inputs.values_ = std::move(*values);
  }
  return inputs;
}

const std::string* ExpressionInputs::UseName(std::string_view placeholder) {
  for (Name& name : names_) {
    if (name.key == placeholder) {
      name.used = true;
      return &name.value;
    }
  }
  return nullptr;
}

const AttributeValue* ExpressionInputs::UseValue(std::string_view placeholder) {
  auto it = values_.find(std::string(placeholder));
  if (it == values_.end()) return nullptr;
  const AttributeValue* value = &it->second;
  if (std::find(used_values_.begin(), used_values_.end(), value) == used_values_.end()) used_values_.push_back(value);
  return value;
}

Status<> ExpressionInputs::CheckAllUsed() const {
  std::vector<std::string_view> unused;
  for (const Name& name : names_) {
    if (!name.used) unused.push_back(name.key);
  }
  if (!unused.empty()) {
    return Fail(ValidationError("Value provided in ExpressionAttributeNames unused in expressions: keys: " + JoinBraced(unused)));
  }
  if (used_values_.size() != values_.size()) {
    for (const auto& [key, value] : values_) {
      if (std::find(used_values_.begin(), used_values_.end(), &value) == used_values_.end()) unused.push_back(key);
    }
    return Fail(ValidationError("Value provided in ExpressionAttributeValues unused in expressions: keys: " + JoinBraced(unused)));
  }
  return Ok();
}

Status<> CheckParameterStyle(const boost::json::object& request, const std::vector<std::string_view>& expression_params,
                             const std::vector<std::string_view>& legacy_params) {
  auto present = [&](std::string_view name) {
    auto it = request.find(name);
    return it != request.end() && !it->value().is_null();
  };
  std::vector<std::string_view> expressions;
  for (std::string_view name : expression_params) {
    if (present(name)) expressions.push_back(name);
  }
  if (!expressions.empty()) {
    // Query accepts the legacy KeyConditions beside the other expressions as long as there is no
    // KeyConditionExpression.
    bool key_condition_expression = present("KeyConditionExpression");
    std::vector<std::string_view> legacy;
    for (std::string_view name : legacy_params) {
      if (name == "KeyConditions" && !key_condition_expression) continue;
      if (present(name)) legacy.push_back(name);
    }
    if (!legacy.empty()) {
      return Fail(ValidationError("Can not use both expression and non-expression parameters in the same request: "
                                  "Non-expression parameters: " + JoinBraced(legacy) +
                                  " Expression parameters: " + JoinBraced(expressions)));
    }
  }
  if (present("ExpressionAttributeNames") && expressions.empty()) {
    return Fail(ValidationError("ExpressionAttributeNames can only be specified when using expressions"));
  }
  if (present("ExpressionAttributeValues")) {
    std::vector<std::string_view> value_expressions;
    bool any = false;
    for (std::string_view name : expression_params) {
      if (name == "ProjectionExpression") continue;
      value_expressions.push_back(name);
      any = any || present(name);
    }
    if (!value_expressions.empty() && !any) {
      std::string message = "ExpressionAttributeValues can only be specified when using expressions: ";
      for (std::size_t i = 0; i < value_expressions.size(); ++i) {
        if (i) message += " and ";
        message += value_expressions[i];
      }
      message += value_expressions.size() > 1 ? " are null" : " is null";
      return Fail(ValidationError(std::move(message)));
    }
  }
  return Ok();
}

}  // namespace mallard::dynamodb
