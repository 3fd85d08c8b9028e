#pragma once
// Helpers for the expression tests: inputs and items from JSON text.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>

#include "services/dynamodb/expression/ddb_expression.hpp"

namespace mallard::dynamodb::testing {

inline AttributeMap MapOf(const std::string& json_text) {
  if (json_text.empty()) return {};
  auto parsed = MapFromJson(boost::json::parse(json_text).as_object());
  EXPECT_TRUE(parsed.ok()) << json_text << ": " << (parsed.ok() ? "" : parsed.error());
  return parsed.ok() ? std::move(parsed).value() : AttributeMap{};
}

// names / values: JSON text, "" when absent.
inline ExpressionInputs InputsOf(const std::string& names, const std::string& values) {
  boost::json::object names_object;
  if (!names.empty()) names_object = boost::json::parse(names).as_object();
  std::optional<AttributeMap> value_map;
  if (!values.empty()) value_map = MapOf(values);
  auto inputs = ExpressionInputs::Make(names.empty() ? nullptr : &names_object, std::move(value_map));
  EXPECT_TRUE(inputs.ok()) << (inputs.ok() ? "" : inputs.error().message);
  return inputs.ok() ? std::move(inputs).value() : ExpressionInputs{};
}

inline std::string JsonOf(const AttributeMap& item) { return boost::json::serialize(MapToJson(item)); }

}  // namespace mallard::dynamodb::testing
