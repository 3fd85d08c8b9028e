#pragma once
// Typed access to a DynamoDB operation's JSON input, with the constraint messages DynamoDB's
// request validation produces ("1 validation error detected: Value null at 'tableName' failed to
// satisfy constraint: Member must not be null").
#include <boost/json.hpp>

#include <optional>
#include <string>

#include "common/result.hpp"
#include "services/dynamodb/model/ddb_errors.hpp"

namespace mallard::dynamodb::input {

// "TableName" -> "tableName": the wire member name as AWS's validator prints it.
inline std::string FieldName(std::string_view member) {
  std::string name(member);
  if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return name;
}

inline AwsError ConstraintError(std::string_view member, const std::string& value_text, const std::string& constraint) {
  return errors::Validation("1 validation error detected: Value " + value_text + " at '" + FieldName(member) +
                            "' failed to satisfy constraint: " + constraint);
}

inline AwsError MissingMember(std::string_view member) {
  return ConstraintError(member, "null", "Member must not be null");
}

inline AwsError WrongType(std::string_view member, const char* expected) {
  return errors::Validation("Invalid type for parameter " + std::string(member) + ", expected " + expected);
}

inline Result<std::optional<std::string>> OptionalString(const boost::json::object& input, std::string_view name) {
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return Fail(WrongType(name, "string"));
  return std::optional<std::string>(std::string(value->get_string()));
}

inline Result<std::string> RequiredString(const boost::json::object& input, std::string_view name) {
  MALLARD_ASSIGN_OR_RETURN(auto value, OptionalString(input, name));
  if (!value) return Fail(MissingMember(name));
  return std::move(*value);
}

inline Result<std::optional<std::int64_t>> OptionalInt(const boost::json::object& input, std::string_view name) {
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return std::optional<std::int64_t>();
  if (value->is_int64()) return std::optional<std::int64_t>(value->get_int64());
  if (value->is_uint64()) return std::optional<std::int64_t>(static_cast<std::int64_t>(value->get_uint64()));
  return Fail(WrongType(name, "integer"));
}

inline Result<std::optional<bool>> OptionalBool(const boost::json::object& input, std::string_view name) {
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return std::optional<bool>();
  if (!value->is_bool()) return Fail(WrongType(name, "boolean"));
  return std::optional<bool>(value->get_bool());
}

inline Result<const boost::json::object*> OptionalObject(const boost::json::object& input, std::string_view name) {
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return static_cast<const boost::json::object*>(nullptr);
  if (!value->is_object()) return Fail(WrongType(name, "structure"));
  return &value->get_object();
}

inline Result<const boost::json::array*> OptionalArray(const boost::json::object& input, std::string_view name) {
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return static_cast<const boost::json::array*>(nullptr);
  if (!value->is_array()) return Fail(WrongType(name, "list"));
  return &value->get_array();
}

// Checks a member against an enumeration; returns the value or `fallback` when absent.
inline Result<std::string> EnumMember(const boost::json::object& input, std::string_view name,
                                      std::initializer_list<const char*> allowed, std::string fallback) {
  MALLARD_ASSIGN_OR_RETURN(auto value, OptionalString(input, name));
  if (!value) return fallback;
  std::string set;
  for (const char* option : allowed) {
    if (*value == option) return std::move(*value);
    set += set.empty() ? "" : ", ";
    set += option;
  }
  return Fail(ConstraintError(name, "'" + *value + "'", "Member must satisfy enum value set: [" + set + "]"));
}

}  // namespace mallard::dynamodb::input
